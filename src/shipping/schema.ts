/**
 * Carrier database (embedded carrier): shipments (one per order, enforced by a unique key) and the
 * outbox of shipment events for the pipeline's API. Written only by the embedded carrier in
 * src/shipping/system.ts.
 */
import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { deadLetterTable, outboxTable } from '../../db/outbox.js';
import type { Address } from '../domain/order.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const shipments = pgTable(
  'shipments',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull().unique(),
    trackingNumber: text('tracking_number').notNull().unique(),
    method: text('method', { enum: ['courier', 'pickup', 'post'] }).notNull(),
    address: jsonb('address').$type<Address>(),
    status: text('status', { enum: ['booked', 'delivered', 'voided'] }).notNull(),
    bookedAt: ts('booked_at').notNull().defaultNow(),
    expectedDeliveryAt: ts('expected_delivery_at').notNull(),
    deliveredAt: ts('delivered_at'),
  },
  (t) => [index('shipments_status_expected_idx').on(t.status, t.expectedDeliveryAt)],
);

/** Shipment events (`shipment.delivered`) waiting to be sent, or sent. */
export const carrierOutbox = outboxTable('carrier_outbox');

/** Events of `carrier_outbox` given up on, with their last error. */
export const carrierDeadLetters = deadLetterTable('carrier_outbox_dead_letters');
