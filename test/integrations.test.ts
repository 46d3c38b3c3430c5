/**
 * Integration webhooks: the embedded MES and carrier report their work to the API themselves
 * (signed events from their outboxes), the API completes the order's production step and
 * signals its delivery; without the events, the order still gets through on its fallbacks.
 * Real Temporal, PostgreSQL and HTTP.
 */
import { freePort } from './support/processes.js';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carrierOutbox } from '../src/shipping/schema.js';
import { mesOutbox, productionJobs } from '../src/mes/schema.js';
import { integrationEvents } from '../src/order/schema.js';
import { signWebhook } from '../src/platform/webhook-signature.js';
import type { OrderState } from '../src/order/contract.js';
import type { HttpCall } from './support/http.js';
import { sampleOrder, startPipelineWithApi, waitForOrder, type TestPipeline } from './support/pipeline.js';

const SHOP = 'shop-dev-key';
const MES = 'mes-dev-key';
const CARRIER = 'carrier-dev-key';
const MES_SECRET = 'mes-test-webhook-secret';
const CARRIER_SECRET = 'carrier-test-webhook-secret';

/** POSTs an event signed with `secret` (as the systems do). */
function post(call: HttpCall, system: 'mes' | 'carrier', event: unknown, options: { key?: string; secret?: string; raw?: string; signature?: string } = {}) {
  const raw = options.raw ?? JSON.stringify(event);
  const secret = options.secret ?? (system === 'mes' ? MES_SECRET : CARRIER_SECRET);
  return call('POST', `/v1/integrations/${system}/events`, {
    key: options.key ?? (system === 'mes' ? MES : CARRIER),
    raw,
    headers: { 'Webhook-Signature': options.signature ?? signWebhook(secret, Math.floor(Date.now() / 1000), raw) },
  });
}

const stageOf = (s: OrderState, stage: string) => s.timeline.find((e) => e.stage === stage);

describe('with the MES and carrier sending events', () => {
  let pipeline: TestPipeline;
  let call: HttpCall;
  let stop: (() => Promise<void>) | undefined;
  /** Orders whose first MES submission "loses its answer": the attempt fails after the job exists. */
  const flaky = new Set<string>();

  beforeAll(async () => {
    const port = await freePort();
    const base = `http://localhost:${port}/v1/integrations`;
    ({ pipeline, call, stop } = await startPipelineWithApi({
      env: {
        PORT: String(port),
        MES_EVENTS_URL: `${base}/mes/events`,
        CARRIER_EVENTS_URL: `${base}/carrier/events`,
        MES_WEBHOOK_SECRET: MES_SECRET,
        CARRIER_WEBHOOK_SECRET: CARRIER_SECRET,
        // Long enough that a delivery within it can only have come from the carrier's event.
        CARRIER_EVENT_GRACE_SECONDS: '60',
      },
      mes: (embedded) => ({
        ...embedded,
        async submitJob(input) {
          const job = await embedded.submitJob(input);
          if (flaky.delete(input.orderId)) throw new Error('connection to the MES reset before its answer arrived');
          return job;
        },
      }),
    }));
  });
  afterAll(() => stop?.());

  it('completes production and delivery from the systems’ own events', async () => {
    const placed = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() });
    expect(placed.status).toBe(202);
    const id: string = placed.json.id;
    const state = await waitForOrder(pipeline.client, id, (s) => s.status === 'delivered', 40_000);

    expect(state.production?.source).toBe('webhook');
    expect(state.shipment?.source).toBe('webhook');
    expect(stageOf(state, 'produce')?.detail).toContain('MES event');
    expect(stageOf(state, 'ship')?.detail).toContain('carrier event');
    const order = await call('GET', `/v1/orders/${id}`, { key: SHOP });
    expect(order.json.shipment.source).toBe('webhook');

    const received = await pipeline.dbs.shop.db.select().from(integrationEvents).where(eq(integrationEvents.orderId, id));
    expect(
      received
        .filter((e) => e.accepted === 1)
        .map((e) => e.type)
        .sort(),
    ).toEqual(['job.completed', 'job.started', 'shipment.delivered']);
    const [job] = await pipeline.dbs.mes.db.select().from(productionJobs).where(eq(productionJobs.orderId, id));
    const sent = await pipeline.dbs.mes.db
      .select()
      .from(mesOutbox)
      .where(eq(mesOutbox.id, `${job!.id}:completed`));
    expect(sent[0]?.deliveredAt).toBeInstanceOf(Date);

    // The carrier sends its event again (its answer got lost): the same answer, nothing changes.
    const [event] = await pipeline.dbs.carrier.db
      .select()
      .from(carrierOutbox)
      .where(eq(carrierOutbox.id, `${await shipmentId(id)}:delivered`));
    const again = await post(call, 'carrier', event!.payload);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ eventId: event!.id, accepted: true, duplicate: true });
    // A new event about the delivered order comes too late.
    const late = await post(call, 'carrier', { ...event!.payload, id: `${event!.id}-late` });
    expect(late.status).toBe(200);
    expect(late.json.accepted).toBe(false);
    expect(late.json.reason).toMatch(/ended|already/);
    const after = await waitForOrder(pipeline.client, id, () => true);
    expect(after.timeline.filter((e) => e.stage === 'ship')).toHaveLength(1);

    async function shipmentId(orderId: string) {
      const { shipments } = await import('../src/shipping/schema.js');
      const [s] = await pipeline.dbs.carrier.db.select().from(shipments).where(eq(shipments.orderId, orderId));
      return s!.id;
    }
  }, 60_000);

  it('keeps one MES job per order when an attempt fails after submitting it', async () => {
    // About 3 s on the line, so the retry (1 s later) finds the job still in production.
    const placed = await call('POST', '/v1/orders', {
      key: SHOP,
      body: sampleOrder({ items: [{ sku: 'BC-STD', quantity: 100_000 }], shipping: { method: 'pickup' } }),
    });
    const id: string = placed.json.id;
    flaky.add(id);
    const state = await waitForOrder(pipeline.client, id, (s) => s.status === 'delivered', 40_000);
    expect(flaky.has(id)).toBe(false); // the fault did strike
    expect(stageOf(state, 'produce')?.attempts).toBe(2);
    const jobs = await pipeline.dbs.mes.db.select().from(productionJobs).where(eq(productionJobs.orderId, id));
    expect(jobs).toHaveLength(1);
    expect(state.production?.jobId).toBe(jobs[0]!.id);
    // the second attempt's callback replaced the first one's, so the MES's event still completed it
    expect(state.production?.source).toBe('webhook');
  }, 60_000);

  it('submits a job the MES lost again, exactly once', async () => {
    // 100,000 business cards: about 3 s on the line at the test time scale.
    const placed = await call('POST', '/v1/orders', {
      key: SHOP,
      body: sampleOrder({ items: [{ sku: 'BC-STD', quantity: 100_000 }], shipping: { method: 'pickup' } }),
    });
    const id: string = placed.json.id;
    const mes = pipeline.dbs.mes.db;
    let lost: string | undefined;
    for (const deadline = Date.now() + 20_000; !lost && Date.now() < deadline;) {
      const [job] = await mes
        .select()
        .from(productionJobs)
        .where(and(eq(productionJobs.orderId, id), eq(productionJobs.status, 'in_production')));
      if (job) {
        await mes.delete(productionJobs).where(eq(productionJobs.id, job.id));
        lost = job.id;
      } else await new Promise((r) => setTimeout(r, 50));
    }
    expect(lost).toBeDefined();
    const state = await waitForOrder(pipeline.client, id, (s) => s.status === 'delivered', 40_000);
    const jobs = await mes.select().from(productionJobs).where(eq(productionJobs.orderId, id));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.id).not.toBe(lost);
    expect(jobs[0]!.status).toBe('done');
    expect(state.production?.jobId).toBe(jobs[0]!.id);
    expect(stageOf(state, 'produce')?.detail).toContain('resubmitted 1×');
  }, 60_000);

  it('refuses wrong keys, bad signatures and malformed bodies as problem+json', async () => {
    const event = {
      id: 'evt-1',
      type: 'shipment.delivered',
      occurredAt: new Date().toISOString(),
      shipment: { orderId: '7c9e6679-7425-40de-944b-e07fc1f90ae7', trackingNumber: 'TRK1', deliveredAt: new Date().toISOString() },
    };
    const cases: [string, Promise<Awaited<ReturnType<typeof post>>>, number][] = [
      ['no key', call('POST', '/v1/integrations/carrier/events', { body: event }), 401],
      ['unknown key', post(call, 'carrier', event, { key: 'nope' }), 401],
      ['shop key', post(call, 'carrier', event, { key: SHOP }), 403],
      ['MES key on the carrier route', post(call, 'carrier', event, { key: MES }), 403],
      ['carrier key on the MES route', post(call, 'mes', event, { key: CARRIER }), 403],
      ['no signature', call('POST', '/v1/integrations/carrier/events', { key: CARRIER, body: event }), 401],
      ['signed with another secret', post(call, 'carrier', event, { secret: 'not-the-secret' }), 401],
      ['signature of another body', post(call, 'carrier', event, { signature: signWebhook(CARRIER_SECRET, Math.floor(Date.now() / 1000), '{}') }), 401],
      [
        'old signature',
        post(call, 'carrier', event, { signature: signWebhook(CARRIER_SECRET, Math.floor(Date.now() / 1000) - 3600, JSON.stringify(event)) }),
        401,
      ],
      ['garbled signature header', post(call, 'carrier', event, { signature: 'v1=abc' }), 401],
      ['malformed JSON', post(call, 'carrier', undefined, { raw: '{"id":' }), 400],
      ['unknown event type', post(call, 'carrier', { ...event, type: 'shipment.lost' }), 422],
      [
        'missing tracking number',
        post(call, 'carrier', { ...event, shipment: { orderId: event.shipment.orderId, deliveredAt: event.shipment.deliveredAt } }),
        422,
      ],
      ['MES event without its job', post(call, 'mes', { id: 'evt-2', type: 'job.completed', occurredAt: event.occurredAt }), 422],
      [
        'completed job without completion time',
        post(call, 'mes', {
          id: 'evt-3',
          type: 'job.completed',
          occurredAt: event.occurredAt,
          job: { id: 'job_1', orderId: event.shipment.orderId, status: 'done' },
        }),
        422,
      ],
      ['not JSON', call('POST', '/v1/integrations/mes/events', { key: MES, raw: 'hello', type: 'text/plain' }), 415],
    ];
    for (const [name, answer, status] of cases) {
      const a = await answer;
      expect({ name, status: a.status, type: a.headers.get('content-type') }).toEqual({
        name,
        status,
        type: expect.stringContaining('application/problem+json'),
      });
    }
  });

  it('answers unknown and repeated events with 200 accepted:false, so a system stops sending them', async () => {
    const unknownOrder = '00000000-0000-4000-8000-000000000000';
    const completed = {
      id: `evt-unknown-${Date.now()}`,
      type: 'job.completed',
      occurredAt: new Date().toISOString(),
      job: { id: 'job_x', orderId: unknownOrder, status: 'done', completedAt: new Date().toISOString() },
    };
    const first = await post(call, 'mes', completed);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ eventId: completed.id, accepted: false, reason: expect.stringContaining('unknown order') });
    const repeat = await post(call, 'mes', completed);
    expect(repeat.json).toMatchObject({ accepted: false, duplicate: true });
    const notAnOrder = await post(call, 'carrier', {
      id: `evt-c-${Date.now()}`,
      type: 'shipment.delivered',
      occurredAt: new Date().toISOString(),
      shipment: { orderId: 'ORD-4711', trackingNumber: 'TRK1', deliveredAt: new Date().toISOString() },
    });
    expect(notAnOrder.status).toBe(200);
    expect(notAnOrder.json.accepted).toBe(false);
  });
});

describe('without events from the systems', () => {
  let pipeline: TestPipeline;
  let call: HttpCall;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ pipeline, call, stop } = await startPipelineWithApi({ env: { CARRIER_EVENT_GRACE_SECONDS: '1' } }));
  });
  afterAll(() => stop?.());

  it('still produces and delivers: the MES is asked, and the durable timer falls back to the carrier', async () => {
    const placed = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() });
    const state = await waitForOrder(pipeline.client, placed.json.id, (s) => s.status === 'delivered', 40_000);
    expect(state.production?.source).toBe('polling');
    expect(state.shipment?.source).toBe('polling');
    // The shipping worker knows its carrier sends nothing: no grace period is waited for.
    expect(stageOf(state, 'ship')?.detail).toContain('the carrier sends no events; confirmed with it');
  }, 60_000);
});

describe('when the carrier sends events but they do not arrive', () => {
  let pipeline: TestPipeline;
  let call: HttpCall;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    // Nothing listens on port 9: every event the carrier sends is lost on the way.
    ({ pipeline, call, stop } = await startPipelineWithApi({
      env: { CARRIER_EVENT_GRACE_SECONDS: '1', CARRIER_EVENTS_URL: 'http://127.0.0.1:9/v1/integrations/carrier/events' },
    }));
  });
  afterAll(() => stop?.());

  it('waits the grace period, then the durable timer falls back to asking the carrier', async () => {
    const placed = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() });
    const state = await waitForOrder(pipeline.client, placed.json.id, (s) => s.status === 'delivered', 40_000);
    expect(state.shipment?.source).toBe('polling');
    expect(stageOf(state, 'ship')?.detail).toContain('no carrier event in time');
  }, 60_000);
});
