import type { NativeConnection } from '@temporalio/worker';
import type { CarrierDb, CrmDb, MesDb, PricingDb, ShopDb } from '../../db/index.js';
import type { Config } from '../config.js';
import { activityInterceptors, workflowSpanSinks } from '../tracing/index.js';

/** What a task-queue worker is built from: config, a Temporal connection and its system's database. */
export interface WorkerContext {
  config: Config;
  connection: NativeConnection;
  db: { shop?: ShopDb; crm?: CrmDb; mes?: MesDb; carrier?: CarrierDb; pricing?: PricingDb };
  /** A pre-built workflow bundle (tests, images); else the orders worker bundles at start. */
  workflowBundlePath?: string | undefined;
}

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`worker needs ${what}`);
  return value;
}

/**
 * Options every worker of the pipeline is created with: its activities run in spans of the
 * order's trace, and workflow spans leave the sandbox through the tracing sink.
 */
export function tracedWorkerOptions() {
  return { interceptors: { activity: activityInterceptors() }, sinks: workflowSpanSinks() };
}
