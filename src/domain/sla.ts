/**
 * Promised-date watch: when an order has used a configurable share of the time between its
 * acceptance and its promised date without being delivered, it is at risk; past the date, overdue.
 */

/** Default share of the promised time after which an undelivered order is at risk. */
export const DEFAULT_AT_RISK_SHARE = 0.8;

/** The moment an order becomes at risk. */
export function atRiskAt(createdAt: Date, promisedBy: Date, share: number): Date {
  const span = Math.max(0, promisedBy.getTime() - createdAt.getTime());
  return new Date(createdAt.getTime() + Math.round(span * share));
}
