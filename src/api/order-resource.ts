import { asc, eq } from 'drizzle-orm';
import type { ShopDb } from '../../db/index.js';
import { orderEvents, orders, type OrderEventRow, type OrderRow } from '../../db/shop/schema.js';
import type { OrderState, Stage, TimelineEntry } from '../workflows/order/contract.js';
import { orderWorkflowId } from '../workflows/order/contract.js';
import type { PriorityClass } from '../domain/priority.js';
import type { OrderStatus } from '../domain/status.js';
import type { OrderResourceSchema } from './schemas.js';
import type { z } from 'zod';

/** Where an order can be traced in the Temporal Web UI. */
export interface TraceLink {
  workflowId: string;
  url: string;
}

export function traceLink(uiUrl: string, namespace: string, orderId: string): TraceLink {
  const workflowId = orderWorkflowId(orderId);
  return { workflowId, url: `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` };
}

/** The public representation of an order (`GET /v1/orders/{id}`). */
export function toOrderResource(state: OrderState, trace: TraceLink) {
  return {
    id: state.orderId,
    channel: state.channel,
    ...(state.partnerId ? { partnerId: state.partnerId } : {}),
    status: state.status,
    priority: state.priority,
    customer: state.customer,
    items: state.items,
    shipping: state.shipping,
    ...(state.dueBy ? { dueBy: state.dueBy } : {}),
    ...(state.externalRef ? { externalRef: state.externalRef } : {}),
    ...(state.notes ? { notes: state.notes } : {}),
    ...(state.price ? { price: state.price } : {}),
    promisedBy: state.promisedBy ?? null,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    timeline: state.timeline,
    ...(state.shipment ? { shipment: state.shipment } : {}),
    ...(state.failure ? { failure: state.failure } : {}),
    ...(state.sla ? { sla: state.sla } : {}),
    trace,
  } satisfies z.infer<typeof OrderResourceSchema>;
}
export type OrderResource = ReturnType<typeof toOrderResource>;

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
