/**
 * The order workflow: accept → price → route-to-CRM → produce → ship, each an activity on its
 * own task queue (steps.ts), with the handlers operators and integrations use. Deterministic: no
 * I/O, clock or randomness except through Temporal's APIs (inside the workflow sandbox
 * `new Date()` is the workflow's replay-safe clock).
 *
 * Beside it: run.ts (state, timeline, projector, notifications), priority.ts (steps at the
 * current priority, reprioritize), promised-date.ts (at-risk and overdue timers), cancel.ts
 * (cancel and compensation), events.ts (MES and carrier reports), options.ts (activity options).
 * Release 1.0: from here on a change that alters an order's commands goes behind `patched()` with
 * a recorded history (see README, "Changing the workflow").
 */
import { ActivityFailure, ApplicationFailure, condition, isCancellation, setHandler } from '@temporalio/workflow';
import { createCancellation } from './cancel.js';
import {
  ORDER_REJECTED,
  STAGES,
  statusQuery,
  type OrderFailure,
  type OrderState,
  type OrderWorkflowInput,
  type Stage,
  type TimelineKind,
} from '../contract.js';
import { createEvents } from './events.js';
import { createPriority } from './priority.js';
import { watchPromisedDate } from './promised-date.js';
import { createOrderRun, isFailureOfType, type OrderRun } from './run.js';
import { accept, price, produce, routeToCrm, ship, type StepContext } from './steps.js';
import { PRODUCTION_CANCELLED } from '../../mes/contract.js';

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const run = createOrderRun(input);
  const priority = createPriority(run, () => !cancellation.busy());
  const cancellation = createCancellation(run, () => priority.mayNoteRefusal());
  const events = createEvents(run);
  setHandler(statusQuery, () => run.state);
  priority.registerHandlers();
  cancellation.registerHandlers();
  events.registerHandlers();

  await run.project();
  run.notify();
  const promiseWatch = watchPromisedDate(run, priority);
  const ctx: StepContext = { run, priority, cancellation, events };
  try {
    await run.steps.run(async () => {
      await accept(ctx);
      await price(ctx);
      await routeToCrm(ctx);
      await produce(ctx);
      await ship(ctx);
    });
    await run.settleNotifications();
    await promiseWatch;
    return run.state;
  } catch (err) {
    const projectionFailure = run.projectionFailure();
    if (projectionFailure) return failOrder(run, projectionFailure);
    if (isCancellation(err) || isFailureOfType(err, PRODUCTION_CANCELLED)) {
      // The MES withdrew the job because of a cancel request that is completing right now.
      if (!cancellation.accepted()) await condition(() => cancellation.accepted() !== undefined, '1 minute');
      const accepted = cancellation.accepted();
      if (accepted) return cancellation.cancelOrder(accepted);
    }
    return failOrder(run, describeFailure(err, run.current()?.stage ?? 'accept'));
  }
}

/** Ends the order `rejected` (a business rejection: returns the state) or `failed` (fails the workflow). */
async function failOrder(run: OrderRun, failure: OrderFailure): Promise<OrderState> {
  run.state.failure = failure;
  run.endCurrent('failed', failure.message);
  const rejected = failure.type === ORDER_REJECTED;
  run.setStatus(rejected ? 'rejected' : 'failed');
  await run.project();
  await run.settleNotifications();
  if (rejected) return run.state;
  // A failed order fails its workflow too, so operators see it as Failed in the Web UI.
  throw ApplicationFailure.nonRetryable(`order ${run.input.orderId} failed at ${failure.stage}: ${failure.message}`, 'OrderFailed');
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
