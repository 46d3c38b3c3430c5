/** Every status an order passes through, in pipeline order, then the terminal ones. */
export const ORDER_STATUSES = [
  'received',
  'accepted',
  'priced',
  'routed',
  'awaiting_production',
  'in_production',
  'produced',
  'shipped',
  'delivered',
  'cancelled',
  'rejected',
  'failed',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['delivered', 'cancelled', 'rejected', 'failed'];

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

const FORWARD: readonly OrderStatus[] = ORDER_STATUSES.slice(0, ORDER_STATUSES.indexOf('delivered') + 1);

/**
 * Allowed transitions: one step forward along the pipeline, or from any live status into a
 * terminal one (rejection only before production starts). `awaiting_production`: the produce
 * step waits for a production line; `in_production`: the MES has the job on a line.
 */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  if (isTerminal(from)) return false;
  if (to === 'rejected') return FORWARD.indexOf(from) < FORWARD.indexOf('awaiting_production');
  if (to === 'cancelled' || to === 'failed') return true;
  const i = FORWARD.indexOf(from);
  return i >= 0 && FORWARD[i + 1] === to;
}

/**
 * Whether an order in `from` can later be in `to` (the same status counts): what a reader that
 * sees only some of the order's states — such as the projection, whose writes may be coalesced —
 * may observe next. Anything else would move the order backwards.
 */
export function canReach(from: OrderStatus, to: OrderStatus): boolean {
  if (from === to) return true;
  const seen = new Set<OrderStatus>([from]);
  const queue: OrderStatus[] = [from];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of ORDER_STATUSES) {
      if (seen.has(next) || !canTransition(at, next)) continue;
      if (next === to) return true;
      seen.add(next);
      queue.push(next);
    }
  }
  return false;
}

/** Named steps of the pipeline, in order. */
export const STAGES = ['accept', 'price', 'route-to-crm', 'produce', 'ship'] as const;
/** One step of the pipeline. */
export type Stage = (typeof STAGES)[number];

/**
 * How the pipeline learnt that a system finished its part: the system's own event on the API's
 * integration webhook, or the pipeline asking the system (the fallback when no event came).
 */
export type IntegrationSource = 'webhook' | 'polling';
