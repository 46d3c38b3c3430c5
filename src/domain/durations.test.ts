import { describe, expect, it } from 'vitest';
import { leadTimeMs, productionMs, promiseDate, scaled, TRANSIT_MS } from './durations.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('scaled', () => {
  it('multiplies and rounds to whole milliseconds', () => {
    expect(scaled(60_000, 1)).toBe(60_000);
    expect(scaled(60_000, 0.01)).toBe(600);
    // 1,234 × 0.5 = 617; 1,235 × 0.5 = 617.5 → 618; 1,233 × 0.1 = 123.3 → 123
    expect(scaled(1234, 0.5)).toBe(617);
    expect(scaled(1235, 0.5)).toBe(618);
    expect(scaled(1233, 0.1)).toBe(123);
    expect(scaled(1000, 3)).toBe(3000);
  });

  it('never returns less than 1 ms', () => {
    // 100 × 0.001 = 0.1 → 0 → 1
    expect(scaled(100, 0.001)).toBe(1);
    expect(scaled(0, 1)).toBe(1);
    // 2,000 × 0.001 = 2 stays 2
    expect(scaled(2000, 0.001)).toBe(2);
  });
});

describe('productionMs (hand-computed)', () => {
  it('is setup plus run time for 100 business cards', () => {
    // 15 min setup + 100 / 200 per min = 0.5 min → 15.5 min = 930,000 ms
    expect(productionMs([{ sku: 'BC-STD', quantity: 100 }])).toBe(930_000);
  });

  it('adds option minutes per thousand units', () => {
    // foil: 30 min per 1,000 → 30 × 100 / 1000 = 3 min; 15.5 + 3 = 18.5 min = 1,110,000 ms
    expect(productionMs([{ sku: 'BC-STD', quantity: 100, options: { finish: 'foil' } }])).toBe(1_110_000);
    // soft-touch at 2,000: 15 + 2000/200 = 10 + 10 × 2 = 20 → 45 min = 2,700,000 ms
    expect(productionMs([{ sku: 'BC-STD', quantity: 2000, options: { finish: 'soft-touch' } }])).toBe(2_700_000);
  });

  it('sums the lines, each with its own setup, and skips unknown products', () => {
    // BC-STD 100: 15.5 min; BAN-PVC-2x1 3 at 0.5/min: 20 + 6 = 26 min; NOPE: 0 → 41.5 min = 2,490,000 ms
    expect(
      productionMs([
        { sku: 'BC-STD', quantity: 100 },
        { sku: 'BAN-PVC-2x1', quantity: 3 },
        { sku: 'NOPE', quantity: 1000 },
      ]),
    ).toBe(2_490_000);
  });

  it('rounds to whole milliseconds', () => {
    // FLY-A5 1: 20 + 1/400 = 20.0025 min = 1,200,150 ms; STK-CIRC-50 1: 30 + 1/150 min = 1,800,000 + 400 ms
    expect(productionMs([{ sku: 'FLY-A5', quantity: 1 }])).toBe(1_200_150);
    expect(productionMs([{ sku: 'STK-CIRC-50', quantity: 1 }])).toBe(1_800_400);
  });
});

describe('leadTimeMs', () => {
  it('is the longest lead time of the products, not the sum', () => {
    // BC-STD 1 day, BRO-A4-16 4 days, POS-A2 2 days → 4 days
    expect(
      leadTimeMs([
        { sku: 'BC-STD', quantity: 100 },
        { sku: 'BRO-A4-16', quantity: 100 },
        { sku: 'POS-A2', quantity: 1 },
      ]),
    ).toBe(4 * DAY);
    expect(leadTimeMs([{ sku: 'NOPE', quantity: 1 }])).toBe(0);
  });
});

describe('promiseDate (hand-computed)', () => {
  const createdAt = new Date('2025-01-01T00:00:00Z');
  const items = [{ sku: 'BC-STD', quantity: 100 }];

  it('uses the due date when the customer gave one', () => {
    const date = promiseDate({ createdAt, items, method: 'post', dueBy: '2025-02-01T10:00:00+01:00', scale: 0.001 });
    expect(date.toISOString()).toBe('2025-02-01T09:00:00.000Z');
  });

  it('is createdAt plus lead time, production and transit at scale 1', () => {
    expect(TRANSIT_MS.post).toBe(2 * DAY);
    // lead 1 day (86,400,000) + production 930,000 + post 2 days (172,800,000) = 260,130,000 ms
    // = 3 days 15 min 30 s
    const date = promiseDate({ createdAt, items, method: 'post', scale: 1 });
    expect(date.toISOString()).toBe('2025-01-04T00:15:30.000Z');
  });

  it('scales the whole duration', () => {
    // 260,130,000 × 0.001 = 260,130 ms = 4 min 20.13 s
    const date = promiseDate({ createdAt, items, method: 'post', scale: 0.001 });
    expect(date.toISOString()).toBe('2025-01-01T00:04:20.130Z');
  });

  it('depends on the shipping method', () => {
    // lead 86,400,000 + production 930,000 + courier 8 h (28,800,000) = 116,130,000 ms = 1 day 8 h 15 min 30 s
    expect(promiseDate({ createdAt, items, method: 'courier', scale: 1 }).toISOString()).toBe('2025-01-02T08:15:30.000Z');
    // pickup 1 h: 86,400,000 + 930,000 + 3,600,000 = 90,930,000 ms = 1 day 1 h 15 min 30 s
    expect(promiseDate({ createdAt, items, method: 'pickup', scale: 1 }).toISOString()).toBe('2025-01-02T01:15:30.000Z');
  });
});
