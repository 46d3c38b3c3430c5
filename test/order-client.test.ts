/**
 * The order workflow's client module against the real test Temporal server, for what the API
 * and CLI tests cannot see: which of its outcomes an action gets when the workflow is gone or
 * silent, and how reading an order fails without a projection. No worker serves these orders.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OrderUnreadableError, readOrder, sendToOrder, signalOrder } from '../src/order/client.js';
import { ORDER_WORKFLOW_TYPE, SEARCH_ATTRIBUTES, orderWorkflowId } from '../src/order/contract.js';
import { testDataConverter } from './support/pipeline.js';

let connection: Connection;
let client: Client;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, dataConverter: testDataConverter() });
});
afterAll(() => connection?.close());

/** An order workflow on a task queue nobody serves: it exists, and never answers. */
async function silentOrder(status?: string) {
  const id = randomUUID();
  const handle = await client.workflow.start(ORDER_WORKFLOW_TYPE, {
    workflowId: orderWorkflowId(id),
    taskQueue: `order-client-test-nobody-${id.slice(0, 8)}`,
    args: [],
    ...(status ? { typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.OrderStatus, value: status }] } : {}),
  });
  return { id, handle };
}

const cancel = { kind: 'cancel', request: { reason: 'test', by: 'order-client-test' } } as const;
const reprioritize = { kind: 'reprioritize', request: { priority: 'rush', reason: 'test', by: 'order-client-test' } } as const;

describe('sendToOrder and signalOrder', () => {
  it('tell an order that has ended (with its OrderStatus) from one that never existed', async () => {
    const { id, handle } = await silentOrder('awaiting_production');
    await handle.terminate('order-client test');
    expect(await sendToOrder(client, id, cancel, { deadlineMs: 5_000 })).toEqual({ ok: false, reason: 'ended', status: 'awaiting_production' });
    expect(await signalOrder(client, id, reprioritize)).toEqual({ ok: false, reason: 'ended', status: 'awaiting_production' });

    const unknown = randomUUID();
    expect(await sendToOrder(client, unknown, reprioritize, { deadlineMs: 5_000 })).toEqual({ ok: false, reason: 'unknown' });
    expect(await signalOrder(client, unknown, cancel)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('name the workflow status when the order ended before it set an OrderStatus', async () => {
    const { id, handle } = await silentOrder();
    await handle.terminate('order-client test');
    expect(await sendToOrder(client, id, cancel, { deadlineMs: 5_000 })).toEqual({ ok: false, reason: 'ended', status: 'terminated' });
  });

  it('answer no-answer when no worker takes the update within the deadline', async () => {
    const { id, handle } = await silentOrder('accepted');
    try {
      const started = Date.now();
      expect(await sendToOrder(client, id, reprioritize, { deadlineMs: 1_000 })).toEqual({ ok: false, reason: 'no-answer' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await signalOrder(client, id, cancel)).toEqual({ ok: true });
    } finally {
      await handle.terminate('order-client test');
    }
  });
});

describe('readOrder', () => {
  it('is undefined for an order that does not exist', async () => {
    expect(await readOrder({ temporal: client }, randomUUID(), { deadlineMs: 1_000 })).toBeUndefined();
  });

  it('without a projection, says why the workflow did not answer: no worker, or Temporal unreachable', async () => {
    const { id, handle } = await silentOrder('accepted');
    try {
      const silent = await readOrder({ temporal: client }, id, { deadlineMs: 1_000 }).catch((err: unknown) => err);
      expect(silent).toBeInstanceOf(OrderUnreadableError);
      expect(silent).toMatchObject({ orderId: id, temporal: 'no-answer', projection: 'none' });
      expect((silent as OrderUnreadableError).why).toMatch(/^no worker answered the status query within 1 s/);
    } finally {
      await handle.terminate('order-client test');
    }

    const down = new Error('cannot reach Temporal at 127.0.0.1:9');
    const unreachable = await readOrder({ temporal: () => Promise.reject(down) }, randomUUID()).catch((err: unknown) => err);
    expect(unreachable).toMatchObject({ temporal: 'unreachable', projection: 'none', why: down.message, cause: down });
  });
});
