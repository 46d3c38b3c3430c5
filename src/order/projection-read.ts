/**
 * An order's state rebuilt from the shop projection, for when its workflow cannot be asked.
 * Client side only: the workflow bundle never imports it.
 */
import { asc, eq } from 'drizzle-orm';
import type { ShopDb } from '../../db/index.js';
import { orderEvents, orders, type OrderEventRow, type OrderRow } from './schema.js';
import type { PriorityClass } from '../domain/priority.js';
import type { OrderStatus } from '../domain/status.js';
import type { OrderState, Stage, TimelineEntry } from './contract.js';

/**
 * One order's state rebuilt from the shop projection (row and timeline), for when its workflow
 * cannot be asked; undefined when the projection has no such order.
 */
export async function readProjectedOrder(db: ShopDb, orderId: string): Promise<OrderState | undefined> {
  const [row] = await db.select().from(orders).where(eq(orders.id, orderId));
  if (!row) return undefined;
  const events = await db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.seq));
  return stateFromProjection(row, events);
}

/** Rebuilds an order's state from the projection, for when the workflow cannot be asked. */
export function stateFromProjection(row: OrderRow, events: OrderEventRow[]): OrderState {
  const timeline: TimelineEntry[] = events
    .sort((a, b) => a.seq - b.seq)
    .map((e) => ({
      seq: e.seq,
      stage: e.stage as Stage,
      status: e.status as TimelineEntry['status'],
      startedAt: e.startedAt.toISOString(),
      ...(e.endedAt ? { endedAt: e.endedAt.toISOString() } : {}),
      attempts: e.attempts,
      priority: e.priority as PriorityClass,
      ...(e.queueWaitMs !== null ? { queueWaitMs: e.queueWaitMs } : {}),
      ...(e.detail ? { detail: e.detail } : {}),
    }));
  return {
    orderId: row.id,
    channel: row.channel,
    ...(row.partnerId ? { partnerId: row.partnerId } : {}),
    clientId: row.clientId,
    status: row.status as OrderStatus,
    priority: row.priority as PriorityClass,
    customer: { name: row.customerName, email: row.customerEmail },
    items: row.items,
    shipping: row.shipping,
    ...(row.dueBy ? { dueBy: row.dueBy.toISOString() } : {}),
    ...(row.externalRef ? { externalRef: row.externalRef } : {}),
    ...(row.notes ? { notes: row.notes } : {}),
    ...(row.price ? { price: row.price } : {}),
    ...(row.promisedBy ? { promisedBy: row.promisedBy.toISOString() } : {}),
    ...(row.atRiskAt || row.overdueAt
      ? {
          sla: {
            ...(row.atRiskAt ? { atRisk: true, atRiskAt: row.atRiskAt.toISOString() } : {}),
            ...(row.overdueAt ? { overdueAt: row.overdueAt.toISOString() } : {}),
          },
        }
      : {}),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    timeline,
  };
}
