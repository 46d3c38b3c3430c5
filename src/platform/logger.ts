import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import pino, { type DestinationStream, type Logger } from 'pino';
import { activeTraceFields } from './tracing/attributes.js';

/** Where loggers without a destination of their own write; undefined = JSON on stdout. */
let sharedDestination: DestinationStream | undefined;

/**
 * Structured JSON logs (pino); one root logger per process, children per component. Every line
 * written inside a trace carries its `trace_id` and `span_id`, so a request's or an activity's
 * log lines can be found from its trace and the other way round.
 */
export function createLogger(level: string, name = 'order-pipeline', destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: ['req.headers.authorization', 'authorization', '*.apiKey'], remove: true },
      // The Temporal SDK hands its errors over as `error`: serialized like `err` (type, message,
      // stack), not as the `{}` an Error becomes in JSON.
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      mixin: activeTraceFields,
    },
    destination ?? sharedDestination,
  );
}

/** pino-pretty's module path, or undefined where it is not installed (it is optional). */
function prettyTarget(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('pino-pretty');
  } catch {
    return undefined;
  }
}

/**
 * For a process a person watches (`npm start`): when stdout is a terminal and pino-pretty is
 * installed, every logger created afterwards without a destination of its own writes one
 * readable line per entry (time, level, component, message; an HTTP access line as method,
 * path, status and duration; an error as its type, message and where it was thrown) instead of
 * JSON, see src/platform/terminal-log-format.mjs. Formatting runs in pino's transport thread, off the
 * event loop. Piped or redirected output (containers, log shippers) stays JSON, with the full
 * stack of every error. Returns whether the readable format is on.
 */
export function useReadableLogsOnTerminal(stdout: { isTTY?: boolean } = process.stdout): boolean {
  if (sharedDestination) return true;
  if (!stdout.isTTY || !prettyTarget()) return false;
  sharedDestination = pino.transport({
    target: fileURLToPath(new URL('./terminal-log-format.mjs', import.meta.url)),
    options: { destination: 1 },
  }) as DestinationStream;
  return true;
}
export type { Logger };
