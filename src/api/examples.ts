/**
 * The examples of the OpenAPI document, built with the same functions that build real answers
 * (initialOrderState, toOrderResource, priceOrder, catalogResource, signWebhook, encodeCursor);
 * test/openapi.test.ts validates every example against its schema. Route declarations
 * (src/api/routes/*.ts) reference them.
 */
import type { z } from 'zod';
import { encodeProduceCallback } from '../mes/produce-callback.js';
import { OrderRequestSchema, type OrderRequest } from '../domain/order.js';
import { priceOrder } from '../domain/pricing/index.js';
import { newOrderInput } from '../order/intake.js';
import { signWebhook } from '../platform/webhook-signature.js';
import { STAGES, initialOrderState } from '../order/contract.js';
import { catalogResource } from './catalog-resource.js';
import { encodeCursor } from './cursor.js';
import { ATTENTION_LIMIT, windowStart, type Dashboard } from './dashboard.js';
import { toOrderResource, type TraceLink } from './order-resource.js';
import { problemType } from './problem.js';
import type { CarrierEventBody, IntegrationAnswer, MesEventBody, OrderList, OrderResourceShape, QuoteRequestSchema } from './schemas.js';
import type { WebhookEvent } from '../webhooks/contract.js';

export const EXAMPLE_ORDER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
export const EXAMPLE_PARTNER_ORDER_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const EXAMPLE_CREATED = new Date('2025-03-03T09:15:00.000Z');
const at = (minutes: number) => new Date(EXAMPLE_CREATED.getTime() + minutes * 60_000).toISOString();
export const EXAMPLE_TRACKING = 'TRK3F9A1C7B2E4D';

export const shopOrderExample: OrderRequest = {
  customer: { name: 'Anna Schmidt', email: 'anna@example.com' },
  items: [{ sku: 'BC-STD', quantity: 100 }],
  shipping: { method: 'courier', address: { line1: 'Hauptstr. 1', postalCode: '10115', city: 'Berlin', country: 'DE' } },
};

export const partnerOrderExample: OrderRequest = {
  customer: { name: 'Jonas Weber', email: 'jonas.weber@acme.example', phone: '+49 30 1234567' },
  items: [
    { sku: 'FLY-A5', quantity: 2500, options: { paper: 'matte-170', sides: '2' } },
    { sku: 'BC-STD', quantity: 500, options: { finish: 'soft-touch' } },
  ],
  shipping: {
    method: 'post',
    address: { name: 'ACME Print Resale GmbH', line1: 'Industriestr. 12', postalCode: '50667', city: 'Köln', country: 'DE' },
  },
  dueBy: '2025-03-14T17:00:00+01:00',
  externalRef: 'PO-2025-0117',
  notes: 'Deliver to the loading dock.',
};

export const quoteExample: z.input<typeof QuoteRequestSchema> = {
  items: [
    { sku: 'BC-STD', quantity: 500, options: { paper: 'gloss-350', finish: 'soft-touch' } },
    { sku: 'POS-A2', quantity: 20 },
  ],
};

/** Every example of the document; those with trace links point at the Temporal Web UI of `trace`. */
export function apiExamples(trace: (id: string) => TraceLink) {
  const accepted = (orderId: string, order: OrderRequest, source: Parameters<typeof newOrderInput>[0]['source']) =>
    toOrderResource(
      initialOrderState(newOrderInput({ source, order: OrderRequestSchema.parse(order), timeScale: 1, orderId, createdAt: EXAMPLE_CREATED })),
      trace(orderId),
    );
  const received = accepted(EXAMPLE_ORDER_ID, shopOrderExample, { clientId: 'shop', kind: 'shop' });
  const partnerReceived = accepted(EXAMPLE_PARTNER_ORDER_ID, partnerOrderExample, { clientId: 'partner-acme', kind: 'partner', partnerId: 'acme' });

  const partnerPriced = {
    ...partnerReceived,
    price: priceOrder(partnerOrderExample.items),
    promisedBy: '2025-03-10T17:00:00.000Z',
  };
  const price = priceOrder(shopOrderExample.items);
  const deliveredAt = at(27 * 60);
  const stageMinutes = [0, 1, 2, 60, 24 * 60];
  const delivered: OrderResourceShape = {
    ...received,
    status: 'delivered',
    price,
    promisedBy: '2025-03-05T17:00:00.000Z',
    updatedAt: deliveredAt,
    timeline: STAGES.map((stage, seq) => ({
      seq,
      stage,
      status: 'completed' as const,
      startedAt: at(stageMinutes[seq]!),
      endedAt: stage === 'ship' ? deliveredAt : at(stageMinutes[seq + 1]! - 0.5),
      attempts: 1,
      priority: received.priority,
      queueWaitMs: 14,
      ...(stage === 'ship' ? { detail: `tracking ${EXAMPLE_TRACKING}, delivered ${deliveredAt}` } : {}),
    })),
    shipment: { trackingNumber: EXAMPLE_TRACKING, deliveredAt },
  };
  const cancelled: OrderResourceShape = {
    ...partnerPriced,
    status: 'cancelled',
    updatedAt: at(30),
    timeline: [
      { seq: 0, stage: 'accept', status: 'completed', startedAt: at(0), endedAt: at(0.1), attempts: 1, priority: partnerReceived.priority, queueWaitMs: 20 },
      { seq: 1, stage: 'price', status: 'completed', startedAt: at(0.1), endedAt: at(0.2), attempts: 1, priority: partnerReceived.priority, queueWaitMs: 35 },
      {
        seq: 2,
        stage: 'cancel',
        status: 'completed',
        startedAt: at(30),
        endedAt: at(30),
        attempts: 1,
        priority: partnerReceived.priority,
        detail: 'by partner-acme: artwork changed',
      },
    ],
  };
  const reprioritized: OrderResourceShape = {
    ...partnerPriced,
    status: 'in_production',
    priority: 'rush',
    updatedAt: at(95),
    timeline: [
      { seq: 0, stage: 'accept', status: 'completed', startedAt: at(0), endedAt: at(0.1), attempts: 1, priority: 'normal', queueWaitMs: 20 },
      { seq: 1, stage: 'price', status: 'completed', startedAt: at(0.1), endedAt: at(0.2), attempts: 1, priority: 'normal', queueWaitMs: 35 },
      { seq: 2, stage: 'route-to-crm', status: 'completed', startedAt: at(0.2), endedAt: at(0.4), attempts: 1, priority: 'normal', queueWaitMs: 18 },
      { seq: 3, stage: 'produce', status: 'running', startedAt: at(60), attempts: 1, priority: 'normal' },
      {
        seq: 4,
        stage: 'reprioritize',
        status: 'completed',
        startedAt: at(95),
        endedAt: at(95),
        attempts: 1,
        priority: 'rush',
        detail: 'Trade fair on Friday, the customer escalated (by ops-console)',
      },
    ],
  };
  const { timeline: _t, shipment: _s, ...summaryBase } = delivered;
  const list: OrderList = {
    data: [
      {
        id: summaryBase.id,
        channel: summaryBase.channel,
        status: summaryBase.status,
        priority: summaryBase.priority,
        customer: { name: summaryBase.customer.name, email: summaryBase.customer.email },
        items: summaryBase.items,
        shipping: summaryBase.shipping,
        price,
        totalMinor: price.totalMinor,
        promisedBy: summaryBase.promisedBy,
        createdAt: summaryBase.createdAt,
        updatedAt: summaryBase.updatedAt,
        trace: summaryBase.trace,
      },
    ],
    nextCursor: encodeCursor({ createdAt: '2025-03-03T09:15:00.000000Z', id: EXAMPLE_ORDER_ID }),
  };
  const webhookEvent: WebhookEvent = {
    id: `${EXAMPLE_PARTNER_ORDER_ID}:6`,
    type: 'order.status_changed',
    occurredAt: at(26 * 60),
    order: {
      id: EXAMPLE_PARTNER_ORDER_ID,
      status: 'shipped',
      priority: 'normal',
      externalRef: 'PO-2025-0117',
      partnerId: 'acme',
      trackingNumber: EXAMPLE_TRACKING,
    },
  };
  const webhookTimestamp = Math.floor(Date.parse(webhookEvent.occurredAt) / 1000);
  return {
    received,
    partnerReceived,
    delivered,
    cancelled,
    reprioritized,
    list,
    catalog: catalogResource(),
    quote: { price: priceOrder(quoteExample.items) },
    webhookEvent,
    webhookSignature: signWebhook('whsec_example_secret', webhookTimestamp, JSON.stringify(webhookEvent)),
    ...integrationExamples(),
    dashboard: dashboardExample(trace),
  };
}
export type Examples = ReturnType<typeof apiExamples>;

/** The integration events, signed with example secrets, and the answers they get. */
export function integrationExamples() {
  const jobId = 'job_3b241101-e2bb-4255-8caf-4136c566a962';
  const mesEvent: MesEventBody = {
    id: `${jobId}:completed`,
    type: 'job.completed',
    occurredAt: at(23 * 60),
    job: {
      id: jobId,
      orderId: EXAMPLE_ORDER_ID,
      status: 'done',
      startedAt: at(60),
      completedAt: at(23 * 60),
      callbackRef: encodeProduceCallback(
        {
          taskToken: 'CiQ3YzllNjY3OS03NDI1LTQwZGUtOTQ0Yi1lMDdmYzFmOTBhZTc=',
          workflowId: `order-${EXAMPLE_ORDER_ID}`,
          attempt: 1,
          queueWaitMs: 14,
          resubmitted: 0,
        },
        'example-callback-secret',
      ),
    },
  };
  const carrierEvent: CarrierEventBody = {
    id: 'shp_9b2c7e41-5a77-4c1f-b8a0-0d6f3c2e1a55:delivered',
    type: 'shipment.delivered',
    occurredAt: at(27 * 60),
    shipment: {
      id: 'shp_9b2c7e41-5a77-4c1f-b8a0-0d6f3c2e1a55',
      orderId: EXAMPLE_ORDER_ID,
      trackingNumber: EXAMPLE_TRACKING,
      status: 'delivered',
      deliveredAt: at(27 * 60),
    },
  };
  const sign = (secret: string, event: { occurredAt: string }) => signWebhook(secret, Math.floor(Date.parse(event.occurredAt) / 1000), JSON.stringify(event));
  const accepted: IntegrationAnswer = { eventId: mesEvent.id, accepted: true };
  const stale: IntegrationAnswer = {
    eventId: mesEvent.id,
    accepted: false,
    reason: 'stale: the production step is not waiting for this job any more (already completed, or a newer attempt runs)',
  };
  const unknown: IntegrationAnswer = { eventId: carrierEvent.id, accepted: false, reason: `unknown order ${EXAMPLE_ORDER_ID}` };
  const duplicate: IntegrationAnswer = { eventId: carrierEvent.id, accepted: true, duplicate: true };
  return {
    mesEvent,
    mesSignature: sign('mes-example-secret', mesEvent),
    carrierEvent,
    carrierSignature: sign('carrier-example-secret', carrierEvent),
    integrationAnswers: { accepted, stale, unknown, duplicate },
  };
}

/** A problem+json body as `problemDocument` writes it. */
export const problemExample = (status: number, slug: string, title: string, detail: string, instance: string, extra: Record<string, unknown> = {}) => ({
  type: problemType(slug),
  title,
  status,
  detail,
  instance,
  ...extra,
});

/** An answer of `GET /v1/dashboard` for a quiet morning. */
function dashboardExample(trace: (id: string) => TraceLink): Dashboard {
  const now = new Date('2025-03-03T09:41:27.000Z');
  const from = windowStart(now, '24h');
  const zero = { b2c: 0, b2b: 0 };
  const intervals = Array.from({ length: 24 }, (_, i) => {
    const busy = i >= 14;
    return {
      start: new Date(from.getTime() + i * 3_600_000).toISOString(),
      created: busy ? { b2c: 12 + i, b2b: 30 + 2 * i } : { b2c: 2, b2b: 5 },
      delivered: busy ? { b2c: 9 + i, b2b: 25 + i } : zero,
      endedOtherwise: i === 20 ? { b2c: 1, b2b: 0 } : zero,
    };
  });
  const sum = (kind: 'created' | 'delivered' | 'endedOtherwise', c: 'b2c' | 'b2b') => intervals.reduce((n, i) => n + i[kind][c], 0);
  const byStatus = [
    ['received', 1, 3],
    ['accepted', 0, 2],
    ['priced', 2, 4],
    ['routed', 3, 11],
    ['awaiting_production', 6, 19],
    ['in_production', 8, 27],
    ['produced', 1, 2],
    ['shipped', 14, 40],
    ['delivered', 4210, 11873],
    ['cancelled', 31, 12],
    ['rejected', 5, 19],
    ['failed', 0, 1],
  ] as const;
  const t = (samples: number, p50Ms: number | null, p95Ms: number | null) => ({ samples, p50Ms, p95Ms });
  return {
    generatedAt: now.toISOString(),
    window: { name: '24h', from: from.toISOString(), interval: 'hour' },
    orders: {
      total: byStatus.reduce((n, [, a, b]) => n + a + b, 0),
      open: byStatus.slice(0, 7).reduce((n, [, a, b]) => n + a + b, 0),
      overdue: 1,
      atRisk: 2,
      byStatus: byStatus.map(([status, b2c, b2b]) => ({ status, b2c, b2b, total: b2c + b2b })),
    },
    throughput: {
      intervals,
      totals: {
        created: { b2c: sum('created', 'b2c'), b2b: sum('created', 'b2b') },
        delivered: { b2c: sum('delivered', 'b2c'), b2b: sum('delivered', 'b2b') },
        endedOtherwise: { b2c: sum('endedOtherwise', 'b2c'), b2b: sum('endedOtherwise', 'b2b') },
      },
    },
    attention: {
      limit: ATTENTION_LIMIT,
      orders: [
        {
          id: EXAMPLE_PARTNER_ORDER_ID,
          channel: 'b2b',
          partnerId: 'acme',
          status: 'in_production',
          priority: 'high',
          promisedBy: '2025-03-03T08:00:00.000Z',
          overdueAt: '2025-03-03T08:00:00.000Z',
          atRiskAt: '2025-03-02T14:00:00.000Z',
          trace: trace(EXAMPLE_PARTNER_ORDER_ID),
        },
        {
          id: EXAMPLE_ORDER_ID,
          channel: 'b2c',
          status: 'shipped',
          priority: 'rush',
          promisedBy: '2025-03-03T16:00:00.000Z',
          atRiskAt: '2025-03-03T09:12:00.000Z',
          trace: trace(EXAMPLE_ORDER_ID),
        },
      ],
    },
    stages: [
      { stage: 'accept', ...t(512, 41.5, 118) },
      { stage: 'price', ...t(509, 187, 1_620) },
      { stage: 'route-to-crm', ...t(509, 93.2, 402) },
      { stage: 'produce', ...t(488, 3_420_000, 10_900_000) },
      { stage: 'ship', ...t(456, 28_300_000, 30_100_000) },
    ],
    queueWait: [
      { stage: 'accept', b2c: t(160, 4.36, 15.5), b2b: t(352, 5.19, 24.7) },
      { stage: 'price', b2c: t(158, 6.17, 41.5), b2b: t(351, 9.51, 187) },
      { stage: 'route-to-crm', b2c: t(158, 3.67, 11.3), b2b: t(351, 4.36, 17.4) },
      { stage: 'produce', b2c: t(151, 52_000, 1_210_000), b2b: t(337, 412_000, 5_130_000) },
      { stage: 'ship', b2c: t(140, 4.76, 14.2), b2b: t(316, 5.66, 19) },
      { stage: 'all', b2c: t(767, 5.19, 198_000), b2b: t(1_707, 6.73, 1_620_000) },
    ],
    percentileRelativeError: 0.0443,
    taskQueues: [
      { queue: 'orders', workflowBacklog: 0, activityBacklog: 0, workers: 2 },
      { queue: 'pricing', workflowBacklog: 0, activityBacklog: 3, workers: 2 },
      { queue: 'crm', workflowBacklog: 0, activityBacklog: 0, workers: 1 },
      { queue: 'mes', workflowBacklog: 0, activityBacklog: 37, workers: 1 },
      { queue: 'shipping', workflowBacklog: 0, activityBacklog: 0, workers: 1 },
    ],
  };
}
