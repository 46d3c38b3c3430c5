/**
 * Once per `npm test`: one Temporal dev server (the real one, built from source if missing),
 * fresh test databases on the local PostgreSQL, migrations, and the workflow bundle.
 */
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { dropDatabase, ensureDatabaseExists } from '../../db/index.js';
import { loadConfig } from '../../src/platform/config.js';
import { ensureTemporalCli, startDevServer, type DevServer } from '../../src/platform/temporal/dev-server.js';
import { writeWorkflowBundle } from '../../src/workflows/bundle.js';
import { openDatabases } from '../../db/index.js';
import { TEST_DATA_DIR, TEST_TEMPORAL_PORT, testDatabaseUrls } from './constants.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrls: Record<'shop' | 'crm' | 'mes' | 'carrier' | 'pricing', string>;
    workflowBundlePath: string;
    temporalCliPath: string;
  }
}

let server: DevServer | undefined;

async function recreateDatabase(url: string) {
  await dropDatabase(url);
  await ensureDatabaseExists(url);
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  const cliPath = ensureTemporalCli(process.env.TEMPORAL_CLI_PATH, (m) => console.log(m));
  server = await startDevServer({ cliPath, port: TEST_TEMPORAL_PORT, headless: true, logFile: path.join(TEST_DATA_DIR, 'temporal.log') });

  const urls = testDatabaseUrls();
  await Promise.all(Object.values(urls).map(recreateDatabase));
  const config = loadConfig({
    NODE_ENV: 'test',
    SHOP_DATABASE_URL: urls.shop,
    CRM_DATABASE_URL: urls.crm,
    MES_DATABASE_URL: urls.mes,
    CARRIER_DATABASE_URL: urls.carrier,
    PRICING_DATABASE_URL: urls.pricing,
  });
  const dbs = await openDatabases(config, ['shop', 'crm', 'mes', 'carrier', 'pricing'], { migrate: true });
  await dbs.close();

  const workflowBundlePath = await writeWorkflowBundle(path.join(TEST_DATA_DIR, 'workflow-bundle.js'));

  project.provide('temporalAddress', server.address);
  project.provide('databaseUrls', urls);
  project.provide('workflowBundlePath', path.resolve(workflowBundlePath));
  project.provide('temporalCliPath', cliPath);
  console.log(`test environment ready in ${((Date.now() - started) / 1000).toFixed(1)} s (Temporal ${server.address}, ${server.owned ? 'started' : 'reused'})`);
  // The server must not outlive the test run, even if the runner is killed before teardown.
  const child = server.process;
  child?.unref();
  process.once('exit', () => child?.kill('SIGKILL'));
  return async () => {
    await server?.stop();
  };
}
