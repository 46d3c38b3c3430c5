import { ApplicationFailure } from '@temporalio/activity';
import type { OrderItem } from '../domain/order.js';
import { PricingError, priceOrder, type PriceBreakdown } from '../domain/pricing.js';
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

/** Activities of the `pricing` queue: the price engine. */
export function createPricingActivities() {
  return {
    async priceOrder(input: PriceInput): Promise<PriceResult> {
      const meta = stageMeta();
      try {
        return { ...meta, price: priceOrder(input.items) };
      } catch (err) {
        if (err instanceof PricingError) throw ApplicationFailure.nonRetryable(err.message, UNPRICEABLE);
        throw err;
      }
    },
  };
}

export type PricingActivities = ReturnType<typeof createPricingActivities>;
