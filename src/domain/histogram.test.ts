import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HISTOGRAM_RELATIVE_ERROR, bucketBounds, bucketOf, percentile, type BucketCount } from './histogram.js';

/** Nearest-rank percentile of the samples themselves (as PostgreSQL's percentile_disc). */
const exact = (samples: number[], p: number) => [...samples].sort((a, b) => a - b)[Math.max(1, Math.ceil(p * samples.length)) - 1]!;

function histogramOf(samples: number[]): BucketCount[] {
  const counts = new Map<number, number>();
  for (const s of samples) counts.set(bucketOf(s), (counts.get(bucketOf(s)) ?? 0) + 1);
  return [...counts].map(([bucket, n]) => ({ bucket, samples: n }));
}

describe('log-scale histogram', () => {
  it('puts each value into the bucket whose bounds hold it', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e10, noNaN: true }), (ms) => {
        const { lower, upper } = bucketBounds(bucketOf(ms));
        expect(ms).toBeGreaterThanOrEqual(lower * (1 - 1e-12));
        expect(ms).toBeLessThan(upper * (1 + 1e-12));
      }),
    );
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.999)).toBe(0);
    expect(bucketOf(1)).toBe(1);
  });

  it('reads percentiles within the stated error of the exact nearest-rank value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1e9 }), fc.double({ min: 0, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(0.5, 0.95, 0.99),
        (samples, p) => {
          const got = percentile(histogramOf(samples), p)!;
          const want = exact(samples, p);
          if (want < 1) expect(got).toBe(0);
          else expect(Math.abs(Math.log(got / want))).toBeLessThanOrEqual(Math.log(1 + HISTOGRAM_RELATIVE_ERROR) + 1e-9);
        },
      ),
    );
    expect(percentile([], 0.5)).toBeNull();
  });
});
