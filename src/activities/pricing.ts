import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Priority } from '@temporalio/common';
import type { OrderItem } from '../domain/order.js';
import { PricingError, type PriceBreakdown } from '../domain/pricing/index.js';
import { PRIORITY_KEYS } from '../domain/priority.js';
import { createPricingService, type CacheLevel, type PricingService } from '../systems/pricing/index.js';
import { recordPricing, recordPricingCacheHit, secondsSince } from '../metrics/registry.js';
import { stageMeta, type StageMeta } from './meta.js';

export interface PriceInput {
  orderId: string;
  items: OrderItem[];
  /** The partner ordering (its price list); else taken from the task's fairness key. */
  partnerId?: string;
  /** Price as a rush order; else whether the task runs at the `rush` priority. */
  rush?: boolean;
}
export interface PriceResult extends StageMeta {
  price: PriceBreakdown;
  /** Which cache level answered: this worker's memory, the shared table, or none (computed). */
  cache?: CacheLevel;
}

/** Failure type when the order cannot be priced (not retried). */
export const UNPRICEABLE = 'Unpriceable';

const PARTNER_KEY = /^partner:(.+)$/;

/**
 * Partner and rush of an order whose workflow does not pass them: the order workflow schedules
 * every step with the order's current priority class and its partner's fairness key
 * (src/domain/priority.ts `taskPriority`), so the task itself carries both.
 */
export function pricingContextOfTask(priority: Priority | undefined): { partnerId?: string; rush: boolean } {
  const partner = priority?.fairnessKey ? PARTNER_KEY.exec(priority.fairnessKey)?.[1] : undefined;
  return { ...(partner ? { partnerId: partner } : {}), rush: priority?.priorityKey === PRIORITY_KEYS.rush };
}

/** Activities of the `pricing` queue: the price engine behind the pricing service's caches. */
export function createPricingActivities(deps: { pricing?: PricingService } = {}) {
  const pricing = deps.pricing ?? createPricingService();
  return {
    async priceOrder(input: PriceInput): Promise<PriceResult> {
      const meta = stageMeta();
      const task = pricingContextOfTask(Context.current().info.priority);
      const partnerId = input.partnerId ?? task.partnerId;
      const rush = input.rush ?? task.rush;
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
