/**
 * Shop database: the order projection (lists, search, analytics), its timeline and the API's
 * clients. Temporal is the source of truth for an order's progress; these rows follow it.
 * Writers: `orders`/`order_events` only through the orders worker's projection activities;
 * `api_clients` only through src/api/clients.ts.
 */
import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import type { OrderRequest } from '../domain/order.js';
import type { PriceBreakdown } from '../domain/pricing/index.js';
import type { OrderWorkflowInput } from './contract.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    channel: text('channel', { enum: ['b2c', 'b2b'] }).notNull(),
    partnerId: text('partner_id'),
    clientId: text('client_id').notNull(),
    status: text('status').notNull(),
    priority: text('priority').notNull(),
    customerName: text('customer_name').notNull(),
    customerEmail: text('customer_email').notNull(),
    items: jsonb('items').$type<OrderRequest['items']>().notNull(),
    shipping: jsonb('shipping').$type<OrderRequest['shipping']>().notNull(),
    externalRef: text('external_ref'),
    notes: text('notes'),
    dueBy: ts('due_by'),
    promisedBy: ts('promised_by'),
    /** Set when the order used the at-risk share of its promised time undelivered (it escalated). */
    atRiskAt: ts('at_risk_at'),
    /** Set when the promised date passed before delivery. */
    overdueAt: ts('overdue_at'),
    price: jsonb('price').$type<PriceBreakdown>(),
    /** The booked shipment's tracking number, once the carrier has it (what the carrier's events are checked against). */
    trackingNumber: text('tracking_number'),
    totalMinor: bigint('total_minor', { mode: 'number' }),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** Monotonic per order: an older write never overwrites a newer one. */
    version: integer('version').notNull().default(0),
  },
  // Indexes are plain DESC (NULLS FIRST, PostgreSQL's default for DESC), so a query ordered with
  // drizzle's plain desc() is an ordered index scan.
  (t) => [
    index('orders_created_idx').on(t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('orders_status_created_idx').on(t.status, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('orders_channel_created_idx').on(t.channel, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('orders_overdue_idx')
      .on(t.overdueAt.desc().nullsFirst())
      .where(sql`${t.overdueAt} is not null`),
    index('orders_channel_status_created_idx').on(t.channel, t.status, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('orders_partner_created_idx')
      .on(t.partnerId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.partnerId} is not null`),
    index('orders_partner_status_created_idx')
      .on(t.partnerId, t.status, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.partnerId} is not null`),
    // Open orders past or near their promised date, for the dashboard: small, since rows leave
    // it when the order ends. The dashboard's query repeats this predicate word for word.
    index('orders_attention_idx')
      .on(t.promisedBy)
      .where(sql`${t.status} <> all (array['delivered','cancelled','rejected','failed']) and (${t.overdueAt} is not null or ${t.atRiskAt} is not null)`),
  ],
);

export const orderEvents = pgTable(
  'order_events',
  {
    orderId: text('order_id').notNull(),
    seq: integer('seq').notNull(),
    stage: text('stage').notNull(),
    status: text('status').notNull(),
    startedAt: ts('started_at').notNull(),
    endedAt: ts('ended_at'),
    attempts: integer('attempts').notNull(),
    priority: text('priority').notNull(),
    queueWaitMs: integer('queue_wait_ms'),
    detail: text('detail'),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.seq] }), index('order_events_stage_idx').on(t.stage, t.startedAt)],
);

// ---------------------------------------------------------------------------------------------
// Rollups of the projection for the dashboard (`GET /v1/dashboard`) and the scrape-time gauges.
// Written only by triggers on `orders` and `order_events` (migration 0002_dashboard_rollups):
// each trigger takes back what the old row contributed and adds what the new row contributes,
// so a rollup always equals the GROUP BY over its table, whichever write changed the rows, and a
// write the projection skips (an older version) changes nothing. `shard` spreads the counters of
// one key over 8 rows (by order id), so concurrent projection writes seldom wait for each other's
// row lock; readers sum over it.

/** Orders per status and channel, with how many of them are overdue or at risk. */
export const orderStatusCounts = pgTable(
  'order_status_counts',
  {
    status: text('status').notNull(),
    channel: text('channel').notNull(),
    shard: smallint('shard').notNull(),
    orders: bigint('orders', { mode: 'number' }).notNull(),
    /** Orders with `overdue_at` set (whatever their status). */
    overdue: bigint('overdue', { mode: 'number' }).notNull(),
    /** Orders with `at_risk_at` set and not overdue. */
    atRisk: bigint('at_risk', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.status, t.channel, t.shard] })],
);

/**
 * Orders created per UTC hour and channel (`event` = `created`, at `created_at`), and orders that
 * ended (`event` = the terminal status, at `updated_at` of the ending write).
 */
export const orderThroughputHourly = pgTable(
  'order_throughput_hourly',
  {
    hour: ts('hour').notNull(),
    channel: text('channel').notNull(),
    event: text('event').notNull(),
    shard: smallint('shard').notNull(),
    orders: bigint('orders', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.hour, t.channel, t.event, t.shard] })],
);

/**
 * Histograms of the timeline per UTC hour, pipeline stage and channel: `duration` of completed
 * stages (start to end, in the hour of the end) and `queue_wait` of the stage's activity (in
 * the hour it ended, or started while running). `bucket` 0 holds values under 1 ms, bucket
 * b >= 1 the values in [2^((b-1)/8), 2^(b/8)) ms (src/domain/histogram.ts reads them).
 */
export const stageTimingsHourly = pgTable(
  'stage_timings_hourly',
  {
    hour: ts('hour').notNull(),
    metric: text('metric', { enum: ['duration', 'queue_wait'] }).notNull(),
    stage: text('stage').notNull(),
    channel: text('channel').notNull(),
    bucket: smallint('bucket').notNull(),
    samples: bigint('samples', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.hour, t.metric, t.stage, t.channel, t.bucket] })],
);

export const apiClients = pgTable('api_clients', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  kind: text('kind', { enum: ['shop', 'partner', 'operator', 'mes', 'carrier'] }).notNull(),
  partnerId: text('partner_id'),
  /** SHA-256 of the API key; the key itself is never stored. */
  keyHash: text('key_hash').notNull().unique(),
  /** Rate-limit tier (see src/domain/tiers.ts). */
  tier: text('tier').notNull().default('standard'),
  /** Where status changes of this client's orders are POSTed; none = no webhooks. */
  webhookUrl: text('webhook_url'),
  /** HMAC-SHA256 key of the webhook signatures (shared with the partner, so kept retrievable). */
  webhookSecret: text('webhook_secret'),
  createdAt: ts('created_at').notNull().defaultNow(),
  revokedAt: ts('revoked_at'),
});

/** Idempotency keys of `POST /v1/orders` per client (Stripe semantics), kept until `expires_at`. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    clientId: text('client_id').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of the canonical request body: same key with another body is refused. */
    requestHash: text('request_hash').notNull(),
    orderId: text('order_id').notNull(),
    /** The workflow input decided for this key: a repeat starts exactly the same order. */
    orderInput: jsonb('order_input').$type<OrderWorkflowInput>().notNull(),
    /** Set once the order's workflow start was acknowledged; until then a repeat retries the start. */
    startedAt: ts('started_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);

/** Fixed-window request counters of the rate limiter, shared by every API replica. */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  hits: integer('hits').notNull(),
  resetAt: ts('reset_at').notNull(),
});

/**
 * Events the API received from the MES and the carrier (integration webhooks), once handled:
 * a repeated event id is answered from here instead of acting twice. Written only by
 * src/api/routes/integrations.ts.
 */
export const integrationEvents = pgTable(
  'integration_events',
  {
    system: text('system', { enum: ['mes', 'carrier'] }).notNull(),
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    orderId: text('order_id').notNull(),
    /** 1 accepted, 0 not accepted, -1 while its first delivery is being handled (claimed). */
    accepted: integer('accepted').notNull(),
    /** Why it was not accepted; while claimed, the claim's token. */
    reason: text('reason'),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.system, t.eventId] }), index('integration_events_order_idx').on(t.orderId)],
);

export type OrderRow = typeof orders.$inferSelect;
export type OrderEventRow = typeof orderEvents.$inferSelect;
export type ApiClientRow = typeof apiClients.$inferSelect;
