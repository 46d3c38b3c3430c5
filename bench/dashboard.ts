/**
 * Benchmark of `GET /v1/dashboard` (src/api/dashboard.ts) over real HTTP against a shop
 * database of a million orders with their timelines, and of what the rollup triggers cost a
 * projection write.
 *
 *   npm run bench:dashboard -- [--quick] [--rows N] [--queries N] [--writes N] [--reseed]
 *
 * See --help and bench/README.md. The last line printed is a JSON object of the figures.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { openDatabases } from '../db/index.js';
import { readDashboard, type DashboardWindow } from '../src/api/dashboard.js';
import { startApi } from '../src/api/server.js';
import { createOrderActivities } from '../src/order/activities.js';
import { loadConfig, withDatabase } from '../src/platform/config.js';
import { newOrderInput } from '../src/order/intake.js';
import { createLogger } from '../src/platform/logger.js';
import { TEMPORAL_CLI_VERSION, ensureTemporalCli, startDevServer } from '../src/platform/temporal/dev-server.js';
import { STAGES, initialOrderState, type OrderState } from '../src/order/contract.js';
import { integerOption, machineDescription, parseOptions, percentile, round2 } from './support.js';

const USAGE = `Benchmark of GET /v1/dashboard (the operators' dashboard figures) over HTTP.

usage: npm run bench:dashboard -- [options]

  --quick        100,000 orders, 60 timed requests per window, 300 writes (a smoke run)
  --rows N       orders in the benchmark database (default 1000000); reseeded when the count differs
  --queries N    timed requests per window (default 300)
  --warmup N     untimed requests per window first (default 20)
  --writes N     projection writes timed with and without the rollup triggers (default 2000)
  --reseed       seed again even when the database already holds --rows orders
  --help         this text

environment:
  BENCH_DATABASE_URL   PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
                       the database orders_bench_dashboard_shop on it is created, migrated and (re)seeded.
  TEMPORAL_CLI_PATH    the temporal binary (else PATH, else built into .tools/): a dev server is
                       started on a free port, so the task-queue figures are real RPCs.

Seeds orders and their timelines with INSERT … SELECT generate_series (rollup triggers off),
rebuilds the rollups with dashboard_rollups_rebuild() and checks them against the tables, starts
the API (startApi) and times GET /v1/dashboard per window sequentially, next to readDashboard()
alone ("db", Temporal left out). Prints the EXPLAIN ANALYZE of the statements that read the
projection. Then times the orders worker's recordProgress with the triggers on and off.
The last line is a JSON object of the figures.`;

const BENCH_DB = 'orders_bench_dashboard_shop';
const SEED_MARK = 'dashboard benchmark seed v2';
const BATCH = 50_000;

const args = parseOptions(
  {
    quick: { type: 'boolean', default: false },
    rows: { type: 'string' },
    queries: { type: 'string' },
    warmup: { type: 'string', default: '20' },
    writes: { type: 'string' },
    reseed: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  USAGE,
);
const ROWS = integerOption('rows', args.rows ?? (args.quick ? '100000' : '1000000'), 1_000);
const QUERIES = integerOption('queries', args.queries ?? (args.quick ? '60' : '300'), 1);
const WARMUP = integerOption('warmup', args.warmup, 0);
const WRITES = integerOption('writes', args.writes ?? (args.quick ? '300' : '2000'), 10);

const serverUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const dbUrl = withDatabase(serverUrl, BENCH_DB);
const log = (line: string) => console.log(line);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// Seeding: orders over the last 30 days, each with the timeline its status implies

/**
 * Orders `$1..$2` of `$3`, created evenly over the 30 days before `$4` (now). 30 % b2c. Orders
 * older than 3 days are 92 % delivered, the rest cancelled, rejected or failed; newer ones
 * spread over the pipeline. 10 % of the open orders are at risk, 5 % overdue; 3 % of the
 * delivered ones were overdue. Each order gets one completed timeline entry per stage it passed,
 * with stage durations and queue waits drawn from skewed distributions (partner orders wait
 * longer for production than shop orders).
 */
const SEED_SQL = `
with o as (
  insert into orders (id, channel, partner_id, client_id, status, priority, customer_name, customer_email,
                      items, shipping, promised_by, at_risk_at, overdue_at, created_at, updated_at, version)
  select gen_random_uuid()::text, ch, pid, coalesce('partner-' || pid, 'shop'), st,
         case when ch = 'b2c' then 'high' else 'normal' end,
         'Customer ' || i, 'customer' || i || '@example.com',
         '[{"sku":"BC-STD","quantity":500}]'::jsonb, '{"method":"pickup"}'::jsonb,
         created + interval '5 days',
         case when risk < 0.15 and (open or risk < 0.03) then created + interval '4 days' end,
         case when risk < 0.05 and open or risk < 0.03 and st = 'delivered' then least(created + interval '5 days', $4::timestamptz) end,
         created,
         case when open then created + (($4::timestamptz - created) * 0.5) else least(created + interval '2 days' * (0.5 + rs), $4::timestamptz) end,
         8
  from (
    select *, st not in ('delivered', 'cancelled', 'rejected', 'failed') as open
    from (
      select i, created, risk, rs,
             case when rc < 0.30 then 'b2c' else 'b2b' end as ch,
             case when rc < 0.30 then null when rc < 0.55 then 'acme' when rc < 0.75 then 'globex' else 'p' || floor(rc * 100)::int end as pid,
             case when created < $4::timestamptz - interval '3 days' then
                    case when rs < 0.92 then 'delivered' when rs < 0.96 then 'cancelled' when rs < 0.99 then 'rejected' else 'failed' end
                  else
                    case when rs < 0.40 then 'delivered' when rs < 0.50 then 'shipped' when rs < 0.58 then 'produced'
                         when rs < 0.72 then 'in_production' when rs < 0.78 then 'routed' when rs < 0.82 then 'priced'
                         when rs < 0.85 then 'accepted' when rs < 0.88 then 'received' when rs < 0.93 then 'cancelled'
                         when rs < 0.97 then 'rejected' else 'failed' end
             end as st
      from (
        select i, random() as rc, random() as rs, random() as risk,
               date_trunc('milliseconds', $4::timestamptz - interval '30 days' + (i::float8 / $3::int) * interval '30 days') as created
        from generate_series($1::int, $2::int) as i
      ) r
    ) c
  ) s
  returning id, channel, status, priority, created_at
)
insert into order_events (order_id, seq, stage, status, started_at, ended_at, attempts, priority, queue_wait_ms)
select id, j, (array['accept','price','route-to-crm','produce','ship'])[j + 1], 'completed',
       created_at + j * interval '90 minutes',
       created_at + j * interval '90 minutes' + dur_ms * interval '1 millisecond',
       1, priority, wait_ms
from (
  select o.*, j,
         -- log-uniform durations: accept 20–400 ms, price 50 ms–3 s, route 30 ms–1 s, produce 20 min–8 h, ship 2 h–3 d
         exp(ln((array[20, 50, 30, 1200000, 7200000])[j + 1]) + random() * ln((array[20, 60, 33, 24, 36])[j + 1])) as dur_ms,
         floor(case when j = 3 then exp(random() * ln(case when channel = 'b2b' then 3600000 else 300000 end))
                    else exp(random() * ln(200)) end)::int as wait_ms
  from o cross join generate_series(0, 4) as j
  where j < case status when 'received' then 0 when 'accepted' then 1 when 'priced' then 2 when 'routed' then 3
                        when 'in_production' then 3 when 'produced' then 4 when 'shipped' then 4 when 'delivered' then 5
                        when 'cancelled' then 2 when 'rejected' then 0 else 3 end
) e
-- a stage that would end in the future has not ended yet
where created_at + j * interval '90 minutes' + dur_ms * interval '1 millisecond' <= $4::timestamptz`;

async function seed(pg: postgres.Sql): Promise<{ seededMs: number; rebuildMs: number; events: number } | undefined> {
  const [{ n, seeded }] = (await pg`select count(*)::int as n, obj_description('orders'::regclass, 'pg_class') as seeded from orders`) as unknown as [
    { n: number; seeded: string | null },
  ];
  if (n === ROWS && seeded === SEED_MARK && !args.reseed) {
    log(`reusing ${ROWS.toLocaleString('en')} orders already in ${BENCH_DB} (--reseed to seed again)`);
    return undefined;
  }
  log(`seeding ${ROWS.toLocaleString('en')} orders with their timelines into ${BENCH_DB}, rollup triggers off…`);
  await pg`truncate orders, order_events`;
  const started = performance.now();
  const now = new Date().toISOString();
  await pg.unsafe('alter table orders disable trigger user');
  await pg.unsafe('alter table order_events disable trigger user');
  try {
    for (let from = 1; from <= ROWS; from += BATCH) {
      const to = Math.min(ROWS, from + BATCH - 1);
      await pg.unsafe(SEED_SQL, [from, to, ROWS, now]);
      log(`  ${to.toLocaleString('en').padStart(11)} / ${ROWS.toLocaleString('en')}  ${secs(performance.now() - started)}`);
    }
  } finally {
    await pg.unsafe('alter table orders enable trigger user');
    await pg.unsafe('alter table order_events enable trigger user');
  }
  const seededMs = performance.now() - started;
  log('vacuum analyze…');
  await pg`vacuum (analyze) orders`;
  await pg`vacuum (analyze) order_events`;
  log('rebuilding the rollups (dashboard_rollups_rebuild)…');
  const r = performance.now();
  await pg`select dashboard_rollups_rebuild()`;
  const rebuildMs = performance.now() - r;
  await pg`vacuum (analyze) order_status_counts, order_throughput_hourly, stage_timings_hourly`;
  await pg.unsafe(`comment on table orders is '${SEED_MARK}'`);
  const [{ events }] = (await pg`select count(*)::int as events from order_events`) as unknown as [{ events: number }];
  log(`seeded ${events.toLocaleString('en')} timeline entries in ${secs(seededMs)}; rollups rebuilt in ${secs(rebuildMs)}`);
  return { seededMs, rebuildMs, events };
}

/** The rollups equal the GROUP BY over the tables (the seed bypassed the triggers; the rebuild must not). */
async function checkRollups(pg: postgres.Sql): Promise<void> {
  const diff = await pg`
    select 'status' as what, count(*)::int as n from (
      (select status, channel, count(*)::bigint from orders group by 1, 2)
      except (select status, channel, sum(orders)::bigint from order_status_counts group by 1, 2 having sum(orders) <> 0)
    ) d
    union all
    select 'stages', count(*)::int from (
      (select e.stage, o.channel, count(*)::bigint from order_events e join orders o on o.id = e.order_id
       where e.status = 'completed' and e.ended_at is not null group by 1, 2)
      except (select stage, channel, sum(samples)::bigint from stage_timings_hourly where metric = 'duration' group by 1, 2 having sum(samples) <> 0)
    ) d`;
  const bad = diff.filter((d) => d.n !== 0);
  if (bad.length > 0) throw new Error(`rollups differ from the tables: ${JSON.stringify(bad)}`);
  log('rollups match the tables (counts per status and channel, completed stages per channel)');
}

// ---------------------------------------------------------------------------------------------
// Timing

interface Stats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: round2(percentile(s, 0.5)), p95: round2(percentile(s, 0.95)), p99: round2(percentile(s, 0.99)), max: round2(s[s.length - 1]!) };
}

async function time(n: number, warmup: number, run: () => Promise<void>): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
  }
  return stats(samples);
}

/** The life of one order as the orders worker writes it: received … delivered, 8 writes. */
function lifecycle(state: OrderState): OrderState[] {
  const t0 = Date.now();
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const after = ['accepted', 'priced', 'routed', 'produced', 'delivered'] as const;
  const during: Partial<Record<(typeof STAGES)[number], OrderState['status']>> = { produce: 'in_production', ship: 'shipped' };
  let s: OrderState = { ...state, timeline: [] };
  const out: OrderState[] = [s];
  STAGES.forEach((stage, i) => {
    const running = { seq: i, stage, status: 'running' as const, startedAt: at(i * 100), attempts: 1, priority: s.priority };
    s = { ...s, status: during[stage] ?? s.status, timeline: [...s.timeline, running], updatedAt: at(i * 100) };
    if (during[stage]) out.push(s);
    const done = { ...running, status: 'completed' as const, endedAt: at(i * 100 + 50), queueWaitMs: 3 + i };
    s = { ...s, status: after[i]!, timeline: [...s.timeline.slice(0, -1), done], updatedAt: at(i * 100 + 50) };
    out.push(s);
  });
  return out;
}

async function timeWrites(pg: postgres.Sql, shop: Parameters<typeof createOrderActivities>[0]['shop']) {
  const { recordProgress } = createOrderActivities({ shop });
  const ROUNDS = 4;
  const orderCount = Math.ceil(WRITES / 8 / ROUNDS);
  const run = async (ids: string[]): Promise<number[]> => {
    const samples: number[] = [];
    for (let k = 0; k < orderCount; k++) {
      const orderId = randomUUID();
      ids.push(orderId);
      const input = newOrderInput({
        source: k % 3 === 0 ? { clientId: 'shop', kind: 'shop' } : { clientId: 'partner-acme', kind: 'partner', partnerId: 'acme' },
        order: { customer: { name: 'Bench', email: 'bench@example.com' }, items: [{ sku: 'BC-STD', quantity: 500 }], shipping: { method: 'pickup' } },
        timeScale: 1,
        orderId,
      });
      const states = lifecycle(initialOrderState(input));
      for (const [version, state] of states.entries()) {
        const t = performance.now();
        await recordProgress({ state, version: version + 1 });
        samples.push(performance.now() - t);
      }
    }
    return samples;
  };
  const triggers = async (on: boolean) => {
    for (const table of ['orders', 'order_events']) await pg.unsafe(`alter table ${table} ${on ? 'enable' : 'disable'} trigger user`);
  };
  // Alternate the two modes in rounds, so that drift of the machine hits both alike.
  const on: number[] = [];
  const off: number[] = [];
  const onIds: string[] = [];
  const offIds: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    on.push(...(await run(onIds)));
    await triggers(false);
    try {
      off.push(...(await run(offIds)));
    } finally {
      await triggers(true);
    }
  }
  // Take the orders out again the way they came in (the rollups never saw the second set), so
  // the database holds the seed alone and a rerun reuses it.
  await pg`delete from order_events where order_id = any(${onIds})`;
  await pg`delete from orders where id = any(${onIds})`;
  await triggers(false);
  try {
    await pg`delete from order_events where order_id = any(${offIds})`;
    await pg`delete from orders where id = any(${offIds})`;
  } finally {
    await triggers(true);
  }
  return { on: stats(on), off: stats(off), writes: on.length };
}

// ---------------------------------------------------------------------------------------------

const config = loadConfig({
  NODE_ENV: 'development',
  LOG_LEVEL: 'silent',
  PORT: '0',
  SHOP_DATABASE_URL: dbUrl,
  DATA_DIR: '.data/bench',
});

const pg = postgres(dbUrl, { max: 2, onnotice: () => {} });
const cleanups: (() => Promise<unknown>)[] = [async () => pg.end({ timeout: 5 })];
try {
  log(
    `machine: ${machineDescription()}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const dbs = await openDatabases(config, ['shop'], { migrate: true });
  cleanups.unshift(() => dbs.close());
  const seeded = await seed(pg);
  await checkRollups(pg);
  const [{ version }] = (await pg`select current_setting('server_version') as version`) as unknown as [{ version: string }];
  const [sizes] = await pg`select pg_size_pretty(pg_total_relation_size('orders')) as orders, pg_size_pretty(pg_total_relation_size('order_events')) as events,
      (select count(*) from order_status_counts)::int as status_rows, (select count(*) from order_throughput_hourly)::int as throughput_rows,
      (select count(*) from stage_timings_hourly)::int as timing_rows`;
  log(
    `PostgreSQL ${version}; orders ${sizes!.orders}, order_events ${sizes!.events}; rollup rows: status ${sizes!.status_rows}, throughput ${sizes!.throughput_rows}, timings ${sizes!.timing_rows}`,
  );

  const cliPath = ensureTemporalCli(process.env.TEMPORAL_CLI_PATH, log);
  const port = 17_000 + Math.floor(Math.random() * 1_000);
  log(`Temporal dev server (CLI ${TEMPORAL_CLI_VERSION}) on 127.0.0.1:${port}…`);
  const server = await startDevServer({ cliPath, port, headless: true, logFile: path.join('.data', 'bench', 'dashboard-temporal.log') });
  cleanups.unshift(() => server.stop());
  const apiConfig = { ...config, temporal: { ...config.temporal, address: server.address } };
  const api = await startApi({ config: apiConfig, log: createLogger('silent'), shop: dbs.shop });
  cleanups.unshift(() => api.close());

  // The floor of every /v1 request: authentication and the rate limiter's counter upsert (a
  // committed write per request), with an answer that reads nothing else.
  const floor = await time(QUERIES, WARMUP, async () => {
    const res = await fetch(`${api.url}/v1/catalog`, { headers: { authorization: 'Bearer ops-dev-key' } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET /v1/catalog: ${res.status}`);
  });
  log(`floor: GET /v1/catalog  http p50 ${floor.p50} ms  p95 ${floor.p95} ms`);
  const results: Record<string, { http: Stats; db: Stats }> = {};
  for (const window of ['24h', '7d', '30d'] as DashboardWindow[]) {
    let checked = false;
    const http = await time(QUERIES, WARMUP, async () => {
      const res = await fetch(`${api.url}/v1/dashboard?window=${window}`, { headers: { authorization: 'Bearer ops-dev-key' } });
      const body = (await res.json()) as { orders?: { total: number }; taskQueues?: unknown };
      if (res.status !== 200) throw new Error(`GET /v1/dashboard?window=${window}: ${res.status} ${JSON.stringify(body)}`);
      if (!checked) {
        if (body.orders?.total !== ROWS) throw new Error(`the dashboard counts ${body.orders?.total} orders, the database holds ${ROWS}`);
        if (!Array.isArray(body.taskQueues)) throw new Error(`no task-queue figures: ${JSON.stringify(body)}`);
        checked = true;
      }
    });
    const db = await time(QUERIES, WARMUP, async () => {
      await readDashboard({ shopReader: dbs.shop.db, backlog: async () => [], uiUrl: config.temporal.uiUrl, namespace: 'default' }, window);
    });
    results[window] = { http, db };
    log(`window ${window.padEnd(3)}  http p50 ${http.p50} ms  p95 ${http.p95} ms  p99 ${http.p99} ms   db without cache p50 ${db.p50} ms  p95 ${db.p95} ms`);
  }

  // The statements that read the projection, as the endpoint runs them for 24 h.
  const from = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 23 * 3_600_000).toISOString();
  const plans: Record<string, string> = {
    counts: 'select status, channel, sum(orders), sum(overdue), sum(at_risk) from order_status_counts group by 1, 2',
    throughput: `select hour, channel, event, sum(orders) from order_throughput_hourly where hour >= '${from}' group by 1, 2, 3`,
    timings: `select metric, stage, channel, bucket, sum(samples) from stage_timings_hourly where hour >= '${from}' group by 1, 2, 3, 4 having sum(samples) > 0`,
    attention: `select id, promised_by from orders where status <> all (array['delivered','cancelled','rejected','failed']) and (overdue_at is not null or at_risk_at is not null) order by promised_by limit 25`,
  };
  const planSummary: Record<string, { executionMs: number; rows: string }> = {};
  for (const [name, q] of Object.entries(plans)) {
    const lines = ((await pg.unsafe(`explain (analyze, buffers) ${q}`)) as unknown as Record<string, string>[]).map((r) => Object.values(r)[0]!);
    log(`\n${name}:\n  ${lines.join('\n  ')}`);
    if (lines.some((l) => /Seq Scan on orders\b|Seq Scan on order_events/.test(l))) throw new Error(`${name} scans a projection table`);
    planSummary[name] = { executionMs: Number(/Execution Time: ([\d.]+)/.exec(lines.join('\n'))?.[1] ?? NaN), rows: lines[0]!.replace(/\s+\(cost.*$/, '') };
  }

  log(`\ntiming ${WRITES.toLocaleString('en')} projection writes (recordProgress) with the rollup triggers on and off…`);
  const writes = await timeWrites(pg, dbs.shop.db);
  log(
    `recordProgress  triggers on: p50 ${writes.on.p50} ms  p95 ${writes.on.p95} ms   off: p50 ${writes.off.p50} ms  p95 ${writes.off.p95} ms  (${writes.writes} writes each)`,
  );

  console.log(
    JSON.stringify({
      bench: 'dashboard',
      rows: ROWS,
      events: seeded?.events,
      queriesPerWindow: QUERIES,
      machine: machineDescription(),
      loadAverage: loadavg().map((l) => round2(l)),
      postgres: version,
      seedSeconds: seeded ? round2(seeded.seededMs / 1000) : undefined,
      rebuildSeconds: seeded ? round2(seeded.rebuildMs / 1000) : undefined,
      rollupRows: { status: sizes!.status_rows, throughput: sizes!.throughput_rows, timings: sizes!.timing_rows },
      floorHttpMs: floor,
      httpMs: Object.fromEntries(Object.entries(results).map(([w, r]) => [w, r.http])),
      dbColdMs: Object.fromEntries(Object.entries(results).map(([w, r]) => [w, r.db])),
      plans: planSummary,
      recordProgressMs: writes,
    }),
  );
} finally {
  for (const c of cleanups) await c().catch(() => undefined);
}
