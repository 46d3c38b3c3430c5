import { ApplicationFailure, CancelledFailure, Context, log } from '@temporalio/activity';
import type { MesAdapter, ProductionJob } from './system.js';
import { productionStartedSignal } from '../order/contract.js';
import { PRODUCTION_CANCELLED, type MesActivities, type ProduceInput, type ProduceResult } from './contract.js';
import { stageMeta } from '../platform/activity-meta.js';
import { encodeProduceCallback } from './produce-callback.js';

/** How often a running attempt reconciles with the MES. */
const RECONCILE_MS = 1000;
/** How soon an attempt looks again at a job the MES has not put on a line yet. */
const QUEUED_RECHECK_MS = 100;
/**
 * The longest an attempt goes without a heartbeat while nothing changes: half the step's
 * heartbeat timeout (10 s), so a lost worker is still noticed in time. A job that is done or has
 * changed status heartbeats at once (throttled to one a second by the worker): that is how the
 * attempt learns that the API completed it from the MES's event, and its line is free.
 */
const QUIET_HEARTBEAT_MS = 5000;

/**
 * Activities of the `mes` queue. `produce` holds one of the worker's slots (MES_CAPACITY) for as
 * long as its job is on a production line, heartbeating. It learns that the job is done in one
 * of two ways:
 * - the MES's `job.completed` event reaches the API, which completes this attempt through the
 *   task token in the job's callback reference; the server then answers the next heartbeat with
 *   "not found", the SDK cancels the attempt (`NOT_FOUND`) and the slot is free;
 * - as a fallback, the attempt asks the MES every second; a job the MES reports done for longer
 *   than `eventGraceMs` (0 when the MES sends no events) completes the attempt from that report.
 * A job the MES has lost is submitted again (one job per order: the MES keys jobs by order).
 * A crashed worker's attempt is retried after the heartbeat timeout and finds the same job.
 * When its job has been on a line for `eventGraceMs` (at once when the MES sends no events)
 * the attempt tells the workflow (signal `productionStarted`), so the order's `in_production`
 * does not depend on the MES's `job.started` event alone; the workflow keeps whichever report
 * comes first.
 */
export function createMesActivities(deps: { mes: MesAdapter; callbackSecret: string; eventGraceMs?: number; reconcileMs?: number }): MesActivities {
  const { mes } = deps;
  const graceMs = deps.eventGraceMs ?? 0;
  const reconcileMs = deps.reconcileMs ?? RECONCILE_MS;
  return {
    async produce(input: ProduceInput): Promise<ProduceResult> {
      const meta = stageMeta();
      const ctx = Context.current();
      let resubmitted = 0;
      const submit = () =>
        mes.submitJob({
          orderId: input.orderId,
          items: input.items,
          callbackRef: encodeProduceCallback(
            {
              taskToken: ctx.info.base64TaskToken,
              workflowId: ctx.info.workflowExecution?.workflowId ?? 'unknown',
              attempt: meta.attempt,
              queueWaitMs: meta.queueWaitMs,
              resubmitted,
            },
            deps.callbackSecret,
          ),
        });
      let job: ProductionJob = await submit();
      let doneSeenAt: number | undefined;
      let undisturbed = false;
      let startReported = false;
      let startReportFailures = 0;
      let beat: { at: number; status: string } | undefined;
      const reportStart = async () => {
        // A job already done needs no report: the attempt's result carries its start time.
        if (startReported || startReportFailures >= 5 || !job.startedAt || job.status !== 'in_production') return;
        // An MES that sends events reports the start itself (`job.started`); the attempt only
        // speaks up when that report is overdue, so an order gets one start signal, not two.
        if (graceMs > 0 && Date.now() - job.startedAt.getTime() < graceMs) return;
        const workflowId = ctx.info.workflowExecution?.workflowId;
        if (!workflowId) return;
        try {
          await ctx.client.workflow
            .getHandle(workflowId)
            .signal(productionStartedSignal, { jobId: job.id, startedAt: job.startedAt.toISOString(), source: 'polling' });
          startReported = true;
        } catch (err) {
          // Tried again on the next looks at the job (a few times); the result carries the start time as well.
          startReportFailures += 1;
          log.warn('could not tell the order that its job is on a line', { jobId: job.id, orderId: input.orderId, error: String(err) });
        }
      };
      for (;;) {
        await reportStart();
        if (job.status === 'cancelled') {
          throw ApplicationFailure.nonRetryable(`production job ${job.id} was cancelled by the MES`, PRODUCTION_CANCELLED);
        }
        if (job.status === 'done') {
          doneSeenAt ??= Date.now();
          if (Date.now() - doneSeenAt >= graceMs) {
            return {
              ...meta,
              jobId: job.id,
              ...(job.startedAt ? { startedAt: job.startedAt.toISOString() } : {}),
              completedAt: (job.completedAt ?? new Date()).toISOString(),
              source: 'polling',
              ...(resubmitted > 0 ? { resubmitted } : {}),
            };
          }
        }
        // A job hours on its line costs a heartbeat every 5 s, not every second.
        if (job.status === 'done' || beat?.status !== job.status || Date.now() - beat.at >= QUIET_HEARTBEAT_MS) {
          ctx.heartbeat({ jobId: job.id, status: job.status, resubmitted });
          beat = { at: Date.now(), status: job.status };
        }
        // Queued: the line controller starts it in a moment. On its line: look again just after its
        // production time is up (at most a second from now). Done: until the grace time is over.
        const wait =
          job.status === 'done'
            ? Math.min(reconcileMs, graceMs - (Date.now() - doneSeenAt!))
            : job.status === 'in_production' && job.finishesAt
              ? Math.max(50, Math.min(reconcileMs, job.finishesAt.getTime() - Date.now() + 50))
              : QUEUED_RECHECK_MS;
        if (undisturbed) {
          await new Promise((r) => setTimeout(r, wait));
        } else {
          try {
            await ctx.sleep(wait);
          } catch (err) {
            // Completed from outside (the MES's event reached the API), timed out, or the worker
            // stops: this attempt is over.
            if (!(err instanceof CancelledFailure) || !ctx.cancellationDetails?.cancelRequested) throw err;
            // The workflow withdrew the attempt (e.g. a new priority), but the job has a line:
            // production is never disturbed and finishes. A cancelled order's job is withdrawn by
            // the MES and shows as cancelled below.
            undisturbed = true;
          }
        }
        const current = await mes.getJob(job.id);
        if (current) {
          job = current;
          continue;
        }
        resubmitted += 1;
        log.warn('the MES lost the production job; submitting it again', { jobId: job.id, orderId: input.orderId, resubmitted });
        job = await submit();
      }
    },

    /** Cancels the order's production unless it is on a line already. */
    async cancelProduction(input: { orderId: string }): Promise<{ cancelled: boolean; jobStatus: string }> {
      const job = await mes.cancelJob(input.orderId);
      return { cancelled: job.status === 'cancelled', jobStatus: job.status };
    },
  };
}
