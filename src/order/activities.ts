import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { getTableColumns, sql } from 'drizzle-orm';
import type { ShopDb } from '../../db/index.js';
import { orderEvents, orders } from './schema.js';
import { promiseDate } from '../domain/durations.js';
import { canReach, ORDER_STATUSES } from '../domain/status.js';
import { validateOrder } from '../domain/validation.js';
import { recordProjectionWriteFailure, recordStageDuration } from '../platform/metrics/registry.js';
import { ORDER_REJECTED, PROJECTION_REJECTED, STAGES, type OrderState, type OrderWorkflowInput, type TimelineEntry } from './contract.js';
import { stageMeta, type StageMeta } from '../platform/activity-meta.js';

export type AcceptInput = Pick<OrderWorkflowInput, 'orderId' | 'order' | 'createdAt' | 'timeScale'>;
export interface AcceptResult extends StageMeta {
  promisedBy: string;
}

export interface RecordProgressInput {
  state: OrderState;
  /** Grows with every state change of the order; older writes never win over newer ones. */
  version: number;
}

/**
 * SQLSTATE classes of errors that the same data will meet again however often it is retried:
 * 22 data exception (a value out of range or of the wrong form), 23 integrity constraint
 * violation, 54 program limit exceeded. Serialization failures and deadlocks (class 40),
 * connection and resource errors and a schema not migrated yet (42) are worth retrying.
 */
const PERMANENT_SQLSTATE_CLASSES: Record<string, string> = {
  '22': 'a value is out of the range or form the database accepts',
  '23': 'it breaks a rule of the database',
  '54': 'it exceeds a limit of the database',
};

/** The SQLSTATE of a database error (postgres.js puts it on `code`; drizzle wraps it as `cause`). */
function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/** Why the database refuses the order's data for good, in words for the order's readers; undefined when retrying may help. */
export function permanentDbError(err: unknown): string | undefined {
  if (err instanceof RangeError && /time value/i.test(err.message)) return 'the order has a date the database cannot store';
  const code = sqlState(err);
  const why = code ? PERMANENT_SQLSTATE_CLASSES[code.slice(0, 2)] : undefined;
  return why && `the shop database cannot record the order: ${why} (SQLSTATE ${code})`;
}

/** Activities of the `orders` queue: business acceptance and the shop's order projection. */
export function createOrderActivities(deps: { shop: ShopDb; log?: { warn(message: string, meta?: Record<string, unknown>): void } }) {
  const { shop } = deps;
  const logger = deps.log ?? log;
  return {
    /** Business validation against the catalog; a broken rule rejects the order for good. */
    async acceptOrder(input: AcceptInput): Promise<AcceptResult> {
      const meta = stageMeta();
      const createdAt = new Date(input.createdAt);
      const issues = validateOrder(input.order, createdAt);
      if (issues.length > 0) {
        throw ApplicationFailure.create({
          type: ORDER_REJECTED,
          message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
          nonRetryable: true,
          details: [issues],
        });
      }
      const promisedBy = promiseDate({
        createdAt,
        items: input.order.items,
        method: input.order.shipping.method,
        dueBy: input.order.dueBy,
        scale: input.timeScale,
      });
      return { ...meta, promisedBy: promisedBy.toISOString() };
    },

    /**
     * Writes the order row and its timeline to the shop projection; idempotent and ordered by
     * version. Data the database refuses for good (see `permanentDbError`) records the order
     * `failed` and fails the write as a non-retryable `ProjectionRejected`.
     */
    async recordProgress(input: RecordProgressInput): Promise<void> {
      try {
        await write(input);
      } catch (err) {
        const info = activityInfo();
        const mode = info?.isLocal === false ? 'queued' : 'quick';
        const permanent = permanentDbError(err);
        if (permanent) {
          recordProjectionWriteFailure(mode, 'rejected');
          // The database's own text stays in the worker's log; the order says what it means.
          logger.warn('projection write refused for good; the order fails', { orderId: input.state.orderId, version: input.version, error: String(err) });
          await recordRefused(input);
          throw ApplicationFailure.create({ type: PROJECTION_REJECTED, message: permanent, nonRetryable: true });
        }
        // A queued write whose time runs out before its next try: the order fails after this one.
        const last =
          info &&
          mode === 'queued' &&
          info.scheduleToCloseTimeoutMs > 0 &&
          Date.now() + QUEUED_MAX_INTERVAL_MS >= info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs;
        recordProjectionWriteFailure(mode, last ? 'gave_up' : 'retried');
        if (last)
          logger.warn('projection write gave up: the shop database did not take it in time', {
            orderId: input.state.orderId,
            version: input.version,
            error: String(err),
          });
        throw err;
      }
    },
  };

  /**
   * The order's data was refused: records it `failed` without the fields the database may have
   * refused (see `orderRow`), so the shop's lists show it ended. A newer version of the order is
   * never overwritten; an error here only leaves the row as it was.
   */
  async function recordRefused({ state, version }: RecordProgressInput): Promise<void> {
    try {
      await upsertOrderRow(shop, { ...orderRow(state, version, { refused: true }), status: 'failed' });
    } catch (err) {
      logger.warn('the refused order could not be recorded as failed either', { orderId: state.orderId, error: String(err) });
    }
  }

  /**
   * One round trip: `projection_write` (db/shop/migrations/0004_projection_write.sql) locks the
   * order's row, skips a late or retried write (version order), refuses a newer one that would
   * move the order backwards, and writes the row and its timeline otherwise.
   */
  async function write({ state, version }: RecordProgressInput): Promise<void> {
    const row = asColumns(orders, orderRow(state, version));
    const timeline = state.timeline.map((e) =>
      asColumns(orderEvents, {
        seq: e.seq,
        stage: e.stage,
        status: e.status,
        startedAt: new Date(e.startedAt),
        endedAt: e.endedAt ? new Date(e.endedAt) : null,
        attempts: e.attempts,
        priority: e.priority,
        queueWaitMs: e.queueWaitMs ?? null,
        detail: e.detail ?? null,
      }),
    );
    // The statuses the order may be recorded in for this write to move it forward.
    const reachableFrom = ORDER_STATUSES.filter((s) => canReach(s, state.status));
    const [result] = await shop
      .select({
        outcome: sql<'written' | 'stale' | 'backwards'>`outcome`,
        recordedStatus: sql<string | null>`recorded_status`,
        recordedVersion: sql<number | null>`recorded_version`,
        finished: sql<number[]>`finished`,
      })
      .from(sql`projection_write(${JSON.stringify(row)}::jsonb, ${JSON.stringify(timeline)}::jsonb, ${sql.param(reachableFrom)}::text[])`);
    if (result?.outcome === 'backwards') {
      logger.warn('projection write ignored: it would move the order backwards', {
        orderId: state.orderId,
        recorded: result.recordedStatus,
        recordedVersion: result.recordedVersion,
        status: state.status,
        version,
      });
      return;
    }
    // Stages whose end this write recorded first: a retried write (already committed) or a
    // late one finds them recorded and counts nothing.
    const finished = new Set(result?.finished ?? []);
    for (const e of state.timeline) {
      if (finished.has(e.seq) && isFinishedStage(e)) {
        recordStageDuration(e.stage, state.channel, (Date.parse(e.endedAt!) - Date.parse(e.startedAt)) / 1000);
      }
    }
  }
}

/**
 * A row keyed by the table's column names, as `projection_write` reads it from jsonb; dates as
 * drizzle sends them (an invalid date throws here, a date the database cannot store fails there).
 */
function asColumns(table: typeof orders | typeof orderEvents, row: Record<string, unknown>): Record<string, unknown> {
  const names = COLUMN_NAMES.get(table)!;
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [names[key]!, value instanceof Date ? value.toISOString() : value]));
}

/** Each table's column name by drizzle key, looked up once rather than per row of every write. */
const COLUMN_NAMES = new Map(
  [orders, orderEvents].map((table) => [
    table,
    Object.fromEntries(Object.entries(getTableColumns(table)).map(([key, column]) => [key, (column as { name: string }).name])) as Record<string, string>,
  ]),
);

/**
 * The order's row as the projection keeps it. `refused`: without what the database may have
 * refused of the order's data (the customer's dates and texts, the price), for recording the
 * order failed.
 */
function orderRow(state: OrderState, version: number, { refused = false } = {}) {
  const row = {
    id: state.orderId,
    channel: state.channel,
    partnerId: state.partnerId ?? null,
    clientId: state.clientId,
    status: state.status as string,
    priority: state.priority,
    customerName: state.customer.name,
    customerEmail: state.customer.email,
    items: state.items,
    shipping: state.shipping,
    createdAt: new Date(state.createdAt),
    updatedAt: new Date(state.updatedAt),
    version,
  };
  if (refused) return row;
  return {
    ...row,
    externalRef: state.externalRef ?? null,
    notes: state.notes ?? null,
    dueBy: state.dueBy ? new Date(state.dueBy) : null,
    promisedBy: state.promisedBy ? new Date(state.promisedBy) : null,
    atRiskAt: state.sla?.atRisk && state.sla.atRiskAt ? new Date(state.sla.atRiskAt) : null,
    overdueAt: state.sla?.overdueAt ? new Date(state.sla.overdueAt) : null,
    price: state.price ?? null,
    totalMinor: state.price?.totalMinor ?? null,
    trackingNumber: state.shipment?.trackingNumber ?? null,
  };
}

/** Inserts the row, or updates what can change of it unless the recorded version is as new. */
function upsertOrderRow(db: Pick<ShopDb, 'insert'>, row: ReturnType<typeof orderRow>) {
  const { id: _id, createdAt: _c, channel: _ch, clientId: _cl, ...changing } = row;
  return db
    .insert(orders)
    .values(row)
    .onConflictDoUpdate({ target: orders.id, set: changing, setWhere: sql`${orders.version} < ${row.version}` });
}

/** The longest pause between tries of a queued projection write (the workflow's RETRY_PROJECTION_QUEUED). */
const QUEUED_MAX_INTERVAL_MS = 10_000;

/** The running activity's info, or undefined outside an activity (a direct call in a test). */
function activityInfo() {
  try {
    return Context.current().info;
  } catch {
    return undefined;
  }
}

const PIPELINE_STAGES = new Set<string>(STAGES);

/** A pipeline step (not an action such as cancel) that completed. */
function isFinishedStage(e: TimelineEntry): boolean {
  return PIPELINE_STAGES.has(e.stage) && e.status === 'completed' && e.endedAt !== undefined;
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
