/**
 * End-to-end throughput of the order pipeline against a bare Temporal baseline.
 *
 *   npm run bench -- [--rate 200] [--duration 60] [--concurrency 100] [--quick] [--cluster] [--help]
 *
 * Runs everything itself: a Temporal dev server on a free port, dedicated databases on the local
 * PostgreSQL, the real workers (`src/workers/main.ts all`) and the real API (`src/api/main.ts`)
 * as child processes. With `--cluster`, the production shape of `npm run cluster` instead: a
 * Temporal cluster on PostgreSQL (four service processes), worker processes per queue, two API
 * replicas behind nginx. Phase 1 POSTs random valid orders to the API and follows each to its end;
 * phase 2, on the same server, starts a workflow of five no-op activities (bench/baseline/) with
 * the Temporal client at the same rate and concurrency. Prints progress on stderr, the figures,
 * and as the LAST line of stdout a JSON object; writes bench/results/pipeline.json and .png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import proto from '@temporalio/proto';
import postgres from 'postgres';
import { bundleBaseline } from './baseline/bundle.js';
import { dropDatabase, openDatabases } from '../db/index.js';
import { createClient } from '../src/api/clients.js';
import { renderPng } from '../src/cli/chart.js';
import { randomOrder } from '../src/cli/commands/simulate.js';
import { SYSTEMS, loadConfig, temporalConnectionOptions, withDatabase } from '../src/platform/config.js';
import { dataConverter } from '../src/platform/temporal/codec.js';
import { DEV_SERVER_FILE_PRAGMAS, ensureTemporalCli, startDevServer } from '../src/platform/temporal/dev-server.js';
import { clusterPorts } from '../src/cluster/temporal.js';
import { findTemporalServer } from '../src/platform/temporal/server-build.js';
import { startClusterShape, type ClusterShape } from '../src/cluster/shape.js';
import { writeWorkflowBundle } from '../src/workflows/bundle.js';
import { QUEUE_NAMES, STAGES, TASK_QUEUES, orderWorkflowId, type OrderState } from '../src/order/contract.js';
import { freePort } from '../test/support/processes.js';
import { HAVE_PROC, fail, historyFigures, machineBusyMs, machineDescription, parseOptions, percentile, processCpuMs, round2 } from './support.js';

const USAGE = `End-to-end throughput of the order pipeline against a bare Temporal baseline.

usage: npm run bench -- [options]

  --rate R          orders per second offered, open loop (default 200; both phases)
  --duration S      seconds of sending per phase (default 60; --quick: 10)
  --concurrency N   most orders in flight end to end, from the POST until the workflow
                    has ended (default 100; both phases)
  --scale X         PIPELINE_TIME_SCALE of the pipeline (default 0.00001: a courier's 8 h
                    transit takes 0.29 s, production a few ms)
  --lines N         MES_CAPACITY, production lines (default: the concurrency, so the plant
                    is not what limits the run)
  --mix b2c=F       share of shop orders (default 0.3); the rest alternate between two partners
  --quick           a short run (under 2 minutes)
  --out FILE        JSON result (default bench/results/pipeline.json; the chart goes next to
                    it as .png)
  --split-workers   one workers process per task queue (as docker-compose.yml runs them) instead
                    of one for all; the CPU per order is also given per queue (workers/<queue>)
  --cpu-prof        write V8 CPU profiles of the pipeline's workers and API processes to .data/bench/prof/
  --db-file         run the dev server on a SQLite file, as npm start does (default: in memory),
                    with npm start's pragmas (journal_mode=WAL)
  --sqlite-pragma NAME=VALUE  with --db-file: a pragma instead of npm start's (repeatable),
                    e.g. journal_mode=DELETE (SQLite's own default) or synchronous=NORMAL
  --cluster         run on the production shape (npm run cluster) instead of the dev server:
                    a Temporal cluster on PostgreSQL, worker processes per queue, two API
                    replicas behind nginx; results go to bench/results/pipeline-cluster.json
  --temporal-port N with --cluster: the frontend's port; the services take the next 20
                    (default 7833)
  --check FILE      the CPU regression check: exit 1 when CPU per order ÷ the baseline's is more
                    than 30 % above the reference in FILE (bench/cost-reference.json in CI)
  --save-reference FILE  write this run's CPU ratio as the reference FILE
  --help            this text

Phase 1 POSTs random valid orders (the generator of \`orders simulate\`) with a due date a day
ahead, so the promised-date timers are set but never fire, and waits for each workflow to end.
Phase 2 starts bench/baseline/workflow.ts (five no-op activities in a row) through the client
on its own task queue and worker. Throughput of a phase = workflows completed between the later
of the warm-up's end (a quarter of the phase, at most 5 s) and the phase's median end-to-end
latency, and the end of sending, per second.
environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; the
databases orders_bench_pipe_* on it are recreated), TEMPORAL_CLI_PATH, WORKER_SLOTS (passed to
the pipeline's workers).
Targets: pipeline >= 50 % of the baseline's throughput, CPU per order <= 2x the baseline's, a delivered
order's history <= 40 events, <= 3 search-attribute upserts, <= 5 projection writes, and no
activity attempt after the first. The last line of stdout is JSON.`;

/** The cost targets: throughput and CPU against the baseline, and what a delivered order's history holds. */
const TARGETS = { ratio: 0.5, cpuPerOrderRatio: 2.0, eventsPerOrder: 40, upsertsPerOrder: 3, projectionWritesPerOrder: 5, retriedAttempts: 0 };
/** Histories fetched per phase for the history figures. */
const HISTORY_SAMPLE = 20;
/** Fewer completions than this after the warm-up: the phase's throughput is taken over all of it. */
const MIN_STEADY = 20;
const { temporal } = proto;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BASELINE_QUEUE = 'bench-baseline';

const values = parseOptions(
  {
    rate: { type: 'string', default: '200' },
    duration: { type: 'string' },
    concurrency: { type: 'string', default: '100' },
    scale: { type: 'string', default: '0.00001' },
    lines: { type: 'string' },
    mix: { type: 'string', default: 'b2c=0.3' },
    quick: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    'db-file': { type: 'boolean', default: false },
    'split-workers': { type: 'boolean', default: false },
    'sqlite-pragma': { type: 'string', multiple: true },
    'temporal-port': { type: 'string', default: '7833' },
    check: { type: 'string' },
    'save-reference': { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  USAGE,
);
const num = (name: string, raw: string | undefined, min: number, max: number, integer = false) => {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    fail(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${raw}"); see --help`);
  }
  return n;
};
const rate = num('rate', values.rate, 0.1, 2000);
const durationS = num('duration', values.duration ?? (values.quick ? '10' : '60'), 2, 3600);
const concurrency = num('concurrency', values.concurrency, 1, 1000, true);
const scale = num('scale', values.scale, 0.000001, 1);
const lines = num('lines', values.lines ?? String(concurrency), 1, 10_000, true);
const mixMatch = /^b2c=(0(\.\d+)?|1(\.0+)?)$/.exec(values.mix ?? '');
if (!mixMatch) fail(`--mix must look like b2c=0.3 (got "${values.mix}")`);
const b2cShare = Number(mixMatch[1]);
const outFile = path.resolve(values.out ?? path.join('bench', 'results', values.cluster ? 'pipeline-cluster.json' : 'pipeline.json'));
const clusterPort = num('temporal-port', values['temporal-port'], 1024, 65535 - 20, true);
if (values.cluster && (values.check || values['save-reference']))
  fail('--check and --save-reference compare with the reference measured on the dev server: run them without --cluster');
if (values['split-workers'] && (values.cluster || values['cpu-prof']))
  fail(
    '--split-workers is a setting of the dev-server run (the cluster always runs a process per queue; --cpu-prof profiles the one workers process and the API)',
  );
if (values.cluster && values['db-file']) fail('--db-file is a setting of the dev server: run it without --cluster');
const pragmaOptions = values['sqlite-pragma'] ?? [];
if (pragmaOptions.length > 0 && !values['db-file']) fail('--sqlite-pragma needs --db-file (the in-memory server has no file to set them on)');
const sqlitePragmas = pragmaOptions.length === 0 ? { ...DEV_SERVER_FILE_PRAGMAS } : {};
for (const option of pragmaOptions) {
  const m = /^([a-z_]+)=([A-Za-z0-9_-]+)$/.exec(option);
  if (!m) fail(`--sqlite-pragma must look like journal_mode=WAL (got "${option}")`);
  sqlitePragmas[m[1]!] = m[2]!;
}
if (values.cluster && values['cpu-prof']) fail('--cpu-prof profiles the workers and API processes of the dev-server run: run it without --cluster');
/** How much worse than the reference the CPU ratio may get before `--check` fails. */
const CHECK_TOLERANCE = 0.3;
interface CostReference {
  cpuPerOrderRatio: number;
  measuredAt: string;
  options: Record<string, unknown>;
  machine: string;
  /** When the reference is the median of several runs: each run's ratio (written by hand). */
  runs?: number[];
  note?: string;
}
const reference: CostReference | undefined = values.check ? readReference(values.check) : undefined;
function readReference(file: string): CostReference {
  let parsed: Partial<CostReference>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CostReference>;
  } catch (err) {
    fail(`--check ${file}: cannot read the reference (${(err as Error).message}); write one with --save-reference ${file}`);
  }
  if (typeof parsed.cpuPerOrderRatio !== 'number' || !(parsed.cpuPerOrderRatio > 0))
    fail(`--check ${file}: no positive cpuPerOrderRatio in it; write one with --save-reference ${file}`);
  return parsed as CostReference;
}
const warmupS = Math.min(5, durationS / 4);

const serverUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_PREFIX = 'orders_bench_pipe_';
const urls = Object.fromEntries(SYSTEMS.map((s) => [s, withDatabase(serverUrl, `${DB_PREFIX}${s}`)])) as Record<(typeof SYSTEMS)[number], string>;
const dataDir = path.join(ROOT, '.data', 'bench');

/** Progress and notes: stderr, so stdout holds only the results. */
const note = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// ── processes ────────────────────────────────────────────────────────────────────────────────

interface Child {
  name: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** A TypeScript entry point in a child process, with this process's node and loader flags (tsx). */
function spawnTs(name: string, file: string, args: string[], env: Record<string, string>, nodeFlags: string[] = []): Child {
  const proc = spawn(process.execPath, [...process.execArgv, ...nodeFlags, path.join(ROOT, file), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  proc.stdout!.pipe(process.stderr); // their warnings and errors, next to the progress (stdout holds only results)
  return {
    name,
    proc,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.stdin?.end();
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function until(what: string, check: () => Promise<boolean>, children: Child[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = children.find((c) => c.proc.exitCode !== null || c.proc.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited (${dead.proc.signalCode ?? `code ${dead.proc.exitCode}`}) while waiting for ${what}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Whether a worker polls the task queue (workflow or activity side). */
async function hasPollers(client: Client, queue: string, type: 'workflow' | 'activity'): Promise<boolean> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: queue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType:
      type === 'workflow' ? temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (res.pollers ?? []).length > 0;
}

// ── CPU accounting (Linux /proc) ─────────────────────────────────────────────────────────────

/**
 * CPU time of the PostgreSQL backends serving the benchmark's databases: their process titles
 * name the database (`postgres: … orders_bench_pipe_shop …`). Backends are counted while they
 * live; the pools stay open for the whole phase.
 */
function postgresCpuMs(): number {
  if (!HAVE_PROC) return NaN;
  let sum = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(DB_PREFIX)) continue;
      const ms = processCpuMs(Number(pid));
      if (Number.isFinite(ms)) sum += ms;
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

/**
 * The processes of a phase by the name they are reported under; a group (the cluster's replicas)
 * adds up. A name with a slash (`workers/pricing`) is a part of the group before it, reported
 * beside it and not counted twice.
 */
type PhasePids = Record<string, number | undefined | (number | undefined)[]>;
type CpuSnapshot = Record<string, number>;
function cpuSnapshot(pids: PhasePids): CpuSnapshot {
  const usage = process.cpuUsage();
  const out: CpuSnapshot = { machine: machineBusyMs(), bench: (usage.user + usage.system) / 1000, postgres: postgresCpuMs() };
  for (const [name, pid] of Object.entries(pids)) out[name] = Array.isArray(pid) ? pid.reduce((sum: number, p) => sum + processCpuMs(p), 0) : processCpuMs(pid);
  return out;
}

/** The children of `pid` (nginx's worker processes of its master). */
function childPids(pid: number | undefined): number[] {
  if (!HAVE_PROC || pid === undefined) return [];
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Fails unless every port the cluster would take is free, so a busy port is named before anything starts. */
async function clusterPortsFree(frontendPort: number): Promise<void> {
  const { grpc, membership, http } = clusterPorts(frontendPort);
  for (const port of [...Object.values(grpc), ...Object.values(membership), http]) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) fail(`port ${port} is in use, and the cluster's services need ${frontendPort}–${http}: pick another --temporal-port`);
  }
}
/**
 * CPU ms per completed workflow between two snapshots, per process; `ours` = the run's own
 * processes together, `other` = the rest of the machine (other load), `total` = the machine.
 */
function cpuPerWorkflow(a: CpuSnapshot, b: CpuSnapshot, completed: number): Record<string, number> {
  const out: Record<string, number> = {};
  let named = 0;
  for (const k of Object.keys(a)) {
    if (k === 'machine') continue;
    const d = b[k]! - a[k]!;
    if (Number.isFinite(d) && !k.includes('/')) named += d;
    out[k] = round2(d / Math.max(1, completed));
  }
  out.ours = round2(named / Math.max(1, completed));
  out.other = round2((b.machine! - a.machine! - named) / Math.max(1, completed));
  out.total = round2((b.machine! - a.machine!) / Math.max(1, completed));
  return out;
}

// ── load ─────────────────────────────────────────────────────────────────────────────────────

interface Started {
  workflowId: string;
}

interface PhaseResult {
  name: string;
  sent: number;
  accepted: number;
  rejectedAtIntake: Record<string, number>;
  completed: number;
  /** Workflows that ended otherwise (failed workflow, or an order ended not delivered). */
  notCompleted: Record<string, number>;
  achievedSendRate: number;
  /**
   * Throughput: completions after the warm-up until sending stopped, per second (steady state);
   * the overall figure when fewer than MIN_STEADY completions fell in that window.
   */
  perSecond: number;
  /** Which of the two `perSecond` is. */
  measuredOver: 'steady state' | 'overall';
  steadyPerSecond: number;
  /** Seconds after the first send at which the steady-state window began. */
  steadyFromS: number;
  /** All completions over the time from the first send to the last completion. */
  overallPerSecond: number;
  intakeMs: { p50: number; p99: number; max: number };
  endToEndMs: { p50: number; p99: number; max: number };
  /** Pipeline only: queue wait of each stage's activity (from the order's timeline). */
  queueWaitMs?: Record<string, { p50: number; p99: number; max: number }>;
  /** CPU ms per completed workflow over the whole phase (first send to last completion), per process. */
  cpuMsPerWorkflow: Record<string, number>;
  elapsedS: number;
}

const pct = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: round2(percentile(s, 0.5)), p99: round2(percentile(s, 0.99)), max: round2(s.at(-1) ?? NaN) };
};

/**
 * What became of the embedded MES's and carrier's events in the pipeline phase: how long each
 * waited in its system's outbox before the API answered it (created → delivered), and the API's
 * answers by system, type and reason (a `stale` completion is one the produce attempt had made
 * itself already: a Temporal call and a describe for nothing).
 */
async function integrationFigures() {
  const query = async <T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      return await run(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
  };
  const waited = (url: string, table: string) =>
    query(url, async (sql) => {
      const [row] = await sql<{ delivered: number; pending: number; p50: number | null; p99: number | null }[]>`
        select count(delivered_at)::int as delivered, (count(*) - count(delivered_at))::int as pending,
          round(percentile_cont(0.5) within group (order by extract(epoch from delivered_at - created_at) * 1000))::int as p50,
          round(percentile_cont(0.99) within group (order by extract(epoch from delivered_at - created_at) * 1000))::int as p99
        from ${sql(table)}`;
      return { delivered: row!.delivered, pending: row!.pending, waitedP50Ms: row!.p50, waitedP99Ms: row!.p99 };
    });
  const answers = await query(
    urls.shop,
    (sql) => sql<{ system: string; type: string; answer: string; n: number }[]>`
      select system, type, case accepted when 1 then 'accepted' when 0 then split_part(reason, ':', 1) else 'claimed' end as answer, count(*)::int as n
      from integration_events group by 1, 2, 3 order by 1, 2, 3`,
  );
  return {
    mesOutbox: await waited(urls.mes, 'mes_outbox'),
    carrierOutbox: await waited(urls.carrier, 'carrier_outbox'),
    answers: Object.fromEntries(answers.map((a) => [`${a.system} ${a.type}: ${a.answer}`, a.n])),
  };
}

/**
 * Offers `rate` starts per second for `durationS` (open loop), never more than `concurrency`
 * workflows in flight from the start request until the workflow has ended, and follows each to
 * its end through the client.
 */
async function drive(
  name: string,
  client: Client,
  start: (n: number) => Promise<Started | { refused: string }>,
  judge: (result: unknown) => string,
  pids: PhasePids,
): Promise<PhaseResult & { results: unknown[] }> {
  let inFlight = 0;
  let sent = 0;
  const waiting: (() => void)[] = [];
  const intake: number[] = [];
  const endToEnd: number[] = [];
  const completions: number[] = [];
  const refused: Record<string, number> = {};
  const notCompleted: Record<string, number> = {};
  const results: unknown[] = [];
  const all: Promise<void>[] = [];
  const startCpu = cpuSnapshot(pids);
  const t0 = performance.now();
  const endAt = t0 + durationS * 1000;
  let lastDone = 0;
  let lastTick = t0;
  const progress = setInterval(() => {
    const now = performance.now();
    const done = completions.length;
    note(
      `  [${name}] ${((now - t0) / 1000).toFixed(0).padStart(3)} s  sent ${sent}  in flight ${inFlight}  done ${done}  ` +
        `(${((done - lastDone) / ((now - lastTick) / 1000)).toFixed(1)}/s)`,
    );
    lastDone = done;
    lastTick = now;
  }, 3_000);
  try {
    for (let n = 0; ; n++) {
      const due = t0 + (n * 1000) / rate;
      if (due >= endAt) break;
      await sleep(due - performance.now());
      while (inFlight >= concurrency) await new Promise<void>((r) => waiting.push(r));
      const sentAt = performance.now();
      if (sentAt >= endAt) break;
      inFlight += 1;
      sent += 1;
      all.push(
        (async () => {
          try {
            const started = await start(n);
            if ('refused' in started) {
              refused[started.refused] = (refused[started.refused] ?? 0) + 1;
              return;
            }
            intake.push(performance.now() - sentAt);
            let outcome: string;
            try {
              const result = await client.workflow.getHandle(started.workflowId).result();
              results.push(result);
              outcome = judge(result);
            } catch (err) {
              outcome = err instanceof WorkflowFailedError ? 'workflow failed' : `error: ${(err as Error).message}`;
            }
            const doneAt = performance.now();
            if (outcome === 'ok') {
              completions.push(doneAt);
              endToEnd.push(doneAt - sentAt);
            } else {
              notCompleted[outcome] = (notCompleted[outcome] ?? 0) + 1;
            }
          } catch (err) {
            const key = `error: ${(err as Error).message.slice(0, 80)}`;
            refused[key] = (refused[key] ?? 0) + 1;
          } finally {
            inFlight -= 1;
            waiting.shift()?.();
          }
        })(),
      );
    }
    const sendingS = (performance.now() - t0) / 1000;
    await Promise.all(all);
    const lastCompletion = completions.length ? Math.max(...completions) : performance.now();
    // The steady state begins once the warm-up is over and a typical workflow has had time to
    // end (the median end-to-end latency): before that the window would count time in which the
    // phase's first workflows could not have completed yet, and a pipeline whose workflows outlast
    // the warm-up would show a fraction of its rate.
    const windowStart = t0 + Math.max(warmupS * 1000, endToEnd.length ? pct(endToEnd).p50 : 0);
    const windowS = Math.max(0, (endAt - windowStart) / 1000);
    const inWindow = completions.filter((c) => c >= windowStart && c <= endAt).length;
    return {
      name,
      sent,
      accepted: intake.length,
      rejectedAtIntake: refused,
      completed: completions.length,
      notCompleted,
      achievedSendRate: round2(sent / sendingS),
      perSecond: inWindow >= MIN_STEADY ? round2(inWindow / windowS) : round2(completions.length / ((lastCompletion - t0) / 1000)),
      measuredOver: inWindow >= MIN_STEADY ? 'steady state' : 'overall',
      steadyPerSecond: windowS > 0 ? round2(inWindow / windowS) : 0,
      steadyFromS: round2((windowStart - t0) / 1000),
      overallPerSecond: round2(completions.length / ((lastCompletion - t0) / 1000)),
      intakeMs: pct(intake),
      endToEndMs: pct(endToEnd),
      // Over the whole phase, first send to last completion: every workflow's whole cost. A window
      // (as for the throughput) would count the work of workflows still in flight against those that
      // completed in it, which inflates the pipeline's figure while its orders outlast the window.
      cpuMsPerWorkflow: cpuPerWorkflow(startCpu, cpuSnapshot(pids), completions.length),
      elapsedS: round2((performance.now() - t0) / 1000),
      results,
    };
  } finally {
    clearInterval(progress);
  }
}

// ── the run ──────────────────────────────────────────────────────────────────────────────────

async function main() {
  const startedAt = new Date();
  const load1AtStart = loadavg()[0]!;
  note(
    `pipeline benchmark: ${durationS} s per phase at up to ${rate}/s, at most ${concurrency} in flight; ` +
      `scale ${scale}, ${lines} production lines, ${Math.round(b2cShare * 100)} % shop orders`,
  );
  note(
    `machine: ${machineDescription()}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const children: Child[] = [];
  let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
  let shape: ClusterShape | undefined;
  let connection: Connection | undefined;
  const cleanup = async () => {
    await Promise.all(children.map((c) => c.stop()));
    await connection?.close().catch(() => undefined);
    await server?.stop();
    await shape?.stop();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

  try {
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PIPELINE_TIME_SCALE: String(scale),
      MES_CAPACITY: String(lines),
      DATA_DIR: dataDir,
      // The slot setting under test (src/platform/temporal/slots.ts), e.g. WORKER_SLOTS=fixed for an A/B.
      ...(process.env.WORKER_SLOTS ? { WORKER_SLOTS: process.env.WORKER_SLOTS } : {}),
    };
    await Promise.all(Object.values(urls).map(dropDatabase));
    let temporalAddress: string;
    /** The Temporal server's processes: the dev server's one, or the cluster's four services. */
    let temporalPids: PhasePids[string];
    if (values.cluster) {
      const tools = findTemporalServer();
      if (!tools) fail('the Temporal server is not built: run `npm run temporal -- ensure-server` first (about 5 minutes from a cold Go cache)');
      await clusterPortsFree(clusterPort);
      const prefix = DB_PREFIX.replace(/_$/, '');
      await Promise.all([`${prefix}_temporal`, `${prefix}_temporal_visibility`].map((name) => dropDatabase(withDatabase(serverUrl, name))));
      shape = await startClusterShape({
        tools,
        dir: path.join(dataDir, 'cluster'),
        databaseUrl: serverUrl,
        databasePrefix: prefix,
        temporalPort: clusterPort,
        gatewayPort: await freePort(),
        apiPorts: [await freePort(), await freePort()],
        env,
        progress: note,
      });
      temporalAddress = shape.temporal.address;
      // The cluster's client certificate (mTLS) for this process and the baseline's worker.
      Object.assign(env, shape.temporal.clientEnv);
      temporalPids = Object.values(shape.temporal.services).map((s) => s.child.pid);
      note(`Temporal cluster on ${temporalAddress} (PostgreSQL; frontend, history, matching and worker as four processes)`);
    } else {
      const cli = ensureTemporalCli(loadConfig({ TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH }).temporal.cliPath, note);
      const dbFile = values['db-file'] ? path.join(dataDir, 'temporal', 'temporal.db') : undefined;
      // A fresh file per run: the figures are of an empty server, as in memory.
      if (dbFile) rmSync(path.dirname(dbFile), { recursive: true, force: true });
      server = await startDevServer({ cliPath: cli, port: await freePort(), headless: true, ...(dbFile ? { dbFile, sqlitePragmas } : {}) });
      temporalAddress = server.address;
      temporalPids = server.process?.pid;
      const pragmas =
        Object.entries(sqlitePragmas)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || 'none';
      note(`Temporal dev server on ${server.address} (${dbFile ? `SQLite file ${path.relative(ROOT, dbFile)}, pragmas: ${pragmas}` : 'SQLite in memory'})`);
    }
    Object.assign(env, {
      TEMPORAL_ADDRESS: temporalAddress,
      SHOP_DATABASE_URL: urls.shop,
      CRM_DATABASE_URL: urls.crm,
      MES_DATABASE_URL: urls.mes,
      CARRIER_DATABASE_URL: urls.carrier,
      PRICING_DATABASE_URL: urls.pricing,
    });
    const config = loadConfig(env);
    const dbs = await openDatabases(config, ['shop'], { migrate: true });
    // Clients in the `internal` tier: the rate limiter must not be what the benchmark measures.
    const keys = {
      shop: (await createClient(dbs.shop.db, { name: 'Bench shop', kind: 'shop', tier: 'internal', id: 'bench-shop' })).key,
      partners: [
        (await createClient(dbs.shop.db, { name: 'Bench partner A', kind: 'partner', partnerId: 'bench-a', tier: 'internal', id: 'bench-partner-a' })).key,
        (await createClient(dbs.shop.db, { name: 'Bench partner B', kind: 'partner', partnerId: 'bench-b', tier: 'internal', id: 'bench-partner-b' })).key,
      ],
    };
    await dbs.close();

    note(shape ? 'bundling the baseline…' : 'bundling the order workflow and the baseline…');
    // As `npm start` builds it with no trace exporter configured (the benchmark's processes export no spans).
    const orderBundle = shape ? undefined : await writeWorkflowBundle(path.join(dataDir, 'pipeline-order-bundle.js'), { tracing: false });
    const baselineBundle = path.join(dataDir, 'pipeline-baseline-bundle.js');
    const { code } = await bundleBaseline(quietLogger);
    await mkdir(dataDir, { recursive: true });
    await writeFile(baselineBundle, code);

    connection = await Connection.connect(temporalConnectionOptions(config));
    // The pipeline's workers encrypt payloads (src/platform/temporal/codec.ts); the baseline's worker has no codec.
    const client = new Client({ connection, dataConverter: dataConverter(config) });
    const baselineClient = new Client({ connection });

    // ── phase 1: the pipeline ──
    let apiUrl: string;
    let pipelinePids: PhasePids;
    /** Stops the pipeline's processes once its phase is over. */
    let stopPipeline: () => Promise<void>;
    if (shape) {
      // Through the gateway, as a partner reaches the production shape.
      apiUrl = shape.gatewayUrl;
      const pidsOf = (kind: string) => shape!.parts.filter((p) => p.kind === kind).map((p) => p.process.child.pid);
      const gatewayPid = shape.parts.find((p) => p.kind === 'gateway')!.process.child.pid;
      const byQueue = Object.fromEntries(
        QUEUE_NAMES.map((q) => [`workers/${q}`, shape!.parts.filter((p) => p.kind === 'worker' && p.queue === q).map((p) => p.process.child.pid)]),
      );
      pipelinePids = { temporal: temporalPids, api: pidsOf('api'), workers: pidsOf('worker'), ...byQueue, gateway: [gatewayPid, ...childPids(gatewayPid)] };
      const parts = shape.parts;
      stopPipeline = async () => {
        for (const kind of ['gateway', 'api', 'worker'] as const) await Promise.all(parts.filter((p) => p.kind === kind).map((p) => p.process.kill('SIGTERM')));
      };
      note(
        `pipeline up: gateway ${apiUrl} in front of ${pidsOf('api').length} API replicas, ${pidsOf('worker').length} worker processes (${parts
          .filter((p) => p.kind === 'worker')
          .map((p) => p.name.replace(/^worker-/, ''))
          .join(', ')})`,
      );
    } else {
      const apiPort = await freePort();
      apiUrl = `http://127.0.0.1:${apiPort}`;
      const profile = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dataDir, 'prof')}`] : [];
      // The embedded MES and carrier report their work to the API, as in `npm start`.
      const events = { MES_EVENTS_URL: `${apiUrl}/v1/integrations/mes/events`, CARRIER_EVENTS_URL: `${apiUrl}/v1/integrations/carrier/events` };
      const workerEnv = { ...env, ...events, WORKFLOW_BUNDLE_PATH: orderBundle! };
      // One process for every queue, or (--split-workers) one per queue, in QUEUE_NAMES order.
      const split = values['split-workers'];
      const workers = split
        ? QUEUE_NAMES.map((q) => spawnTs(`workers-${q}`, 'src/workers/main.ts', [q], workerEnv))
        : [spawnTs('workers', 'src/workers/main.ts', ['all'], workerEnv, profile)];
      const api = spawnTs('api', 'src/api/main.ts', [], { ...env, PORT: String(apiPort) }, profile);
      children.push(...workers, api);
      await until('the API', async () => (await fetch(`${apiUrl}/readyz`)).ok, [api, ...workers]);
      await until(
        'the workers',
        async () =>
          (await hasPollers(client, TASK_QUEUES.orders, 'workflow')) &&
          (await Promise.all(QUEUE_NAMES.map((q) => hasPollers(client, TASK_QUEUES[q], 'activity')))).every(Boolean),
        [api, ...workers],
      );
      pipelinePids = {
        temporal: temporalPids,
        api: api.proc.pid,
        workers: workers.map((w) => w.proc.pid),
        ...(split ? Object.fromEntries(QUEUE_NAMES.map((q, i) => [`workers/${q}`, workers[i]!.proc.pid])) : {}),
      };
      stopPipeline = async () => {
        await Promise.all([api.stop(), ...workers.map((w) => w.stop())]);
      };
      note(
        `pipeline up: API ${apiUrl} (pid ${api.proc.pid}), ${
          split
            ? `a workers process per queue (${QUEUE_NAMES.map((q, i) => `${q} ${workers[i]!.proc.pid}`).join(', ')})`
            : `workers of every queue (pid ${workers[0]!.proc.pid})`
        }`,
      );
    }

    const dueBy = () => new Date(Date.now() + 86_400_000).toISOString();
    let partnerTurn = 0;
    const pipeline = await drive(
      'pipeline',
      client,
      async (n) => {
        const channel = (n * 0.6180339887) % 1 < b2cShare ? 'b2c' : 'b2b';
        const key = channel === 'b2c' ? keys.shop : keys.partners[partnerTurn++ % keys.partners.length]!;
        const res = await fetch(`${apiUrl}/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...randomOrder(n, channel), dueBy: dueBy(), notes: 'pipeline benchmark' }),
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json().catch(() => ({}))) as { id?: string };
        if (res.status !== 202 || !body.id) return { refused: `HTTP ${res.status}` };
        return { workflowId: orderWorkflowId(body.id) };
      },
      (result) => {
        const status = (result as OrderState).status;
        return status === 'delivered' ? 'ok' : `ended ${status}`;
      },
      pipelinePids,
    );
    const orders = pipeline.results as OrderState[];
    pipeline.queueWaitMs = Object.fromEntries(
      STAGES.map((stage) => [
        stage,
        pct(orders.flatMap((o) => o.timeline.filter((t) => t.stage === stage && typeof t.queueWaitMs === 'number').map((t) => t.queueWaitMs!))),
      ]),
    );
    // The slowest orders, stage by stage: where their time went.
    const slowest = [...orders]
      .map((o) => ({ o, ms: Date.parse(o.updatedAt) - Date.parse(o.createdAt) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map(({ o, ms }) => ({
        orderId: o.orderId,
        totalMs: ms,
        stages: o.timeline.map((t) => ({
          stage: t.stage,
          attempts: t.attempts,
          queueWaitMs: t.queueWaitMs,
          ms: t.endedAt ? Date.parse(t.endedAt) - Date.parse(t.startedAt) : undefined,
        })),
      }));
    const eventName = (type: unknown) => (typeof type === 'number' ? (temporal.api.enums.v1.EventType[type] ?? String(type)) : String(type));
    const sampleHistories = (ids: string[]) => Promise.all(ids.slice(0, HISTORY_SAMPLE).map((id) => client.workflow.getHandle(id).fetchHistory()));
    const delivered = orders.filter((o) => o.status === 'delivered');
    const pipelineHistory = historyFigures(await sampleHistories(delivered.map((o) => orderWorkflowId(o.orderId))), eventName);
    // Every order's steps, from its timeline: attempts after the first (a lost attempt shows here).
    const retriedStepAttempts = orders.reduce((n, o) => n + o.timeline.reduce((m, t) => m + Math.max(0, t.attempts - 1), 0), 0);
    // How each delivered order learnt of the job's start and end and of the delivery: the MES's or
    // the carrier's event (`webhook`) or its own look (`polling`); every `polling` delivery is a
    // confirmDelivery activity (and a workflow task) more in the order's history.
    const tally = (values: (string | undefined)[]) => {
      const counts: Record<string, number> = {};
      for (const v of values) counts[v ?? 'none'] = (counts[v ?? 'none'] ?? 0) + 1;
      return counts;
    };
    const learnt = {
      productionStart: tally(delivered.map((o) => o.production?.startSource)),
      productionEnd: tally(delivered.map((o) => o.production?.source)),
      delivery: tally(delivered.map((o) => o.shipment?.source)),
    };
    await stopPipeline();
    const integrations = await integrationFigures();
    note(`pipeline: ${pipeline.perSecond} orders/s completed (steady state), ${pipeline.completed} delivered`);

    // ── phase 2: the baseline, same server ──
    const baseline = spawnTs('baseline worker', 'bench/baseline/worker.ts', [], {
      BENCH_TEMPORAL_ADDRESS: temporalAddress,
      ...Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('TEMPORAL_TLS'))),
      BENCH_BASELINE_BUNDLE: baselineBundle,
      BENCH_BASELINE_QUEUE: BASELINE_QUEUE,
      BENCH_BASELINE_CONCURRENCY: String(config.concurrency.orders),
      BENCH_BASELINE_CACHE: String(config.maxCachedWorkflows),
    });
    children.push(baseline);
    await until(
      'the baseline worker',
      async () => (await hasPollers(baselineClient, BASELINE_QUEUE, 'workflow')) && (await hasPollers(baselineClient, BASELINE_QUEUE, 'activity')),
      [baseline],
    );
    const runId = startedAt.getTime().toString(36);
    const base = await drive(
      'baseline',
      baselineClient,
      async (n) => {
        const handle = await baselineClient.workflow.start('baselineWorkflow', {
          taskQueue: BASELINE_QUEUE,
          workflowId: `baseline-${runId}-${n}`,
          args: [String(n)],
        });
        return { workflowId: handle.workflowId };
      },
      (result) => (result === 5 ? 'ok' : `returned ${String(result)}`),
      { temporal: temporalPids, worker: baseline.proc.pid },
    );
    const baselineHistory = historyFigures(await sampleHistories(Array.from({ length: HISTORY_SAMPLE }, (_, n) => `baseline-${runId}-${n}`)), eventName);
    await baseline.stop();
    note(`baseline: ${base.perSecond} workflows/s completed (steady state)`);

    // ── report ──
    const ratio = base.perSecond > 0 ? pipeline.perSecond / base.perSecond : NaN;
    // CPU the run's own processes (Temporal, API, workers, PostgreSQL backends, load generator)
    // spent per workflow: less sensitive to other load on the machine than throughput is.
    const cpuRatio = base.cpuMsPerWorkflow.ours! / pipeline.cpuMsPerWorkflow.ours!;
    const cpuPerOrderRatio = pipeline.cpuMsPerWorkflow.ours! / base.cpuMsPerWorkflow.ours!;
    const retriedAttempts = retriedStepAttempts + pipelineHistory.retriedAttempts;
    const checks = {
      ratio: { value: round2(ratio), target: `>= ${TARGETS.ratio}`, met: ratio >= TARGETS.ratio },
      cpuPerOrderRatio: { value: round2(cpuPerOrderRatio), target: `<= ${TARGETS.cpuPerOrderRatio}`, met: cpuPerOrderRatio <= TARGETS.cpuPerOrderRatio },
      eventsPerOrder: { value: pipelineHistory.events.max, target: `<= ${TARGETS.eventsPerOrder}`, met: pipelineHistory.events.max <= TARGETS.eventsPerOrder },
      upsertsPerOrder: {
        value: pipelineHistory.searchAttributeUpserts.max,
        target: `<= ${TARGETS.upsertsPerOrder}`,
        met: pipelineHistory.searchAttributeUpserts.max <= TARGETS.upsertsPerOrder,
      },
      projectionWritesPerOrder: {
        value: pipelineHistory.projectionWrites.max,
        target: `<= ${TARGETS.projectionWritesPerOrder}`,
        met: pipelineHistory.projectionWrites.max <= TARGETS.projectionWritesPerOrder,
      },
      retriedAttempts: { value: retriedAttempts, target: `<= ${TARGETS.retriedAttempts}`, met: retriedAttempts <= TARGETS.retriedAttempts },
    };
    const strip = ({ results: _r, ...rest }: PhaseResult & { results: unknown[] }) => rest;
    const figures = {
      ordersPerSecond: pipeline.perSecond,
      baselinePerSecond: base.perSecond,
      ratio: round2(ratio),
      targetRatio: TARGETS.ratio,
      targetMet: ratio >= TARGETS.ratio,
      /** CPU per baseline workflow ÷ CPU per order (the throughput ratio if CPU alone decided). */
      cpuRatio: round2(cpuRatio),
      /** CPU per delivered order ÷ CPU per baseline workflow (the issue's cost figure; target <= 2). */
      cpuPerOrderRatio: round2(cpuPerOrderRatio),
      targets: checks,
      retriedAttempts: { steps: retriedStepAttempts, sampledHistories: pipelineHistory.retriedAttempts },
      history: { pipeline: pipelineHistory, baseline: baselineHistory },
      integrations: { ...integrations, learnt },
      cpuMsPerOrder: pipeline.cpuMsPerWorkflow.ours,
      cpuMsPerBaselineWorkflow: base.cpuMsPerWorkflow.ours,
      intakeP50Ms: pipeline.intakeMs.p50,
      intakeP99Ms: pipeline.intakeMs.p99,
      endToEndP50Ms: pipeline.endToEndMs.p50,
      endToEndP99Ms: pipeline.endToEndMs.p99,
      queueWaitP50Ms: Object.fromEntries(Object.entries(pipeline.queueWaitMs).map(([k, v]) => [k, v.p50])),
      options: { rate, durationS, warmupS, concurrency, scale, lines, b2cShare, quick: values.quick },
      /** Where it ran: the dev server (SQLite in memory or a file, one process) or the cluster of `npm run cluster`. */
      temporal: shape
        ? {
            server: 'cluster',
            store: 'postgresql',
            processes: Object.keys(shape.temporal.services),
            workerProcesses: (pipelinePids.workers as unknown[]).length,
            apiReplicas: (pipelinePids.api as unknown[]).length,
          }
        : values['db-file']
          ? { server: 'dev', store: 'sqlite file', sqlitePragmas, processes: ['dev server'] }
          : { server: 'dev', store: 'sqlite in memory', processes: ['dev server'] },
      machine: { description: machineDescription(), cores: cpus().length, load1AtStart: round2(load1AtStart), load1AtEnd: round2(loadavg()[0]!) },
      startedAt: startedAt.toISOString(),
      pipeline: { ...strip(pipeline), slowest },
      baseline: strip(base),
    };

    const out = (line = '') => console.log(line);
    out('');
    out(`                         pipeline   baseline`);
    out(
      `completed per second  ${String(pipeline.perSecond).padStart(10)} ${String(base.perSecond).padStart(10)}   (${pipeline.measuredOver} / ${base.measuredOver})`,
    );
    out(
      `steady state          ${String(pipeline.steadyPerSecond).padStart(10)} ${String(base.steadyPerSecond).padStart(10)}   (from ${pipeline.steadyFromS} / ${base.steadyFromS} s, the later of the ${warmupS} s warm-up and the median end to end, until sending stopped)`,
    );
    out(
      `overall per second    ${String(pipeline.overallPerSecond).padStart(10)} ${String(base.overallPerSecond).padStart(10)}   (first send to last completion)`,
    );
    out(`sent / completed      ${`${pipeline.sent}/${pipeline.completed}`.padStart(10)} ${`${base.sent}/${base.completed}`.padStart(10)}`);
    out(
      `start p50 / p99 (ms)  ${`${pipeline.intakeMs.p50}/${pipeline.intakeMs.p99}`.padStart(10)} ${`${base.intakeMs.p50}/${base.intakeMs.p99}`.padStart(10)}   (pipeline: POST /v1/orders → 202)`,
    );
    out(
      `end to end p50 / p99  ${`${pipeline.endToEndMs.p50}/${pipeline.endToEndMs.p99}`.padStart(10)} ${`${base.endToEndMs.p50}/${base.endToEndMs.p99}`.padStart(10)}`,
    );
    out(
      `CPU ms per workflow   ${String(pipeline.cpuMsPerWorkflow.ours).padStart(10)} ${String(base.cpuMsPerWorkflow.ours).padStart(10)}   (the run's processes over the whole phase; whole machine ${pipeline.cpuMsPerWorkflow.total} / ${base.cpuMsPerWorkflow.total})`,
    );
    out(
      `  pipeline: ${Object.entries(pipeline.cpuMsPerWorkflow)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    out(
      `  baseline: ${Object.entries(base.cpuMsPerWorkflow)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    if (shape) out("  (cluster: postgres counts the backends of Temporal's two databases too, which the dev server keeps in its own process)");
    out('queue wait per stage (ms, p50 / p99): ' + STAGES.map((s) => `${s} ${pipeline.queueWaitMs![s]!.p50}/${pipeline.queueWaitMs![s]!.p99}`).join(', '));
    if (Object.keys(pipeline.rejectedAtIntake).length) out(`not accepted: ${JSON.stringify(pipeline.rejectedAtIntake)}`);
    if (Object.keys(pipeline.notCompleted).length) out(`pipeline, not delivered: ${JSON.stringify(pipeline.notCompleted)}`);
    if (Object.keys(base.notCompleted).length || Object.keys(base.rejectedAtIntake).length)
      out(`baseline problems: ${JSON.stringify({ ...base.notCompleted, ...base.rejectedAtIntake })}`);
    out(`CPU per workflow, baseline / pipeline: ${(cpuRatio * 100).toFixed(1)} % (the throughput ratio if CPU alone decided)`);
    const h = (f: typeof pipelineHistory) =>
      `events ${f.events.p50}/${f.events.max}, upserts ${f.searchAttributeUpserts.p50}/${f.searchAttributeUpserts.max}, projection writes ${f.projectionWrites.p50}/${f.projectionWrites.max}, local activities ${f.localActivities.p50}/${f.localActivities.max}, workflow tasks ${f.workflowTasks.p50}/${f.workflowTasks.max}, signals ${f.signals.p50}/${f.signals.max}`;
    out(`history per workflow (p50/max of ${pipelineHistory.sampled} / ${baselineHistory.sampled} sampled):`);
    out(`  pipeline: ${h(pipelineHistory)}`);
    out(`  baseline: ${h(baselineHistory)}`);
    out(
      `attempts after the first: ${retriedStepAttempts} in the orders' steps, ${pipelineHistory.retriedAttempts} in the sampled histories ${JSON.stringify(pipelineHistory.retriedByActivity)}`,
    );
    const outbox = (o: (typeof integrations)['mesOutbox']) =>
      `${o.delivered} delivered after ${o.waitedP50Ms}/${o.waitedP99Ms} ms (p50/p99), ${o.pending} pending`;
    out(`events: mes outbox ${outbox(integrations.mesOutbox)}; carrier outbox ${outbox(integrations.carrierOutbox)}`);
    out(`  the API's answers: ${JSON.stringify(integrations.answers)}`);
    out(
      `  how delivered orders learnt it: job started ${JSON.stringify(learnt.productionStart)}, job done ${JSON.stringify(learnt.productionEnd)}, delivered ${JSON.stringify(learnt.delivery)}`,
    );
    out('targets:');
    for (const [name, c] of Object.entries(checks))
      out(`  ${name.padEnd(26)} ${String(c.value).padStart(8)}  ${c.target.padEnd(8)} ${c.met ? 'met' : 'MISSED'}`);
    out(`pipeline / baseline: ${(ratio * 100).toFixed(1)} % (target ≥ ${TARGETS.ratio * 100} %): ${ratio >= TARGETS.ratio ? 'met' : 'MISSED'}`);

    await mkdir(path.dirname(outFile), { recursive: true });
    await writeFile(outFile, `${JSON.stringify(figures, null, 2)}\n`);
    const pngFile = outFile.replace(/\.json$/, '') + '.png';
    await writeFile(pngFile, await chart(figures.pipeline, figures.baseline, ratio));
    note(`results written to ${path.relative(process.cwd(), outFile)} and ${path.relative(process.cwd(), pngFile)}`);
    let regression: string | undefined;
    if (reference) {
      const limit = reference.cpuPerOrderRatio * (1 + CHECK_TOLERANCE);
      const verdict = cpuPerOrderRatio <= limit ? 'passed' : 'FAILED';
      out(
        `CPU regression check: ${round2(cpuPerOrderRatio)}x the baseline's CPU per order, reference ${reference.cpuPerOrderRatio}x (${reference.measuredAt}), ` +
          `limit ${round2(limit)}x (+${CHECK_TOLERANCE * 100} %): ${verdict}`,
      );
      if (verdict === 'FAILED')
        regression = `an order costs ${round2(cpuPerOrderRatio)}x the baseline's CPU, more than ${round2(limit)}x (the reference ${reference.cpuPerOrderRatio}x + ${CHECK_TOLERANCE * 100} %); profile with --cpu-prof, or if the cost is intended, write a new reference with --save-reference`;
    }
    if (values['save-reference']) {
      const saved: CostReference = {
        cpuPerOrderRatio: round2(cpuPerOrderRatio),
        measuredAt: startedAt.toISOString().slice(0, 10),
        options: figures.options,
        machine: machineDescription(),
      };
      await writeFile(values['save-reference'], `${JSON.stringify(saved, null, 2)}\n`);
      note(`reference written to ${values['save-reference']}`);
    }
    await cleanup();
    out(JSON.stringify(figures));
    if (regression) fail(regression);
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => note(m),
  error: (m: string) => note(m),
};

async function chart(pipeline: Omit<PhaseResult, 'results'>, base: Omit<PhaseResult, 'results'>, ratio: number): Promise<Buffer> {
  const throughput = [
    { side: 'pipeline', perSecond: pipeline.perSecond },
    { side: 'baseline', perSecond: base.perSecond },
  ];
  const latency = ['p50', 'p99'].flatMap((p) => [
    { what: 'start', side: 'pipeline', percentile: p, ms: pipeline.intakeMs[p as 'p50'] },
    { what: 'start', side: 'baseline', percentile: p, ms: base.intakeMs[p as 'p50'] },
    { what: 'end to end', side: 'pipeline', percentile: p, ms: pipeline.endToEndMs[p as 'p50'] },
    { what: 'end to end', side: 'baseline', percentile: p, ms: base.endToEndMs[p as 'p50'] },
  ]);
  const waits = Object.entries(pipeline.queueWaitMs ?? {}).flatMap(([stage, w]) => [
    { stage, percentile: 'p50', ms: w.p50 },
    { stage, percentile: 'p99', ms: w.p99 },
  ]);
  return renderPng({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Order pipeline vs. bare Temporal: ${(ratio * 100).toFixed(1)} % of the baseline's throughput`, anchor: 'start' },
    config: { font: 'DejaVu Sans', background: 'white', view: { stroke: null } },
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    vconcat: [
      {
        title: 'Workflows completed per second (baseline: five no-op activities)',
        width: 520,
        height: { step: 22 },
        data: { values: throughput },
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'side', type: 'nominal', sort: ['pipeline', 'baseline'], title: null },
          x: { field: 'perSecond', type: 'quantitative', title: 'per second' },
          color: { field: 'side', type: 'nominal', legend: null, scale: { domain: ['pipeline', 'baseline'], range: ['#4c78a8', '#9d9d9d'] } },
        },
      },
      {
        title: 'Latency: start (pipeline: POST → 202) and end to end (ms, logarithmic)',
        width: 520,
        height: { step: 12 },
        data: { values: latency },
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'what', type: 'nominal', title: null },
          yOffset: { field: 'series', type: 'nominal' },
          x: { field: 'ms', type: 'quantitative', scale: { type: 'symlog' }, title: 'ms' },
          color: { field: 'series', type: 'nominal', title: null },
        },
        transform: [{ calculate: "datum.side + ' ' + datum.percentile", as: 'series' }],
      },
      {
        title: 'Pipeline: queue wait per stage (ms, from the timeline)',
        width: 520,
        height: { step: 12 },
        data: { values: waits },
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'stage', type: 'nominal', sort: [...STAGES], title: null },
          yOffset: { field: 'percentile', sort: ['p50', 'p99'] },
          x: { field: 'ms', type: 'quantitative', title: 'ms' },
          color: { field: 'percentile', type: 'nominal', scale: { range: ['#4c78a8', '#e45756'] }, title: null },
        },
      },
    ],
  });
}

main().catch((err) => {
  console.error(`pipeline benchmark failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
