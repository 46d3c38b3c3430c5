/**
 * The API's OpenAPI 3.1 document, generated from the zod schemas the routes validate with
 * (request bodies, query) and the response shapes of src/api/schemas.ts. Nothing here repeats a
 * schema by hand: `zod-openapi` renders them; this file adds the routes, status codes, headers,
 * security and examples. The examples are built with the same functions that build real
 * answers (initialOrderState, toOrderResource, priceOrder, catalogResource, signWebhook), and
 * test/openapi.test.ts validates every example against its schema.
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { Config } from '../config.js';
import { AddressSchema, CustomerSchema, OrderItemSchema, OrderRequestSchema, ShippingSchema } from '../domain/order.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER } from '../webhook-signature.js';
import { MAX_PRIORITY_CHANGES } from '../workflows/order/contract.js';
import { DashboardQuerySchema, DashboardSchema } from './dashboard.js';
import { EXAMPLE_ORDER_ID, apiExamples, partnerOrderExample, problemExample, shopOrderExample } from './examples.js';
import { traceLink } from './order-resource.js';
import { openApiPaths } from './route.js';
import {
  AUTHENTICATED,
  IdempotencyKeyParam,
  JSON_BODY_ERRORS,
  JSON_TYPE,
  OrderIdParam,
  PROBLEM_TYPE,
  conflict,
  errorResponses,
  header,
  headerSchemas,
  ok,
  rateLimitHeaders,
  requestHeader,
  response,
  validationFailed,
} from './route-docs.js';
import { CATALOG_ROUTES } from './routes/catalog.js';
import {
  CancelBodySchema,
  CarrierEventSchema,
  CatalogSchema,
  DEFAULT_LIMIT,
  FieldErrorSchema,
  HealthSchema,
  IntegrationAnswerSchema,
  MAX_LIMIT,
  MesEventSchema,
  OrderFailureSchema,
  OrderListQuerySchema,
  OrderListSchema,
  OrderResourceSchema,
  OrderSummarySchema,
  PriceLineSchema,
  PriceSchema,
  PriorityBodySchema,
  ProblemSchema,
  QuoteRequestSchema,
  QuoteResponseSchema,
  RateLimitProblemSchema,
  ReadinessSchema,
  ShipmentSchema,
  SlaSchema,
  TimelineEntrySchema,
  TraceLinkSchema,
  WebhookEventSchema,
} from './schemas.js';

/** The generated document (an OpenAPI 3.1 object). */
export type OpenApiDocument = ReturnType<typeof createDocument>;

const SECURITY_SCHEME = 'apiKey';

// ---------------------------------------------------------------------------------------------
// The document

/** The OpenAPI 3.1 document of the API (cheap enough to build once per process). */
export function openApiDocument(config: Pick<Config, 'temporal'>): OpenApiDocument {
  const trace = (id: string) => traceLink(config.temporal.uiUrl, config.temporal.namespace, id);
  const ex = apiExamples(trace);
  const secured = (op: ZodOpenApiOperationObject): ZodOpenApiOperationObject => ({ security: [{ [SECURITY_SCHEME]: [] }], ...op });

  const paths: ZodOpenApiPathsObject = {
    ...openApiPaths(CATALOG_ROUTES, ex),
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
          '200': ok('The figures.', DashboardSchema, ex.dashboard),
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
    '/metrics': {
      get: {
        operationId: 'metrics',
        tags: ['Operations'],
        summary: 'Prometheus metrics',
        description:
          'Metrics of this process in the Prometheus text format (requests, pricing, CRM, stage durations, orders by status, backlog). ' +
          'For Prometheus inside the deployment; the public gateway does not serve it.',
        security: [],
        responses: { '200': { description: 'The metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
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
