import { Runtime, makeTelemetryFilterString, type LogLevel, type LogMetadata, type Logger as SdkLogger } from '@temporalio/worker';
import type { Logger } from 'pino';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Routes the Temporal SDK's logs into our pino logger. Must run before any worker or native
 * connection exists; later calls are ignored.
 */
export function installTemporalRuntime(log: Logger): void {
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
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
    });
  } catch {
    // already installed in this process
  }
}
