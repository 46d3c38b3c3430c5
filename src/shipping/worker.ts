import { Worker } from '@temporalio/worker';
import { carrierDeadLetters, carrierOutbox } from './schema.js';
import { createShippingActivities } from './activities.js';
import { createLogger } from '../platform/logger.js';
import { createOutboxSender, startLoop, type BackgroundLoop } from '../platform/event-outbox.js';
import { createDeliverySimulator, createEmbeddedCarrier } from './system.js';
import { SHIPPING_TASK_QUEUE } from './contract.js';
import { dataConverter } from '../platform/temporal/codec.js';
import { need, tracedWorkerOptions, type QueueWorkers, type WorkerBase } from '../platform/temporal/worker.js';
import type { CarrierDb } from '../../db/index.js';
import { slotOptions } from '../platform/temporal/slots.js';

/** How often the delivery simulator looks for shipments that have arrived. */
const DELIVERY_TICK_MS = 200;

/**
 * `shipping` queue: carrier booking and delivery confirmation. Needs the carrier database. The
 * embedded carrier's delivery simulator and, with CARRIER_EVENTS_URL, the sender of its
 * shipment events run beside it.
 */
export async function createShippingWorker(ctx: WorkerBase & { db: { carrier?: CarrierDb } }): Promise<QueueWorkers> {
  const db = need(ctx.db.carrier, 'the carrier database');
  const target = ctx.config.integrations.carrier;
  const events = target.eventsUrl !== undefined;
  const worker = await Worker.create({
    ...tracedWorkerOptions(),
    connection: ctx.connection,
    namespace: ctx.config.temporal.namespace,
    dataConverter: dataConverter(ctx.config),
    taskQueue: SHIPPING_TASK_QUEUE,
    activities: createShippingActivities({
      carrier: createEmbeddedCarrier(db, { timeScale: ctx.config.timeScale, events }),
      carrierEvents: events,
    }),
    ...slotOptions(ctx.config, { activities: ctx.config.concurrency.shipping, minimum: ctx.config.databasePoolSize }),
  });
  const log = createLogger(ctx.config.logLevel).child({ component: 'carrier' });
  const background: BackgroundLoop[] = [];
  const send = target.eventsUrl
    ? createOutboxSender({
        db,
        table: carrierOutbox,
        deadLetters: carrierDeadLetters,
        system: 'carrier',
        target: { ...target, eventsUrl: target.eventsUrl },
        log,
        sequenceOf: (event) => (event.shipment as { orderId?: string } | undefined)?.orderId,
      })
    : undefined;
  const sender = send ? startLoop('carrier event sender', 500, async () => void (await send()), log) : undefined;
  const deliver = createDeliverySimulator(db, { events });
  background.push(
    startLoop(
      'carrier delivery simulator',
      DELIVERY_TICK_MS,
      async () => {
        if ((await deliver()) > 0) sender?.wake();
      },
      log,
    ),
  );
  if (sender) background.push(sender);
  return { workers: [worker], background };
}
