/**
 * The order workflow: accept → price → route-to-CRM → produce → ship, each an activity on its
 * own task queue. Deterministic: no I/O, clock or randomness except through Temporal's APIs
 * (inside the workflow sandbox `new Date()` is the workflow's replay-safe clock).
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  TimeoutFailure,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Priority } from '@temporalio/common';
import type { CrmActivities } from '../../activities/crm.js';
import type { MesActivities } from '../../activities/mes.js';
import type { OrderActivities } from '../../activities/orders.js';
import type { PricingActivities } from '../../activities/pricing.js';
import type { ShippingActivities } from '../../activities/shipping.js';
import { PRIORITY_KEYS, escalate, escalateForPromise, isPriorityClass, taskPriority } from '../../domain/priority.js';
import { atRiskAt } from '../../domain/sla.js';
import { isTerminal, type OrderStatus } from '../../domain/status.js';
import { webhookDeliveryWorkflow } from '../webhook.js';
import {
  CANCEL_REFUSED,
  CANCEL_UNAVAILABLE,
  MAX_PRIORITY_CHANGES,
  MES_CONTROL_QUEUE,
  NOT_CANCELLABLE,
  ORDER_REJECTED,
  PRIORITY_CHANGE_LIMIT,
  PRODUCTION_CANCELLED,
  PROJECTION_REJECTED,
  PROJECTION_UNAVAILABLE,
  SEARCH_ATTRIBUTES,
  STAGES,
  TASK_QUEUES,
  cancelSignal,
  cancelUpdate,
  carrierEventSignal,
  initialOrderState,
  productionStartedSignal,
  reprioritizeSignal,
  reprioritizeUpdate,
  statusQuery,
  type CancelRequest,
  type CarrierEvent,
  type ProductionStarted,
  type ReprioritizeRequest,
  type TimelineKind,
  type OrderFailure,
  type OrderState,
  type OrderWorkflowInput,
  type Stage,
  type TimelineEntry,
} from './contract.js';

// ── Retry and timeout presets ──────────────────────────────────────────────────────────────
/** Quick internal steps: a handful of fast retries, then the order fails visibly. */
const RETRY_INTERNAL: ActivityOptions['retry'] = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 10,
  nonRetryableErrorTypes: [ORDER_REJECTED],
};
/** External systems (CRM, MES, carrier) may be down for a while: keep trying for about an hour. */
const RETRY_EXTERNAL: ActivityOptions['retry'] = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '2m',
  maximumAttempts: 40,
};
/** Waiting for a delivery the carrier has not confirmed yet. */
const RETRY_DELIVERY: ActivityOptions['retry'] = {
  initialInterval: '1s',
  backoffCoefficient: 1.5,
  maximumInterval: '10m',
  maximumAttempts: 100,
};
/** The projection must catch up eventually; it never fails the order. */
const RETRY_PROJECTION: ActivityOptions['retry'] = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '1m' };
/** A quick write of the projection: three tries of at most 1 s each, 0.6 s apart in all (see `projection-v2`). */
const RETRY_PROJECTION_QUICK: ActivityOptions['retry'] = { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '1s', maximumAttempts: 3 };
/** The projection write that waits for the database: keeps trying, at least every 10 s, until it is back. */
const RETRY_PROJECTION_QUEUED: ActivityOptions['retry'] = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' };
/** How long a queued projection write waits for the database (with `hardening-v1`) before the order fails. */
const PROJECTION_QUEUED_LIMIT = '12h';
/** Asking the MES to withdraw a job for a cancel (with `hardening-v1`): the caller waits, so a few quick tries. */
const RETRY_CANCEL_CHECK: ActivityOptions['retry'] = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '4s', maximumAttempts: 5 };
/** Carrier events kept per order before booking, by tracking number (with `hardening-v1`). */
const MAX_CARRIER_EVENTS = 10;
/** Timeline notes of refused signals (cancel, reprioritize) per order (with `hardening-v1`); later refusals leave none. */
const MAX_REFUSAL_NOTES = 10;

/** Options of each step's activities; the priority is added per call (it can change). */
const STEP_OPTIONS = {
  orders: { taskQueue: TASK_QUEUES.orders, startToCloseTimeout: '30s', retry: RETRY_INTERNAL },
  pricing: { taskQueue: TASK_QUEUES.pricing, startToCloseTimeout: '2m', retry: RETRY_INTERNAL },
  crm: { taskQueue: TASK_QUEUES.crm, startToCloseTimeout: '30s', retry: RETRY_EXTERNAL },
  // A job may stay on its line for hours; a lost worker is noticed by the heartbeat timeout.
  mes: { taskQueue: TASK_QUEUES.mes, startToCloseTimeout: '24h', heartbeatTimeout: '10s', retry: RETRY_EXTERNAL },
  shipping: { taskQueue: TASK_QUEUES.shipping, startToCloseTimeout: '30s', retry: RETRY_EXTERNAL },
} satisfies Record<string, ActivityOptions>;

/**
 * Activities of a step, scheduled with the given priority. A cancelled step waits for its
 * activity to finish, so compensation never races a side effect still in flight.
 */
function stepActivities<A>(options: ActivityOptions, priority: Priority) {
  return proxyActivities<A>({ ...options, priority, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });
}

/** Projection writes of orders started before `projection-v2`. */
const projection = proxyLocalActivities<OrderActivities>({
  startToCloseTimeout: '15s',
  retry: RETRY_PROJECTION,
});
/**
 * Projection writes since `projection-v2`: a local activity bounded well below the workflow task
 * timeout (10 s; the worker heartbeats the task at 8 s), so it always resolves within the task
 * that scheduled it; if it cannot, the write is queued as a normal activity that waits for the
 * database.
 */
const projectionQuick = proxyLocalActivities<OrderActivities>({
  // The attempts bound it (under 4 s): a worker was seen retrying a local activity past its
  // schedule-to-close timeout while the workflow task was heartbeated.
  scheduleToCloseTimeout: '4s',
  startToCloseTimeout: '1s',
  retry: RETRY_PROJECTION_QUICK,
});
const projectionQueued = proxyActivities<OrderActivities>({
  taskQueue: TASK_QUEUES.orders,
  startToCloseTimeout: '15s',
  retry: RETRY_PROJECTION_QUEUED,
});
/** The queued write since `hardening-v1`: bounded in time, and a value the database refuses is not retried. */
const projectionQueuedBounded = proxyActivities<OrderActivities>({
  taskQueue: TASK_QUEUES.orders,
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: PROJECTION_QUEUED_LIMIT,
  retry: { ...RETRY_PROJECTION_QUEUED, nonRetryableErrorTypes: [PROJECTION_REJECTED] },
});
/** The cancel check since `hardening-v1`: a refusal or an unreachable MES answers the caller within seconds. */
const cancelCheck = proxyActivities<MesActivities>({
  taskQueue: MES_CONTROL_QUEUE,
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '20s',
  retry: RETRY_CANCEL_CHECK,
});
/** Compensations and cancel checks: run to completion even while the order is being cancelled. */
const compensation = {
  crm: proxyActivities<CrmActivities>({ taskQueue: TASK_QUEUES.crm, startToCloseTimeout: '30s', retry: RETRY_EXTERNAL }),
  mes: proxyActivities<MesActivities>({ taskQueue: MES_CONTROL_QUEUE, startToCloseTimeout: '30s', retry: RETRY_EXTERNAL }),
  shipping: proxyActivities<ShippingActivities>({ taskQueue: TASK_QUEUES.shipping, startToCloseTimeout: '30s', retry: RETRY_EXTERNAL }),
};
const delivery = proxyActivities<ShippingActivities>({
  taskQueue: TASK_QUEUES.shipping,
  startToCloseTimeout: '30s',
  retry: RETRY_DELIVERY,
});

/** Workflow clock (deterministic under replay). */
const now = () => new Date().toISOString();

/** Patch: orders started after it send every status change to the partner's webhook. */
const PATCH_WEBHOOKS = 'partner-webhooks-v1';
/** Patch: orders started after it keep promised-date timers (escalate when at risk, mark overdue). */
const PATCH_SLA = 'sla-timers-v1';
/**
 * Patch: the order's features are decided once, in its first workflow task, before any local
 * activity. A `patched()` call made right after a local activity can land in a later workflow
 * task than the activity's marker (when the task is completed while the activity resolves, e.g.
 * under a status query); such a history then fails to replay. Orders started before this patch
 * keep asking the `-v1` patches where they used to.
 */
const PATCH_FEATURES_AT_START = 'features-at-start-v1';
/**
 * Patch: after booking, the order waits for the carrier's `shipment.delivered` event (signal
 * `carrierEvent`, sent by the API's carrier webhook) until the expected delivery plus the grace
 * time, and only then asks the carrier itself. Decided in the first workflow task, next to
 * PATCH_FEATURES_AT_START; older orders keep sleeping until the expected delivery and asking.
 */
const PATCH_CARRIER_EVENTS = 'carrier-events-v1';
/**
 * Patch: an attempt the workflow asked to withdraw (to reschedule it at a new priority) that then
 * fails or times out — e.g. its completion was lost while the server restarted — is scheduled
 * again instead of failing the order: the cancel request had stopped the server's own retries.
 */
const PATCH_RESCHEDULE_FAILED_ATTEMPT = 'reschedule-failed-attempt-v1';
/**
 * Patch (decided at start): projection writes go through one projector coroutine — one write in
 * flight at a time, each covering every change made so far — as a bounded local activity, else a
 * queued activity. Before it, the main flow, the promised-date timers and the update handlers
 * each ran their own local activity with long retries; while the database was down such an
 * activity kept its workflow task open across heartbeats as timers fired, and the order's
 * history then no longer replayed.
 */
const PATCH_PROJECTION_V2 = 'projection-v2';
/**
 * Patch (decided at start, with the patches above): the order waits for a production line as
 * `awaiting_production` and is `in_production` once the MES has the job on a line (signal
 * `productionStarted`, from the MES's event or the produce step; else on completion); carrier
 * events are kept per tracking number; concurrent cancels share one answer and the MES cancel
 * check is bounded; the same priority again is a no-op and priority changes are bounded; a
 * projection write the database refuses for good, or that waits for it for hours, fails the order.
 */
const PATCH_HARDENING = 'hardening-v1';

/** A failed attempt the step's retry policy would have retried, had the workflow not asked to withdraw it. */
function isRetryableAttemptFailure(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure) return true;
  return cause instanceof ApplicationFailure && !cause.nonRetryable && ![ORDER_REJECTED, PRODUCTION_CANCELLED].includes(cause.type ?? '');
}

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const { order } = input;
  const state: OrderState = initialOrderState(input);
  let version = 0;
  let notifications = 0;
  /** Starts of webhook deliveries not yet acknowledged; the workflow lets them land before it ends. */
  const deliveriesStarting: Promise<unknown>[] = [];
  /** Undo actions of the steps done so far, run last-in first-out on cancel. */
  const compensations: { name: string; run: () => Promise<unknown> }[] = [];
  let cancelRequest: CancelRequest | undefined;
  let cancelling = false;
  const steps = new CancellationScope();
  // Decided before the first command, so every replay sees the same answer (see the patch's note).
  const featuresAtStart = patched(PATCH_FEATURES_AT_START);
  const webhooksOn = featuresAtStart ? Boolean(input.notify) : undefined;
  const slaOn = featuresAtStart ? true : undefined;
  const carrierEventsOn = featuresAtStart && patched(PATCH_CARRIER_EVENTS);
  /** The carrier's first `shipment.delivered` event; checked against the booking when it is used. */
  let carrierDelivered: CarrierEvent | undefined;
  const projector = patched(PATCH_PROJECTION_V2);
  const hardening = Boolean(carrierEventsOn && projector) && patched(PATCH_HARDENING);
  /** With `hardening-v1`: the carrier's first `shipment.delivered` event per tracking number. */
  const carrierEvents = new Map<string, CarrierEvent>();
  /** The newest version the projection has recorded (with `projection-v2`). */
  let written = 0;
  /** Why the projection cannot record the order (with `hardening-v1`); the order then fails. */
  let projectionFailure: OrderFailure | undefined;

  /** Records the order's current state in the projection; resolves once it is written. */
  const project = async () => {
    version += 1;
    if (!projector) {
      await projection.recordProgress({ state, version });
      return;
    }
    const wanted = version;
    await condition(() => written >= wanted || projectionFailure !== undefined);
  };
  /** The one writer of the projection: writes the newest state whenever it is behind. */
  async function runProjector(): Promise<void> {
    for (;;) {
      await condition(() => version > written);
      let at = version;
      try {
        await projectionQuick.recordProgress({ state, version: at, ...(hardening ? { refuseBadData: true } : {}) });
      } catch (err) {
        at = version;
        if (!hardening) {
          await projectionQueued.recordProgress({ state, version: at });
        } else {
          try {
            if (isFailureOfType(err, PROJECTION_REJECTED)) throw err;
            await projectionQueuedBounded.recordProgress({ state, version: at, refuseBadData: true });
          } catch (failed) {
            projectionFailed(failed);
            return;
          }
        }
      }
      written = at;
    }
  }
  /** The projection cannot record the order: the order fails with a reason a reader can act on. */
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
  if (projector) void CancellationScope.nonCancellable(runProjector);
  const notify = (type: 'order.status_changed' | 'order.overdue' = 'order.status_changed') => {
    if (!(webhooksOn ?? (input.notify && patched(PATCH_WEBHOOKS)))) return;
    notifications += 1;
    // Fire and forget: the delivery retries on its own and outlives the order if it must.
    const starting = startChild(webhookDeliveryWorkflow, {
      workflowId: `webhook-${input.orderId}-${notifications}`,
      taskQueue: TASK_QUEUES.orders,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          clientId: input.clientId,
          event: {
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
          },
        },
      ],
    }).catch((err) => log.warn('webhook delivery could not be started', { error: String(err) }));
    deliveriesStarting.push(starting);
  };
  /** A child whose start is still in flight when the workflow completes would never start. */
  const settleDeliveries = () => Promise.all(deliveriesStarting.splice(0));
  const setStatus = (status: OrderStatus) => {
    state.status = status;
    state.updatedAt = now();
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.OrderStatus, value: status },
      { key: SEARCH_ATTRIBUTES.OrderPriority, value: PRIORITY_KEYS[state.priority] },
    ]);
    notify();
  };
  let current: TimelineEntry | undefined;
  const begin = (stage: Stage): TimelineEntry => {
    current = { seq: state.timeline.length, stage, status: 'running', startedAt: now(), attempts: 0, priority: state.priority };
    state.timeline.push(current);
    state.updatedAt = current.startedAt;
    return current;
  };
  const finish = (entry: TimelineEntry, meta: { attempt: number; queueWaitMs: number }, status: OrderStatus, detail?: string) => {
    entry.status = 'completed';
    entry.endedAt = now();
    entry.attempts = meta.attempt;
    entry.queueWaitMs = meta.queueWaitMs;
    if (detail) entry.detail = detail;
    current = undefined;
    setStatus(status);
  };

  // ── Priority ─────────────────────────────────────────────────────────────────────────────
  const priority = (): Priority =>
    taskPriority({ priority: state.priority, channel: input.channel, partnerId: input.partnerId, fairnessWeight: input.fairnessWeight });
  /** Scope of the step activity in flight, and whether it should be scheduled again. */
  let inFlight: CancellationScope | undefined;
  let reschedule = false;
  /**
   * Runs a step's activity with the order's current priority. When the priority changes while
   * the activity still waits in its task queue, it is withdrawn and scheduled again with the
   * new priority; an activity a worker already runs finishes undisturbed.
   */
  async function step<T>(call: (p: Priority) => Promise<T>): Promise<T> {
    reschedule = false;
    for (;;) {
      const scope = new CancellationScope();
      inFlight = scope;
      try {
        return await scope.run(() => call(priority()));
      } catch (err) {
        const withdrawn = reschedule && !cancelRequest && !cancelling;
        if (withdrawn && (isCancellation(err) || (isRetryableAttemptFailure(err) && patched(PATCH_RESCHEDULE_FAILED_ATTEMPT)))) {
          reschedule = false;
          continue;
        }
        throw err;
      } finally {
        inFlight = undefined;
      }
    }
  }
  const note = (kind: TimelineKind, detail: string) => {
    const at = now();
    state.timeline.push({ seq: state.timeline.length, stage: kind, status: 'completed', startedAt: at, endedAt: at, attempts: 1, priority: state.priority, detail });
    state.updatedAt = at;
  };
  /** Refused signals leave a note each, up to MAX_REFUSAL_NOTES (with `hardening-v1`), so signals cannot grow the timeline without end. */
  let refusalNotes = 0;
  const mayNoteRefusal = (): boolean => {
    if (!hardening) return true;
    refusalNotes += 1;
    return refusalNotes <= MAX_REFUSAL_NOTES;
  };
  /** Priority changes asked for by update or signal (with `hardening-v1`: at most MAX_PRIORITY_CHANGES). */
  let priorityChanges = 0;
  let priorityLimitNoted = false;
  /** The order is `rush` only because its promised date came near (then pricing adds no rush surcharge). */
  let rushByPromise = false;
  const changePriority = (to: ReprioritizeRequest['priority'], kind: 'reprioritize' | 'escalate', detail: string) => {
    const from = state.priority;
    rushByPromise = kind === 'escalate' && to === 'rush';
    if (kind === 'reprioritize') priorityChanges += 1;
    state.priority = to;
    note(kind, `${from} → ${to}: ${detail}`);
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.OrderPriority, value: PRIORITY_KEYS[to] }]);
    if (inFlight && PRIORITY_KEYS[to] !== PRIORITY_KEYS[from]) {
      reschedule = true;
      inFlight.cancel();
    }
  };
  const refuseReprioritize = (request: ReprioritizeRequest) => {
    if (!isPriorityClass(request.priority)) throw ApplicationFailure.nonRetryable(`unknown priority "${String(request.priority)}"`, 'InvalidPriority');
    if (typeof request.reason !== 'string' || request.reason.trim() === '') {
      throw ApplicationFailure.nonRetryable('a reason is required', 'InvalidPriority');
    }
    if (isTerminal(state.status)) throw ApplicationFailure.nonRetryable(`the order is already ${state.status}`, 'InvalidPriority');
    if (hardening && request.priority !== state.priority && priorityChanges >= MAX_PRIORITY_CHANGES) {
      throw ApplicationFailure.nonRetryable(`the priority of this order was changed ${MAX_PRIORITY_CHANGES} times already; it can no longer be changed`, PRIORITY_CHANGE_LIMIT);
    }
  };
  /** With `hardening-v1` the same priority again changes nothing (no note, no search attribute, no reschedule). */
  const samePriority = (request: ReprioritizeRequest) => hardening && request.priority === state.priority;
  setHandler(
    reprioritizeUpdate,
    async (request) => {
      if (samePriority(request)) return state;
      changePriority(request.priority, 'reprioritize', `${request.reason} (by ${request.by})`);
      await project();
      return state;
    },
    { validator: refuseReprioritize },
  );
  setHandler(reprioritizeSignal, (request) => {
    try {
      refuseReprioritize(request);
    } catch (err) {
      if (isFailureOfType(err, PRIORITY_CHANGE_LIMIT)) {
        // One note when the bound is first reached; later signals are ignored without a trace.
        if (!priorityLimitNoted) note('reprioritize', `refused (by ${request.by}) and later ones ignored: ${(err as Error).message}`);
        priorityLimitNoted = true;
      } else if (mayNoteRefusal()) {
        note('reprioritize', `refused (by ${request.by}): ${(err as Error).message}`);
      }
      return;
    }
    if (samePriority(request)) return;
    changePriority(request.priority, 'reprioritize', `${request.reason} (by ${request.by})`);
    project().catch(() => undefined);
  });

  // ── Production start (with `hardening-v1`) ──────────────────────────────────────────────
  /** The first report that the order's job is on a line. */
  let productionStart: ProductionStarted | undefined;
  /** The job is on a line: the order is `in_production`, and the produce entry says since when and who said so. */
  const onLine = (started: Omit<ProductionStarted, 'startedAt'> & { startedAt?: string }) => {
    state.production = { jobId: started.jobId, ...(started.startedAt ? { startedAt: started.startedAt } : {}), startSource: started.source };
    const how = started.eventId ? `MES event ${started.eventId}` : started.startedAt ? 'seen by the production step' : 'start not reported before production finished';
    if (current?.stage === 'produce') current.detail = `job ${started.jobId} on a line${started.startedAt ? ` since ${started.startedAt}` : ''} (${how})`;
    setStatus('in_production');
  };

  // ── Promised date ────────────────────────────────────────────────────────────────────────
  /** Durable timers on the promised date: escalate when at risk, mark and tell when overdue. */
  async function watchPromisedDate(): Promise<void> {
    if (!(slaOn ?? patched(PATCH_SLA))) return;
    await condition(() => state.promisedBy !== undefined || isTerminal(state.status));
    if (isTerminal(state.status) || !state.promisedBy) return;
    const promised = new Date(state.promisedBy);
    const risk = atRiskAt(new Date(input.createdAt), promised, input.atRiskShare ?? 0.8);
    state.sla = { atRiskAt: risk.toISOString() };
    const untilRisk = risk.getTime() - Date.parse(now());
    if (untilRisk > 0 && (await condition(() => isTerminal(state.status), untilRisk))) return;
    if (isTerminal(state.status)) return;
    state.sla.atRisk = true;
    const share = Math.round((input.atRiskShare ?? 0.8) * 100);
    // With `hardening-v1` a partner order is raised at most to the shop's class: the date a
    // customer asks for does not put a partner ahead of the shop.
    const raised = hardening ? escalateForPromise(state.priority, input.channel) : escalate(state.priority);
    if (raised !== state.priority) {
      changePriority(raised, 'escalate', `${share} % of the time to the promised date ${state.promisedBy} used, order still ${state.status}`);
    } else {
      note('escalate', `${share} % of the time to the promised date used; already ${state.priority}`);
    }
    await project();
    const untilDue = promised.getTime() - Date.parse(now());
    if (untilDue > 0 && (await condition(() => isTerminal(state.status), untilDue))) return;
    if (isTerminal(state.status)) return;
    state.sla.overdueAt = now();
    note('overdue', `promised by ${state.promisedBy}; order still ${state.status}`);
    log.warn('order overdue', { orderId: input.orderId, promisedBy: state.promisedBy, status: state.status });
    notify('order.overdue');
    await project();
  }

  // ── Cancellation ─────────────────────────────────────────────────────────────────────────
  const refuseIfTooLate = () => {
    if (NOT_CANCELLABLE.includes(state.status)) {
      throw ApplicationFailure.create({
        type: CANCEL_REFUSED,
        message: isTerminal(state.status)
          ? `the order is already ${state.status}`
          : `production is finished (order ${state.status}); the order can no longer be cancelled`,
        nonRetryable: true,
      });
    }
  };
  /** With `hardening-v1`: the cancel being decided right now; a concurrent cancel shares its answer. */
  let cancelDeciding: Promise<void> | undefined;
  const requestCancel = async (request: CancelRequest) => {
    refuseIfTooLate();
    if (hardening) {
      if (cancelRequest) return; // accepted already: the order is being cancelled
      cancelDeciding ??= decideCancel(request).finally(() => {
        cancelDeciding = undefined;
      });
      return cancelDeciding;
    }
    if (cancelRequest || cancelling) return; // already on its way
    cancelling = true;
    try {
      if (state.status === 'in_production') {
        // The MES decides: a job not yet on a production line can still be withdrawn.
        const mesAnswer = await compensation.mes.cancelProduction({ orderId: input.orderId });
        if (!mesAnswer.cancelled) {
          throw ApplicationFailure.create({
            type: CANCEL_REFUSED,
            message: `production has started (MES job ${mesAnswer.jobStatus}); the order can no longer be cancelled`,
            nonRetryable: true,
          });
        }
      }
      cancelRequest = request;
      steps.cancel();
    } finally {
      cancelling = false;
    }
  };
  /** Since `hardening-v1`: asks the MES (bounded) while production waits for or holds a line, then cancels. */
  const decideCancel = async (request: CancelRequest) => {
    cancelling = true;
    try {
      if (state.status === 'awaiting_production' || state.status === 'in_production') {
        let mesAnswer: { cancelled: boolean; jobStatus: string };
        try {
          mesAnswer = await cancelCheck.cancelProduction({ orderId: input.orderId });
        } catch {
          throw ApplicationFailure.create({
            type: CANCEL_UNAVAILABLE,
            message: 'the production system did not answer in time; the order goes on. Try again in a minute',
            nonRetryable: true,
          });
        }
        if (!mesAnswer.cancelled) {
          throw ApplicationFailure.create({
            type: CANCEL_REFUSED,
            message: `production has started (MES job ${mesAnswer.jobStatus}); the order can no longer be cancelled`,
            nonRetryable: true,
          });
        }
      }
      cancelRequest = request;
      steps.cancel();
    } finally {
      cancelling = false;
    }
  };

  setHandler(statusQuery, () => state);
  setHandler(carrierEventSignal, (event) => {
    // Repeats of an event and events about another tracking number change nothing.
    if (event?.type !== 'shipment.delivered' || typeof event.deliveredAt !== 'string') return;
    if (hardening) {
      // Kept per tracking number: an early or foreign event cannot displace the booked shipment's.
      if (typeof event.trackingNumber !== 'string' || carrierEvents.has(event.trackingNumber)) return;
      if (state.shipment && event.trackingNumber !== state.shipment.trackingNumber) return;
      if (carrierEvents.size >= MAX_CARRIER_EVENTS) carrierEvents.delete(carrierEvents.keys().next().value!);
      carrierEvents.set(event.trackingNumber, event);
      return;
    }
    if (carrierDelivered) return;
    if (state.shipment && event.trackingNumber !== state.shipment.trackingNumber) return;
    carrierDelivered = event;
  });
  setHandler(productionStartedSignal, (started) => {
    if (!hardening || productionStart || typeof started?.jobId !== 'string' || typeof started.startedAt !== 'string') return;
    productionStart = { jobId: started.jobId, startedAt: started.startedAt, source: started.source === 'webhook' ? 'webhook' : 'polling', ...(typeof started.eventId === 'string' ? { eventId: started.eventId } : {}) };
    if (state.status === 'awaiting_production') {
      onLine(productionStart);
      project().catch(() => undefined);
    }
  });
  setHandler(
    cancelUpdate,
    async (request) => {
      await requestCancel(request);
      await condition(() => isTerminal(state.status));
      return state;
    },
    { validator: (_request: CancelRequest) => refuseIfTooLate() },
  );
  setHandler(cancelSignal, (request) => {
    requestCancel(request).catch((err: unknown) => {
      if (!mayNoteRefusal()) return;
      state.timeline.push({
        seq: state.timeline.length,
        stage: 'cancel',
        status: 'failed',
        startedAt: now(),
        endedAt: now(),
        attempts: 1,
        priority: state.priority,
        detail: `cancel by ${request.by} refused: ${(err as Error).message}`,
      });
    });
  });

  await project();
  notify();
  const promiseWatch = watchPromisedDate();

  try {
    await steps.run(async () => {
      // 1. accept
      let entry = begin('accept');
      const accepted = await step((p) => stepActivities<OrderActivities>(STEP_OPTIONS.orders, p).acceptOrder({
        orderId: input.orderId,
        order,
        createdAt: input.createdAt,
        timeScale: input.timeScale,
      }));
      state.promisedBy = accepted.promisedBy;
      finish(entry, accepted, 'accepted', `promised by ${accepted.promisedBy}`);
      await project();

      // 2. price
      entry = begin('price');
      const priced = await step((p) =>
        stepActivities<PricingActivities>(STEP_OPTIONS.pricing, p).priceOrder({
          orderId: input.orderId,
          items: order.items,
          // With `hardening-v1` the order says who orders and whether it is a rush order (asked for
          // at intake or by an operator): an escalation on the promised date adds no surcharge.
          ...(hardening ? { rush: state.priority === 'rush' && !rushByPromise, ...(input.partnerId ? { partnerId: input.partnerId } : {}) } : {}),
        }),
      );
      state.price = priced.price;
      finish(entry, priced, 'priced', `total ${priced.price.totalMinor} ${priced.price.currency} (minor units)`);
      await project();

      // 3. route to CRM
      entry = begin('route-to-crm');
      compensations.push({
        name: 'CRM assignment closed',
        run: () => compensation.crm.releaseCrmAssignment({ orderId: input.orderId }),
      });
      const routed = await step((p) =>
        stepActivities<CrmActivities>(STEP_OPTIONS.crm, p).routeToCrm({
          orderId: input.orderId,
          channel: input.channel,
          partnerId: input.partnerId,
          customer: order.customer,
        }),
      );
      state.crm = { customerId: routed.customerId, managerId: routed.managerId, managerName: routed.managerName };
      finish(entry, routed, 'routed', `manager ${routed.managerName}`);
      // With the projector, the write below records this too: one write instead of two in a row.
      if (!projector) await project();

      // 4. produce
      entry = begin('produce');
      setStatus(hardening ? 'awaiting_production' : 'in_production');
      await project();
      if (productionStart && state.status === 'awaiting_production') onLine(productionStart);
      // Waits in the mes backlog for a production line; priority decides who gets the next one.
      const produced = await step((p) =>
        stepActivities<MesActivities>(STEP_OPTIONS.mes, p).produce({ orderId: input.orderId, items: order.items }),
      );
      // No report of the start reached the order: it still passes through `in_production`.
      if (state.status === 'awaiting_production') {
        onLine({ jobId: produced.jobId, ...(produced.startedAt ? { startedAt: produced.startedAt } : {}), source: produced.source ?? 'polling' });
      }
      state.production = {
        ...state.production,
        jobId: produced.jobId,
        completedAt: produced.completedAt,
        ...(produced.source ? { source: produced.source } : {}),
      };
      const how = produced.source === 'webhook' ? 'MES event' : produced.source === 'polling' ? 'asked the MES' : undefined;
      const resubmitted = produced.resubmitted ? `, resubmitted ${produced.resubmitted}× after the MES lost it` : '';
      const since = state.production.startedAt ? `, on a line since ${state.production.startedAt}` : '';
      finish(entry, produced, 'produced', `job ${produced.jobId}${how ? ` (${how}${resubmitted})` : ''}${since}`);
      await project();

      // 5. ship: book the carrier, then wait (durable timer) until the promised delivery and confirm it
      entry = begin('ship');
      compensations.push({ name: 'shipment voided', run: () => compensation.shipping.voidShipment({ orderId: input.orderId }) });
      const booked = await step((p) =>
        stepActivities<ShippingActivities>(STEP_OPTIONS.shipping, p).bookShipment({
          orderId: input.orderId,
          method: order.shipping.method,
          address: order.shipping.address,
        }),
      );
      state.shipment = { trackingNumber: booked.trackingNumber };
      entry.attempts = booked.attempt;
      entry.queueWaitMs = booked.queueWaitMs;
      entry.detail = `tracking ${booked.trackingNumber}`;
      setStatus('shipped');
      await project();
      const waitMs = Date.parse(booked.expectedDeliveryAt) - Date.parse(now());
      if (!carrierEventsOn) {
        if (waitMs > 0) await sleep(waitMs);
        const delivered = await delivery.confirmDelivery({ orderId: input.orderId });
        state.shipment.deliveredAt = delivered.deliveredAt;
        finish(entry, booked, 'delivered', `tracking ${booked.trackingNumber}, delivered ${delivered.deliveredAt}`);
        await project();
        return;
      }
      // The carrier reports the delivery itself; a durable timer bounds the wait for its event.
      const fromCarrier = () =>
        hardening ? carrierEvents.get(booked.trackingNumber) : carrierDelivered?.trackingNumber === booked.trackingNumber ? carrierDelivered : undefined;
      // A carrier that sends no events is asked at the expected delivery, without a grace period.
      const silentCarrier = booked.carrierEvents === false;
      const graceMs = silentCarrier ? 0 : (input.carrierEventGraceMs ?? 0);
      await condition(() => fromCarrier() !== undefined, Math.max(1, waitMs + graceMs));
      const event = fromCarrier();
      const deliveredAt = event ? event.deliveredAt : (await delivery.confirmDelivery({ orderId: input.orderId })).deliveredAt;
      state.shipment.deliveredAt = deliveredAt;
      state.shipment.source = event ? 'webhook' : 'polling';
      finish(
        entry,
        booked,
        'delivered',
        `tracking ${booked.trackingNumber}, delivered ${deliveredAt} (${
          event ? `carrier event ${event.id}` : silentCarrier ? 'the carrier sends no events; confirmed with it' : 'no carrier event in time; confirmed with the carrier'
        })`,
      );
      await project();
    });
    await settleDeliveries();
    await promiseWatch;
    return state;
  } catch (err) {
    if (projectionFailure) return failOrder(projectionFailure);
    if (isCancellation(err) || isProductionCancelled(err)) {
      // The MES withdrew the job because of a cancel request that is completing right now.
      if (!cancelRequest) await condition(() => cancelRequest !== undefined, '1 minute');
      if (cancelRequest) return cancelOrder(cancelRequest);
    }
    return failOrder(describeFailure(err, current?.stage ?? 'accept'));
  }

  /** Ends the order `rejected` (a business rejection: returns the state) or `failed` (fails the workflow). */
  async function failOrder(failure: OrderFailure): Promise<OrderState> {
    state.failure = failure;
    if (current) {
      current.status = 'failed';
      current.endedAt = now();
      current.attempts = Math.max(1, current.attempts);
      current.detail = failure.message;
      current = undefined;
    }
    const rejected = failure.type === ORDER_REJECTED;
    setStatus(rejected ? 'rejected' : 'failed');
    await project();
    await settleDeliveries();
    if (rejected) return state;
    // A failed order fails its workflow too, so operators see it as Failed in the Web UI.
    throw ApplicationFailure.nonRetryable(`order ${input.orderId} failed at ${failure.stage}: ${failure.message}`, 'OrderFailed');
  }

  /** Undoes what the steps did, last first, and ends the order as cancelled. */
  async function cancelOrder(request: CancelRequest): Promise<OrderState> {
    return CancellationScope.nonCancellable(async () => {
      if (current) {
        current.status = 'cancelled';
        current.endedAt = now();
        current = undefined;
      }
      const entry: TimelineEntry = {
        seq: state.timeline.length,
        stage: 'cancel',
        status: 'running',
        startedAt: now(),
        attempts: 1,
        priority: state.priority,
      };
      state.timeline.push(entry);
      const released: string[] = state.status === 'in_production' || state.status === 'awaiting_production' ? ['MES job cancelled'] : [];
      for (const step of compensations.reverse()) {
        await step.run();
        released.push(step.name);
      }
      entry.status = 'completed';
      entry.endedAt = now();
      entry.detail = `cancelled by ${request.by}: ${request.reason}${released.length ? `; released: ${released.join(', ')}` : ''}`;
      setStatus('cancelled');
      await project();
      await settleDeliveries();
      return state;
    });
  }
}

/** Whether `err` is (or is an activity failure caused by) an ApplicationFailure of `type`. */
function isFailureOfType(err: unknown, type: string): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === type;
}

function isProductionCancelled(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === PRODUCTION_CANCELLED;
}

function describeFailure(err: unknown, stage: TimelineKind): OrderFailure {
  const at: Stage = (STAGES as readonly string[]).includes(stage) ? (stage as Stage) : 'accept';
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const issues = cause.type === ORDER_REJECTED ? (cause.details?.[0] as OrderFailure['issues']) : undefined;
    return { stage: at, type: cause.type ?? 'Error', message: cause.message, ...(issues ? { issues } : {}) };
  }
  return { stage: at, type: (cause as Error)?.name ?? 'Error', message: (cause as Error)?.message ?? String(cause) };
}
