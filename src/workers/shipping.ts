import { Worker } from '@temporalio/worker';
import { createShippingActivities } from '../activities/shipping.js';
import { createEmbeddedCarrier } from '../systems/carrier/index.js';
import { TASK_QUEUES } from '../workflows/order/contract.js';
import { need, tracedWorkerOptions, type WorkerContext } from './context.js';

/** `shipping` queue: carrier booking and delivery confirmation. Needs the carrier database. */
export function createShippingWorker(ctx: WorkerContext): Promise<Worker> {
  return Worker.create({
    ...tracedWorkerOptions(),
    connection: ctx.connection,
    namespace: ctx.config.temporal.namespace,
    taskQueue: TASK_QUEUES.shipping,
    activities: createShippingActivities({
      carrier: createEmbeddedCarrier(need(ctx.db.carrier, 'the carrier database'), { timeScale: ctx.config.timeScale }),
    }),
    maxConcurrentActivityTaskExecutions: ctx.config.concurrency.shipping,
  });
}
