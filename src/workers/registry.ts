import type { Worker } from '@temporalio/worker';
import type { SystemName } from '../platform/config.js';
import type { QueueName } from '../order/contract.js';
import type { QueueWorkers } from '../platform/temporal/worker.js';
import type { WorkerContext } from './context.js';
import { createCrmWorker } from '../crm/worker.js';
import { createMesWorker } from '../mes/worker.js';
import { createOrdersWorker } from './orders.js';
import { createPricingWorker } from '../pricing/worker.js';
import { createShippingWorker } from '../shipping/worker.js';

/** Per task queue: how to build its worker and which database it needs. */
export const QUEUE_WORKERS: Record<QueueName, { create: (ctx: WorkerContext) => Promise<Worker | Worker[] | QueueWorkers>; database?: SystemName }> = {
  orders: { create: createOrdersWorker, database: 'shop' },
  pricing: { create: createPricingWorker, database: 'pricing' },
  crm: { create: createCrmWorker, database: 'crm' },
  mes: { create: createMesWorker, database: 'mes' },
  shipping: { create: createShippingWorker, database: 'carrier' },
};
