import { ApplicationFailure } from '@temporalio/activity';
import type { OrderItem } from '../domain/order.js';
import { PricingError, type PriceBreakdown } from '../domain/pricing/index.js';
import { createPricingService, type CacheLevel, type PricingService } from '../systems/pricing/index.js';
import { recordPricing, recordPricingCacheHit, secondsSince } from '../metrics/registry.js';
import { stageMeta, type StageMeta } from './meta.js';

export interface PriceInput {
  orderId: string;
  items: OrderItem[];
  /** The partner ordering (its price list); none: the shop's prices. */
  partnerId?: string;
  /** Price as a rush order (asked for by the customer or an operator); default no. */
  rush?: boolean;
}
export interface PriceResult extends StageMeta {
  price: PriceBreakdown;
  /** Which cache level answered: this worker's memory, the shared table, or none (computed). */
  cache?: CacheLevel;
}

/** Failure type when the order cannot be priced (not retried). */
export const UNPRICEABLE = 'Unpriceable';

/** Activities of the `pricing` queue: the price engine behind the pricing service's caches. */
export function createPricingActivities(deps: { pricing?: PricingService } = {}) {
  const pricing = deps.pricing ?? createPricingService();
  return {
    async priceOrder(input: PriceInput): Promise<PriceResult> {
      const meta = stageMeta();
      const { partnerId, rush = false } = input;
      const started = process.hrtime.bigint();
      try {
        const { price, cache } = await pricing.price(input.items, { ...(partnerId ? { partnerId } : {}), rush });
        recordPricing('ok', secondsSince(started));
        if (cache === 'memory' || cache === 'shared') recordPricingCacheHit(cache);
        return { ...meta, price, cache };
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
