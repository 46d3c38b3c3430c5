import { describe, expect, it } from 'vitest';
import type { OrderRequest } from './order.js';
import { validateOrder } from './validation.js';

const NOW = new Date('2025-03-01T12:00:00Z');

function order(items: OrderRequest['items'], extra: Partial<OrderRequest> = {}): OrderRequest {
  return {
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    items,
    shipping: { method: 'pickup' },
    ...extra,
  };
}

describe('validateOrder', () => {
  it('finds nothing wrong with a valid order', () => {
    const issues = validateOrder(
      order(
        [
          { sku: 'BC-STD', quantity: 100, options: { paper: 'gloss-350', finish: 'foil' } },
          { sku: 'POS-A2', quantity: 1 },
        ],
        { dueBy: '2025-03-10T00:00:00Z' },
      ),
      NOW,
    );
    expect(issues).toEqual([]);
  });

  it('accepts the exact quantity bounds of a product', () => {
    // BC-STD is made in 50 … 100,000
    expect(validateOrder(order([{ sku: 'BC-STD', quantity: 50 }]), NOW)).toEqual([]);
    expect(validateOrder(order([{ sku: 'BC-STD', quantity: 100_000 }]), NOW)).toEqual([]);
  });

  it('reports an unknown sku with its index and name', () => {
    const issues = validateOrder(
      order([
        { sku: 'BC-STD', quantity: 100 },
        { sku: 'MUG-WHITE', quantity: 10 },
      ]),
      NOW,
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('items.1.sku');
    expect(issues[0]!.message).toContain('"MUG-WHITE"');
  });

  it('reports a quantity below the minimum', () => {
    // BC-STD minimum is 50
    const issues = validateOrder(order([{ sku: 'BC-STD', quantity: 49 }]), NOW);
    expect(issues).toEqual([{ path: 'items.0.quantity', message: 'BC-STD is made in quantities from 50 to 100000' }]);
  });

  it('reports a quantity above the maximum', () => {
    // BAN-PVC-2x1 maximum is 500
    const issues = validateOrder(
      order([
        { sku: 'POS-A2', quantity: 5 },
        { sku: 'BAN-PVC-2x1', quantity: 501 },
      ]),
      NOW,
    );
    expect(issues).toEqual([{ path: 'items.1.quantity', message: 'BAN-PVC-2x1 is made in quantities from 1 to 500' }]);
  });

  it('reports an option the product does not have', () => {
    const issues = validateOrder(order([{ sku: 'POS-A2', quantity: 10, options: { finish: 'foil' } }]), NOW);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('items.0.options.finish');
    expect(issues[0]!.message).toContain('no option "finish"');
    // lists the options the product does have
    expect(issues[0]!.message).toContain('options: paper');
  });

  it('reports an unknown value of a known option', () => {
    const issues = validateOrder(order([{ sku: 'BC-STD', quantity: 100, options: { paper: 'gold-leaf' } }]), NOW);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('items.0.options.paper');
    expect(issues[0]!.message).toContain('"gold-leaf"');
    expect(issues[0]!.message).toContain('matte-350, gloss-350, recycled-300');
  });

  it('reports a due date in the past, and one equal to now', () => {
    expect(validateOrder(order([{ sku: 'BC-STD', quantity: 100 }], { dueBy: '2025-02-28T12:00:00Z' }), NOW)).toEqual([
      { path: 'dueBy', message: 'the due date must be in the future' },
    ]);
    expect(validateOrder(order([{ sku: 'BC-STD', quantity: 100 }], { dueBy: NOW.toISOString() }), NOW)).toHaveLength(1);
    // one millisecond later is fine
    expect(validateOrder(order([{ sku: 'BC-STD', quantity: 100 }], { dueBy: '2025-03-01T12:00:00.001Z' }), NOW)).toEqual([]);
  });

  it('compares the due date with its offset applied', () => {
    // 13:30+02:00 is 11:30Z, before NOW (12:00Z)
    const issues = validateOrder(order([{ sku: 'BC-STD', quantity: 100 }], { dueBy: '2025-03-01T13:30:00+02:00' }), NOW);
    expect(issues.map((i) => i.path)).toEqual(['dueBy']);
  });

  it('reports every issue at once, in item order', () => {
    const issues = validateOrder(
      order(
        [
          { sku: 'NOPE', quantity: 1, options: { paper: 'whatever' } },
          { sku: 'FLY-A5', quantity: 10, options: { sides: '3', lamination: 'yes' } },
          { sku: 'BC-STD', quantity: 100 },
        ],
        { dueBy: '2020-01-01T00:00:00Z' },
      ),
      NOW,
    );
    // the unknown sku's options are not checked (there is nothing to check them against)
    expect(issues.map((i) => i.path)).toEqual(['items.0.sku', 'items.1.quantity', 'items.1.options.sides', 'items.1.options.lamination', 'dueBy']);
  });

  it('does not take inherited object properties for options or values', () => {
    const order = {
      customer: { name: 'Anna', email: 'anna@example.com' },
      items: [{ sku: 'BC-STD', quantity: 100, options: { paper: 'toString', constructor: 'x' } }],
      shipping: { method: 'pickup' as const },
    };
    const paths = validateOrder(order, new Date('2025-01-01T00:00:00Z')).map((i) => i.path);
    expect(paths).toEqual(['items.0.options.paper', 'items.0.options.constructor']);
  });
});
