/**
 * Builds a real Temporal server (`go.temporal.io/server/cmd/server`) and its SQL schema tool
 * (`cmd/tools/sql`), with the Web UI server (`github.com/temporalio/ui-server`), from the Go module proxy into `.tools/temporal-server-<version>/`, the way
 * the dev-server CLI is built: `go install` with GOBIN, no cgo, the machine's own Go.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isExecutable, onPath } from './dev-server.js';

/**
 * Server version built by default: the newest release whose go.mod (`go 1.26.8`) the development
 * and CI machines' Go 1.26.8 accepts with GOTOOLCHAIN=local; 1.32.2 asks for 1.26.10. The
 * server's go.mod has no `replace` lines, so `go install module@version` works (unlike CLI 1.6+).
 */
export const TEMPORAL_SERVER_VERSION = '1.32.1';
const SERVER_MODULE = 'go.temporal.io/server';
/**
 * The Web UI server (its built pages are embedded in the module): the newest release that Go
 * 1.26.8 builds with GOTOOLCHAIN=local (2.56.0 asks for 1.26.9, 2.56.1 and later for 1.26.10).
 */
export const TEMPORAL_UI_VERSION = '2.55.0';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where one server version's binaries go (git-ignored). */
export function serverToolsDir(version = TEMPORAL_SERVER_VERSION): string {
  return path.join(PROJECT_ROOT, '.tools', `temporal-server-${version}`);
}

/** The binaries of one server version: the server, its schema tool and the Web UI server. */
export interface ServerTools {
  version: string;
  dir: string;
  /** `server --root … --config … --env … start` */
  server: string;
  /** `sql --pl postgres12 … create-database | setup-schema | update-schema` */
  sql: string;
  /** The Web UI server (`ui-server --root … --config … --env … start`), built beside them. */
  ui: string;
}

function toolsOf(version: string): ServerTools {
  const dir = serverToolsDir(version);
  return { version, dir, server: path.join(dir, 'server'), sql: path.join(dir, 'sql'), ui: path.join(dir, 'ui-server') };
}

/** The built binaries of `version`, if all three are there. */
export function findTemporalServer(version = TEMPORAL_SERVER_VERSION): ServerTools | undefined {
  const tools = toolsOf(version);
  return isExecutable(tools.server) && isExecutable(tools.sql) && isExecutable(tools.ui) ? tools : undefined;
}

/** `go install` of `targets` into `gobin`; a progress line every 15 s, the last lines of Go on failure. */
async function goInstall(go: string, targets: string[], gobin: string, what: string, progress: (message: string) => void): Promise<void> {
  const started = Date.now();
  const child = spawn(go, ['install', '-v', ...targets], {
    env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOBIN: gobin, GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let downloaded = 0;
  let built = 0;
  const tail: string[] = [];
  const onLine = (line: string) => {
    if (line.trim() === '') return;
    if (line.startsWith('go: downloading ')) downloaded++;
    else if (!line.startsWith('go: ')) built++;
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  let pending = '';
  const onData = (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(onLine);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const seconds = () => Math.round((Date.now() - started) / 1000);
  const ticker = setInterval(() => progress(`  … ${seconds()} s: ${downloaded} modules downloaded, ${built} packages built`), 15_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearInterval(ticker));
  if (pending) onLine(pending);
  if (code !== 0) {
    const toolchain = tail.find((l) => /requires go >=|toolchain/.test(l));
    throw new Error(
      `Building ${what} failed (go install exit ${code}) after ${seconds()} s. Last lines of Go:\n  ${tail.join('\n  ')}` +
        (toolchain ? `\nThis machine's Go (\`go version\`) is older than ${what} needs: pick an older version.` : ''),
    );
  }
  progress(`${what} built in ${seconds()} s (${downloaded} modules downloaded, ${built} packages built).`);
}

/**
 * Runs `go install` of the server and its schema tool, then of the Web UI server (its own module,
 * whose binary is also called `server`: it is built into a folder of its own and renamed).
 */
export async function buildTemporalServer(version = TEMPORAL_SERVER_VERSION, progress: (message: string) => void = () => {}): Promise<ServerTools> {
  const go = onPath('go');
  if (!go) {
    throw new Error('Building the Temporal server needs a Go toolchain on PATH (https://go.dev/dl/); none was found.');
  }
  const tools = toolsOf(version);
  mkdirSync(tools.dir, { recursive: true });
  const rel = path.relative(process.cwd(), tools.dir) || tools.dir;
  try {
    if (!isExecutable(tools.server) || !isExecutable(tools.sql)) {
      progress(`Building Temporal server ${version} (server and sql) with Go into ${rel}; several minutes on a cold Go cache…`);
      await goInstall(
        go,
        [`${SERVER_MODULE}/cmd/server@v${version}`, `${SERVER_MODULE}/cmd/tools/sql@v${version}`],
        tools.dir,
        `Temporal server ${version}`,
        progress,
      );
    }
    if (!isExecutable(tools.ui)) {
      progress(`Building the Temporal Web UI server ${TEMPORAL_UI_VERSION} into ${rel}…`);
      const uiBin = path.join(tools.dir, 'ui-build');
      await goInstall(go, [`${UI_MODULE}/cmd/server@v${TEMPORAL_UI_VERSION}`], uiBin, `Temporal Web UI server ${TEMPORAL_UI_VERSION}`, progress);
      renameSync(path.join(uiBin, 'server'), tools.ui);
      rmSync(uiBin, { recursive: true, force: true });
    }
  } finally {
    if (readdirSync(tools.dir).length === 0) rmdirSync(tools.dir);
  }
  const found = findTemporalServer(version);
  if (!found) throw new Error(`Building Temporal server ${version} left no server, sql and ui-server in ${rel}`);
  return found;
}

/** The binaries of `version`, built first when missing. */
export async function ensureTemporalServer(version = TEMPORAL_SERVER_VERSION, progress?: (message: string) => void): Promise<ServerTools> {
  const found = findTemporalServer(version);
  if (found) {
    progress?.(`Temporal server ${version} is built already (${path.relative(process.cwd(), found.dir) || found.dir}).`);
    return found;
  }
  return buildTemporalServer(version, progress);
}
