import { describe, expect, it } from 'vitest';
import { priceItem, priceOrder, PricingError } from '../../src/domain/pricing.js';

describe('price calculation (hand-computed)', () => {
  it('prices 100 business cards with default options', () => {
    // setup 15.00; run 100 × (6 + 2 for two sides) cents = 8.00; no quantity break
    const line = priceItem({ sku: 'BC-STD', quantity: 100 });
    expect(line).toMatchObject({ setupMinor: 1500, runMinor: 800, discountPercent: 0, totalMinor: 2300 });
    expect(line.options).toEqual({ paper: 'matte-350', sides: '2', finish: 'none' });
  });

  it('applies option surcharges, option setup and the quantity break', () => {
    // 1,000 cards, gloss (+1), two sides (+2), foil (+9, setup +40.00): unit 18 cents
    // run = 18 × 1000 × 80 % = 14,400; setup = 1,500 + 4,000 = 5,500
    const line = priceItem({ sku: 'BC-STD', quantity: 1000, options: { paper: 'gloss-350', finish: 'foil' } });
    expect(line).toMatchObject({ setupMinor: 5500, runMinor: 14_400, discountPercent: 20, totalMinor: 19_900 });
  });

  it('adds VAT once over the subtotal, rounding half up', () => {
    // 2,300 + posters: 3 × 180 = 540 + setup 2,500 = 3,040 → subtotal 5,340; VAT 19 % = 1,014.6 → 1,015
    const price = priceOrder([
      { sku: 'BC-STD', quantity: 100 },
      { sku: 'POS-A2', quantity: 3 },
    ]);
    expect(price).toMatchObject({ currency: 'EUR', subtotalMinor: 5340, vatMinor: 1015, totalMinor: 6355 });
    expect(price.lines).toHaveLength(2);
  });

  it('refuses unknown products and option values', () => {
    expect(() => priceItem({ sku: 'NOPE', quantity: 1 })).toThrow(PricingError);
    expect(() => priceItem({ sku: 'BC-STD', quantity: 100, options: { paper: 'gold-leaf' } })).toThrow(/gold-leaf/);
  });
});
