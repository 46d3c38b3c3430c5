/**
 * Log-scale histograms of durations in milliseconds, as the shop database's rollups store them
 * (`rollup_bucket` in db/shop/migrations/0003_dashboard_rollup_triggers.sql): bucket 0 holds
 * values under 1 ms, bucket b >= 1 the values in [2^((b-1)/8), 2^(b/8)) ms — eight buckets per
 * doubling, so a percentile read from them is within 2^(1/16) (4.4 %) of the true one.
 */

/** Buckets per doubling of the value. */
export const BUCKETS_PER_DOUBLING = 8;

/** Largest relative error of a value read from a bucket (its geometric middle). */
export const HISTOGRAM_RELATIVE_ERROR = 2 ** (1 / (2 * BUCKETS_PER_DOUBLING)) - 1;

/** The bucket of `ms`, as the database computes it. */
export function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return 1 + Math.floor((BUCKETS_PER_DOUBLING * Math.log(ms)) / Math.LN2);
}

/** The values a bucket holds: [lower, upper) in ms. */
export function bucketBounds(bucket: number): { lower: number; upper: number } {
  if (bucket <= 0) return { lower: 0, upper: 1 };
  return { lower: 2 ** ((bucket - 1) / BUCKETS_PER_DOUBLING), upper: 2 ** (bucket / BUCKETS_PER_DOUBLING) };
}

/** The value that stands for a bucket: 0 for bucket 0, else its geometric middle. */
export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 0;
  return 2 ** ((bucket - 0.5) / BUCKETS_PER_DOUBLING);
}

/** One bucket of a histogram and how many samples fell into it. */
export interface BucketCount {
  bucket: number;
  samples: number;
}

/** Number of samples in a histogram. */
export function sampleCount(histogram: readonly BucketCount[]): number {
  return histogram.reduce((n, b) => n + b.samples, 0);
}

/**
 * The `p`-th percentile (0 < p <= 1) by nearest rank — the sample at rank ceil(p·n), as
 * PostgreSQL's `percentile_disc` picks it — read as its bucket's value; null without samples.
 */
export function percentile(histogram: readonly BucketCount[], p: number): number | null {
  const n = sampleCount(histogram);
  if (n <= 0) return null;
  const rank = Math.max(1, Math.ceil(p * n));
  let seen = 0;
  const sorted = [...histogram].filter((b) => b.samples > 0).sort((a, b) => a.bucket - b.bucket);
  for (const b of sorted) {
    seen += b.samples;
    if (seen >= rank) return bucketValue(b.bucket);
  }
  return bucketValue(sorted[sorted.length - 1]!.bucket);
}
