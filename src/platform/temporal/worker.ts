/** What every task-queue worker of the pipeline is built from and gives back. */
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Config } from '../config.js';
import type { BackgroundLoop } from '../event-outbox.js';
import { activityInterceptors, tracingEnabled, workflowSpanSinks } from '../tracing/index.js';

/** Config, a Temporal connection and, where workflows run, a pre-built bundle; a slice's worker adds the databases it needs. */
export interface WorkerBase {
  config: Config;
  connection: NativeConnection;
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
