/**
 * Each system owns its database: every database holds exactly the tables of its own schema
 * module, and no system's code reaches into another system's tables.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { SCHEMAS } from '../db/index.js';
import { SYSTEMS, type SystemName } from '../src/config.js';

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

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

/** Module specifiers a file imports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** The systems whose schema or adapter a file imports, by the path it resolves to. */
function systemsTouched(file: string): Set<string> {
  const touched = new Set<string>();
  for (const spec of importsOf(file)) {
    if (!spec.startsWith('.')) continue;
    const target = path
      .relative(ROOT, path.resolve(path.dirname(file), spec))
      .split(path.sep)
      .join('/');
    const schema = /^db\/([a-z]+)\/schema\.js$/.exec(target);
    const adapter = /^src\/systems\/([a-z]+)\//.exec(target);
    if (schema) touched.add(schema[1]!);
    if (adapter) touched.add(adapter[1]!);
  }
  return touched;
}

describe('system boundaries in the code', () => {
  const systemsDir = path.join(ROOT, 'src/systems');
  const systemDirs = readdirSync(systemsDir).filter((d) => statSync(path.join(systemsDir, d)).isDirectory());

  it('covers every system with a database of its own', () => {
    expect(systemDirs.sort()).toEqual(SYSTEMS.filter((s) => s !== 'shop').sort());
  });

  it.each(systemDirs)('src/systems/%s imports no other system’s schema or adapter', (system) => {
    for (const file of sourceFiles(path.join(systemsDir, system))) {
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
    }
  });

  it('each activity module works with at most one system', () => {
    for (const file of sourceFiles(path.join(ROOT, 'src/activities'))) {
      expect([...systemsTouched(file)].length, path.relative(ROOT, file)).toBeLessThanOrEqual(1);
    }
  });
});
