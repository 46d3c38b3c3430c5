/**
 * `npm start`: the whole pipeline in one process tree on embedded defaults — a Temporal dev
 * server (SQLite under .data/, Web UI), the databases (PostgreSQL at DATABASE_URL, else embedded
 * PGlite under .data/), migrations, every worker and the API.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabases } from '../db/index.js';
import { startApi } from './api/server.js';
import { DEV_CLIENTS } from './api/clients.js';
import { ConfigError, DEFAULT_METRICS_PORT, SYSTEMS, loadConfigOrExit, temporalConnectionOptions } from './platform/config.js';
import { createLogger, useReadableLogsOnTerminal } from './platform/logger.js';
import { waitFor } from './platform/retry.js';
import { ensureTemporalCli, isListening, startDevServer, type DevServer } from './platform/temporal/dev-server.js';
import { installTemporalRuntime } from './platform/temporal/runtime.js';
import { startupSetupAt } from './platform/temporal/setup.js';
import { startTracing, tracingEnabled } from './platform/tracing/index.js';
import { quietBundlerLogger, writeWorkflowBundle } from './workflows/bundle.js';
import { QUEUE_NAMES } from './order/contract.js';
import { connectWorkers, createWorkers } from './workers/run.js';

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log(`Usage: npm start

Runs the whole order pipeline: Temporal dev server (unless TEMPORAL_ADDRESS already answers),
databases and migrations, all workers and the REST API. Stop with Ctrl-C.
Try PIPELINE_TIME_SCALE=0.001 npm start for a demo where an order is delivered in seconds.
Configuration: see README, "Configuration".`);
  process.exit(0);
}

const say = (m: string) => process.stdout.write(`${m}\n`);
const config = loadConfigOrExit();
// Readable lines in a terminal, JSON when piped; every logger of the process follows.
useReadableLogsOnTerminal();
const log = createLogger(config.logLevel);
const tracing = startTracing(config.tracing, { serviceName: 'order-pipeline' });
// All in one: the embedded MES and carrier send their events to this process's own API.
if (config.port !== 0) {
  for (const system of ['mes', 'carrier'] as const) {
    config.integrations[system].eventsUrl ??= `http://localhost:${config.port}/v1/integrations/${system}/events`;
  }
}

// Metrics on a listener of their own, on loopback unless METRICS_HOST says otherwise; METRICS_PORT=0 turns it off.
if (!config.metrics.off) {
  config.metrics.port ??= DEFAULT_METRICS_PORT;
  config.metrics.host ??= '127.0.0.1';
}

// 1. Temporal: reuse one that answers, else start the dev server (built first if needed).
const [host, portText] = config.temporal.address.split(':');
const temporalPort = Number(portText ?? 7233);
let devServer: DevServer | undefined;
const local = host === 'localhost' || host === '127.0.0.1';
if (local && !(await isListening(host === 'localhost' ? '127.0.0.1' : host!, temporalPort))) {
  const cli = ensureTemporalCli(config.temporal.cliPath, say);
  say(`Starting Temporal dev server on ${config.temporal.address} (state in ${path.join(config.dataDir, 'temporal.db')})…`);
  devServer = await startDevServer({
    cliPath: cli,
    port: temporalPort,
    uiPort: Number(new URL(config.temporal.uiUrl).port || temporalPort + 1000),
    dbFile: path.join(config.dataDir, 'temporal.db'),
    logFile: path.join(config.dataDir, 'temporal.log'),
    namespace: config.temporal.namespace,
    // The Web UI decrypts histories through the API's codec endpoint (src/api/routes/codec.ts).
    codecEndpoint: `${config.publicBaseUrl}/v1/codec`,
  });
} else {
  say(`Using the Temporal server at ${config.temporal.address}.`);
}

// 2. Databases and migrations.
say(
  config.databaseServerUrl || config.databases.shop
    ? 'Connecting to PostgreSQL and migrating…'
    : `Opening embedded databases under ${config.dataDir}/pglite (first run takes a few seconds)…`,
);
const dbs = await openDatabases(config, SYSTEMS, { migrate: true });

// 3. Workers for every queue, then the API.
installTemporalRuntime(log, { metricsPort: config.metrics.sdkPort, metricsHost: config.metrics.host ?? '127.0.0.1' });
const connection = await waitFor(() => connectWorkers(temporalConnectionOptions(config)), {
  what: `Temporal at ${config.temporal.address}`,
  timeoutMs: 120_000,
  onWait: say,
});
// The namespace and the search attributes orders need, on whichever server this is (the dev
// server started above has them already). TEMPORAL_SETUP=check only looks.
const setup = await startupSetupAt(temporalConnectionOptions(config), {
  namespace: config.temporal.namespace,
  mode: config.temporal.setup,
  retentionDays: config.temporal.namespaceRetentionDays,
  progress: say,
});
if (setup.ready) {
  if (setup.report && !setup.report.noop) say(setup.message);
} else {
  console.error(`\nWARNING: ${setup.message}\n`);
}
// Bundled here rather than inside the orders worker, so that webpack's build report stays at
// debug level instead of filling the terminal.
let workflowBundlePath = config.workflowBundlePath;
if (!workflowBundlePath) {
  say('Bundling workflows…');
  workflowBundlePath = await writeWorkflowBundle(path.join(config.dataDir, 'workflow-bundle.js'), {
    logger: quietBundlerLogger(log.child({ component: 'workflow-bundle' })),
    tracing: tracingEnabled(),
  });
}
say('Starting workers…');
const workers = await createWorkers(
  {
    config,
    connection,
    db: { shop: dbs.shop.db, crm: dbs.crm.db, mes: dbs.mes.db, carrier: dbs.carrier.db, pricing: dbs.pricing.db },
    workflowBundlePath,
  },
  QUEUE_NAMES,
);
const running = workers.run();
const api = await startApi({ config, log, shop: dbs.shop }).catch(async (err: unknown) => {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  workers.shutdown();
  await running.catch(() => {});
  await connection.close().catch(() => {});
  await dbs.close().catch(() => {});
  await devServer?.stop();
  process.exit(2);
});

say(`
Order pipeline is running.
  API           ${api.url}   (health: ${api.url}/healthz, ready: ${api.url}/readyz)
  API docs      ${api.url}/docs   (OpenAPI: ${api.url}/openapi.json)
  Metrics       ${api.metrics ? `${api.metrics.url}   (API and every worker of this process)` : 'off (METRICS_PORT=0)'}${config.metrics.sdkPort ? `; Temporal SDK: http://${config.metrics.host ?? '127.0.0.1'}:${config.metrics.sdkPort}/metrics` : ''}
  Temporal UI   ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows
  Tracing       ${config.tracing.otlpTracesUrl ?? (config.tracing.exporters.join(', ') || 'no exporter (trace ids in the logs); OTEL_EXPORTER_OTLP_ENDPOINT exports spans')}
  Time scale    ${config.timeScale}${config.timeScale === 1 ? '  (real durations; PIPELINE_TIME_SCALE=0.001 for a quick demo)' : ''}
  Dev API keys  ${DEV_CLIENTS.map((c) => `${c.key} (${c.kind}${c.partnerId ? ` ${c.partnerId}` : ''})`).join(', ')}

Place an order:
  curl -s -X POST ${api.url}/v1/orders -H 'Authorization: Bearer shop-dev-key' -H 'content-type: application/json' \\
    -d '{"customer":{"name":"Anna","email":"anna@example.com"},"items":[{"sku":"BC-STD","quantity":100}],"shipping":{"method":"courier","address":{"line1":"Hauptstr. 1","postalCode":"10115","city":"Berlin","country":"DE"}}}'
Operator CLI:  npx orders --help
Press Ctrl-C to stop.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say('Stopping…');
  workers.shutdown();
  await api.close().catch(() => {});
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

try {
  await running;
} finally {
  await stop();
  await connection.close().catch(() => {});
  await tracing.shutdown().catch((err: unknown) => log.warn({ err }, 'flushing traces failed'));
  await dbs.close().catch(() => {});
  await devServer?.stop();
}
