/**
 * `npm run lint:openapi`: builds the OpenAPI document the API serves at `/openapi.json` (in this
 * process, from src/api/openapi.ts) and lints it with Spectral and Redocly; see
 * scripts/openapi-linters.ts. Exit code 1 when either finds an error.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/platform/config.js';
import { openApiDocument } from '../src/api/openapi.js';
import { LINTERS, LinterFailure, lintOpenApi, summarize, type Linter } from './openapi-linters.js';

const HELP = `Usage: npm run lint:openapi -- [flags]

Builds the OpenAPI document the API serves at /openapi.json (from src/api/openapi.ts, with the
configuration of this environment) and lints it with
  spectral  Spectral's OpenAPI rules and the OWASP API Security Top 10 ruleset (.spectral.yaml)
  redocly   Redocly's recommended ruleset (redocly.yaml)
then prints the number of errors and warnings of each, per rule, and every error.
Neither linter needs the network (Redocly's usage data and update check are off).

Flags
  --file <path>    lint this saved document (JSON or YAML) instead, e.g. one fetched from a
                   running API with: curl -o openapi.json http://localhost:3000/openapi.json
  --only <linter>  run one linter: ${LINTERS.join(' or ')}
  --verbose        list every warning too, not only the errors
  --json           print the findings as JSON ({ counts, findings })
  -h, --help       this text

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 bad flags, configuration, or a
linter that could not run.`;

/** A mistake of the caller or the environment: printed, exit code 2. */
class UsageError extends Error {}

async function document(file: string | undefined): Promise<unknown> {
  if (file !== undefined) {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`Cannot read ${file}: ${err.code ?? err.message}`);
    });
    if (!/\.ya?ml$/i.test(file)) {
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new UsageError(`${file} is not JSON (${(err as Error).message}); name a .yaml file for YAML.`);
      }
    }
    const { parse } = await import('yaml');
    return parse(text);
  }
  try {
    return openApiDocument(loadConfig());
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string' },
        only: { type: 'string' },
        verbose: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nSee --help.`);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.only !== undefined && !(LINTERS as readonly string[]).includes(values.only)) {
    throw new UsageError(`Unknown linter "${values.only}"; use ${LINTERS.join(' or ')}.`);
  }
  const linters: readonly Linter[] = values.only ? [values.only as Linter] : LINTERS;
  const doc = await document(values.file);
  const report = await lintOpenApi(doc, { linters });
  if (values.json) {
    console.log(JSON.stringify({ counts: Object.fromEntries(linters.map((l) => [l, report.counts[l]])), findings: report.findings }, null, 2));
  } else {
    console.log(`OpenAPI document ${values.file ?? 'of src/api/openapi.ts'}:`);
    console.log(summarize(report, { linters, verbose: values.verbose === true }));
  }
  return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof LinterFailure) {
      console.error(err.message);
      process.exitCode = 2;
      return;
    }
    console.error(err);
    process.exitCode = 2;
  },
);
