import pino, { type Logger } from 'pino';

/** Structured JSON logs (pino); one root logger per process, children per component. */
export function createLogger(level: string, name = 'order-pipeline'): Logger {
  return pino({ name, level, redact: { paths: ['req.headers.authorization', 'authorization', '*.apiKey'], remove: true } });
}
export type { Logger };
