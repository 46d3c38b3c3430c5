/**
 * Fault tests: the pipeline's parts run as separate processes on loopback, and one part fails
 * while orders flow — the Temporal server restarts, the API is killed and restarted, worker
 * processes are killed at random moments, PostgreSQL is unreachable for a while. After each:
 * every acknowledged order reaches a terminal state and still answers its status query, no
 * order has two production jobs, shipments or CRM assignments, and the shop projection agrees
 * with the workflows. Each scenario is bounded in orders and time and prints how long it took.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { inArray } from 'drizzle-orm';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { assignments } from '../src/crm/schema.js';
import { openDatabases } from '../db/index.js';
import { productionJobs } from '../src/mes/schema.js';
import { shipments } from '../src/shipping/schema.js';
import { orders } from '../src/order/schema.js';
import { SYSTEMS, loadConfig } from '../src/platform/config.js';
import { OrderRequestSchema } from '../src/domain/order.js';
import { newOrderInput, startOrderWorkflow } from '../src/order/intake.js';
import { startDevServer, type DevServer } from '../src/platform/temporal/dev-server.js';
import { orderWorkflowId, statusQuery, type OrderState } from '../src/order/contract.js';
import { QUEUE_NAMES, type QueueName } from '../src/order/contract.js';
import { TEST_DATA_DIR, TEST_TEMPORAL_PORT } from './support/constants.js';
import { CuttableLink } from './support/cuttable-link.js';
import { SHOP_SOURCE, sampleOrder, testDataConverter, testEnv } from './support/pipeline.js';
import { freePort, seededRandom, spawnPart, stopPart, waitForHttp } from './support/processes.js';

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

/**
 * Every order delivered, still answering its status query once closed (which replays its
 * history), each with exactly one MES job, shipment and CRM assignment, and the projection agreeing.
 */
async function expectNothingLostOrDuplicated(client: Client, ids: string[], timeoutMs = 120_000) {
  const final = await Promise.all(ids.map((id) => waitForClose(client, id, timeoutMs)));
  expect(final.map((s) => s.status)).toEqual(ids.map(() => 'delivered'));
  // Ten at a time, as operators and the API ask: each query of a closed order makes a worker
  // replay its whole history, and hundreds at once only measure the machine's queue.
  const queried: string[] = [];
  for (let i = 0; i < ids.length; i += 10) {
    const batch = ids.slice(i, i + 10).map((id) =>
      client.workflow
        .getHandle(orderWorkflowId(id))
        .query(statusQuery)
        .then(
          (s) => s.status as string,
          async (err: unknown) => `query failed: ${String(err)}; history in ${await keepHistory(client, id)}`,
        ),
    );
    queried.push(...(await Promise.all(batch)));
  }
  expect(queried).toEqual(ids.map(() => 'delivered'));
  // checked directly, not through any link a test may cut
  const dbs = await openDatabases(loadConfig(testEnv()), SYSTEMS);
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

/** The order's final state once its workflow has closed (its result: no replay needed). */
async function waitForClose(client: Client, orderId: string, timeoutMs: number): Promise<OrderState> {
  const handle = client.workflow.getHandle<(input: unknown) => Promise<OrderState>>(orderWorkflowId(orderId));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.describe().then(
      (d) => d.status.name,
      () => 'UNKNOWN',
    );
    if (status !== 'RUNNING' && status !== 'UNKNOWN') return handle.result();
    if (Date.now() > deadline) throw new Error(`order ${orderId} still ${status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Writes the order's history next to the test logs, to replay or inspect a failure. */
async function keepHistory(client: Client, orderId: string): Promise<string> {
  const file = path.resolve(TEST_DATA_DIR, 'faults', `history-${orderId}.json`);
  const history = await client.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
  await writeFile(file, historyToJSON(history));
  return file;
}

async function startOrders(client: Client, n: number, timeScale = 0.0005): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const input = newOrderInput({
      source: SHOP_SOURCE,
      order: OrderRequestSchema.parse(sampleOrder({ shipping: { method: 'pickup' } })),
      timeScale,
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
    const client = new Client({ connection, dataConverter: testDataConverter() });

    const ids = await startOrders(client, 30);
    await waitUntil('orders are spread over the stages', async () => {
      const s = await statuses(client, ids);
      return s.some((x) => x === 'awaiting_production' || x === 'in_production' || x === 'shipped') && s.some((x) => x !== 'delivered');
    });
    await server.stop();
    await new Promise((r) => setTimeout(r, 2_000));
    server = await serve();
    expect(server.owned).toBe(true);

    await expectNothingLostOrDuplicated(client, ids);
  }, 240_000);

  it('keeps every acknowledged order when the API is killed and restarted', async () => {
    const apiPort = await freePort();
    const base = `http://127.0.0.1:${apiPort}`;
    const env = testEnv({ PORT: String(apiPort), PIPELINE_TIME_SCALE: '0.0005', MES_CAPACITY: '4' });
    start('src/workers/main.ts', ['all'], env, 'api-restart-workers');
    const api = start('src/api/main.ts', [], env, 'api-restart-api');
    await waitForHttp(`${base}/healthz`);
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
    closers.push(() => connection.close());
    const client = new Client({ connection, dataConverter: testDataConverter() });

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
    start('src/api/main.ts', [], env, 'api-restart-api');
    await sending;

    expect(acknowledged.size).toBe(keys.length);
    expect(answers.every((s) => s === 202 || s === 503)).toBe(true);
    const ids = [...new Set(acknowledged.values())];
    expect(ids).toHaveLength(keys.length); // one order per key
    await expectNothingLostOrDuplicated(client, ids);
  }, 240_000);
  it('loses no order when worker processes are killed at random moments', async () => {
    const started = Date.now();
    const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`worker kills: seed ${seed} (rerun with FAULT_SEED=${seed})`);
    const random = seededRandom(seed);
    const env = testEnv({ PIPELINE_TIME_SCALE: '0.0005', MES_CAPACITY: '10', LOG_LEVEL: 'warn' });
    // one process per task queue, as a scaled-out deployment runs them
    const workers = new Map<QueueName, ChildProcess>();
    const run = (q: QueueName) => workers.set(q, start('src/workers/main.ts', [q], env, `kill-workers-${q}`));
    for (const q of QUEUE_NAMES) run(q);
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
    closers.push(() => connection.close());
    const client = new Client({ connection, dataConverter: testDataConverter() });

    const ids = await startOrders(client, 250);
    // Kill a random worker every 2-5 s and start it again 0-1.5 s later; the first round kills
    // every queue's worker once (in seeded order), then at random, for about 40 s.
    const order = [...QUEUE_NAMES].sort(() => random() - 0.5);
    const kills: string[] = [];
    const until = Date.now() + 40_000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 2_000 + random() * 3_000));
      const q = order[kills.length] ?? QUEUE_NAMES[Math.floor(random() * QUEUE_NAMES.length)]!;
      await stopPart(workers.get(q), 'SIGKILL');
      kills.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${q}`);
      await new Promise((r) => setTimeout(r, random() * 1_500));
      run(q);
    }
    console.log(`worker kills: ${kills.join(', ')}`);
    expect(new Set(kills.map((k) => k.split(' ')[1]))).toEqual(new Set(QUEUE_NAMES));

    // activities lost with a killed worker are retried after their timeout (pricing: 2 min)
    await expectNothingLostOrDuplicated(client, ids, 300_000);
    console.log(`worker kills: ${ids.length} orders, ${kills.length} kills, all delivered after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 480_000);

  it('loses no acknowledged order while PostgreSQL is unreachable for a while', async () => {
    const started = Date.now();
    const link = await CuttableLink.open();
    closers.push(() => link.close());
    const apiPort = await freePort();
    const base = `http://127.0.0.1:${apiPort}`;
    const direct = testEnv();
    const env = testEnv({
      PORT: String(apiPort),
      // promised in ~18 s: orders held up by the outage reach their at-risk timer during it
      PIPELINE_TIME_SCALE: '0.0002',
      MES_CAPACITY: '10',
      ...Object.fromEntries(['SHOP', 'CRM', 'MES', 'CARRIER', 'PRICING'].map((s) => [`${s}_DATABASE_URL`, link.route(direct[`${s}_DATABASE_URL`]!)])),
    });
    const processes = [start('src/workers/main.ts', ['all'], env, 'db-outage-workers'), start('src/api/main.ts', [], env, 'db-outage-api')];
    await waitForHttp(`${base}/healthz`);
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
    closers.push(() => connection.close());
    const client = new Client({ connection, dataConverter: testDataConverter() });

    // 60 clients each send one order (one every 500 ms) with an Idempotency-Key and, on 503,
    // wait Retry-After and send the same request again.
    const keys = Array.from({ length: 60 }, () => randomUUID());
    const acknowledged = new Map<string, string>();
    const answers: { status: number; contentType: string | null; retryAfter: string | null; duringCut: boolean }[] = [];
    const send = async (key: string, delayMs: number) => {
      const body = JSON.stringify(sampleOrder({ shipping: { method: 'pickup' } }));
      await new Promise((r) => setTimeout(r, delayMs));
      const deadline = Date.now() + 120_000;
      for (;;) {
        const duringCut = link.isCut;
        const res = await fetch(`${base}/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${SHOP_KEY}`, 'content-type': 'application/json', 'idempotency-key': key },
          body,
        });
        answers.push({ status: res.status, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), duringCut });
        if (res.status === 202) {
          acknowledged.set(key, ((await res.json()) as { id: string }).id);
          return;
        }
        await res.arrayBuffer();
        if (res.status !== 503 || Date.now() > deadline) throw new Error(`order with key ${key}: answer ${res.status}`);
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
      }
    };
    const sending = Promise.all(keys.map((k, i) => send(k, i * 500)));
    await waitUntil('some orders are acknowledged', async () => acknowledged.size >= 12, 30_000);
    const inFlight = [...acknowledged.values()];
    link.cut();
    const cutAt = Date.now();
    await new Promise((r) => setTimeout(r, 15_000));
    link.restore();
    console.log(`database outage: cut ${((cutAt - started) / 1000).toFixed(1)} s after the start, for ${((Date.now() - cutAt) / 1000).toFixed(1)} s`);
    await sending;

    expect(answers.every((a) => a.status === 202 || a.status === 503)).toBe(true);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.some((a) => a.duringCut)).toBe(true); // the outage reached intake
    for (const a of refused) {
      expect(a.contentType).toMatch(/application\/problem\+json/);
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
    }
    const ids = [...new Set(acknowledged.values())];
    expect(ids).toHaveLength(keys.length); // every key acknowledged once, as one order
    expect(ids).toEqual(expect.arrayContaining(inFlight));
    await expectNothingLostOrDuplicated(client, ids, 180_000);
    // the workers and the API rode out the outage: none of them ended
    expect(processes.map((p) => p.exitCode ?? p.signalCode)).toEqual([null, null]);
    console.log(`database outage: ${ids.length} orders (${refused.length} answers 503), all delivered after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 360_000);
});
