/**
 * The shop read replica for real: a streaming standby of the test PostgreSQL made by
 * db/replica.ts on a free port, the real API and pipeline with SHOP_READ_DATABASE_URL on it.
 * Replay is paused on the replica (`pg_wal_replay_pause()`) to make it lag on purpose: lists
 * then show the past, while an order's own GET after its 202 still sees the order.
 */
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { shopSchema, type ShopDb } from '../db/index.js';
import { startReadReplica, type ReadReplica } from '../db/replica.js';
import { orders } from '../src/order/schema.js';
import { OrderUnreadableError, readOrder } from '../src/order/client.js';
import { TEST_DATA_DIR } from './support/constants.js';
import type { HttpCall } from './support/http.js';
import { parseMetrics, value } from './support/monitoring.js';
import { sampleOrder, startPipelineWithApi, type TestPipelineWithApi } from './support/pipeline.js';
import { freePort } from './support/processes.js';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SHOP = 'shop-dev-key';
const LAG = 'orders_shop_read_replica_lag_seconds';

let replica: ReadReplica;
let replicaSql: postgres.Sql;
let replicaShop: postgres.Sql;
let running: TestPipelineWithApi;
let call: HttpCall;

beforeAll(async () => {
  replica = await startReadReplica({ primaryUrl: ADMIN_URL, dir: `${TEST_DATA_DIR}/read-replica`, port: await freePort() });
  // A reused replica catches up with the test databases made afresh by the global setup.
  await replica.catchUp();
  replicaSql = postgres(replica.url('postgres'), { max: 1, onnotice: () => {} });
  const shopName = new URL(inject('databaseUrls').shop).pathname.slice(1);
  replicaShop = postgres(replica.url(shopName), { max: 2, onnotice: () => {} });
  running = await startPipelineWithApi({ env: { SHOP_READ_DATABASE_URL: replica.url(shopName), METRICS_CACHE_SECONDS: '0' } });
  call = running.call;
}, 180_000);

afterAll(async () => {
  if (replicaSql) await replicaSql`select pg_wal_replay_resume()`.catch(() => {});
  await running?.stop();
  await replicaShop?.end({ timeout: 5 });
  await replicaSql?.end({ timeout: 5 });
  await replica?.stop();
});

async function listedIds(): Promise<string[]> {
  const res = await call('GET', '/v1/orders?limit=100', { key: SHOP });
  expect(res.status).toBe(200);
  return (res.json.data as { id: string }[]).map((o) => o.id);
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function lagMetric(): Promise<number | undefined> {
  const res = await fetch(running.api.metrics!.url);
  return value(parseMetrics(await res.text()), LAG);
}

async function placeOrder(): Promise<string> {
  const created = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() });
  expect(created.status).toBe(202);
  return created.json.id as string;
}

describe('the shop read replica (SHOP_READ_DATABASE_URL on a streaming standby)', () => {
  it('is a standby in recovery that the primary streams to', async () => {
    const [row] = await replicaSql<{ recovery: boolean; receiver: string }[]>`
      select pg_is_in_recovery() as recovery, (select status from pg_stat_wal_receiver) as receiver`;
    expect(row).toEqual({ recovery: true, receiver: 'streaming' });
    const primary = postgres(ADMIN_URL, { max: 1 });
    try {
      const senders = await primary`select state from pg_stat_replication where application_name = ${replica.name}`;
      expect(senders.map((s) => s.state)).toEqual(['streaming']);
    } finally {
      await primary.end({ timeout: 5 });
    }
    // A standby refuses writes: the API's lists really come from it.
    await expect(replicaShop`create table replica_write_probe (id int)`).rejects.toThrow(/read-only transaction/);
  });

  it('lists an order placed through the API once the replica has replayed it; the lag is then about 0', async () => {
    const id = await placeOrder();
    await until('the order in the list', async () => (await listedIds()).includes(id));
    const [row] = await replicaShop`select id from orders where id = ${id}`;
    expect(row?.id).toBe(id);
    await replica.catchUp();
    expect(await until('a lag below 1 s', async () => ((await lagMetric())! < 1 ? true : false))).toBe(true);
  });

  it('answers an order’s GET right after its 202 while the replica lags, and lists it once replay resumes', async () => {
    await replicaSql`select pg_wal_replay_pause()`;
    const pausedAt = Date.now();
    await until('replay paused', async () => (await replicaSql`select pg_get_wal_replay_pause_state() as s`)[0]!.s === 'paused');
    try {
      const id = await placeOrder();
      const order = await call('GET', `/v1/orders/${id}`, { key: SHOP });
      expect(order.status).toBe(200);
      expect(order.json).toMatchObject({ id, channel: 'b2c' });

      // The primary has the order's row; the paused replica has not.
      await until('the projection row on the primary', async () => {
        const rows = await running.pipeline.dbs.shop.db.select({ id: orders.id }).from(orders).where(eq(orders.id, id));
        return rows.length === 1;
      });
      expect(await replicaShop`select id from orders where id = ${id}`).toHaveLength(0);
      expect(await listedIds()).not.toContain(id);

      // Writes wait on the replica: the lag is at least the time since replay stopped.
      await new Promise((r) => setTimeout(r, 1_000));
      const lag = await lagMetric();
      expect(lag).toBeGreaterThan(0);
      expect(lag!).toBeGreaterThanOrEqual((Date.now() - pausedAt) / 1000 - 0.5);

      // Without Temporal the projection stands in: the replica has no row yet, the primary has.
      const reader = drizzle(replicaShop, { schema: shopSchema }) as unknown as ShopDb;
      const noTemporal = async () => {
        throw new Error('Temporal unreachable (test)');
      };
      const fromPrimary = await readOrder({ temporal: noTemporal, shopReader: reader, shop: running.pipeline.dbs.shop.db }, id);
      expect(fromPrimary).toMatchObject({ source: 'projection', state: { orderId: id } });
      await expect(readOrder({ temporal: noTemporal, shopReader: reader }, id)).rejects.toSatisfy(
        (err) => err instanceof OrderUnreadableError && err.projection === 'missing',
      );

      await replicaSql`select pg_wal_replay_resume()`;
      await until('the order in the list after resuming', async () => (await listedIds()).includes(id));
      await replica.catchUp();
      expect(await until('the lag back below 1 s', async () => ((await lagMetric())! < 1 ? true : false))).toBe(true);
    } finally {
      await replicaSql`select pg_wal_replay_resume()`;
    }
  });
});
