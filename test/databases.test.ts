/**
 * Each system owns its database: every database holds exactly the tables of its own schema
 * module, and no system's code reaches into another system's tables.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { SCHEMAS } from '../db/index.js';
import { SYSTEMS, type SystemName } from '../src/platform/config.js';

const ROOT = path.resolve(import.meta.dirname, '..');

function schemaTables(system: SystemName): string[] {
  return Object.values(SCHEMAS[system])
    .filter((v) => is(v, PgTable))
    .map((t) => getTableName(t as PgTable))
    .sort();
}

describe('databases', () => {
  it.each(SYSTEMS)('the %s database holds only the tables of its own schema', async (system) => {
    const own = schemaTables(system);
    expect(own.length).toBeGreaterThan(0);
    const sql = postgres(inject('databaseUrls')[system], { max: 1, onnotice: () => {} });
    try {
      // Migrations bookkeeping lives in drizzle's own schema; everything else is the system's.
      const rows = await sql<{ table_name: string }[]>`
        select table_name from information_schema.tables
        where table_schema not in ('pg_catalog', 'information_schema', 'drizzle') and table_type = 'BASE TABLE'`;
      expect(rows.map((r) => r.table_name).sort()).toEqual(own);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('no table name is used by two systems', () => {
    const all = SYSTEMS.flatMap(schemaTables);
    expect(new Set(all).size).toBe(all.length);
  });
});

/** Module specifiers a file imports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** The slice that holds each system's schema (and, but for the shop, its embedded system). */
const SLICE_OF: Record<SystemName, string> = { shop: 'order', crm: 'crm', mes: 'mes', carrier: 'shipping', pricing: 'pricing' };
const SYSTEM_OF_SLICE = new Map(Object.entries(SLICE_OF).map(([system, slice]) => [slice, system]));

/** The systems whose schema or embedded system a file imports, by the path it resolves to. */
function systemsTouched(file: string): Set<string> {
  const touched = new Set<string>();
  for (const spec of importsOf(file)) {
    if (!spec.startsWith('.')) continue;
    const target = path
      .relative(ROOT, path.resolve(path.dirname(file), spec))
      .split(path.sep)
      .join('/');
    const hit = /^src\/([a-z]+)\/(schema|system)\.js$/.exec(target);
    const system = hit && SYSTEM_OF_SLICE.get(hit[1]!);
    if (system && (hit[2] === 'schema' || system !== 'shop')) touched.add(system);
  }
  return touched;
}

describe('system boundaries in the code', () => {
  const systems = SYSTEMS.filter((s) => s !== 'shop');

  it('covers every system with a database of its own', () => {
    for (const system of systems) expect(statSync(path.join(ROOT, 'src', SLICE_OF[system], 'system.ts')).isFile(), system).toBe(true);
  });

  it.each(systems)('the embedded %s imports no other system’s schema or system', (system) => {
    const file = path.join(ROOT, 'src', SLICE_OF[system], 'system.ts');
    const touched = [...systemsTouched(file)].filter((s) => s !== system);
    expect(touched, path.relative(ROOT, file)).toEqual([]);
    // From db/index.js only its own database type.
    const dbIndex = readFileSync(file, 'utf8').match(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+['"][./]*db\/index\.js['"]/);
    if (dbIndex) {
      const names = dbIndex[1]!
        .split(',')
        .map((n) => n.replace(/^\s*type\s+/, '').trim())
        .filter(Boolean);
      expect(names, path.relative(ROOT, file)).toEqual([`${system[0]!.toUpperCase()}${system.slice(1)}Db`]);
    }
  });

  it('each activity module works with at most one system', () => {
    const modules = readdirSync(path.join(ROOT, 'src'))
      .map((slice) => path.join(ROOT, 'src', slice, 'activities.ts'))
      .filter((file) => existsSync(file));
    expect(modules.length).toBeGreaterThanOrEqual(5);
    for (const file of modules) {
      expect([...systemsTouched(file)].length, path.relative(ROOT, file)).toBeLessThanOrEqual(1);
    }
  });
});
