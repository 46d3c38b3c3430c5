/**
 * The production shape on one machine, without Docker: a Temporal cluster on PostgreSQL (four
 * services, each its own process), the pipeline's databases migrated once, a streaming read
 * replica of the PostgreSQL server that the API replicas read lists and the dashboard from, per
 * task queue its own worker processes, API replicas and nginx in front of them as the one public
 * port. Used by `npm run cluster` and by test/cluster.test.ts, so the test runs what an operator
 * runs.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { startReadReplica, type ReadReplica } from '../../db/replica.js';
import { DATABASE_NAMES, SYSTEMS, withDatabase } from '../platform/config.js';
import { ensureTemporalSetup } from '../platform/temporal/setup.js';
import { startTemporalCluster, type TemporalCluster } from './temporal.js';
import type { ServerTools } from '../platform/temporal/server-build.js';
import { createLogger } from '../platform/logger.js';
import { quietBundlerLogger, writeWorkflowBundle } from '../workflows/bundle.js';
import { QUEUE_NAMES, type QueueName } from '../order/contract.js';
import { startGateway } from './gateway.js';
import { ensureClusterCertificates } from './tls.js';
import { startWebUi } from './web-ui.js';
import { logTail, nodeEntry, startProcess, waitUntil, type ManagedProcess } from '../platform/processes.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const entry = (file: string) => path.join(PROJECT_ROOT, file);

/** Worker processes per queue: two for the busy queues, one for the MES and carrier lines. */
export const DEFAULT_WORKER_REPLICAS: Record<QueueName, number> = { orders: 2, pricing: 2, crm: 2, mes: 1, shipping: 1 };

export interface ClusterShapeOptions {
  tools: ServerTools;
  /** Files of this cluster: Temporal's config, the bundle, one log per process. */
  dir: string;
  /** A PostgreSQL server URL whose user may create databases (Temporal's and the pipeline's). */
  databaseUrl: string;
  /** Prefix of every database name (`<prefix>_shop`, `<prefix>_temporal`, …). */
  databasePrefix: string;
  /** Ports: Temporal's frontend (the other services take the next ones), the gateway, one per API replica. */
  temporalPort: number;
  gatewayPort: number;
  apiPorts: number[];
  /**
   * Port of the read replica (a streaming standby of the PostgreSQL server at `databaseUrl`, files
   * under `<dir>/replica`), which the API replicas get as SHOP_READ_DATABASE_URL; 0 or unset: none.
   */
  readReplicaPort?: number;
  /** First port of the processes' metrics listeners (one each, in start order); 0 or unset: none. */
  metricsBasePort?: number;
  workers?: Partial<Record<QueueName, number>>;
  /**
   * Mutual TLS between Temporal's services and from every client (default on): certificates are
   * made in `<dir>/tls` on first use (src/cluster/tls.ts). `false`: plain gRPC on loopback.
   */
  tls?: boolean;
  /** Port of Temporal's Web UI (read-only, loopback); 0 or unset: none. */
  uiPort?: number;
  /** More environment for every pipeline process (PIPELINE_TIME_SCALE, NODE_ENV and its secrets, …). */
  env?: Record<string, string | undefined>;
  progress?: (message: string) => void;
}

export interface RunningPart {
  /** `api-1`, `worker-orders-2`, `gateway`, … */
  name: string;
  kind: 'api' | 'worker' | 'gateway' | 'ui';
  queue?: QueueName;
  port?: number;
  metricsPort?: number;
  process: ManagedProcess;
}

export interface ClusterShape {
  gatewayUrl: string;
  temporal: TemporalCluster;
  /** The URL of each pipeline database. */
  databases: Record<(typeof SYSTEMS)[number], string>;
  /** The shop read replica, when `readReplicaPort` asked for one. */
  readReplica: ReadReplica | undefined;
  parts: RunningPart[];
  /** The env every pipeline process got. */
  env: Record<string, string | undefined>;
  /** Kills `part` with SIGKILL and starts it again with the same settings. */
  restart(part: RunningPart, signal?: NodeJS.Signals): Promise<RunningPart>;
  stop(): Promise<void>;
}

export async function startClusterShape(options: ClusterShapeOptions): Promise<ClusterShape> {
  const progress = options.progress ?? (() => {});
  options = { ...options, dir: path.resolve(options.dir) };
  const logDir = path.join(options.dir, 'logs');
  const prefix = options.databasePrefix;
  const databases = Object.fromEntries(
    SYSTEMS.map((s) => [s, withDatabase(options.databaseUrl, `${prefix}_${DATABASE_NAMES[s].replace(/^orders_/, '')}`)]),
  ) as Record<(typeof SYSTEMS)[number], string>;
  const gatewayUrl = `http://127.0.0.1:${options.gatewayPort}`;
  const parts: RunningPart[] = [];
  let temporal: TemporalCluster | undefined;
  const certificates = options.tls !== false ? ensureClusterCertificates(path.join(options.dir, 'tls')) : undefined;
  const uiUrl = options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined;
  // Made while Temporal starts; a base backup takes seconds, a reused replica less than one.
  const replicaStarting = options.readReplicaPort
    ? startReadReplica({ primaryUrl: options.databaseUrl, dir: path.join(options.dir, 'replica'), port: options.readReplicaPort, progress })
    : undefined;
  // Awaited below; a failure is reported there (and the replica cleans up after itself).
  replicaStarting?.catch(() => {});
  const stop = async () => {
    // The public side first, so nothing new arrives while the workers drain.
    for (const kind of ['gateway', 'ui', 'api', 'worker'] as const) {
      await Promise.all(parts.filter((p) => p.kind === kind).map((p) => p.process.kill('SIGTERM')));
    }
    await temporal?.stop();
    // Its readers (the API replicas) are gone.
    await replicaStarting?.then(
      (replica) => replica.stop(),
      () => {},
    );
  };

  try {
    temporal = await startTemporalCluster({
      tools: options.tools,
      databaseUrl: options.databaseUrl,
      databaseNames: { history: `${prefix}_temporal`, visibility: `${prefix}_temporal_visibility` },
      frontendPort: options.temporalPort,
      dir: path.join(options.dir, 'temporal'),
      ...(certificates ? { tls: certificates } : {}),
      progress,
    });
    const connection = await Connection.connect(temporal.connection);
    try {
      const report = await ensureTemporalSetup(connection, 'default', { retentionDays: 3, progress });
      if (!report.noop) progress('Namespace "default" set up for orders.');
    } finally {
      await connection.close();
    }

    const env: Record<string, string | undefined> = {
      ...temporal.clientEnv,
      TEMPORAL_NAMESPACE: 'default',
      ...Object.fromEntries(SYSTEMS.map((s) => [`${s.toUpperCase()}_DATABASE_URL`, databases[s]])),
      PUBLIC_BASE_URL: gatewayUrl,
      // The Web UI's origin: the API's codec endpoint answers its browser calls (CORS), trace links point there.
      ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl } : {}),
      MES_EVENTS_URL: `${gatewayUrl}/v1/integrations/mes/events`,
      CARRIER_EVENTS_URL: `${gatewayUrl}/v1/integrations/carrier/events`,
      METRICS_PORT: '0',
      // Ten processes share the PostgreSQL server with Temporal's four.
      DATABASE_POOL_SIZE: '3',
      ...options.env,
    };
    progress('Migrating the pipeline databases…');
    const migrate = startProcess({ name: 'migrate', ...nodeEntry(entry('db/cli.ts')), env, logDir });
    await new Promise<void>((resolve, reject) =>
      migrate.child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`migrating the databases failed (exit ${code}):\n  ${logTail(migrate.logFile)}`)),
      ),
    );
    let readReplica: ReadReplica | undefined;
    if (replicaStarting) {
      readReplica = await replicaStarting;
      // The standby copies the whole server: once it has replayed the migrations, the shop database is there.
      await readReplica.catchUp();
      env.SHOP_READ_DATABASE_URL = readReplica.url(new URL(databases.shop).pathname.slice(1));
      progress(`The API replicas read lists and the dashboard from the read replica on ${readReplica.host}:${readReplica.port}.`);
    }
    progress('Bundling workflows…');
    const bundle = await writeWorkflowBundle(path.join(options.dir, 'workflow-bundle.js'), {
      logger: quietBundlerLogger(createLogger('warn')),
      tracing: Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    });

    let nextMetricsPort = options.metricsBasePort || 0;
    const metricsEnv = () => {
      if (!nextMetricsPort) return { port: undefined, env: {} };
      const port = nextMetricsPort++;
      return { port, env: { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' } };
    };
    const replicas = { ...DEFAULT_WORKER_REPLICAS, ...options.workers };
    for (const queue of QUEUE_NAMES) {
      for (let i = 1; i <= replicas[queue]; i++) {
        const metrics = metricsEnv();
        const name = `worker-${queue}-${i}`;
        const proc = startProcess({
          name,
          ...nodeEntry(entry('src/workers/main.ts'), [queue]),
          env: { ...env, ...metrics.env, WORKFLOW_BUNDLE_PATH: bundle },
          logDir,
        });
        parts.push({ name, kind: 'worker', queue, metricsPort: metrics.port, process: proc });
      }
    }
    options.apiPorts.forEach((port, i) => {
      const metrics = metricsEnv();
      const name = `api-${i + 1}`;
      const proc = startProcess({ name, ...nodeEntry(entry('src/api/main.ts')), env: { ...env, ...metrics.env, PORT: String(port) }, logDir });
      parts.push({ name, kind: 'api', port, metricsPort: metrics.port, process: proc });
    });
    const gateway = startGateway({
      dir: path.join(options.dir, 'gateway'),
      listen: `127.0.0.1:${options.gatewayPort}`,
      upstreams: options.apiPorts.map((p) => `127.0.0.1:${p}`),
    });
    parts.push({ name: 'gateway', kind: 'gateway', port: options.gatewayPort, process: gateway });
    if (options.uiPort) {
      const ui = startWebUi({
        tools: options.tools,
        dir: path.join(options.dir, 'ui'),
        port: options.uiPort,
        frontend: temporal.address,
        tls: certificates,
        codecEndpoint: `${gatewayUrl}/v1/codec`,
        logDir,
      });
      parts.push({ name: 'temporal-ui', kind: 'ui', port: options.uiPort, process: ui });
    }
    progress(
      `Started ${parts.filter((p) => p.kind === 'worker').length} worker processes, ${options.apiPorts.length} API replicas and the gateway; waiting until they are ready…`,
    );
    const gone = () => parts.find((p) => p.process.exited())?.process;
    for (const api of parts.filter((p) => p.kind === 'api')) {
      await waitUntil(`${api.name} on port ${api.port}`, async () => (await fetch(`http://127.0.0.1:${api.port}/readyz`)).ok, { timeoutMs: 120_000, gone });
    }
    await waitUntil(`the gateway on ${gatewayUrl}`, async () => (await fetch(`${gatewayUrl}/readyz`)).ok, { timeoutMs: 30_000, gone });
    if (uiUrl) await waitUntil(`the Web UI on ${uiUrl}`, async () => (await fetch(`${uiUrl}/api/v1/settings`)).ok, { timeoutMs: 30_000, gone });
    await waitForPollers(temporal.connection, replicas, 120_000, gone);

    const shape: ClusterShape = {
      gatewayUrl,
      temporal,
      databases,
      readReplica,
      parts,
      env,
      restart: async (part, signal = 'SIGKILL') => {
        await part.process.kill(signal);
        const again: RunningPart = { ...part, process: part.process.restart() };
        parts[parts.indexOf(part)] = again;
        return again;
      },
      stop,
    };
    return shape;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Until every queue has at least one poller (the workers have connected and polled). */
async function waitForPollers(
  target: TemporalCluster['connection'],
  replicas: Record<QueueName, number>,
  timeoutMs: number,
  gone: () => ManagedProcess | undefined,
): Promise<void> {
  const connection = await Connection.connect(target);
  try {
    for (const queue of QUEUE_NAMES.filter((q) => replicas[q] > 0)) {
      await waitUntil(
        `workers polling task queue ${queue}`,
        async () => {
          const [workflow, activity] = await Promise.all(
            [1, 2].map((taskQueueType) => connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: queue }, taskQueueType })),
          );
          return (workflow!.pollers?.length ?? 0) + (activity!.pollers?.length ?? 0) > 0;
        },
        { timeoutMs, gone },
      );
    }
  } finally {
    await connection.close();
  }
}
