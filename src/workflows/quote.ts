/** A price quote without an order: the same price engine on the `pricing` queue as orders use. */
import { proxyActivities } from '@temporalio/workflow';
import type { PricingActivities, PriceResult } from '../activities/pricing.js';
import { TASK_QUEUES, type QuoteInput } from './order/contract.js';

const pricing = proxyActivities<PricingActivities>({
  taskQueue: TASK_QUEUES.pricing,
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: ['Unpriceable'] },
});

export async function quoteWorkflow(input: QuoteInput): Promise<PriceResult> {
  return pricing.priceOrder({ orderId: 'quote', items: input.items, ...(input.partnerId ? { partnerId: input.partnerId } : {}) });
}
