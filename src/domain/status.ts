/** Every status an order passes through, in pipeline order, then the terminal ones. */
export const ORDER_STATUSES = [
  'received',
  'accepted',
  'priced',
  'routed',
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

const FORWARD: readonly OrderStatus[] = ORDER_STATUSES.slice(0, 8);

/**
 * Allowed transitions: one step forward along the pipeline, or from any live status into a
 * terminal one (rejection only before production starts).
 */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  if (isTerminal(from)) return false;
  if (to === 'rejected') return FORWARD.indexOf(from) < FORWARD.indexOf('in_production');
  if (to === 'cancelled' || to === 'failed') return true;
  const i = FORWARD.indexOf(from);
  return i >= 0 && FORWARD[i + 1] === to;
}
