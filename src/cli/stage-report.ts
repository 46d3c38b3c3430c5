/**
 * Stage timing report of the operator CLI: per-stage percentiles and the slowest orders, read
 * from the shop projection's timeline (`order_events`), and its chart as PNG.
 */
import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import type { ShopDb } from '../../db/index.js';
import { orderEvents, orders } from '../order/schema.js';
import { STAGES, type Stage } from '../order/contract.js';
import { renderPng } from './chart.js';

/** Largest `--since` window. */
export const MAX_SINCE_MS = 366 * 86_400_000;
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `90m`, `24h`, `7d`, `2w`, `30s` → milliseconds; throws a message saying what is accepted. */
export function parseSince(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text);
  const ms = m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new Error(`use a duration such as 30m, 24h or 7d (a number and one of s, m, h, d, w), not "${text.slice(0, 40)}"`);
  }
  if (ms > MAX_SINCE_MS) throw new Error(`use at most 366d, not "${text.slice(0, 40)}"`);
  return Math.round(ms);
}

/** Timing of one pipeline stage over the window. */
export interface StageTiming {
  stage: Stage;
  /** Completed executions of the stage that started in the window. */
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

/** One of the slowest orders: from its first stage's start to its last finished stage's end. */
export interface SlowOrder {
  orderId: string;
  channel: string;
  status: string;
  totalMs: number;
  slowestStage: string;
  slowestStageMs: number;
}

export interface StageReport {
  since: string;
  until: string;
  stages: StageTiming[];
  slowest: SlowOrder[];
}

const ms = (from: unknown, to: unknown) => sql<number>`(extract(epoch from (${to} - ${from})) * 1000)::float8`;

/**
 * Completed pipeline stages that started within `sinceMs` before `until`: p50/p95
 * (PostgreSQL's `percentile_cont`, linear between neighbours) and max per stage, and the
 * `slowest` orders by the span of those stages.
 */
export async function stageReport(db: ShopDb, options: { sinceMs: number; slowest: number; until?: Date }): Promise<StageReport> {
  const until = options.until ?? new Date();
  const since = new Date(until.getTime() - options.sinceMs);
  const window = and(
    inArray(orderEvents.stage, [...STAGES]),
    eq(orderEvents.status, 'completed'),
    gte(orderEvents.startedAt, since),
    sql`${orderEvents.startedAt} <= ${until.toISOString()}`,
    sql`${orderEvents.endedAt} is not null`,
  );
  const duration = ms(orderEvents.startedAt, orderEvents.endedAt);
  const perStage = await db
    .select({
      stage: orderEvents.stage,
      count: sql<number>`count(*)::int`,
      p50Ms: sql<number>`percentile_cont(0.5) within group (order by ${duration})`,
      p95Ms: sql<number>`percentile_cont(0.95) within group (order by ${duration})`,
      maxMs: sql<number>`max(${duration})`,
    })
    .from(orderEvents)
    .where(window)
    .groupBy(orderEvents.stage);
  const byStage = new Map(perStage.map((r) => [r.stage, r]));
  const stages = STAGES.map((stage): StageTiming => {
    const r = byStage.get(stage);
    return r
      ? { stage, count: Number(r.count), p50Ms: Number(r.p50Ms), p95Ms: Number(r.p95Ms), maxMs: Number(r.maxMs) }
      : { stage, count: 0, p50Ms: null, p95Ms: null, maxMs: null };
  });

  const slow = await db
    .select({
      orderId: orderEvents.orderId,
      channel: orders.channel,
      status: orders.status,
      totalMs: ms(sql`min(${orderEvents.startedAt})`, sql`max(${orderEvents.endedAt})`),
      slowestStage: sql<string>`(array_agg(${orderEvents.stage} order by ${duration} desc, ${orderEvents.seq}))[1]`,
      slowestStageMs: sql<number>`max(${duration})`,
    })
    .from(orderEvents)
    .innerJoin(orders, eq(orders.id, orderEvents.orderId))
    .where(window)
    .groupBy(orderEvents.orderId, orders.channel, orders.status)
    .orderBy(sql`4 desc`, orderEvents.orderId)
    .limit(options.slowest);
  return {
    since: since.toISOString(),
    until: until.toISOString(),
    stages,
    slowest: slow.map((r) => ({ ...r, totalMs: Number(r.totalMs), slowestStageMs: Number(r.slowestStageMs) })),
  };
}

/** Axis ticks of the stage chart (seconds): 10 ms to a week. */
const DURATION_TICKS = [0, 0.01, 0.1, 1, 10, 60, 600, 3_600, 21_600, 86_400, 604_800];
/** Vega expression: a tick in seconds as `10 ms`, `1 s`, `10 min`, `6 h`, `1 d`. */
const DURATION_LABEL =
  "datum.value == 0 ? '0' : datum.value < 1 ? format(datum.value * 1000, '~r') + ' ms' : datum.value < 60 ? format(datum.value, '~r') + ' s'" +
  " : datum.value < 3600 ? format(datum.value / 60, '~r') + ' min' : datum.value < 86400 ? format(datum.value / 3600, '~r') + ' h' : format(datum.value / 86400, '~r') + ' d'";

/** The report as a PNG: stage p50/p95 and the slowest orders as bar charts (src/cli/chart.ts). */
export async function reportPng(report: StageReport, title: string): Promise<Buffer> {
  const stageRows = report.stages.flatMap((s) =>
    s.count === 0
      ? []
      : [
          { stage: s.stage, percentile: 'p50', seconds: s.p50Ms! / 1000 },
          { stage: s.stage, percentile: 'p95', seconds: s.p95Ms! / 1000 },
        ],
  );
  const orderRows = report.slowest.map((o) => ({ order: `${o.orderId.slice(0, 8)} ${o.channel}`, seconds: o.totalMs / 1000, slowest: o.slowestStage }));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start' },
    config: { font: 'DejaVu Sans', background: 'white', view: { stroke: null } },
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    vconcat: [
      {
        title: 'Stage duration p50 / p95 (logarithmic)',
        width: 560,
        height: { step: 14 },
        data: { values: stageRows },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'stage', type: 'nominal', sort: [...STAGES], title: null },
          yOffset: { field: 'percentile', sort: ['p50', 'p95'] },
          // symlog: stages take milliseconds to days; unlike log, bars still start at 0.
          x: {
            field: 'seconds',
            type: 'quantitative',
            scale: { type: 'symlog', constant: 0.001 },
            title: null,
            axis: { values: DURATION_TICKS, labelExpr: DURATION_LABEL },
          },
          color: { field: 'percentile', type: 'nominal', scale: { range: ['#4c78a8', '#e45756'] }, title: null },
        },
      },
      {
        title: `Slowest ${orderRows.length} orders (first stage start to last stage end)`,
        width: 560,
        height: { step: 16 },
        data: { values: orderRows },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'order', type: 'nominal', sort: '-x', title: null },
          x: { field: 'seconds', type: 'quantitative', title: 'seconds' },
          color: { field: 'slowest', type: 'nominal', scale: { domain: [...STAGES] }, title: 'slowest stage' },
        },
      },
    ],
  };
  return renderPng(spec);
}
