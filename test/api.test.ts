/** The REST intake over real HTTP, against the real pipeline (Temporal, workers, PostgreSQL). */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders } from '../db/shop/schema.js';
import { startApi, type RunningApi } from '../src/api/server.js';
import { loadConfig } from '../src/config.js';
import { priceOrder } from '../src/domain/pricing/index.js';
import { createLogger } from '../src/logger.js';
import { STAGES } from '../src/workflows/order/contract.js';
import type { HttpCall } from './support/http.js';
import { sampleOrder, startPipelineWithApi, testEnv, type TestPipeline } from './support/pipeline.js';

let pipeline: TestPipeline;
let call: HttpCall;
let stop: (() => Promise<void>) | undefined;
const log = createLogger('silent');

beforeAll(async () => {
  ({ pipeline, call, stop } = await startPipelineWithApi());
});
afterAll(() => stop?.());

const SHOP = 'shop-dev-key';
const ACME = 'partner-acme-dev-key';
const GLOBEX = 'partner-globex-dev-key';
const OPS = 'ops-dev-key';

async function pollOrder(id: string, key: string, until: (o: any) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = await call('GET', `/v1/orders/${id}`, { key });
    if (last.status === 200 && until(last.json)) return last.json;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`order ${id} not as expected; last answer ${last?.status} ${last?.text?.slice(0, 300)}`);
}

describe('POST /v1/orders → delivered', () => {
  it('acknowledges with 202 and delivers, with a timeline of all five stages', async () => {
    const created = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() });
    expect(created.status).toBe(202);
    expect(created.headers.get('location')).toBe(`/v1/orders/${created.json.id}`);
    expect(created.json).toMatchObject({ channel: 'b2c', status: 'received', priority: 'high' });
    expect(created.json.trace.workflowId).toBe(`order-${created.json.id}`);
    expect(created.json.trace.url).toContain(`/workflows/order-${created.json.id}`);

    const order = await pollOrder(created.json.id, SHOP, (o) => o.status === 'delivered');
    expect(order.timeline.map((t: any) => t.stage)).toEqual([...STAGES]);
    for (const t of order.timeline) {
      expect(t.status).toBe('completed');
      expect(Number.isNaN(Date.parse(t.startedAt))).toBe(false);
      expect(Date.parse(t.endedAt)).toBeGreaterThanOrEqual(Date.parse(t.startedAt));
    }
    expect(order.price.totalMinor).toBe(priceOrder(order.items).totalMinor);
    expect(order.promisedBy).toBeTruthy();

    // the projection follows the workflow (written right after each change, so give it a moment)
    const deadline = Date.now() + 5_000;
    let row: { status: string } | undefined;
    do {
      [row] = await pipeline.dbs.shop.db.select({ status: orders.status }).from(orders).where(eq(orders.id, created.json.id));
      if (row?.status === 'delivered') break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    expect(row?.status).toBe('delivered');
  });

  it('tags a partner order b2b with the partner and hides it from other partners and the shop', async () => {
    const created = await call('POST', '/v1/orders', { key: ACME, body: sampleOrder({ shipping: { method: 'pickup' } }) });
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ channel: 'b2b', partnerId: 'acme', priority: 'normal' });
    await pollOrder(created.json.id, ACME, (o) => o.status !== 'received');
    expect((await call('GET', `/v1/orders/${created.json.id}`, { key: GLOBEX })).status).toBe(404);
    expect((await call('GET', `/v1/orders/${created.json.id}`, { key: SHOP })).status).toBe(404);
    const asOperator = await call('GET', `/v1/orders/${created.json.id}`, { key: OPS });
    expect(asOperator.status).toBe(200);
    // The Web UI link names an internal host: operators get it, the partner only the workflow id.
    expect(asOperator.json.trace.url).toContain(`/workflows/order-${created.json.id}`);
    expect(created.json.trace).toEqual({ workflowId: `order-${created.json.id}` });
    const asPartner = await call('GET', `/v1/orders/${created.json.id}`, { key: ACME });
    expect(asPartner.json.trace).toEqual({ workflowId: `order-${created.json.id}` });
    const listed = await call('GET', '/v1/orders?limit=100', { key: ACME });
    const summary = listed.json.data.find((o: any) => o.id === created.json.id);
    expect(summary.trace).toEqual({ workflowId: `order-${created.json.id}` });
  });
});

describe('errors are problem+json, never a started order', () => {
  const cases: [string, () => Promise<{ status: number; headers: Headers; json: any }>, number][] = [
    ['no key', () => call('POST', '/v1/orders', { body: sampleOrder() }), 401],
    ['unknown key', () => call('POST', '/v1/orders', { key: 'forged-key', body: sampleOrder() }), 401],
    ['operator key may not order', () => call('POST', '/v1/orders', { key: OPS, body: sampleOrder() }), 403],
    ['malformed JSON', () => call('POST', '/v1/orders', { key: SHOP, raw: '{"customer":' }), 400],
    ['wrong content type', () => call('POST', '/v1/orders', { key: SHOP, raw: 'hello', type: 'text/plain' }), 415],
    ['oversized body', () => call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ notes: 'x'.repeat(100_000) }) }), 413],
    ['schema violation', () => call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ items: [{ sku: 'BC-STD', quantity: -5 }] }) }), 422],
    ['unknown product', () => call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ items: [{ sku: 'NOPE-1', quantity: 5 }] }) }), 422],
    ['unknown order id', () => call('GET', '/v1/orders/00000000-0000-4000-8000-000000000000', { key: SHOP }), 404],
    ['malformed order id', () => call('GET', "/v1/orders/1'%20or%201=1", { key: SHOP }), 404],
    ['unknown route', () => call('GET', '/v2/orders', { key: SHOP }), 404],
  ];
  it.each(cases)('%s', async (_name, run, status) => {
    const res = await run();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.json).toMatchObject({ status, title: expect.any(String), type: expect.stringContaining('/problems/') });
  });

  it('names the offending fields', async () => {
    const res = await call('POST', '/v1/orders', {
      key: SHOP,
      body: sampleOrder({ items: [{ sku: 'NOPE-1', quantity: 5 }, { sku: 'BC-STD', quantity: 1.5 }] }),
    });
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: any) => e.path)).toContain('items.1.quantity');
    const biz = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ items: [{ sku: 'NOPE-1', quantity: 5 }] }) });
    expect(biz.json.errors).toEqual([expect.objectContaining({ path: 'items.0.sku', message: expect.stringContaining('NOPE-1') })]);
  });
});

describe('health', () => {
  it('is healthy and ready with Temporal and the database up', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json.checks).toEqual({ temporal: 'ok', database: 'ok' });
  });
});

describe('Temporal unreachable', () => {
  let down: RunningApi;
  beforeAll(async () => {
    // An API whose Temporal address has nothing listening.
    const config = loadConfig(testEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }));
    down = await startApi({ config, log, shop: pipeline.dbs.shop });
  });
  afterAll(async () => {
    await down?.close();
  });

  it('answers 503 with Retry-After instead of acknowledging an order it could not record', async () => {
    const before = await pipeline.dbs.shop.db.$count(orders);
    const res = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder(), base: down.url });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    // No connection was ever made, so the API knows nothing was recorded.
    expect(res.json.detail).toMatch(/NOT accepted/);
    expect(res.json.detail).not.toMatch(/ECONNREFUSED|UNAVAILABLE/);
    expect(await pipeline.dbs.shop.db.$count(orders)).toBe(before);
    const ready = await call('GET', '/readyz', { base: down.url });
    expect(ready.status).toBe(503);
    expect(ready.json.checks.temporal).toMatch(/unreachable/);
    // Public answers name no internal address and carry no raw error text.
    expect(ready.json.checks.temporal).toBe('unreachable');
    expect(ready.text).not.toContain('127.0.0.1');
    expect(res.json.cause).toBeUndefined();
    expect(res.text).not.toContain('127.0.0.1');
  });
});
