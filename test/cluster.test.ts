/**
 * The production shape as `npm run cluster` runs it (src/cluster/shape.ts): a real Temporal
 * server on PostgreSQL with frontend, history, matching and worker as separate processes, SQL
 * visibility, worker processes per queue, two API replicas behind nginx reading lists from a
 * streaming read replica of the PostgreSQL server. Orders go in through
 * the gateway as the shop and partners send them, while one worker replica of every queue, one
 * API replica and the history service are killed with SIGKILL and started again. It runs in
 * production mode, as compose does: secrets of its own, no development key, mTLS to Temporal.
 * One setup for the whole file (the cluster takes about half a minute to come up).
 */
import { Client, Connection } from '@temporalio/client';
import { inArray } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, openDatabases } from '../db/index.js';
import { assignments } from '../src/crm/schema.js';
import { productionJobs } from '../src/mes/schema.js';
import { shipments } from '../src/shipping/schema.js';
import { orders } from '../src/order/schema.js';
import { DATABASE_NAMES, SYSTEMS, loadConfig, withDatabase } from '../src/platform/config.js';
import { startClusterShape, type ClusterShape, type RunningPart } from '../src/cluster/shape.js';
import { clientTls, ensureClusterCertificates } from '../src/cluster/tls.js';
import { dataConverter } from '../src/platform/temporal/codec.js';
import { findTemporalServer } from '../src/platform/temporal/server-build.js';
import { PRIORITY_KEYS } from '../src/domain/priority.js';
import { orderWorkflowId, statusQuery, type OrderState } from '../src/order/contract.js';
import { TEST_DATA_DIR, TEST_TEMPORAL_PORT } from './support/constants.js';
import { freePort } from './support/processes.js';
import { sampleOrder } from './support/sample-order.js';
import { productionSecrets } from './support/production-env.js';
import { createClient } from '../src/api/clients.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIX = `${process.env.TEST_DB_PREFIX ?? 'orders_test'}_cluster`;
type Sender = 'shop' | 'acme' | 'globex';
/** The API keys of the shop and the two partners, created in the shop database as an operator does (production has no dev keys). */
const KEYS = {} as Record<Sender, string>;

let shape: ClusterShape;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  const tools = findTemporalServer();
  if (!tools) throw new Error('the Temporal server is not built: run `npm run temporal -- ensure-server` (CI does it in .ci/run)');
  // A fresh cluster every run: its own Temporal and pipeline databases.
  const names = [...SYSTEMS.map((s) => `${PREFIX}_${DATABASE_NAMES[s].replace(/^orders_/, '')}`), `${PREFIX}_temporal`, `${PREFIX}_temporal_visibility`];
  for (const name of names) await dropDatabase(withDatabase(ADMIN_URL, name));
  const [apiA, apiB, gateway, replicaPort, uiPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  shape = await startClusterShape({
    tools,
    dir: `${TEST_DATA_DIR}/cluster`,
    databaseUrl: ADMIN_URL,
    databasePrefix: PREFIX,
    // Frontend, history, matching, worker on +0…+3, membership +10…+13, HTTP +20.
    temporalPort: TEST_TEMPORAL_PORT + 1000,
    gatewayPort: gateway,
    apiPorts: [apiA, apiB],
    readReplicaPort: replicaPort,
    uiPort,
    env: { NODE_ENV: 'production', ...productionSecrets(), LOG_LEVEL: 'warn', PIPELINE_TIME_SCALE: '0.001', MES_CAPACITY: '2' },
  });
  const dbs = await openDatabases(loadConfig(shape.env), ['shop']);
  try {
    KEYS.shop = (await createClient(dbs.shop.db, { name: 'Shop', kind: 'shop' })).key;
    KEYS.acme = (await createClient(dbs.shop.db, { name: 'Acme', kind: 'partner', partnerId: 'acme' })).key;
    KEYS.globex = (await createClient(dbs.shop.db, { name: 'Globex', kind: 'partner', partnerId: 'globex' })).key;
  } finally {
    await dbs.close();
  }
  connection = await Connection.connect(shape.temporal.connection);
  client = new Client({ connection, namespace: 'default', dataConverter: dataConverter(loadConfig(shape.env)) });
}, 240_000);

afterAll(async () => {
  await connection?.close();
  await shape?.stop();
});

/**
 * Places an order through the gateway as a client does: the same Idempotency-Key again after a
 * 5xx or a broken connection, until the order is acknowledged (202) or `timeoutMs` passed.
 */
async function placeOrder(sender: Sender, key: string, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  // The same body with every retry, as the key promises.
  const body = JSON.stringify(sampleOrder());
  let last: string;
  for (;;) {
    try {
      const res = await fetch(`${shape.gatewayUrl}/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS[sender]}`, 'content-type': 'application/json', 'idempotency-key': key },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const answer = (await res.json()) as { id?: string; detail?: string };
      if (res.status === 202 || res.status === 201) return answer.id!;
      if (res.status < 500 && res.status !== 429) throw new Error(`order ${key} refused: ${res.status} ${JSON.stringify(answer)}`);
      last = `${res.status} ${answer.detail ?? ''}`;
    } catch (err) {
      if ((err as Error).message.startsWith(`order ${key} refused`)) throw err;
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`order ${key} not acknowledged within ${timeoutMs} ms; last answer: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function statusOf(id: string): Promise<OrderState> {
  return client.workflow.getHandle(orderWorkflowId(id)).query(statusQuery);
}

async function waitDelivered(ids: string[], timeoutMs: number): Promise<OrderState[]> {
  const deadline = Date.now() + timeoutMs;
  let states: (OrderState | undefined)[];
  for (;;) {
    states = await Promise.all(ids.map((id) => statusOf(id).catch(() => undefined)));
    if (states.every((s) => s?.status === 'delivered')) return states as OrderState[];
    if (Date.now() > deadline) {
      const open = states.map((s, i) => `${ids[i]}: ${s?.status ?? 'no answer'}`).filter((l) => !l.endsWith('delivered'));
      throw new Error(`${open.length} orders not delivered within ${timeoutMs} ms:\n  ${open.join('\n  ')}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function count(query: string): Promise<number> {
  return (await client.workflow.count(query)).count;
}

/** Until SQL visibility answers `query` with `expected` (visibility lags history a little). */
async function visibleCount(query: string, expected: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await count(query);
    if (n === expected || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 300));
  }
}

const part = (name: string): RunningPart => {
  const found = shape.parts.find((p) => p.name === name);
  if (!found) throw new Error(`no part ${name} in ${shape.parts.map((p) => p.name).join(', ')}`);
  return found;
};

describe('the production shape on one machine (npm run cluster)', () => {
  it('runs Temporal as four service processes on PostgreSQL with SQL visibility', async () => {
    expect(Object.keys(shape.temporal.services).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    const pids = new Set(Object.values(shape.temporal.services).map((s) => s.child.pid));
    expect(pids.size).toBe(4);
    const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(attributes.customAttributes ?? {})).toEqual(
      expect.arrayContaining(['OrderStatus', 'Channel', 'OrderPriority', 'PartnerId', 'ExternalRef']),
    );
    const system = await connection.workflowService.getSystemInfo({});
    expect(system.serverVersion).toBe('1.32.1');
    // Two API replicas behind one gateway, worker processes per queue.
    expect(shape.parts.filter((p) => p.kind === 'api')).toHaveLength(2);
    expect(shape.parts.filter((p) => p.queue === 'orders')).toHaveLength(2);
    expect(shape.parts.filter((p) => p.queue === 'pricing')).toHaveLength(2);
    expect(shape.parts.filter((p) => p.queue === 'crm')).toHaveLength(2);
  });

  it('runs in production mode: the development keys are refused at the gateway', async () => {
    expect(shape.env.NODE_ENV).toBe('production');
    for (const key of ['shop-dev-key', 'partner-acme-dev-key', 'ops-dev-key']) {
      const res = await fetch(`${shape.gatewayUrl}/v1/orders`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const own = await fetch(`${shape.gatewayUrl}/v1/orders`, { headers: { authorization: `Bearer ${KEYS.shop}` } });
    expect(own.status).toBe(200);
  });

  it('lets only holders of a certificate the cluster issued call its frontend (mTLS)', async () => {
    // What the product's processes connect with: TLS, the cluster's CA, a client certificate.
    expect(shape.temporal.connection.tls?.clientCertPair).toBeDefined();
    expect(shape.env.TEMPORAL_TLS_CLIENT_CERT_PATH).toBeTruthy();
    const refused = async (options: Parameters<typeof Connection.connect>[0]) => {
      const attempt = await Connection.connect({ ...options, connectTimeout: 3_000 }).then(
        async (c) => {
          // A connection that opens must still be refused on its first call.
          try {
            await c.workflowService.getSystemInfo({});
            return 'answered';
          } finally {
            await c.close();
          }
        },
        (err: Error) => err.message,
      );
      expect(attempt).not.toBe('answered');
      return attempt;
    };
    const { address } = shape.temporal;
    const { serverRootCACertificate, serverNameOverride } = shape.temporal.connection.tls!;
    // Plain gRPC, TLS without a client certificate, and a certificate of another authority.
    await refused({ address });
    await refused({ address, tls: { serverRootCACertificate, serverNameOverride } });
    const stranger = ensureClusterCertificates(`${TEST_DATA_DIR}/cluster-stranger-tls`);
    await refused({ address, tls: { serverRootCACertificate, serverNameOverride, clientCertPair: clientTls(stranger).clientCertPair } });
    // The product's own certificate is admitted.
    const admitted = await Connection.connect({ ...shape.temporal.connection, connectTimeout: 3_000 });
    try {
      expect((await admitted.workflowService.getSystemInfo({})).serverVersion).toBe('1.32.1');
    } finally {
      await admitted.close();
    }
  });

  it('delivers orders of the shop and two partners, and answers the Web UI searches on SQL visibility', async () => {
    const senders: Sender[] = ['shop', 'acme', 'globex', 'shop', 'acme', 'globex'];
    const ids = await Promise.all(senders.map((s, i) => placeOrder(s, `first-${s}-${i}`)));
    const states = await waitDelivered(ids, 120_000);
    expect(states.map((s) => s.channel)).toEqual(['b2c', 'b2b', 'b2b', 'b2c', 'b2b', 'b2b']);
    expect(states.map((s) => s.partnerId ?? null)).toEqual([null, 'acme', 'globex', null, 'acme', 'globex']);

    const mine = `WorkflowId IN (${ids.map((id) => `'${orderWorkflowId(id)}'`).join(', ')})`;
    expect(await visibleCount(`${mine} AND OrderStatus = 'delivered'`, 6)).toBe(6);
    expect(await visibleCount(`${mine} AND Channel = 'b2b'`, 4)).toBe(4);
    expect(await visibleCount(`${mine} AND PartnerId = 'acme'`, 2)).toBe(2);
    expect(await visibleCount(`${mine} AND PartnerId = 'globex' AND Channel = 'b2b'`, 2)).toBe(2);
    // The Web UI's "high or above" search: OrderPriority holds the priority key (rush 1, high 2, …).
    const highPriority = states.filter((s) => PRIORITY_KEYS[s.priority] <= 2).length;
    expect(highPriority).toBeGreaterThan(0);
    expect(highPriority).toBeLessThan(6);
    expect(await visibleCount(`${mine} AND OrderPriority <= 2`, highPriority)).toBe(highPriority);
    expect(await visibleCount(`${mine} AND ExecutionStatus = 'Completed'`, 6)).toBe(6);
    // The Web UI (through its own mTLS connection) finds them with an operator's search, and is read-only.
    const ui = shape.parts.find((p) => p.kind === 'ui')!;
    const uiSearch = await fetch(
      `http://127.0.0.1:${ui.port}/api/v1/namespaces/default/workflows?query=${encodeURIComponent(`${mine} AND PartnerId = 'acme'`)}`,
    );
    expect(uiSearch.status).toBe(200);
    const found = ((await uiSearch.json()) as { executions?: { execution: { workflowId: string } }[] }).executions ?? [];
    expect(found.map((e) => e.execution.workflowId).sort()).toEqual([ids[1]!, ids[4]!].map(orderWorkflowId).sort());
    const settings = (await (await fetch(`http://127.0.0.1:${ui.port}/api/v1/settings`)).json()) as Record<string, unknown>;
    expect(settings.DisableWriteActions).toBe(true);
    expect((settings.Codec as { Endpoint?: string }).Endpoint).toBe(`${shape.gatewayUrl}/v1/codec`);
    // A list through the gateway (an API replica reading the shop database) shows them too.
    const list = await fetch(`${shape.gatewayUrl}/v1/orders?status=delivered&limit=100`, { headers: { authorization: `Bearer ${KEYS.shop}` } });
    expect(list.status).toBe(200);
    const listed = ((await list.json()) as { data: { id: string }[] }).data.map((o) => o.id);
    expect(listed).toEqual(expect.arrayContaining([ids[0], ids[3]]));
  }, 180_000);

  it('reads the lists from a streaming read replica of the PostgreSQL server', async () => {
    const replica = shape.readReplica!;
    expect(new URL(shape.env.SHOP_READ_DATABASE_URL!).port).toBe(String(replica.port));
    const primary = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    const standby = postgres(replica.url('postgres'), { max: 1, onnotice: () => {} });
    try {
      const senders = await primary`select state from pg_stat_replication where application_name = ${replica.name}`;
      expect(senders.map((s) => s.state)).toEqual(['streaming']);
      const [{ recovery }] = (await standby`select pg_is_in_recovery() as recovery`) as unknown as [{ recovery: boolean }];
      expect(recovery).toBe(true);
      // A list through the gateway runs on an API replica's reader: its connections are on the standby.
      const list = await fetch(`${shape.gatewayUrl}/v1/orders?limit=5`, { headers: { authorization: `Bearer ${KEYS.shop}` } });
      expect(list.status).toBe(200);
      const readers = await standby`select count(*)::int as n from pg_stat_activity where datname = ${`${PREFIX}_shop`} and backend_type = 'client backend'`;
      expect(readers[0]!.n).toBeGreaterThan(0);
    } finally {
      await Promise.all([primary.end({ timeout: 5 }), standby.end({ timeout: 5 })]);
    }
  }, 180_000);

  it("keeps the customers' names, e-mails and addresses out of Temporal's PostgreSQL databases", async () => {
    // The orders of the test above are in the history by now; every payload went through the codec.
    const needles = ['Anna Schmidt', '@example.com', 'Hauptstr'];
    const history = postgres(withDatabase(ADMIN_URL, shape.temporal.databases.history), { max: 1, onnotice: () => {} });
    const visibility = postgres(withDatabase(ADMIN_URL, shape.temporal.databases.visibility), { max: 1, onnotice: () => {} });
    try {
      const [nodes] = await history`SELECT count(*)::int AS n FROM history_node`;
      expect(nodes!.n).toBeGreaterThan(0);
      const [encrypted] = await history`SELECT count(*)::int AS n FROM history_node WHERE position(convert_to('binary/encrypted', 'UTF8') in data) > 0`;
      expect(encrypted!.n).toBeGreaterThan(0);
      for (const needle of needles) {
        const [inHistory] = await history`SELECT count(*)::int AS n FROM history_node WHERE position(convert_to(${needle}, 'UTF8') in data) > 0`;
        const [inState] = await history`SELECT count(*)::int AS n FROM executions WHERE position(convert_to(${needle}, 'UTF8') in data) > 0`;
        const [inVisibility] =
          await visibility`SELECT count(*)::int AS n FROM executions_visibility WHERE search_attributes::text LIKE ${`%${needle}%`} OR position(convert_to(${needle}, 'UTF8') in coalesce(memo, ''::bytea)) > 0`;
        expect({ needle, history: inHistory!.n, state: inState!.n, visibility: inVisibility!.n }).toEqual({ needle, history: 0, state: 0, visibility: 0 });
      }
    } finally {
      await Promise.all([history.end({ timeout: 5 }), visibility.end({ timeout: 5 })]);
    }
  });

  it('loses and duplicates nothing when a worker of every queue, an API replica and the history service are killed', async () => {
    const senders: Sender[] = ['shop', 'acme', 'globex'];
    const placed: Promise<string>[] = [];
    // Orders arrive at about five a second, for six seconds.
    const sending = (async () => {
      for (let i = 0; i < 30; i++) {
        placed.push(placeOrder(senders[i % 3]!, `fault-${senders[i % 3]}-${i}`));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    await new Promise((r) => setTimeout(r, 1_500));
    // One replica of each queue and one API replica: SIGKILL, started again a moment later.
    const victims = ['worker-orders-1', 'worker-pricing-1', 'worker-crm-1', 'worker-mes-1', 'worker-shipping-1', 'api-1'].map(part);
    await Promise.all(victims.map((v) => v.process.kill('SIGKILL')));
    await new Promise((r) => setTimeout(r, 1_500));
    // The history service dies too, while the replacements start.
    await shape.temporal.services.history.kill('SIGKILL');
    const restarted = await Promise.all(victims.map((v) => shape.restart(v)));
    await new Promise((r) => setTimeout(r, 3_000));
    shape.temporal.services.history = shape.temporal.services.history.restart();
    await sending;
    const ids = await Promise.all(placed);
    expect(new Set(ids).size).toBe(30);
    expect(restarted.every((p) => !p.process.exited())).toBe(true);

    const final = await waitDelivered(ids, 240_000);
    expect(final.every((s) => s.status === 'delivered')).toBe(true);

    const dbs = await openDatabases(loadConfig(shape.env), SYSTEMS);
    try {
      // Exactly one side effect of each kind per acknowledged order.
      const jobs = await dbs.mes.db
        .select({ orderId: productionJobs.orderId, id: productionJobs.id })
        .from(productionJobs)
        .where(inArray(productionJobs.orderId, ids));
      expect(jobs.map((j) => j.orderId).sort()).toEqual([...ids].sort());
      expect(new Set(final.map((s) => s.production?.jobId))).toEqual(new Set(jobs.map((j) => j.id)));
      const shipped = await dbs.carrier.db.select({ orderId: shipments.orderId }).from(shipments).where(inArray(shipments.orderId, ids));
      expect(shipped.map((s) => s.orderId).sort()).toEqual([...ids].sort());
      const assigned = await dbs.crm.db.select({ orderId: assignments.orderId }).from(assignments).where(inArray(assignments.orderId, ids));
      expect(assigned.map((a) => a.orderId).sort()).toEqual([...ids].sort());
      // The shop's projection says what the workflows say.
      const rows = await dbs.shop.db.select({ id: orders.id, status: orders.status, priority: orders.priority }).from(orders).where(inArray(orders.id, ids));
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(rows).toHaveLength(ids.length);
      for (const state of final) expect(byId.get(state.orderId)).toEqual({ id: state.orderId, status: state.status, priority: state.priority });
    } finally {
      await dbs.close();
    }

    // Every closed workflow still answers its status query (replayed by a worker of the restarted shape).
    expect(await visibleCount(`ExecutionStatus = 'Completed' AND OrderStatus = 'delivered'`, 36)).toBe(36);
    const again = await Promise.all(ids.map(statusOf));
    expect(again.map((s) => s.status)).toEqual(ids.map(() => 'delivered'));
  }, 400_000);
});
