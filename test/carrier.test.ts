/**
 * The embedded carrier against its real database: a delivery is recorded once, with its
 * `shipment.delivered` event, whether the delivery simulator or a tracking request sees it first.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carrierOutbox } from '../src/shipping/schema.js';
import { openDatabases } from '../db/index.js';
import { createDeliverySimulator, createEmbeddedCarrier } from '../src/shipping/system.js';
import { testConfig } from './support/pipeline.js';

let dbs: Awaited<ReturnType<typeof openDatabases<'carrier'>>>;
beforeAll(async () => {
  dbs = await openDatabases(testConfig(), ['carrier']);
});
afterAll(() => dbs?.close());

describe('embedded carrier', () => {
  it('records the event of a delivery that a tracking request sees before the simulator', async () => {
    // A time scale this small makes the transit take no time: the shipment is due at once.
    const carrier = createEmbeddedCarrier(dbs.carrier.db, { timeScale: 1e-9, events: true });
    const orderId = randomUUID();
    const booked = await carrier.book({ orderId, method: 'pickup' });
    await new Promise((r) => setTimeout(r, 20));

    const tracked = await carrier.track(orderId);
    expect(tracked?.status).toBe('delivered');
    // The simulator's next round finds nothing left to deliver for this order.
    await createDeliverySimulator(dbs.carrier.db, { events: true })();

    const events = await dbs.carrier.db
      .select()
      .from(carrierOutbox)
      .where(eq(carrierOutbox.id, `${booked.id}:delivered`));
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ type: 'shipment.delivered', shipment: { orderId, trackingNumber: booked.trackingNumber } });
  });
});
