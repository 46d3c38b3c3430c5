/**
 * Parts of the OpenAPI document that route declarations share: parameters, the response
 * headers and problem answers of `components` (referenced by `$ref`), and helpers for the
 * answers every route has its own version of (422, 409, 200 with an example).
 */
import { maxHeaderSize } from 'node:http';
import { z } from 'zod';
import type { ZodOpenApiResponseObject, ZodOpenApiResponsesObject } from 'zod-openapi';
import { EXAMPLE_ORDER_ID, problemExample } from './examples.js';
import { IDEMPOTENCY_KEY } from './idempotency.js';
import { BODY_LIMIT } from './middleware.js';
import { RATE_LIMIT_WINDOW_MS } from './rate-limit.js';
import { ProblemSchema, RateLimitProblemSchema } from './schemas.js';

export const JSON_TYPE = 'application/json';
export const PROBLEM_TYPE = 'application/problem+json';

// ---------------------------------------------------------------------------------------------
// Parameters and headers

export const OrderIdParam = z.uuid().max(36).meta({ description: 'Order id (a UUID), as returned by `POST /v1/orders`.', example: EXAMPLE_ORDER_ID });

export const IdempotencyKeyParam = z
  .string()
  .max(255)
  .regex(IDEMPOTENCY_KEY)
  .optional()
  .meta({
    description:
      'Makes retries safe: a repeat with the same key and the same body answers with the same order (`Idempotent-Replayed: true`) ' +
      'instead of placing a second one; the same key with a different body is refused (422). 1–255 printable ASCII characters, e.g. a UUID. ' +
      'Keys are remembered per API key for a limited time.',
    example: 'b6f1c2a4-6a0e-4c1e-9a53-2f1d0c7e8a90',
  });

/**
 * A request header the API reads without a length check of its own: Node's HTTP server refuses
 * (431) a request whose headers together exceed `maxHeaderSize`, so no single one is longer.
 */
export const requestHeader = () => z.string().max(maxHeaderSize);

// The response headers below are written by the API; their bounds hold by construction and
// test/openapi.test.ts checks real answers against them.
export const headerSchemas = {
  RetryAfter: z.string().max(10).regex(/^\d+$/).meta({ description: 'Seconds to wait before retrying.', example: '5' }),
  // Absent only when the limiter cannot count (it then lets the request pass).
  RateLimit: z.string().max(200).optional().meta({
    description: "Remaining requests (`r`) and seconds until the window resets (`t`) for the key's tier policy (IETF draft-ietf-httpapi-ratelimit-headers-08).",
    example: '"standard"; r=0; t=42',
  }),
  RateLimitPolicy: z
    .string()
    .max(200)
    .optional()
    .meta({
      description: `Quota (\`q\`) per window (\`w\`, ${RATE_LIMIT_WINDOW_MS / 1000} s) of the key's tier, and the partition key (\`pk\`).`,
      example: '"standard"; q=600; w=60; pk=:YjRiZWQ0ZWEzMWQ0:',
    }),
  WwwAuthenticate: z.literal('Bearer').meta({ description: 'The API takes a bearer API key.' }),
  Location: z
    .string()
    .max(100)
    .meta({ description: 'Where the order can be read.', example: `/v1/orders/${EXAMPLE_ORDER_ID}` }),
  IdempotentReplayed: z.enum(['true', 'false']).meta({
    description: '`true` when this answer repeats the order of an earlier request with the same `Idempotency-Key`.',
    example: 'false',
  }),
  CacheControl: z.string().max(100).meta({ description: 'The catalog may be cached.', example: 'public, max-age=300' }),
};
export const header = (name: keyof typeof headerSchemas) => ({ $ref: `#/components/headers/${name}` });
export const rateLimitHeaders = { RateLimit: header('RateLimit'), 'RateLimit-Policy': header('RateLimitPolicy') };

// ---------------------------------------------------------------------------------------------
// Error answers

export const response = (name: string) => ({ $ref: `#/components/responses/${name}` });

export function errorResponses(): Record<string, ZodOpenApiResponseObject> {
  const problem = (
    description: string,
    example: Record<string, unknown>,
    extra: Partial<ZodOpenApiResponseObject> = {},
    schema: z.ZodType = ProblemSchema,
  ): ZodOpenApiResponseObject => ({ description, content: { [PROBLEM_TYPE]: { schema, example } }, ...extra });
  // Refused after the per-key rate limiter counted the request (routes check bodies and
  // permissions behind it), so the answer carries its headers; a 401 comes before it.
  const counted = { headers: rateLimitHeaders };
  return {
    BadRequest: problem(
      'Malformed request: the body is not valid JSON, the `Idempotency-Key` is malformed, or the list `cursor` was not issued by this API.',
      problemExample(400, 'bad-request', 'Malformed JSON', 'The request body is not valid JSON.', '/v1/orders'),
      counted,
    ),
    Unauthorized: problem(
      'No API key, or an unknown or revoked one. Send `Authorization: Bearer <key>`.',
      problemExample(401, 'unauthorized', 'Unauthorized', 'Send your API key as "Authorization: Bearer <key>".', '/v1/orders'),
      { headers: { 'WWW-Authenticate': header('WwwAuthenticate') } },
    ),
    Forbidden: problem(
      'The key is of a kind that may not use this route (e.g. an operator key placing an order, a partner key changing a priority).',
      problemExample(
        403,
        'forbidden',
        'Forbidden',
        'A partner key may not use POST /v1/orders/:id/priority; allowed: operator.',
        `/v1/orders/${EXAMPLE_ORDER_ID}/priority`,
      ),
      counted,
    ),
    NotFound: problem(
      'No such order, or not one the key may see (partners see only their own orders, the shop only shop orders).',
      problemExample(404, 'not-found', 'Not found', `There is no order ${EXAMPLE_ORDER_ID}.`, `/v1/orders/${EXAMPLE_ORDER_ID}`),
      counted,
    ),
    PayloadTooLarge: problem(
      `The body exceeds ${BODY_LIMIT}.`,
      problemExample(413, 'payload-too-large', 'Payload too large', 'The request body exceeds 65536 bytes.', '/v1/orders'),
      counted,
    ),
    UnsupportedMediaType: problem(
      'The body is not `application/json` (or not UTF-8).',
      problemExample(415, 'unsupported-media-type', 'Unsupported media type', 'Send the body as application/json.', '/v1/orders'),
      counted,
    ),
    TooManyRequests: problem(
      "Over the key's rate limit (requests per minute of its tier). Retry after `Retry-After` seconds.",
      problemExample(
        429,
        'rate-limited',
        'Too many requests',
        'API key of client "partner-acme" (tier standard) may make 600 requests per 60 s. Retry in 42 s (at 2025-03-03T09:16:00.000Z); for a higher limit, ask for another tier.',
        '/v1/orders',
        { limit: 600, windowSeconds: 60, retryAfterSeconds: 42 },
      ),
      { headers: { 'Retry-After': header('RetryAfter'), ...rateLimitHeaders } },
      RateLimitProblemSchema,
    ),
    ServiceUnavailable: problem(
      'The order pipeline (Temporal) cannot be reached right now; nothing was recorded. Retry after `Retry-After` seconds.',
      problemExample(
        503,
        'service-unavailable',
        'Order pipeline unavailable',
        'The order could not be durably recorded and was NOT accepted. Retry in a few seconds.',
        '/v1/orders',
        { cause: 'Failed to connect before the deadline' },
      ),
      { headers: { 'Retry-After': header('RetryAfter') } },
    ),
    InternalError: problem(
      'Unexpected error; it was logged, no internals are returned.',
      problemExample(500, 'error', 'Internal error', 'Something went wrong on our side; the error was logged.', '/v1/orders'),
    ),
  };
}

/** 422 answer with an example that fits the route. */
export function validationFailed(
  description: string,
  instance: string,
  errors: { path: string; message: string }[],
  detail = 'The request does not match the schema.',
): ZodOpenApiResponseObject {
  return {
    description,
    headers: rateLimitHeaders,
    content: {
      [PROBLEM_TYPE]: {
        schema: ProblemSchema,
        example: problemExample(422, 'validation-error', 'Validation failed', detail, instance, { errors }),
      },
    },
  };
}

/** A 409 answer: the order is past the point where the request could apply. */
export function conflict(description: string, title: string, detail: string, instance: string): ZodOpenApiResponseObject {
  return {
    description,
    headers: rateLimitHeaders,
    content: { [PROBLEM_TYPE]: { schema: ProblemSchema, example: problemExample(409, 'conflict', title, detail, instance) } },
  };
}

/** The answers every authenticated /v1 route can give besides its own. */
export const AUTHENTICATED: ZodOpenApiResponsesObject = {
  '401': response('Unauthorized'),
  '429': response('TooManyRequests'),
  '500': response('InternalError'),
};
export const JSON_BODY_ERRORS: ZodOpenApiResponsesObject = {
  '400': response('BadRequest'),
  '413': response('PayloadTooLarge'),
  '415': response('UnsupportedMediaType'),
};

export function ok(
  description: string,
  schema: z.ZodType,
  example: unknown,
  headers: Record<string, { $ref: string }> = rateLimitHeaders,
): ZodOpenApiResponseObject {
  return { description, headers, content: { [JSON_TYPE]: { schema, example } } };
}
