/**
 * Pricing database: the shared price cache. Written only by the pricing service
 * (src/pricing/system.ts); an entry is never changed except for its hit counter.
 */
import { integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { PriceBreakdown } from '../domain/pricing/index.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const priceCache = pgTable('price_cache', {
  /** sha256 (hex) of the canonical specification, price-list version and price list. */
  hash: text('hash').primaryKey(),
  priceListVersion: text('price_list_version').notNull(),
  priceList: text('price_list').notNull(),
  /** The breakdown, lines in the canonical (sorted) order of the specification. */
  breakdown: jsonb('breakdown').$type<PriceBreakdown>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  hits: integer('hits').notNull().default(0),
  lastHitAt: ts('last_hit_at'),
});
