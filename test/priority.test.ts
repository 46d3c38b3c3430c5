/**
 * Priorities under a production backlog, on the real Temporal server (priority and fairness on)
 * with one production line: B2C before B2B, reprioritized orders jump ahead, partners share.
 */
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionJobs } from '../src/mes/schema.js';
import { OrderRequestSchema } from '../src/domain/order.js';
import { newOrderInput, startOrderWorkflow, type OrderSource } from '../src/order/intake.js';
import {
  MAX_PRIORITY_CHANGES,
  PRIORITY_CHANGE_LIMIT,
  orderWorkflowId,
  reprioritizeSignal,
  reprioritizeUpdate,
  statusQuery,
  type OrderState,
} from '../src/order/contract.js';
import {
  ACME_SOURCE as ACME,
  GLOBEX_SOURCE as GLOBEX,
  SHOP_SOURCE as SHOP,
  sampleOrder,
  startPipeline,
  waitForOrder,
  type TestPipeline,
} from './support/pipeline.js';

let pipeline: TestPipeline;
beforeAll(async () => {
  pipeline = await startPipeline({ env: { MES_CAPACITY: '1' } });
});
afterAll(() => pipeline?.stop());

// Far-away due date: no promised-date escalation interferes with what these tests look at.
const dueBy = () => new Date(Date.now() + 3_600_000).toISOString();

/** 100 business cards: about 0.1 s on the line at the test time scale. */
async function place(source: OrderSource, quantity = 100, sku = 'BC-STD') {
  const order = OrderRequestSchema.parse(sampleOrder({ items: [{ sku, quantity }], shipping: { method: 'pickup' }, dueBy: dueBy() }));
  const input = newOrderInput({ source, order, timeScale: pipeline.config.timeScale });
  await startOrderWorkflow(pipeline.client, input);
  return input.orderId;
}

/** Occupies the only line for about 3 s (per 100,000 cards), so everything placed meanwhile forms a backlog. */
async function blockTheLine(quantity = 100_000, sku = 'BC-STD') {
  const id = await place(ACME, quantity, sku);
  await pollJobs([id], (jobs) => jobs[0]?.status === 'in_production');
  return id;
}

async function pollJobs(ids: string[], done: (jobs: (typeof productionJobs.$inferSelect)[]) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await pipeline.dbs.mes.db.select().from(productionJobs).where(inArray(productionJobs.orderId, ids));
    if (done(jobs)) return jobs;
    if (Date.now() > deadline) throw new Error(`jobs not as expected: ${jobs.map((j) => j.status).join(',')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Order ids in the order their production started. */
async function productionOrder(ids: string[]) {
  const jobs = await pollJobs(ids, (j) => j.length === ids.length && j.every((x) => x.status === 'done'));
  return jobs.sort((a, b) => a.startedAt!.getTime() - b.startedAt!.getTime()).map((j) => j.orderId);
}

/** Queued at the MES for the line (its job is not on it yet). */
const inProduction = (id: string) => waitForOrder(pipeline.client, id, (s) => s.status === 'awaiting_production');

describe('priority under a production backlog', () => {
  it('produces a new B2C order before most of a B2B backlog', async () => {
    const blocker = await blockTheLine();
    const backlog: string[] = [];
    for (let i = 0; i < 8; i++) backlog.push(await place(ACME));
    await Promise.all(backlog.map(inProduction));
    const shopOrder = await place(SHOP);
    await inProduction(shopOrder);

    const order = await productionOrder([blocker, ...backlog, shopOrder]);
    expect(order[0]).toBe(blocker);
    // next on the line after the blocking job, ahead of all 8 partner orders queued before it
    expect(order.indexOf(shopOrder)).toBe(1);
    const state: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(shopOrder)).result();
    expect(state.priority).toBe('high');
  });

  it('moves a reprioritized B2B order ahead of the backlog it waits in', async () => {
    const blocker = await blockTheLine();
    const backlog: string[] = [];
    for (let i = 0; i < 6; i++) backlog.push(await place(ACME));
    await Promise.all(backlog.map(inProduction));
    const last = backlog.at(-1)!;
    const updated: OrderState = await pipeline.client.workflow
      .getHandle(orderWorkflowId(last))
      .executeUpdate(reprioritizeUpdate, { args: [{ priority: 'rush', reason: 'key customer event tomorrow', by: 'ops-test' }] });
    expect(updated.priority).toBe('rush');
    expect(updated.timeline.at(-1)).toMatchObject({ stage: 'reprioritize', priority: 'rush' });
    expect(updated.timeline.at(-1)?.detail).toContain('key customer event tomorrow');

    const order = await productionOrder([blocker, ...backlog]);
    expect(order.indexOf(last)).toBe(1);
    // the job that was on the line when the change came was not disturbed
    expect(order[0]).toBe(blocker);
    const blocked: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(blocker)).result();
    expect(blocked.timeline.find((t) => t.stage === 'produce')?.attempts).toBe(1);
  });

  it('rejects an invalid reprioritization', async () => {
    const id = await place(SHOP);
    const handle = pipeline.client.workflow.getHandle(orderWorkflowId(id));
    const refusal = (priority: string, reason: string) =>
      handle.executeUpdate(reprioritizeUpdate, { args: [{ priority: priority as never, reason, by: 't' }] }).then(
        () => 'accepted',
        (err: { cause?: { message?: string } }) => err.cause?.message ?? 'no cause',
      );
    expect(await refusal('urgent', 'x')).toMatch(/unknown priority/);
    expect(await refusal('low', ' ')).toMatch(/reason is required/);
    const state: OrderState = await handle.result();
    expect(state.priority).toBe('high');
    expect(state.timeline.some((t) => t.stage === 'reprioritize')).toBe(false);
  });

  it('changes nothing for the same priority again, and bounds the changes a flood of signals can make', async () => {
    // 100,000 brochures, about 20 s on the line, so the order below waits while the signals arrive.
    const blocker = await blockTheLine(100_000, 'BRO-A4-16');
    const id = await place(ACME);
    await inProduction(id);
    const handle = pipeline.client.workflow.getHandle(orderWorkflowId(id));
    const same: OrderState = await handle.executeUpdate(reprioritizeUpdate, { args: [{ priority: 'normal', reason: 'again', by: 'ops-test' }] });
    expect(same.priority).toBe('normal');
    expect(same.timeline.some((t) => t.stage === 'reprioritize')).toBe(false);

    // A script gone wrong: 300 signals that flip the priority back and forth.
    const signals = Array.from({ length: 300 }, (_, i) => ({ priority: i % 2 ? ('low' as const) : ('high' as const), reason: `flip ${i}`, by: 'script' }));
    for (let i = 0; i < signals.length; i += 50) await Promise.all(signals.slice(i, i + 50).map((s) => handle.signal(reprioritizeSignal, s)));
    const flooded: OrderState = await handle.query(statusQuery);
    expect(flooded.status).toBe('awaiting_production');
    const changes = flooded.timeline.filter((t) => t.stage === 'reprioritize');
    // MAX_PRIORITY_CHANGES changes, then one note that later ones are ignored.
    expect(changes).toHaveLength(MAX_PRIORITY_CHANGES + 1);
    expect(changes.at(-1)?.detail).toMatch(/later ones ignored/);
    // An operator's update after the bound is refused with a reason, and changes nothing.
    const refused = await handle.executeUpdate(reprioritizeUpdate, { args: [{ priority: 'rush', reason: 'really now', by: 'ops-test' }] }).then(
      () => undefined,
      (err: { cause?: { type?: string; message?: string } }) => err.cause,
    );
    expect(refused?.type).toBe(PRIORITY_CHANGE_LIMIT);
    expect(refused?.message).toMatch(/can no longer be changed/);

    const final: OrderState = await handle.result();
    expect(final.status).toBe('delivered');
    expect(final.timeline.filter((t) => t.stage === 'reprioritize')).toHaveLength(MAX_PRIORITY_CHANGES + 1);
    // Each change upserts the priority attribute once; the ignored signals add no commands.
    const history = await handle.fetchHistory();
    const upserts = history.events!.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length;
    expect(upserts).toBeLessThan(MAX_PRIORITY_CHANGES + 15);
    expect((await pipeline.client.workflow.getHandle(orderWorkflowId(blocker)).result()).status).toBe('delivered');
  }, 120_000);

  it('gives two partners of equal weight similar shares of the line when one floods it', async () => {
    // 30,000 brochures, about 6 s on the line: both partners' orders are queued before it is done.
    const blocker = await blockTheLine(30_000, 'BRO-A4-16');
    const flood: string[] = [];
    for (let i = 0; i < 12; i++) flood.push(await place(ACME));
    await Promise.all(flood.map(inProduction));
    const few: string[] = [];
    for (let i = 0; i < 4; i++) few.push(await place(GLOBEX));
    await Promise.all(few.map(inProduction));

    const order = await productionOrder([blocker, ...flood, ...few]);
    // Without fairness globex's orders, queued last, would be produced last (positions 13–16).
    // With it, the two partners alternate: globex's four are done within the first ten slots.
    const positions = few.map((id) => order.indexOf(id));
    expect(Math.max(...positions)).toBeLessThanOrEqual(10);
  });
});
