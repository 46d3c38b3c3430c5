import { findChoice, findProduct, resolveOptions } from './catalog.js';
import type { OrderItem, ShippingMethod } from './order.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Carrier transit time per shipping method, unscaled. */
export const TRANSIT_MS: Record<ShippingMethod, number> = {
  courier: 8 * HOUR,
  post: 2 * DAY,
  pickup: 1 * HOUR,
};

/**
 * Every simulated or promised duration passes through here: `scale` is PIPELINE_TIME_SCALE,
 * so tests and demos run the real logic in seconds.
 */
export function scaled(ms: number, scale: number): number {
  return Math.max(1, Math.round(ms * scale));
}

/** Machine time to produce the items: setup per line plus run time, options included. */
export function productionMs(items: readonly OrderItem[]): number {
  let minutes = 0;
  for (const item of items) {
    const product = findProduct(item.sku);
    if (!product) continue;
    minutes += product.setupMinutes + item.quantity / product.unitsPerMinute;
    for (const [name, value] of Object.entries(resolveOptions(product, item.options))) {
      const extra = findChoice(product, name, value)?.extraMinutesPerThousand ?? 0;
      minutes += (extra * item.quantity) / 1000;
    }
  }
  return Math.round(minutes * MINUTE);
}

/** Planning lead time of an order: the longest lead time of its products. */
export function leadTimeMs(items: readonly OrderItem[]): number {
  let days = 0;
  for (const item of items) days = Math.max(days, findProduct(item.sku)?.leadTimeDays ?? 0);
  return days * DAY;
}

/**
 * The date the pipeline promises: the customer's due date when given, else now plus lead time,
 * production and transit, all scaled.
 */
export function promiseDate(input: { createdAt: Date; items: readonly OrderItem[]; method: ShippingMethod; dueBy?: string | undefined; scale: number }): Date {
  if (input.dueBy) return new Date(input.dueBy);
  const ms = leadTimeMs(input.items) + productionMs(input.items) + TRANSIT_MS[input.method];
  return new Date(input.createdAt.getTime() + scaled(ms, input.scale));
}
