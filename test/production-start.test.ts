/**
 * When an order is "being made": with one production line, only the order whose job is on the
 * line reads `in_production`; the others wait for it as `awaiting_production` (in the workflow,
 * the API and the shop projection). Cancels of waiting orders, concurrent cancels, and a cancel
 * the MES cannot answer, over real HTTP against the real workers, Temporal and PostgreSQL.
 */
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionJobs } from '../src/mes/schema.js';
import { orders } from '../src/order/schema.js';
import { orderWorkflowId, statusQuery, type OrderState } from '../src/order/contract.js';
import type { HttpCall } from './support/http.js';
import { sampleOrder, startPipelineWithApi, waitForOrder, type TestPipeline } from './support/pipeline.js';

const SHOP = 'shop-dev-key';
const ACME = 'partner-acme-dev-key';

// 100,000 business cards: about 3 s on the line at the test time scale.
const bigRun = () => sampleOrder({ items: [{ sku: 'BC-STD', quantity: 100_000 }], shipping: { method: 'pickup' } });
const small = () => sampleOrder({ items: [{ sku: 'BC-STD', quantity: 100 }], shipping: { method: 'pickup' } });

let pipeline: TestPipeline;
let call: HttpCall;
let stop: (() => Promise<void>) | undefined;

async function jobsOf(ids: string[]) {
  return pipeline.dbs.mes.db.select().from(productionJobs).where(inArray(productionJobs.orderId, ids));
}

async function pollJob(orderId: string, status: string, timeoutMs = 20_000) {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 50))) {
    const [job] = await jobsOf([orderId]);
    if (job?.status === status) return job;
    if (Date.now() > deadline) throw new Error(`job of ${orderId} never reached ${status}: ${job?.status}`);
  }
}

const result = (id: string): Promise<OrderState> => pipeline.client.workflow.getHandle(orderWorkflowId(id)).result();

/** Places an order that occupies the only line (100,000 cards: about 3 s); resolves once it is on the line. */
async function blockTheLine(items = bigRun().items): Promise<string> {
  const placed = await call('POST', '/v1/orders', { key: SHOP, body: { ...bigRun(), items } });
  expect(placed.status).toBe(202);
  await pollJob(placed.json.id, 'in_production');
  return placed.json.id;
}

/** Places a partner order and waits until it is queued at the MES for a line. */
async function placeWaiting(): Promise<string> {
  const placed = await call('POST', '/v1/orders', { key: ACME, body: small() });
  expect(placed.status).toBe(202);
  await waitForOrder(pipeline.client, placed.json.id, (s) => s.status === 'awaiting_production');
  return placed.json.id;
}

describe('waiting for a production line', () => {
  beforeAll(async () => {
    ({ pipeline, call, stop } = await startPipelineWithApi({ env: { MES_CAPACITY: '1' } }));
  });
  afterAll(() => stop?.());

  it('shows in_production only for the order whose job is on the line; the others are awaiting_production', async () => {
    // 30,000 brochures, about 6 s on the line.
    const blocker = await blockTheLine([{ sku: 'BRO-A4-16', quantity: 30_000 }]);
    // The order on the line: its produce step saw the job start and said so.
    const onLine = await waitForOrder(pipeline.client, blocker, (s) => s.status === 'in_production', 10_000);
    expect(onLine.production?.startedAt).toBeTruthy();
    expect(onLine.timeline.find((t) => t.stage === 'produce')?.detail).toMatch(/on a line since/);

    const waiting: string[] = [];
    for (let i = 0; i < 4; i++) waiting.push(await placeWaiting());
    expect((await pipeline.client.workflow.getHandle(orderWorkflowId(blocker)).query(statusQuery)).status).toBe('in_production');

    // What a partner reads, and what the shop's lists read.
    for (const id of waiting) {
      const got = await call('GET', `/v1/orders/${id}`, { key: ACME });
      expect(got.status).toBe(200);
      expect(got.json.status).toBe('awaiting_production');
    }
    const rows = await pipeline.dbs.shop.db.select({ id: orders.id, status: orders.status }).from(orders).where(inArray(orders.id, waiting));
    expect(rows.map((r) => r.status)).toEqual(waiting.map(() => 'awaiting_production'));
    // The MES has none of them on a line (their produce tasks wait for the line's slot in priority order).
    const jobs = await jobsOf(waiting);
    expect(jobs.filter((j) => j.status !== 'queued')).toEqual([]);

    // Each went on the line in turn and then through in_production, with its start time.
    const blockerFinal = await result(blocker);
    expect(blockerFinal.status).toBe('delivered');
    for (const id of waiting) {
      const final = await result(id);
      expect(final.status).toBe('delivered');
      const [job] = await jobsOf([id]);
      expect(final.production?.startedAt).toBe(job!.startedAt!.toISOString());
      expect(Date.parse(final.production!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(blockerFinal.production!.completedAt!));
    }
  });

  it('gives two concurrent cancels of a waiting order the same answer, and cancels it once', async () => {
    const blocker = await blockTheLine();
    const id = await placeWaiting();
    const [a, b] = await Promise.all([
      call('POST', `/v1/orders/${id}/cancel`, { key: ACME, body: { reason: 'customer changed the design' } }),
      call('POST', `/v1/orders/${id}/cancel`, { key: ACME, body: { reason: 'customer changed the design' } }),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect([a.json.status, b.json.status]).toEqual(['cancelled', 'cancelled']);
    const final = await result(id);
    expect(final.timeline.filter((t) => t.stage === 'cancel')).toHaveLength(1);
    expect((await jobsOf([id]))[0]?.status).toBe('cancelled');
    expect((await result(blocker)).status).toBe('delivered');
  });

  it('refuses two concurrent cancels of an order on the line with 409, and the order goes on', async () => {
    const id = await blockTheLine();
    await waitForOrder(pipeline.client, id, (s) => s.status === 'in_production', 10_000);
    const answers = await Promise.all([call('POST', `/v1/orders/${id}/cancel`, { key: SHOP }), call('POST', `/v1/orders/${id}/cancel`, { key: SHOP })]);
    for (const res of answers) {
      expect(res.status).toBe(409);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.json.detail).toMatch(/production has started/);
    }
    expect((await result(id)).status).toBe('delivered');
  });
});

describe('a cancel the MES cannot answer', () => {
  /** Orders whose cancel the MES does not answer (its control interface is down for them). */
  const unreachable = new Set<string>();
  beforeAll(async () => {
    ({ pipeline, call, stop } = await startPipelineWithApi({
      env: { MES_CAPACITY: '1' },
      mes: (embedded) => ({
        ...embedded,
        async cancelJob(orderId) {
          if (unreachable.has(orderId)) throw new Error('connect ECONNREFUSED (MES control interface)');
          return embedded.cancelJob(orderId);
        },
      }),
    }));
  });
  afterAll(() => stop?.());

  it('answers 503 within seconds, leaves the order waiting, and a later cancel succeeds', async () => {
    // 100,000 brochures, about 20 s on the line: longer than the workflow asks the MES before it gives up.
    const blocker = await blockTheLine([{ sku: 'BRO-A4-16', quantity: 100_000 }]);
    const id = await placeWaiting();
    unreachable.add(id);
    const started = Date.now();
    const refused = await call('POST', `/v1/orders/${id}/cancel`, { key: ACME, body: { reason: 'wrong artwork' } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.json.detail).toMatch(/try again/i);
    expect(Date.now() - started).toBeLessThan(30_000);
    const after = await call('GET', `/v1/orders/${id}`, { key: ACME });

    expect(after.json.status).toBe('awaiting_production');
    expect((await jobsOf([id])).filter((j) => j.status !== 'queued' && j.status !== 'cancelled')).toEqual([]);

    // The MES answers again, and the job is still waiting for the line: the cancel goes through.
    unreachable.delete(id);
    const again = await call('POST', `/v1/orders/${id}/cancel`, { key: ACME, body: { reason: 'wrong artwork' } });
    expect(again.status).toBe(202);
    const final = await result(id);
    expect(final.status).toBe('cancelled');
    expect(final.timeline.filter((t) => t.stage === 'cancel')).toHaveLength(1);
    expect((await result(blocker)).status).toBe('delivered');
  });
});

describe('a job long on its line', () => {
  let long: Awaited<ReturnType<typeof startPipelineWithApi>> | undefined;
  beforeAll(async () => {
    // 100,000 business cards: about 12 s on the line at this time scale.
    long = await startPipelineWithApi({ env: { PIPELINE_TIME_SCALE: '0.0004' } });
  });
  afterAll(() => long?.stop());

  it('heartbeats every 5 s while the job is on its line, not every second, and still completes', async () => {
    const placed = await long!.call('POST', '/v1/orders', { key: SHOP, body: bigRun() });
    expect(placed.status).toBe(202);
    const id: string = placed.json.id;
    const handle = long!.pipeline.client.workflow.getHandle(orderWorkflowId(id));
    // The heartbeats the server recorded, as an operator's describe shows them, sampled twice a second.
    const seen = new Set<number>();
    for (let state = await handle.query(statusQuery); !state.production?.completedAt; state = await handle.query(statusQuery)) {
      const { raw } = await handle.describe();
      for (const a of raw.pendingActivities ?? []) {
        if (a.activityType?.name === 'produce' && a.lastHeartbeatTime?.seconds != null) {
          seen.add(Number(a.lastHeartbeatTime.seconds) * 1000 + Math.floor((a.lastHeartbeatTime.nanos ?? 0) / 1e6));
        }
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const done = await waitForOrder(long!.pipeline.client, id, (s) => s.production?.completedAt !== undefined);
    const onLine = Date.parse(done.production!.completedAt!) - Date.parse(done.production!.startedAt!);
    expect(onLine).toBeGreaterThan(9_000);
    // One when the attempt starts, then one per 5 s on the line; a heartbeat a second would be ten or more.
    expect(seen.size).toBeGreaterThanOrEqual(2);
    expect(seen.size).toBeLessThanOrEqual(Math.ceil(onLine / 5000) + 1);
  }, 90_000);
});
