/**
 * The API's OpenAPI 3.1 document: the operations come from the route declarations
 * (src/api/routes/*.ts, the same ones the express app is built from), the shapes from the zod
 * schemas of src/api/schemas.ts, the shared answers and headers from src/api/route-docs.ts and
 * the examples from src/api/examples.ts. This file adds what is not a route: info, tags,
 * security scheme, the partner webhook and the named components.
 */
import { z } from 'zod';
import { createDocument } from 'zod-openapi';
import type { Config } from '../platform/config.js';
import { AddressSchema, CustomerSchema, OrderItemSchema, OrderRequestSchema, ShippingSchema } from '../domain/order.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER } from '../platform/webhook-signature.js';
import { apiExamples } from './examples.js';
import { traceLink } from './order-resource.js';
import { SECURITY_SCHEME, openApiPaths } from './route.js';
import { JSON_TYPE, errorResponses, headerSchemas } from './route-docs.js';
import { CATALOG_ROUTES } from './routes/catalog.js';
import { CODEC_ROUTES } from './routes/codec.js';
import { DASHBOARD_PAGE_ROUTES, DASHBOARD_ROUTES } from './routes/dashboard.js';
import { DOCS_ROUTES } from './routes/docs.js';
import { HEALTH_ROUTES } from './routes/health.js';
import { INTEGRATION_ROUTES } from './routes/integrations.js';
import { ORDER_LIST_ROUTES } from './routes/orders-list.js';
import { ORDER_ROUTES } from './routes/orders.js';
import {
  CancelBodySchema,
  CarrierEventSchema,
  CatalogSchema,
  FieldErrorSchema,
  HealthSchema,
  IntegrationAnswerSchema,
  MesEventSchema,
  OrderFailureSchema,
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

/** Every route the API serves, in the order of the document. */
const API_ROUTES = [
  ...ORDER_ROUTES,
  ...ORDER_LIST_ROUTES,
  ...CATALOG_ROUTES,
  ...INTEGRATION_ROUTES,
  ...DASHBOARD_ROUTES,
  ...DASHBOARD_PAGE_ROUTES,
  ...CODEC_ROUTES,
  ...HEALTH_ROUTES,
  ...DOCS_ROUTES,
];

/** The OpenAPI 3.1 document of the API (cheap enough to build once per process). */
export function openApiDocument(config: Pick<Config, 'temporal'>): OpenApiDocument {
  const ex = apiExamples((id: string) => traceLink(config.temporal.uiUrl, config.temporal.namespace, id));
  const document: OpenApiDocument = createDocument(
    {
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
      paths: openApiPaths(API_ROUTES, ex),
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
                [EVENT_ID_HEADER]: z
                  .string()
                  .max(200)
                  .meta({ description: 'The event id (same as `id` in the body); deduplicate on it.', example: ex.webhookEvent.id }),
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
              "(read and cancel any order), and `mes` / `carrier` (the systems' integration events only). Keys are made with `npm run clients -- create`; development keys are seeded outside production.",
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
    },
    { override: integerFormat },
  );
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
