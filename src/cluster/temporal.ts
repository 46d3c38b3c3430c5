/**
 * A real Temporal cluster on PostgreSQL without Docker: the server built by `ensure-server`
 * (src/platform/temporal/server-build.ts), its two databases (history and SQL visibility) set up with
 * the server's own schema tool, and the four services — frontend, history, matching, worker —
 * each in a process of its own, so one of them can be killed and restarted on its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import postgres from 'postgres';
import { withDatabase, type TemporalTls } from '../platform/config.js';
import { logTail, startProcess, waitUntil, type ManagedProcess } from '../platform/processes.js';
import type { ServerTools } from '../platform/temporal/server-build.js';
import { clientTls, clientTlsEnv, serverTlsConfig, type ClusterCertificates } from './tls.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The dynamic config shared with docker-compose.yml: priority and fairness on, one partition per queue. */
export const CLUSTER_DYNAMIC_CONFIG = path.join(PROJECT_ROOT, 'deploy/temporal/dynamic-config.yaml');

export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export interface TemporalClusterOptions {
  tools: ServerTools;
  /** PostgreSQL server that keeps the cluster's state, as a URL whose user may create databases. */
  databaseUrl: string;
  /** Names of the two databases; default `temporal` and `temporal_visibility`. */
  databaseNames?: { history: string; visibility: string };
  /** Frontend gRPC port; the other services use the next ports (see `clusterPorts`). */
  frontendPort: number;
  /** Config file and one log file per service go here. */
  dir: string;
  /** History shards; fixed for the life of the databases (4 is plenty on one machine). */
  historyShards?: number;
  dynamicConfigFile?: string;
  /** Mutual TLS between the services and on the frontend (see src/cluster/tls.ts); unset: plain gRPC on loopback. */
  tls?: ClusterCertificates;
  progress?: (message: string) => void;
}

/** The ports of one cluster: gRPC and membership per service, frontend HTTP. */
export function clusterPorts(frontendPort: number) {
  const grpc = { frontend: frontendPort, history: frontendPort + 1, matching: frontendPort + 2, worker: frontendPort + 3 };
  const membership = { frontend: frontendPort + 10, history: frontendPort + 11, matching: frontendPort + 12, worker: frontendPort + 13 };
  return { grpc, membership, http: frontendPort + 20 };
}

export interface TemporalCluster {
  address: string;
  /** What a client connects with: the address, and the client certificate when the cluster runs mTLS. */
  connection: { address: string; tls?: TemporalTls };
  /** The same as TEMPORAL_* variables for the product's processes (and the `temporal` CLI). */
  clientEnv: Record<string, string>;
  services: Record<TemporalService, ManagedProcess>;
  databases: { history: string; visibility: string };
  configFile: string;
  stop(): Promise<void>;
}

interface PgTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

function pgTarget(url: string): PgTarget {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
  };
}

/** The server's config file (YAML is a superset of JSON: written as JSON, read by the server as YAML). */
export function clusterConfig(
  options: Required<Pick<TemporalClusterOptions, 'databaseUrl' | 'frontendPort' | 'historyShards' | 'dynamicConfigFile'>> & {
    databaseNames: { history: string; visibility: string };
    tls?: ClusterCertificates | undefined;
  },
) {
  const pg = pgTarget(options.databaseUrl);
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const ports = clusterPorts(options.frontendPort);
  const rpc = (service: TemporalService) => ({
    rpc: {
      grpcPort: ports.grpc[service],
      membershipPort: ports.membership[service],
      bindOnIP: '127.0.0.1',
      ...(service === 'frontend' ? { httpPort: ports.http } : {}),
    },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'history-store',
      visibilityStore: 'visibility-store',
      numHistoryShards: options.historyShards,
      // Per service process; four of them stay within a default PostgreSQL's 100 connections beside the pipeline.
      datastores: { 'history-store': store(options.databaseNames.history, 6), 'visibility-store': store(options.databaseNames.visibility, 2) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      ...(options.tls ? { tls: serverTlsConfig(options.tls) } : {}),
    },
    services: Object.fromEntries(TEMPORAL_SERVICES.map((s) => [s, rpc(s)])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.grpc.frontend}`,
          httpAddress: `127.0.0.1:${ports.http}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: options.dynamicConfigFile, pollInterval: '10s' },
  };
}

/** Runs the schema tool; its output is returned for error messages. */
function sqlTool(tools: ServerTools, pg: PgTarget, database: string, args: string[]): void {
  const result = spawnSync(
    tools.sql,
    ['--plugin', 'postgres12', '--endpoint', pg.host, '--port', String(pg.port), '--user', pg.user, '--database', database, ...args],
    { env: { ...process.env, SQL_PASSWORD: pg.password }, encoding: 'utf8', timeout: 120_000 },
  );
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n  ');
    throw new Error(`Temporal's schema tool failed on database ${database} (${args.join(' ')}):\n  ${output || result.error?.message}`);
  }
}

/**
 * Creates the history and visibility databases if missing and brings both schemas to the
 * server's version (the schemas are embedded in the `sql` tool). Idempotent: a second run only
 * checks the versions.
 */
export async function setupClusterDatabases(
  tools: ServerTools,
  databaseUrl: string,
  names: { history: string; visibility: string },
  progress: (m: string) => void = () => {},
): Promise<void> {
  const pg = pgTarget(databaseUrl);
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (const [kind, database] of [
      ['temporal', names.history],
      ['visibility', names.visibility],
    ] as const) {
      const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`;
      if (!exists) {
        progress(`Creating database ${database} and Temporal's ${kind} schema…`);
        sqlTool(tools, pg, database, ['create-database']);
      }
      const db = postgres(withDatabase(databaseUrl, database), { max: 1, onnotice: () => {} });
      try {
        const [versioned] = await db`SELECT to_regclass('schema_version') IS NOT NULL AS present`;
        if (!versioned!.present) sqlTool(tools, pg, database, ['setup-schema', '-v', '0.0']);
      } finally {
        await db.end({ timeout: 5 });
      }
      sqlTool(tools, pg, database, ['update-schema', '--schema-name', `postgresql/v12/${kind}`]);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

function startService(tools: ServerTools, configFile: string, dir: string, service: TemporalService): ManagedProcess {
  // --allow-no-auth: no authorizer (with mTLS, the certificate is what admits a caller); every
  // service listens on loopback only (bindOnIP).
  return startProcess({
    name: `temporal-${service}`,
    command: tools.server,
    args: ['--config-file', configFile, '--allow-no-auth', 'start', '--service', service],
    logDir: dir,
  });
}

/**
 * Sets up the databases, writes the config and starts the four services, then waits until the
 * frontend answers and the history and matching services have joined (the system namespace can
 * be described). Stops what it started if it fails.
 */
export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  const progress = options.progress ?? (() => {});
  const databases = options.databaseNames ?? { history: 'temporal', visibility: 'temporal_visibility' };
  mkdirSync(options.dir, { recursive: true });
  await setupClusterDatabases(options.tools, options.databaseUrl, databases, progress);
  const configFile = path.join(options.dir, 'temporal-server.yaml');
  const config = clusterConfig({
    databaseUrl: options.databaseUrl,
    frontendPort: options.frontendPort,
    historyShards: options.historyShards ?? 4,
    dynamicConfigFile: options.dynamicConfigFile ?? CLUSTER_DYNAMIC_CONFIG,
    databaseNames: databases,
    tls: options.tls,
  });
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  const address = `127.0.0.1:${options.frontendPort}`;
  progress(`Starting Temporal ${options.tools.version} services (${TEMPORAL_SERVICES.join(', ')}), frontend on ${address}…`);
  // The first service to start on fresh databases writes the cluster's metadata record; several
  // starting at once race for it and the losers exit. So history first, the rest once it is there.
  const services = { history: startService(options.tools, configFile, options.dir, 'history') } as Record<TemporalService, ManagedProcess>;
  const historyDb = postgres(withDatabase(options.databaseUrl, databases.history), { max: 1, onnotice: () => {} });
  try {
    await waitUntil('the cluster metadata record', async () => (await historyDb`SELECT 1 FROM cluster_metadata_info LIMIT 1`).length > 0, {
      timeoutMs: 60_000,
      gone: () => (services.history.exited() ? services.history : undefined),
    });
  } catch (err) {
    await services.history.kill('SIGTERM');
    throw err;
  } finally {
    await historyDb.end({ timeout: 5 });
  }
  for (const s of TEMPORAL_SERVICES.filter((x) => x !== 'history')) services[s] = startService(options.tools, configFile, options.dir, s);
  const cluster: TemporalCluster = {
    address,
    connection: options.tls ? { address, tls: clientTls(options.tls) } : { address },
    clientEnv: { TEMPORAL_ADDRESS: address, ...(options.tls ? clientTlsEnv(options.tls) : {}) },
    services,
    databases,
    configFile,
    stop: async () => {
      await Promise.all(Object.values(cluster.services).map((s) => s.kill('SIGTERM')));
    },
  };
  try {
    await waitForCluster(cluster, 120_000);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  progress(`Temporal cluster serving on ${address}.`);
  return cluster;
}

/** Until the frontend answers and has reached the history and matching services. */
export async function waitForCluster(cluster: TemporalCluster, timeoutMs: number): Promise<void> {
  await waitUntil(
    `the Temporal cluster at ${cluster.address}`,
    async () => {
      const connection = await Connection.connect({ ...cluster.connection, connectTimeout: 2_000 });
      try {
        // History answers for a workflow that does not exist (NOT_FOUND), matching for a task queue.
        await connection.workflowService
          .describeWorkflowExecution({ namespace: 'temporal-system', execution: { workflowId: 'cluster-readiness-probe' } })
          .catch((err: { code?: number }) => {
            if (err.code !== 5) throw err;
          });
        await connection.workflowService.describeTaskQueue({ namespace: 'temporal-system', taskQueue: { name: 'cluster-readiness-probe' }, taskQueueType: 1 });
        return true;
      } finally {
        await connection.close();
      }
    },
    { timeoutMs, gone: () => Object.values(cluster.services).find((s) => s.exited()) },
  ).catch((err: Error) => {
    throw new Error(`${err.message}. Frontend log:\n  ${logTail(cluster.services.frontend.logFile)}`);
  });
}
