import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { OrderItem } from '../domain/order.js';
import type { MesAdapter } from '../systems/mes/index.js';
import { PRODUCTION_CANCELLED } from '../workflows/order/contract.js';
import { stageMeta, type StageMeta } from './meta.js';

export interface ProduceInput {
  orderId: string;
  items: OrderItem[];
}
export interface ProduceResult extends StageMeta {
  jobId: string;
  completedAt: string;
}


const POLL_MS = 1000;

/**
 * Activities of the `mes` queue. `produce` holds one of the worker's slots (MES_CAPACITY) for
 * as long as the job is on its production line, heartbeating; a crashed worker's attempt is
 * retried after the heartbeat timeout and finds the same job again (one job per order).
 */
export function createMesActivities(deps: { mes: MesAdapter }) {
  const { mes } = deps;
  return {
    async produce(input: ProduceInput): Promise<ProduceResult> {
      const meta = stageMeta();
      const ctx = Context.current();
      const submitted = await mes.submitJob({ orderId: input.orderId, items: input.items });
      let job = await mes.startJob(submitted.id);
      let undisturbed = false;
      while (job.status === 'in_production') {
        const remaining = (job.finishesAt?.getTime() ?? Date.now()) - Date.now();
        ctx.heartbeat({ jobId: job.id, remainingMs: Math.max(0, remaining) });
        if (remaining > 0) {
          const wait = Math.min(remaining, POLL_MS);
          if (undisturbed) {
            await new Promise((r) => setTimeout(r, wait));
          } else {
            try {
              await ctx.sleep(wait);
            } catch (err) {
              // A job on its line is never disturbed: a cancellation (e.g. a reprioritized order
              // whose slot was already taken) is ignored and production finishes.
              if (!(err instanceof CancelledFailure)) throw err;
              undisturbed = true;
            }
          }
        }
        job = await mes.completeJob(job.id);
      }
      if (job.status === 'cancelled') {
        throw ApplicationFailure.nonRetryable(`production job ${job.id} was cancelled by the MES`, PRODUCTION_CANCELLED);
      }
      if (job.status !== 'done' || !job.completedAt) throw new Error(`production job ${job.id} is ${job.status}`);
      return { ...meta, jobId: job.id, completedAt: job.completedAt.toISOString() };
    },

    /** Cancels the order's production unless it is on a line already. */
    async cancelProduction(input: { orderId: string }): Promise<{ cancelled: boolean; jobStatus: string }> {
      const job = await mes.cancelJob(input.orderId);
      return { cancelled: job.status === 'cancelled', jobStatus: job.status };
    },
  };
}

export type MesActivities = ReturnType<typeof createMesActivities>;
