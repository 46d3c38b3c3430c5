/**
 * Data sources of the scrape-time gauges: one grouped query over the shop projection and
 * Temporal's task-queue stats. Both are cached for METRICS_CACHE_SECONDS and shared between
 * the gauges of one scrape, so a scrape costs at most one query and one round of RPCs.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { ShopDb } from '../../db/index.js';
import { orderStatusCounts } from '../order/schema.js';
import { QUEUE_NAMES, TASK_QUEUES } from '../order/contract.js';
import { attachGaugeSources, type QueueBacklog, type StatusCount } from '../platform/metrics/registry.js';

// CommonJS module: its namespace is reached through the default export under Node's ESM loader.
const { temporal } = proto;

/** `fn` at most once per `ttlMs` (and once at a time); a failure is not cached. */
export function cached<T>(fn: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let value: { at: number; promise: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (value && (now - value.at < ttlMs || value.at === -1)) return value.promise;
    const current = { at: -1, promise: fn() };
    value = current;
    current.promise.then(
      () => {
        current.at = Date.now();
        if (ttlMs <= 0 && value === current) value = undefined;
      },
      () => {
        if (value === current) value = undefined;
      },
    );
    return current.promise;
  };
}

/**
 * Orders per status and channel, with how many of them are overdue, and how many are at risk
 * (not yet overdue): from the `order_status_counts` rollup, which triggers keep equal to the
 * GROUP BY over the projection, so this reads a few dozen rows however many orders exist.
 */
export async function projectionCounts(db: ShopDb): Promise<StatusCount[]> {
  const c = orderStatusCounts;
  const rows = await db
    .select({
      status: c.status,
      channel: c.channel,
      count: sql<string>`sum(${c.orders})`,
      overdue: sql<string>`sum(${c.overdue})`,
      atRisk: sql<string>`sum(${c.atRisk})`,
    })
    .from(c)
    .groupBy(c.status, c.channel)
    .having(sql`sum(${c.orders}) <> 0`);
  return rows.map((r) => ({ status: r.status, channel: r.channel, count: Number(r.count), overdue: Number(r.overdue), atRisk: Number(r.atRisk) }));
}

/**
 * How far the shop read replica is behind its primary, in seconds: the age of the last
 * transaction it replayed while WAL it received waits to be replayed, else 0 (an idle replica has
 * replayed everything, however old its last transaction). A server not in recovery (the reader is
 * a primary itself) is behind nothing: 0.
 */
export async function replicaLagSeconds(db: ShopDb): Promise<number> {
  const result = await db.execute<{ lag: string | number | null }>(sql`
    select case
      when not pg_is_in_recovery() then 0
      when pg_last_wal_receive_lsn() is not distinct from pg_last_wal_replay_lsn() then 0
      else greatest(0, extract(epoch from now() - pg_last_xact_replay_timestamp()))
    end as lag`);
  const rows = (Array.isArray(result) ? result : (result as unknown as { rows: { lag: string | number | null }[] }).rows) as { lag: string | number | null }[];
  // Null: nothing replayed yet since the replica started (no transaction time to measure from).
  return Number(rows[0]?.lag ?? 0);
}

const TYPES = [
  ['workflow', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
  ['activity', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
] as const;

/**
 * Approximate backlog of every pipeline task queue (workflow and activity tasks), from
 * `DescribeTaskQueue` with `reportStats` (server 1.27+; the stats cover all partitions).
 */
export async function taskQueueBacklogs(client: Client, namespace: string): Promise<QueueBacklog[]> {
  const requests = QUEUE_NAMES.flatMap((q) =>
    TYPES.map(async ([type, taskQueueType]): Promise<QueueBacklog> => {
      const res = await client.withDeadline(Date.now() + 3_000, () =>
        client.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: TASK_QUEUES[q], kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType,
          reportStats: true,
        }),
      );
      // No stats at all (rather than zeros) means a server too old for `reportStats`: say so
      // instead of reporting an empty queue.
      if (!res.stats) throw new Error(`Temporal reports no stats for task queue ${TASK_QUEUES[q]} (needs server 1.27 or later)`);
      return {
        queue: TASK_QUEUES[q],
        type,
        backlog: Number(res.stats.approximateBacklogCount ?? 0),
        pollers: (res.pollers ?? []).map((p) => p.identity ?? '').filter((id) => id !== ''),
      };
    }),
  );
  return Promise.all(requests);
}

/**
 * Feeds the projection and backlog gauges of this process from the shop read connection and a
 * Temporal client (and the replica lag gauge from a separate read connection) (the API does this; its replicas all report the same numbers, so dashboards
 * take `max` over instances). Returns the detach function.
 */
export function attachPipelineGauges(deps: {
  shopReader: ShopDb;
  /** Whether the reader is a database of its own (a replica): then its lag is exported too. */
  separateReader?: boolean;
  temporal: Client;
  namespace: string;
  cacheMs: number;
  log: Logger;
}): () => void {
  return attachGaugeSources({
    projection: cached(() => projectionCounts(deps.shopReader), deps.cacheMs),
    backlog: cached(() => taskQueueBacklogs(deps.temporal, deps.namespace), deps.cacheMs),
    ...(deps.separateReader ? { replicaLag: cached(() => replicaLagSeconds(deps.shopReader), deps.cacheMs) } : {}),
    onError: (err, what) => deps.log.warn({ err }, `metrics: reading the ${what} gauges failed; this scrape has none`),
  });
}
