/**
 * Runs the two outside OpenAPI linters on a document: Spectral with the repository's
 * `.spectral.yaml` (its OpenAPI rules and the OWASP API Security Top 10 ruleset) and Redocly with
 * `redocly.yaml` (its `recommended` ruleset). Both run as their CLIs, exactly as a partner or CI
 * would run them, on a temporary copy of the document; their JSON reports are turned into one
 * list of findings. Used by `npm run lint:openapi` (scripts/lint-openapi.ts) and
 * test/openapi.test.ts. Nothing here needs the network: Redocly's usage data and update check are
 * switched off, and both rulesets are installed packages.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: where `.spectral.yaml` and `redocly.yaml` live. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SPECTRAL_RULESET = path.join(REPO_ROOT, '.spectral.yaml');
export const REDOCLY_CONFIG = path.join(REPO_ROOT, 'redocly.yaml');

export const LINTERS = ['spectral', 'redocly'] as const;
export type Linter = (typeof LINTERS)[number];
export const SEVERITIES = ['error', 'warning', 'info', 'hint'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One problem a linter reports. */
export interface Finding {
  linter: Linter;
  severity: Severity;
  rule: string;
  message: string;
  /** JSON pointer of the reported node in the document, e.g. `/paths/~1v1~1orders/get`. */
  at: string;
}

/** The findings of both linters on one document. */
export interface LintReport {
  findings: Finding[];
  counts: Record<Linter, Record<Severity, number>>;
  /** How long each linter took, in milliseconds. */
  durationMs: Record<Linter, number>;
}

/** A linter that could not run or gave no readable report (as opposed to one that found problems). */
export class LinterFailure extends Error {}

/** Longest a linter may take before it counts as hung (e.g. waiting on a network it cannot reach). */
const LINTER_TIMEOUT_MS = 120_000;

/**
 * The environment of the linters: Redocly sends anonymous usage data and checks the npm registry
 * for a newer version unless told not to (documented in its "Usage data" page and CLI source).
 * `telemetry: off` in redocly.yaml says the same for anyone running `redocly lint` by hand.
 */
const LINTER_ENV = { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };

const require = createRequire(import.meta.url);

/** The JavaScript file of a package's command, as `npx <command>` would run it. */
function binOf(pkg: string, command: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[command];
  if (!bin) throw new LinterFailure(`${pkg} has no "${command}" command; is it installed (npm ci)?`);
  return path.join(path.dirname(manifestPath), bin);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

function run(script: string, args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, ...LINTER_ENV }, timeout: LINTER_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const durationMs = Date.now() - started;
        if (err && (err as { killed?: boolean }).killed) {
          reject(new LinterFailure(`${path.basename(script)} ${args[0]} did not finish within ${LINTER_TIMEOUT_MS / 1000} s.\n${stderr}`));
          return;
        }
        const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
        resolve({ code: Number.isFinite(code) ? code : 1, stdout, stderr: withoutBanners(stderr), durationMs });
      },
    );
  });
}

/** Drops the boxed notices Redocly prints on stderr (e.g. its Node.js 20 deprecation notice) from error texts. */
const withoutBanners = (text: string) =>
  text
    .split('\n')
    .filter((line) => !/^\s*[\u2554\u2551\u255a]/.test(line))
    .join('\n');

/** JSON pointer of a path of keys. */
const pointer = (keys: readonly (string | number)[]) => keys.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

function parseJson(linter: Linter, result: Run): unknown {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new LinterFailure(`${linter} gave no JSON report (exit code ${result.code}):\n${result.stderr.trim() || result.stdout.slice(0, 2000)}`);
  }
}

const SPECTRAL_SEVERITY: Record<number, Severity> = { 0: 'error', 1: 'warning', 2: 'info', 3: 'hint' };

async function spectral(file: string): Promise<{ findings: Finding[]; durationMs: number }> {
  const result = await run(binOf('@stoplight/spectral-cli', 'spectral'), [
    'lint',
    '--ruleset',
    SPECTRAL_RULESET,
    '--fail-severity',
    'error',
    '--format',
    'json',
    '--quiet',
    file,
  ]);
  // Exit code 1 means "found problems at the fail severity"; anything else but 0 is a crash.
  if (result.code !== 0 && result.code !== 1) {
    throw new LinterFailure(`spectral could not lint the document (exit code ${result.code}):\n${result.stderr.trim() || result.stdout.trim()}`);
  }
  const report = parseJson('spectral', result);
  if (!Array.isArray(report)) throw new LinterFailure(`spectral's report is not a list:\n${result.stdout.slice(0, 2000)}`);
  const findings = report.map((r: { code: string | number; message: string; severity: number; path?: (string | number)[] }): Finding => ({
    linter: 'spectral',
    severity: SPECTRAL_SEVERITY[r.severity] ?? 'error',
    rule: String(r.code),
    message: r.message,
    at: pointer(r.path ?? []),
  }));
  if (result.code === 1 && !findings.some((f) => f.severity === 'error')) {
    throw new LinterFailure(`spectral failed without reporting an error:\n${result.stderr.trim()}`);
  }
  return { findings, durationMs: result.durationMs };
}

const REDOCLY_SEVERITY: Record<string, Severity> = { error: 'error', warn: 'warning' };

async function redocly(file: string): Promise<{ findings: Finding[]; durationMs: number }> {
  const result = await run(binOf('@redocly/cli', 'redocly'), [
    'lint',
    '--config',
    REDOCLY_CONFIG,
    // A mistake in redocly.yaml (e.g. a misspelt rule) must not pass unnoticed.
    '--lint-config',
    'error',
    '--format',
    'json',
    '--max-problems',
    '100000',
    file,
  ]);
  if (result.code !== 0 && result.code !== 1) {
    throw new LinterFailure(`redocly could not lint the document (exit code ${result.code}):\n${result.stderr.trim() || result.stdout.trim()}`);
  }
  const report = parseJson('redocly', result) as {
    totals?: { errors: number; warnings: number };
    problems?: { ruleId: string; severity: string; message: string; location?: { pointer?: string }[] }[];
  };
  if (!report.totals || !Array.isArray(report.problems))
    throw new LinterFailure(`redocly's report has no totals and problems:\n${result.stdout.slice(0, 2000)}`);
  const findings = report.problems.map((p): Finding => ({
    linter: 'redocly',
    severity: REDOCLY_SEVERITY[p.severity] ?? 'error',
    rule: p.ruleId,
    message: p.message,
    at: (p.location?.[0]?.pointer ?? '#').replace(/^#/, ''),
  }));
  if (result.code === 1 && !findings.some((f) => f.severity === 'error')) {
    throw new LinterFailure(`redocly failed without reporting an error:\n${result.stderr.trim()}`);
  }
  return { findings, durationMs: result.durationMs };
}

const RUNNERS: Record<Linter, (file: string) => Promise<{ findings: Finding[]; durationMs: number }>> = { spectral, redocly };

/**
 * Lints `document` (an OpenAPI object, as `GET /openapi.json` serves it) with both linters, in
 * parallel. Throws LinterFailure when a linter cannot run; problems it finds are findings.
 */
export async function lintOpenApi(document: unknown, options: { linters?: readonly Linter[] } = {}): Promise<LintReport> {
  const linters = options.linters ?? LINTERS;
  const dir = await mkdtemp(path.join(tmpdir(), 'openapi-lint-'));
  try {
    const file = path.join(dir, 'openapi.json');
    // Pretty-printed, so the line numbers in a linter's own output are useful.
    await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
    const results = await Promise.all(linters.map(async (linter) => [linter, await RUNNERS[linter](file)] as const));
    const counts = Object.fromEntries(LINTERS.map((l) => [l, Object.fromEntries(SEVERITIES.map((s) => [s, 0]))])) as LintReport['counts'];
    const durationMs = Object.fromEntries(LINTERS.map((l) => [l, 0])) as LintReport['durationMs'];
    const findings: Finding[] = [];
    for (const [linter, result] of results) {
      durationMs[linter] = result.durationMs;
      for (const f of result.findings) {
        counts[linter][f.severity] += 1;
        findings.push(f);
      }
    }
    return { findings, counts, durationMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The findings of one severity, one line each: `linter rule at: message`. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.linter} ${f.severity} ${f.rule} ${f.at || '/'}: ${f.message}`).join('\n');
}

/** A readable summary: counts per linter and rule, then every error (and with `verbose`, every finding). */
export function summarize(report: LintReport, options: { linters?: readonly Linter[]; verbose?: boolean } = {}): string {
  const linters = options.linters ?? LINTERS;
  const lines: string[] = [];
  const configOf: Record<Linter, string> = { spectral: path.basename(SPECTRAL_RULESET), redocly: path.basename(REDOCLY_CONFIG) };
  for (const linter of linters) {
    const c = report.counts[linter];
    const extra = (['info', 'hint'] as const).filter((s) => c[s] > 0).map((s) => `, ${c[s]} ${s}${c[s] === 1 ? '' : 's'}`);
    lines.push(
      `${linter.padEnd(8)} (${configOf[linter]}): ${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}${extra.join('')}` +
        `  [${(report.durationMs[linter] / 1000).toFixed(1)} s]`,
    );
    const byRule = new Map<string, { severity: Severity; n: number }>();
    for (const f of report.findings.filter((x) => x.linter === linter)) {
      const key = `${f.severity} ${f.rule}`;
      byRule.set(key, { severity: f.severity, n: (byRule.get(key)?.n ?? 0) + 1 });
    }
    const order = (s: Severity) => SEVERITIES.indexOf(s);
    for (const [key, { n }] of [...byRule].sort(([a, x], [b, y]) => order(x.severity) - order(y.severity) || y.n - x.n || a.localeCompare(b))) {
      lines.push(`  ${String(n).padStart(4)}  ${key}`);
    }
  }
  const errors = report.findings.filter((f) => f.severity === 'error');
  const shown = options.verbose ? report.findings : errors;
  if (shown.length > 0) {
    lines.push(
      '',
      options.verbose ? 'Findings:' : 'Errors:',
      ...formatFindings(shown)
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  lines.push('', errors.length === 0 ? 'No errors.' : `${errors.length} error${errors.length === 1 ? '' : 's'}: the document fails the lint.`);
  return lines.join('\n');
}
