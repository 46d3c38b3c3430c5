/**
 * Activity options of the order workflow: retry presets, each step's queue and timeouts, the
 * projection writes, the cancel check and the compensations.
 */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Priority } from '@temporalio/common';
import type { OrderActivities } from '../activities.js';
import { ORDER_REJECTED, PROJECTION_REJECTED, TASK_QUEUES } from '../contract.js';
import type { CrmActivities } from '../../crm/contract.js';
import { type MesActivities, MES_CONTROL_QUEUE } from '../../mes/contract.js';
import type { ShippingActivities } from '../../shipping/contract.js';

/** Quick internal steps: a handful of fast retries, then the order fails visibly. */
const RETRY_INTERNAL: ActivityOptions['retry'] = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 10,
  nonRetryableErrorTypes: [ORDER_REJECTED],
};
/** External systems (CRM, MES, carrier) may be down for a while: keep trying for about an hour. */
const RETRY_EXTERNAL: ActivityOptions['retry'] = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 40 };
/** Waiting for a delivery the carrier has not confirmed yet. */
const RETRY_DELIVERY: ActivityOptions['retry'] = { initialInterval: '1s', backoffCoefficient: 1.5, maximumInterval: '10m', maximumAttempts: 100 };

/** Options of each step's activities; the priority is added per call (it can change). */
export const STEP_OPTIONS = {
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
export function stepActivities<A>(options: ActivityOptions, priority: Priority) {
  return proxyActivities<A>({ ...options, priority, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });
}

/** How long a queued projection write waits for the database before the order fails. */
export const PROJECTION_QUEUED_LIMIT = '12h';
/** The longest pause between tries of a queued projection write (see src/order/activities.ts). */
const PROJECTION_QUEUED_MAX_INTERVAL = '10s';

/**
 * A quick projection write: a local activity bounded well below the workflow task timeout
 * (10 s; the worker heartbeats the task at 8 s), so it resolves within the task that scheduled
 * it: three tries of at most 1 s each, under 4 s in all.
 */
export const projectionQuick = proxyLocalActivities<OrderActivities>({
  scheduleToCloseTimeout: '4s',
  startToCloseTimeout: '1s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '1s', maximumAttempts: 3 },
});
/** The projection write that waits for the database (at least every 10 s), bounded in time; refused data is not retried. */
export const projectionQueued = proxyActivities<OrderActivities>({
  taskQueue: TASK_QUEUES.orders,
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: PROJECTION_QUEUED_LIMIT,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: PROJECTION_QUEUED_MAX_INTERVAL, nonRetryableErrorTypes: [PROJECTION_REJECTED] },
});

/**
 * Acceptance: the order's rules and its promised date. Pure computation of microseconds, so it
 * runs as a local activity in the worker that runs the order (no task queue, no round trip to
 * the server); its result is recorded in the history, so a later change of the rules never
 * alters an order already accepted.
 */
export const acceptance = proxyLocalActivities<OrderActivities>({ startToCloseTimeout: '5s', retry: RETRY_INTERNAL });

/** Asking the MES to withdraw a job for a cancel: the caller waits, so a few quick tries (about 20 s at most). */
export const cancelCheck = proxyActivities<MesActivities>({
  taskQueue: MES_CONTROL_QUEUE,
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '20s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '4s', maximumAttempts: 5 },
});

/** Compensations: run to completion even while the order is being cancelled. */
export const compensation = {
  crm: proxyActivities<CrmActivities>({ taskQueue: TASK_QUEUES.crm, startToCloseTimeout: '30s', retry: RETRY_EXTERNAL }),
  shipping: proxyActivities<ShippingActivities>({ taskQueue: TASK_QUEUES.shipping, startToCloseTimeout: '30s', retry: RETRY_EXTERNAL }),
};

/** Asking the carrier whether a shipment was delivered. */
export const delivery = proxyActivities<ShippingActivities>({ taskQueue: TASK_QUEUES.shipping, startToCloseTimeout: '30s', retry: RETRY_DELIVERY });
