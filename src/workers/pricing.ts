import { Worker } from '@temporalio/worker';
import { createPricingActivities } from '../activities/pricing.js';
import { TASK_QUEUES } from '../workflows/order/contract.js';
import type { WorkerContext } from './context.js';

/** `pricing` queue: the price engine, kept away from everything else; PRICING_CONCURRENCY at once. */
export function createPricingWorker(ctx: WorkerContext): Promise<Worker> {
  return Worker.create({
    connection: ctx.connection,
    namespace: ctx.config.temporal.namespace,
    taskQueue: TASK_QUEUES.pricing,
    activities: createPricingActivities(),
    maxConcurrentActivityTaskExecutions: ctx.config.concurrency.pricing,
  });
}
