import { NativeConnection, type Worker } from '@temporalio/worker';
import type { SystemName, TemporalTls } from '../platform/config.js';
import { QUEUE_NAMES, type QueueName } from '../order/contract.js';
import type { BackgroundLoop } from '../platform/event-outbox.js';
import type { WorkerContext } from './context.js';
import { QUEUE_WORKERS } from './registry.js';

/** Parses `orders pricing …` or `all` into queue names; throws a readable error otherwise. */
export function parseQueues(args: readonly string[]): QueueName[] {
  if (args.length === 0 || args.includes('all')) return [...QUEUE_NAMES];
  const unknown = args.filter((a) => !(QUEUE_NAMES as string[]).includes(a));
  if (unknown.length > 0) {
    throw new Error(`unknown queue ${unknown.map((u) => `"${u}"`).join(', ')}; choose from ${QUEUE_NAMES.join(', ')} or all`);
  }
  return [...new Set(args)] as QueueName[];
}

/** Databases the given queues' workers need. */
export function databasesFor(queues: readonly QueueName[]): SystemName[] {
  return [...new Set(queues.map((q) => QUEUE_WORKERS[q].database).filter((d): d is SystemName => d !== undefined))];
}

export async function connectWorkers(target: { address: string; tls?: TemporalTls }): Promise<NativeConnection> {
  return NativeConnection.connect(target);
}

/** Builds one worker per queue; `run()` resolves once all of them have shut down. */
export async function createWorkers(ctx: WorkerContext, queues: readonly QueueName[]) {
  const workers: Worker[] = [];
  const background: BackgroundLoop[] = [];
  for (const q of queues) {
    const made = await QUEUE_WORKERS[q].create(ctx);
    if (Array.isArray(made)) workers.push(...made);
    else if ('background' in made) {
      workers.push(...made.workers);
      background.push(...made.background);
    } else workers.push(made);
  }
  let stopping: Promise<void> | undefined;
  const stopBackground = () => (stopping ??= Promise.all(background.map((b) => b.stop())).then(() => undefined));
  return {
    workers,
    /** Resolves once every worker has shut down and the loops beside them have stopped. */
    run: () =>
      Promise.all(workers.map((w) => w.run()))
        .finally(stopBackground)
        .then(() => undefined),
    shutdown: () => {
      void stopBackground();
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
