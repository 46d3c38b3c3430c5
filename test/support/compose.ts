/**
 * docker-compose.yml as `docker compose` reads it: `${NAME:?message}` replaced by the value the
 * operator's .env gives (here: a test secret per variable, long enough for production) and `$$`
 * by `$`. The raw text stays available for the checks on the file itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { productionSecrets, testSecret } from './production-env.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A variable the file takes from the operator: `${NAME:?message}` (required, no fallback). */
export const REQUIRED_VARIABLE = /\$\{([A-Z][A-Z0-9_]*):\?[^}]*\}/g;

export const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');

/** The file parsed without interpolation (`merge: true`: it shares settings through `<<: *anchor`). */
export const rawCompose = parse(composeText, { merge: true }) as unknown;

/** Names of the variables the file requires, in order of first use. */
export const requiredVariables: string[] = [...new Set([...composeText.matchAll(REQUIRED_VARIABLE)].map((m) => m[1]!))];

/** The value each required variable gets in these tests. */
export const testVariables: Record<string, string> = {
  ...Object.fromEntries(requiredVariables.map((n) => [n, testSecret(n)])),
  // A key list, not a secret string: as production-env.ts makes it.
  ...(requiredVariables.includes('PAYLOAD_ENCRYPTION_KEYS') ? { PAYLOAD_ENCRYPTION_KEYS: productionSecrets().PAYLOAD_ENCRYPTION_KEYS } : {}),
};

function interpolate(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value
      .split('$$')
      .map((part) =>
        part.replace(REQUIRED_VARIABLE, (_m, name: string) => {
          const v = vars[name];
          if (v === undefined) throw new Error(`docker-compose.yml needs ${name}`);
          return v;
        }),
      )
      .join('$');
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)]));
  return value;
}

/** The file as compose runs it with the given variables (default: the test values). */
export function interpolatedCompose<T>(vars: Record<string, string> = testVariables): T {
  return interpolate(rawCompose, vars) as T;
}

/** `KEY=value` lines of an env file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

/** A service's `environment` as the container sees it: map or `KEY=value` list syntax; `null` (taken from the host) is unset. */
export function serviceEnv(service: {
  environment?: Record<string, string | number | boolean | null> | string[] | undefined;
}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  if (Array.isArray(service.environment)) {
    for (const item of service.environment) {
      const eq = item.indexOf('=');
      if (eq < 0) env[item] = undefined;
      else env[item.slice(0, eq)] = item.slice(eq + 1);
    }
  } else {
    for (const [k, v] of Object.entries(service.environment ?? {})) env[k] = v === null ? undefined : String(v);
  }
  return env;
}
