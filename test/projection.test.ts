/**
 * The shop projection writer (`recordProgress`) against the real shop database, on PostgreSQL
 * and on embedded PGlite (what `npm start` runs without a database URL): idempotent, ordered by
 * version, never moving an order backwards in its status, counting each stage's end once, and
 * failing an order whose data the database refuses for good.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { orderEvents, orders } from '../src/order/schema.js';
import { createOrderActivities } from '../src/order/activities.js';
import { loadConfig } from '../src/platform/config.js';
import { OrderRequestSchema } from '../src/domain/order.js';
import type { OrderStatus } from '../src/domain/status.js';
import { newOrderInput } from '../src/order/intake.js';
import { registry } from '../src/platform/metrics/registry.js';
import { initialOrderState, PROJECTION_REJECTED, STAGES, type OrderState, type TimelineEntry } from '../src/order/contract.js';
import { parseMetrics, value } from './support/monitoring.js';
import { deliveredProgression } from './support/order-progression.js';
import { SHOP_SOURCE, sampleOrder, testConfig } from './support/pipeline.js';

type Opened = Awaited<ReturnType<typeof openDatabases<'shop'>>>;
let liteDir: string | undefined;

const DATABASES: [string, () => Promise<Opened>][] = [
  ['PostgreSQL', () => openDatabases(testConfig(), ['shop'])],
  [
    'PGlite',
    async () => {
      liteDir = await mkdtemp(path.join(tmpdir(), 'projection-'));
      return openDatabases(loadConfig({ DATA_DIR: liteDir }), ['shop'], { migrate: true });
    },
  ],
];

afterAll(async () => {
  if (liteDir) await rm(liteDir, { recursive: true, force: true });
});

/** How often the worker recorded the end of `stage` (orders_stage_duration_seconds), and the seconds. */
async function stageDurations(stage: string, channel: string) {
  const samples = parseMetrics(await registry.metrics());
  return {
    count: value(samples, 'orders_stage_duration_seconds_count', { stage, channel }) ?? 0,
    sum: value(samples, 'orders_stage_duration_seconds_sum', { stage, channel }) ?? 0,
  };
}

describe.each(DATABASES)('projection writer on %s', (_name, open) => {
  let dbs: Opened;
  beforeAll(async () => {
    dbs = await open();
  });
  afterAll(async () => {
    await dbs?.close();
  });

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
      expect.objectContaining({ orderId: base.orderId, recorded: 'priced', recordedVersion: 3, status: 'accepted', version: 4 }),
      expect.objectContaining({ orderId: base.orderId, recorded: 'delivered', recordedVersion: 5, status: 'failed', version: 6 }),
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

  it('refuses a backwards write whole: neither the row nor the timeline moves', async () => {
    const warnings: Record<string, unknown>[] = [];
    const { recordProgress } = createOrderActivities({ shop: dbs.shop.db, log: { warn: (_message, meta) => warnings.push(meta ?? {}) } });
    const states = deliveredProgression();
    const orderId = states[0]!.orderId;
    await recordProgress({ state: states[3]!, version: 4 });
    const before = await dbs.shop.db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.seq));
    // A newer version that is back on the production line (it would reopen `produce`).
    await recordProgress({ state: { ...states[2]!, customer: { ...states[2]!.customer, name: 'Someone Else' } }, version: 5 });
    const [row] = await dbs.shop.db.select().from(orders).where(eq(orders.id, orderId));
    expect(row).toMatchObject({ status: 'shipped', version: 4, customerName: states[3]!.customer.name });
    expect(await dbs.shop.db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.seq))).toEqual(before);
    expect(before.map((e) => `${e.stage} ${e.status}`)).toEqual([
      'accept completed',
      'price completed',
      'route-to-crm completed',
      'produce completed',
      'ship running',
    ]);
    expect(warnings).toEqual([expect.objectContaining({ orderId, recorded: 'shipped', recordedVersion: 4, status: 'in_production', version: 5 })]);
  });

  it('counts each stage once across retried and late writes', async () => {
    const { recordProgress } = createOrderActivities({ shop: dbs.shop.db, log: { warn: () => undefined } });
    const stageMs = [1200, 3400, 500, 60_000, 7_200_000];
    const states = deliveredProgression({ stageMs, channel: 'b2b' });
    const before = await Promise.all(STAGES.map((s) => stageDurations(s, 'b2b')));
    const write = (i: number) => recordProgress({ state: states[i]!, version: i + 1 });
    await write(0);
    await write(1); // accept, price and route-to-crm end
    await write(1); // a retry of a write that was committed (its answer was lost)
    await write(3); // in_production was coalesced away; produce ends
    await write(2); // the write of version 3 arrives late
    await write(4); // ship ends
    await write(4);
    await write(3);
    const after = await Promise.all(STAGES.map((s) => stageDurations(s, 'b2b')));
    expect(after.map((a, i) => a.count - before[i]!.count)).toEqual([1, 1, 1, 1, 1]);
    after.forEach((a, i) => expect(a.sum - before[i]!.sum, STAGES[i]).toBeCloseTo(stageMs[i]! / 1000, 6));
    const timeline = await dbs.shop.db.select().from(orderEvents).where(eq(orderEvents.orderId, states[0]!.orderId)).orderBy(asc(orderEvents.seq));
    expect(timeline.map((e) => [e.stage, e.status, e.endedAt?.toISOString(), e.detail])).toEqual(
      states[4]!.timeline.map((e) => [e.stage, e.status, e.endedAt, e.detail ?? null]),
    );
  });

  it('fails an order whose data the database refuses for good, recording it failed', async () => {
    const warnings: string[] = [];
    const { recordProgress } = createOrderActivities({ shop: dbs.shop.db, log: { warn: (message) => warnings.push(message) } });
    const [first] = deliveredProgression();
    // The year 10000 in UTC: a date PostgreSQL cannot store (class 22, a data exception).
    const farDue: OrderState = { ...first!, dueBy: '9999-12-31T23:30:00-01:00' };
    const failure = await recordProgress({ state: farDue, version: 1 }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: PROJECTION_REJECTED, nonRetryable: true, message: expect.stringMatching(/SQLSTATE 22/) });
    const [row] = await dbs.shop.db.select().from(orders).where(eq(orders.id, farDue.orderId));
    expect(row).toMatchObject({ status: 'failed', dueBy: null });

    // A customer without a name breaks a NOT NULL rule (class 23): refused, and not recordable either.
    const [nameless] = deliveredProgression();
    const broken = { ...nameless!, customer: { ...nameless!.customer, name: null as unknown as string } };
    await expect(recordProgress({ state: broken, version: 1 })).rejects.toMatchObject({
      type: PROJECTION_REJECTED,
      message: expect.stringMatching(/SQLSTATE 23/),
    });
    expect(await dbs.shop.db.select().from(orders).where(eq(orders.id, broken.orderId))).toEqual([]);
    expect(warnings).toEqual([
      'projection write refused for good; the order fails',
      'projection write refused for good; the order fails',
      'the refused order could not be recorded as failed either',
    ]);
  });
});
