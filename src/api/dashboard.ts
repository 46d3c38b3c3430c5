/**
 * What the operators' dashboard shows (`GET /v1/dashboard`), read from pre-aggregated data so
 * that it costs the same at a thousand or a million orders:
 * - counts per status and channel from the `order_status_counts` rollup;
 * - created / ended orders per hour from `order_throughput_hourly`;
 * - stage durations and queue waits from the `stage_timings_hourly` histograms;
 * - overdue and at-risk open orders through the small partial index `orders_attention_idx`;
 * - backlog and pollers per task queue from Temporal (`taskQueueBacklogs`, cached).
 * The rollups are kept by triggers in the shop database (src/order/schema.ts explains them).
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ShopDb } from '../../db/index.js';
import { orderThroughputHourly, orders, stageTimingsHourly } from '../order/schema.js';
import { CHANNELS, type Channel } from '../domain/order.js';
import { HISTOGRAM_RELATIVE_ERROR, percentile, sampleCount, type BucketCount } from '../domain/histogram.js';
import { PRIORITY_CLASSES } from '../domain/priority.js';
import { ORDER_STATUSES, TERMINAL_STATUSES, type OrderStatus } from '../domain/status.js';
import type { QueueBacklog } from '../platform/metrics/registry.js';
import { projectionCounts } from './metrics-sources.js';
import { QUEUE_NAMES, STAGES, TASK_QUEUES, type Stage } from '../order/contract.js';
import { traceLink, type TraceLink } from './order-resource.js';
import { TraceLinkSchema } from './schemas.js';

/** How far back the time series and percentiles reach, and their interval. */
export const DASHBOARD_WINDOWS = {
  '24h': { hours: 24, interval: 'hour' },
  '7d': { hours: 7 * 24, interval: 'hour' },
  '30d': { hours: 30 * 24, interval: 'day' },
} as const;
export type DashboardWindow = keyof typeof DASHBOARD_WINDOWS;
export const DEFAULT_WINDOW: DashboardWindow = '24h';
/** Most overdue / at-risk orders listed (the counts cover all of them). */
export const ATTENTION_LIMIT = 25;

// ---------------------------------------------------------------------------------------------
// Shapes

const count = z.int().min(0);
const perChannel = z.strictObject({ b2c: count, b2b: count });
const millis = z.number().min(0).nullable().describe('Milliseconds; null without samples in the window.');
const timing = z.strictObject({ samples: count, p50Ms: millis, p95Ms: millis });

export const DashboardQuerySchema = z.strictObject({
  window: z
    .enum(Object.keys(DASHBOARD_WINDOWS) as [DashboardWindow, ...DashboardWindow[]])
    .optional()
    .describe(`Time window of throughput and timings: 24h and 7d per hour, 30d per day (UTC); default ${DEFAULT_WINDOW}.`),
});

export const DashboardSchema = z
  .strictObject({
    generatedAt: z.iso.datetime(),
    window: z.strictObject({
      name: z.enum(Object.keys(DASHBOARD_WINDOWS) as [DashboardWindow, ...DashboardWindow[]]),
      from: z.iso.datetime().describe('Start of the first interval (UTC hour or day).'),
      interval: z.enum(['hour', 'day']),
    }),
    orders: z
      .strictObject({
        total: count,
        open: count.describe('Orders not yet delivered, cancelled, rejected or failed.'),
        overdue: count.describe('Open orders past their promised date.'),
        atRisk: count.describe('Open orders that used the at-risk share of their promised time, not yet overdue.'),
        byStatus: z
          .array(z.strictObject({ status: z.enum(ORDER_STATUSES), b2c: count, b2b: count, total: count }))
          .describe('Every status, in pipeline order.'),
      })
      .describe('All orders of the projection, now.'),
    throughput: z
      .strictObject({
        intervals: z.array(
          z.strictObject({
            start: z.iso.datetime(),
            created: perChannel,
            delivered: perChannel,
            endedOtherwise: perChannel.describe('Cancelled, rejected or failed in the interval.'),
          }),
        ),
        totals: z.strictObject({ created: perChannel, delivered: perChannel, endedOtherwise: perChannel }),
      })
      .describe('Orders created and ended per interval of the window.'),
    attention: z
      .strictObject({
        orders: z.array(
          z.strictObject({
            id: z.string(),
            channel: z.enum(CHANNELS),
            partnerId: z.string().optional(),
            status: z.enum(ORDER_STATUSES),
            priority: z.enum(PRIORITY_CLASSES),
            promisedBy: z.iso.datetime().nullable(),
            overdueAt: z.iso.datetime().optional(),
            atRiskAt: z.iso.datetime().optional(),
            trace: TraceLinkSchema,
          }),
        ),
        limit: count,
      })
      .describe(`Open overdue and at-risk orders, the earliest promised first (at most ${ATTENTION_LIMIT}), each with its Web UI link.`),
    stages: z
      .array(z.strictObject({ stage: z.enum(STAGES), ...timing.shape }))
      .describe('Duration of the stages completed in the window (start to end, both channels), per stage.'),
    queueWait: z
      .array(z.strictObject({ stage: z.enum([...STAGES, 'all']), b2c: timing, b2b: timing }))
      .describe('Time stage activities waited in their task queue for a worker, shop (b2c) against partner (b2b) orders; `all` over every stage.'),
    percentileRelativeError: z.number().describe('Percentiles come from log-scale histograms: each is within this share of the exact one.'),
    taskQueues: z
      .array(
        z.strictObject({
          queue: z.string(),
          workflowBacklog: count,
          activityBacklog: count,
          workers: count.describe('Distinct workers polling the queue (Temporal keeps pollers of the last minutes).'),
        }),
      )
      .nullable()
      .describe('Null when Temporal could not be asked; see taskQueuesError.'),
    taskQueuesError: z.string().optional(),
  })
  .describe("Numbers of the operators' dashboard.");
export type Dashboard = z.output<typeof DashboardSchema>;

// ---------------------------------------------------------------------------------------------
// Reading

const TERMINAL_SQL = sql.raw(`array[${TERMINAL_STATUSES.map((s) => `'${s}'`).join(',')}]`);
const zeroChannels = (): Record<Channel, number> => ({ b2c: 0, b2b: 0 });

/** Timing histogram rows summed over some hours: metric, stage, channel, bucket → samples. */
type TimingRow = { metric: string; stage: string; channel: string; bucket: number; samples: number };
/** Orders created or ended in one hour, per channel and event. */
type ThroughputRow = { hour: Date; channel: string; event: string; orders: number };
/** What a window's hours add up to. */
interface WindowSums {
  timings: TimingRow[];
  throughput: ThroughputRow[];
}

/**
 * The rollups of the hours of a window that have ended, summed, per window start and current
 * hour, kept for `ttlMs`: they hold most of a window's rows (a histogram per hour, stage and
 * channel) and change only when a write lands late, so a refresh reads just the current hour's
 * rows. A write into an ended hour shows within `ttlMs`.
 */
export function createClosedHoursCache(ttlMs = 60_000) {
  const entries = new Map<string, { at: number; rows: Promise<WindowSums> }>();
  return (key: string, load: () => Promise<WindowSums>): Promise<WindowSums> => {
    const now = Date.now();
    for (const [k, e] of entries) if (now - e.at > ttlMs) entries.delete(k);
    const hit = entries.get(key);
    if (hit) return hit.rows;
    const rows = load();
    entries.set(key, { at: now, rows });
    rows.catch(() => entries.delete(key));
    return rows;
  };
}
export type ClosedHoursCache = ReturnType<typeof createClosedHoursCache>;

export interface DashboardSources {
  shopReader: ShopDb;
  /** Where the ended hours' timing sums are kept between requests; none = read every time. */
  closedHours?: ClosedHoursCache;
  /** Backlog and pollers per task queue (cached by the caller). */
  backlog: () => Promise<QueueBacklog[]>;
  uiUrl: string;
  namespace: string;
}

/** Start of the window: the first UTC hour (or day) of `hours` ending with the current one. */
export function windowStart(now: Date, window: DashboardWindow): Date {
  const { hours, interval } = DASHBOARD_WINDOWS[window];
  const unit = interval === 'day' ? 86_400_000 : 3_600_000;
  const current = Math.floor(now.getTime() / unit) * unit;
  return new Date(current - (hours / (unit / 3_600_000) - 1) * unit);
}

export async function readDashboard(src: DashboardSources, window: DashboardWindow, now = new Date()): Promise<Dashboard> {
  const db = src.shopReader;
  const { hours, interval } = DASHBOARD_WINDOWS[window];
  const from = windowStart(now, window);
  const unit = interval === 'day' ? 86_400_000 : 3_600_000;

  const t = orderThroughputHourly;
  const h = stageTimingsHourly;
  const end = new Date(from.getTime() + (hours / (unit / 3_600_000)) * unit);
  const currentHour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  const timingSums = (lower: Date, upper: Date): Promise<TimingRow[]> =>
    db
      .select({ metric: h.metric, stage: h.stage, channel: h.channel, bucket: h.bucket, samples: sql<string>`sum(${h.samples})` })
      .from(h)
      .where(sql`${h.hour} >= ${lower.toISOString()}::timestamptz and ${h.hour} < ${upper.toISOString()}::timestamptz`)
      .groupBy(h.metric, h.stage, h.channel, h.bucket)
      .having(sql`sum(${h.samples}) <> 0`)
      .then((rows) => rows.map((r) => ({ ...r, samples: Number(r.samples) })));
  const throughputSums = (lower: Date, upper: Date): Promise<ThroughputRow[]> =>
    db
      .select({ hour: t.hour, channel: t.channel, event: t.event, orders: sql<string>`sum(${t.orders})` })
      .from(t)
      .where(sql`${t.hour} >= ${lower.toISOString()}::timestamptz and ${t.hour} < ${upper.toISOString()}::timestamptz`)
      .groupBy(t.hour, t.channel, t.event)
      .having(sql`sum(${t.orders}) <> 0`)
      .then((rows) => rows.map((r) => ({ ...r, orders: Number(r.orders) })));
  // The ended hours of the window (cached between requests), then the current hour.
  const endedHours = async (): Promise<WindowSums> => {
    const [timings, throughput] = await Promise.all([timingSums(from, currentHour), throughputSums(from, currentHour)]);
    return { timings, throughput };
  };
  const readSums = async (): Promise<WindowSums> => {
    const [closed, timingsNow, throughputNow] = await Promise.all([
      src.closedHours ? src.closedHours(`${from.toISOString()}|${currentHour.toISOString()}`, endedHours) : endedHours(),
      timingSums(currentHour, end),
      throughputSums(currentHour, end),
    ]);
    return { timings: [...closed.timings, ...timingsNow], throughput: [...closed.throughput, ...throughputNow] };
  };
  const [counts, { timings, throughput }, attention, queues] = await Promise.all([
    projectionCounts(db),
    readSums(),
    // The predicate is the one of orders_attention_idx, so this walks that small index.
    db
      .select({
        id: orders.id,
        channel: orders.channel,
        partnerId: orders.partnerId,
        status: orders.status,
        priority: orders.priority,
        promisedBy: orders.promisedBy,
        overdueAt: orders.overdueAt,
        atRiskAt: orders.atRiskAt,
      })
      .from(orders)
      .where(sql`${orders.status} <> all (${TERMINAL_SQL}) and (${orders.overdueAt} is not null or ${orders.atRiskAt} is not null)`)
      .orderBy(orders.promisedBy)
      .limit(ATTENTION_LIMIT),
    src.backlog().then(
      (rows) => ({ rows }),
      (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
    ),
  ]);

  // Orders now
  const byStatus = ORDER_STATUSES.map((status) => ({ status, b2c: 0, b2b: 0, total: 0 }));
  let overdue = 0;
  let atRisk = 0;
  for (const r of counts) {
    const row = byStatus.find((s) => s.status === r.status);
    const n = r.count;
    if (row && (r.channel === 'b2c' || r.channel === 'b2b')) {
      row[r.channel] += n;
      row.total += n;
    }
    if (!TERMINAL_STATUSES.includes(r.status as OrderStatus)) {
      overdue += r.overdue;
      atRisk += r.atRisk;
    }
  }
  const total = byStatus.reduce((n, s) => n + s.total, 0);
  const open = byStatus.filter((s) => !TERMINAL_STATUSES.includes(s.status)).reduce((n, s) => n + s.total, 0);

  // Throughput per interval
  const slots = hours / (unit / 3_600_000);
  const intervals = Array.from({ length: slots }, (_, i) => ({
    start: new Date(from.getTime() + i * unit).toISOString(),
    created: zeroChannels(),
    delivered: zeroChannels(),
    endedOtherwise: zeroChannels(),
  }));
  const totals = { created: zeroChannels(), delivered: zeroChannels(), endedOtherwise: zeroChannels() };
  for (const r of throughput) {
    const slot = intervals[Math.floor((r.hour.getTime() - from.getTime()) / unit)];
    if (!slot || (r.channel !== 'b2c' && r.channel !== 'b2b')) continue;
    const kind = r.event === 'created' ? 'created' : r.event === 'delivered' ? 'delivered' : 'endedOtherwise';
    slot[kind][r.channel] += r.orders;
    totals[kind][r.channel] += r.orders;
  }

  // Timings
  const histogram = (metric: string, stage: Stage | undefined, channel: Channel | undefined): BucketCount[] =>
    timings
      .filter((r) => r.metric === metric && (stage === undefined || r.stage === stage) && (channel === undefined || r.channel === channel))
      .map((r) => ({ bucket: r.bucket, samples: r.samples }));
  const summary = (hist: BucketCount[]) => ({ samples: sampleCount(hist), p50Ms: percentile(hist, 0.5), p95Ms: percentile(hist, 0.95) });

  const trace = (id: string): TraceLink => traceLink(src.uiUrl, src.namespace, id);
  return {
    generatedAt: now.toISOString(),
    window: { name: window, from: from.toISOString(), interval },
    orders: { total, open, overdue, atRisk, byStatus },
    throughput: { intervals, totals },
    attention: {
      limit: ATTENTION_LIMIT,
      orders: attention.map((o) => ({
        id: o.id,
        channel: o.channel,
        ...(o.partnerId ? { partnerId: o.partnerId } : {}),
        status: o.status as OrderStatus,
        priority: o.priority as Dashboard['attention']['orders'][number]['priority'],
        promisedBy: o.promisedBy ? o.promisedBy.toISOString() : null,
        ...(o.overdueAt ? { overdueAt: o.overdueAt.toISOString() } : {}),
        ...(o.atRiskAt ? { atRiskAt: o.atRiskAt.toISOString() } : {}),
        trace: trace(o.id),
      })),
    },
    stages: STAGES.map((stage) => ({ stage, ...summary(histogram('duration', stage, undefined)) })),
    queueWait: [...STAGES, 'all' as const].map((stage) => ({
      stage,
      b2c: summary(histogram('queue_wait', stage === 'all' ? undefined : stage, 'b2c')),
      b2b: summary(histogram('queue_wait', stage === 'all' ? undefined : stage, 'b2b')),
    })),
    percentileRelativeError: Number(HISTOGRAM_RELATIVE_ERROR.toFixed(4)),
    ...('rows' in queues
      ? { taskQueues: QUEUE_NAMES.map((q) => taskQueueRow(TASK_QUEUES[q], queues.rows)) }
      : { taskQueues: null, taskQueuesError: queues.error }),
  };
}

function taskQueueRow(queue: string, rows: QueueBacklog[]) {
  const of = rows.filter((r) => r.queue === queue);
  return {
    queue,
    workflowBacklog: of.filter((r) => r.type === 'workflow').reduce((n, r) => n + r.backlog, 0),
    activityBacklog: of.filter((r) => r.type === 'activity').reduce((n, r) => n + r.backlog, 0),
    workers: new Set(of.flatMap((r) => r.pollers)).size,
  };
}
