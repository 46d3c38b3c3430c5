import { Worker } from '@temporalio/worker';
import { mesDeadLetters, mesOutbox } from './schema.js';
import { createMesActivities } from './activities.js';
import { createLogger } from '../platform/logger.js';
import { createOutboxSender, startLoop, type BackgroundLoop } from '../platform/event-outbox.js';
import { createEmbeddedMes, createLineController, type MesAdapter } from './system.js';
import { dataConverter } from '../platform/temporal/codec.js';
import { need, tracedWorkerOptions, type QueueWorkers, type WorkerBase } from '../platform/temporal/worker.js';
import type { MesDb } from '../../db/index.js';
import { MES_CONTROL_QUEUE, MES_TASK_QUEUE } from './contract.js';

/** How often the line controller looks for jobs to start or finish. */
const LINE_TICK_MS = 200;
/** How long a `produce` attempt that sees its job done waits for the API to complete it from the MES's event. */
const EVENT_GRACE_MS = 2000;

/**
 * `mes` queue: production. Each running `produce` activity is one job on one production line,
 * so the worker's activity concurrency is the plant's capacity (MES_CAPACITY). A second worker
 * in the same process serves quick MES requests on MES_CONTROL_QUEUE. The embedded MES's line
 * controller and, with MES_EVENTS_URL, the sender of its job events run beside them.
 */
/** The mes worker's part of the context: its database, and a wrapper of the MES adapter (a fault injected in tests, a real MES behind the same interface). */
export interface MesWorkerContext extends WorkerBase {
  db: { mes?: MesDb };
  mes?: (embedded: MesAdapter) => MesAdapter;
}

export async function createMesWorker(ctx: MesWorkerContext): Promise<QueueWorkers> {
  const db = need(ctx.db.mes, 'the mes database');
  const target = ctx.config.integrations.mes;
  const events = target.eventsUrl !== undefined;
  let lineLoop: BackgroundLoop | undefined;
  const activities = createMesActivities({
    // A submitted job goes on its line at once, not at the controller's next round.
    mes: (ctx.mes ?? ((m) => m))(createEmbeddedMes(db, { timeScale: ctx.config.timeScale, events, onSubmit: () => lineLoop?.wake() })),
    callbackSecret: ctx.config.integrations.callbackSecret,
    eventGraceMs: events ? EVENT_GRACE_MS : 0,
  });
  // The API completes an attempt from the MES's event; the attempt learns it on its next
  // heartbeat, so an attempt whose job is done heartbeats at once (at most one a second) and a
  // finished job frees its line at once. A job on its line heartbeats every 5 s.
  const common = {
    ...tracedWorkerOptions(),
    connection: ctx.connection,
    namespace: ctx.config.temporal.namespace,
    dataConverter: dataConverter(ctx.config),
    activities,
    maxHeartbeatThrottleInterval: '1s',
  };
  const workers = [
    await Worker.create({ ...common, taskQueue: MES_TASK_QUEUE, maxConcurrentActivityTaskExecutions: ctx.config.concurrency.mes }),
    // Cancel requests must not queue behind production jobs for a line.
    await Worker.create({ ...common, taskQueue: MES_CONTROL_QUEUE, maxConcurrentActivityTaskExecutions: 10 }),
  ];
  const log = createLogger(ctx.config.logLevel).child({ component: 'mes' });
  const background: BackgroundLoop[] = [];
  const send = target.eventsUrl
    ? createOutboxSender({
        db,
        table: mesOutbox,
        deadLetters: mesDeadLetters,
        system: 'mes',
        target: { ...target, eventsUrl: target.eventsUrl },
        log,
        sequenceOf: (event) => (event.job as { orderId?: string } | undefined)?.orderId,
      })
    : undefined;
  const sender = send ? startLoop('mes event sender', 500, async () => void (await send()), log) : undefined;
  const lines = createLineController(db, { events });
  lineLoop = startLoop(
    'mes line controller',
    LINE_TICK_MS,
    async () => {
      const moved = await lines();
      if (moved.started + moved.completed > 0) sender?.wake();
      // The next round when the next job's production time is up, not up to a tick later.
      return moved.nextFinishMs === undefined ? undefined : Math.max(20, moved.nextFinishMs);
    },
    log,
  );
  background.push(lineLoop);
  if (sender) background.push(sender);
  return { workers, background };
}
