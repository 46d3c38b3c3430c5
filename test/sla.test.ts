/**
 * Promised dates: an order at risk of missing its promise escalates its priority by itself and,
 * past the date, is marked overdue — also under a flood of shop orders that would otherwise
 * keep a partner order waiting.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders } from '../src/order/schema.js';
import { OrderRequestSchema } from '../src/domain/order.js';
import { newOrderInput, startOrderWorkflow, type OrderSource } from '../src/order/intake.js';
import { orderWorkflowId, type OrderState } from '../src/order/contract.js';
import { ACME_SOURCE as ACME, SHOP_SOURCE as SHOP, sampleOrder, startPipeline, waitForOrder, type TestPipeline } from './support/pipeline.js';

let pipeline: TestPipeline;
beforeAll(async () => {
  pipeline = await startPipeline({ env: { MES_CAPACITY: '1' } });
});
afterAll(() => pipeline?.stop());

async function place(source: OrderSource, opts: { quantity?: number; dueInMs?: number } = {}) {
  const order = OrderRequestSchema.parse(
    sampleOrder({
      items: [{ sku: 'BC-STD', quantity: opts.quantity ?? 100 }],
      shipping: { method: 'pickup' },
      dueBy: new Date(Date.now() + (opts.dueInMs ?? 3_600_000)).toISOString(),
    }),
  );
  const input = newOrderInput({ source, order, timeScale: pipeline.config.timeScale, atRiskShare: 0.5 });
  await startOrderWorkflow(pipeline.client, input);
  return input.orderId;
}

describe('promised dates', () => {
  it('escalates an order at risk, marks it overdue past its date, and records both', async () => {
    // The line is busy for ~3 s; the partner order is due in 2 s: at risk after 1 s, overdue at 2 s.
    const blocker = await place(ACME, { quantity: 100_000 });
    await waitForOrder(pipeline.client, blocker, (s) => s.status === 'in_production');
    const late = await place(ACME, { dueInMs: 2_000 });

    const state: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(late)).result();
    expect(state.status).toBe('delivered');
    const escalation = state.timeline.find((t) => t.stage === 'escalate');
    expect(escalation?.detail).toMatch(/normal → high: 50 % of the time to the promised date/);
    expect(state.timeline.find((t) => t.stage === 'overdue')).toBeDefined();
    expect(state.priority).toBe('high');
    expect(state.sla?.atRisk).toBe(true);
    expect(Date.parse(state.sla!.overdueAt!)).toBeGreaterThanOrEqual(Date.parse(state.promisedBy!));

    const [row] = await pipeline.dbs.shop.db.select().from(orders).where(eq(orders.id, late));
    expect(row?.overdueAt).not.toBeNull();
    expect(row?.atRiskAt).not.toBeNull();
    expect(row?.priority).toBe('high');
  });

  it('leaves an order on time alone', async () => {
    const id = await place(SHOP);
    const state: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(id)).result();
    expect(state.timeline.some((t) => t.stage === 'escalate' || t.stage === 'overdue')).toBe(false);
    expect(state.sla?.atRisk).toBeUndefined();
  });

  it('does not let a flood of shop orders starve a partner order', async () => {
    const blocker = await place(ACME, { quantity: 100_000 });
    await waitForOrder(pipeline.client, blocker, (s) => s.status === 'in_production');
    const partner = await place(ACME, { dueInMs: 4_000 });
    await waitForOrder(pipeline.client, partner, (s) => s.status === 'awaiting_production');
    // A flood: 40 shop orders (about 4 s of line time) queued above the partner's priority.
    const flood: string[] = [];
    for (let i = 0; i < 40; i++) flood.push(await place(SHOP));

    const state: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(partner)).result();
    expect(state.status).toBe('delivered');
    expect(state.timeline.some((t) => t.stage === 'escalate')).toBe(true);
    // produced while the flood was still going on, not after all of it
    const floodStates: OrderState[] = await Promise.all(flood.map((id) => pipeline.client.workflow.getHandle(orderWorkflowId(id)).result()));
    const partnerProduced = Date.parse(state.production!.completedAt!);
    const floodAfter = floodStates.filter((s) => Date.parse(s.production!.completedAt!) > partnerProduced).length;
    expect(floodAfter).toBeGreaterThan(5);
  });
});
