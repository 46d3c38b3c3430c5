/**
 * Prometheus metrics over real HTTP against the real pipeline: scrape, run orders, scrape again
 * and check that every metric moved (API, pricing, CRM, stages, projection gauges, backlog, and
 * the Temporal SDK's own exporter).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/api/server.js';
import { createLogger } from '../src/platform/logger.js';
import { startMetricsServer, type MetricsServer } from '../src/platform/metrics/http.js';
import { installTemporalRuntime } from '../src/platform/temporal/runtime.js';
import { QUEUE_NAMES, STAGES, TASK_QUEUES } from '../src/order/contract.js';
import type { HttpCall } from './support/http.js';
import { KNOWN_SDK_METRICS, parseMetrics, value, type Sample } from './support/monitoring.js';
import { sampleOrder, startPipelineWithApi, waitForOrder, type TestPipeline } from './support/pipeline.js';
import { freePort } from './support/processes.js';

let pipeline: TestPipeline;
let call: HttpCall;
let api: RunningApi;
let stop: (() => Promise<void>) | undefined;
let workerMetrics: MetricsServer | undefined;
let sdkPort: number;

beforeAll(async () => {
  // Before any worker or connection exists (the pipeline helper's own install is then a no-op).
  sdkPort = await freePort();
  installTemporalRuntime(createLogger('silent'), { metricsPort: sdkPort, metricsHost: '127.0.0.1' });
  ({ pipeline, call, api, stop } = await startPipelineWithApi({ env: { METRICS_CACHE_SECONDS: '0' } }));
  workerMetrics = await startMetricsServer({ port: 0, log: createLogger('silent') });
});
afterAll(async () => {
  await workerMetrics?.close();
  await stop?.();
});

/** A scrape of the API's metrics listener (METRICS_PORT), as Prometheus does it. */
async function scrape(): Promise<Sample[]> {
  const res = await fetch(api.metrics!.url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseMetrics(await res.text());
}

/** Sum of a metric's samples over all labels. */
const total = (samples: Sample[], name: string) => samples.filter((x) => x.name === name).reduce((n, x) => n + x.value, 0);

/**
 * A scrape once the workers are idle: work that earlier test files left on the shared test
 * server (an order still waiting for its price, say) is finished first, so that the deltas
 * below are this test's alone.
 */
async function idleScrape(): Promise<Sample[]> {
  const moving = ['orders_pricing_total', 'orders_crm_processing_seconds_count', 'orders_stage_duration_seconds_count'];
  let last = await scrape();
  let stableFor = 0;
  for (let i = 0; i < 60 && stableFor < 3; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const next = await scrape();
    stableFor = moving.every((m) => total(next, m) === total(last, m)) ? stableFor + 1 : 0;
    last = next;
  }
  return last;
}

const SHOP = 'shop-dev-key';
const ACME = 'partner-acme-dev-key';

describe('GET /metrics', () => {
  it('moves every pipeline metric when orders run through', async () => {
    const before = await idleScrape();
    const delta = (name: string, labels: Record<string, string> = {}) => (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);

    // Quantities no earlier test used, so both orders are priced by the engine (cache misses).
    const unique = () => 1_000 + Math.floor(Math.random() * 90_000);
    const shopItems = [{ sku: 'BC-STD', quantity: unique() }];
    const shop = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ items: shopItems }) });
    const acme = await call('POST', '/v1/orders', {
      key: ACME,
      body: sampleOrder({ items: [{ sku: 'BC-STD', quantity: unique() }], shipping: { method: 'pickup' } }),
    });
    expect([shop.status, acme.status]).toEqual([202, 202]);
    await waitForOrder(pipeline.client, shop.json.id, (s) => s.status === 'delivered');
    await waitForOrder(pipeline.client, acme.json.id, (s) => s.status === 'delivered');
    expect((await call('GET', `/v1/orders/${shop.json.id}`, { key: SHOP })).status).toBe(200);
    // A quote for the shop order's items is answered from the price cache.
    expect((await call('POST', '/v1/quotes', { key: SHOP, body: { items: shopItems } })).status).toBe(200);
    expect((await call('POST', '/v1/orders', { key: SHOP, body: { customer: {} } })).status).toBe(422);
    expect((await call('GET', '/v1/orders/not-an-order', { key: 'wrong-key' })).status).toBe(401);
    expect((await call('GET', '/no/such/path')).status).toBe(404);
    // The projection is written right after each change: give the last write a moment.
    await new Promise((r) => setTimeout(r, 500));

    const after = await scrape();
    // API: counted and timed by route pattern, never by raw URL.
    expect(delta('orders_api_requests_total', { route: '/v1/orders', method: 'POST', status: '202' })).toBe(2);
    expect(delta('orders_api_requests_total', { route: '/v1/orders', method: 'POST', status: '422' })).toBe(1);
    expect(delta('orders_api_requests_total', { route: '/v1/orders/:id', method: 'GET', status: '200' })).toBe(1);
    expect(delta('orders_api_requests_total', { route: '(unmatched)', status: '401' })).toBe(1);
    expect(delta('orders_api_requests_total', { route: '(unmatched)', status: '404' })).toBe(1);
    expect(delta('orders_api_request_duration_seconds_count', { route: '/v1/orders', method: 'POST', status: '202' })).toBe(2);
    expect(delta('orders_api_request_duration_seconds_sum', { route: '/v1/orders', method: 'POST', status: '202' })).toBeGreaterThan(0);
    const routes = new Set(after.filter((s) => s.name === 'orders_api_requests_total').map((s) => s.labels.route));
    expect([...routes].filter((r) => /[0-9a-f]{8}-|not-an-order|no\/such/.test(r!))).toEqual([]);

    // Pricing and CRM, per activity attempt.
    expect(delta('orders_pricing_total', { result: 'ok' })).toBe(3); // two orders and the quote
    expect(delta('orders_pricing_duration_seconds_count', { result: 'ok' })).toBe(3);
    expect(total(after, 'orders_pricing_cache_hits_total') - total(before, 'orders_pricing_cache_hits_total')).toBe(1);
    expect(delta('orders_crm_processing_seconds_count', { result: 'ok' })).toBe(2);
    expect(delta('orders_crm_processing_seconds_sum', { result: 'ok' })).toBeGreaterThan(0);

    // Every stage of both orders, observed once when the projection recorded its end.
    for (const stage of STAGES) {
      for (const channel of ['b2c', 'b2b']) {
        expect(delta('orders_stage_duration_seconds_count', { stage, channel }), `${stage} ${channel}`).toBe(1);
      }
    }
    expect(delta('orders_stage_duration_seconds_sum', { stage: 'ship', channel: 'b2c' })).toBeGreaterThan(0);

    // Gauges read from the projection at scrape time.
    expect(delta('orders_by_status', { status: 'delivered', channel: 'b2c' })).toBe(1);
    expect(delta('orders_by_status', { status: 'delivered', channel: 'b2b' })).toBe(1);
    for (const stage of STAGES) expect(value(after, 'orders_unprocessed', { stage }), stage).toBeGreaterThanOrEqual(0);
    expect(value(after, 'orders_overdue')).toBeGreaterThanOrEqual(0);

    // Backlog of every task queue, from Temporal's task-queue stats.
    for (const q of QUEUE_NAMES) {
      expect(value(after, 'orders_task_queue_backlog', { queue: TASK_QUEUES[q], type: 'activity' }), q).toBeGreaterThanOrEqual(0);
      expect(value(after, 'orders_task_queue_backlog', { queue: TASK_QUEUES[q], type: 'workflow' }), q).toBeGreaterThanOrEqual(0);
    }
  });

  it('counts a live order in orders_unprocessed under its stage', async () => {
    const live = (samples: Sample[]) => STAGES.reduce((n, stage) => n + (value(samples, 'orders_unprocessed', { stage }) ?? 0), 0);
    const before = live(await scrape());
    // A large quantity keeps the order in production for a moment.
    const created = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ items: [{ sku: 'BC-STD', quantity: 5000 }] }) });
    expect(created.status).toBe(202);
    const deadline = Date.now() + 20_000;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      seen = live(await scrape()) >= before + 1;
      if (!seen) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toBe(true);
    await waitForOrder(pipeline.client, created.json.id, (s) => s.status === 'delivered');
  });

  it('exports no read replica lag when the shop reader is the primary itself', async () => {
    const samples = await scrape();
    expect(samples.some((x) => x.name === 'orders_by_status')).toBe(true);
    expect(value(samples, 'orders_shop_read_replica_lag_seconds')).toBeUndefined();
  });

  it('serves no metrics on the public API port, in any spelling, but 404 problem+json', async () => {
    for (const target of ['/metrics', '/metrics/', '/METRICS', '/metrics?x', '/%6detrics', '/Metrics', '/metrics;x']) {
      const res = await call('GET', target);
      expect(res.status, target).toBe(404);
      expect(res.headers.get('content-type'), target).toContain('application/problem+json');
      expect(res.text, target).not.toMatch(/^# (HELP|TYPE) /m);
    }
    // …while the metrics listener of the same process answers with the Prometheus text.
    const scraped = await fetch(api.metrics!.url);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^# HELP orders_api_requests_total /m);
    expect(new URL(api.metrics!.url).port).not.toBe(String(api.port));
  });

  it('serves the same registry on a worker process listener, and nothing else there', async () => {
    const res = await fetch(workerMetrics!.url);
    expect(res.status).toBe(200);
    const samples = parseMetrics(await res.text());
    expect(value(samples, 'orders_pricing_total', { result: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(value(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect((await fetch(workerMetrics!.url.replace('/metrics', '/'))).status).toBe(404);
  });

  it("serves the Temporal SDK's worker metrics on its own exporter port", async () => {
    const res = await fetch(`http://127.0.0.1:${sdkPort}/metrics`);
    expect(res.status).toBe(200);
    const samples = parseMetrics(await res.text());
    const names = new Set(samples.map((s) => s.name));
    expect([...names].filter((n) => n.startsWith('temporal_')).length).toBeGreaterThan(5);
    // Resource-based slots (the default) export no slots-available series, only slots in use, which
    // the dashboard charts: the pricing worker's series must be there (it is 0 between tasks).
    expect(value(samples, 'temporal_worker_task_slots_used', { task_queue: 'pricing' }), 'temporal_worker_task_slots_used{task_queue="pricing"}').toBeTypeOf(
      'number',
    );
    // The SDK names the dashboard may use (test/monitoring.test.ts) are the ones it exports.
    const bases = new Set([...names].map((n) => n.replace(/_(?:bucket|sum|count)$/, '')));
    expect(KNOWN_SDK_METRICS.filter((n) => !bases.has(n))).toEqual([]);
  });
});
