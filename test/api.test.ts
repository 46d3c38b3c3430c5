/** The REST intake over real HTTP, against the real pipeline (Temporal, workers, PostgreSQL). */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { orders } from '../src/order/schema.js';
import { startApi, type RunningApi } from '../src/api/server.js';
import { loadConfig } from '../src/platform/config.js';
import { priceOrder } from '../src/domain/pricing/index.js';
import { createLogger } from '../src/platform/logger.js';
import { ORDER_WORKFLOW_TYPE, STAGES } from '../src/order/contract.js';
import { CuttableLink } from './support/cuttable-link.js';
import type { HttpCall } from './support/http.js';
import { sampleOrder, startPipelineWithApi, testEnv, type TestPipeline } from './support/pipeline.js';

let pipeline: TestPipeline;
let call: HttpCall;
let stop: (() => Promise<void>) | undefined;
const log = createLogger('silent');

/** Orders whose production job the MES refuses for good, with an error text that names its internals. */
const refusedByMes = new Set<string>();
const MES_INTERNAL_ERROR = 'connection to mes-db.internal:5432 failed: password authentication failed for user "mes_app"';

beforeAll(async () => {
  ({ pipeline, call, stop } = await startPipelineWithApi({
    mes: (embedded) => ({
      ...embedded,
      async submitJob(input) {
        if (refusedByMes.has(input.orderId)) throw ApplicationFailure.nonRetryable(MES_INTERNAL_ERROR, 'MesUnavailable');
        return embedded.submitJob(input);
      },
    }),
  }));
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

describe('a failed order', () => {
  it('tells its partner that it failed and at which step, never the internal error; operators see that error', async () => {
    const created = await call('POST', '/v1/orders', { key: ACME, body: sampleOrder({ shipping: { method: 'pickup' } }) });
    expect(created.status).toBe(202);
    const id: string = created.json.id;
    refusedByMes.add(id);
    const asOperator = await pollOrder(id, OPS, (o) => o.status === 'failed');
    expect(asOperator.failure).toMatchObject({ stage: 'produce', type: 'MesUnavailable', message: expect.stringContaining('mes-db.internal') });
    expect(JSON.stringify(asOperator.timeline)).toContain('mes-db.internal');
    expect(asOperator.trace.url).toContain(`/workflows/order-${id}`);

    const asPartner = await call('GET', `/v1/orders/${id}`, { key: ACME });
    expect(asPartner.status).toBe(200);
    expect(asPartner.json.status).toBe('failed');
    expect(asPartner.json.failure).toEqual({ stage: 'produce', type: 'StepFailed', message: expect.stringContaining('produce') });
    expect(asPartner.json.timeline.find((t: any) => t.stage === 'produce')).toMatchObject({ status: 'failed' });
    expect(asPartner.json.trace).toEqual({ workflowId: `order-${id}` });
    for (const leak of ['mes-db.internal', '5432', 'password', 'mes_app', 'MesUnavailable']) expect(asPartner.text).not.toContain(leak);
    const listed = await call('GET', '/v1/orders?limit=100', { key: ACME });
    expect(listed.json.data.some((o: any) => o.id === id)).toBe(true);
    for (const leak of ['mes-db.internal', 'password', '/workflows/']) expect(listed.text).not.toContain(leak);
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
      body: sampleOrder({
        items: [
          { sku: 'NOPE-1', quantity: 5 },
          { sku: 'BC-STD', quantity: 1.5 },
        ],
      }),
    });
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: any) => e.path)).toContain('items.1.quantity');
    const biz = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ items: [{ sku: 'NOPE-1', quantity: 5 }] }) });
    expect(biz.json.errors).toEqual([expect.objectContaining({ path: 'items.0.sku', message: expect.stringContaining('NOPE-1') })]);
  });
});

describe('health', () => {
  it('is healthy and ready with Temporal up, its namespace set up for orders, and the database up', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json.checks).toEqual({ temporal: 'ok', namespace: 'ok', searchAttributes: 'ok', database: 'ok' });
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
    expect(ready.json.checks).toMatchObject({ namespace: 'unknown', searchAttributes: 'unknown' });
    expect(ready.text).not.toContain('127.0.0.1');
    expect(res.json.cause).toBeUndefined();
    expect(res.text).not.toContain('127.0.0.1');
  });
});

describe('shop database stalled', () => {
  // The API reaches the shop database through a link that keeps its answers back.
  let link: CuttableLink;
  let stalled: RunningApi;
  let dbs: Awaited<ReturnType<typeof openDatabases<'shop'>>>;
  beforeAll(async () => {
    link = await CuttableLink.open();
    const config = loadConfig(testEnv({ SHOP_DATABASE_URL: link.route(inject('databaseUrls').shop) }));
    dbs = await openDatabases(config, ['shop']);
    stalled = await startApi({ config, log, shop: dbs.shop });
  });
  afterAll(async () => {
    link?.releaseReplies();
    await stalled?.close();
    await dbs?.close();
    await link?.close();
  });

  it('answers /readyz 503 within seconds, naming the check but no address or error text', async () => {
    link.holdReplies();
    const sent = Date.now();
    const ready = await call('GET', '/readyz', { base: stalled.url });
    link.releaseReplies();
    expect(ready.status).toBe(503);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(ready.json).toEqual({ status: 'not ready', checks: { temporal: 'ok', namespace: 'ok', searchAttributes: 'ok', database: 'unreachable' } });
    expect(ready.text).not.toMatch(/127\.0\.0\.1|select|postgres|within/i);
  });
});

describe('Temporal answers a start too late', () => {
  // The API reaches Temporal through a link that can keep Temporal's answers back: the start
  // arrives and is recorded, but its answer comes after the API's 5 s deadline.
  let link: CuttableLink;
  let slow: RunningApi;
  beforeAll(async () => {
    const [host, port] = inject('temporalAddress').split(':');
    link = await CuttableLink.open({ host: host!, port: Number(port) });
    const config = loadConfig(testEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${link.port}` }));
    slow = await startApi({ config, log, shop: pipeline.dbs.shop });
    // The connection exists before the answers are held (a start that never left is another case).
    expect((await call('GET', '/readyz', { base: slow.url })).status).toBe(200);
  });
  afterAll(async () => {
    await slow?.close();
    await link?.close();
  });

  /** Order workflows Temporal holds with the reference `ref` (visibility lags a little: waits for the first). */
  async function workflowsOf(ref: string): Promise<number> {
    const query = `WorkflowType = '${ORDER_WORKFLOW_TYPE}' AND ExternalRef = '${ref}'`;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      if ((await pipeline.client.workflow.count(query)).count > 0) break;
    }
    await new Promise((r) => setTimeout(r, 1_000));
    return (await pipeline.client.workflow.count(query)).count;
  }

  it('acknowledges an order whose start was recorded though its answer came late, instead of a 503 that invites a duplicate', async () => {
    const ref = `late-${randomUUID()}`;
    const body = sampleOrder({ externalRef: ref });
    link.holdReplies();
    // Answers come again after the start's deadline (5 s), while the API asks (for 2 s) whether it was recorded.
    const release = setTimeout(() => link.releaseReplies(), 6_000);
    try {
      const sent = Date.now();
      const res = await call('POST', '/v1/orders', { key: ACME, body, base: slow.url });
      expect(res.status, res.text.slice(0, 500)).toBe(202);
      // The start's own answer did not come in time: the API answered after its deadline.
      expect(Date.now() - sent).toBeGreaterThanOrEqual(5_000);
      expect(res.json).toMatchObject({ channel: 'b2b', status: 'received' });
      expect((await call('GET', `/v1/orders/${res.json.id}`, { key: ACME })).status).toBe(200);
    } finally {
      clearTimeout(release);
      link.releaseReplies();
    }
    expect(await workflowsOf(ref)).toBe(1);
  });

  it('answers 503 "outcome unknown" when it cannot tell, naming the order to look up; a retry with the key gets that one order', async () => {
    const ref = `late-${randomUUID()}`;
    const body = sampleOrder({ externalRef: ref });
    const headers = { 'idempotency-key': `late-${Math.random().toString(36).slice(2)}` };
    link.holdReplies();
    let res;
    try {
      // Held past the start's deadline and the 2 s check after it.
      res = await call('POST', '/v1/orders', { key: ACME, body, headers, base: slow.url });
    } finally {
      link.releaseReplies();
    }
    expect(res.status, res.text.slice(0, 500)).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.json).toMatchObject({ title: 'Order outcome unknown', outcome: 'unknown', orderId: expect.any(String) });
    expect(res.json.detail).not.toMatch(/NOT accepted/);
    expect(res.json.detail).toContain('same Idempotency-Key');
    expect(res.text).not.toContain('127.0.0.1');
    // The order was recorded: it can be looked up, and the retry the answer asks for is that order.
    expect((await call('GET', `/v1/orders/${res.json.orderId}`, { key: ACME })).status).toBe(200);
    const retry = await call('POST', '/v1/orders', { key: ACME, body, headers, base: slow.url });
    expect(retry.status, retry.text.slice(0, 500)).toBe(202);
    expect(retry.json.id).toBe(res.json.orderId);
    expect(await workflowsOf(ref)).toBe(1);
  });
});
