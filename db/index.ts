/**
 * Opens the databases of the pipeline, one per system, on PostgreSQL (when a URL is
 * configured) or on embedded PGlite under the data directory. Both speak through the same
 * drizzle schema, so nothing above this module knows which one it runs on.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/postgres-js';
import { migrate as migratePg } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { withDatabase, type Config, type SystemName } from '../src/platform/config.js';
import * as carrierSchema from '../src/shipping/schema.js';
import * as crmSchema from '../src/crm/schema.js';
import * as mesSchema from '../src/mes/schema.js';
import * as pricingSchema from '../src/pricing/schema.js';
import * as shopSchema from '../src/order/schema.js';

export { carrierSchema, crmSchema, mesSchema, pricingSchema, shopSchema };

export const SCHEMAS = { shop: shopSchema, crm: crmSchema, mes: mesSchema, carrier: carrierSchema, pricing: pricingSchema } as const;
type Schemas = typeof SCHEMAS;

/** A drizzle database over either driver. */
export type Db<S extends Record<string, unknown>> = PgDatabase<PgQueryResultHKT, S>;
export type ShopDb = Db<typeof shopSchema>;
export type CrmDb = Db<typeof crmSchema>;
export type MesDb = Db<typeof mesSchema>;
export type CarrierDb = Db<typeof carrierSchema>;
export type PricingDb = Db<typeof pricingSchema>;

/** An open database of one system. */
export interface SystemDb<K extends SystemName> {
  system: K;
  db: Db<Schemas[K]>;
  /** Where it lives, for logs: a URL without password, or the PGlite folder. */
  location: string;
  close(): Promise<void>;
}

const MIGRATIONS_ROOT = path.dirname(fileURLToPath(import.meta.url));
export function migrationsFolder(system: SystemName): string {
  return path.join(MIGRATIONS_ROOT, system, 'migrations');
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** Creates the database named in `url` on its server when it does not exist yet. */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`database URL ${redact(url)} names no database`);
  const admin = postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const found = await admin`select 1 from pg_database where datname = ${name}`;
    if (found.length === 0) {
      try {
        await admin.unsafe(`create database "${name.replace(/"/g, '""')}"`);
      } catch (err) {
        // Another process created it first: that is fine.
        if ((err as { code?: string }).code !== '42P04' && (err as { code?: string }).code !== '23505') throw err;
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Drops the database named in `url` (closing its connections); for benchmarks and tests. */
export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  const admin = postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await admin.unsafe(`drop database if exists "${name.replace(/"/g, '""')}" with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

// Any number; all processes migrating one database take the same advisory lock.
const MIGRATION_LOCK = 7_233_001;

async function migratePostgres(system: SystemName, url: string): Promise<void> {
  await ensureDatabaseExists(url);
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePg(drizzlePg(client), { migrationsFolder: migrationsFolder(system) });
  } finally {
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    await client.end({ timeout: 5 });
  }
}

export interface OpenOptions {
  /** Run migrations first (creating the database when missing). */
  migrate?: boolean;
  /** Connection pool size per database on PostgreSQL; default the config's DATABASE_POOL_SIZE. */
  poolSize?: number;
}

async function openOne<K extends SystemName>(config: Config, system: K, url: string | undefined, options: OpenOptions): Promise<SystemDb<K>> {
  const schema = SCHEMAS[system];
  if (url) {
    if (options.migrate) await migratePostgres(system, url);
    const client = postgres(url, { max: options.poolSize ?? config.databasePoolSize, onnotice: () => {} });
    const db = drizzlePg(client, { schema }) as unknown as Db<Schemas[K]>;
    return { system, db, location: redact(url), close: () => client.end({ timeout: 5 }) };
  }
  // Embedded PGlite: loaded only when used, so a PostgreSQL deployment never pays for it.
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle: drizzleLite } = await import('drizzle-orm/pglite');
  const dir = path.resolve(config.dataDir, 'pglite', system);
  mkdirSync(dir, { recursive: true });
  const lite = await PGlite.create(dir);
  const db = drizzleLite(lite, { schema });
  if (options.migrate) {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(db, { migrationsFolder: migrationsFolder(system) });
  }
  return { system, db: db as unknown as Db<Schemas[K]>, location: dir, close: () => lite.close() };
}

/** Opens the named systems' databases (all of them by default). */
export async function openDatabases<K extends SystemName>(
  config: Config,
  systems: readonly K[],
  options: OpenOptions = {},
): Promise<{ [P in K]: SystemDb<P> } & { close(): Promise<void> }> {
  const opened = await Promise.all(systems.map((s) => openOne(config, s, config.databases[s], options)));
  const out = Object.fromEntries(opened.map((o) => [o.system, o])) as { [P in K]: SystemDb<P> };
  return Object.assign(out, {
    close: async () => {
      await Promise.all(opened.map((o) => o.close()));
    },
  });
}

/** Whether SHOP_READ_DATABASE_URL names a database other than the shop primary (a read replica). */
export function hasSeparateShopReader(config: Config): boolean {
  return Boolean(config.shopReadUrl && config.shopReadUrl !== config.databases.shop);
}

/** Read-only connection to the shop database for lists and analytics (a replica when configured). */
export async function openShopReader(config: Config, primary: SystemDb<'shop'>): Promise<SystemDb<'shop'>> {
  if (!config.shopReadUrl || !hasSeparateShopReader(config)) return { ...primary, close: async () => {} };
  const client = postgres(config.shopReadUrl, { max: config.databasePoolSize, onnotice: () => {} });
  return {
    system: 'shop',
    db: drizzlePg(client, { schema: shopSchema }) as unknown as ShopDb,
    location: redact(config.shopReadUrl),
    close: () => client.end({ timeout: 5 }),
  };
}
