/**
 * Contract of the pricing slice: its task queue, the price step's input and result, and the quote
 * workflow (a price without an order). Safe in the workflow bundle.
 */
import type { OrderItem, OrderRequest } from '../domain/order.js';
import type { PriceBreakdown } from '../domain/pricing/index.js';
import type { StageMeta } from '../platform/activity-meta.js';

/** Task queue of the price engine's activities. */
export const PRICING_TASK_QUEUE = 'pricing';

/** Which cache level answered a price: a worker's memory, the shared table, or none (computed). */
export type CacheLevel = 'memory' | 'shared' | 'miss';

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

/** Activities of the `pricing` queue. */
export interface PricingActivities {
  priceOrder(input: PriceInput): Promise<PriceResult>;
}

/** Input of the quote workflow: price items without ordering. */
export interface QuoteInput {
  items: OrderRequest['items'];
  /** The partner asking, whose price list applies; absent for the shop and operators. */
  partnerId?: string;
}

/** Workflow type name of the quote workflow (on the `orders` queue, which runs every workflow). */
export const QUOTE_WORKFLOW_TYPE = 'quoteWorkflow';
/** Signature of the quote workflow, for clients that start it by its type name. */
export type QuoteWorkflow = (input: QuoteInput) => Promise<PriceResult>;
