import { Worker } from '@temporalio/worker';
import { createOrdersQueueActivities } from '../activities/index.js';
import { ORDER_TASK_QUEUE } from '../order/contract.js';
import { WORKFLOWS_PATH, WORKFLOW_INTERCEPTOR_MODULES, bundlerOptions } from '../workflows/bundle.js';
import { tracingEnabled } from '../platform/tracing/index.js';
import { dataConverter } from '../platform/temporal/codec.js';
import { need, tracedWorkerOptions } from '../platform/temporal/worker.js';
import { slotOptions } from '../platform/temporal/slots.js';
import type { WorkerContext } from './context.js';

/**
 * `orders` queue: the order, quote and webhook workflows, acceptance, the shop projection and
 * webhook delivery. Needs the shop database.
 */
export function createOrdersWorker(ctx: WorkerContext): Promise<Worker> {
  const traced = tracedWorkerOptions();
  return Worker.create({
    ...traced,
    connection: ctx.connection,
    namespace: ctx.config.temporal.namespace,
    dataConverter: dataConverter(ctx.config),
    taskQueue: ORDER_TASK_QUEUE,
    // A pre-built bundle carries the workflow interceptors; bundling here adds them.
    ...(ctx.workflowBundlePath
      ? { workflowBundle: { codePath: ctx.workflowBundlePath } }
      : {
          workflowsPath: WORKFLOWS_PATH,
          bundlerOptions,
          interceptors: { ...traced.interceptors, workflowModules: tracingEnabled() ? WORKFLOW_INTERCEPTOR_MODULES : [] },
        }),
    activities: createOrdersQueueActivities({ shop: need(ctx.db.shop, 'the shop database'), allowPrivateTargets: ctx.config.webhooks.allowPrivateTargets }),
    ...slotOptions(ctx.config, {
      activities: ctx.config.concurrency.orders,
      workflowTasks: Math.min(ctx.config.concurrency.orders, 50),
      // Acceptance, projection writes and webhook calls wait on the shop database and the network, not the CPU;
      // the workflow-task floor keeps that many tasks' round trips to the server overlapping on a busy machine.
      minimum: ctx.config.databasePoolSize,
    }),
    maxCachedWorkflows: ctx.config.maxCachedWorkflows,
  });
}
