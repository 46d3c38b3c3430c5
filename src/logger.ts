import { createRequire } from 'node:module';
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
 * path, status and duration) instead of JSON. Formatting runs in pino's transport thread, off
 * the event loop. Piped or redirected output (containers, log shippers) stays JSON. Returns
 * whether the readable format is on.
 */
export function useReadableLogsOnTerminal(stdout: { isTTY?: boolean } = process.stdout): boolean {
  if (sharedDestination) return true;
  const target = stdout.isTTY ? prettyTarget() : undefined;
  if (!target) return false;
  sharedDestination = pino.transport({
    target,
    options: {
      destination: 1,
      colorize: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      // The trace id stays (to find the trace); the rest is in the message or of no use here.
      ignore: 'pid,hostname,name,component,span_id,trace_flags,req,res,responseTime',
      messageFormat: '{if component}[{component}] {end}{if req}{req.method} {req.url} {res.statusCode} {responseTime} ms {end}{msg}',
    },
  }) as DestinationStream;
  return true;
}
export type { Logger };
