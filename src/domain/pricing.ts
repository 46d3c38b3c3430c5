import { CURRENCY, VAT_BASIS_POINTS, findChoice, findProduct, resolveOptions, type Product } from './catalog.js';
import type { OrderItem } from './order.js';

/** Price of one item line, every amount in minor units. */
export interface PriceLine {
  sku: string;
  quantity: number;
  options: Record<string, string>;
  setupMinor: number;
  runMinor: number;
  discountPercent: number;
  totalMinor: number;
}

/** A price a person can check: each line, the subtotal, VAT and the total. */
export interface PriceBreakdown {
  currency: string;
  lines: PriceLine[];
  subtotalMinor: number;
  vatMinor: number;
  totalMinor: number;
}

export class PricingError extends Error {}

function discountFor(product: Product, quantity: number): number {
  let pct = 0;
  for (const b of product.quantityBreaks) if (quantity >= b.minQuantity) pct = Math.max(pct, b.discountPercent);
  return pct;
}

/** Prices one item: setup (with option setups) plus run cost per unit less the quantity break. */
export function priceItem(item: OrderItem): PriceLine {
  const product = findProduct(item.sku);
  if (!product) throw new PricingError(`unknown product "${item.sku}"`);
  const options = resolveOptions(product, item.options);
  let setupMinor = product.setupMinor;
  let unitMinor = product.unitMinor;
  for (const [name, value] of Object.entries(options)) {
    const choice = findChoice(product, name, value);
    if (!choice) throw new PricingError(`unknown value "${value}" for option "${name}" of ${product.sku}`);
    setupMinor += choice.setupSurchargeMinor ?? 0;
    unitMinor += choice.unitSurchargeMinor ?? 0;
  }
  const discountPercent = discountFor(product, item.quantity);
  // Integer arithmetic: (unit × qty × (100 − pct)) / 100, rounded half up once per line.
  const runMinor = Math.round((unitMinor * item.quantity * (100 - discountPercent)) / 100);
  return { sku: product.sku, quantity: item.quantity, options, setupMinor, runMinor, discountPercent, totalMinor: setupMinor + runMinor };
}

/** Prices a whole order. */
export function priceOrder(items: readonly OrderItem[]): PriceBreakdown {
  const lines = items.map(priceItem);
  const subtotalMinor = lines.reduce((s, l) => s + l.totalMinor, 0);
  const vatMinor = Math.round((subtotalMinor * VAT_BASIS_POINTS) / 10_000);
  return { currency: CURRENCY, lines, subtotalMinor, vatMinor, totalMinor: subtotalMinor + vatMinor };
}
