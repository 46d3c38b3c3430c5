/** Idempotency keys, the catalog and quotes, over real HTTP against the real pipeline. */
import { eq, gte } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionJobs } from '../src/mes/schema.js';
import { orders } from '../src/order/schema.js';
import { startApi } from '../src/api/server.js';
import { CATALOG } from '../src/domain/catalog.js';
import { promiseDate } from '../src/domain/durations.js';
import { priceOrder } from '../src/domain/pricing/index.js';
import { createLogger } from '../src/platform/logger.js';
import { ORDER_WORKFLOW_TYPE, orderWorkflowId } from '../src/order/contract.js';
import type { HttpCall } from './support/http.js';
import { sampleOrder, startPipelineWithApi, testConfig, type TestPipeline } from './support/pipeline.js';

let pipeline: TestPipeline;
let call: HttpCall;
let stop: (() => Promise<void>) | undefined;
const log = createLogger('silent');
const SHOP = 'shop-dev-key';
const ACME = 'partner-acme-dev-key';

beforeAll(async () => {
  ({ pipeline, call, stop } = await startPipelineWithApi());
});
afterAll(() => stop?.());

const key = () => `idem-${Math.random().toString(36).slice(2)}`;
const pickup = () => sampleOrder({ shipping: { method: 'pickup' } });

describe('Idempotency-Key', () => {
  it('answers a repeat with the same order, marked as replayed', async () => {
    const k = key();
    const body = pickup();
    const first = await call('POST', '/v1/orders', { key: SHOP, body, headers: { 'idempotency-key': k } });
    const again = await call('POST', '/v1/orders', { key: SHOP, body, headers: { 'idempotency-key': k } });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBe('false');
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
  });

  it('treats the same body with keys in another order as the same request', async () => {
    const k = key();
    const body = pickup();
    const reordered = { shipping: body.shipping, items: body.items, customer: body.customer };
    const first = await call('POST', '/v1/orders', { key: SHOP, body, headers: { 'idempotency-key': k } });
    const again = await call('POST', '/v1/orders', { key: SHOP, body: reordered, headers: { 'idempotency-key': k } });
    expect(again.json.id).toBe(first.json.id);
  });

  it('refuses the same key with another body (422) and starts nothing', async () => {
    const k = key();
    const first = await call('POST', '/v1/orders', { key: SHOP, body: pickup(), headers: { 'idempotency-key': k } });
    const other = await call('POST', '/v1/orders', { key: SHOP, body: pickup(), headers: { 'idempotency-key': k } });
    expect(first.status).toBe(202);
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    expect(other.json.title).toBe('Idempotency-Key reused');
  });

  it('makes exactly one order of concurrent duplicates', async () => {
    const k = key();
    // The shop's own reference: a search attribute (ExternalRef), unlike the customer's e-mail.
    const body = { ...pickup(), externalRef: `dup-${k}` };
    const answers = await Promise.all(Array.from({ length: 10 }, () => call('POST', '/v1/orders', { key: SHOP, body, headers: { 'idempotency-key': k } })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    const ids = new Set(answers.map((a) => a.json.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids] as string[];
    // Every client sees the same answer; exactly one of them is the first, the others replays.
    for (const a of answers) expect(a.json).toEqual(answers[0]!.json);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'false')).toHaveLength(1);
    const handle = pipeline.client.workflow.getHandle(orderWorkflowId(id!));
    const final = await handle.result();
    expect(final.status).toBe('delivered');
    // one order: one projection row, one production job
    expect(await pipeline.dbs.shop.db.$count(orders, eq(orders.customerEmail, body.customer.email))).toBe(1);
    expect(await pipeline.dbs.mes.db.$count(productionJobs, eq(productionJobs.orderId, id!))).toBe(1);
    // one workflow: Temporal knows no second order with this reference (visibility lags a little)
    const byCustomer = `WorkflowType = '${ORDER_WORKFLOW_TYPE}' AND ExternalRef = '${body.externalRef}'`;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      if ((await pipeline.client.workflow.count(byCustomer)).count > 0) break;
    }
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await pipeline.client.workflow.count(byCustomer)).count).toBe(1);
  });

  it('answers a repeat with the stored order even after its due date has passed', async () => {
    const k = key();
    // The lead time scales with PIPELINE_TIME_SCALE (0.0001 in tests): the earliest due date of
    // this pickup order is some 9 s away, so a due date just after it passes while the test waits.
    const base = pickup();
    const earliest = promiseDate({ createdAt: new Date(), items: base.items, method: 'pickup', scale: pipeline.config.timeScale });
    const body = { ...base, dueBy: new Date(earliest.getTime() + 1_500).toISOString() };
    const first = await call('POST', '/v1/orders', { key: SHOP, body, headers: { 'idempotency-key': k } });
    expect(first.status, first.text).toBe(202);
    await new Promise((r) => setTimeout(r, Date.parse(body.dueBy) - Date.now() + 200));

    const again = await call('POST', '/v1/orders', { key: SHOP, body, headers: { 'idempotency-key': k } });
    expect(again.status, again.text).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    // The same body as a new request is refused now: the repeat was not validated again.
    const fresh = await call('POST', '/v1/orders', { key: SHOP, body, headers: { 'idempotency-key': key() } });
    expect(fresh.status).toBe(422);
    expect(fresh.json.errors.map((e: { path: string }) => e.path)).toContain('dueBy');
  });

  it('scopes keys per client: two clients with the same key get two orders', async () => {
    const k = key();
    const a = await call('POST', '/v1/orders', { key: SHOP, body: pickup(), headers: { 'idempotency-key': k } });
    const b = await call('POST', '/v1/orders', { key: ACME, body: pickup(), headers: { 'idempotency-key': k } });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.json.id).not.toBe(b.json.id);
  });

  it('forgets a key after it expires', async () => {
    const shortLived = await startApi({ config: testConfig({ IDEMPOTENCY_TTL_HOURS: String(1 / 3600) }), log, shop: pipeline.dbs.shop });
    try {
      const k = key();
      const body = pickup();
      const first = await call('POST', '/v1/orders', { key: SHOP, body, headers: { 'idempotency-key': k }, base: shortLived.url });
      await new Promise((r) => setTimeout(r, 1_200));
      const later = await call('POST', '/v1/orders', { key: SHOP, body, headers: { 'idempotency-key': k }, base: shortLived.url });
      expect(later.status).toBe(202);
      expect(later.headers.get('idempotent-replayed')).toBe('false');
      expect(later.json.id).not.toBe(first.json.id);
    } finally {
      await shortLived.close();
    }
  });

  it('rejects a malformed key with 400', async () => {
    const res = await call('POST', '/v1/orders', { key: SHOP, body: pickup(), headers: { 'idempotency-key': 'has space' } });
    expect(res.status).toBe(400);
    expect(res.json.title).toBe('Invalid Idempotency-Key');
  });
});

describe('catalog and quotes', () => {
  it('lists every product with its options and defaults', async () => {
    const res = await call('GET', '/v1/catalog', { key: ACME });
    expect(res.status).toBe(200);
    expect(res.json.products.map((p: any) => p.sku)).toEqual(CATALOG.map((p) => p.sku));
    const cards = res.json.products.find((p: any) => p.sku === 'BC-STD');
    expect(cards.options.find((o: any) => o.name === 'paper')).toMatchObject({ default: 'matte-350' });
  });

  it('prices a quote with the same engine as orders, without creating an order', async () => {
    const items = [
      { sku: 'BC-STD', quantity: 1000, options: { finish: 'foil' } },
      { sku: 'POS-A2', quantity: 3 },
    ];
    const since = new Date();
    const res = await call('POST', '/v1/quotes', { key: ACME, body: { items } });
    expect(res.status).toBe(200);
    // acme's own price list applies to its quotes
    expect(res.json.price).toEqual(priceOrder(items, { partnerId: 'acme' }));
    // no order was created by quoting (orders of earlier tests may still be landing, hence the time filter)
    await new Promise((r) => setTimeout(r, 500));
    expect(await pipeline.dbs.shop.db.$count(orders, gte(orders.createdAt, since))).toBe(0);
  });

  it('refuses a quote for unknown products with 422 naming them', async () => {
    const res = await call('POST', '/v1/quotes', { key: SHOP, body: { items: [{ sku: 'GHOST', quantity: 1 }] } });
    expect(res.status).toBe(422);
    expect(res.json.errors).toEqual([expect.objectContaining({ path: 'items.0.sku', message: expect.stringContaining('GHOST') })]);
  });
});
