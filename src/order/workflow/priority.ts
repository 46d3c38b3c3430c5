/**
 * The order's priority: steps scheduled at the current priority (withdrawn and scheduled again
 * when it changes while they wait in their queue), and the `reprioritize` update and signal,
 * bounded so that a script gone wrong cannot grow the order's history without end.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Priority } from '@temporalio/common';
import { PRIORITY_KEYS, isPriorityClass, taskPriority, type PriorityClass } from '../../domain/priority.js';
import { isTerminal } from '../../domain/status.js';
import {
  MAX_PRIORITY_CHANGES,
  ORDER_REJECTED,
  PRIORITY_CHANGE_LIMIT,
  SEARCH_ATTRIBUTES,
  reprioritizeSignal,
  reprioritizeUpdate,
  type ReprioritizeRequest,
} from '../contract.js';
import { isFailureOfType, type OrderRun } from './run.js';
import { PRODUCTION_CANCELLED } from '../../mes/contract.js';

/** Timeline notes of refused signals per order; later refusals leave none. */
export const MAX_REFUSAL_NOTES = 10;

export type OrderPriority = ReturnType<typeof createPriority>;

/** `mayWithdraw`: whether a step's attempt may be withdrawn now (not while a cancel is being decided or done). */
export function createPriority(run: OrderRun, mayWithdraw: () => boolean) {
  const { state, input } = run;
  let inFlight: CancellationScope | undefined;
  let reschedule = false;
  let changes = 0;
  let limitNoted = false;
  let refusalNotes = 0;
  /** The order is `rush` only because its promised date came near (pricing then adds no rush surcharge). */
  let rushByPromise = false;

  const taskPriorityNow = (): Priority =>
    taskPriority({ priority: state.priority, channel: input.channel, partnerId: input.partnerId, fairnessWeight: input.fairnessWeight });

  const change = (to: PriorityClass, kind: 'reprioritize' | 'escalate', detail: string) => {
    const from = state.priority;
    rushByPromise = kind === 'escalate' && to === 'rush';
    if (kind === 'reprioritize') changes += 1;
    state.priority = to;
    run.note(kind, `${from} → ${to}: ${detail}`);
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.OrderPriority, value: PRIORITY_KEYS[to] }]);
    if (inFlight && PRIORITY_KEYS[to] !== PRIORITY_KEYS[from]) {
      reschedule = true;
      inFlight.cancel();
    }
  };

  const refuse = (request: ReprioritizeRequest) => {
    if (!isPriorityClass(request.priority)) throw ApplicationFailure.nonRetryable(`unknown priority "${String(request.priority)}"`, 'InvalidPriority');
    if (typeof request.reason !== 'string' || request.reason.trim() === '') throw ApplicationFailure.nonRetryable('a reason is required', 'InvalidPriority');
    if (isTerminal(state.status)) throw ApplicationFailure.nonRetryable(`the order is already ${state.status}`, 'InvalidPriority');
    if (request.priority !== state.priority && changes >= MAX_PRIORITY_CHANGES) {
      throw ApplicationFailure.nonRetryable(
        `the priority of this order was changed ${MAX_PRIORITY_CHANGES} times already; it can no longer be changed`,
        PRIORITY_CHANGE_LIMIT,
      );
    }
  };

  /** Whether a refused signal may still leave a note (at most MAX_REFUSAL_NOTES per order). */
  const mayNoteRefusal = () => ++refusalNotes <= MAX_REFUSAL_NOTES;

  const registerHandlers = () => {
    setHandler(
      reprioritizeUpdate,
      async (request) => {
        // The same priority again changes nothing: no note, no search attribute, no reschedule.
        if (request.priority === state.priority) return state;
        change(request.priority, 'reprioritize', `${request.reason} (by ${request.by})`);
        await run.project();
        return state;
      },
      { validator: refuse },
    );
    setHandler(reprioritizeSignal, (request) => {
      try {
        refuse(request);
      } catch (err) {
        if (isFailureOfType(err, PRIORITY_CHANGE_LIMIT)) {
          // One note when the bound is first reached; later signals are ignored without a trace.
          if (!limitNoted) run.note('reprioritize', `refused (by ${request.by}) and later ones ignored: ${(err as Error).message}`);
          limitNoted = true;
        } else if (mayNoteRefusal()) {
          run.note('reprioritize', `refused (by ${request.by}): ${(err as Error).message}`);
        }
        return;
      }
      if (request.priority === state.priority) return;
      change(request.priority, 'reprioritize', `${request.reason} (by ${request.by})`);
      run.project().catch(() => undefined);
    });
  };

  /**
   * Runs a step's activity with the order's current priority. When the priority changes while
   * the activity still waits in its task queue, it is withdrawn and scheduled again with the new
   * priority (also when the withdrawn attempt then fails or times out, e.g. its completion was
   * lost while the server restarted); an activity a worker already runs finishes undisturbed.
   */
  async function step<T>(call: (p: Priority) => Promise<T>): Promise<T> {
    reschedule = false;
    for (;;) {
      const scope = new CancellationScope();
      inFlight = scope;
      try {
        return await scope.run(() => call(taskPriorityNow()));
      } catch (err) {
        if (reschedule && mayWithdraw() && (isCancellation(err) || isRetryableAttemptFailure(err))) {
          reschedule = false;
          continue;
        }
        throw err;
      } finally {
        inFlight = undefined;
      }
    }
  }

  return { step, change, registerHandlers, mayNoteRefusal, rushByPromise: () => rushByPromise };
}

/** A failed attempt the step's retry policy would have retried, had the workflow not asked to withdraw it. */
function isRetryableAttemptFailure(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure) return true;
  return cause instanceof ApplicationFailure && !cause.nonRetryable && ![ORDER_REJECTED, PRODUCTION_CANCELLED].includes(cause.type ?? '');
}
