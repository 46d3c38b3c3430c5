/**
 * The order workflow seen from outside: reading one order and sending it cancel and
 * reprioritize, for the API and the CLI alike. Client side only: the workflow bundle never
 * imports it (it talks to Temporal and the shop database).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import type { ShopDb } from '../../db/index.js';
import { orders } from './schema.js';
import {
  CANCEL_UNAVAILABLE,
  PRIORITY_CHANGE_LIMIT,
  SEARCH_ATTRIBUTES,
  cancelSignal,
  cancelUpdate,
  orderWorkflowId,
  reprioritizeSignal,
  reprioritizeUpdate,
  statusQuery,
  type CancelRequest,
  type OrderState,
  type ReprioritizeRequest,
} from './contract.js';
import { readProjectedOrder } from './projection-read.js';

/** How long reading an order waits for Temporal (the result, the status query) by default. */
export const READ_DEADLINE_MS = 5_000;

/**
 * The shop projection as a reader gets it: the read connection itself, or a function that runs
 * a read on it (to open it lazily, bound its time, explain its errors).
 */
export type ShopAccess = ShopDb | (<T>(read: (db: ShopDb) => Promise<T>) => Promise<T>);

/** What reading an order needs. */
export interface ReadOrderDeps {
  /** The Temporal client, or how to connect (a failed connection counts as Temporal not answering). */
  temporal: Client | (() => Promise<Client>);
  /** The shop projection; without it, an order its workflow cannot tell about is unreadable. */
  shopReader?: ShopAccess | undefined;
  /**
   * The shop primary, when the reader is a replica: asked when the reader has no row for the order
   * (a replica that has not replayed it yet), so an order is readable right after its 202.
   */
  shop?: ShopAccess | undefined;
  /** Where steps that were passed over are told (the projection unreadable, a query that failed). */
  log?: { warn(meta: object, message: string): void } | undefined;
}

/** How to read an order. */
export interface ReadOrderOptions {
  /** How long each Temporal call may take; default READ_DEADLINE_MS. */
  deadlineMs?: number;
}

/** An order's state and where it came from: the finished workflow's result, its status query, or the projection. */
export interface ReadOrderResult {
  state: OrderState;
  source: 'result' | 'workflow' | 'projection';
  /** With `projection`: why the workflow did not answer. */
  why?: string;
}

/**
 * The order could not be read: its workflow did not answer (`temporal`: could not be reached,
 * or no answer in time) and the projection could not stand in (`projection`: none was given,
 * it has no row for the order, or reading it failed, with the error as `cause`).
 */
export class OrderUnreadableError extends Error {
  constructor(
    readonly orderId: string,
    /** Why the workflow did not answer. */
    readonly why: string,
    readonly temporal: 'unreachable' | 'no-answer',
    readonly projection: 'none' | 'missing' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(`order ${orderId} could not be read: ${why}`, options);
    this.name = 'OrderUnreadableError';
  }
}

/** Terminal statuses with which the order workflow completes, returning the order's state. */
const ENDS_WITH_RESULT: readonly string[] = ['delivered', 'cancelled', 'rejected'] satisfies OrderState['status'][];

/**
 * One order's state: asked of its workflow (the authority), or rebuilt from the projection when
 * no worker can answer the query right now (or Temporal cannot be reached). A finished order is
 * read from its workflow's result, which needs no worker. Undefined when the order does not exist.
 * Throws OrderUnreadableError when neither the workflow nor the projection can tell.
 */
export async function readOrder(deps: ReadOrderDeps, orderId: string, options: ReadOrderOptions = {}): Promise<ReadOrderResult | undefined> {
  const deadlineMs = options.deadlineMs ?? READ_DEADLINE_MS;
  const { log } = deps;
  let client: Client;
  try {
    client = typeof deps.temporal === 'function' ? await deps.temporal() : deps.temporal;
  } catch (err) {
    return fromProjection(deps, orderId, (err as Error).message, 'unreachable', err);
  }
  const handle = client.workflow.getHandle(orderWorkflowId(orderId));
  if (deps.shopReader && (await endedWithResult(deps, orderId, log))) {
    // A finished order's final state is its workflow's result, read from the close event: a query
    // would make a worker replay the whole history (and needs a worker at all).
    try {
      const state = (await client.withDeadline(Date.now() + deadlineMs, () => handle.result())) as OrderState;
      return { state, source: 'result' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      log?.warn({ err, orderId }, 'reading the result of a finished order failed; asking its workflow');
    }
  }
  try {
    const state = await client.withDeadline(Date.now() + deadlineMs, () => handle.query(statusQuery));
    return { state, source: 'workflow' };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    log?.warn({ err, orderId }, 'status query failed; answering from the projection');
    const why = `no worker answered the status query within ${deadlineMs / 1000} s (${(err as Error).message})`;
    return fromProjection(deps, orderId, why, 'no-answer', err);
  }
}

async function fromProjection(
  deps: ReadOrderDeps,
  orderId: string,
  why: string,
  temporal: OrderUnreadableError['temporal'],
  temporalError: unknown,
): Promise<ReadOrderResult> {
  if (!deps.shopReader) throw new OrderUnreadableError(orderId, why, temporal, 'none', { cause: temporalError });
  let state: OrderState | undefined;
  try {
    state = await fromReaderOrPrimary(deps, (db) => readProjectedOrder(db, orderId));
  } catch (err) {
    throw new OrderUnreadableError(orderId, why, temporal, 'failed', { cause: err });
  }
  if (!state) throw new OrderUnreadableError(orderId, why, temporal, 'missing', { cause: temporalError });
  return { state, source: 'projection', why };
}

/** Whether the projection says the order ended with a result (its workflow returned the final state). */
async function endedWithResult(deps: ReadOrderDeps, orderId: string, log: ReadOrderDeps['log']): Promise<boolean> {
  try {
    const found = await fromReaderOrPrimary(
      deps,
      async (db) => (await db.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId)))[0]?.status,
    );
    return found !== undefined && ENDS_WITH_RESULT.includes(found);
  } catch (err) {
    // Without the projection the workflow is still asked, as before.
    log?.warn({ err, orderId }, 'projection unavailable; asking the order workflow');
    return false;
  }
}

/**
 * `read` on the shop reader, and on the primary when the reader found nothing and is another
 * connection (a replica that has not replayed the order yet).
 */
async function fromReaderOrPrimary<T>(deps: ReadOrderDeps, read: (db: ShopDb) => Promise<T | undefined>): Promise<T | undefined> {
  const found = await onShop(deps.shopReader!, read);
  return found === undefined && deps.shop && deps.shop !== deps.shopReader ? onShop(deps.shop, read) : found;
}

function onShop<T>(shop: ShopAccess, read: (db: ShopDb) => Promise<T>): Promise<T> {
  return typeof shop === 'function' ? shop(read) : read(shop);
}

/** An operator or client action on a live order. */
export type OrderAction = { kind: 'cancel'; request: CancelRequest } | { kind: 'reprioritize'; request: ReprioritizeRequest };

/** The workflow was not there to take an action: it has ended (with its OrderStatus), or never existed. */
export type NotRunning = { ok: false; reason: 'ended'; status: string } | { ok: false; reason: 'unknown' };

/** What came of an action sent as a Temporal update. */
export type SendOutcome =
  | { ok: true; state: OrderState }
  /** The workflow refused it; `type` is its failure type. */
  | { ok: false; reason: 'refused'; type: string | undefined; message: string }
  /** The order could not decide now (CANCEL_UNAVAILABLE: the MES did not answer); worth a retry. */
  | { ok: false; reason: 'undecided'; message: string }
  /** The order has had its share of priority changes (PRIORITY_CHANGE_LIMIT). */
  | { ok: false; reason: 'too-many-changes'; message: string }
  | NotRunning
  /** No answer within the deadline: the action may still be applied. */
  | { ok: false; reason: 'no-answer' };

/** What came of an action sent as a signal (fire and forget: a refusal only lands in the timeline). */
export type SignalOutcome = { ok: true } | NotRunning;

/**
 * Sends `action` to the order's workflow as a Temporal update and waits up to `deadlineMs` for
 * it to be applied. Every answer the order can give is an outcome; anything else is thrown.
 */
export async function sendToOrder(client: Client, orderId: string, action: OrderAction, options: { deadlineMs: number }): Promise<SendOutcome> {
  const handle = client.workflow.getHandle(orderWorkflowId(orderId));
  try {
    const state = await client.withDeadline(Date.now() + options.deadlineMs, () =>
      action.kind === 'cancel'
        ? handle.executeUpdate(cancelUpdate, { args: [action.request] })
        : handle.executeUpdate(reprioritizeUpdate, { args: [action.request] }),
    );
    return { ok: true, state };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      // The failure type with which the workflow refused (its validator's or handler's ApplicationFailure).
      const type = (err.cause as { type?: string } | undefined)?.type;
      const message = err.cause?.message ?? err.message;
      if (type === CANCEL_UNAVAILABLE) return { ok: false, reason: 'undecided', message };
      if (type === PRIORITY_CHANGE_LIMIT) return { ok: false, reason: 'too-many-changes', message };
      return { ok: false, reason: 'refused', type, message };
    }
    if (err instanceof WorkflowNotFoundError) return notRunning(client, orderId);
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { ok: false, reason: 'no-answer' };
    throw err;
  }
}

/** Sends `action` to the order's workflow as a signal. A workflow that is not running is an outcome; anything else is thrown. */
export async function signalOrder(client: Client, orderId: string, action: OrderAction): Promise<SignalOutcome> {
  const handle = client.workflow.getHandle(orderWorkflowId(orderId));
  try {
    if (action.kind === 'cancel') await handle.signal(cancelSignal, action.request);
    else await handle.signal(reprioritizeSignal, action.request);
    return { ok: true };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return notRunning(client, orderId);
    throw err;
  }
}

/** After a WorkflowNotFoundError: whether the order has ended (and how), or never existed. */
async function notRunning(client: Client, orderId: string): Promise<NotRunning> {
  try {
    const described = await client.workflow.getHandle(orderWorkflowId(orderId)).describe();
    const status = described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.OrderStatus) ?? described.status.name.toLowerCase();
    return { ok: false, reason: 'ended', status };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { ok: false, reason: 'unknown' };
    throw err;
  }
}
