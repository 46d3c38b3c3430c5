/**
 * Contract of the order slice: the order workflow's task queue, ids, input, state, signals,
 * updates, queries and failure types; everything the API, CLI, workers and tests share about it.
 * Imports nothing with side effects, so it is safe in the workflow bundle and anywhere else.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Channel, OrderRequest } from '../domain/order.js';
import type { PriceBreakdown } from '../domain/pricing/index.js';
import type { PriorityClass } from '../domain/priority.js';
import type { IntegrationSource, OrderStatus, Stage } from '../domain/status.js';
import type { CarrierEvent } from '../shipping/contract.js';
import { SHIPPING_TASK_QUEUE } from '../shipping/contract.js';
import { CRM_TASK_QUEUE } from '../crm/contract.js';
import { MES_TASK_QUEUE } from '../mes/contract.js';
import { PRICING_TASK_QUEUE } from '../pricing/contract.js';

export { isOrderId, orderWorkflowId, parseOrderWorkflowId } from '../domain/order-id.js';
export { STAGES, type IntegrationSource, type Stage } from '../domain/status.js';
export { SEARCH_ATTRIBUTES } from '../platform/temporal/search-attributes.js';

/** Task queue of the order, quote and webhook workflows, acceptance and the shop projection. */
export const ORDER_TASK_QUEUE = 'orders';

/** The pipeline's task queues, one per worker kind and in pipeline order; each scales on its own. */
export const TASK_QUEUES = {
  orders: ORDER_TASK_QUEUE,
  pricing: PRICING_TASK_QUEUE,
  crm: CRM_TASK_QUEUE,
  mes: MES_TASK_QUEUE,
  shipping: SHIPPING_TASK_QUEUE,
} as const;
/** Name of one of the pipeline's task queues. */
export type QueueName = keyof typeof TASK_QUEUES;
/** All queue names, in pipeline order. */
export const QUEUE_NAMES = Object.keys(TASK_QUEUES) as QueueName[];

/** Workflow type name as registered on the `orders` worker. */
export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';

/** Input of the order workflow, fixed at intake. */
export interface OrderWorkflowInput {
  orderId: string;
  channel: Channel;
  partnerId?: string;
  /** API client that placed the order. */
  clientId: string;
  /** Send every status change to the client's webhook. */
  notify?: boolean;
  order: OrderRequest;
  /** ISO time the API acknowledged the order. */
  createdAt: string;
  priority: PriorityClass;
  /** Share of a backlog against other partners' orders at the same priority (from the client's tier). */
  fairnessWeight?: number;
  /** PIPELINE_TIME_SCALE at intake, so an order's promised date does not move with later config. */
  timeScale: number;
  /** SLA_AT_RISK_SHARE at intake: share of the promised time after which the order escalates. */
  atRiskShare?: number;
  /**
   * CARRIER_EVENT_GRACE_SECONDS at intake, in ms: how long past the expected delivery the order
   * waits for the carrier's `shipment.delivered` event before asking the carrier itself (0 if absent).
   */
  carrierEventGraceMs?: number;
}

/** What a timeline entry records: a pipeline step, an action on the order, or a promised-date event. */
export type TimelineKind = Stage | 'cancel' | 'reprioritize' | 'escalate' | 'overdue';

/** One entry of an order's timeline: a stage with its timing, attempts and priority at the time. */
export interface TimelineEntry {
  seq: number;
  stage: TimelineKind;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  startedAt: string;
  endedAt?: string;
  /** Attempts the stage's last activity needed. */
  attempts: number;
  priority: PriorityClass;
  /** Milliseconds the stage's activity waited in its task queue before a worker took it. */
  queueWaitMs?: number;
  detail?: string;
}

/** Failure of an order that ended as `rejected` or `failed`. */
export interface OrderFailure {
  stage: Stage;
  type: string;
  message: string;
  issues?: { path: string; message: string }[];
}

/** Full state of one order, as the `status` query returns it. */
export interface OrderState {
  orderId: string;
  channel: Channel;
  partnerId?: string;
  clientId: string;
  status: OrderStatus;
  priority: PriorityClass;
  customer: OrderRequest['customer'];
  items: OrderRequest['items'];
  shipping: OrderRequest['shipping'];
  dueBy?: string;
  externalRef?: string;
  notes?: string;
  price?: PriceBreakdown;
  promisedBy?: string;
  createdAt: string;
  updatedAt: string;
  timeline: TimelineEntry[];
  crm?: { customerId: string; managerId: string; managerName: string };
  /** `startedAt`: when the job went on a line, and how the pipeline learnt it (`startSource`). */
  production?: { jobId: string; startedAt?: string; startSource?: IntegrationSource; completedAt?: string; source?: IntegrationSource };
  shipment?: { trackingNumber: string; deliveredAt?: string; source?: IntegrationSource };
  failure?: OrderFailure;
  /** Promised-date watch: when the order becomes at risk, whether it is, and when it went overdue. */
  sla?: { atRiskAt?: string; atRisk?: boolean; overdueAt?: string };
}

/** The state of an order that was just started, before any step has run. */
export function initialOrderState(input: OrderWorkflowInput): OrderState {
  const { order } = input;
  return {
    orderId: input.orderId,
    channel: input.channel,
    ...(input.partnerId ? { partnerId: input.partnerId } : {}),
    clientId: input.clientId,
    status: 'received',
    priority: input.priority,
    customer: order.customer,
    items: order.items,
    shipping: order.shipping,
    ...(order.dueBy ? { dueBy: order.dueBy } : {}),
    ...(order.externalRef ? { externalRef: order.externalRef } : {}),
    ...(order.notes ? { notes: order.notes } : {}),
    createdAt: input.createdAt,
    updatedAt: input.createdAt,
    timeline: [],
  };
}

/** Query: the order's full state at any time, running or closed. */
export const statusQuery = defineQuery<OrderState>('status');

/** A request to cancel an order. */
export interface CancelRequest {
  reason: string;
  /** Who asked: an API client id or an operator name. */
  by: string;
}

/** Update: cancel the order if it is not past the point of no return; returns the final state. */
export const cancelUpdate = defineUpdate<OrderState, [CancelRequest]>('cancel');
/** Signal of the same meaning, for `temporal workflow signal` users (refusals land in the timeline). */
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');

/**
 * Statuses from which an order can no longer be cancelled: production has finished (or the
 * order ended). While `awaiting_production` or `in_production`, the MES decides: a job not yet
 * on a line is cancelled.
 */
export const NOT_CANCELLABLE: readonly OrderStatus[] = ['produced', 'shipped', 'delivered', 'cancelled', 'rejected', 'failed'];

/** Failure type when a cancel comes too late. */
export const CANCEL_REFUSED = 'CancelRefused';

/** Failure type when the MES did not answer a cancel in time; the order goes on, the caller may retry. */
export const CANCEL_UNAVAILABLE = 'CancelUnavailable';

/** A request to change an order's priority. */
export interface ReprioritizeRequest {
  priority: PriorityClass;
  reason: string;
  /** Who asked: an API client id or an operator name. */
  by: string;
}

/** Update: change the priority of a live order (validated); returns the new state. */
export const reprioritizeUpdate = defineUpdate<OrderState, [ReprioritizeRequest]>('reprioritize');
/** Signal of the same meaning, for `temporal workflow signal` users. */
export const reprioritizeSignal = defineSignal<[ReprioritizeRequest]>('reprioritize');

/** Priority changes an order accepts by request (update or signal); later ones are refused. */
export const MAX_PRIORITY_CHANGES = 20;
/** Failure type when an order has had MAX_PRIORITY_CHANGES priority changes already. */
export const PRIORITY_CHANGE_LIMIT = 'PriorityChangeLimit';

/** The MES put the order's production job on a line (signal `productionStarted`). */
export interface ProductionStarted {
  jobId: string;
  /** ISO time the job went on its line. */
  startedAt: string;
  /** `webhook`: the MES's `job.started` event via the API; `polling`: the produce step saw it. */
  source: IntegrationSource;
  /** The MES's event id, when it came from an event. */
  eventId?: string;
}

/** Signal: the order's job is on a production line; the order goes from `awaiting_production` to `in_production`. */
export const productionStartedSignal = defineSignal<[ProductionStarted]>('productionStarted');

/** Failure type when the shop database refuses the order's data for good (the order ends `failed`). */
export const PROJECTION_REJECTED = 'ProjectionRejected';
/** Failure type when the order could not be recorded in the shop database for hours (the order ends `failed`). */
export const PROJECTION_UNAVAILABLE = 'ProjectionUnavailable';

/** Signal: the carrier reported on the order's shipment (sent by the API's carrier webhook). */
export const carrierEventSignal = defineSignal<[CarrierEvent]>('carrierEvent');

/** Failure type of a business rejection (not retried; the order ends `rejected`). */
export const ORDER_REJECTED = 'OrderRejected';
