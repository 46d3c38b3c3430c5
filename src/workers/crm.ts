import { Worker } from '@temporalio/worker';
import { createCrmActivities } from '../activities/crm.js';
import { createEmbeddedCrm } from '../systems/crm/index.js';
import { TASK_QUEUES } from '../workflows/order/contract.js';
import { dataConverter } from '../temporal/codec.js';
import { need, tracedWorkerOptions, type WorkerContext } from './context.js';
import { slotOptions } from './slots.js';

/** `crm` queue: customer and manager routing in the CRM. Needs the crm database (embedded CRM). */
export function createCrmWorker(ctx: WorkerContext): Promise<Worker> {
  return Worker.create({
    ...tracedWorkerOptions(),
    connection: ctx.connection,
    namespace: ctx.config.temporal.namespace,
    dataConverter: dataConverter(ctx.config),
    taskQueue: TASK_QUEUES.crm,
    activities: createCrmActivities({ crm: createEmbeddedCrm(need(ctx.db.crm, 'the crm database')) }),
    ...slotOptions(ctx.config, { activities: ctx.config.concurrency.crm }),
  });
}
