import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';

/** One field-level problem, with the JSON path of the field (`items.0.quantity`). */
export interface FieldError {
  path: string;
  message: string;
}

/** An error the API answers as `application/problem+json` (RFC 9457). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }
}

const TYPE_BASE = 'https://docs.order-pipeline.example/problems/';

/** Problem type URI of a status, e.g. `…/problems/validation-error`. */
export function problemType(slug: string): string {
  return `${TYPE_BASE}${slug}`;
}

const SLUGS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  408: 'request-timeout',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'validation-error',
  429: 'rate-limited',
  431: 'request-header-fields-too-large',
  503: 'service-unavailable',
};

/** The problem+json document of a problem. */
export function problemDocument(problem: HttpProblem, instance?: string): string {
  return JSON.stringify({
    type: problemType(SLUGS[problem.status] ?? 'error'),
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    ...(instance ? { instance } : {}),
    ...problem.extra,
  });
}

export function sendProblem(res: Response, problem: HttpProblem, instance?: string): void {
  for (const [k, v] of Object.entries(problem.headers)) res.setHeader(k, v);
  res.status(problem.status).type('application/problem+json').send(problemDocument(problem, instance));
}

/** Field errors of a zod failure, paths joined with dots. */
export function zodFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: i.message,
  }));
}

/** 422 with the field errors of a request that does not fit its schema. */
export function validationProblem(errors: FieldError[], detail = 'The request does not match the schema.'): HttpProblem {
  return new HttpProblem(422, 'Validation failed', detail, { errors });
}

/**
 * 503: Temporal did not take the request. The error itself is logged by the caller, never
 * answered: its text names internal hosts and addresses.
 */
export function temporalUnavailable(_err?: unknown): HttpProblem {
  return new HttpProblem(
    503,
    'Order pipeline unavailable',
    'The order could not be durably recorded and was NOT accepted. Retry in a few seconds.',
    {},
    { 'Retry-After': '5' },
  );
}

/** Error codes of postgres-js and Node meaning the database cannot be reached right now. */
const DATABASE_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01', // admin shutdown
  '57P02', // crash shutdown
  '57P03', // cannot connect now (starting up, recovering)
  '53300', // too many connections
]);

/** True when `err` (or an error it wraps) says the database is unreachable, not that a query is wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && DATABASE_DOWN_CODES.has(e.code)) return true;
  }
  return false;
}

/** Turns every error into problem+json; unexpected ones are logged and answered as 500 without internals. */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof HttpProblem) return sendProblem(res, err, req.originalUrl);
    // body-parser errors carry their own status and type
    const e = err as { type?: string; status?: number; statusCode?: number; limit?: number };
    if (e.type === 'entity.parse.failed') {
      return sendProblem(res, new HttpProblem(400, 'Malformed JSON', 'The request body is not valid JSON.'), req.originalUrl);
    }
    if (e.type === 'entity.too.large') {
      return sendProblem(res, new HttpProblem(413, 'Payload too large', `The request body exceeds ${e.limit} bytes.`), req.originalUrl);
    }
    if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') {
      return sendProblem(res, new HttpProblem(415, 'Unsupported encoding', 'Send UTF-8 encoded JSON.'), req.originalUrl);
    }
    const status = e.status ?? e.statusCode;
    if (status && status >= 400 && status < 500) {
      return sendProblem(res, new HttpProblem(status, 'Bad request', (err as Error).message), req.originalUrl);
    }
    if (isDatabaseUnavailable(err)) {
      log.warn({ err, url: req.originalUrl }, 'database unavailable');
      return sendProblem(
        res,
        new HttpProblem(
          503,
          'Order pipeline unavailable',
          'A database of the pipeline cannot be reached; nothing was changed. Retry in a few seconds (with the same Idempotency-Key).',
          {},
          { 'Retry-After': '5' },
        ),
        req.originalUrl,
      );
    }
    log.error({ err, url: req.originalUrl }, 'unhandled error');
    sendProblem(res, new HttpProblem(500, 'Internal error', 'Something went wrong on our side; the error was logged.'), req.originalUrl);
  };
}
