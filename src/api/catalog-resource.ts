import type { z } from 'zod';
import { CATALOG, CURRENCY, VAT_BASIS_POINTS } from '../domain/catalog.js';
import type { CatalogSchema, NoExtraKeys } from './schemas.js';

/** The public catalog: products, their options with defaults, quantities and lead times. */
export function catalogResource() {
  return {
    currency: CURRENCY,
    vatPercent: VAT_BASIS_POINTS / 100,
    products: CATALOG.map((p) => ({
      sku: p.sku,
      name: p.name,
      description: p.description,
      minQuantity: p.minQuantity,
      maxQuantity: p.maxQuantity,
      leadTimeDays: p.leadTimeDays,
      options: Object.entries(p.options).map(([name, o]) => ({
        name,
        label: o.label,
        default: o.default,
        values: Object.entries(o.values).map(([value, v]) => ({ value, label: v.label })),
      })),
    })),
  } satisfies z.infer<typeof CatalogSchema>;
}

// The answer emits no key the schema would not document.
const catalogKeys: NoExtraKeys<ReturnType<typeof catalogResource>, z.output<typeof CatalogSchema>> = true;
void catalogKeys;
