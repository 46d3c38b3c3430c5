import type { NativeConnection, Worker } from '@temporalio/worker';
import type { CarrierDb, CrmDb, MesDb, PricingDb, ShopDb } from '../../db/index.js';
import type { Config } from '../platform/config.js';
import { activityInterceptors, tracingEnabled, workflowSpanSinks } from '../platform/tracing/index.js';
import type { BackgroundLoop } from '../platform/event-outbox.js';
import type { MesAdapter } from '../mes/system.js';

/** What a task-queue worker is built from: config, a Temporal connection and its system's database. */
export interface WorkerContext {
  config: Config;
  connection: NativeConnection;
  db: { shop?: ShopDb; crm?: CrmDb; mes?: MesDb; carrier?: CarrierDb; pricing?: PricingDb };
  /** Wraps the MES adapter the mes worker uses (a fault injected in tests, a real MES behind the same interface). */
  mes?: (embedded: MesAdapter) => MesAdapter;
  /** A pre-built workflow bundle (tests, images); else the orders worker bundles at start. */
  workflowBundlePath?: string | undefined;
}

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`worker needs ${what}`);
  return value;
}

/** The workers of one queue and the loops that run beside them in the same process (e.g. an embedded system's own work). */
export interface QueueWorkers {
  workers: Worker[];
  background: BackgroundLoop[];
}

/**
 * Options every worker of the pipeline is created with: while tracing exports spans, its
 * activities run in spans of the order's trace; workflow spans (of a bundle built with the
 * tracing interceptors) leave the sandbox through the tracing sink, which is always there.
 */
export function tracedWorkerOptions() {
  return { interceptors: { activity: tracingEnabled() ? activityInterceptors() : [] }, sinks: workflowSpanSinks() };
}
