/**
 * Contract of the MES slice (the produce step): its task queues, the activities' inputs, results
 * and failure types. Safe in the workflow bundle.
 */
import type { OrderItem } from '../domain/order.js';
import type { IntegrationSource } from '../domain/status.js';
import type { StageMeta } from '../platform/activity-meta.js';

/** Task queue of the produce step's activities. */
export const MES_TASK_QUEUE = 'mes';

/**
 * Queue of quick MES requests (cancel a job), served by the mes worker process beside `mes`,
 * so that they never wait for a production slot.
 */
export const MES_CONTROL_QUEUE = 'mes-control';

/** Failure type when the MES cancelled the order's job (a cancel request withdrew it). */
export const PRODUCTION_CANCELLED = 'ProductionCancelled';

export interface ProduceInput {
  orderId: string;
  items: OrderItem[];
}
export interface ProduceResult extends StageMeta {
  jobId: string;
  /** When the job went on its line, as the MES reports it (absent when completed from an event that did not say). */
  startedAt?: string;
  completedAt: string;
  /** `webhook`: the API completed the attempt on the MES's `job.completed` event; `polling`: the attempt saw the job done itself. */
  source?: IntegrationSource;
  /** How often the job was submitted again because the MES had lost it. */
  resubmitted?: number;
}

/** Activities of the `mes` queue (produce) and the `mes-control` queue (cancel a job). */
export interface MesActivities {
  produce(input: ProduceInput): Promise<ProduceResult>;
  /** Asks the MES to withdraw the order's job; `cancelled` is false once it is on a line or done. */
  cancelProduction(input: { orderId: string }): Promise<{ cancelled: boolean; jobStatus: string }>;
}
