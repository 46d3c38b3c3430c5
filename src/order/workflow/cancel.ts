/**
 * Cancelling an order: the `cancel` update and signal, the MES's say while the job waits for or
 * holds a line, and the compensation that undoes what the steps did, last first.
 */
import { ApplicationFailure, CancellationScope, condition, setHandler } from '@temporalio/workflow';
import { isTerminal } from '../../domain/status.js';
import {
  CANCEL_REFUSED,
  CANCEL_UNAVAILABLE,
  NOT_CANCELLABLE,
  cancelSignal,
  cancelUpdate,
  type CancelRequest,
  type OrderState,
  type TimelineEntry,
} from '../contract.js';
import { cancelCheck } from './options.js';
import { now, type OrderRun } from './run.js';

export type OrderCancellation = ReturnType<typeof createCancellation>;

/** `mayNoteRefusal`: whether a refused cancel signal may still leave a note in the timeline. */
export function createCancellation(run: OrderRun, mayNoteRefusal: () => boolean) {
  const { state, input } = run;
  /** Undo actions of the steps done so far, run last-in first-out on cancel. */
  const compensations: { name: string; run: () => Promise<unknown> }[] = [];
  let accepted: CancelRequest | undefined;
  /** The cancel being decided right now; a concurrent cancel shares its answer. */
  let deciding: Promise<void> | undefined;

  const refuseIfTooLate = () => {
    if (!NOT_CANCELLABLE.includes(state.status)) return;
    throw ApplicationFailure.create({
      type: CANCEL_REFUSED,
      message: isTerminal(state.status)
        ? `the order is already ${state.status}`
        : `production is finished (order ${state.status}); the order can no longer be cancelled`,
      nonRetryable: true,
    });
  };

  /** Asks the MES (bounded) while production waits for or holds a line, then stops the steps. */
  const decide = async (request: CancelRequest) => {
    if (state.status === 'awaiting_production' || state.status === 'in_production') {
      const answer = await cancelCheck.cancelProduction({ orderId: input.orderId }).catch(() => {
        throw ApplicationFailure.create({
          type: CANCEL_UNAVAILABLE,
          message: 'the production system did not answer in time; the order goes on. Try again in a minute',
          nonRetryable: true,
        });
      });
      if (!answer.cancelled) {
        throw ApplicationFailure.create({
          type: CANCEL_REFUSED,
          message: `production has started (MES job ${answer.jobStatus}); the order can no longer be cancelled`,
          nonRetryable: true,
        });
      }
    }
    accepted = request;
    run.steps.cancel();
  };

  const request = async (req: CancelRequest) => {
    refuseIfTooLate();
    if (accepted) return; // the order is being cancelled already
    deciding ??= decide(req).finally(() => {
      deciding = undefined;
    });
    return deciding;
  };

  const registerHandlers = () => {
    setHandler(
      cancelUpdate,
      async (req) => {
        await request(req);
        await condition(() => isTerminal(state.status));
        return state;
      },
      { validator: (_req: CancelRequest) => refuseIfTooLate() },
    );
    setHandler(cancelSignal, (req) => {
      request(req).catch((err: unknown) => {
        if (mayNoteRefusal()) run.note('cancel', `cancel by ${req.by} refused: ${(err as Error).message}`, 'failed');
      });
    });
  };

  /** Undoes what the steps did, last first, and ends the order as cancelled. */
  const cancelOrder = (req: CancelRequest): Promise<OrderState> =>
    CancellationScope.nonCancellable(async () => {
      run.endCurrent('cancelled');
      const entry: TimelineEntry = { seq: state.timeline.length, stage: 'cancel', status: 'running', startedAt: now(), attempts: 1, priority: state.priority };
      state.timeline.push(entry);
      // The MES withdrew the job when it agreed to the cancel.
      const released: string[] = state.status === 'awaiting_production' || state.status === 'in_production' ? ['MES job cancelled'] : [];
      for (const step of compensations.reverse()) {
        await step.run();
        released.push(step.name);
      }
      entry.status = 'completed';
      entry.endedAt = now();
      entry.detail = `cancelled by ${req.by}: ${req.reason}${released.length ? `; released: ${released.join(', ')}` : ''}`;
      run.setStatus('cancelled');
      await run.project();
      await run.settleNotifications();
      return state;
    });

  return {
    registerHandlers,
    cancelOrder,
    /** Records how to undo a step, before the step runs. */
    onCancel: (name: string, undo: () => Promise<unknown>) => compensations.push({ name, run: undo }),
    accepted: () => accepted,
    /** Whether a cancel is being decided or was accepted (a step's attempt is then not withdrawn for a priority change). */
    busy: () => accepted !== undefined || deciding !== undefined,
  };
}
