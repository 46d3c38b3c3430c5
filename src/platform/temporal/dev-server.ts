/**
 * Finds, builds and starts the Temporal dev server (CLI `temporal server start-dev`: server,
 * Web UI and SQLite in one binary) with what the pipeline needs: the dynamic config that turns
 * task-queue priority and fairness on, and the namespace and search attributes (set up by
 * ./setup.ts, the same code that sets up any other server).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { ensureTemporalSetup } from './setup.js';

/** CLI version the project builds: CLI 1.5.1 = server 1.29.1, Web UI 2.42.1. */
export const TEMPORAL_CLI_VERSION = '1.5.1';
const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Project-local, git-ignored folder the CLI is built into. */
export const LOCAL_CLI_DIR = path.join(PROJECT_ROOT, '.tools', `temporal-${TEMPORAL_CLI_VERSION}`);

/** Dynamic config of the dev server: priority and fairness on, one partition so ordering is exact. */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, unknown> = {
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

type Progress = (message: string) => void;

/** True when `file` exists and may be executed. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** The `temporal` binary to use: explicit path, then PATH, then the project-local build. */
export function findTemporalCli(explicit?: string): string | undefined {
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    return explicit;
  }
  return onPath('temporal') ?? (isExecutable(path.join(LOCAL_CLI_DIR, 'temporal')) ? path.join(LOCAL_CLI_DIR, 'temporal') : undefined);
}

/**
 * Builds the CLI from the Go module proxy into the project-local folder. Takes a few minutes
 * on a cold Go cache, seconds on a warm one.
 */
export function buildTemporalCli(progress: Progress = () => {}): string {
  const go = onPath('go');
  if (!go) {
    throw new Error(
      'No Temporal CLI found and no Go toolchain to build one. Either install Go (>= 1.23) and run again, ' +
        'install the Temporal CLI yourself and put it on PATH, or set TEMPORAL_CLI_PATH to its binary.',
    );
  }
  mkdirSync(LOCAL_CLI_DIR, { recursive: true });
  progress(
    `Building Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${path.relative(process.cwd(), LOCAL_CLI_DIR) || LOCAL_CLI_DIR} (first run only; a few minutes on a cold Go cache)…`,
  );
  const started = Date.now();
  const result = spawnSync(
    go,
    ['install', '-ldflags', `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`, `${CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`],
    {
      env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOBIN: LOCAL_CLI_DIR, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (result.status !== 0) {
    throw new Error(`Building the Temporal CLI failed (go install exit ${result.status}). See the Go output above.`);
  }
  progress(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s.`);
  return path.join(LOCAL_CLI_DIR, 'temporal');
}

/** The CLI binary, built first when there is none. */
export function ensureTemporalCli(explicit?: string, progress?: Progress): string {
  return findTemporalCli(explicit) ?? buildTemporalCli(progress);
}

/** True when something accepts TCP connections on host:port. */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface DevServerOptions {
  cliPath: string;
  host?: string;
  port: number;
  uiPort?: number;
  /** SQLite file; omitted = in memory (tests). */
  dbFile?: string;
  /** SQLite pragmas of the file (`--sqlite-pragma`); default DEV_SERVER_FILE_PRAGMAS. Ignored in memory. */
  sqlitePragmas?: Record<string, string>;
  headless?: boolean;
  namespace?: string;
  /** Codec server the Web UI decodes payloads with (`--ui-codec-endpoint`); omitted = none. */
  codecEndpoint?: string;
  /** Server log file; omitted = discarded. */
  logFile?: string;
  startTimeoutMs?: number;
}

/**
 * SQLite pragmas of a file-backed dev server (`npm start`): write-ahead logging, so that a commit
 * appends to the log instead of rewriting pages through a rollback journal, and readers (the
 * Web UI, visibility queries) do not wait for writers. `synchronous` stays SQLite's FULL: every
 * commit the server has acknowledged (an order's start among them) is on disk before the answer,
 * also across a power cut; NORMAL would give that up for speed.
 */
export const DEV_SERVER_FILE_PRAGMAS: Record<string, string> = { journal_mode: 'WAL' };

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** False when a server was already listening and is reused. */
  owned: boolean;
  process?: ChildProcess;
  stop(): Promise<void>;
}

async function waitUntilServing(address: string, child: ChildProcess | undefined, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode} during start-up`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
        return connection;
      } catch (err) {
        await connection.close();
        throw err;
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal dev server at ${address} did not become ready in ${timeoutMs} ms: ${String(lastError)}`);
}

/**
 * The dev server's environment: ours without the OpenTelemetry variables. They configure the
 * pipeline's tracing; the Temporal server reads the same names for its own and refuses to start
 * with a value it does not support (e.g. `OTEL_TRACES_EXPORTER=console`).
 */
export function serverEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('OTEL_')));
}

/**
 * Starts `temporal server start-dev`, or reuses a server already listening on the port.
 * Either way the namespace and the search attributes are set up before it returns.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const address = `${host}:${options.port}`;
  const uiPort = options.uiPort ?? options.port + 1000;
  let child: ChildProcess | undefined;
  if (!(await isListening(host, options.port))) {
    const args = ['server', 'start-dev', '--ip', host, '--port', String(options.port), '--namespace', namespace, '--log-level', 'warn'];
    if (options.headless) args.push('--headless');
    else {
      args.push('--ui-port', String(uiPort));
      if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
    }
    if (options.dbFile) {
      mkdirSync(path.dirname(options.dbFile), { recursive: true });
      args.push('--db-filename', options.dbFile);
      for (const [name, value] of Object.entries(options.sqlitePragmas ?? DEV_SERVER_FILE_PRAGMAS)) args.push('--sqlite-pragma', `${name}=${value}`);
    }
    for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) {
      args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
    }
    // Output goes straight to a file (or nowhere): no pipe ties this process to the server's.
    let out: number | 'ignore' = 'ignore';
    if (options.logFile) {
      mkdirSync(path.dirname(options.logFile), { recursive: true });
      out = openSync(options.logFile, 'a');
    }
    child = spawn(options.cliPath, args, { stdio: ['ignore', out, out], env: serverEnvironment(process.env) });
    if (typeof out === 'number') closeSync(out);
  }
  const connection = await waitUntilServing(address, child, options.startTimeoutMs ?? 60_000);
  try {
    await ensureTemporalSetup(connection, namespace);
  } finally {
    await connection.close();
  }
  const proc = child;
  return {
    address,
    uiUrl: options.headless ? undefined : `http://localhost:${uiPort}`,
    owned: proc !== undefined,
    process: proc,
    async stop() {
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
