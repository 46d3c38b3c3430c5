/** Delivery of one partner webhook event, retried on its own so the order never waits for it. */
import { proxyActivities } from '@temporalio/workflow';
import type { WebhookActivities, WebhookResult } from '../activities/webhooks.js';
import { TASK_QUEUES, type WebhookDeliveryInput } from './order/contract.js';

/** About four hours of retries with backoff, then the delivery shows as Failed in the Web UI. */
const RETRY_WEBHOOK = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 30 } as const;

const webhooks = proxyActivities<WebhookActivities>({
  taskQueue: TASK_QUEUES.orders,
  startToCloseTimeout: '30s',
  retry: RETRY_WEBHOOK,
});

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookResult> {
  return webhooks.deliverWebhook(input);
}
