/**
 * The dashboard's rollups (db/shop/migrations/0003_dashboard_rollup_triggers.sql) stay equal to
 * what they summarize, whatever sequence of writes reaches the projection: random inserts,
 * upserts, updates, deletes and truncates of orders and timeline rows — in any order, timeline
 * rows before their order included — leave the trigger-maintained rollups exactly where a
 * recount from scratch (`dashboard_rollups_rebuild()`) puts them, and the status counts equal a
 * GROUP BY over `orders`. The same holds for the projection's own writes (`recordProgress`
 * through `projection_write`): retried, late and backwards writes over several orders neither
 * count a timeline twice nor lose one. Runs on a database of its own (created and dropped here).
 */
import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { dropDatabase, openDatabases } from '../db/index.js';
import { createOrderActivities } from '../src/order/activities.js';
import { loadConfig, withDatabase } from '../src/platform/config.js';
import { canReach, type OrderStatus } from '../src/domain/status.js';
import { registry } from '../src/platform/metrics/registry.js';
import { parseMetrics, value } from './support/monitoring.js';
import { deliveredProgression } from './support/order-progression.js';

const url = withDatabase(inject('databaseUrls').shop, `${new URL(inject('databaseUrls').shop).pathname.slice(1)}_rollups`);
let pg: postgres.Sql;
let dbs: Awaited<ReturnType<typeof openDatabases<'shop'>>>;

beforeAll(async () => {
  await dropDatabase(url);
  dbs = await openDatabases(loadConfig({ SHOP_DATABASE_URL: url }), ['shop'], { migrate: true });
  pg = postgres(url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await dbs?.close();
  await pg?.end({ timeout: 5 });
  await dropDatabase(url);
});

const IDS = ['o1', 'o2', 'o3', 'o4'];
const STATUSES = ['received', 'accepted', 'in_production', 'delivered', 'cancelled', 'failed'];
const KINDS = ['accept', 'price', 'produce', 'ship', 'cancel'];
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

const orderWrite = fc.record({
  op: fc.constant('order' as const),
  id: fc.constantFrom(...IDS),
  channel: fc.constantFrom('b2c', 'b2b'),
  status: fc.constantFrom(...STATUSES),
  overdue: fc.boolean(),
  atRisk: fc.boolean(),
  created: fc.integer({ min: 0, max: 300 }),
  updated: fc.integer({ min: 0, max: 600 }),
});
const eventWrite = fc.record({
  op: fc.constant('event' as const),
  id: fc.constantFrom(...IDS),
  seq: fc.integer({ min: 0, max: 3 }),
  stage: fc.constantFrom(...KINDS),
  status: fc.constantFrom('running', 'completed', 'failed'),
  started: fc.integer({ min: 0, max: 600 }),
  durationMs: fc.option(fc.integer({ min: 0, max: 10_000_000 })),
  queueWaitMs: fc.option(fc.integer({ min: 0, max: 100_000 })),
});
const command = fc.oneof(
  { weight: 12, arbitrary: orderWrite },
  { weight: 15, arbitrary: eventWrite },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete-order' as const), id: fc.constantFrom(...IDS) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete-event' as const), id: fc.constantFrom(...IDS), seq: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rename-order' as const), id: fc.constantFrom(...IDS), to: fc.constantFrom(...IDS) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'truncate-events' as const }) },
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

async function apply(c: Command) {
  switch (c.op) {
    case 'order':
      // As the projection writes it: an upsert that changes every column but the identity.
      await pg`
        insert into orders (id, channel, client_id, status, priority, customer_name, customer_email, items, shipping,
                            at_risk_at, overdue_at, created_at, updated_at, version)
        values (${c.id}, ${c.channel}, 'shop', ${c.status}, 'high', 'n', 'e@example.com', '[]', '{}',
                ${c.atRisk ? at(c.updated) : null}, ${c.overdue ? at(c.updated) : null}, ${at(c.created)}, ${at(c.updated)}, 1)
        on conflict (id) do update set channel = excluded.channel, status = excluded.status, at_risk_at = excluded.at_risk_at,
          overdue_at = excluded.overdue_at, created_at = excluded.created_at, updated_at = excluded.updated_at`;
      return;
    case 'event': {
      const started = at(c.started);
      const ended = c.durationMs === null ? null : new Date(started.getTime() + c.durationMs);
      await pg`
        insert into order_events (order_id, seq, stage, status, started_at, ended_at, attempts, priority, queue_wait_ms)
        values (${c.id}, ${c.seq}, ${c.stage}, ${c.status}, ${started}, ${ended}, 1, 'high', ${c.queueWaitMs})
        on conflict (order_id, seq) do update set stage = excluded.stage, status = excluded.status, started_at = excluded.started_at,
          ended_at = excluded.ended_at, queue_wait_ms = excluded.queue_wait_ms`;
      return;
    }
    case 'delete-order':
      await pg`delete from orders where id = ${c.id}`;
      return;
    case 'delete-event':
      await pg`delete from order_events where order_id = ${c.id} and seq = ${c.seq}`;
      return;
    case 'rename-order':
      if (c.to !== c.id) await pg`update orders set id = ${c.to} where id = ${c.id} and not exists (select 1 from orders where id = ${c.to})`;
      return;
    case 'truncate-events':
      await pg`truncate order_events`;
      return;
  }
}

/** Every rollup as sorted text lines, keys with a zero sum left out. */
async function rollups(): Promise<string[]> {
  const rows = await pg`
    select 'status ' || status || ' ' || channel || ' ' || sum(orders) || ' ' || sum(overdue) || ' ' || sum(at_risk) as line
    from order_status_counts group by status, channel having sum(orders) <> 0 or sum(overdue) <> 0 or sum(at_risk) <> 0
    union all
    select 'throughput ' || hour || ' ' || channel || ' ' || event || ' ' || sum(orders)
    from order_throughput_hourly group by hour, channel, event having sum(orders) <> 0
    union all
    select 'timing ' || hour || ' ' || metric || ' ' || stage || ' ' || channel || ' ' || bucket || ' ' || sum(samples)
    from stage_timings_hourly group by hour, metric, stage, channel, bucket having sum(samples) <> 0`;
  return rows.map((r) => r.line as string).sort();
}

describe('dashboard rollups', () => {
  it('equal a recount from scratch after any sequence of projection writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
        await pg`truncate orders, order_events`;
        expect(await rollups(), 'truncating the tables empties the rollups').toEqual([]);
        for (const c of commands) await apply(c);
        const kept = await rollups();
        await pg`select dashboard_rollups_rebuild()`;
        expect(kept).toEqual(await rollups());

        const grouped = await pg`select status, channel, count(*)::int as n from orders group by 1, 2 order by 1, 2`;
        const counted = await pg`select status, channel, sum(orders)::int as n from order_status_counts group by 1, 2 having sum(orders) <> 0 order by 1, 2`;
        expect(counted).toEqual(grouped);
      }),
      { numRuns: 60 },
    );
  });

  it('never counts a write the projection skips, and never goes negative', async () => {
    await pg`truncate orders, order_events`;
    await apply({ op: 'order', id: 'o1', channel: 'b2c', status: 'received', overdue: false, atRisk: false, created: 0, updated: 0 });
    await apply({ op: 'order', id: 'o1', channel: 'b2c', status: 'delivered', overdue: true, atRisk: true, created: 0, updated: 90 });
    // An older version arrives late: the projection's guard skips it, so no trigger runs.
    await pg`update orders set status = 'accepted' where id = 'o1' and version < 1`;
    expect(await rollups()).toEqual(
      [
        'status delivered b2c 1 1 0',
        `throughput ${(await pg`select ${at(0)}::timestamptz::text as t`)[0]!.t} b2c created 1`,
        `throughput ${(await pg`select date_trunc('hour', ${at(90)}::timestamptz, 'UTC')::text as t`)[0]!.t} b2c delivered 1`,
      ].sort(),
    );
    const negative = await pg`select 1 from order_status_counts where orders < 0 or overdue < 0 or at_risk < 0
      union all select 1 from order_throughput_hourly where orders < 0 union all select 1 from stage_timings_hourly where samples < 0`;
    expect(negative.length).toBe(0);
  });

  it('equal a recount after any sequence of projection writes, retried, late and backwards ones included', async () => {
    const { recordProgress } = createOrderActivities({ shop: dbs.shop.db, log: { warn: () => undefined } });
    const orderSetup = fc.record({
      channel: fc.constantFrom('b2c' as const, 'b2b' as const),
      createdMinutes: fc.integer({ min: 0, max: 600 }),
      stageMs: fc.array(fc.integer({ min: 0, max: 7_200_000 }), { minLength: 5, maxLength: 5 }),
      overdue: fc.boolean(),
    });
    // `step` of the order's progression (0 received … 4 delivered), written with its own version
    // (so a repeat is a retry and an earlier step after a later one a late write) or, `newer`,
    // with a version above all before it (a backwards write when the step is behind the order).
    const write = fc.record({ order: fc.integer({ min: 0, max: 3 }), step: fc.integer({ min: 0, max: 4 }), newer: fc.boolean() });
    const stagesCounted = async () => value(parseMetrics(await registry.metrics()), 'orders_stage_duration_seconds_count') ?? 0;

    await fc.assert(
      fc.asyncProperty(fc.array(orderSetup, { minLength: 4, maxLength: 4 }), fc.array(write, { minLength: 1, maxLength: 30 }), async (setups, writes) => {
        await pg`truncate orders, order_events`;
        const progressions = setups.map((o) => deliveredProgression({ ...o, createdAt: at(o.createdMinutes) }));
        const model = new Map<string, { status: OrderStatus; version: number }>();
        const counted = await stagesCounted();
        for (const [i, w] of writes.entries()) {
          const state = progressions[w.order]![w.step]!;
          const version = w.newer ? 10 + i : w.step + 1;
          await recordProgress({ state, version });
          const recorded = model.get(state.orderId);
          if (!recorded || (recorded.version < version && canReach(recorded.status, state.status))) model.set(state.orderId, { status: state.status, version });
        }

        const kept = await rollups();
        await pg`select dashboard_rollups_rebuild()`;
        expect(kept).toEqual(await rollups());

        const recorded = await pg`select id, status, version from orders`;
        expect(new Map(recorded.map((r) => [r.id as string, { status: r.status as string, version: r.version as number }]))).toEqual(model);
        // Each completed stage counted once: in the duration histograms and by the worker.
        const [ended] = await pg`select count(*)::int as n from order_events
          where status = 'completed' and ended_at is not null and stage in ('accept', 'price', 'route-to-crm', 'produce', 'ship')`;
        const [samples] = await pg`select coalesce(sum(samples), 0)::int as n from stage_timings_hourly where metric = 'duration'`;
        expect(samples!.n).toBe(ended!.n);
        expect((await stagesCounted()) - counted).toBe(ended!.n);
      }),
      { numRuns: 40 },
    );
  });
});
