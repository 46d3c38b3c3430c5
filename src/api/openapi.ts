/**
 * The API's OpenAPI 3.1 document, generated from the zod schemas the routes validate with
 * (request bodies, query) and the response shapes of src/api/schemas.ts. Nothing here repeats a
 * schema by hand: `zod-openapi` renders them; this file adds the routes, status codes, headers,
 * security and examples. The examples are built with the same functions that build real
 * answers (initialOrderState, toOrderResource, priceOrder, catalogResource, signWebhook), and
 * test/openapi.test.ts validates every example against its schema.
 */
import { maxHeaderSize } from 'node:http';
import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import type { Config } from '../config.js';
import { AddressSchema, CustomerSchema, OrderItemSchema, OrderRequestSchema, ShippingSchema, type OrderRequest } from '../domain/order.js';
import { priceOrder } from '../domain/pricing/index.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from '../webhook-signature.js';
import { newOrderInput } from '../intake.js';
import { MAX_PRIORITY_CHANGES, STAGES, initialOrderState, type WebhookEvent } from '../workflows/order/contract.js';
import { ATTENTION_LIMIT, DashboardQuerySchema, DashboardSchema, windowStart, type Dashboard } from './dashboard.js';
import { IDEMPOTENCY_KEY } from './idempotency.js';
import { BODY_LIMIT } from './middleware.js';
import { toOrderResource, traceLink, type TraceLink } from './order-resource.js';
import { problemType } from './problem.js';
import { RATE_LIMIT_WINDOW_MS } from './rate-limit.js';
import { QuoteRequestSchema, catalogResource } from './routes/catalog.js';
import {
  DEFAULT_LIMIT,
  MAX_LIMIT,
  OrderListQuerySchema,
  OrderListSchema,
  OrderSummarySchema,
  PriceLineSchema,
  PriceSchema,
  TraceLinkSchema,
  encodeCursor,
  type OrderList,
} from './routes/orders-list.js';
import { CancelBodySchema, PriorityBodySchema } from './routes/orders.js';
import { encodeProduceCallback } from '../activities/produce-callback.js';
import {
  CarrierEventSchema,
  IntegrationAnswerSchema,
  MesEventSchema,
  type CarrierEventBody,
  type IntegrationAnswer,
  type MesEventBody,
} from './routes/integrations.js';
import {
  CatalogSchema,
  FieldErrorSchema,
  HealthSchema,
  OrderFailureSchema,
  OrderResourceSchema,
  ProblemSchema,
  QuoteResponseSchema,
  RateLimitProblemSchema,
  ReadinessSchema,
  ShipmentSchema,
  SlaSchema,
  TimelineEntrySchema,
  WebhookEventSchema,
  type OrderResourceShape,
} from './schemas.js';

/** The generated document (an OpenAPI 3.1 object). */
export type OpenApiDocument = ReturnType<typeof createDocument>;

const JSON_TYPE = 'application/json';
const PROBLEM_TYPE = 'application/problem+json';
const SECURITY_SCHEME = 'apiKey';

// ---------------------------------------------------------------------------------------------
// Examples, built by the code that builds real answers

const EXAMPLE_ORDER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const EXAMPLE_PARTNER_ORDER_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const EXAMPLE_CREATED = new Date('2025-03-03T09:15:00.000Z');
const at = (minutes: number) => new Date(EXAMPLE_CREATED.getTime() + minutes * 60_000).toISOString();
const EXAMPLE_TRACKING = 'TRK3F9A1C7B2E4D';

const shopOrderExample: OrderRequest = {
  customer: { name: 'Anna Schmidt', email: 'anna@example.com' },
  items: [{ sku: 'BC-STD', quantity: 100 }],
  shipping: { method: 'courier', address: { line1: 'Hauptstr. 1', postalCode: '10115', city: 'Berlin', country: 'DE' } },
};

const partnerOrderExample: OrderRequest = {
  customer: { name: 'Jonas Weber', email: 'jonas.weber@acme.example', phone: '+49 30 1234567' },
  items: [
    { sku: 'FLY-A5', quantity: 2500, options: { paper: 'matte-170', sides: '2' } },
    { sku: 'BC-STD', quantity: 500, options: { finish: 'soft-touch' } },
  ],
  shipping: {
    method: 'post',
    address: { name: 'ACME Print Resale GmbH', line1: 'Industriestr. 12', postalCode: '50667', city: 'Köln', country: 'DE' },
  },
  dueBy: '2025-03-14T17:00:00+01:00',
  externalRef: 'PO-2025-0117',
  notes: 'Deliver to the loading dock.',
};

const quoteExample: z.input<typeof QuoteRequestSchema> = { items: [{ sku: 'BC-STD', quantity: 500, options: { paper: 'gloss-350', finish: 'soft-touch' } }, { sku: 'POS-A2', quantity: 20 }] };

function examples(trace: (id: string) => TraceLink) {
  const accepted = (orderId: string, order: OrderRequest, source: Parameters<typeof newOrderInput>[0]['source']) =>
    toOrderResource(
      initialOrderState(newOrderInput({ source, order: OrderRequestSchema.parse(order), timeScale: 1, orderId, createdAt: EXAMPLE_CREATED })),
      trace(orderId),
    );
  const received = accepted(EXAMPLE_ORDER_ID, shopOrderExample, { clientId: 'shop', kind: 'shop' });
  const partnerReceived = accepted(EXAMPLE_PARTNER_ORDER_ID, partnerOrderExample, { clientId: 'partner-acme', kind: 'partner', partnerId: 'acme' });

  const partnerPriced = {
    ...partnerReceived,
    price: priceOrder(partnerOrderExample.items),
    promisedBy: '2025-03-10T17:00:00.000Z',
  };
  const price = priceOrder(shopOrderExample.items);
  const deliveredAt = at(27 * 60);
  const stageMinutes = [0, 1, 2, 60, 24 * 60];
  const delivered: OrderResourceShape = {
    ...received,
    status: 'delivered',
    price,
    promisedBy: '2025-03-05T17:00:00.000Z',
    updatedAt: deliveredAt,
    timeline: STAGES.map((stage, seq) => ({
      seq,
      stage,
      status: 'completed' as const,
      startedAt: at(stageMinutes[seq]!),
      endedAt: stage === 'ship' ? deliveredAt : at(stageMinutes[seq + 1]! - 0.5),
      attempts: 1,
      priority: received.priority,
      queueWaitMs: 14,
      ...(stage === 'ship' ? { detail: `tracking ${EXAMPLE_TRACKING}, delivered ${deliveredAt}` } : {}),
    })),
    shipment: { trackingNumber: EXAMPLE_TRACKING, deliveredAt },
  };
  const cancelled: OrderResourceShape = {
    ...partnerPriced,
    status: 'cancelled',
    updatedAt: at(30),
    timeline: [
      { seq: 0, stage: 'accept', status: 'completed', startedAt: at(0), endedAt: at(0.1), attempts: 1, priority: partnerReceived.priority, queueWaitMs: 20 },
      { seq: 1, stage: 'price', status: 'completed', startedAt: at(0.1), endedAt: at(0.2), attempts: 1, priority: partnerReceived.priority, queueWaitMs: 35 },
      { seq: 2, stage: 'cancel', status: 'completed', startedAt: at(30), endedAt: at(30), attempts: 1, priority: partnerReceived.priority, detail: 'by partner-acme: artwork changed' },
    ],
  };
  const reprioritized: OrderResourceShape = {
    ...partnerPriced,
    status: 'in_production',
    priority: 'rush',
    updatedAt: at(95),
    timeline: [
      { seq: 0, stage: 'accept', status: 'completed', startedAt: at(0), endedAt: at(0.1), attempts: 1, priority: 'normal', queueWaitMs: 20 },
      { seq: 1, stage: 'price', status: 'completed', startedAt: at(0.1), endedAt: at(0.2), attempts: 1, priority: 'normal', queueWaitMs: 35 },
      { seq: 2, stage: 'route-to-crm', status: 'completed', startedAt: at(0.2), endedAt: at(0.4), attempts: 1, priority: 'normal', queueWaitMs: 18 },
      { seq: 3, stage: 'produce', status: 'running', startedAt: at(60), attempts: 1, priority: 'normal' },
      {
        seq: 4,
        stage: 'reprioritize',
        status: 'completed',
        startedAt: at(95),
        endedAt: at(95),
        attempts: 1,
        priority: 'rush',
        detail: 'Trade fair on Friday, the customer escalated (by ops-console)',
      },
    ],
  };
  const { timeline: _t, shipment: _s, ...summaryBase } = delivered;
  const list: OrderList = {
    data: [
      {
        id: summaryBase.id,
        channel: summaryBase.channel,
        status: summaryBase.status,
        priority: summaryBase.priority,
        customer: { name: summaryBase.customer.name, email: summaryBase.customer.email },
        items: summaryBase.items,
        shipping: summaryBase.shipping,
        price,
        totalMinor: price.totalMinor,
        promisedBy: summaryBase.promisedBy,
        createdAt: summaryBase.createdAt,
        updatedAt: summaryBase.updatedAt,
        trace: summaryBase.trace,
      },
    ],
    nextCursor: encodeCursor({ createdAt: '2025-03-03T09:15:00.000000Z', id: EXAMPLE_ORDER_ID }),
  };
  const webhookEvent: WebhookEvent = {
    id: `${EXAMPLE_PARTNER_ORDER_ID}:6`,
    type: 'order.status_changed',
    occurredAt: at(26 * 60),
    order: { id: EXAMPLE_PARTNER_ORDER_ID, status: 'shipped', priority: 'normal', externalRef: 'PO-2025-0117', partnerId: 'acme', trackingNumber: EXAMPLE_TRACKING },
  };
  const webhookTimestamp = Math.floor(Date.parse(webhookEvent.occurredAt) / 1000);
  return {
    received,
    partnerReceived,
    delivered,
    cancelled,
    reprioritized,
    list,
    catalog: catalogResource(),
    quote: { price: priceOrder(quoteExample.items) },
    webhookEvent,
    webhookSignature: signWebhook('whsec_example_secret', webhookTimestamp, JSON.stringify(webhookEvent)),
    ...integrationExamples(),
  };
}

function integrationExamples() {
  const jobId = 'job_3b241101-e2bb-4255-8caf-4136c566a962';
  const mesEvent: MesEventBody = {
    id: `${jobId}:completed`,
    type: 'job.completed',
    occurredAt: at(23 * 60),
    job: {
      id: jobId,
      orderId: EXAMPLE_ORDER_ID,
      status: 'done',
      startedAt: at(60),
      completedAt: at(23 * 60),
      callbackRef: encodeProduceCallback({ taskToken: 'CiQ3YzllNjY3OS03NDI1LTQwZGUtOTQ0Yi1lMDdmYzFmOTBhZTc=', workflowId: `order-${EXAMPLE_ORDER_ID}`, attempt: 1, queueWaitMs: 14, resubmitted: 0 }, 'example-callback-secret'),
    },
  };
  const carrierEvent: CarrierEventBody = {
    id: 'shp_9b2c7e41-5a77-4c1f-b8a0-0d6f3c2e1a55:delivered',
    type: 'shipment.delivered',
    occurredAt: at(27 * 60),
    shipment: { id: 'shp_9b2c7e41-5a77-4c1f-b8a0-0d6f3c2e1a55', orderId: EXAMPLE_ORDER_ID, trackingNumber: EXAMPLE_TRACKING, status: 'delivered', deliveredAt: at(27 * 60) },
  };
  const sign = (secret: string, event: { occurredAt: string }) => signWebhook(secret, Math.floor(Date.parse(event.occurredAt) / 1000), JSON.stringify(event));
  const accepted: IntegrationAnswer = { eventId: mesEvent.id, accepted: true };
  const stale: IntegrationAnswer = {
    eventId: mesEvent.id,
    accepted: false,
    reason: 'stale: the production step is not waiting for this job any more (already completed, or a newer attempt runs)',
  };
  const unknown: IntegrationAnswer = { eventId: carrierEvent.id, accepted: false, reason: `unknown order ${EXAMPLE_ORDER_ID}` };
  const duplicate: IntegrationAnswer = { eventId: carrierEvent.id, accepted: true, duplicate: true };
  return {
    mesEvent,
    mesSignature: sign('mes-example-secret', mesEvent),
    carrierEvent,
    carrierSignature: sign('carrier-example-secret', carrierEvent),
    integrationAnswers: { accepted, stale, unknown, duplicate },
  };
}

const problemExample = (status: number, slug: string, title: string, detail: string, instance: string, extra: Record<string, unknown> = {}) => ({
  type: problemType(slug),
  title,
  status,
  detail,
  instance,
  ...extra,
});

// ---------------------------------------------------------------------------------------------
// Parameters and headers

const OrderIdParam = z.uuid().max(36).meta({ description: 'Order id (a UUID), as returned by `POST /v1/orders`.', example: EXAMPLE_ORDER_ID });

const IdempotencyKeyParam = z
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
const requestHeader = () => z.string().max(maxHeaderSize);

// The response headers below are written by the API; their bounds hold by construction and
// test/openapi.test.ts checks real answers against them.
const headerSchemas = {
  RetryAfter: z.string().max(10).regex(/^\d+$/).meta({ description: 'Seconds to wait before retrying.', example: '5' }),
  // Absent only when the limiter cannot count (it then lets the request pass).
  RateLimit: z.string().max(200).optional().meta({
    description: 'Remaining requests (`r`) and seconds until the window resets (`t`) for the key\'s tier policy (IETF draft-ietf-httpapi-ratelimit-headers-08).',
    example: '"standard"; r=0; t=42',
  }),
  RateLimitPolicy: z.string().max(200).optional().meta({
    description: `Quota (\`q\`) per window (\`w\`, ${RATE_LIMIT_WINDOW_MS / 1000} s) of the key's tier, and the partition key (\`pk\`).`,
    example: '"standard"; q=600; w=60; pk=:YjRiZWQ0ZWEzMWQ0:',
  }),
  WwwAuthenticate: z.literal('Bearer').meta({ description: 'The API takes a bearer API key.' }),
  Location: z.string().max(100).meta({ description: 'Where the order can be read.', example: `/v1/orders/${EXAMPLE_ORDER_ID}` }),
  IdempotentReplayed: z.enum(['true', 'false']).meta({
    description: '`true` when this answer repeats the order of an earlier request with the same `Idempotency-Key`.',
    example: 'false',
  }),
};
const header = (name: keyof typeof headerSchemas) => ({ $ref: `#/components/headers/${name}` });
const rateLimitHeaders = { RateLimit: header('RateLimit'), 'RateLimit-Policy': header('RateLimitPolicy') };

// ---------------------------------------------------------------------------------------------
// Error answers

const response = (name: string) => ({ $ref: `#/components/responses/${name}` });

function errorResponses(): Record<string, ZodOpenApiResponseObject> {
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
function validationFailed(description: string, instance: string, errors: { path: string; message: string }[], detail = 'The request does not match the schema.'): ZodOpenApiResponseObject {
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
function conflict(description: string, title: string, detail: string, instance: string): ZodOpenApiResponseObject {
  return {
    description,
    headers: rateLimitHeaders,
    content: { [PROBLEM_TYPE]: { schema: ProblemSchema, example: problemExample(409, 'conflict', title, detail, instance) } },
  };
}

/** The answers every authenticated /v1 route can give besides its own. */
const AUTHENTICATED: ZodOpenApiResponsesObject = {
  '401': response('Unauthorized'),
  '429': response('TooManyRequests'),
  '500': response('InternalError'),
};
const JSON_BODY_ERRORS: ZodOpenApiResponsesObject = {
  '400': response('BadRequest'),
  '413': response('PayloadTooLarge'),
  '415': response('UnsupportedMediaType'),
};

function ok(description: string, schema: z.ZodType, example: unknown, headers: Record<string, { $ref: string }> = rateLimitHeaders): ZodOpenApiResponseObject {
  return { description, headers, content: { [JSON_TYPE]: { schema, example } } };
}

/** An answer of `GET /v1/dashboard` for a quiet morning. */
function dashboardExample(trace: (id: string) => TraceLink): Dashboard {
  const now = new Date('2025-03-03T09:41:27.000Z');
  const from = windowStart(now, '24h');
  const zero = { b2c: 0, b2b: 0 };
  const intervals = Array.from({ length: 24 }, (_, i) => {
    const busy = i >= 14;
    return {
      start: new Date(from.getTime() + i * 3_600_000).toISOString(),
      created: busy ? { b2c: 12 + i, b2b: 30 + 2 * i } : { b2c: 2, b2b: 5 },
      delivered: busy ? { b2c: 9 + i, b2b: 25 + i } : zero,
      endedOtherwise: i === 20 ? { b2c: 1, b2b: 0 } : zero,
    };
  });
  const sum = (kind: 'created' | 'delivered' | 'endedOtherwise', c: 'b2c' | 'b2b') => intervals.reduce((n, i) => n + i[kind][c], 0);
  const byStatus = [
    ['received', 1, 3],
    ['accepted', 0, 2],
    ['priced', 2, 4],
    ['routed', 3, 11],
    ['awaiting_production', 6, 19],
    ['in_production', 8, 27],
    ['produced', 1, 2],
    ['shipped', 14, 40],
    ['delivered', 4210, 11873],
    ['cancelled', 31, 12],
    ['rejected', 5, 19],
    ['failed', 0, 1],
  ] as const;
  const t = (samples: number, p50Ms: number | null, p95Ms: number | null) => ({ samples, p50Ms, p95Ms });
  return {
    generatedAt: now.toISOString(),
    window: { name: '24h', from: from.toISOString(), interval: 'hour' },
    orders: {
      total: byStatus.reduce((n, [, a, b]) => n + a + b, 0),
      open: byStatus.slice(0, 7).reduce((n, [, a, b]) => n + a + b, 0),
      overdue: 1,
      atRisk: 2,
      byStatus: byStatus.map(([status, b2c, b2b]) => ({ status, b2c, b2b, total: b2c + b2b })),
    },
    throughput: {
      intervals,
      totals: {
        created: { b2c: sum('created', 'b2c'), b2b: sum('created', 'b2b') },
        delivered: { b2c: sum('delivered', 'b2c'), b2b: sum('delivered', 'b2b') },
        endedOtherwise: { b2c: sum('endedOtherwise', 'b2c'), b2b: sum('endedOtherwise', 'b2b') },
      },
    },
    attention: {
      limit: ATTENTION_LIMIT,
      orders: [
        {
          id: EXAMPLE_PARTNER_ORDER_ID,
          channel: 'b2b',
          partnerId: 'acme',
          status: 'in_production',
          priority: 'high',
          promisedBy: '2025-03-03T08:00:00.000Z',
          overdueAt: '2025-03-03T08:00:00.000Z',
          atRiskAt: '2025-03-02T14:00:00.000Z',
          trace: trace(EXAMPLE_PARTNER_ORDER_ID),
        },
        {
          id: EXAMPLE_ORDER_ID,
          channel: 'b2c',
          status: 'shipped',
          priority: 'rush',
          promisedBy: '2025-03-03T16:00:00.000Z',
          atRiskAt: '2025-03-03T09:12:00.000Z',
          trace: trace(EXAMPLE_ORDER_ID),
        },
      ],
    },
    stages: [
      { stage: 'accept', ...t(512, 41.5, 118) },
      { stage: 'price', ...t(509, 187, 1_620) },
      { stage: 'route-to-crm', ...t(509, 93.2, 402) },
      { stage: 'produce', ...t(488, 3_420_000, 10_900_000) },
      { stage: 'ship', ...t(456, 28_300_000, 30_100_000) },
    ],
    queueWait: [
      { stage: 'accept', b2c: t(160, 4.36, 15.5), b2b: t(352, 5.19, 24.7) },
      { stage: 'price', b2c: t(158, 6.17, 41.5), b2b: t(351, 9.51, 187) },
      { stage: 'route-to-crm', b2c: t(158, 3.67, 11.3), b2b: t(351, 4.36, 17.4) },
      { stage: 'produce', b2c: t(151, 52_000, 1_210_000), b2b: t(337, 412_000, 5_130_000) },
      { stage: 'ship', b2c: t(140, 4.76, 14.2), b2b: t(316, 5.66, 19) },
      { stage: 'all', b2c: t(767, 5.19, 198_000), b2b: t(1_707, 6.73, 1_620_000) },
    ],
    percentileRelativeError: 0.0443,
    taskQueues: [
      { queue: 'orders', workflowBacklog: 0, activityBacklog: 0, workers: 2 },
      { queue: 'pricing', workflowBacklog: 0, activityBacklog: 3, workers: 2 },
      { queue: 'crm', workflowBacklog: 0, activityBacklog: 0, workers: 1 },
      { queue: 'mes', workflowBacklog: 0, activityBacklog: 37, workers: 1 },
      { queue: 'shipping', workflowBacklog: 0, activityBacklog: 0, workers: 1 },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The document

/** The OpenAPI 3.1 document of the API (cheap enough to build once per process). */
export function openApiDocument(config: Pick<Config, 'temporal'>): OpenApiDocument {
  const trace = (id: string) => traceLink(config.temporal.uiUrl, config.temporal.namespace, id);
  const ex = examples(trace);
  const secured = (op: ZodOpenApiOperationObject): ZodOpenApiOperationObject => ({ security: [{ [SECURITY_SCHEME]: [] }], ...op });

  const paths: ZodOpenApiPathsObject = {
    '/v1/orders': {
      post: secured({
        operationId: 'createOrder',
        tags: ['Orders'],
        summary: 'Place an order',
        description:
          'Shop and partner keys. Answers `202` once Temporal has durably recorded the order\'s workflow; the order then runs ' +
          'accept → price → route-to-CRM → produce → ship. Shop orders are `b2c`, partner orders `b2b` and tagged with the partner. ' +
          'Send an `Idempotency-Key` to make retries safe.',
        requestParams: { header: z.object({ 'Idempotency-Key': IdempotencyKeyParam }) },
        requestBody: {
          required: true,
          content: {
            [JSON_TYPE]: {
              schema: OrderRequestSchema,
              examples: {
                shop: { summary: 'A shop order: 100 business cards by courier', value: shopOrderExample },
                partner: { summary: 'A partner order with options, a due date and its own reference', value: partnerOrderExample },
              },
            },
          },
        },
        responses: {
          '202': {
            description: 'Accepted: the order is recorded and will run; poll `Location` (or use the partner webhook) for its progress.',
            headers: { Location: header('Location'), 'Idempotent-Replayed': header('IdempotentReplayed'), ...rateLimitHeaders },
            content: {
              [JSON_TYPE]: {
                schema: OrderResourceSchema,
                examples: {
                  shop: { summary: 'A shop order, just received', value: ex.received },
                  partner: { summary: 'A partner order, just received', value: ex.partnerReceived },
                },
              },
            },
          },
          ...JSON_BODY_ERRORS,
          '403': response('Forbidden'),
          '409': conflict(
            'An order with this id exists already (only when a retried start collides without an `Idempotency-Key`).',
            'Conflict',
            `Order ${EXAMPLE_ORDER_ID} exists already.`,
            '/v1/orders',
          ),
          '422': validationFailed(
            'The body does not fit the schema, breaks a business rule of the catalog (unknown SKU or option, quantity out of range, date not feasible), ' +
              'or reuses an `Idempotency-Key` with a different body. `errors[].path` names each offending field.',
            '/v1/orders',
            [
              { path: 'items.0.quantity', message: 'Too small: expected number to be >0' },
              { path: 'shipping.address', message: 'an address is required for courier shipping' },
            ],
          ),
          '503': response('ServiceUnavailable'),
          ...AUTHENTICATED,
        },
      }),
      get: secured({
        operationId: 'listOrders',
        tags: ['Orders'],
        summary: "List the caller's orders",
        description:
          `Newest first, one page at a time (keyset pagination): pass \`nextCursor\` back as \`cursor\` with the same filters; it is null on the last page. ` +
          `\`limit\` 1–${MAX_LIMIT}, default ${DEFAULT_LIMIT}. Partner keys see only their partner's orders, the shop key only \`b2c\` orders, ` +
          'operator keys all orders (and may filter by `partnerId`). Read from the orders projection: the latest status can show here a moment after `GET /v1/orders/{id}`.',
        requestParams: { query: OrderListQuerySchema },
        responses: {
          '200': ok('One page of orders.', OrderListSchema, ex.list),
          '400': {
            description: 'The cursor was not issued by this API.',
            headers: rateLimitHeaders,
            content: {
              [PROBLEM_TYPE]: {
                schema: ProblemSchema,
                example: problemExample(
                  400,
                  'bad-request',
                  'Invalid cursor',
                  'The cursor is malformed. Pass nextCursor of a previous page unchanged, or omit it for the first page.',
                  '/v1/orders?cursor=abc',
                  { errors: [{ path: 'cursor', message: 'malformed cursor' }] },
                ),
              },
            },
          },
          '403': response('Forbidden'),
          '422': validationFailed(
            'An unknown `status`, a `channel` other than `b2c|b2b`, a `limit` outside 1–100, `partnerId` from a non-operator key, or an unknown parameter.',
            '/v1/orders?limit=500',
            [{ path: 'limit', message: 'Too big: expected number to be <=100' }],
            'The query parameters do not match the schema.',
          ),
          ...AUTHENTICATED,
        },
      }),
    },
    '/v1/orders/{id}': {
      get: secured({
        operationId: 'getOrder',
        tags: ['Orders'],
        summary: 'Read one order',
        description:
          'The order with its status, price, promised date, timeline (every stage with start, end, attempts, priority and queue wait) and `trace.url`, ' +
          'its page in the Temporal Web UI. Asked of the order\'s workflow; when no worker can answer, read from the projection.',
        requestParams: { path: z.object({ id: OrderIdParam }) },
        responses: {
          '200': {
            description: 'The order.',
            headers: rateLimitHeaders,
            content: {
              [JSON_TYPE]: {
                schema: OrderResourceSchema,
                examples: {
                  delivered: { summary: 'A delivered shop order', value: ex.delivered },
                  cancelled: { summary: 'A partner order cancelled before production', value: ex.cancelled },
                },
              },
            },
          },
          '404': response('NotFound'),
          '503': response('ServiceUnavailable'),
          ...AUTHENTICATED,
        },
      }),
    },
    '/v1/orders/{id}/cancel': {
      post: secured({
        operationId: 'cancelOrder',
        tags: ['Orders'],
        summary: 'Cancel an order',
        description:
          'Until production has started (while `awaiting_production` or `in_production`, only if the production job is not on a line yet: the production system decides). ' +
          'Answers with the order once it has ended `cancelled`; 503 with Retry-After when the production system did not answer in time (the order goes on). ' +
          'The body is optional: send JSON, or no body and no Content-Type at all; any other body is refused with 415 and changes nothing.',
        requestParams: { path: z.object({ id: OrderIdParam }) },
        requestBody: {
          required: false,
          content: { [JSON_TYPE]: { schema: CancelBodySchema, example: { reason: 'The customer changed the artwork.' } } },
        },
        responses: {
          '202': ok('The order, cancelled.', OrderResourceSchema, ex.cancelled),
          '400': response('BadRequest'),
          '404': response('NotFound'),
          '409': conflict(
            'Too late: production has finished or the order has ended.',
            'Too late to cancel',
            'The order is shipped; orders can be cancelled until their production has started.',
            `/v1/orders/${EXAMPLE_ORDER_ID}/cancel`,
          ),
          '413': response('PayloadTooLarge'),
          '415': response('UnsupportedMediaType'),
          '422': validationFailed('The body does not fit the schema.', `/v1/orders/${EXAMPLE_ORDER_ID}/cancel`, [
            { path: 'reason', message: 'Too big: expected string to have <=500 characters' },
          ]),
          '503': response('ServiceUnavailable'),
          ...AUTHENTICATED,
        },
      }),
    },
    '/v1/orders/{id}/priority': {
      post: secured({
        operationId: 'reprioritizeOrder',
        tags: ['Orders'],
        summary: "Change a live order's priority (operators)",
        description:
          'Operator keys only. The new priority applies to the order\'s next activities on every queue; the change and its reason are recorded in the timeline. ' +
          'Asking for the priority the order has already changes nothing and answers the order. ' +
          `Not possible once the order has ended, nor after ${MAX_PRIORITY_CHANGES} changes of one order (409).`,
        requestParams: { path: z.object({ id: OrderIdParam }) },
        requestBody: {
          required: true,
          content: { [JSON_TYPE]: { schema: PriorityBodySchema, example: { priority: 'rush', reason: 'Trade fair on Friday, the customer escalated' } } },
        },
        responses: {
          '200': ok('The order with its new priority.', OrderResourceSchema, ex.reprioritized),
          ...JSON_BODY_ERRORS,
          '403': response('Forbidden'),
          '404': response('NotFound'),
          '409': conflict(
            'The order has ended, or the workflow refused the change.',
            'Order has ended',
            'The order is delivered; its priority can no longer change.',
            `/v1/orders/${EXAMPLE_ORDER_ID}/priority`,
          ),
          '422': validationFailed('The body does not fit the schema.', `/v1/orders/${EXAMPLE_ORDER_ID}/priority`, [
            { path: 'priority', message: 'Invalid option: expected one of "rush"|"high"|"normal"|"low"' },
          ]),
          '503': response('ServiceUnavailable'),
          ...AUTHENTICATED,
        },
      }),
    },
    '/v1/catalog': {
      get: secured({
        operationId: 'getCatalog',
        tags: ['Catalog'],
        summary: 'The product catalog',
        description: 'Products with their options (and defaults), quantity limits and lead times. Cacheable for 5 minutes.',
        responses: {
          '200': ok('The catalog.', CatalogSchema, ex.catalog, {
            ...rateLimitHeaders,
            'Cache-Control': { $ref: '#/components/headers/CacheControl' },
          }),
          ...AUTHENTICATED,
        },
      }),
    },
    '/v1/quotes': {
      post: secured({
        operationId: 'createQuote',
        tags: ['Catalog'],
        summary: 'Price items without ordering',
        description: 'Priced by the same engine (and task queue) as orders; nothing is recorded.',
        requestBody: { required: true, content: { [JSON_TYPE]: { schema: QuoteRequestSchema, example: quoteExample } } },
        responses: {
          '200': ok('The price.', QuoteResponseSchema, ex.quote),
          ...JSON_BODY_ERRORS,
          '422': validationFailed('The items do not fit the schema or break a business rule of the catalog.', '/v1/quotes', [
            { path: 'items.0.sku', message: 'unknown product "BC-XXL"' },
          ], 'The items break business rules of the catalog.'),
          '503': response('ServiceUnavailable'),
          ...AUTHENTICATED,
        },
      }),
    },
    '/v1/integrations/mes/events': {
      post: secured({
        operationId: 'receiveMesEvent',
        tags: ['Integrations'],
        summary: 'An event of the MES about a production job',
        description:
          'MES keys only (kind `mes`), signed with the MES webhook secret. `job.completed` completes the order\'s production step ' +
          '(the job\'s `callbackRef`, which the pipeline handed over with the job, names the waiting step); `job.cancelled` ends it as ' +
          'cancelled; `job.started` is recorded. Events that name no known order or come too late are answered `200` with ' +
          '`accepted: false` and a reason: do not send them again. A repeated event id gets the first answer again (`duplicate: true`).',
        requestParams: {
          header: z.object({
            [SIGNATURE_HEADER]: requestHeader()
              .meta({ description: '`t=<unix seconds>,v1=<hex HMAC-SHA256(MES_WEBHOOK_SECRET, "<t>.<raw body>")>`, at most 5 minutes old; the example is signed with `mes-example-secret`.', example: ex.mesSignature }),
          }),
        },
        requestBody: { required: true, content: { [JSON_TYPE]: { schema: MesEventSchema, example: ex.mesEvent } } },
        responses: {
          '200': {
            description: 'Handled (the event changed the order, or it is unknown, stale or repeated — see `accepted`).',
            headers: rateLimitHeaders,
            content: {
              [JSON_TYPE]: {
                schema: IntegrationAnswerSchema,
                examples: {
                  accepted: { summary: 'Production completed', value: ex.integrationAnswers.accepted },
                  stale: { summary: 'Too late: the step was completed already', value: ex.integrationAnswers.stale },
                },
              },
            },
          },
          ...JSON_BODY_ERRORS,
          '403': response('Forbidden'),
          '409': {
            ...conflict(
              'An earlier delivery of this event id is still being handled; send the event again after `Retry-After` seconds for its answer.',
              'Event being handled',
              'Event job_4b1f…:completed is being handled by an earlier delivery; send it again later for its answer.',
              '/v1/integrations/mes/events',
            ),
            headers: { 'Retry-After': header('RetryAfter'), ...rateLimitHeaders },
          },
          '422': validationFailed('The body is not an MES event.', '/v1/integrations/mes/events', [{ path: 'job.completedAt', message: 'Invalid input: expected string, received undefined' }]),
          '503': response('ServiceUnavailable'),
          ...AUTHENTICATED,
        },
      }),
    },
    '/v1/integrations/carrier/events': {
      post: secured({
        operationId: 'receiveCarrierEvent',
        tags: ['Integrations'],
        summary: 'An event of the carrier about a shipment',
        description:
          'Carrier keys only (kind `carrier`), signed with the carrier webhook secret. `shipment.delivered` becomes the order workflow\'s ' +
          'signal `carrierEvent`: the order is delivered at once instead of waiting for its fallback (asking the carrier once the expected ' +
          'delivery plus the grace time has passed). Unknown orders, other tracking numbers and deliveries already known are answered `200` with ' +
          '`accepted: false`; a repeated event id gets the first answer again (`duplicate: true`); an event before the shipment is booked is `409`: send it again later.',
        requestParams: {
          header: z.object({
            [SIGNATURE_HEADER]: requestHeader()
              .meta({ description: '`t=<unix seconds>,v1=<hex HMAC-SHA256(CARRIER_WEBHOOK_SECRET, "<t>.<raw body>")>`, at most 5 minutes old; the example is signed with `carrier-example-secret`.', example: ex.carrierSignature }),
          }),
        },
        requestBody: { required: true, content: { [JSON_TYPE]: { schema: CarrierEventSchema, example: ex.carrierEvent } } },
        responses: {
          '200': {
            description: 'Handled (see `accepted`).',
            headers: rateLimitHeaders,
            content: {
              [JSON_TYPE]: {
                schema: IntegrationAnswerSchema,
                examples: {
                  unknown: { summary: 'No such order', value: ex.integrationAnswers.unknown },
                  duplicate: { summary: 'The same event again', value: ex.integrationAnswers.duplicate },
                },
              },
            },
          },
          ...JSON_BODY_ERRORS,
          '403': response('Forbidden'),
          '409': {
            ...conflict(
              "The order's shipment is not booked yet (the carrier was quicker than the pipeline), or an earlier delivery of this event id is still being handled: send the event again after `Retry-After` seconds.",
              'Shipment not booked yet',
              `Order ${EXAMPLE_ORDER_ID} has no shipment booked yet (status produced); send the event again later.`,
              '/v1/integrations/carrier/events',
            ),
            headers: { 'Retry-After': header('RetryAfter'), ...rateLimitHeaders },
          },
          '422': validationFailed('The body is not a carrier event.', '/v1/integrations/carrier/events', [{ path: 'shipment.trackingNumber', message: 'Invalid input: expected string, received undefined' }]),
          '503': response('ServiceUnavailable'),
          ...AUTHENTICATED,
        },
      }),
    },
    '/v1/dashboard': {
      get: secured({
        operationId: 'getDashboard',
        tags: ['Dashboard'],
        summary: "The operators' dashboard figures",
        description:
          'Operator keys only. Orders by status and channel, throughput per interval, open overdue and at-risk orders with their Web UI links, ' +
          'stage duration and queue wait percentiles (shop against partner orders), backlog and workers per task queue. Read from rollups that ' +
          'triggers keep in the shop database, so the answer costs the same however many orders exist. `GET /dashboard` draws it.',
        requestParams: { query: DashboardQuerySchema },
        responses: {
          '200': ok('The figures.', DashboardSchema, dashboardExample(trace)),
          '403': response('Forbidden'),
          '422': validationFailed('An unknown `window` or query parameter.', '/v1/dashboard?window=1y', [
            { path: 'window', message: 'Invalid option: expected one of "24h"|"7d"|"30d"' },
          ], 'The query parameters do not match the schema.'),
          ...AUTHENTICATED,
        },
      }),
    },
    '/dashboard': {
      get: {
        operationId: 'dashboardPage',
        tags: ['Dashboard'],
        summary: "The operators' dashboard (HTML)",
        description:
          'A static page: it asks for an operator key and draws `GET /v1/dashboard` with Chart.js (served from this server), refreshing every 10 s. ' +
          'The page itself holds no data.',
        security: [],
        responses: { '200': { description: 'The dashboard page.', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        tags: ['Operations'],
        summary: 'Liveness',
        security: [],
        responses: { '200': { description: 'The process is alive.', content: { [JSON_TYPE]: { schema: HealthSchema, example: { status: 'ok' } } } } },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readiness',
        tags: ['Operations'],
        summary: 'Readiness',
        security: [],
        responses: {
          '200': {
            description: 'Temporal and the shop database answer, and the Temporal namespace has every search attribute an order sets.',
            content: {
              [JSON_TYPE]: {
                schema: ReadinessSchema,
                example: { status: 'ready', checks: { temporal: 'ok', namespace: 'ok', searchAttributes: 'ok', database: 'ok' } },
              },
            },
          },
          '503': {
            description:
              'A dependency does not answer, or the Temporal namespace is not set up for orders (`npm run temporal:setup`); `checks` names the failing check.',
            content: {
              [JSON_TYPE]: {
                schema: ReadinessSchema,
                example: { status: 'not ready', checks: { temporal: 'ok', namespace: 'ok', searchAttributes: 'missing', database: 'ok' } },
              },
            },
          },
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        tags: ['Documentation'],
        summary: 'This document',
        description: 'OpenAPI 3.1, generated from the zod schemas the API validates with.',
        security: [],
        responses: { '200': { description: 'The OpenAPI document.', content: { [JSON_TYPE]: { schema: { type: 'object' } } } } },
      },
    },
    '/docs': {
      get: {
        operationId: 'docs',
        tags: ['Documentation'],
        summary: 'API documentation (HTML)',
        description: 'Swagger UI over this document, served from local assets (works offline).',
        security: [],
        responses: { '200': { description: 'The documentation page.', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
  };

  const document: OpenApiDocument = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Order pipeline API',
      version: '1',
      description:
        'Every order is a durable Temporal workflow (accept → price → route-to-CRM → produce → ship). All business routes are under `/v1` and take an ' +
        'API key as `Authorization: Bearer <key>`; each key has a rate limit by its tier. Errors are `application/problem+json` (RFC 9457) with ' +
        '`errors[].path` naming offending fields. Partners with a webhook receive signed events on every status change of their orders (see Webhooks).',
    },
    // Relative: whichever deployment serves the document (local, staging or production) is the
    // server; partners reach it through the public gateway.
    servers: [{ url: '/', description: 'The server of this document: local, staging or production alike', 'x-internal': false }],
    security: [{ [SECURITY_SCHEME]: [] }],
    tags: [
      { name: 'Orders', description: 'Place, read, list and cancel orders.' },
      { name: 'Catalog', description: 'Products and prices.' },
      { name: 'Dashboard', description: "The operators' analytics page and its figures." },
      { name: 'Integrations', description: 'Events of the MES and the carrier about their work (keys of kind `mes` / `carrier`, signed bodies).' },
      { name: 'Operations', description: 'Probes for orchestrators and load balancers (no key).' },
      { name: 'Documentation', description: 'This document and its HTML rendering (no key).' },
    ],
    paths,
    webhooks: {
      orderStatusChanged: {
        post: {
          operationId: 'orderStatusChanged',
          summary: 'Order status changed (sent to the partner)',
          description:
            'POSTed to the webhook URL of a partner client on every status change of its orders (`type: order.status_changed`) and when an order ' +
            'goes past its promised date (`type: order.overdue`). Verify `Webhook-Signature` before trusting the body: recompute ' +
            '`hex(HMAC-SHA256(secret, "<t>.<raw body>"))` with the webhook secret you were given and compare it (constant-time) with `v1`; ' +
            'reject old `t` values to prevent replays. Events can repeat (deliveries are retried) and arrive out of order: deduplicate on ' +
            '`Webhook-Id` (= `id`) and order by `occurredAt`. Any answer but 2xx (or none within 10 s) is retried with backoff.',
          security: [],
          requestParams: {
            header: z.object({
              [EVENT_ID_HEADER]: z.string().max(200).meta({ description: 'The event id (same as `id` in the body); deduplicate on it.', example: ex.webhookEvent.id }),
              [SIGNATURE_HEADER]: z
                .string()
                .max(100)
                .regex(/^t=\d+,v1=[0-9a-f]{64}$/)
                .meta({
                  description: '`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; the example is signed with the secret `whsec_example_secret`.',
                  example: ex.webhookSignature,
                }),
            }),
          },
          requestBody: { required: true, content: { [JSON_TYPE]: { schema: WebhookEventSchema, example: ex.webhookEvent } } },
          responses: {
            '2XX': { description: 'Received. Answer quickly; do the work afterwards.' },
            default: { description: 'Not received: the event is delivered again later, with backoff.' },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'API key',
          description:
            'An API key: `Authorization: Bearer <key>`. Kinds: `shop` (orders are b2c), `partner` (orders are b2b, tagged with the partner), `operator` ' +
            '(read and cancel any order), and `mes` / `carrier` (the systems\' integration events only). Keys are made with `npm run clients -- create`; development keys are seeded outside production.',
        },
      },
      schemas: {
        OrderRequest: OrderRequestSchema,
        Customer: CustomerSchema,
        OrderItem: OrderItemSchema,
        Shipping: ShippingSchema,
        Address: AddressSchema,
        CancelRequest: CancelBodySchema,
        PriorityRequest: PriorityBodySchema,
        QuoteRequest: QuoteRequestSchema,
        OrderResource: OrderResourceSchema,
        TimelineEntry: TimelineEntrySchema,
        OrderFailure: OrderFailureSchema,
        Shipment: ShipmentSchema,
        Sla: SlaSchema,
        OrderSummary: OrderSummarySchema,
        OrderList: OrderListSchema,
        Price: PriceSchema,
        PriceLine: PriceLineSchema,
        TraceLink: TraceLinkSchema,
        Catalog: CatalogSchema,
        QuoteResponse: QuoteResponseSchema,
        Problem: ProblemSchema,
        RateLimitProblem: RateLimitProblemSchema,
        FieldError: FieldErrorSchema,
        Health: HealthSchema,
        Readiness: ReadinessSchema,
        WebhookEvent: WebhookEventSchema,
        MesEvent: MesEventSchema,
        CarrierEvent: CarrierEventSchema,
        IntegrationAnswer: IntegrationAnswerSchema,
      },
      headers: {
        ...headerSchemas,
        CacheControl: z.string().max(100).meta({ description: 'The catalog may be cached.', example: 'public, max-age=300' }),
      },
      responses: errorResponses(),
    },
  }, { override: integerFormat });
  return document;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Names the width of every integer by the bounds its zod schema has (`z.int()` is bounded to
 * safe integers, which fit int64): `int32` when both bounds fit 32 bits, else `int64`.
 */
function integerFormat({ jsonSchema }: { jsonSchema: Record<string, unknown> }): void {
  const type = jsonSchema.type;
  if (!(type === 'integer' || (Array.isArray(type) && type.includes('integer'))) || jsonSchema.format !== undefined) return;
  const min = (jsonSchema.minimum ?? jsonSchema.exclusiveMinimum) as number | undefined;
  const max = (jsonSchema.maximum ?? jsonSchema.exclusiveMaximum) as number | undefined;
  if (min === undefined || max === undefined) return;
  jsonSchema.format = min >= INT32_MIN && max <= INT32_MAX ? 'int32' : 'int64';
}
