/**
 * `npm run cluster`: the production shape on this machine — a Temporal cluster on PostgreSQL
 * (frontend, history, matching and worker services as separate processes), worker processes per
 * task queue, two API replicas and nginx as the one public port, a streaming read replica of
 * PostgreSQL for the API's lists and dashboard. Ctrl-C stops everything.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_WORKER_REPLICAS, startClusterShape } from './shape.js';
import { clusterPorts } from './temporal.js';
import { ensureTemporalServer } from '../platform/temporal/server-build.js';
import { QUEUE_NAMES, type QueueName } from '../order/contract.js';

const USAGE = `Usage: npm run cluster [-- options]

Runs the production shape on this machine, without Docker:
  Temporal server (built with Go on first use) on PostgreSQL: frontend, history, matching and
    worker services, each its own process; databases <prefix>_temporal and
    <prefix>_temporal_visibility; the namespace and search attributes set up by the product
  worker processes per task queue (${QUEUE_NAMES.map((q) => `${q} ${DEFAULT_WORKER_REPLICAS[q]}`).join(', ')})
  API replicas behind nginx (deploy/nginx/api.conf, as in docker-compose.yml) on one port
  Temporal's Web UI (built with the server), read-only, on loopback
  mutual TLS between Temporal's services and from every client: certificates of its own CAs,
    made with openssl in DIR/tls on the first run
  a streaming read replica of the PostgreSQL server (pg_basebackup -R, a standby on its own
    port, files under DIR/replica): the API replicas read order lists, the dashboard and the
    order gauges from it (SHOP_READ_DATABASE_URL), one order from its workflow or the primary;
    the server must allow replication connections from 127.0.0.1 (the error says how)
Ctrl-C stops every process it started; the databases stay (a second run continues with them),
and so does the replica's data directory (a second run streams on from where it stopped).

Options:
  --database-url URL   PostgreSQL server whose user may create databases
                       (default DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
  --prefix NAME        prefix of every database name (default orders_cluster)
  --port N             the gateway's port (default 3000)
  --temporal-port N    Temporal frontend gRPC port; the services use the next ports (default 7233)
  --replica-port N     port of the read replica on 127.0.0.1 (default 5433)
  --ui-port N          Temporal's Web UI on 127.0.0.1, read-only (default 8233)
  --no-replica         no read replica: the API replicas read the primary
  --api-replicas N     API replicas (default 2), on ports 3101, 3102, …
  --workers Q=N,…      worker processes per queue, e.g. orders=3,mes=2
  --dir DIR            config, logs and the workflow bundle (default .data/cluster)
  -h, --help           this text

The pipeline's own settings come from the environment as for 'npm run api' and 'npm run worker'
(PIPELINE_TIME_SCALE, NODE_ENV=production with its secrets, …; see README, "Configuration").
Exit codes: 0 stopped by Ctrl-C, 1 failed to start (the message says why), 2 usage error.`;

function usageError(message: string): never {
  console.error(`error: ${message}\nRun 'npm run cluster -- --help' for usage.`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h' },
      'database-url': { type: 'string' },
      prefix: { type: 'string' },
      port: { type: 'string' },
      'temporal-port': { type: 'string' },
      'replica-port': { type: 'string' },
      'ui-port': { type: 'string' },
      'no-replica': { type: 'boolean' },
      'api-replicas': { type: 'string' },
      workers: { type: 'string' },
      dir: { type: 'string' },
    },
  }));
} catch (err) {
  usageError((err as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function port(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) usageError(`--${name} wants a port number (1-65535), not '${text}'`);
  return n;
}

function workerCounts(text: string | undefined): Partial<Record<QueueName, number>> {
  if (!text) return {};
  const out: Partial<Record<QueueName, number>> = {};
  for (const item of text.split(',')) {
    const [queue, count] = item.split('=');
    if (!QUEUE_NAMES.includes(queue as QueueName)) usageError(`--workers: unknown queue '${queue}' (queues: ${QUEUE_NAMES.join(', ')})`);
    const n = Number(count);
    if (!Number.isInteger(n) || n < 0 || n > 16) usageError(`--workers: '${item}' wants a count from 0 to 16, like ${queue}=2`);
    out[queue as QueueName] = n;
  }
  return out;
}

const gatewayPort = port('port', values.port, 3000);
const temporalPort = port('temporal-port', values['temporal-port'], 7233);
if (values['no-replica'] && values['replica-port'] !== undefined) usageError('--replica-port and --no-replica exclude each other');
const replicaPort = values['no-replica'] ? 0 : port('replica-port', values['replica-port'], 5433);
const uiPort = port('ui-port', values['ui-port'], 8233);
const replicasText = values['api-replicas'] ?? '2';
const apiReplicas = Number(replicasText);
if (!Number.isInteger(apiReplicas) || apiReplicas < 1 || apiReplicas > 8) usageError(`--api-replicas wants 1 to 8, not '${replicasText}'`);
const workers = workerCounts(values.workers);
const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = values.prefix ?? 'orders_cluster';
if (!/^[a-z_][a-z0-9_]{0,30}$/.test(prefix)) usageError(`--prefix wants a lower-case SQL name (letters, digits, _), not '${prefix}'`);
const dir = path.resolve(values.dir ?? '.data/cluster');
const apiPorts = Array.from({ length: apiReplicas }, (_, i) => 3101 + i);

const say = (m: string) => console.log(m);
let shape: Awaited<ReturnType<typeof startClusterShape>> | undefined;
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say('Stopping the cluster…');
  await shape?.stop();
  say('Stopped.');
  process.exit(code);
};
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

try {
  const tools = await ensureTemporalServer(undefined, say);
  shape = await startClusterShape({
    tools,
    dir,
    databaseUrl,
    databasePrefix: prefix,
    temporalPort,
    gatewayPort,
    apiPorts,
    readReplicaPort: replicaPort,
    uiPort,
    metricsBasePort: 9500,
    workers,
    progress: say,
  });
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  console.error(`Logs: ${path.relative(process.cwd(), dir)}/logs/ and ${path.relative(process.cwd(), dir)}/temporal/.`);
  process.exit(1);
}
const ports = clusterPorts(temporalPort);
const rel = path.relative(process.cwd(), dir) || dir;
// The client certificate's variables (Temporal's own names: the `temporal` CLI reads them too), relative to here.
const tlsEnv = Object.entries(shape.temporal.clientEnv)
  .map(([k, v]) => `${k}=${v.startsWith('/') ? path.relative(process.cwd(), v) : v}`)
  .join(' \\\n    ');
say(`
The order pipeline runs in its production shape.
  Gateway        ${shape.gatewayUrl}   (the only public port; API docs at /docs)
  API replicas   ${shape.parts
    .filter((p) => p.kind === 'api')
    .map((p) => `${p.name} :${p.port}`)
    .join(', ')}
  Workers        ${shape.parts
    .filter((p) => p.kind === 'worker')
    .map((p) => p.name.replace('worker-', ''))
    .join(', ')}
  Metrics        ${shape.parts
    .filter((p) => p.metricsPort)
    .map((p) => `${p.name} :${p.metricsPort}`)
    .join(', ')}
  Read replica   ${
    shape.readReplica
      ? `${shape.readReplica.host}:${shape.readReplica.port}, streaming from ${new URL(databaseUrl).host} (lists, dashboard, order gauges; lag in orders_shop_read_replica_lag_seconds); data ${path.relative(process.cwd(), shape.readReplica.dataDir)}, log ${path.relative(process.cwd(), shape.readReplica.logFile)}`
      : 'none (--no-replica): the API replicas read the primary'
  }
  Temporal       frontend ${shape.temporal.address}${shape.temporal.connection.tls ? ' (mTLS: a client certificate of this cluster is required)' : ''}, history :${ports.grpc.history}, matching :${ports.grpc.matching}, worker :${ports.grpc.worker} (databases ${shape.temporal.databases.history}, ${shape.temporal.databases.visibility})
  Web UI         http://127.0.0.1:${uiPort}   (read-only; payloads decoded through the gateway's /v1/codec)
  Logs           ${rel}/logs/, ${rel}/temporal/
  Certificates   ${rel}/tls/ (made on the first run; delete the folder for new ones)
Operator CLI (npx orders, or the temporal CLI) with the cluster's client certificate:
  ${tlsEnv} \\
    npx orders --help
Press Ctrl-C to stop.`);

// A process that dies is reported; the rest keep serving (the gateway skips a dead API replica).
for (const part of shape.parts) {
  part.process.child.once('exit', (code, signal) => {
    if (!stopping) console.error(`warning: ${part.name} exited (${code ?? signal}); see ${rel}/logs/${part.name}.log`);
  });
}
