/**
 * Property tests of the domain rules the pipeline relies on: priority classes and their
 * Temporal keys, escalation, fairness keys and weights, and the order status machine. fast-check
 * generates the inputs (and shrinks a failure to its smallest case); the status machine is small
 * enough to check every pair of statuses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PRIORITY_CLASSES,
  PRIORITY_KEYS,
  defaultPriority,
  escalate,
  escalateForPromise,
  fairnessKey,
  isPriorityClass,
  taskPriority,
  type PriorityClass,
} from './priority.js';
import { ORDER_STATUSES, TERMINAL_STATUSES, canReach, canTransition, type OrderStatus } from './status.js';
import { TIERS, TIER_NAMES, tierLimits } from './tiers.js';
import { NOT_CANCELLABLE } from '../order/contract.js';

const priorityClass = fc.constantFrom(...PRIORITY_CLASSES);
const channel = fc.constantFrom('b2c' as const, 'b2b' as const);
const partnerId = fc.string({ minLength: 1, maxLength: 20 });
const rank = (p: PriorityClass) => PRIORITY_CLASSES.indexOf(p);
const order = (s: OrderStatus) => ORDER_STATUSES.indexOf(s);

describe('priority (properties)', () => {
  it('maps a more urgent class to a strictly lower Temporal key, within 1..5', () => {
    fc.assert(
      fc.property(priorityClass, priorityClass, (a, b) => {
        const [ka, kb] = [PRIORITY_KEYS[a], PRIORITY_KEYS[b]];
        expect(Number.isInteger(ka) && ka >= 1 && ka <= 5).toBe(true);
        expect(Math.sign(ka - kb)).toBe(Math.sign(rank(a) - rank(b)));
      }),
    );
  });

  it('escalates by at most one class, never to a lower priority', () => {
    fc.assert(
      fc.property(priorityClass, (p) => {
        const up = escalate(p);
        expect(isPriorityClass(up)).toBe(true);
        expect(PRIORITY_KEYS[up]).toBeLessThanOrEqual(PRIORITY_KEYS[p]);
        expect(PRIORITY_KEYS[p] - PRIORITY_KEYS[up]).toBe(p === 'rush' ? 0 : 1);
      }),
    );
  });

  it('reaches rush after repeated escalation and stays there', () => {
    fc.assert(
      fc.property(priorityClass, fc.nat({ max: 20 }), (p, extra) => {
        let q = p;
        for (let i = 0; i < PRIORITY_CLASSES.length - 1 + extra; i++) q = escalate(q);
        expect(q).toBe('rush');
        expect(escalate(q)).toBe('rush');
      }),
    );
  });

  it('raises a partner order at risk no higher than the shop, and never lowers an order', () => {
    fc.assert(
      fc.property(priorityClass, (p) => {
        const partner = escalateForPromise(p, 'b2b');
        expect(PRIORITY_KEYS[partner]).toBeLessThanOrEqual(PRIORITY_KEYS[p]);
        // Above the shop's class only if an operator put it there already.
        if (PRIORITY_KEYS[partner] < PRIORITY_KEYS[defaultPriority('b2c')]) expect(partner).toBe(p);
        expect(escalateForPromise(p, 'b2c')).toBe(escalate(p));
      }),
    );
    expect(escalateForPromise('normal', 'b2b')).toBe('high');
    expect(escalateForPromise('high', 'b2b')).toBe('high');
    expect(escalateForPromise('high', 'b2c')).toBe('rush');
  });

  it('never starts a partner order at or above the shop', () => {
    fc.assert(
      fc.property(priorityClass, (partnerPriority) => {
        expect(PRIORITY_KEYS[defaultPriority('b2b', partnerPriority)]).toBeGreaterThan(PRIORITY_KEYS[defaultPriority('b2c', partnerPriority)]);
      }),
    );
  });

  it('schedules with the class key, one fairness key per partner, the shop apart, and the tier weight', () => {
    fc.assert(
      fc.property(
        priorityClass,
        channel,
        fc.option(partnerId, { nil: undefined }),
        fc.option(fc.double({ min: 0.1, max: 10, noNaN: true }), { nil: undefined }),
        (p, ch, partner, weight) => {
          const t = taskPriority({ priority: p, channel: ch, partnerId: partner, fairnessWeight: weight });
          expect(t.priorityKey).toBe(PRIORITY_KEYS[p]);
          expect(t.fairnessWeight).toBe(weight ?? 1);
          if (ch === 'b2c') expect(t.fairnessKey).toBe('shop');
          else expect(t.fairnessKey).toBe(`partner:${partner ?? 'unknown'}`);
        },
      ),
    );
    fc.assert(
      fc.property(partnerId, partnerId, (a, b) => {
        expect(fairnessKey('b2b', a) === fairnessKey('b2b', b)).toBe(a === b);
        expect(fairnessKey('b2b', a)).not.toBe(fairnessKey('b2c', undefined));
      }),
    );
  });

  it('gives every tier a positive weight, the shop the largest share, and unknown tiers the standard one', () => {
    for (const tier of TIER_NAMES) expect(TIERS[tier].fairnessWeight).toBeGreaterThan(0);
    for (const tier of TIER_NAMES) expect(TIERS.shop.fairnessWeight).toBeGreaterThanOrEqual(TIERS[tier].fairnessWeight);
    fc.assert(
      fc.property(fc.string(), (name) => {
        fc.pre(!(TIER_NAMES as string[]).includes(name));
        expect(tierLimits(name)).toBe(TIERS.standard);
      }),
    );
  });
});

/**
 * Status paths the order workflow can take: the pipeline up to some point, then either the
 * next step or an ending (rejected at acceptance, cancelled while cancellable, failed at any step).
 */
const PIPELINE: OrderStatus[] = ['received', 'accepted', 'priced', 'routed', 'awaiting_production', 'in_production', 'produced', 'shipped', 'delivered'];
const workflowPath = fc
  .tuple(fc.integer({ min: 0, max: PIPELINE.length - 1 }), fc.constantFrom('done', 'rejected', 'cancelled', 'failed'))
  .map(([reached, ending]): OrderStatus[] => {
    const path = PIPELINE.slice(0, reached + 1);
    const last = path[path.length - 1]!;
    if (last === 'delivered' || ending === 'done') return path;
    if (ending === 'rejected' && last !== 'received') return path; // only acceptance rejects
    if (ending === 'cancelled' && NOT_CANCELLABLE.includes(last)) return path;
    return [...path, ending as OrderStatus];
  });

describe('order status (properties)', () => {
  it('allows every transition the workflow makes', () => {
    fc.assert(
      fc.property(workflowPath, (path) => {
        for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} → ${path[i]}`).toBe(true);
      }),
    );
  });

  it('lets a projection that sees only some of those statuses reach each one it sees', () => {
    fc.assert(
      fc.property(workflowPath, fc.infiniteStream(fc.boolean()), (path, keep) => {
        const seen = path.filter((_, i) => i === 0 || keep.next().value);
        for (let i = 1; i < seen.length; i++) expect(canReach(seen[i - 1]!, seen[i]!), `${seen[i - 1]} ⇝ ${seen[i]}`).toBe(true);
      }),
    );
  });

  // The status set is small: these hold for every pair, checked one by one.
  it('has no way out of a terminal status', () => {
    expect(TERMINAL_STATUSES.length).toBeGreaterThan(0);
    for (const from of TERMINAL_STATUSES) {
      for (const to of ORDER_STATUSES) {
        expect(canTransition(from, to), `${from} → ${to}`).toBe(false);
        expect(canReach(from, to), `${from} ⇝ ${to}`).toBe(to === from);
      }
    }
  });

  it('never goes backwards in the status order', () => {
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        if (canTransition(from, to)) expect(order(to), `${from} → ${to}`).toBeGreaterThan(order(from));
        if (canReach(from, to) && from !== to) expect(order(to), `${from} ⇝ ${to}`).toBeGreaterThan(order(from));
      }
    }
  });

  it('reaches exactly what a chain of allowed transitions reaches', () => {
    for (const from of ORDER_STATUSES) {
      const reached = new Set<OrderStatus>([from]);
      for (let grew = true; grew;) {
        grew = false;
        for (const at of [...reached]) {
          for (const next of ORDER_STATUSES) {
            if (canTransition(at, next) && !reached.has(next)) {
              reached.add(next);
              grew = true;
            }
          }
        }
      }
      expect(ORDER_STATUSES.filter((to) => canReach(from, to)).sort(), from).toEqual([...reached].sort());
    }
  });
});
