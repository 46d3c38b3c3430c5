import { describe, expect, it } from 'vitest';
import { OrderRequestSchema } from './order.js';

const minimal = {
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  items: [{ sku: 'BC-STD', quantity: 100 }],
  shipping: { method: 'pickup' },
};

const address = { line1: 'Hauptstr. 1', postalCode: '10115', city: 'Berlin', country: 'DE' };

/** Paths of the issues of a body that must not parse. */
function issuePaths(body: unknown): PropertyKey[][] {
  const result = OrderRequestSchema.safeParse(body);
  expect(result.success).toBe(false);
  return result.success ? [] : result.error.issues.map((i) => i.path);
}

describe('OrderRequestSchema', () => {
  it('accepts the minimal pickup order unchanged', () => {
    const result = OrderRequestSchema.safeParse(minimal);
    expect(result.success).toBe(true);
    expect(result.data).toEqual(minimal);
  });

  it.each(['courier', 'post'])('requires an address for %s shipping', (method) => {
    const result = OrderRequestSchema.safeParse({ ...minimal, shipping: { method } });
    expect(result.success).toBe(false);
    expect(result.error!.issues).toHaveLength(1);
    expect(result.error!.issues[0]!.path).toEqual(['shipping', 'address']);
    expect(result.error!.issues[0]!.message).toBe(`an address is required for ${method} shipping`);
  });

  it('accepts courier shipping with an address', () => {
    const result = OrderRequestSchema.safeParse({ ...minimal, shipping: { method: 'courier', address } });
    expect(result.success).toBe(true);
  });

  it('rejects an unknown shipping method', () => {
    expect(issuePaths({ ...minimal, shipping: { method: 'drone' } })).toEqual([['shipping', 'method']]);
  });

  it('trims and lower-cases the email', () => {
    const result = OrderRequestSchema.parse({ ...minimal, customer: { name: '  Ada  ', email: '  Ada.Lovelace@Example.COM ' } });
    expect(result.customer.email).toBe('ada.lovelace@example.com');
    expect(result.customer.name).toBe('Ada');
  });

  it('rejects an invalid email', () => {
    expect(issuePaths({ ...minimal, customer: { name: 'Ada', email: 'ada-at-example.com' } })).toEqual([['customer', 'email']]);
  });

  it('rejects unknown keys at the top level and inside items', () => {
    expect(issuePaths({ ...minimal, discount: 50 })).toEqual([[]]);
    expect(issuePaths({ ...minimal, items: [{ sku: 'BC-STD', quantity: 100, priceMinor: 1 }] })).toEqual([['items', 0]]);
  });

  it.each([
    ['zero', 0],
    ['negative', -5],
    ['fractional', 2.5],
    ['above 1,000,000', 1_000_001],
    ['a numeric string', '100'],
  ])('rejects a %s quantity', (_label, quantity) => {
    expect(issuePaths({ ...minimal, items: [{ sku: 'BC-STD', quantity }] })).toEqual([['items', 0, 'quantity']]);
  });

  it('accepts a quantity of exactly 1,000,000', () => {
    expect(OrderRequestSchema.safeParse({ ...minimal, items: [{ sku: 'BC-STD', quantity: 1_000_000 }] }).success).toBe(true);
  });

  it('rejects an empty item list', () => {
    expect(issuePaths({ ...minimal, items: [] })).toEqual([['items']]);
  });

  it('allows 50 items but not 51', () => {
    const item = { sku: 'BC-STD', quantity: 100 };
    expect(OrderRequestSchema.safeParse({ ...minimal, items: Array.from({ length: 50 }, () => item) }).success).toBe(true);
    expect(issuePaths({ ...minimal, items: Array.from({ length: 51 }, () => item) })).toEqual([['items']]);
  });

  it.each(['de', 'DEU', 'D', ' DE'])('rejects the country code %j', (country) => {
    expect(issuePaths({ ...minimal, shipping: { method: 'post', address: { ...address, country } } })).toEqual([['shipping', 'address', 'country']]);
  });

  it('accepts ISO date-times with Z or an offset as dueBy', () => {
    for (const dueBy of ['2030-01-31T17:00:00Z', '2030-01-31T17:00:00.250+02:00']) {
      const result = OrderRequestSchema.safeParse({ ...minimal, dueBy });
      expect(result.success, dueBy).toBe(true);
      expect(result.data?.dueBy).toBe(dueBy);
    }
  });

  it.each(['2030-01-31', '31.01.2030', 'tomorrow', '2030-01-31 17:00:00'])('rejects the dueBy %j', (dueBy) => {
    expect(issuePaths({ ...minimal, dueBy })).toEqual([['dueBy']]);
  });
});
