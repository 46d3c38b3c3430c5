/**
 * Builds a real Temporal server (`go.temporal.io/server/cmd/server`) and its SQL schema tool
 * (`cmd/tools/sql`) from the Go module proxy into `.tools/temporal-server-<version>/`, the way
 * the dev-server CLI is built: `go install` with GOBIN, no cgo, the machine's own Go.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync } from 'node:fs';
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

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where one server version's binaries go (git-ignored). */
export function serverToolsDir(version = TEMPORAL_SERVER_VERSION): string {
  return path.join(PROJECT_ROOT, '.tools', `temporal-server-${version}`);
}

/** The two binaries of one server version. */
export interface ServerTools {
  version: string;
  dir: string;
  /** `server --root … --config … --env … start` */
  server: string;
  /** `sql --pl postgres12 … create-database | setup-schema | update-schema` */
  sql: string;
}

function toolsOf(version: string): ServerTools {
  const dir = serverToolsDir(version);
  return { version, dir, server: path.join(dir, 'server'), sql: path.join(dir, 'sql') };
}

/** The built binaries of `version`, if both are there. */
export function findTemporalServer(version = TEMPORAL_SERVER_VERSION): ServerTools | undefined {
  const tools = toolsOf(version);
  return isExecutable(tools.server) && isExecutable(tools.sql) ? tools : undefined;
}

/**
 * Runs `go install` of both commands. Go's own output is kept back (thousands of lines); a
 * progress line every 15 s says how far it got, and a failure shows the last lines.
 */
export async function buildTemporalServer(version = TEMPORAL_SERVER_VERSION, progress: (message: string) => void = () => {}): Promise<ServerTools> {
  const go = onPath('go');
  if (!go) {
    throw new Error('Building the Temporal server needs a Go toolchain on PATH (https://go.dev/dl/); none was found.');
  }
  const tools = toolsOf(version);
  mkdirSync(tools.dir, { recursive: true });
  const rel = path.relative(process.cwd(), tools.dir) || tools.dir;
  progress(`Building Temporal server ${version} (server and sql) with Go into ${rel}; several minutes on a cold Go cache…`);
  const started = Date.now();
  const child = spawn(go, ['install', '-v', `${SERVER_MODULE}/cmd/server@v${version}`, `${SERVER_MODULE}/cmd/tools/sql@v${version}`], {
    env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOBIN: tools.dir, GOFLAGS: '-mod=mod' },
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
  if (code !== 0 || !findTemporalServer(version)) {
    if (readdirSync(tools.dir).length === 0) rmdirSync(tools.dir);
    const toolchain = tail.find((l) => /requires go >=|toolchain/.test(l));
    throw new Error(
      `Building Temporal server ${version} failed (go install exit ${code}) after ${seconds()} s. Last lines of Go:\n  ${tail.join('\n  ')}` +
        (toolchain ? `\nThis machine's Go (\`go version\`) is older than server ${version} needs: pick an older version with --server-version.` : ''),
    );
  }
  progress(`Temporal server ${version} built in ${seconds()} s (${downloaded} modules downloaded, ${built} packages built).`);
  return tools;
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
