/**
 * The pricing service: the price engine behind two cache levels, keyed by a canonical hash of
 * what the price depends on. Level 1 is a small LRU in this process; level 2 is the
 * `price_cache` table of the pricing database, shared by every pricing worker. A price is a
 * pure function of its key, so a cached entry never goes stale: changing any figure changes
 * PRICE_LIST_VERSION and with it every key.
 */
import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
// lru-cache: the LRU most of the npm ecosystem (npm itself) relies on, maintained for years,
// typed, O(1) get/set with a hard entry bound; not worth re-implementing and re-testing here.
import { LRUCache } from 'lru-cache';
import type { PricingDb } from '../../db/index.js';
import type { CacheLevel } from './contract.js';
import { priceCache } from './schema.js';
import { findProduct, resolveOptions } from '../domain/catalog.js';
import type { OrderItem } from '../domain/order.js';
import { PRICE_LIST_VERSION, PricingError, canonicalJson, priceListFor, priceOrder, type PriceBreakdown, type PriceContext } from '../domain/pricing/index.js';

/** Where a price came from: this process's memory, the shared table, or the engine. */
export type { CacheLevel } from './contract.js';

/** What a price depends on, normalized: items with every option resolved, sorted. */
export interface CanonicalSpec {
  priceListVersion: string;
  priceList: string;
  rush: boolean;
  items: { sku: string; quantity: number; options: Record<string, string> }[];
}

/**
 * The canonical specification of a price, its hash, and where each request line sits in it
 * (`order[k]` is the request index of canonical line k). Throws PricingError for unknown products.
 */
export function canonicalize(items: readonly OrderItem[], context: PriceContext = {}) {
  const keyed = items.map((item, index) => {
    const product = findProduct(item.sku);
    if (!product) throw new PricingError(`unknown product "${item.sku}"`);
    const options = resolveOptions(product, item.options);
    const line = { sku: product.sku, quantity: item.quantity, options };
    return { line, key: canonicalJson(line), index };
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.index - b.index));
  const spec: CanonicalSpec = {
    priceListVersion: PRICE_LIST_VERSION,
    priceList: priceListFor(context.partnerId).id,
    rush: context.rush === true,
    items: keyed.map((k) => k.line),
  };
  const hash = createHash('sha256').update(canonicalJson(spec)).digest('hex');
  return { spec, hash, order: keyed.map((k) => k.index) };
}

/** A priced request and where the price came from. */
export interface PricedResult {
  price: PriceBreakdown;
  cache: CacheLevel;
  hash: string;
}

export interface PricingServiceOptions {
  /** The pricing database (shared level); without it only the in-process level is used. */
  db?: PricingDb | undefined;
  /** Entries of the in-process level. */
  memoryEntries?: number;
  /** Told when the shared level fails; pricing then goes on without it. */
  onCacheError?: (err: unknown, what: 'read' | 'write') => void;
}

export interface PricingService {
  /** Prices the items for the context, from a cache level when it holds the price. */
  price(items: readonly OrderItem[], context?: PriceContext): Promise<PricedResult>;
  /** Empties the in-process level (benchmarks, tests). */
  clearMemory(): void;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The breakdown of the canonical spec with its lines back in the request's order. */
function inRequestOrder(canonical: PriceBreakdown, order: readonly number[]): PriceBreakdown {
  const lines = new Array<PriceBreakdown['lines'][number]>(order.length);
  order.forEach((requestIndex, k) => {
    lines[requestIndex] = canonical.lines[k]!;
  });
  return { ...canonical, lines };
}

export function createPricingService(options: PricingServiceOptions = {}): PricingService {
  const { db, onCacheError = () => {} } = options;
  // Cached breakdowns are frozen: callers share them and must not be able to change them.
  const memory = new LRUCache<string, PriceBreakdown>({ max: options.memoryEntries ?? 1000 });

  async function readShared(hash: string): Promise<PriceBreakdown | undefined> {
    if (!db) return undefined;
    try {
      // One statement finds the entry and counts the hit.
      const [row] = await db
        .update(priceCache)
        .set({ hits: sql`${priceCache.hits} + 1`, lastHitAt: sql`now()` })
        .where(eq(priceCache.hash, hash))
        .returning({ breakdown: priceCache.breakdown });
      return row?.breakdown;
    } catch (err) {
      onCacheError(err, 'read');
      return undefined;
    }
  }

  async function writeShared(hash: string, spec: CanonicalSpec, breakdown: PriceBreakdown): Promise<void> {
    if (!db) return;
    try {
      // Idempotent: a concurrent or retried write of the same key keeps the first entry (same content).
      await db
        .insert(priceCache)
        .values({ hash, priceListVersion: spec.priceListVersion, priceList: spec.priceList, breakdown })
        .onConflictDoNothing({ target: priceCache.hash });
    } catch (err) {
      onCacheError(err, 'write');
    }
  }

  return {
    async price(items, context = {}) {
      const { spec, hash, order } = canonicalize(items, context);
      const remembered = memory.get(hash);
      if (remembered) return { price: inRequestOrder(remembered, order), cache: 'memory', hash };
      const shared = await readShared(hash);
      if (shared) {
        memory.set(hash, deepFreeze(shared));
        return { price: inRequestOrder(shared, order), cache: 'shared', hash };
      }
      const computed = deepFreeze(priceOrder(spec.items, context));
      await writeShared(hash, spec, computed);
      memory.set(hash, computed);
      return { price: inRequestOrder(computed, order), cache: 'miss', hash };
    },
    clearMemory() {
      memory.clear();
    },
  };
}
