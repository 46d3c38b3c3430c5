/**
 * The shop projection writer (`recordProgress`) against the real shop database: idempotent,
 * ordered by version, and never moving an order backwards in its status.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { orderEvents, orders } from '../db/shop/schema.js';
import { createOrderActivities } from '../src/activities/orders.js';
import { OrderRequestSchema } from '../src/domain/order.js';
import type { OrderStatus } from '../src/domain/status.js';
import { newOrderInput } from '../src/intake.js';
import { initialOrderState, type OrderState, type TimelineEntry } from '../src/workflows/order/contract.js';
import { SHOP_SOURCE, sampleOrder, testConfig } from './support/pipeline.js';

let dbs: Awaited<ReturnType<typeof openDatabases<'shop'>>>;

beforeAll(async () => {
  dbs = await openDatabases(testConfig(), ['shop']);
});
afterAll(async () => {
  await dbs?.close();
});

describe('projection writer', () => {
  it('ignores a newer write that would move the order backwards, and older or repeated writes', async () => {
    const warnings: Record<string, unknown>[] = [];
    const { recordProgress } = createOrderActivities({ shop: dbs.shop.db, log: { warn: (_message, meta) => warnings.push(meta ?? {}) } });
    const base = initialOrderState(newOrderInput({ source: SHOP_SOURCE, order: OrderRequestSchema.parse(sampleOrder()), timeScale: 1 }));
    const write = (status: OrderStatus, version: number) => recordProgress({ state: { ...base, status } satisfies OrderState, version });
    const recorded = async () =>
      (await dbs.shop.db.select({ status: orders.status, version: orders.version }).from(orders).where(eq(orders.id, base.orderId)))[0];

    await write('received', 1);
    await write('priced', 3); // a skipped status (coalesced writes) is fine
    expect(await recorded()).toEqual({ status: 'priced', version: 3 });
    await write('accepted', 2); // a late write
    await write('priced', 3); // a retried write
    expect(await recorded()).toEqual({ status: 'priced', version: 3 });
    await write('accepted', 4); // newer version, but backwards
    expect(await recorded()).toEqual({ status: 'priced', version: 3 });
    await write('delivered', 5);
    await write('failed', 6); // out of a terminal status
    expect(await recorded()).toEqual({ status: 'delivered', version: 5 });
    expect(warnings).toEqual([
      expect.objectContaining({ orderId: base.orderId, recorded: 'priced', status: 'accepted', version: 4 }),
      expect.objectContaining({ orderId: base.orderId, recorded: 'delivered', status: 'failed', version: 6 }),
    ]);
  });

  it('a late write leaves the timeline as the newer write left it', async () => {
    const { recordProgress } = createOrderActivities({ shop: dbs.shop.db, log: { warn: () => undefined } });
    const base = initialOrderState(newOrderInput({ source: SHOP_SOURCE, order: OrderRequestSchema.parse(sampleOrder()), timeScale: 1 }));
    const accept = (status: TimelineEntry['status']): TimelineEntry => ({
      seq: 0,
      stage: 'accept',
      status,
      startedAt: '2026-11-21T08:00:00.000Z',
      ...(status === 'completed' ? { endedAt: '2026-11-21T08:00:01.000Z' } : {}),
      attempts: 1,
      priority: 'high',
    });
    const running: OrderState = { ...base, status: 'received', timeline: [accept('running')] };
    const accepted: OrderState = { ...base, status: 'accepted', timeline: [accept('completed')] };
    await recordProgress({ state: accepted, version: 2 });
    // The write of version 1 was slow (e.g. an attempt that timed out) and lands last.
    await recordProgress({ state: running, version: 1 });
    const timeline = await dbs.shop.db
      .select({ status: orderEvents.status, endedAt: orderEvents.endedAt })
      .from(orderEvents)
      .where(eq(orderEvents.orderId, base.orderId));
    expect(timeline).toEqual([{ status: 'completed', endedAt: new Date('2026-11-21T08:00:01.000Z') }]);
  });
});
