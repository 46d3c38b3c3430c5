/**
 * Zod shapes of the API's answers that no route validates with a schema of its own: the order
 * resource, the catalog, quotes, problems, health, and the partner webhook's event. They exist
 * once, here; the producing code type-checks against them (`satisfies z.infer<…>`) and the
 * OpenAPI document (src/api/openapi.ts) is generated from them. Request shapes stay where the
 * routes validate them (src/domain/order.ts, src/api/routes/*.ts).
 */
import { z } from 'zod';
import { CHANNELS, CustomerSchema, OrderItemSchema, ShippingSchema } from '../domain/order.js';
import { PRIORITY_CLASSES } from '../domain/priority.js';
import { ORDER_STATUSES } from '../domain/status.js';
import { STAGES, type OrderFailure, type OrderState, type TimelineEntry, type WebhookEvent } from '../workflows/order/contract.js';
import type { OrderResource } from './order-resource.js';
import type { catalogResource } from './routes/catalog.js';
import { PriceSchema, TraceLinkSchema } from './routes/orders-list.js';

/** True when A and B are the same type; a `const x: Same<…> = true` fails to compile on drift. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** True when A has no key B lacks: `satisfies` does not see keys added by a conditional spread. */
type NoExtraKeys<A, B> = [Exclude<keyof A, keyof B>] extends [never] ? true : false;

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
}).describe('Problem of a request over the key\'s rate limit.');

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
// Catalog and quotes

export const CatalogOptionSchema = z.strictObject({
  name: z.string().describe('Key to use in an item\'s `options`.'),
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
export const QuoteResponseSchema = z
  .strictObject({ price: PriceSchema })
  .describe('The price the items would have as an order (nothing is ordered).');

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
  .describe('Sent to a partner\'s webhook on every status change of its order (and when it goes overdue).');

// Fail to compile when the workflow contract and these shapes drift apart.
const timelineIsContract: Same<z.output<typeof TimelineEntrySchema>, TimelineEntry> = true;
const failureIsContract: Same<z.output<typeof OrderFailureSchema>, OrderFailure> = true;
const shipmentIsContract: Same<z.output<typeof ShipmentSchema>, NonNullable<OrderState['shipment']>> = true;
const slaIsContract: Same<z.output<typeof SlaSchema>, NonNullable<OrderState['sla']>> = true;
const webhookIsContract: Same<z.output<typeof WebhookEventSchema>, WebhookEvent> = true;
// The producers `satisfies` these schemas; and they emit no key a schema would not document.
const orderResourceKeys: NoExtraKeys<OrderResource, OrderResourceShape> = true;
const catalogKeys: NoExtraKeys<ReturnType<typeof catalogResource>, z.output<typeof CatalogSchema>> = true;
void [timelineIsContract, failureIsContract, shipmentIsContract, slaIsContract, webhookIsContract, orderResourceKeys, catalogKeys];
