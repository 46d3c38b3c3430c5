/**
 * Contract of the webhooks slice (partner webhooks): the event a partner receives, the delivery
 * workflow's input, type name and result. Safe in the workflow bundle.
 */
import type { PriorityClass } from '../domain/priority.js';
import type { OrderStatus } from '../domain/status.js';

/** Event sent to a partner's webhook on every status change of its order (and when it goes overdue). */
export interface WebhookEvent {
  /** Unique per event: `<orderId>:<n>`; receivers deduplicate on it. */
  id: string;
  type: 'order.status_changed' | 'order.overdue';
  occurredAt: string;
  order: {
    id: string;
    status: OrderStatus;
    priority: PriorityClass;
    externalRef?: string;
    partnerId?: string;
    trackingNumber?: string;
  };
}

/** Input of the webhook delivery workflow (one per event, retried on its own). */
export interface WebhookDeliveryInput {
  clientId: string;
  event: WebhookEvent;
}

export interface WebhookResult {
  delivered: boolean;
  status?: number;
  reason?: string;
}

/** Activities of webhook delivery (on the `orders` queue, which owns the shop database). */
export interface WebhookActivities {
  deliverWebhook(input: WebhookDeliveryInput): Promise<WebhookResult>;
}

/** Workflow type name of the delivery workflow (a child of the order, on the `orders` queue). */
export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDeliveryWorkflow';
/** Signature of the delivery workflow, for workflows that start it by its type name. */
export type WebhookDeliveryWorkflow = (input: WebhookDeliveryInput) => Promise<WebhookResult>;
