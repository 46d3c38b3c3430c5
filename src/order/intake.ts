/**
 * Starting an order: the one way an order enters the pipeline, shared by the API, the CLI
 * and tests. The workflow ID derives from the order id, so a second start is rejected.
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Channel, OrderRequest } from '../domain/order.js';
import { PRIORITY_KEYS, defaultPriority, taskPriority, type PriorityClass } from '../domain/priority.js';
import { DEFAULT_AT_RISK_SHARE } from '../domain/sla.js';
import { tierLimits } from '../domain/tiers.js';
import { SEARCH_ATTRIBUTES, TASK_QUEUES, orderWorkflowId, type OrderWorkflowInput } from './contract.js';
import { orderWorkflow } from './workflow/workflow.js';

/** Who places the order: decides channel and partner. */
export interface OrderSource {
  clientId: string;
  kind: 'shop' | 'partner' | 'operator';
  partnerId?: string;
  /** The client has a webhook: status changes are sent to it. */
  notify?: boolean;
  /** The client's tier (src/domain/tiers.ts): fairness weight and a partner's starting priority. */
  tier?: string;
}

/** The workflow input of a new order; `orderId` and `createdAt` may be fixed by the caller. */
export function newOrderInput(args: {
  source: OrderSource;
  order: OrderRequest;
  timeScale: number;
  orderId?: string;
  createdAt?: Date;
  priority?: PriorityClass;
  atRiskShare?: number;
  /** CARRIER_EVENT_GRACE_SECONDS in ms; absent = the order does not wait for the carrier's event past the expected delivery. */
  carrierEventGraceMs?: number;
}): OrderWorkflowInput {
  const channel: Channel = args.source.kind === 'partner' ? 'b2b' : 'b2c';
  const tier = tierLimits(args.source.tier ?? (channel === 'b2c' ? 'shop' : 'standard'));
  return {
    orderId: args.orderId ?? randomUUID(),
    channel,
    ...(args.source.partnerId ? { partnerId: args.source.partnerId } : {}),
    clientId: args.source.clientId,
    ...(args.source.notify ? { notify: true } : {}),
    order: args.order,
    createdAt: (args.createdAt ?? new Date()).toISOString(),
    priority: args.priority ?? defaultPriority(channel, tier.partnerPriority),
    fairnessWeight: tier.fairnessWeight,
    timeScale: args.timeScale,
    atRiskShare: args.atRiskShare ?? DEFAULT_AT_RISK_SHARE,
    ...(args.carrierEventGraceMs !== undefined ? { carrierEventGraceMs: args.carrierEventGraceMs } : {}),
  };
}

/** Starts the order's workflow; resolves once Temporal has durably recorded the start. */
export function startOrderWorkflow(temporal: Client, input: OrderWorkflowInput): Promise<WorkflowHandle> {
  return temporal.workflow.start(orderWorkflow, {
    taskQueue: TASK_QUEUES.orders,
    workflowId: orderWorkflowId(input.orderId),
    args: [input],
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    priority: taskPriority(input),
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.OrderStatus, value: 'received' },
      { key: SEARCH_ATTRIBUTES.Channel, value: input.channel },
      { key: SEARCH_ATTRIBUTES.OrderPriority, value: PRIORITY_KEYS[input.priority] },
      ...(input.order.externalRef ? [{ key: SEARCH_ATTRIBUTES.ExternalRef, value: input.order.externalRef }] : []),
      ...(input.partnerId ? [{ key: SEARCH_ATTRIBUTES.PartnerId, value: input.partnerId }] : []),
    ],
  });
}
