/**
 * Cancelling orders through the API: allowed until production starts, with compensation of
 * what was done; 409 afterwards. One production line, so a second order waits for its slot.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments } from '../src/crm/schema.js';
import { productionJobs } from '../src/mes/schema.js';
import { orders } from '../src/order/schema.js';
import { orderWorkflowId, type OrderState } from '../src/order/contract.js';
import type { HttpCall } from './support/http.js';
import { sampleOrder, startPipelineWithApi, waitForOrder, type TestPipeline } from './support/pipeline.js';

let pipeline: TestPipeline;
let call: HttpCall;
let stop: (() => Promise<void>) | undefined;
const SHOP = 'shop-dev-key';
const ACME = 'partner-acme-dev-key';
const GLOBEX = 'partner-globex-dev-key';

beforeAll(async () => {
  ({ pipeline, call, stop } = await startPipelineWithApi({ env: { MES_CAPACITY: '1' } }));
});
afterAll(() => stop?.());

// 100,000 business cards: 15 min setup + 500 min run = 515 min, about 3 s at the test time scale.
const bigRun = () => sampleOrder({ items: [{ sku: 'BC-STD', quantity: 100_000 }], shipping: { method: 'pickup' } });

describe('cancel', () => {
  it('cancels an order waiting for a production line, releases the CRM and MES, and leaves the running job alone', async () => {
    const first = await call('POST', '/v1/orders', { key: SHOP, body: bigRun() });
    await waitForOrder(pipeline.client, first.json.id, (s) => s.status === 'in_production');
    const [running] = await pollJob(first.json.id, 'in_production');
    expect(running?.status).toBe('in_production');

    const second = await call('POST', '/v1/orders', { key: ACME, body: bigRun() });
    // routed to the CRM and queued for the only production line
    await waitForOrder(pipeline.client, second.json.id, (s) => s.status === 'awaiting_production');

    const cancelled = await call('POST', `/v1/orders/${second.json.id}/cancel`, { key: ACME, body: { reason: 'customer changed the design' } });
    expect(cancelled.status).toBe(202);
    expect(cancelled.json.status).toBe('cancelled');
    const entry = cancelled.json.timeline.at(-1);
    expect(entry).toMatchObject({ stage: 'cancel', status: 'completed' });
    expect(entry.detail).toContain('customer changed the design');
    expect(entry.detail).toContain('CRM assignment closed');
    expect(cancelled.json.timeline.find((t: any) => t.stage === 'produce').status).toBe('cancelled');

    const [job] = await pipeline.dbs.mes.db.select().from(productionJobs).where(eq(productionJobs.orderId, second.json.id));
    expect(job?.status).toBe('cancelled');
    const [assignment] = await pipeline.dbs.crm.db.select().from(assignments).where(eq(assignments.orderId, second.json.id));
    expect(assignment?.status).toBe('closed');

    // the job already on the line is not disturbed
    const firstFinal: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(first.json.id)).result();
    expect(firstFinal.status).toBe('delivered');
    const secondFinal: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(second.json.id)).result();
    expect(secondFinal.status).toBe('cancelled');
    const [row] = await pipeline.dbs.shop.db.select().from(orders).where(eq(orders.id, second.json.id));
    expect(row?.status).toBe('cancelled');
  });

  it('answers 409 once production has started, and the order goes on', async () => {
    const created = await call('POST', '/v1/orders', { key: SHOP, body: bigRun() });
    await pollJob(created.json.id, 'in_production');
    const res = await call('POST', `/v1/orders/${created.json.id}/cancel`, { key: SHOP });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.json.detail).toMatch(/production has started/);
    const final: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(created.json.id)).result();
    expect(final.status).toBe('delivered');
    // and once delivered it is too late as well
    const late = await call('POST', `/v1/orders/${created.json.id}/cancel`, { key: SHOP });
    expect(late.status).toBe(409);
    expect(late.json.status).toBe(409);
    expect(late.json.orderStatus).toBe('delivered');
  });

  it('does not let a partner cancel another partner’s order', async () => {
    const created = await call('POST', '/v1/orders', { key: ACME, body: sampleOrder({ shipping: { method: 'pickup' } }) });
    const res = await call('POST', `/v1/orders/${created.json.id}/cancel`, { key: GLOBEX });
    expect(res.status).toBe(404);
  });

  it('validates the cancel body', async () => {
    const created = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ shipping: { method: 'pickup' } }) });
    const res = await call('POST', `/v1/orders/${created.json.id}/cancel`, { key: SHOP, body: { reason: 42 } });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].path).toBe('reason');
  });
});

async function pollJob(orderId: string, status: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await pipeline.dbs.mes.db.select().from(productionJobs).where(eq(productionJobs.orderId, orderId));
    if (rows[0]?.status === status) return rows;
    if (Date.now() > deadline) throw new Error(`job of ${orderId} never reached ${status}: ${rows[0]?.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('POST /v1/orders/{id}/priority', () => {
  const OPS = 'ops-dev-key';
  it('lets an operator change the priority of a live order, recorded with reason and who', async () => {
    const created = await call('POST', '/v1/orders', { key: ACME, body: bigRun() });
    const res = await call('POST', `/v1/orders/${created.json.id}/priority`, { key: OPS, body: { priority: 'rush', reason: 'trade fair on Monday' } });
    expect(res.status).toBe(200);
    expect(res.json.priority).toBe('rush');
    const entry = res.json.timeline.find((t: any) => t.stage === 'reprioritize');
    expect(entry.detail).toContain('normal → rush: trade fair on Monday (by ops)');
    // the partner sees the new priority on its order
    expect((await call('GET', `/v1/orders/${created.json.id}`, { key: ACME })).json.priority).toBe('rush');
  });

  it('is for operators only, validates the body and refuses ended orders', async () => {
    const created = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ shipping: { method: 'pickup' } }) });
    expect((await call('POST', `/v1/orders/${created.json.id}/priority`, { key: SHOP, body: { priority: 'rush', reason: 'x' } })).status).toBe(403);
    const bad = await call('POST', `/v1/orders/${created.json.id}/priority`, { key: OPS, body: { priority: 'urgent', reason: 'x' } });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].path).toBe('priority');
    const final: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(created.json.id)).result();
    expect(final.status).toBe('delivered');
    const late = await call('POST', `/v1/orders/${created.json.id}/priority`, { key: OPS, body: { priority: 'low', reason: 'x' } });
    expect(late.status).toBe(409);
  });
});
