/** The order workflow on the real Temporal server with the real workers and PostgreSQL. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, customers } from '../src/crm/schema.js';
import { productionJobs } from '../src/mes/schema.js';
import { shipments } from '../src/shipping/schema.js';
import { orderEvents, orders } from '../src/order/schema.js';
import { createPricingActivities } from '../src/pricing/activities.js';
import { OrderRequestSchema } from '../src/domain/order.js';
import { priceOrder } from '../src/domain/pricing/index.js';
import { newOrderInput, startOrderWorkflow } from '../src/order/intake.js';
import { PROJECTION_REJECTED, STAGES, TASK_QUEUES, type OrderState } from '../src/order/contract.js';
import { sampleOrder, startPipeline, testDataConverter, waitForOrder, type TestPipeline } from './support/pipeline.js';

let pipeline: TestPipeline;
const shop = { clientId: 'shop', kind: 'shop' as const };

beforeAll(async () => {
  pipeline = await startPipeline();
});
afterAll(async () => {
  await pipeline?.stop();
});

function start(order = sampleOrder(), source: Parameters<typeof newOrderInput>[0]['source'] = shop) {
  const input = newOrderInput({ source, order: OrderRequestSchema.parse(order), timeScale: pipeline.config.timeScale });
  return startOrderWorkflow(pipeline.client, input).then((handle) => ({ input, handle }));
}

describe('order workflow', () => {
  it('takes an order through all five stages to delivered and mirrors it in every system', async () => {
    const { input, handle } = await start();
    // The workflow's result: everything including its last projection write is done.
    const state: OrderState = await handle.result();
    expect(state.status).toBe('delivered');

    expect(state.timeline.map((t) => t.stage)).toEqual([...STAGES]);
    for (const entry of state.timeline) {
      expect(entry.status).toBe('completed');
      expect(entry.attempts).toBe(1);
      expect(Date.parse(entry.endedAt!)).toBeGreaterThanOrEqual(Date.parse(entry.startedAt));
    }
    // stages follow each other
    for (let i = 1; i < state.timeline.length; i++) {
      expect(Date.parse(state.timeline[i]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(state.timeline[i - 1]!.endedAt!));
    }
    // the shop's price from the price engine (its arithmetic is checked in src/domain/pricing.test.ts)
    const expected = priceOrder(input.order.items).totalMinor;
    expect(state.price?.totalMinor).toBe(expected);
    expect(state.promisedBy).toBeTruthy();

    const { shop: shopDb, crm, mes, carrier } = pipeline.dbs;
    const [row] = await shopDb.db.select().from(orders).where(eq(orders.id, input.orderId));
    expect(row).toMatchObject({ status: 'delivered', channel: 'b2c', totalMinor: expected, customerEmail: input.order.customer.email });
    const events = await shopDb.db.select().from(orderEvents).where(eq(orderEvents.orderId, input.orderId)).orderBy(orderEvents.seq);
    expect(events.map((e) => [e.stage, e.status])).toEqual(STAGES.map((s) => [s, 'completed']));

    const [assignment] = await crm.db.select().from(assignments).where(eq(assignments.orderId, input.orderId));
    expect(assignment?.managerId).toBe(state.crm?.managerId);
    const [customer] = await crm.db.select().from(customers).where(eq(customers.id, assignment!.customerId));
    expect(customer?.email).toBe(input.order.customer.email);
    const jobs = await mes.db.select().from(productionJobs).where(eq(productionJobs.orderId, input.orderId));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.status).toBe('done');
    const [shipment] = await carrier.db.select().from(shipments).where(eq(shipments.orderId, input.orderId));
    expect(shipment).toMatchObject({ status: 'delivered', trackingNumber: state.shipment?.trackingNumber });

    // Findable the way an operator searches the Web UI (visibility is eventually consistent).
    const query = `WorkflowId = 'order-${input.orderId}' AND OrderStatus = 'delivered' AND Channel = 'b2c'`;
    const deadline = Date.now() + 15_000;
    let found: string[] = [];
    while (Date.now() < deadline && found.length === 0) {
      found = [];
      for await (const wf of pipeline.client.workflow.list({ query })) found.push(wf.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(found).toEqual([`order-${input.orderId}`]);
  });

  it('shows operators where a running order waits: its stack trace names the step in the workflow source', async () => {
    // 100,000 business cards: about 3 s on a line at the test time scale.
    const { input, handle } = await start(sampleOrder({ items: [{ sku: 'BC-STD', quantity: 100_000 }], shipping: { method: 'pickup' } }));
    await waitForOrder(pipeline.client, input.orderId, (s) => s.status === 'in_production');
    // The Web UI's "Stack Trace" tab and `temporal workflow stack` send this query.
    const stack: string = await handle.query('__stack_trace');
    expect(stack).toMatch(/at produce \(.*src\/order\/workflow\/steps\.ts:\d+:\d+\)/);
    const enhanced: { stacks: { locations: { file_path?: string; function_name?: string }[] }[] } = await handle.query('__enhanced_stack_trace');
    const frames = enhanced.stacks.flatMap((s) => s.locations);
    expect(frames).toContainEqual(expect.objectContaining({ function_name: 'produce', file_path: expect.stringMatching(/src\/order\/workflow\/steps\.ts$/) }));
    expect((await handle.result()).status).toBe('delivered');
  });

  it('routes a partner order to the partner’s key-account manager', async () => {
    const { input } = await start(sampleOrder({ shipping: { method: 'pickup' } }), { clientId: 'partner-acme', kind: 'partner', partnerId: 'acme' });
    const state = await waitForOrder(pipeline.client, input.orderId, (s) => s.status === 'delivered');
    expect(state.channel).toBe('b2b');
    expect(state.priority).toBe('normal');
    expect(state.crm?.managerId).toBe('mgr-ka-acme');
  });

  it('rejects an order that breaks a business rule, without producing anything', async () => {
    // 10 business cards: below the product's minimum of 50
    const { input, handle } = await start(sampleOrder({ items: [{ sku: 'BC-STD', quantity: 10 }] }));
    const result: OrderState = await handle.result();
    expect(result.status).toBe('rejected');
    expect(result.failure).toMatchObject({ stage: 'accept', type: 'OrderRejected' });
    expect(result.failure?.issues?.[0]?.path).toBe('items.0.quantity');
    expect(result.timeline).toHaveLength(1);
    expect(result.timeline[0]).toMatchObject({ stage: 'accept', status: 'failed' });

    const jobs = await pipeline.dbs.mes.db.select().from(productionJobs).where(eq(productionJobs.orderId, input.orderId));
    expect(jobs).toHaveLength(0);
    const [row] = await pipeline.dbs.shop.db.select().from(orders).where(eq(orders.id, input.orderId));
    expect(row?.status).toBe('rejected');
  });

  it('fails an order whose data the shop database refuses, visibly and at once, instead of leaving it received', async () => {
    // A start that bypasses the API's checks (the API answers 422 for this date): the year 10000
    // in UTC, which PostgreSQL cannot store. The order must not wait for a write that never succeeds.
    const { input, handle } = await start(sampleOrder({ shipping: { method: 'pickup' }, dueBy: '9999-12-31T23:30:00-01:00' }));
    const failed = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed, 'the workflow fails').toBeInstanceOf(WorkflowFailedError);
    const state = await waitForOrder(pipeline.client, input.orderId, (s) => s.status === 'failed', 10_000);
    expect(state.failure).toMatchObject({ type: PROJECTION_REJECTED });
    expect(state.failure?.message).toMatch(/shop database cannot record the order/);
    // Nothing was made or booked for it, and the shop's lists show it failed.
    const jobs = await pipeline.dbs.mes.db.select().from(productionJobs).where(eq(productionJobs.orderId, input.orderId));
    expect(jobs).toHaveLength(0);
    const [row] = await pipeline.dbs.shop.db.select().from(orders).where(eq(orders.id, input.orderId));
    expect(row?.status).toBe('failed');
    expect(row?.dueBy).toBeNull();
  });

  it('rejects a second start of the same order', async () => {
    const { input } = await start(sampleOrder({ shipping: { method: 'pickup' } }));
    await expect(startOrderWorkflow(pipeline.client, input)).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  });
});

describe('order workflow with a flaky price engine', () => {
  let flaky: TestPipeline;
  beforeAll(async () => {
    await pipeline.stop();
    // Every queue's real worker except pricing; pricing gets the real engine behind an
    // injected fault: the first attempt of each order fails as a lost connection would.
    flaky = await startPipeline({ queues: ['orders', 'crm', 'mes', 'shipping'] });
    const real = createPricingActivities();
    await flaky.addWorker(({ connection, namespace }) =>
      Worker.create({
        connection,
        namespace,
        dataConverter: testDataConverter(),
        taskQueue: TASK_QUEUES.pricing,
        activities: {
          async priceOrder(input: Parameters<typeof real.priceOrder>[0]) {
            if (Context.current().info.attempt === 1) throw ApplicationFailure.retryable('connection reset by price engine', 'ECONNRESET');
            return real.priceOrder(input);
          },
        },
      }),
    );
    pipeline = flaky;
  });

  it('retries a transient failure and records the attempts in the timeline', async () => {
    const { handle, input } = await start(sampleOrder({ shipping: { method: 'pickup' } }));
    const state: OrderState = await handle.result();
    expect(state.status).toBe('delivered');
    const price = state.timeline.find((t) => t.stage === 'price');
    expect(price).toMatchObject({ status: 'completed', attempts: 2 });
    expect(state.timeline.filter((t) => t.stage !== 'price').every((t) => t.attempts === 1)).toBe(true);
    const events = await pipeline.dbs.shop.db
      .select()
      .from(orderEvents)
      .where(inArray(orderEvents.orderId, [input.orderId]));
    expect(events.find((e) => e.stage === 'price')?.attempts).toBe(2);
  });
});
