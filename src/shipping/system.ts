import { randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { CarrierDb } from '../../db/index.js';
import { carrierOutbox, shipments } from './schema.js';
import { TRANSIT_MS, scaled } from '../domain/durations.js';
import type { Address, ShippingMethod } from '../domain/order.js';

/** A shipment as the carrier reports it. */
export type Shipment = typeof shipments.$inferSelect;

/** What the pipeline needs of a carrier. A real carrier integration plugs in behind the same interface. */
export interface CarrierAdapter {
  /** Books the order's shipment, or returns the one already booked. */
  book(input: { orderId: string; method: ShippingMethod; address?: Address }): Promise<Shipment>;
  /** Current state of the order's shipment. */
  track(orderId: string): Promise<Shipment | undefined>;
  /** Voids a shipment that has not been delivered; idempotent. */
  void(orderId: string): Promise<Shipment | undefined>;
}

/**
 * Embedded carrier on its own database: a shipment is delivered once its transit time
 * (per method, scaled by PIPELINE_TIME_SCALE) has passed since booking.
 */
export function createEmbeddedCarrier(db: CarrierDb, options: { timeScale: number; events: boolean }): CarrierAdapter {
  const byOrder = async (orderId: string) => (await db.select().from(shipments).where(eq(shipments.orderId, orderId)))[0];
  return {
    async book({ orderId, method, address }) {
      const transitMs = scaled(TRANSIT_MS[method], options.timeScale);
      await db
        .insert(shipments)
        .values({
          id: `shp_${randomUUID()}`,
          orderId,
          trackingNumber: `TRK${randomBytes(6).toString('hex').toUpperCase()}`,
          method,
          address: address ?? null,
          status: 'booked',
          expectedDeliveryAt: sql`now() + make_interval(secs => ${transitMs / 1000})`,
        })
        .onConflictDoNothing({ target: shipments.orderId });
      const shipment = await byOrder(orderId);
      if (!shipment) throw new Error(`shipment of order ${orderId} vanished`);
      return shipment;
    },

    async track(orderId) {
      // Asked before the simulator's next round: the arrival is recorded here, event included.
      await markArrived(db, { events: options.events, orderId });
      return byOrder(orderId);
    },

    async void(orderId) {
      await db
        .update(shipments)
        .set({ status: 'voided' })
        .where(and(eq(shipments.orderId, orderId), eq(shipments.status, 'booked')));
      return byOrder(orderId);
    },
  };
}

/** The body of a shipment event as the carrier sends it. */
export interface CarrierShipmentEvent {
  id: string;
  type: 'shipment.delivered';
  occurredAt: string;
  shipment: { id: string; orderId: string; trackingNumber: string; status: Shipment['status']; deliveredAt: string };
}

/**
 * Marks booked shipments past their expected delivery as delivered (the truck arrives on time),
 * with a `shipment.delivered` event in the outbox (`carrier_outbox`) in the same transaction when
 * `events` is on. Without `orderId`, due rows are claimed with `FOR UPDATE SKIP LOCKED` in
 * batches, so simulator replicas share the work; with it, only that order's shipment.
 */
async function markArrived(db: CarrierDb, options: { events: boolean; orderId?: string; batch?: number }): Promise<number> {
  return db.transaction(async (tx) => {
    const due = and(eq(shipments.status, 'booked'), lte(shipments.expectedDeliveryAt, sql`now()`));
    const arrived =
      options.orderId === undefined
        ? tx
            .select({ id: shipments.id })
            .from(shipments)
            .where(due)
            .orderBy(asc(shipments.expectedDeliveryAt))
            .limit(options.batch ?? 100)
            .for('update', { skipLocked: true })
        : tx
            .select({ id: shipments.id })
            .from(shipments)
            .where(and(due, eq(shipments.orderId, options.orderId)))
            .for('update');
    const rows = await tx
      .update(shipments)
      .set({ status: 'delivered', deliveredAt: sql`${shipments.expectedDeliveryAt}` })
      .where(and(inArray(shipments.id, arrived), eq(shipments.status, 'booked')))
      .returning();
    if (options.events && rows.length > 0) {
      await tx
        .insert(carrierOutbox)
        .values(
          rows.map((s) => {
            const id = `${s.id}:delivered`;
            const event: CarrierShipmentEvent = {
              id,
              type: 'shipment.delivered',
              occurredAt: new Date().toISOString(),
              shipment: { id: s.id, orderId: s.orderId, trackingNumber: s.trackingNumber, status: s.status, deliveredAt: s.deliveredAt!.toISOString() },
            };
            return { id, type: event.type, payload: event as unknown as Record<string, unknown> };
          }),
        )
        .onConflictDoNothing();
    }
    return rows.length;
  });
}

/**
 * The embedded carrier's delivery simulator (runs in the shipping worker process): marks the
 * shipments that have arrived as delivered (see `markArrived`); returns how many.
 */
export function createDeliverySimulator(db: CarrierDb, options: { events: boolean; batch?: number }) {
  return (): Promise<number> => markArrived(db, options);
}
