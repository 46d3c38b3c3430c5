import { ApplicationFailure } from '@temporalio/activity';
import { PricingError } from '../domain/pricing/index.js';
import { createPricingService, type PricingService } from './system.js';
import { UNPRICEABLE, type PriceInput, type PriceResult, type PricingActivities } from './contract.js';
import { recordPricing, recordPricingCacheHit, secondsSince } from '../platform/metrics/registry.js';
import { stageMeta } from '../platform/activity-meta.js';

/** Activities of the `pricing` queue: the price engine behind the pricing service's caches. */
export function createPricingActivities(deps: { pricing?: PricingService } = {}): PricingActivities {
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
