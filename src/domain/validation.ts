import { findChoice, findOption, findProduct } from './catalog.js';
import { promiseDate } from './durations.js';
import type { OrderItem, OrderRequest } from './order.js';

/**
 * Latest due date a customer may ask for, counted from the order's creation: one year. Beyond
 * that a date is a typo or a probe (a year 9999 date cannot even be stored), and the promised-date
 * timers of the order would run for nothing.
 */
export const MAX_DUE_BY_AHEAD_MS = 365 * 24 * 60 * 60 * 1000;

/** A business rule an order breaks, with the JSON path of the offending field. */
export interface OrderIssue {
  path: string;
  message: string;
}

/**
 * Business validation of an order against the catalog: products exist, options are known,
 * quantities are within what the product can be made in, the due date is in the future and at
 * most MAX_DUE_BY_AHEAD_MS ahead. Returns every issue, not only the first, so a partner can fix
 * them all at once.
 *
 * With `timeScale` (PIPELINE_TIME_SCALE; the intake passes it) the due date must also leave the
 * time the order needs: lead time, production and transit, the date promised without a due date.
 * A nearer date could not be kept, and it would only make the order at risk at once and escalate
 * its priority (a partner order to the shop's class) by the customer's word alone.
 */
export function validateOrder(order: OrderRequest, now: Date, options: { timeScale?: number } = {}): OrderIssue[] {
  const issues = validateItems(order.items);
  if (order.dueBy) issues.push(...dueByIssues(order, now, options.timeScale, issues.length === 0));
  return issues;
}

function dueByIssues(order: OrderRequest, now: Date, timeScale: number | undefined, itemsValid: boolean): OrderIssue[] {
  const due = Date.parse(order.dueBy!);
  if (Number.isNaN(due)) return [{ path: 'dueBy', message: 'not a date' }];
  if (due <= now.getTime()) return [{ path: 'dueBy', message: 'the due date must be in the future' }];
  const latest = new Date(now.getTime() + MAX_DUE_BY_AHEAD_MS);
  if (due > latest.getTime()) {
    return [{ path: 'dueBy', message: `the due date may be at most one year ahead (${latest.toISOString()})` }];
  }
  // The lead time is only known for known products; their issues are reported instead.
  if (timeScale !== undefined && itemsValid) {
    const earliest = promiseDate({ createdAt: now, items: order.items, method: order.shipping.method, scale: timeScale });
    if (due < earliest.getTime()) {
      return [
        {
          path: 'dueBy',
          message: `the order needs its lead time, production and ${order.shipping.method} transit: the earliest due date is ${earliest.toISOString()}`,
        },
      ];
    }
  }
  return [];
}

/** The catalog rules for item lines alone (quotes, and the items of an order). */
export function validateItems(items: readonly OrderItem[]): OrderIssue[] {
  const issues: OrderIssue[] = [];
  items.forEach((item, i) => {
    const product = findProduct(item.sku);
    if (!product) {
      issues.push({ path: `items.${i}.sku`, message: `unknown product "${item.sku}"; see GET /v1/catalog` });
      return;
    }
    if (item.quantity < product.minQuantity || item.quantity > product.maxQuantity) {
      issues.push({
        path: `items.${i}.quantity`,
        message: `${product.sku} is made in quantities from ${product.minQuantity} to ${product.maxQuantity}`,
      });
    }
    for (const [name, value] of Object.entries(item.options ?? {})) {
      const option = findOption(product, name);
      if (!option) {
        issues.push({
          path: `items.${i}.options.${name}`,
          message: `${product.sku} has no option "${name}" (options: ${Object.keys(product.options).join(', ') || 'none'})`,
        });
      } else if (!findChoice(product, name, value)) {
        issues.push({
          path: `items.${i}.options.${name}`,
          message: `unknown value "${value}" for ${name} (values: ${Object.keys(option.values).join(', ')})`,
        });
      }
    }
  });
  return issues;
}
