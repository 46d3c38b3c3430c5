import { log } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { createPricingActivities } from './activities.js';
import { createPricingService } from './system.js';
import { PRICING_TASK_QUEUE } from './contract.js';
import { dataConverter } from '../platform/temporal/codec.js';
import { need, tracedWorkerOptions, type WorkerBase } from '../platform/temporal/worker.js';
import type { PricingDb } from '../../db/index.js';
import { slotOptions } from '../platform/temporal/slots.js';

/** `pricing` queue: the price engine and its caches, kept away from everything else; PRICING_CONCURRENCY at once. */
export function createPricingWorker(ctx: WorkerBase & { db: { pricing?: PricingDb } }): Promise<Worker> {
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
    taskQueue: PRICING_TASK_QUEUE,
    activities: createPricingActivities({ pricing }),
    ...slotOptions(ctx.config, { activities: ctx.config.concurrency.pricing }),
  });
}
