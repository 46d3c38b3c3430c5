/** `npm run api`: the REST API alone (scale it out as replicas behind one port). */
import { parseArgs } from 'node:util';
import { openDatabases } from '../../db/index.js';
import { ConfigError, loadConfigOrExit, temporalConnectionOptions } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { waitFor } from '../platform/retry.js';
import { startupSetupAt } from '../platform/temporal/setup.js';
import { startTracing } from '../platform/tracing/index.js';
import { startApi } from './server.js';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm run api

Starts the order API on PORT (default 3000) against TEMPORAL_ADDRESS and the shop database.
Needs DATABASE_URL or SHOP_DATABASE_URL: a separate process cannot share the embedded
database of 'npm start'. METRICS_PORT serves the process's Prometheus metrics at /metrics on a
listener of its own (METRICS_HOST: its address); PORT never serves them. See README, "Configuration".`);
  process.exit(0);
}

const config = loadConfigOrExit();
const log = createLogger(config.logLevel);
if (!config.databases.shop) {
  log.fatal('npm run api needs DATABASE_URL (or SHOP_DATABASE_URL); the embedded database only works inside npm start');
  process.exit(2);
}
const tracing = startTracing(config.tracing, { serviceName: 'api' });
const dbs = await openDatabases(config, ['shop'], { migrate: true });
const api = await startApi({ config, log, shop: dbs.shop }).catch(async (err: unknown) => {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  await dbs.close();
  process.exit(2);
});
log.info({ url: api.url, metrics: api.metrics?.url }, 'API listening');

// In the background, so the API serves (and answers 503 on /readyz) while Temporal is down or the
// namespace is not set up yet. TEMPORAL_SETUP=check only looks.
void waitFor(
  () =>
    startupSetupAt(temporalConnectionOptions(config), {
      namespace: config.temporal.namespace,
      mode: config.temporal.setup,
      retentionDays: config.temporal.namespaceRetentionDays,
      progress: (m) => log.info({ component: 'temporal-setup' }, m),
    }),
  { what: `Temporal at ${config.temporal.address}`, timeoutMs: 3_600_000, intervalMs: 5_000, onWait: (m) => log.warn(m) },
).then(
  (setup) => (setup.ready ? log.info({ component: 'temporal-setup' }, setup.message) : log.error({ component: 'temporal-setup' }, setup.message)),
  (err: unknown) => log.error({ err, component: 'temporal-setup' }, 'could not check the Temporal namespace at start-up; /readyz tells whether it is set up'),
);

const stop = async () => {
  await api.close();
  await tracing.shutdown().catch((err: unknown) => log.warn({ err }, 'flushing traces failed'));
  await dbs.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
