import { describe, expect, it } from 'vitest';
import { canTransition, isTerminal, ORDER_STATUSES, type OrderStatus } from './status.js';

const FORWARD: OrderStatus[] = ['received', 'accepted', 'priced', 'routed', 'awaiting_production', 'in_production', 'produced', 'shipped', 'delivered'];
const TERMINAL: OrderStatus[] = ['delivered', 'cancelled', 'rejected', 'failed'];
const LIVE: OrderStatus[] = ['received', 'accepted', 'priced', 'routed', 'awaiting_production', 'in_production', 'produced', 'shipped'];

describe('order status', () => {
  it('knows which statuses are terminal', () => {
    expect(ORDER_STATUSES.filter(isTerminal)).toEqual(TERMINAL);
    expect(ORDER_STATUSES.filter((s) => !isTerminal(s))).toEqual(LIVE);
  });

  it('allows each forward step, one at a time', () => {
    for (let i = 0; i + 1 < FORWARD.length; i++) {
      expect(canTransition(FORWARD[i]!, FORWARD[i + 1]!), `${FORWARD[i]} → ${FORWARD[i + 1]}`).toBe(true);
    }
  });

  it('does not allow skipping, going back or staying', () => {
    for (let i = 0; i < FORWARD.length; i++) {
      for (let j = 0; j < FORWARD.length; j++) {
        if (j === i + 1) continue;
        expect(canTransition(FORWARD[i]!, FORWARD[j]!), `${FORWARD[i]} → ${FORWARD[j]}`).toBe(false);
      }
    }
  });

  it('allows nothing out of a terminal status', () => {
    for (const from of TERMINAL) {
      for (const to of ORDER_STATUSES) expect(canTransition(from, to), `${from} → ${to}`).toBe(false);
    }
  });

  it('allows rejection only before production starts', () => {
    expect(LIVE.filter((from) => canTransition(from, 'rejected'))).toEqual(['received', 'accepted', 'priced', 'routed']);
  });

  it('allows cancelling and failing from every live status', () => {
    for (const from of LIVE) {
      expect(canTransition(from, 'cancelled'), `${from} → cancelled`).toBe(true);
      expect(canTransition(from, 'failed'), `${from} → failed`).toBe(true);
    }
  });
});
