/** Delivery of one partner webhook event, retried on its own so the order never waits for it. */
import { proxyActivities } from '@temporalio/workflow';
import { ORDER_TASK_QUEUE } from '../order/contract.js';
import type { WebhookActivities, WebhookDeliveryInput, WebhookDeliveryWorkflow, WebhookResult } from './contract.js';

/** About four hours of retries with backoff, then the delivery shows as Failed in the Web UI. */
const RETRY_WEBHOOK = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 30 } as const;

const webhooks = proxyActivities<WebhookActivities>({
  taskQueue: ORDER_TASK_QUEUE,
  startToCloseTimeout: '30s',
  retry: RETRY_WEBHOOK,
});

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookResult> {
  return webhooks.deliverWebhook(input);
}

/** The order starts the workflow by its type name (WEBHOOK_DELIVERY_WORKFLOW_TYPE): its signature is the contract's. */
const _matchesContract: WebhookDeliveryWorkflow = webhookDeliveryWorkflow;
