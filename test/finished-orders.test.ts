/**
 * A finished order is read from its workflow's result (the close event), not by a query that
 * makes a worker replay its history: it reads whole — shipment, CRM and production included, which
 * the shop projection does not hold — even while no worker of the pipeline runs.
 */
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { orders } from '../src/order/schema.js';
import { STAGES } from '../src/order/contract.js';
import { sampleOrder, startPipelineWithApi, type TestPipelineWithApi } from './support/pipeline.js';

const SHOP = 'shop-dev-key';
const running: TestPipelineWithApi[] = [];
afterAll(async () => {
  for (const p of running.splice(0)) await p.stop();
});

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

describe('GET /v1/orders/{id} of a finished order', () => {
  it('answers the full final state from the workflow result while no worker runs', async () => {
    const full = await startPipelineWithApi();
    running.push(full);
    const created = await full.call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() });
    expect(created.status).toBe(202);
    const id: string = created.json.id;
    const delivered = await until('order delivered', async () => {
      const res = await full.call('GET', `/v1/orders/${id}`, { key: SHOP });
      return res.status === 200 && res.json.status === 'delivered' ? res.json : undefined;
    });
    // The projection row must say delivered before the API takes the short way.
    await until('projection delivered', async () => {
      const [row] = await full.pipeline.dbs.shop.db.select({ status: orders.status }).from(orders).where(eq(orders.id, id));
      return row?.status === 'delivered' ? true : undefined;
    });
    await full.stop();
    running.pop();

    // Only the API now: no worker could answer a status query.
    const apiOnly = await startPipelineWithApi({ queues: [] });
    running.push(apiOnly);
    const res = await apiOnly.call('GET', `/v1/orders/${id}`, { key: SHOP });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('delivered');
    expect(res.json.timeline.map((t: { stage: string }) => t.stage)).toEqual([...STAGES]);
    // Only the workflow's own state has the shipment; the projection fallback would not.
    expect(res.json.shipment?.trackingNumber).toBe(delivered.shipment.trackingNumber);
    expect(res.json.shipment?.deliveredAt).toBeTruthy();
    expect(res.json).toEqual(delivered);
  });
});
