import type { Channel } from './order.js';

/** Priority classes an order can have, most urgent first. */
export const PRIORITY_CLASSES = ['rush', 'high', 'normal', 'low'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];

/** Temporal task-queue priority key per class (1 runs first; the server default is 3). */
export const PRIORITY_KEYS: Record<PriorityClass, number> = { rush: 1, high: 2, normal: 3, low: 4 };

/**
 * Consumers in the shop come before partner volume unless someone decides otherwise; a
 * partner's tier may start its orders lower (never above the shop's `high`).
 */
export function defaultPriority(channel: Channel, partnerPriority: PriorityClass = 'normal'): PriorityClass {
  if (channel === 'b2c') return 'high';
  return PRIORITY_KEYS[partnerPriority] <= PRIORITY_KEYS.high ? 'normal' : partnerPriority;
}

/** One class more urgent (an order at risk of missing its promise); `rush` stays `rush`. */
export function escalate(priority: PriorityClass): PriorityClass {
  const i = PRIORITY_CLASSES.indexOf(priority);
  return PRIORITY_CLASSES[Math.max(0, i - 1)]!;
}

/**
 * The class an order at risk of missing its promised date is raised to: one class more urgent,
 * but a partner order no higher than the shop's own orders start (`high`). A class set higher by
 * an operator stays.
 */
export function escalateForPromise(priority: PriorityClass, channel: Channel): PriorityClass {
  const raised = escalate(priority);
  if (channel === 'b2c') return raised;
  const cap = defaultPriority('b2c');
  return PRIORITY_KEYS[raised] < PRIORITY_KEYS[cap] ? (PRIORITY_KEYS[priority] < PRIORITY_KEYS[cap] ? priority : cap) : raised;
}

export function isPriorityClass(value: unknown): value is PriorityClass {
  return typeof value === 'string' && (PRIORITY_CLASSES as readonly string[]).includes(value);
}

/** Temporal task priority of an order's activities: key by class, fairness per partner. */
export function taskPriority(args: { priority: PriorityClass; channel: Channel; partnerId?: string | undefined; fairnessWeight?: number | undefined }) {
  return {
    priorityKey: PRIORITY_KEYS[args.priority],
    fairnessKey: fairnessKey(args.channel, args.partnerId),
    fairnessWeight: args.fairnessWeight ?? 1,
  };
}

/** Fairness key: each partner gets its own share of a backlog; the shop has one of its own. */
export function fairnessKey(channel: Channel, partnerId: string | undefined): string {
  return channel === 'b2b' ? `partner:${partnerId ?? 'unknown'}` : 'shop';
}
