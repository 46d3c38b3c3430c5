/**
 * Every zod shape of the API, requests and answers alike: the order resource and its list, prices,
 * the catalog and quotes, the bodies and queries routes validate, the integration events,
 * problems, health, and the partner webhook's event. They exist once, here; the routes
 * (src/api/routes/*.ts) validate with them, the producing code type-checks against them
 * (`satisfies z.infer<…>`), and the OpenAPI document (src/api/openapi.ts) is generated from them.
 * This module imports no route and nothing that builds an answer.
 */
import { z } from 'zod';
import { CHANNELS, CustomerSchema, OrderItemSchema, ShippingSchema } from '../domain/order.js';
import type { PriceBreakdown } from '../domain/pricing/index.js';
import { PRIORITY_CLASSES } from '../domain/priority.js';
import { ORDER_STATUSES } from '../domain/status.js';
import { SIGNATURE_TOLERANCE_S } from '../platform/webhook-signature.js';
import { STAGES, type OrderFailure, type OrderState, type TimelineEntry } from '../order/contract.js';
import { CLIENT_ID, CLIENT_ID_MAX_LENGTH } from './clients.js';
import type { WebhookEvent } from '../webhooks/contract.js';

/** True when A and B are the same type; a `const x: Same<…> = true` fails to compile on drift. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** True when A has no key B lacks: `satisfies` does not see keys added by a conditional spread. */
export type NoExtraKeys<A, B> = [Exclude<keyof A, keyof B>] extends [never] ? true : false;

// ---------------------------------------------------------------------------------------------
// Problems (RFC 9457)

/** One field-level problem (src/api/problem.ts `FieldError`). */
export const FieldErrorSchema = z
  .strictObject({
    path: z.string().describe('Dot-separated path of the field or query parameter, e.g. `items.0.quantity`; `(root)` for the whole body.'),
    message: z.string(),
  })
  .describe('One field that breaks the schema or a business rule.');

/** `application/problem+json` body of every error answer; extension members are allowed. */
export const ProblemSchema = z
  .looseObject({
    type: z.url().describe('URI identifying the problem type.'),
    title: z.string().describe('Short, human-readable summary of the problem type.'),
    status: z.int().min(400).max(599).describe('The HTTP status code.'),
    detail: z.string().optional().describe('Explanation specific to this occurrence.'),
    instance: z.string().optional().describe('The request path that caused the problem.'),
    errors: z.array(FieldErrorSchema).optional().describe('Offending fields (400 cursor, 422 validation).'),
  })
  .describe('Problem Details for HTTP APIs (RFC 9457).');

/** The 429 problem: the limit that applied and when to retry. */
export const RateLimitProblemSchema = ProblemSchema.extend({
  limit: z.int().describe('Requests the key may make per window (its tier).'),
  windowSeconds: z.int().describe('Length of the rate-limit window in seconds.'),
  retryAfterSeconds: z.int().describe('Seconds until the window resets; also sent as `Retry-After`.'),
}).describe("Problem of a request over the key's rate limit.");

// ---------------------------------------------------------------------------------------------
// Prices and trace links

export const PriceLineSchema = z.strictObject({
  sku: z.string(),
  quantity: z.int(),
  options: z.record(z.string(), z.string()).describe('Options priced, defaults filled in.'),
  setupMinor: z.int().describe('Prepress, make-ready and finishing setups, before discounts.'),
  runMinor: z.int().describe('Material + press + finishing of the run, before discounts.'),
  discountPercent: z.number().describe('Quantity break reached: the run cost beyond it is reduced by this much.'),
  totalMinor: z.int().describe('The line after discounts and surcharges, VAT excluded.'),
  // Present on every price made since the production costing; absent on older ones.
  press: z.string().optional().describe('Press chosen: the cheapest for this quantity.'),
  sheet: z.string().optional().describe('Press sheet chosen: least waste among the sizes the press takes.'),
  layout: z.string().optional().describe('Pieces on the sheet, e.g. `8×4 upright + 2×5 turned`.'),
  upsPerSheet: z.int().optional(),
  sheets: z.int().optional().describe('Sheets printed, spoilage included.'),
  spoilageSheets: z.int().optional(),
  wastePercent: z.number().optional().describe('Share of the sheet that is not trimmed product.'),
  material: z.string().optional(),
  materialMinor: z.int().optional(),
  pressMinor: z.int().optional(),
  finishing: z.array(z.string()).optional(),
  finishingMinor: z.int().optional(),
  quantityDiscountMinor: z.int().optional(),
  priceListDiscountMinor: z.int().optional(),
  rushSurchargeMinor: z.int().optional(),
});

/** A checkable price, every amount in minor units (src/domain/pricing/). */
export const PriceSchema = z
  .strictObject({
    currency: z.string(),
    lines: z.array(PriceLineSchema),
    subtotalMinor: z.int(),
    vatMinor: z.int(),
    totalMinor: z.int(),
    priceList: z.string().optional().describe("Price list applied: `list` for the shop, a partner's own otherwise."),
    priceListVersion: z.string().optional().describe('Version of the figures the price was made with.'),
    rush: z.boolean().optional().describe('Priced as a rush order (rush surcharge on every line).'),
  })
  .describe('Price breakdown; amounts in minor units (cents), VAT included in totalMinor.');
// Fails to compile when the domain's PriceBreakdown and this schema drift apart.
const priceSchemaIsPriceBreakdown: Same<z.output<typeof PriceSchema>, PriceBreakdown> = true;

export const TraceLinkSchema = z
  .strictObject({
    workflowId: z.string(),
    url: z.url().optional().describe('The order in the Temporal Web UI; not for partner keys (an internal address).'),
  })
  .describe('Where the order can be traced in Temporal.');
void priceSchemaIsPriceBreakdown;

// ---------------------------------------------------------------------------------------------
// Orders

/** Kinds of timeline entries (contract.ts `TimelineKind`). */
export const TIMELINE_KINDS = [...STAGES, 'cancel', 'reprioritize', 'escalate', 'overdue'] as const;

export const TimelineEntrySchema = z
  .strictObject({
    seq: z.int().min(0).describe('Position in the timeline, from 0.'),
    stage: z.enum(TIMELINE_KINDS).describe('A pipeline stage, an action on the order, or a promised-date event.'),
    status: z.enum(['running', 'completed', 'failed', 'cancelled']),
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime().optional(),
    attempts: z.int().min(0).describe("Attempts the stage's last activity needed."),
    priority: z.enum(PRIORITY_CLASSES).describe('Priority of the order at the time.'),
    queueWaitMs: z.number().min(0).optional().describe("Milliseconds the stage's activity waited in its task queue."),
    detail: z.string().optional(),
  })
  .describe('One entry of the order timeline.');

export const OrderFailureSchema = z
  .strictObject({
    stage: z.enum(STAGES),
    type: z.string().describe('Failure type, e.g. `OrderRejected`.'),
    message: z.string(),
    issues: z.array(FieldErrorSchema).optional().describe('Business rules the order breaks (rejected orders).'),
  })
  .describe('Why an order ended `rejected` or `failed`.');

export const ShipmentSchema = z
  .strictObject({
    trackingNumber: z.string(),
    deliveredAt: z.iso.datetime().optional(),
    source: z
      .enum(['webhook', 'polling'])
      .optional()
      .describe("How the delivery became known: the carrier's event on the integration webhook, or asking the carrier when no event came."),
  })
  .describe('The carrier booking, once the order is shipped.');

export const SlaSchema = z
  .strictObject({
    atRiskAt: z.iso.datetime().optional().describe('When the order counts as at risk of missing its promised date (and is escalated).'),
    atRisk: z.boolean().optional(),
    overdueAt: z.iso.datetime().optional().describe('When the order went past its promised date unfinished.'),
  })
  .describe('Promised-date watch.');

/** `GET /v1/orders/{id}` (and the answer of `POST /v1/orders`, cancel and priority). */
export const OrderResourceSchema = z
  .strictObject({
    id: z.uuid(),
    channel: z.enum(CHANNELS),
    partnerId: z.string().optional().describe('Set on partner (b2b) orders.'),
    status: z.enum(ORDER_STATUSES),
    priority: z.enum(PRIORITY_CLASSES),
    customer: CustomerSchema,
    items: z.array(OrderItemSchema),
    shipping: ShippingSchema,
    dueBy: z.iso.datetime({ offset: true }).optional().describe('Deadline the customer asked for.'),
    externalRef: z.string().optional().describe("The caller's own reference."),
    notes: z.string().optional(),
    price: PriceSchema.optional().describe('Present once the order is priced.'),
    promisedBy: z.iso.datetime().nullable().describe('Promised delivery date; null until accepted.'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    timeline: z.array(TimelineEntrySchema),
    shipment: ShipmentSchema.optional(),
    failure: OrderFailureSchema.optional(),
    sla: SlaSchema.optional(),
    trace: TraceLinkSchema,
  })
  .describe('An order with its full timeline.');
export type OrderResourceShape = z.output<typeof OrderResourceSchema>;

// ---------------------------------------------------------------------------------------------
// Order list

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** One order in a list: the order without its timeline, shipment and failure details. */
export const OrderSummarySchema = z
  .strictObject({
    id: z.string(),
    channel: z.enum(CHANNELS),
    partnerId: z.string().optional().describe('Set on partner (b2b) orders.'),
    status: z.enum(ORDER_STATUSES),
    priority: z.enum(PRIORITY_CLASSES),
    customer: z.strictObject({ name: z.string(), email: z.email() }),
    items: z.array(OrderItemSchema),
    shipping: ShippingSchema,
    price: PriceSchema.optional().describe('Present once the order is priced.'),
    totalMinor: z.int().optional().describe('Total incl. VAT in minor units; present once priced.'),
    promisedBy: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    trace: TraceLinkSchema,
  })
  .describe('Summary of an order as listed by GET /v1/orders; GET /v1/orders/{id} has the full order.');
export type OrderSummary = z.output<typeof OrderSummarySchema>;

/** Answer of `GET /v1/orders`. */
export const OrderListSchema = z
  .strictObject({
    data: z.array(OrderSummarySchema),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  })
  .describe('One page of orders, newest first.');
export type OrderList = z.output<typeof OrderListSchema>;

/** Longest cursor this API issues (and accepts). */
export const MAX_CURSOR_LENGTH = 512;

/** Query of `GET /v1/orders`; unknown parameters are refused. */
export const OrderListQuerySchema = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  channel: z.enum(CHANNELS).optional(),
  partnerId: z
    .string()
    .max(CLIENT_ID_MAX_LENGTH)
    .regex(CLIENT_ID, 'a partner id: lower-case letters, digits, ".", "_" and "-", at most 63')
    .optional()
    .describe('Operator keys only.'),
  limit: z
    .string()
    .max(4)
    .regex(/^\d{1,4}$/, `an integer from 1 to ${MAX_LIMIT}`)
    .transform(Number)
    .pipe(z.int().min(1).max(MAX_LIMIT))
    .optional()
    .describe(`Page size, 1 to ${MAX_LIMIT}; default ${DEFAULT_LIMIT}.`),
  // A cursor this API issues has about 100 characters. The bound is documented here but checked by
  // decodeCursor, so that a longer cursor is refused like any other this API did not issue (400).
  cursor: z.string().optional().meta({ description: 'nextCursor of the previous page.', maxLength: MAX_CURSOR_LENGTH }),
});
export type OrderListQuery = z.output<typeof OrderListQuerySchema>;

// ---------------------------------------------------------------------------------------------
// Request bodies of orders and quotes (the order itself: src/domain/order.ts)

/** Body of `POST /v1/orders/{id}/priority` (operators). */
export const PriorityBodySchema = z.object({ priority: z.enum(PRIORITY_CLASSES), reason: z.string().trim().min(1).max(500) }).strict();

/** Optional body of `POST /v1/orders/{id}/cancel`. */
export const CancelBodySchema = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();

/** Body of `POST /v1/quotes`. */
export const QuoteRequestSchema = z.object({ items: z.array(OrderItemSchema).min(1).max(50) }).strict();

// ---------------------------------------------------------------------------------------------
// Catalog and quotes

export const CatalogOptionSchema = z.strictObject({
  name: z.string().describe("Key to use in an item's `options`."),
  label: z.string(),
  default: z.string().describe('Value used when the item does not choose one.'),
  values: z.array(z.strictObject({ value: z.string(), label: z.string() })),
});

export const CatalogProductSchema = z.strictObject({
  sku: z.string(),
  name: z.string(),
  description: z.string(),
  minQuantity: z.int(),
  maxQuantity: z.int(),
  leadTimeDays: z.int().describe('Working days before production can start.'),
  options: z.array(CatalogOptionSchema),
});

/** `GET /v1/catalog`. */
export const CatalogSchema = z
  .strictObject({
    currency: z.string().describe('ISO 4217 currency of every price.'),
    vatPercent: z.number(),
    products: z.array(CatalogProductSchema),
  })
  .describe('Orderable products, their options with defaults, quantities and lead times.');

/** `POST /v1/quotes`. */
export const QuoteResponseSchema = z.strictObject({ price: PriceSchema }).describe('The price the items would have as an order (nothing is ordered).');

// ---------------------------------------------------------------------------------------------
// Integration events (MES, carrier)

const PRINTABLE = /^[\x21-\x7e]+$/;
const EventId = z.string().min(1).max(200).regex(PRINTABLE, 'printable ASCII without spaces');
const OrderId = z.string().min(1).max(100).regex(PRINTABLE, 'printable ASCII without spaces').describe('The order the job or shipment belongs to.');

/** How far in the past an event's times may lie: events are retried for hours, a job takes days at most. */
const EVENT_TIME_PAST_MS = 366 * 24 * 3_600_000;
/** How far ahead of this clock an event's times may lie (the systems' clocks differ a little): as for signatures. */
const EVENT_TIME_FUTURE_MS = SIGNATURE_TOLERANCE_S * 1000;

/** A time the event reports: an ISO date-time in UTC, not in the future and not more than a year ago. */
const EventTime = z.iso
  .datetime()
  .max(40)
  .refine(
    (s) => {
      const t = Date.parse(s);
      const now = Date.now();
      return t >= now - EVENT_TIME_PAST_MS && t <= now + EVENT_TIME_FUTURE_MS;
    },
    { message: `must lie within the last year and at most ${SIGNATURE_TOLERANCE_S} s ahead of the pipeline's clock` },
  );

const JobSchema = z.strictObject({
  id: z.string().min(1).max(200).regex(PRINTABLE, 'printable ASCII without spaces').describe("The MES's job id."),
  orderId: OrderId,
  status: z.enum(['queued', 'in_production', 'done', 'cancelled']),
  startedAt: EventTime.optional(),
  completedAt: EventTime.optional(),
  callbackRef: z
    .string()
    .min(1)
    .max(8192)
    .regex(PRINTABLE, 'printable ASCII without spaces')
    .optional()
    .describe('The reference the pipeline gave with the job, echoed unchanged.'),
});

/** Body of `POST /v1/integrations/mes/events`. */
export const MesEventSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ id: EventId, type: z.literal('job.started'), occurredAt: EventTime, job: JobSchema }),
    z.strictObject({
      id: EventId,
      type: z.literal('job.completed'),
      occurredAt: EventTime,
      job: JobSchema.extend({ status: z.literal('done'), completedAt: EventTime }),
    }),
    z.strictObject({ id: EventId, type: z.literal('job.cancelled'), occurredAt: EventTime, job: JobSchema.extend({ status: z.literal('cancelled') }) }),
  ])
  .describe('An event of the MES about a production job.');
export type MesEventBody = z.infer<typeof MesEventSchema>;

/** Body of `POST /v1/integrations/carrier/events`. */
export const CarrierEventSchema = z
  .strictObject({
    id: EventId,
    type: z.literal('shipment.delivered'),
    occurredAt: EventTime,
    shipment: z.strictObject({
      id: z.string().min(1).max(200).regex(PRINTABLE, 'printable ASCII without spaces').optional().describe("The carrier's shipment id."),
      orderId: OrderId,
      trackingNumber: z.string().min(1).max(100).regex(PRINTABLE, 'printable ASCII without spaces'),
      status: z.literal('delivered').optional(),
      deliveredAt: EventTime,
    }),
  })
  .describe('An event of the carrier about a shipment.');
export type CarrierEventBody = z.infer<typeof CarrierEventSchema>;

/** Answer to every well-formed, authentic event. */
export const IntegrationAnswerSchema = z
  .strictObject({
    eventId: z.string(),
    accepted: z.boolean().describe('Whether the event changed the order; `false` for unknown, stale or repeated events (do not send them again).'),
    reason: z.string().optional().describe('Why the event was not accepted.'),
    duplicate: z.boolean().optional().describe('The event id was received before; this is the first answer again.'),
  })
  .describe('What the pipeline did with an event.');
export type IntegrationAnswer = z.infer<typeof IntegrationAnswerSchema>;

// ---------------------------------------------------------------------------------------------
// Health

export const HealthSchema = z.strictObject({ status: z.literal('ok') }).describe('The process is alive.');

export const ReadinessSchema = z
  .strictObject({
    status: z.enum(['ready', 'not ready']),
    checks: z
      .record(z.string(), z.string())
      .describe(
        'Per check `ok`, or what is wrong: `temporal` and `database` `unreachable`; `namespace` (the Temporal namespace of the orders) ' +
          '`missing`, `unusable` or `pending` (just registered); `searchAttributes` (those an order sets) `missing`, `wrong type` or `pending` (just added, not yet in use); ' +
          '`unknown` when Temporal does not answer.',
      ),
  })
  .describe('Whether Temporal and the shop database answer and the Temporal namespace is set up for orders.');

// ---------------------------------------------------------------------------------------------
// Partner webhook

export const WebhookEventSchema = z
  .strictObject({
    id: z.string().describe('Unique per event (`<orderId>:<n>`); deduplicate on it.'),
    type: z.enum(['order.status_changed', 'order.overdue']),
    occurredAt: z.iso.datetime(),
    order: z.strictObject({
      id: z.uuid(),
      status: z.enum(ORDER_STATUSES),
      priority: z.enum(PRIORITY_CLASSES),
      externalRef: z.string().optional(),
      partnerId: z.string().optional(),
      trackingNumber: z.string().optional(),
    }),
  })
  .describe("Sent to a partner's webhook on every status change of its order (and when it goes overdue).");

// Fail to compile when the workflow contract and these shapes drift apart.
const timelineIsContract: Same<z.output<typeof TimelineEntrySchema>, TimelineEntry> = true;
const failureIsContract: Same<z.output<typeof OrderFailureSchema>, OrderFailure> = true;
const shipmentIsContract: Same<z.output<typeof ShipmentSchema>, NonNullable<OrderState['shipment']>> = true;
const slaIsContract: Same<z.output<typeof SlaSchema>, NonNullable<OrderState['sla']>> = true;
const webhookIsContract: Same<z.output<typeof WebhookEventSchema>, WebhookEvent> = true;
void [timelineIsContract, failureIsContract, shipmentIsContract, slaIsContract, webhookIsContract];
