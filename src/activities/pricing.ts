import { ApplicationFailure } from '@temporalio/activity';
import type { OrderItem } from '../domain/order.js';
import { PricingError, priceOrder, type PriceBreakdown } from '../domain/pricing.js';
import { recordPricing, recordPricingCacheHit, secondsSince } from '../metrics/registry.js';
import { stageMeta, type StageMeta } from './meta.js';

export interface PriceInput {
  orderId: string;
  items: OrderItem[];
}
export interface PriceResult extends StageMeta {
  price: PriceBreakdown;
}

/** Failure type when the order cannot be priced (not retried). */
export const UNPRICEABLE = 'Unpriceable';

/** A result that says it came from a cache (`cache: 'memory' | 'shared'`) counts as a cache hit. */
function countCacheHit(result: PriceResult): void {
  const cache = (result as { cache?: unknown }).cache;
  if (cache === 'memory' || cache === 'shared') recordPricingCacheHit(cache);
}

/** Activities of the `pricing` queue: the price engine. */
export function createPricingActivities() {
  return {
    async priceOrder(input: PriceInput): Promise<PriceResult> {
      const meta = stageMeta();
      const started = process.hrtime.bigint();
      try {
        const result: PriceResult = { ...meta, price: priceOrder(input.items) };
        recordPricing('ok', secondsSince(started));
        countCacheHit(result);
        return result;
      } catch (err) {
        if (err instanceof PricingError) {
          recordPricing('rejected', secondsSince(started));
          throw ApplicationFailure.nonRetryable(err.message, UNPRICEABLE);
        }
        recordPricing('error', secondsSince(started));
        throw err;
      }
    },
  };
}

export type PricingActivities = ReturnType<typeof createPricingActivities>;
