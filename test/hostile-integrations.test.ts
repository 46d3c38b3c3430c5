/**
 * Integration events as a hostile (or broken) MES or carrier would send them, with a valid key
 * and signature: figures and dates out of range, forged or altered callback references, events
 * for another shipment or before the booking, and one event delivered many times at once. Each
 * is refused (4xx problem+json, or `200 accepted:false` where the event is simply not the
 * order's) and leaves the order as it was; the genuine event afterwards still works.
 * Real Temporal, PostgreSQL and HTTP.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shipments } from '../src/shipping/schema.js';
import { productionJobs } from '../src/mes/schema.js';
import { integrationEvents, orders } from '../src/order/schema.js';
import { encodeProduceCallback } from '../src/mes/produce-callback.js';
import { signWebhook } from '../src/platform/webhook-signature.js';
import { QUEUE_NAMES, carrierEventSignal, orderWorkflowId, type OrderState } from '../src/order/contract.js';
import type { Answer, HttpCall } from './support/http.js';
import { sampleOrder, startPipeline, startPipelineWithApi, waitForOrder, type TestPipeline } from './support/pipeline.js';

const SHOP = 'shop-dev-key';
const MES_SECRET = 'mes-hostile-webhook-secret';
const CARRIER_SECRET = 'carrier-hostile-webhook-secret';

function post(call: HttpCall, system: 'mes' | 'carrier', event: unknown): Promise<Answer> {
  const raw = JSON.stringify(event);
  return call('POST', `/v1/integrations/${system}/events`, {
    key: system === 'mes' ? 'mes-dev-key' : 'carrier-dev-key',
    raw,
    headers: { 'Webhook-Signature': signWebhook(system === 'mes' ? MES_SECRET : CARRIER_SECRET, Math.floor(Date.now() / 1000), raw) },
  });
}

/** What an event could change of an order: its status, production, shipment and their timeline entries. */
function footprint(s: OrderState) {
  return {
    status: s.status,
    production: s.production,
    shipment: s.shipment,
    stages: s.timeline.filter((e) => e.stage === 'produce' || e.stage === 'ship'),
  };
}

type Expected = { status: 422 } | { status: 409 } | { status: 200; accepted: false };

/** Sends each row, checks its answer, and that the order's footprint did not change. */
async function expectRefused(call: HttpCall, pipeline: TestPipeline, orderId: string, system: 'mes' | 'carrier', rows: [string, unknown, Expected][]) {
  const state = () => waitForOrder(pipeline.client, orderId, () => true);
  const before = footprint(await state());
  for (const [name, event, expected] of rows) {
    const a = await post(call, system, event);
    if (expected.status === 200) {
      expect({ name, status: a.status, accepted: a.json?.accepted }).toEqual({ name, status: 200, accepted: false });
    } else {
      expect({ name, status: a.status, type: a.headers.get('content-type') }).toEqual({
        name,
        status: expected.status,
        type: expect.stringContaining('application/problem+json'),
      });
    }
    expect({ name, after: footprint(await state()) }).toEqual({ name, after: before });
  }
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');

describe('hostile integration events', () => {
  let pipeline: TestPipeline;
  let call: HttpCall;
  let stop: (() => Promise<void>) | undefined;
  /** Orders whose job the MES keeps reporting as on its line, so their `produce` attempt waits. */
  const held = new Set<string>();
  let secret: string;

  beforeAll(async () => {
    ({ pipeline, call, stop } = await startPipelineWithApi({
      env: {
        MES_WEBHOOK_SECRET: MES_SECRET,
        CARRIER_WEBHOOK_SECRET: CARRIER_SECRET,
        // The carrier's own events are lost on the way (nothing listens on port 9): the test sends
        // them itself, and the order waits a minute for one before asking the carrier.
        CARRIER_EVENTS_URL: 'http://127.0.0.1:9/v1/integrations/carrier/events',
        CARRIER_EVENT_GRACE_SECONDS: '60',
      },
      mes: (embedded) => ({
        ...embedded,
        async getJob(jobId) {
          const job = await embedded.getJob(jobId);
          return job && held.has(job.orderId) ? { ...job, status: 'in_production', finishesAt: new Date(Date.now() + 1000) } : job;
        },
      }),
    }));
    secret = pipeline.config.integrations.callbackSecret;
  });
  afterAll(() => stop?.());

  async function placeHeld(): Promise<{ id: string; job: typeof productionJobs.$inferSelect }> {
    const placed = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() });
    expect(placed.status).toBe(202);
    const id: string = placed.json.id;
    held.add(id);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const [job] = await pipeline.dbs.mes.db.select().from(productionJobs).where(eq(productionJobs.orderId, id));
      if (job?.callbackRef) return { id, job };
    }
    throw new Error(`order ${id} never reached the MES`);
  }

  it('refuses out-of-range figures and dates, forged and altered callback references; the genuine event completes production', async () => {
    const { id, job } = await placeHeld();
    const other = await placeHeld();
    const ref = job.callbackRef!;
    const now = new Date().toISOString();
    const completed = (jobPart: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
      id: `${job.id}:completed:${Math.random().toString(36).slice(2)}`,
      type: 'job.completed',
      occurredAt: now,
      job: { id: job.id, orderId: id, status: 'done', completedAt: now, callbackRef: ref, ...jobPart },
      ...top,
    });
    // The reference's own content, as the pipeline made it.
    const [payload, signature] = ref.slice('pc2.'.length).split('.');
    const callback = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    expect(callback).toMatchObject({ workflowId: orderWorkflowId(id), attempt: 1 });
    const signed = (c: Record<string, unknown>) => encodeProduceCallback({ ...callback, ...c }, secret);

    await expectRefused(call, pipeline, id, 'mes', [
      // Signed by the pipeline's secret but with figures no attempt can have: they never reach the timeline.
      ['a queue wait of 30 000 years', completed({ callbackRef: signed({ queueWaitMs: 1e15 }) }), { status: 200, accepted: false }],
      ['attempt 0', completed({ callbackRef: signed({ attempt: 0 }) }), { status: 200, accepted: false }],
      ['attempt one billion', completed({ callbackRef: signed({ attempt: 1e9 }) }), { status: 200, accepted: false }],
      ['resubmitted one billion times', completed({ callbackRef: signed({ resubmitted: 1e9 }) }), { status: 200, accepted: false }],
      // Forged: the old unsigned format with the real task token, a reference signed with another
      // key, and the real reference with its figures altered under the original signature.
      ['unsigned reference with the real task token', completed({ callbackRef: `pc1.${b64url(callback)}` }), { status: 200, accepted: false }],
      [
        'reference signed with another key',
        completed({ callbackRef: encodeProduceCallback(callback, 'not-the-pipeline-secret-0123456789abcdef') }),
        { status: 200, accepted: false },
      ],
      [
        'altered reference under the original signature',
        // A figure that differs from the original's (the same figure would be the genuine reference).
        completed({ callbackRef: `pc2.${b64url({ ...callback, queueWaitMs: Number(callback.queueWaitMs ?? 0) + 1 })}.${signature}` }),
        { status: 200, accepted: false },
      ],
      ['reference without its signature', completed({ callbackRef: `pc2.${payload}` }), { status: 200, accepted: false }],
      ['reference of another order', completed({ callbackRef: other.job.callbackRef }), { status: 200, accepted: false }],
      // Dates: an absurd completion never reaches the workflow.
      ['completed in the year 2999', completed({ completedAt: '2999-01-01T00:00:00.000Z' }), { status: 422 }],
      ['completed in 1970', completed({ completedAt: '1970-01-01T00:00:00.000Z' }), { status: 422 }],
      ['completed tomorrow', completed({ completedAt: new Date(Date.now() + 86_400_000).toISOString() }), { status: 422 }],
      ['occurred in the year 9999', completed({}, { occurredAt: '9999-12-31T23:59:59.000Z' }), { status: 422 }],
      ['started in the year 0000', completed({ startedAt: '0000-01-01T00:00:00.000Z' }), { status: 422 }],
      // Ids the database cannot store, or that are no ids.
      ['NUL in the order id', completed({ orderId: `${id}\u0000` }), { status: 422 }],
      ['NUL in the job id', completed({ id: `${job.id}\u0000` }), { status: 422 }],
      ['spaces in the job id', completed({ id: 'job with spaces' }), { status: 422 }],
      ['NUL in the event id', completed({}, { id: 'evt\u0000' }), { status: 422 }],
      ['NUL in the callback reference', completed({ callbackRef: `${ref}\u0000` }), { status: 422 }],
    ]);

    // The genuine event still completes the waiting attempt, with its real figures.
    const genuine = await post(call, 'mes', completed());
    expect(genuine.json).toMatchObject({ accepted: true });
    const state = await waitForOrder(pipeline.client, id, (s) => s.production?.completedAt !== undefined);
    expect(state.production?.source).toBe('webhook');
    const produce = state.timeline.find((e) => e.stage === 'produce')!;
    expect(produce.attempts).toBe(1);
    expect(produce.queueWaitMs).toBe(callback.queueWaitMs);
    held.delete(other.id);
  }, 90_000);

  it('never lets an event for another tracking number or before the booking displace the real one, and handles concurrent repeats once', async () => {
    // One order waits in production (no shipment yet), the other waits for its carrier event.
    const waiting = await placeHeld();
    const shipped = await placeHeld();
    held.delete(shipped.id);
    const state = await waitForOrder(pipeline.client, shipped.id, (s) => s.status === 'shipped' && s.shipment !== undefined, 40_000);
    const tracking = state.shipment!.trackingNumber;
    const now = new Date().toISOString();
    const delivered = (orderId: string, shipment: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
      id: `evt-${Math.random().toString(36).slice(2)}`,
      type: 'shipment.delivered',
      occurredAt: now,
      shipment: { orderId, trackingNumber: tracking, deliveredAt: now, ...shipment },
      ...top,
    });

    await expectRefused(call, pipeline, shipped.id, 'carrier', [
      ['another tracking number', delivered(shipped.id, { trackingNumber: 'TRK-NOT-THIS-ONE' }), { status: 200, accepted: false }],
      ['delivered in the year 2999', delivered(shipped.id, { deliveredAt: '2999-01-01T00:00:00.000Z' }), { status: 422 }],
      ['delivered in 1900', delivered(shipped.id, { deliveredAt: '1900-01-01T00:00:00.000Z' }), { status: 422 }],
      ['delivered in an hour', delivered(shipped.id, { deliveredAt: new Date(Date.now() + 3_600_000).toISOString() }), { status: 422 }],
      ['NUL in the tracking number', delivered(shipped.id, { trackingNumber: `${tracking}\u0000` }), { status: 422 }],
      ['NUL in the order id', delivered(`${shipped.id}\u0000`), { status: 422 }],
    ]);

    // Before its booking: the order in production has no shipment, so no tracking number can be its.
    const early = delivered(waiting.id, { trackingNumber: 'TRK-EARLY' });
    await expectRefused(call, pipeline, waiting.id, 'carrier', [['before the booking', early, { status: 409 }]]);

    // The genuine event, delivered ten times at once: handled once, the others get its answer.
    const genuine = delivered(shipped.id);
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(call, 'carrier', genuine)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.json.duplicate !== true).map((a) => a.json)).toEqual([{ eventId: genuine.id, accepted: true }]);
    expect(answers.every((a) => a.json.accepted === true)).toBe(true);
    const done = await waitForOrder(pipeline.client, shipped.id, (s) => s.status === 'delivered', 20_000);
    expect(done.shipment).toMatchObject({ trackingNumber: tracking, source: 'webhook' });
    const history = await pipeline.client.workflow.getHandle(orderWorkflowId(shipped.id)).fetchHistory();
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'carrierEvent');
    expect(signals).toHaveLength(1);

    // The early event was refused, not recorded: once the order is booked, the carrier's retry of
    // that same event id (now with the shipment's number) is handled.
    held.delete(waiting.id);
    const booked = await waitForOrder(pipeline.client, waiting.id, (s) => s.status === 'shipped' && s.shipment !== undefined, 40_000);
    const [shipment] = await pipeline.dbs.carrier.db.select().from(shipments).where(eq(shipments.orderId, waiting.id));
    expect(shipment?.trackingNumber).toBe(booked.shipment!.trackingNumber);
    const retry = await post(call, 'carrier', { ...early, shipment: { ...early.shipment, trackingNumber: shipment!.trackingNumber } });
    expect(retry.json).toEqual({ eventId: early.id, accepted: true });
    const after = await waitForOrder(pipeline.client, waiting.id, (s) => s.status === 'delivered', 20_000);
    expect(after.shipment?.source).toBe('webhook');
  }, 120_000);

  it('keeps carrier signals per tracking number: early ones for other numbers do not hide the booked shipment’s', async () => {
    // Signals straight to the workflow (an adapter or a script with Temporal access, past the
    // API's checks): eleven deliveries of other shipments arrive before the booking.
    const { id } = await placeHeld();
    const handle = pipeline.client.workflow.getHandle(orderWorkflowId(id));
    const at = new Date().toISOString();
    for (let i = 0; i < 11; i++)
      await handle.signal(carrierEventSignal, { id: `forged-${i}`, type: 'shipment.delivered', trackingNumber: `TRK-OTHER-${i}`, deliveredAt: at });
    held.delete(id);
    const booked = await waitForOrder(pipeline.client, id, (s) => s.status === 'shipped' && s.shipment !== undefined, 40_000);
    const tracking = booked.shipment!.trackingNumber;
    // The booked shipment's own event, sent now, completes the delivery at once (not after the
    // minute the order would otherwise wait before asking the carrier).
    const sentAt = Date.now();
    const genuine = {
      id: `evt-${Math.random().toString(36).slice(2)}`,
      type: 'shipment.delivered',
      occurredAt: new Date().toISOString(),
      shipment: { orderId: id, trackingNumber: tracking, deliveredAt: new Date().toISOString() },
    };
    expect((await post(call, 'carrier', genuine)).json).toEqual({ eventId: genuine.id, accepted: true });
    const done = await waitForOrder(pipeline.client, id, (s) => s.status === 'delivered', 30_000);
    expect(Date.now() - sentAt).toBeLessThan(30_000);
    expect(done.shipment).toMatchObject({ trackingNumber: tracking, source: 'webhook', deliveredAt: genuine.shipment.deliveredAt });
  }, 90_000);

  it('takes over the claim of a delivery that died while handling, and asks a twin of a live one to send again', async () => {
    const shop = pipeline.dbs.shop.db;
    const event = (id: string) => ({
      id,
      type: 'shipment.delivered',
      occurredAt: new Date().toISOString(),
      shipment: { orderId: '00000000-0000-4000-8000-000000000001', trackingNumber: 'TRK1', deliveredAt: new Date().toISOString() },
    });
    const claim = (eventId: string, ago: string) =>
      shop.insert(integrationEvents).values({
        system: 'carrier',
        eventId,
        type: 'shipment.delivered',
        orderId: 'x',
        accepted: -1,
        reason: 'claim:gone',
        receivedAt: sql`now() - ${ago}::interval`,
      });
    // Claimed ten minutes ago by a process that died: the next delivery handles it.
    const stale = `evt-stale-${Date.now()}`;
    await claim(stale, '10 minutes');
    const taken = await post(call, 'carrier', event(stale));
    expect(taken.json).toEqual({ eventId: stale, accepted: false, reason: expect.stringContaining('unknown order') });
    // Claimed just now by a delivery still under way: a twin waits, then is told to send it again.
    const live = `evt-live-${Date.now()}`;
    await claim(live, '0 seconds');
    const twin = await post(call, 'carrier', event(live));
    expect(twin.status).toBe(409);
    expect(twin.headers.get('content-type')).toContain('application/problem+json');
    expect(twin.headers.get('retry-after')).toBeTruthy();
  }, 30_000);
});

describe('carrier events while the order workflows cannot be asked', () => {
  const env = {
    CARRIER_WEBHOOK_SECRET: CARRIER_SECRET,
    // The carrier's own events are lost on the way: the test sends the delivery itself.
    CARRIER_EVENTS_URL: 'http://127.0.0.1:9/v1/integrations/carrier/events',
    CARRIER_EVENT_GRACE_SECONDS: '60',
  };
  let rest: Awaited<ReturnType<typeof startPipelineWithApi>> | undefined;
  let ordersWorker: TestPipeline | undefined;
  beforeAll(async () => {
    rest = await startPipelineWithApi({ env, queues: QUEUE_NAMES.filter((q) => q !== 'orders') });
    ordersWorker = await startPipeline({ env, queues: ['orders'] });
  });
  afterAll(async () => {
    await ordersWorker?.stop();
    await rest?.stop();
  });

  it('takes the delivery of a booked shipment while no orders worker runs, and the order is delivered once one is back', async () => {
    const { call, pipeline } = rest!;
    const placed = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() });
    expect(placed.status).toBe(202);
    const id: string = placed.json.id;
    let tracking: string | null | undefined;
    for (const deadline = Date.now() + 40_000; !tracking && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      [{ trackingNumber: tracking } = { trackingNumber: undefined }] = await pipeline.dbs.shop.db
        .select({ trackingNumber: orders.trackingNumber })
        .from(orders)
        .where(eq(orders.id, id));
    }
    expect(tracking, 'the projection records the booked shipment').toBeTruthy();

    // No worker can answer a query about the order now (one would time out): the event is still taken.
    await ordersWorker!.stop();
    ordersWorker = undefined;
    const event = (trackingNumber: string) => ({
      id: `evt-${Math.random().toString(36).slice(2)}`,
      type: 'shipment.delivered',
      occurredAt: new Date().toISOString(),
      shipment: { orderId: id, trackingNumber, deliveredAt: new Date().toISOString() },
    });
    const taken = await post(call, 'carrier', event(tracking!));
    expect(taken.status).toBe(200);
    expect(taken.json).toMatchObject({ accepted: true });
    // Another shipment's number is still refused.
    const foreign = await post(call, 'carrier', event('TRK-NOT-THIS-ONE'));
    expect(foreign.json).toMatchObject({ accepted: false, reason: expect.stringContaining('is not the order') });

    ordersWorker = await startPipeline({ env, queues: ['orders'] });
    const done = await waitForOrder(pipeline.client, id, (s) => s.status === 'delivered', 30_000);
    expect(done.shipment).toMatchObject({ trackingNumber: tracking, source: 'webhook' });
  }, 120_000);
});
