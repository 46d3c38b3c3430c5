import { Worker } from '@temporalio/worker';
import { createMesActivities } from '../activities/mes.js';
import { createEmbeddedMes } from '../systems/mes/index.js';
import { MES_CONTROL_QUEUE, TASK_QUEUES } from '../workflows/order/contract.js';
import { need, tracedWorkerOptions, type WorkerContext } from './context.js';

/**
 * `mes` queue: production. Each running `produce` activity is one job on one production line,
 * so the worker's activity concurrency is the plant's capacity (MES_CAPACITY). A second worker
 * in the same process serves quick MES requests on MES_CONTROL_QUEUE.
 */
export async function createMesWorker(ctx: WorkerContext): Promise<Worker[]> {
  const activities = createMesActivities({ mes: createEmbeddedMes(need(ctx.db.mes, 'the mes database'), { timeScale: ctx.config.timeScale }) });
  const common = { ...tracedWorkerOptions(), connection: ctx.connection, namespace: ctx.config.temporal.namespace, activities };
  return [
    await Worker.create({ ...common, taskQueue: TASK_QUEUES.mes, maxConcurrentActivityTaskExecutions: ctx.config.concurrency.mes }),
    // Cancel requests must not queue behind production jobs for a line.
    await Worker.create({ ...common, taskQueue: MES_CONTROL_QUEUE, maxConcurrentActivityTaskExecutions: 10 }),
  ];
}
