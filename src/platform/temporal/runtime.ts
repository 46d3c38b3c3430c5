import { Runtime, makeTelemetryFilterString, type LogLevel, type LogMetadata, type Logger as SdkLogger } from '@temporalio/worker';
import type { Logger } from 'pino';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export interface RuntimeOptions {
  /**
   * Port of the SDK's own Prometheus exporter (`/metrics` of the worker internals: task slots,
   * poll and schedule-to-start latencies, sticky cache, …); undefined = no exporter.
   */
  metricsPort?: number | undefined;
  /** Interface the exporter binds to (all by default, so Prometheus in another container reaches it). */
  metricsHost?: string;
}

/**
 * Routes the Temporal SDK's logs into our pino logger and, with `metricsPort`, serves the SDK's
 * worker metrics for Prometheus. Must run before any worker or native connection exists; later
 * calls are ignored.
 */
export function installTemporalRuntime(log: Logger, options: RuntimeOptions = {}): void {
  const child = log.child({ component: 'temporal-sdk' });
  const logger: SdkLogger = {
    log: (level: LogLevel, message: string, meta?: LogMetadata) => child[LEVELS[level]](meta ?? {}, message),
    trace: (m, meta) => child.trace(meta ?? {}, m),
    debug: (m, meta) => child.debug(meta ?? {}, m),
    info: (m, meta) => child.info(meta ?? {}, m),
    warn: (m, meta) => child.warn(meta ?? {}, m),
    error: (m, meta) => child.error(meta ?? {}, m),
  };
  try {
    Runtime.install({
      logger,
      telemetryOptions: {
        logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
        ...(options.metricsPort
          ? {
              metrics: {
                // Seconds, as Prometheus conventions and our own histograms use.
                prometheus: { bindAddress: `${options.metricsHost ?? '0.0.0.0'}:${options.metricsPort}`, useSecondsForDurations: true },
              },
            }
          : {}),
      },
    });
  } catch {
    // already installed in this process
  }
}
