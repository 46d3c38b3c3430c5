import { describe, expect, it } from 'vitest';
import { defaultPriority, fairnessKey, PRIORITY_CLASSES, PRIORITY_KEYS } from './priority.js';

describe('priority', () => {
  it('puts shop consumers ahead of partner volume by default', () => {
    expect(defaultPriority('b2c')).toBe('high');
    expect(defaultPriority('b2b')).toBe('normal');
    // a lower key runs first
    expect(PRIORITY_KEYS[defaultPriority('b2c')]).toBeLessThan(PRIORITY_KEYS[defaultPriority('b2b')]);
  });

  it('maps the classes, most urgent first, to increasing keys within Temporal 1..5', () => {
    const keys = PRIORITY_CLASSES.map((c) => PRIORITY_KEYS[c]);
    expect(keys).toEqual([1, 2, 3, 4]);
    for (const key of keys) {
      expect(Number.isInteger(key)).toBe(true);
      expect(key).toBeGreaterThanOrEqual(1);
      expect(key).toBeLessThanOrEqual(5);
    }
    // the server default (3) is "normal"
    expect(PRIORITY_KEYS.normal).toBe(3);
  });

  it('gives each partner its own fairness key and the shop one of its own', () => {
    expect(fairnessKey('b2b', 'acme')).toBe('partner:acme');
    expect(fairnessKey('b2b', 'globex')).toBe('partner:globex');
    expect(fairnessKey('b2c', undefined)).toBe('shop');
    // the shop key does not depend on a partner id, and a partner called "shop" does not share it
    expect(fairnessKey('b2c', 'acme')).toBe('shop');
    expect(fairnessKey('b2b', 'shop')).not.toBe(fairnessKey('b2c', undefined));
    const keys = new Set([fairnessKey('b2b', 'acme'), fairnessKey('b2b', 'globex'), fairnessKey('b2c', undefined)]);
    expect(keys.size).toBe(3);
  });

  it('puts b2b orders without a partner id into one bucket', () => {
    expect(fairnessKey('b2b', undefined)).toBe('partner:unknown');
  });
});
