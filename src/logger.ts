import pino, { type DestinationStream, type Logger } from 'pino';
import { activeTraceFields } from './tracing/attributes.js';

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
    destination,
  );
}
export type { Logger };
