/**
 * Fault tests: the pipeline's parts run as separate processes on loopback, and one part fails
 * while orders flow — the Temporal server restarts, the API is killed and restarted. After
 * each: every acknowledged order reaches a terminal state, no order has two production jobs,
 * shipments or CRM assignments, and the shop projection agrees with the workflows. Each
 * scenario is bounded in orders and time.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { inArray } from 'drizzle-orm';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { assignments } from '../db/crm/schema.js';
import { openDatabases } from '../db/index.js';
import { productionJobs } from '../db/mes/schema.js';
import { shipments } from '../db/carrier/schema.js';
import { orders } from '../db/shop/schema.js';
import { SYSTEMS, loadConfig } from '../src/config.js';
import { OrderRequestSchema } from '../src/domain/order.js';
import { newOrderInput, startOrderWorkflow } from '../src/intake.js';
import { startDevServer, type DevServer } from '../src/temporal/dev-server.js';
import { isTerminal } from '../src/domain/status.js';
import { orderWorkflowId, statusQuery, type OrderState } from '../src/workflows/order/contract.js';
import { TEST_DATA_DIR, TEST_TEMPORAL_PORT } from './support/constants.js';
import { SHOP_SOURCE, sampleOrder, testEnv, waitForOrder } from './support/pipeline.js';
import { freePort, spawnPart, stopPart, waitForHttp } from './support/processes.js';

const SHOP_KEY = 'shop-dev-key';
const parts: ChildProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];

function start(entry: string, args: string[], env: Record<string, string>, name: string): ChildProcess {
  const child = spawnPart(entry, args, env, name);
  parts.push(child);
  return child;
}

afterEach(async () => {
  await Promise.all(parts.splice(0).map((c) => stopPart(c)));
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

/** Every order delivered or ended, each with exactly one MES job, shipment and CRM assignment, and the projection agreeing. */
async function expectNothingLostOrDuplicated(env: Record<string, string>, client: Client, ids: string[]) {
  const final = await Promise.all(ids.map((id) => waitForOrder(client, id, (s) => isTerminal(s.status), 120_000)));
  expect(final.map((s) => s.status)).toEqual(ids.map(() => 'delivered'));
  const dbs = await openDatabases(loadConfig(env), SYSTEMS);
  try {
    const jobs = await dbs.mes.db.select({ orderId: productionJobs.orderId }).from(productionJobs).where(inArray(productionJobs.orderId, ids));
    expect(jobs.map((j) => j.orderId).sort()).toEqual([...ids].sort());
    const ships = await dbs.carrier.db.select({ orderId: shipments.orderId }).from(shipments).where(inArray(shipments.orderId, ids));
    expect(ships.map((s) => s.orderId).sort()).toEqual([...ids].sort());
    const crm = await dbs.crm.db.select({ orderId: assignments.orderId }).from(assignments).where(inArray(assignments.orderId, ids));
    expect(crm.map((a) => a.orderId).sort()).toEqual([...ids].sort());
    // the projection's last write lands just after the workflow's final state; give it a moment
    const deadline = Date.now() + 15_000;
    let rows: { id: string; status: string }[] = [];
    for (;;) {
      rows = await dbs.shop.db.select({ id: orders.id, status: orders.status }).from(orders).where(inArray(orders.id, ids));
      if ((rows.length === ids.length && rows.every((r) => r.status === 'delivered')) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(new Map(rows.map((r) => [r.id, r.status]))).toEqual(new Map(final.map((s) => [s.orderId, s.status])));
  } finally {
    await dbs.close();
  }
}

async function startOrders(client: Client, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const input = newOrderInput({
      source: SHOP_SOURCE,
      order: OrderRequestSchema.parse(sampleOrder({ shipping: { method: 'pickup' } })),
      timeScale: 0.0005,
    });
    await startOrderWorkflow(client, input);
    ids.push(input.orderId);
  }
  return ids;
}

async function statuses(client: Client, ids: string[]): Promise<string[]> {
  return Promise.all(
    ids.map((id) =>
      client.workflow
        .getHandle(orderWorkflowId(id))
        .query(statusQuery)
        .then((s: OrderState) => s.status as string)
        .catch(() => 'unknown'),
    ),
  );
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('faults', () => {
  it('loses no order when the Temporal server restarts mid-run', async () => {
    const port = TEST_TEMPORAL_PORT + 5;
    const dbFile = path.resolve(TEST_DATA_DIR, 'faults', `temporal-${randomUUID()}.db`);
    const serve = () => startDevServer({ cliPath: inject('temporalCliPath'), port, headless: true, dbFile });
    let server: DevServer = await serve();
    closers.push(() => server.stop());
    const env = testEnv({ TEMPORAL_ADDRESS: server.address, PIPELINE_TIME_SCALE: '0.0005', MES_CAPACITY: '4' });
    start('src/workers/main.ts', ['all'], env, 'temporal-restart-workers');
    const connection = await Connection.connect({ address: server.address });
    closers.push(() => connection.close());
    const client = new Client({ connection });

    const ids = await startOrders(client, 30);
    await waitUntil('orders are spread over the stages', async () => {
      const s = await statuses(client, ids);
      return s.some((x) => x === 'in_production' || x === 'shipped') && s.some((x) => x !== 'delivered');
    });
    await server.stop();
    await new Promise((r) => setTimeout(r, 2_000));
    server = await serve();
    expect(server.owned).toBe(true);

    await expectNothingLostOrDuplicated(env, client, ids);
  }, 240_000);

  it('keeps every acknowledged order when the API is killed and restarted', async () => {
    const apiPort = await freePort();
    const base = `http://127.0.0.1:${apiPort}`;
    const env = testEnv({ PORT: String(apiPort), PIPELINE_TIME_SCALE: '0.0005', MES_CAPACITY: '4' });
    start('src/workers/main.ts', ['all'], env, 'api-restart-workers');
    let api = start('src/api/main.ts', [], env, 'api-restart-api');
    await waitForHttp(`${base}/healthz`);
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
    closers.push(() => connection.close());
    const client = new Client({ connection });

    // 40 clients each send one order with an Idempotency-Key and retry on any failure, as a
    // partner integration would; the API is killed while they are sending.
    const keys = Array.from({ length: 40 }, () => randomUUID());
    const acknowledged = new Map<string, string>();
    const answers: number[] = [];
    const send = async (key: string, delayMs: number) => {
      // a retry sends the very same request again
      const body = JSON.stringify(sampleOrder({ shipping: { method: 'pickup' } }));
      await new Promise((r) => setTimeout(r, delayMs));
      const deadline = Date.now() + 90_000;
      for (;;) {
        try {
          const res = await fetch(`${base}/v1/orders`, {
            method: 'POST',
            headers: { authorization: `Bearer ${SHOP_KEY}`, 'content-type': 'application/json', 'idempotency-key': key },
            body,
          });
          answers.push(res.status);
          if (res.status === 202) {
            acknowledged.set(key, ((await res.json()) as { id: string }).id);
            return;
          }
          await res.arrayBuffer();
        } catch {
          // connection refused or reset while the API is down: retry with the same key
        }
        if (Date.now() > deadline) throw new Error(`order with key ${key} never acknowledged`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const sending = Promise.all(keys.map((k, i) => send(k, i * 50)));
    await waitUntil('some orders are acknowledged', async () => acknowledged.size >= 10, 30_000);
    await stopPart(api, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000));
    api = start('src/api/main.ts', [], env, 'api-restart-api');
    await sending;

    expect(acknowledged.size).toBe(keys.length);
    expect(answers.every((s) => s === 202 || s === 503)).toBe(true);
    const ids = [...new Set(acknowledged.values())];
    expect(ids).toHaveLength(keys.length); // one order per key
    await expectNothingLostOrDuplicated(env, client, ids);
  }, 240_000);
});
