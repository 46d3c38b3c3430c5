/** A valid order body using catalog products. */
export function sampleOrder(overrides: Partial<Record<string, unknown>> = {}) {
  return {
    customer: { name: 'Anna Schmidt', email: `anna.${Math.random().toString(36).slice(2, 8)}@example.com` },
    items: [{ sku: 'BC-STD', quantity: 100 }],
    shipping: {
      method: 'courier' as const,
      address: { line1: 'Hauptstr. 1', postalCode: '10115', city: 'Berlin', country: 'DE' },
    },
    ...overrides,
  };
}
