import { findChoice, findOption, findProduct } from './catalog.js';
import type { OrderItem, OrderRequest } from './order.js';

/** A business rule an order breaks, with the JSON path of the offending field. */
export interface OrderIssue {
  path: string;
  message: string;
}

/**
 * Business validation of an order against the catalog: products exist, options are known,
 * quantities are within what the product can be made in, the due date is in the future.
 * Returns every issue, not only the first, so a partner can fix them all at once.
 */
export function validateOrder(order: OrderRequest, now: Date): OrderIssue[] {
  const issues = validateItems(order.items);
  if (order.dueBy && Date.parse(order.dueBy) <= now.getTime()) {
    issues.push({ path: 'dueBy', message: 'the due date must be in the future' });
  }
  return issues;
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
