/** A price quote without an order: the same price engine on the `pricing` queue as orders use. */
import { proxyActivities } from '@temporalio/workflow';
import { PRICING_TASK_QUEUE, type PricingActivities, type PriceResult, type QuoteInput, type QuoteWorkflow } from './contract.js';

const pricing = proxyActivities<PricingActivities>({
  taskQueue: PRICING_TASK_QUEUE,
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: ['Unpriceable'] },
});

export async function quoteWorkflow(input: QuoteInput): Promise<PriceResult> {
  return pricing.priceOrder({ orderId: 'quote', items: input.items, ...(input.partnerId ? { partnerId: input.partnerId } : {}) });
}

/** Clients start the workflow by its type name (QUOTE_WORKFLOW_TYPE): its signature is the contract's. */
const _matchesContract: QuoteWorkflow = quoteWorkflow;
