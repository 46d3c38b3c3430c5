/**
 * Benchmark of the shop projection write (`recordProgress` of src/order/activities.ts) on its
 * own: the five writes a delivered order makes (test/support/order-progression.ts), for many
 * orders at once, through the same driver the orders worker uses (postgres.js + drizzle).
 *
 *   npx tsx bench/projection-write.ts [--orders N] [--concurrency N] [--warmup N]
 *
 * Prints statements sent per write (counted in the driver), ms per write (p50/p95/p99), the CPU
 * this process (standing in for the orders worker) spends per write and, when the server runs on
 * this machine, the CPU of the pool's PostgreSQL backends per write. The last line printed
 * is a JSON object of the figures.
 */
import { performance } from 'node:perf_hooks';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { dropDatabase, openDatabases, shopSchema, type ShopDb } from '../db/index.js';
import { createOrderActivities } from '../src/order/activities.js';
import { loadConfig, withDatabase } from '../src/platform/config.js';
import { deliveredProgression } from '../test/support/order-progression.js';
import { integerOption, machineDescription, parseOptions, percentile, processCpuMs, round2 } from './support.js';

const USAGE = `Benchmark of the shop projection write (recordProgress), five writes per delivered order.

usage: npx tsx bench/projection-write.ts [options]

  --orders N        timed orders (default 2000; 5 writes each)
  --concurrency N   orders written at once, and the pool size (default 8)
  --warmup N        untimed orders first (default 200)
  --database NAME   benchmark database, created and dropped (default orders_bench_projection_write)
  --help            this text

environment:
  BENCH_DATABASE_URL   PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres)`;

const opts = parseOptions(
  {
    orders: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '200' },
    database: { type: 'string', default: 'orders_bench_projection_write' },
    help: { type: 'boolean', default: false },
  },
  USAGE,
);
const ordersTimed = integerOption('orders', opts.orders, 1);
const concurrency = integerOption('concurrency', opts.concurrency, 1);
const warmup = integerOption('warmup', opts.warmup, 0);
const url = withDatabase(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', opts.database);

await dropDatabase(url);
await (await openDatabases(loadConfig({ SHOP_DATABASE_URL: url }), ['shop'], { migrate: true })).close();

let statements = 0;
const client = postgres(url, { max: concurrency, onnotice: () => {}, debug: () => void statements++ });
const shop = drizzle(client, { schema: shopSchema }) as unknown as ShopDb;
const { recordProgress } = createOrderActivities({ shop, log: { warn: () => undefined } });

/** The states of `count` delivered orders; made before the clock starts (pricing them is not the write's cost). */
const prepare = (count: number) => Array.from({ length: count }, (_, n) => deliveredProgression({ channel: n % 3 === 0 ? 'b2b' : 'b2c' }));

/** Writes the orders' progressions, `concurrency` orders at a time; ms of each write. */
async function run(progressions: ReturnType<typeof prepare>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < progressions.length) {
        const states = progressions[next++]!;
        for (const [i, state] of states.entries()) {
          const t0 = performance.now();
          await recordProgress({ state, version: i + 1 });
          times.push(performance.now() - t0);
        }
      }
    }),
  );
  return times;
}

try {
  await run(prepare(warmup));
  const progressions = prepare(ordersTimed);
  // The server processes of the pool's connections (all open after the warm-up), when on this machine.
  const backends = (await client`select pid from pg_stat_activity where datname = current_database()`).map((r) => r.pid as number);
  const serverCpuMs = () => backends.reduce((n, pid) => n + processCpuMs(pid), 0);
  statements = 0;
  const server0 = serverCpuMs();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const times = (await run(progressions)).sort((a, b) => a - b);
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const serverMs = serverCpuMs() - server0;
  const writes = times.length;
  const figures = {
    machine: machineDescription(),
    orders: ordersTimed,
    writes,
    concurrency,
    statementsPerWrite: round2(statements / writes),
    p50Ms: round2(percentile(times, 0.5)),
    p95Ms: round2(percentile(times, 0.95)),
    p99Ms: round2(percentile(times, 0.99)),
    cpuMsPerWrite: round2((cpu.user + cpu.system) / 1000 / writes),
    /** NaN when the server runs elsewhere (no /proc entries of its processes here). */
    postgresCpuMsPerWrite: round2(serverMs / writes),
    postgresBackends: backends.length,
    writesPerSecond: Math.round(writes / (wallMs / 1000)),
  };
  console.log(
    `${writes} writes (${ordersTimed} orders × 5, ${concurrency} at once): ${figures.statementsPerWrite} statements per write, ` +
      `p50/p95/p99 ${figures.p50Ms}/${figures.p95Ms}/${figures.p99Ms} ms, CPU ms per write ${figures.cpuMsPerWrite} (this process) / ` +
      `${figures.postgresCpuMsPerWrite} (PostgreSQL), ${figures.writesPerSecond} writes/s`,
  );
  console.log(JSON.stringify(figures));
} finally {
  await client.end({ timeout: 5 });
  await dropDatabase(url);
}
