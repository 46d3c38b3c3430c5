import { log } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { createPricingActivities } from '../activities/pricing.js';
import { createPricingService } from '../systems/pricing/index.js';
import { TASK_QUEUES } from '../workflows/order/contract.js';
import { dataConverter } from '../temporal/codec.js';
import { need, tracedWorkerOptions, type WorkerContext } from './context.js';
import { slotOptions } from './slots.js';

/** `pricing` queue: the price engine and its caches, kept away from everything else; PRICING_CONCURRENCY at once. */
export function createPricingWorker(ctx: WorkerContext): Promise<Worker> {
  const pricing = createPricingService({
    db: need(ctx.db.pricing, 'the pricing database'),
    // Called inside the activity: its logger carries the order's workflow and activity ids.
    onCacheError: (err, what) => log.warn(`price cache ${what} failed; pricing without the shared cache`, { error: String(err) }),
  });
  return Worker.create({
    ...tracedWorkerOptions(),
    connection: ctx.connection,
    namespace: ctx.config.temporal.namespace,
    dataConverter: dataConverter(ctx.config),
    taskQueue: TASK_QUEUES.pricing,
    activities: createPricingActivities({ pricing }),
    ...slotOptions(ctx.config, { activities: ctx.config.concurrency.pricing }),
  });
}
