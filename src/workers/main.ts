/** `npm run worker -- <queue…|all>`: workers of the named task queues in this process. */
import { parseArgs } from 'node:util';
import { openDatabases } from '../../db/index.js';
import { loadConfigOrExit, temporalConnectionOptions } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { waitFor } from '../platform/retry.js';
import { startMetricsServer } from '../platform/metrics/http.js';
import { installTemporalRuntime } from '../platform/temporal/runtime.js';
import { startupSetupAt } from '../platform/temporal/setup.js';
import { startTracing } from '../platform/tracing/index.js';
import { QUEUE_NAMES } from '../order/contract.js';
import { connectWorkers, createWorkers, databasesFor, parseQueues } from './run.js';

const { values, positionals } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
if (values.help) {
  console.log(`Usage: npm run worker -- <queue…|all>

Runs the workers of the given task queues (${QUEUE_NAMES.join(', ')}) until SIGINT/SIGTERM.
Each queue's concurrency comes from its variable (ORDERS_CONCURRENCY, PRICING_CONCURRENCY,
CRM_CONCURRENCY, MES_CAPACITY, SHIPPING_CONCURRENCY). Workers that need a database need
DATABASE_URL (or the system's own *_DATABASE_URL). METRICS_PORT serves the process's
Prometheus metrics at /metrics, TEMPORAL_METRICS_PORT the Temporal SDK's worker metrics, both on
METRICS_HOST (default every interface).
See README, "Configuration".`);
  process.exit(0);
}

const config = loadConfigOrExit();
const log = createLogger(config.logLevel);
let queues;
try {
  queues = parseQueues(positionals);
} catch (err) {
  console.error(`error: ${(err as Error).message}\nRun 'npm run worker -- --help' for usage.`);
  process.exit(2);
}
const systems = databasesFor(queues);
const missing = systems.filter((s) => !config.databases[s]);
if (missing.length > 0) {
  console.error(
    `error: the ${queues.join(', ')} worker(s) need the ${missing.join(', ')} database(s): set DATABASE_URL ` +
      `(or ${missing.map((m) => `${m.toUpperCase()}_DATABASE_URL`).join(', ')}). The embedded database only works inside npm start.`,
  );
  process.exit(2);
}

installTemporalRuntime(log, { metricsPort: config.metrics.sdkPort, ...(config.metrics.host ? { metricsHost: config.metrics.host } : {}) });
const tracing = startTracing(config.tracing, { serviceName: `worker-${queues.join('-')}` });
const metrics = config.metrics.port ? await startMetricsServer({ port: config.metrics.port, host: config.metrics.host, log }) : undefined;
const dbs = await openDatabases(config, systems, { migrate: true });
const connection = await waitFor(() => connectWorkers(temporalConnectionOptions(config)), {
  what: `Temporal at ${config.temporal.address}`,
  timeoutMs: 120_000,
  onWait: (m) => log.warn(m),
});
try {
  // The namespace and search attributes the orders' workflows set; TEMPORAL_SETUP=check only looks.
  const setup = await startupSetupAt(temporalConnectionOptions(config), {
    namespace: config.temporal.namespace,
    mode: config.temporal.setup,
    retentionDays: config.temporal.namespaceRetentionDays,
    progress: (m) => log.info({ component: 'temporal-setup' }, m),
  });
  if (setup.ready) log.info({ component: 'temporal-setup' }, setup.message);
  else log.error({ component: 'temporal-setup' }, setup.message);
  const workers = await createWorkers(
    {
      config,
      connection,
      db: { shop: dbs.shop?.db, crm: dbs.crm?.db, mes: dbs.mes?.db, carrier: dbs.carrier?.db, pricing: dbs.pricing?.db },
      workflowBundlePath: config.workflowBundlePath,
    },
    queues,
  );
  log.info({ queues, concurrency: config.concurrency, metrics: metrics?.url, sdkMetricsPort: config.metrics.sdkPort }, 'workers running');
  await workers.run();
} finally {
  await tracing.shutdown().catch((err: unknown) => log.warn({ err }, 'flushing traces failed'));
  await metrics?.close();
  await connection.close();
  await dbs.close();
}
