import type { PriorityClass } from './priority.js';

/**
 * Service tiers of API clients: how many requests a key may make, its share of a backlog
 * (fairness weight, against other partners at the same priority) and the priority class its
 * orders start with when it is a partner. Shop orders always start above partner orders.
 */
export const TIERS = {
  /** The online shop: sized so that consumer traffic is never throttled in normal operation. */
  shop: { requestsPerMinute: 12_000, fairnessWeight: 4, partnerPriority: 'normal' },
  premium: { requestsPerMinute: 3_000, fairnessWeight: 2, partnerPriority: 'normal' },
  standard: { requestsPerMinute: 600, fairnessWeight: 1, partnerPriority: 'normal' },
  trial: { requestsPerMinute: 60, fairnessWeight: 0.5, partnerPriority: 'low' },
  /** Operators and internal tools (load simulation, benchmarks). */
  internal: { requestsPerMinute: 60_000, fairnessWeight: 1, partnerPriority: 'normal' },
} as const satisfies Record<string, { requestsPerMinute: number; fairnessWeight: number; partnerPriority: PriorityClass }>;

export type Tier = keyof typeof TIERS;
export const TIER_NAMES = Object.keys(TIERS) as Tier[];

export function isTier(value: string): value is Tier {
  return Object.hasOwn(TIERS, value);
}

/** Limits of a tier name from the database; an unknown name gets the standard tier. */
export function tierLimits(tier: string): (typeof TIERS)[Tier] {
  return isTier(tier) ? TIERS[tier] : TIERS.standard;
}
