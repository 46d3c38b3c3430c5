/**
 * One order's run: its state and timeline, the projector that records them in the shop database,
 * and the partner notifications. Every module of the workflow works on this one object.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  condition,
  log,
  sleep,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { isTerminal, type OrderStatus } from '../../domain/status.js';
import { WEBHOOK_DELIVERY_WORKFLOW_TYPE, type WebhookDeliveryWorkflow } from '../../webhooks/contract.js';
import {
  PROJECTION_REJECTED,
  PROJECTION_UNAVAILABLE,
  SEARCH_ATTRIBUTES,
  STAGES,
  TASK_QUEUES,
  initialOrderState,
  type OrderFailure,
  type OrderState,
  type OrderWorkflowInput,
  type Stage,
  type TimelineEntry,
  type TimelineKind,
} from '../contract.js';
import { PROJECTION_QUEUED_LIMIT, projectionQueued, projectionQuick } from './options.js';

/**
 * The statuses the `OrderStatus` search attribute takes (besides `received`, set by the start):
 * the backlog operators reprioritize and cancel from, the orders out with the carrier, and how an
 * order ended. In between it keeps the last of these; the exact status is the order's own (API,
 * dashboard, `orders status`). Each change is a visibility write on the server.
 */
export function isSearchedStatus(status: OrderStatus): boolean {
  return status === 'awaiting_production' || status === 'shipped' || isTerminal(status);
}

/**
 * Waits until `holds()` or `ms` have passed; true when it holds. Unlike `condition(fn, ms)` it
 * leaves its timer running when `holds()` comes first: a timer still running when the order
 * ends costs no history event, a cancelled one costs one (and a command).
 */
export async function waitUntil(holds: () => boolean, ms: number): Promise<boolean> {
  if (holds()) return true;
  await Promise.race([sleep(ms), condition(holds)]);
  return holds();
}

/** Workflow clock (deterministic under replay). */
export const now = () => new Date().toISOString();

export type OrderRun = ReturnType<typeof createOrderRun>;

export function createOrderRun(input: OrderWorkflowInput) {
  const state: OrderState = initialOrderState(input);
  /** The steps' scope: cancelled by an accepted cancel or a projection that cannot record the order. */
  const steps = new CancellationScope();
  let current: TimelineEntry | undefined;

  // ── Projection: one writer, one write in flight, each covering every change so far ─────────
  let version = 0;
  let written = 0;
  /** Why the projection cannot record the order; the order then fails. */
  let projectionFailure: OrderFailure | undefined;
  /** Records the order's current state in the projection; resolves once it is written (or cannot be). */
  const project = async () => {
    version += 1;
    const wanted = version;
    await condition(() => written >= wanted || projectionFailure !== undefined);
  };
  async function runProjector(): Promise<void> {
    for (;;) {
      await condition(() => version > written);
      let at = version;
      try {
        await projectionQuick.recordProgress({ state, version: at });
      } catch (err) {
        at = version;
        try {
          if (isFailureOfType(err, PROJECTION_REJECTED)) throw err;
          await projectionQueued.recordProgress({ state, version: at });
        } catch (failed) {
          return projectionFailed(failed);
        }
      }
      written = at;
    }
  }
  /** The projection cannot record the order: it fails, with a reason a reader can act on. */
  const projectionFailed = (err: unknown) => {
    const rejected = isFailureOfType(err, PROJECTION_REJECTED);
    const cause = err instanceof ActivityFailure ? err.cause : err;
    projectionFailure = {
      stage: current && (STAGES as readonly string[]).includes(current.stage) ? (current.stage as Stage) : 'accept',
      type: rejected ? PROJECTION_REJECTED : PROJECTION_UNAVAILABLE,
      message: rejected
        ? (cause as Error).message
        : `the order could not be recorded in the shop database within ${PROJECTION_QUEUED_LIMIT}; it was stopped so that it does not go on unrecorded`,
    };
    log.error('order projection cannot be written; the order fails', { orderId: input.orderId, type: projectionFailure.type });
    steps.cancel();
  };
  void CancellationScope.nonCancellable(runProjector);

  // ── Partner notifications: a child workflow per event, fire and forget ─────────────────────
  let notifications = 0;
  /** Starts of deliveries not yet acknowledged; the order lets them land before it ends. */
  const starting: Promise<unknown>[] = [];
  const notify = (type: 'order.status_changed' | 'order.overdue' = 'order.status_changed') => {
    if (!input.notify) return;
    notifications += 1;
    const event = {
      id: `${input.orderId}:${notifications}`,
      type,
      occurredAt: state.updatedAt,
      order: {
        id: input.orderId,
        status: state.status,
        priority: state.priority,
        ...(state.externalRef ? { externalRef: state.externalRef } : {}),
        ...(state.partnerId ? { partnerId: state.partnerId } : {}),
        ...(state.shipment ? { trackingNumber: state.shipment.trackingNumber } : {}),
      },
    };
    // The delivery retries on its own and outlives the order if it must.
    const started = startChild<WebhookDeliveryWorkflow>(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
      workflowId: `webhook-${input.orderId}-${notifications}`,
      taskQueue: TASK_QUEUES.orders,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [{ clientId: input.clientId, event }],
    }).catch((err) => log.warn('webhook delivery could not be started', { error: String(err) }));
    starting.push(started);
  };

  // ── Status and timeline ──────────────────────────────────────────────────────────────────
  const setStatus = (status: OrderStatus) => {
    state.status = status;
    state.updatedAt = now();
    if (isSearchedStatus(status)) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.OrderStatus, value: status }]);
    notify();
  };

  return {
    input,
    state,
    steps,
    project,
    notify,
    setStatus,
    /** A child workflow whose start is still in flight when the order completes would never start. */
    settleNotifications: () => Promise.all(starting.splice(0)),
    projectionFailure: () => projectionFailure,
    /** The stage running now, if any. */
    current: () => current,
    begin(stage: Stage): TimelineEntry {
      current = { seq: state.timeline.length, stage, status: 'running', startedAt: now(), attempts: 0, priority: state.priority };
      state.timeline.push(current);
      state.updatedAt = current.startedAt;
      return current;
    },
    finish(entry: TimelineEntry, meta: { attempt: number; queueWaitMs: number }, status: OrderStatus, detail?: string) {
      entry.status = 'completed';
      entry.endedAt = now();
      entry.attempts = meta.attempt;
      entry.queueWaitMs = meta.queueWaitMs;
      if (detail) entry.detail = detail;
      current = undefined;
      setStatus(status);
    },
    /** Ends the running stage (failed or cancelled) with an optional detail. */
    endCurrent(status: 'failed' | 'cancelled', detail?: string) {
      if (!current) return;
      current.status = status;
      current.endedAt = now();
      if (status === 'failed') current.attempts = Math.max(1, current.attempts);
      if (detail) current.detail = detail;
      current = undefined;
    },
    /** A completed one-off entry (reprioritize, escalate, overdue, cancel refusals). */
    note(kind: TimelineKind, detail: string, status: TimelineEntry['status'] = 'completed') {
      const at = now();
      state.timeline.push({ seq: state.timeline.length, stage: kind, status, startedAt: at, endedAt: at, attempts: 1, priority: state.priority, detail });
      state.updatedAt = at;
    },
  };
}

/** Whether `err` is (or is an activity failure caused by) an ApplicationFailure of `type`. */
export function isFailureOfType(err: unknown, type: string): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === type;
}
