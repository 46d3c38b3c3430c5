/**
 * The pipeline's Prometheus metrics: one registry per process, defined once at module load, so
 * `npm start` (API and every worker in one process) exports each metric exactly once and a
 * worker-only process exports the same names (gauges without a data source stay empty).
 *
 * Activities and the API record through the small functions below; the scrape-time gauges
 * (projection counts, task-queue backlog) read from sources attached with `attachGaugeSources`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Channel } from '../../domain/order.js';
import { isTerminal, type OrderStatus, type Stage } from '../../domain/status.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** Seconds; API answers and pricing run in milliseconds, a slow one in seconds. */
const FAST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/**
 * Seconds; a stage takes milliseconds in tests and demos (PIPELINE_TIME_SCALE) and up to days
 * for real (production, courier transit), so the buckets span 10 ms to a week.
 */
const STAGE_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800, 604_800];

const registers = [registry];

export const apiRequests = new Counter({
  name: 'orders_api_requests_total',
  help: 'HTTP requests answered by the API, by express route pattern, method and status code.',
  labelNames: ['route', 'method', 'status'] as const,
  registers,
});

export const apiRequestDuration = new Histogram({
  name: 'orders_api_request_duration_seconds',
  help: 'Time from receiving an API request to the end of its answer, by route pattern, method and status code.',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: FAST_BUCKETS,
  registers,
});

const pricingDuration = new Histogram({
  name: 'orders_pricing_duration_seconds',
  help: 'Time the price engine took per pricing activity attempt, by result.',
  labelNames: ['result'] as const,
  buckets: FAST_BUCKETS,
  registers,
});

const pricingTotal = new Counter({
  name: 'orders_pricing_total',
  help: 'Pricing activity attempts by result: ok, rejected (the items cannot be priced) or error (retried).',
  labelNames: ['result'] as const,
  registers,
});

const pricingCacheHits = new Counter({
  name: 'orders_pricing_cache_hits_total',
  help: 'Prices answered from a cache instead of the price engine, by cache layer (memory or shared).',
  labelNames: ['cache'] as const,
  registers,
});

const crmProcessing = new Histogram({
  name: 'orders_crm_processing_seconds',
  help: 'Time the CRM took to register an order and assign its manager, per attempt, by result.',
  labelNames: ['result'] as const,
  buckets: FAST_BUCKETS,
  registers,
});

const stageDuration = new Histogram({
  name: 'orders_stage_duration_seconds',
  help: 'Duration of completed pipeline stages (start to end in the order timeline), by stage and channel.',
  labelNames: ['stage', 'channel'] as const,
  buckets: STAGE_BUCKETS,
  registers,
});

const projectionWriteFailures = new Counter({
  name: 'orders_projection_write_failures_total',
  help:
    'Failed writes of the shop order projection, by mode (quick: inside the workflow task; queued: waits for the database) and ' +
    'outcome (retried; rejected: the database refuses the data for good and the order fails; gave_up: the last try of a queued write).',
  labelNames: ['mode', 'outcome'] as const,
  registers,
});

/** Orders of the shop projection per status and channel. */
export interface StatusCount {
  status: string;
  channel: string;
  count: number;
  /** Of those, how many are past their promised date (marked overdue). */
  overdue: number;
  /** Of those, how many used the at-risk share of their promised time and are not overdue. */
  atRisk: number;
}

/** Tasks waiting in one task queue for a worker. */
export interface QueueBacklog {
  queue: string;
  type: 'workflow' | 'activity';
  backlog: number;
  /** Identities of the workers that polled this queue (and type) in the last minutes. */
  pollers: string[];
}

/** Where the scrape-time gauges read from; a process without one exports them empty. */
export interface GaugeSources {
  projection?: () => Promise<StatusCount[]>;
  backlog?: () => Promise<QueueBacklog[]>;
  /** Seconds the shop read replica is behind its primary; only where SHOP_READ_DATABASE_URL names another database. */
  replicaLag?: () => Promise<number>;
  /** Told when a source fails; the scrape goes on without that gauge's samples. */
  onError?: (err: unknown, what: string) => void;
}

const attached: GaugeSources[] = [];

/**
 * Makes the scrape-time gauges read from `sources` (the latest attached wins, so a second API
 * in one process does not register the gauges twice); returns the detach function.
 */
export function attachGaugeSources(sources: GaugeSources): () => void {
  attached.push(sources);
  return () => {
    const at = attached.indexOf(sources);
    if (at >= 0) attached.splice(at, 1);
  };
}

async function read<T>(what: 'projection' | 'backlog'): Promise<T[] | undefined> {
  const sources = [...attached].reverse().find((s) => s[what]);
  if (!sources) return undefined;
  try {
    return (await sources[what]!()) as T[];
  } catch (err) {
    sources.onError?.(err, what);
    return undefined;
  }
}

new Gauge({
  name: 'orders_shop_read_replica_lag_seconds',
  help:
    'Seconds the shop read replica (SHOP_READ_DATABASE_URL: lists, dashboard, order gauges) is behind the primary: since its last replayed ' +
    'transaction while it has received WAL it has not replayed, 0 when it has replayed all it received (read at scrape time; ' +
    'only exported by an API with a read database of its own).',
  registers,
  async collect() {
    const source = [...attached].reverse().find((s) => s.replicaLag);
    this.reset();
    let lag: number | undefined;
    try {
      lag = await source?.replicaLag!();
    } catch (err) {
      source!.onError?.(err, 'read replica lag');
    }
    // No sample at all (rather than 0) without a replica or an answer from it.
    if (lag === undefined) this.remove();
    else this.set(lag);
  },
});

/** The stage a live order is in (or waits for), by its status. */
const STAGE_OF_STATUS: Partial<Record<string, Stage>> = {
  received: 'accept',
  accepted: 'price',
  priced: 'route-to-crm',
  routed: 'produce',
  awaiting_production: 'produce',
  in_production: 'produce',
  produced: 'ship',
  shipped: 'ship',
};

new Gauge({
  name: 'orders_by_status',
  help: 'Orders in the shop projection by status and channel (read at scrape time).',
  labelNames: ['status', 'channel'] as const,
  registers,
  async collect() {
    const rows = await read<StatusCount>('projection');
    this.reset();
    for (const r of rows ?? []) this.set({ status: r.status, channel: r.channel }, r.count);
  },
});

new Gauge({
  name: 'orders_unprocessed',
  help: 'Orders not yet in a terminal status, by the stage they are in or wait for (read at scrape time).',
  labelNames: ['stage'] as const,
  registers,
  async collect() {
    const rows = await read<StatusCount>('projection');
    this.reset();
    if (!rows) return;
    // Every stage appears, with 0 when empty, so a panel shows the stage instead of a gap.
    const byStage = new Map<string, number>(Object.values(STAGE_OF_STATUS).map((s) => [s!, 0]));
    for (const r of rows) {
      const stage = STAGE_OF_STATUS[r.status];
      if (stage) byStage.set(stage, byStage.get(stage)! + r.count);
    }
    for (const [stage, n] of byStage) this.set({ stage }, n);
  },
});

new Gauge({
  name: 'orders_overdue',
  help: 'Orders past their promised date and not yet delivered, cancelled, rejected or failed (read at scrape time).',
  registers,
  async collect() {
    const rows = await read<StatusCount>('projection');
    this.reset();
    if (!rows) return;
    this.set(rows.filter((r) => !isTerminal(r.status as OrderStatus)).reduce((n, r) => n + r.overdue, 0));
  },
});

new Gauge({
  name: 'orders_task_queue_backlog',
  help: "Approximate number of tasks waiting in each task queue for a worker, by task type (Temporal's task queue stats).",
  labelNames: ['queue', 'type'] as const,
  registers,
  async collect() {
    const rows = await read<QueueBacklog>('backlog');
    this.reset();
    for (const r of rows ?? []) this.set({ queue: r.queue, type: r.type }, r.backlog);
  },
});

/** Counts the dead letters of one system's event outbox (see src/platform/event-outbox.ts). */
export type DeadLetterCount = () => Promise<number>;
const deadLetterSources = new Map<string, DeadLetterCount>();

/** Makes `orders_outbox_dead_letters{system}` read from `count` in this process; returns the detach function. */
export function attachDeadLetterCount(system: string, count: DeadLetterCount, onError?: (err: unknown) => void): () => void {
  const source: DeadLetterCount = () =>
    count().catch((err: unknown) => {
      onError?.(err);
      throw err;
    });
  deadLetterSources.set(system, source);
  return () => {
    if (deadLetterSources.get(system) === source) deadLetterSources.delete(system);
  };
}

new Gauge({
  name: 'orders_outbox_dead_letters',
  help: 'Events the MES or carrier outbox gave up on (not delivered to the API within OUTBOX_GIVE_UP_HOURS), by system (read at scrape time). Above 0, an event of that system never reached its order.',
  labelNames: ['system'] as const,
  registers,
  async collect() {
    const counts = await Promise.all([...deadLetterSources].map(async ([system, count]) => [system, await count().catch(() => undefined)] as const));
    this.reset();
    for (const [system, n] of counts) if (n !== undefined) this.set({ system }, n);
  },
});

/** Outcome of one pricing attempt. */
export type PricingResult = 'ok' | 'rejected' | 'error';

/** Records one pricing attempt that took `seconds`. */
export function recordPricing(result: PricingResult, seconds: number): void {
  pricingTotal.inc({ result });
  pricingDuration.observe({ result }, seconds);
}

/**
 * Hook for the pricing cache: call it once per price answered from a cache (`memory` = the
 * worker's own, `shared` = one all pricing workers see) instead of the engine.
 */
export function recordPricingCacheHit(cache: 'memory' | 'shared' = 'memory'): void {
  pricingCacheHits.inc({ cache });
}

/** Records one CRM routing attempt. */
export function recordCrmProcessing(result: 'ok' | 'error', seconds: number): void {
  crmProcessing.observe({ result }, seconds);
}

/** Records a failed projection write attempt (see `orders_projection_write_failures_total`). */
export function recordProjectionWriteFailure(mode: 'quick' | 'queued', outcome: 'retried' | 'rejected' | 'gave_up'): void {
  projectionWriteFailures.inc({ mode, outcome });
}

/** Records a pipeline stage the projection saw finish. */
export function recordStageDuration(stage: string, channel: Channel, seconds: number): void {
  stageDuration.observe({ stage, channel }, Math.max(0, seconds));
}

/** Seconds since `started` (a `process.hrtime.bigint()`). */
export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Names of every metric this process exports (without the `_bucket/_sum/_count` series suffixes). */
export function exportedMetricNames(): string[] {
  return registry.getMetricsAsArray().map((m) => m.name);
}
