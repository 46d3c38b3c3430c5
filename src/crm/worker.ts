import { Worker } from '@temporalio/worker';
import { createCrmActivities } from './activities.js';
import { createEmbeddedCrm } from './system.js';
import { CRM_TASK_QUEUE } from './contract.js';
import { dataConverter } from '../platform/temporal/codec.js';
import { need, tracedWorkerOptions, type WorkerBase } from '../platform/temporal/worker.js';
import type { CrmDb } from '../../db/index.js';
import { slotOptions } from '../platform/temporal/slots.js';

/** `crm` queue: customer and manager routing in the CRM. Needs the crm database (embedded CRM). */
export function createCrmWorker(ctx: WorkerBase & { db: { crm?: CrmDb } }): Promise<Worker> {
  return Worker.create({
    ...tracedWorkerOptions(),
    connection: ctx.connection,
    namespace: ctx.config.temporal.namespace,
    dataConverter: dataConverter(ctx.config),
    taskQueue: CRM_TASK_QUEUE,
    activities: createCrmActivities({ crm: createEmbeddedCrm(need(ctx.db.crm, 'the crm database')) }),
    ...slotOptions(ctx.config, { activities: ctx.config.concurrency.crm, minimum: ctx.config.databasePoolSize }),
  });
}
