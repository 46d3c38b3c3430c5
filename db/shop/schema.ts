/**
 * Shop database: the order projection (lists, search, analytics), its timeline and the API's
 * clients. Temporal is the source of truth for an order's progress; these rows follow it.
 * Writers: `orders`/`order_events` only through the orders worker's projection activities;
 * `api_clients` only through src/api/clients.ts.
 */
import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { OrderRequest } from '../../src/domain/order.js';
import type { PriceBreakdown } from '../../src/domain/pricing/index.js';
import type { OrderWorkflowInput } from '../../src/workflows/order/contract.js';

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
    index('orders_overdue_idx').on(t.overdueAt.desc().nullsFirst()).where(sql`${t.overdueAt} is not null`),
    index('orders_channel_status_created_idx').on(t.channel, t.status, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('orders_partner_created_idx')
      .on(t.partnerId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.partnerId} is not null`),
    index('orders_partner_status_created_idx')
      .on(t.partnerId, t.status, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.partnerId} is not null`),
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
    accepted: integer('accepted').notNull(),
    reason: text('reason'),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.system, t.eventId] }), index('integration_events_order_idx').on(t.orderId)],
);

export type OrderRow = typeof orders.$inferSelect;
export type OrderEventRow = typeof orderEvents.$inferSelect;
export type ApiClientRow = typeof apiClients.$inferSelect;
