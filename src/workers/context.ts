import type { CarrierDb, CrmDb, MesDb, PricingDb, ShopDb } from '../../db/index.js';
import type { WorkerBase } from '../platform/temporal/worker.js';
import type { MesWorkerContext } from '../mes/worker.js';

/** What the registry builds every queue's worker from: each slice's worker takes the part it needs. */
export interface WorkerContext extends WorkerBase {
  db: { shop?: ShopDb; crm?: CrmDb; mes?: MesDb; carrier?: CarrierDb; pricing?: PricingDb };
  mes?: MesWorkerContext['mes'];
}
