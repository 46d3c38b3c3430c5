/**
 * Benchmark of order intake: `POST /v1/orders` over loopback next to raw `client.workflow.start`
 * calls (`startOrderWorkflow`) on the same Temporal server in the same run. Intake only: no
 * worker runs, so every started workflow simply waits in the `orders` task queue.
 *
 *   npm run bench:intake -- [--rate 100] [--seconds 20] [--concurrency 16] [--quick] [--in-process] [--sqlite-file]
 *
 * See --help and bench/README.md. The last line printed is a JSON object of the figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { openDatabases, dropDatabase } from '../db/index.js';
import { createClient } from '../src/api/clients.js';
import { startApi, type RunningApi } from '../src/api/server.js';
import { loadConfig, withDatabase } from '../src/platform/config.js';
import { dataConverter } from '../src/platform/temporal/codec.js';
import { OrderRequestSchema, type OrderRequest } from '../src/domain/order.js';
import { newOrderInput, startOrderWorkflow } from '../src/order/intake.js';
import { createLogger } from '../src/platform/logger.js';
import { TEMPORAL_CLI_VERSION, ensureTemporalCli, startDevServer, type DevServer } from '../src/platform/temporal/dev-server.js';
import { ORDER_WORKFLOW_TYPE } from '../src/order/contract.js';
import { freePort } from '../test/support/processes.js';
import { HAVE_PROC, fail, machineBusyMs, machineDescription, parseOptions, percentile, processCpuMs, round2 } from './support.js';

const USAGE = `Benchmark of order intake: POST /v1/orders against raw Temporal workflow starts.

usage: npm run bench:intake -- [options]

  --rate R          requests per second of the fixed-rate (open-loop) phase (default 100)
  --seconds S       length of each timed phase (default 20; --quick: 5)
  --concurrency N   concurrent callers of the closed-loop phases (default 16)
  --quick           short phases and warm-up, for a smoke run
  --in-process      run the API inside the benchmark process (default: a child process, so the
                    load generator does not share the API's event loop)
  --sqlite-file     Temporal dev server keeps its SQLite in a file, as npm start does (default: in
                    memory, as the test suite's server; see bench/README.md for why)
  --cpu-prof-api    write a V8 CPU profile of the API child process to .data/bench/prof/
  --help            this text

environment:
  BENCH_DATABASE_URL   PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
                       the database orders_bench_intake_shop on it is recreated and migrated.
  TEMPORAL_CLI_PATH    the temporal binary (else PATH, else built into .tools/)

Starts its own Temporal dev server on a free port (no workers: every start waits in the queue),
the API (startApi) with an internal-tier shop client created for the run, and after a warm-up
measures raw startOrderWorkflow calls and POST /v1/orders side by side, in alternating slices of
2 s (the dev server slows down as its backlog grows, so both must see the same backlog):
  0. one caller at a time, S/4 each: what the API adds to a start without queueing
  1. open loop at R requests/s (scheduled on a timer; latency counted from the scheduled
     time), S each: p50/p99/max, errors
  2. closed loop, N callers each starting the next call when the previous one answered, S each:
     throughput (raw starts/s vs API requests/s), p50/p99
Progress is printed per slice.
Targets: API throughput >= 90 % of the raw start rate; p99 < 50 ms at 100 requests/s.
Exit code 1 when a target is missed. The last line is a JSON object of the figures.`;

const TARGET_RATIO = 0.9;
const TARGET_P99_MS = 50;
const BENCH_DB = 'orders_bench_intake_shop';
const SCRIPT = fileURLToPath(import.meta.url);

const args = parseOptions(
  {
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    quick: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    'sqlite-file': { type: 'boolean', default: false },
    'cpu-prof-api': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
    // internal: the API child process
    'serve-api': { type: 'boolean', default: false },
  },
  USAGE,
);
const number = (name: string, raw: string, min: number, integer = false) => {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
    fail(`--${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${raw}"; see --help`);
  return n;
};

const log = (line: string) => console.log(line);
const serverUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const shopUrl = withDatabase(serverUrl, BENCH_DB);

// ---------------------------------------------------------------------------------------------
// The API child process: startApi on a free port, its URL on stdout, gone when stdin closes.

async function serveApi(): Promise<void> {
  const temporalAddress = process.env.BENCH_TEMPORAL_ADDRESS;
  if (!temporalAddress) fail('--serve-api is internal to the benchmark');
  const config = loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: '0',
    SHOP_DATABASE_URL: shopUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    DATA_DIR: '.data/bench',
  });
  const dbs = await openDatabases(config, ['shop']);
  const api = await startApi({ config, log: createLogger('warn', 'bench-intake-api'), shop: dbs.shop });
  const stop = async () => {
    await api.close();
    await dbs.close();
    process.exit(0);
  };
  process.stdin.on('end', stop).resume();
  process.once('SIGTERM', stop);
  console.log(JSON.stringify({ url: api.url }));
}

interface ApiHandle {
  url: string;
  port: number;
  /** Process of the API when it is not this one. */
  pid?: number;
  where: string;
  close(): Promise<void>;
}

async function startApiChild(temporalAddress: string): Promise<ApiHandle> {
  // Same node and loader flags (tsx) as this process.
  const child: ChildProcess = spawn(
    process.execPath,
    [...process.execArgv, ...(args['cpu-prof-api'] ? ['--cpu-prof', '--cpu-prof-dir=.data/bench/prof'] : []), SCRIPT, '--serve-api'],
    {
      env: { ...process.env, BENCH_TEMPORAL_ADDRESS: temporalAddress },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`API child said: ${line}`));
      }
    });
    child.once('exit', (code) => reject(new Error(`API child exited with code ${code} during start-up`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid,
    where: `child process ${child.pid}`,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Load

interface PhaseResult {
  phase: string;
  ok: number;
  errors: number;
  /** Time spent in this phase's slices (other slices interleaved in between not counted). */
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  errorSamples: Record<string, number>;
  /** Open loop only: the rate asked for, the most requests in flight, the latest start behind schedule. */
  targetRate?: number;
  maxInFlight?: number;
  maxStartLagMs?: number;
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): where the CPU time of a slice went

/** Processes whose CPU is counted separately; the rest of the machine is `other`. */
const cpuPids: Record<string, number> = {};

/** CPU milliseconds used so far: per process in `cpuPids`, and `busy` for the whole machine. */
function cpuSnapshot(): Record<string, number> {
  if (!HAVE_PROC) return {};
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(cpuPids)) out[name] = processCpuMs(pid);
  out.busy = machineBusyMs();
  return out;
}

/** Latencies and errors of one kind of call, gathered over one or more slices. */
class Recorder {
  readonly latencies: number[] = [];
  errors = 0;
  readonly errorSamples: Record<string, number> = {};
  activeMs = 0;
  /** CPU milliseconds spent during this recorder's slices, by process (see cpuSnapshot). */
  readonly cpu: Record<string, number> = {};
  maxInFlight = 0;
  maxStartLagMs = 0;

  constructor(
    readonly phase: string,
    readonly targetRate?: number,
  ) {}

  ok(ms: number) {
    this.latencies.push(ms);
  }

  error(err: unknown) {
    this.errors += 1;
    const key = String((err as Error)?.message ?? err).slice(0, 160);
    this.errorSamples[key] = (this.errorSamples[key] ?? 0) + 1;
  }

  /** CPU milliseconds per successful call, by process; `other` is the machine minus the named ones. */
  cpuPerCall(): Record<string, number> {
    const n = this.latencies.length;
    if (!HAVE_PROC || n === 0 || this.cpu.busy === undefined) return {};
    const named = Object.keys(cpuPids).reduce((sum, k) => sum + (this.cpu[k] ?? 0), 0);
    const out: Record<string, number> = {};
    for (const k of Object.keys(cpuPids)) out[k] = round2((this.cpu[k] ?? 0) / n);
    // A difference of counters read at slightly different moments: clamp the noise below zero.
    out.other = round2(Math.max(0, this.cpu.busy - named) / n);
    out.total = round2(this.cpu.busy / n);
    return out;
  }

  finish(): PhaseResult {
    const seconds = this.activeMs / 1000;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      phase: this.phase,
      ok: sorted.length,
      errors: this.errors,
      seconds: round2(seconds),
      perSecond: round2(sorted.length / seconds),
      p50: round2(percentile(sorted, 0.5)),
      p99: round2(percentile(sorted, 0.99)),
      max: round2(sorted[sorted.length - 1] ?? NaN),
      errorSamples: this.errorSamples,
      ...(this.targetRate !== undefined ? { targetRate: this.targetRate, maxInFlight: this.maxInFlight, maxStartLagMs: round2(this.maxStartLagMs) } : {}),
    };
  }
}

/** `concurrency` callers for `seconds`, each starting its next call as soon as the previous one answered. */
async function closedLoop(rec: Recorder, seconds: number, concurrency: number, op: () => Promise<void>): Promise<void> {
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await op();
          rec.ok(performance.now() - t);
        } catch (err) {
          rec.error(err);
        }
      }
    }),
  );
  rec.activeMs += performance.now() - started;
}

/**
 * `rate` calls per second for `seconds` on a timer, whatever the answers do (open loop). Latency
 * runs from the scheduled start, so a stalled event loop or a queue shows up in it.
 */
async function openLoop(rec: Recorder, seconds: number, rate: number, op: () => Promise<void>): Promise<void> {
  const total = Math.round(seconds * rate);
  const interval = 1000 / rate;
  const started = performance.now();
  const t0 = started + 1;
  const pending: Promise<void>[] = [];
  let next = 0;
  let inFlight = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && t0 + next * interval <= now) {
        const scheduled = t0 + next * interval;
        next += 1;
        rec.maxStartLagMs = Math.max(rec.maxStartLagMs, now - scheduled);
        inFlight += 1;
        rec.maxInFlight = Math.max(rec.maxInFlight, inFlight);
        pending.push(
          op()
            .then(
              () => rec.ok(performance.now() - scheduled),
              (err) => rec.error(err),
            )
            .finally(() => {
              inFlight -= 1;
            }),
        );
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, t0 + next * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);
  // The slice lasts its schedule (the last answers arrive within it or just after).
  rec.activeMs += Math.max(seconds * 1000, performance.now() - started);
}

/**
 * Raw starts and API requests in alternating slices (raw first, then API first, …), so both
 * see the same Temporal server state: without workers every start adds to a backlog that makes
 * the dev server slower over the run.
 */
async function interleaved(
  label: string,
  seconds: number,
  slice: number,
  runs: { rec: Recorder; run: (rec: Recorder, seconds: number) => Promise<void> }[],
): Promise<void> {
  const rounds = Math.max(1, Math.round(seconds / slice));
  const each = seconds / rounds;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? runs : [...runs].reverse();
    const line: string[] = [];
    for (const { rec, run } of order) {
      const before = { ok: rec.latencies.length, errors: rec.errors, ms: rec.activeMs };
      const cpuBefore = cpuSnapshot();
      await run(rec, each);
      const cpuAfter = cpuSnapshot();
      for (const [k, v] of Object.entries(cpuAfter)) rec.cpu[k] = (rec.cpu[k] ?? 0) + v - (cpuBefore[k] ?? v);
      const ok = rec.latencies.length - before.ok;
      const recent = rec.latencies.slice(before.ok).sort((a, b) => a - b);
      line.push(
        `${rec.phase} ${((ok * 1000) / (rec.activeMs - before.ms)).toFixed(0).padStart(4)}/s p50 ${percentile(recent, 0.5).toFixed(1).padStart(5)} p99 ${percentile(recent, 0.99).toFixed(1).padStart(6)} ms` +
          (rec.errors > before.errors ? ` ${rec.errors - before.errors} errors` : ''),
      );
    }
    log(`  ${label} ${String(round + 1).padStart(2)}/${rounds}  ${line.join('  |  ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// What is sent

/** A realistic order: two lines with options, a courier address, an external reference and notes. */
function orderBody(n: number, tag: string) {
  return {
    customer: { name: 'Anna Schmidt', email: `bench.${tag}.${n}@example.com`, phone: '+49 30 1234567' },
    items: [
      { sku: 'BC-STD', quantity: 500, options: { paper: 'gloss-350' } },
      { sku: 'FLY-A5', quantity: 1000 },
    ],
    shipping: {
      method: 'courier',
      address: { name: 'Schmidt Design', line1: 'Hauptstr. 1', line2: '2. OG', postalCode: '10115', city: 'Berlin', country: 'DE' },
    },
    externalRef: `PO-${tag}-${n}`,
    notes: 'Please deliver to the reception desk between 9 and 17 h.',
  };
}

function postOrder(agent: http.Agent, port: number, key: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/orders',
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode === 202) return resolve();
          reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 120)}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const quick = args.quick;
  const SECONDS = number('seconds', args.seconds ?? (quick ? '5' : '20'), 1);
  const RATE = number('rate', args.rate, 1);
  const CONCURRENCY = number('concurrency', args.concurrency, 1, true);
  const WARMUP_S = quick ? 1 : 3;
  const RUN = Date.now().toString(36);

  const machine = machineDescription();
  log(`intake benchmark: ${SECONDS} s per phase, ${CONCURRENCY} concurrent callers, fixed rate ${RATE}/s`);
  log(`machine: ${machine}; node ${process.version}; load average ${loadavg().map(round2).join(' ')}`);

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!();
      } catch (err) {
        console.error('cleanup:', err);
      }
    }
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('\ninterrupted: cleaning up…');
    void cleanup().then(() => process.exit(130));
  });

  try {
    // Temporal: our own dev server on a free port, SQLite in memory unless --sqlite-file.
    const cliPath = ensureTemporalCli(process.env.TEMPORAL_CLI_PATH, log);
    const port = await freePort();
    const dbFile = !args['sqlite-file'] ? undefined : path.resolve('.data', 'bench', `intake-temporal-${port}.db`);
    log(
      `Temporal dev server (CLI ${TEMPORAL_CLI_VERSION}) on 127.0.0.1:${port}, ${dbFile ? `SQLite file ${path.relative(process.cwd(), dbFile)}` : 'SQLite in memory'}…`,
    );
    const server: DevServer = await startDevServer({ cliPath, port, headless: true, dbFile, logFile: path.join('.data', 'bench', 'intake-temporal.log') });
    cleanups.push(() => {
      if (dbFile) for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });
    });
    cleanups.push(() => server.stop());
    if (server.process?.pid) cpuPids.temporal = server.process.pid;
    cpuPids.loadgen = process.pid;
    if (!server.owned) throw new Error(`something already listens on ${server.address}; refusing to benchmark a server this run did not start`);

    // Shop database: recreated, migrated; one internal-tier shop client for the run.
    await dropDatabase(shopUrl);
    const config = loadConfig({
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: '0',
      SHOP_DATABASE_URL: shopUrl,
      TEMPORAL_ADDRESS: server.address,
      DATA_DIR: '.data/bench',
    });
    const dbs = await openDatabases(config, ['shop'], { migrate: true });
    cleanups.push(() => dbs.close());
    const pg = postgres(shopUrl, { max: 1, onnotice: () => {} });
    const [{ version, syncCommit }] =
      (await pg`select current_setting('server_version') as version, current_setting('synchronous_commit') as "syncCommit"`) as unknown as [
        { version: string; syncCommit: string },
      ];
    await pg.end({ timeout: 5 });
    const { key, client: apiClient } = await createClient(dbs.shop.db, {
      name: 'Intake benchmark',
      kind: 'shop',
      tier: 'internal',
      id: `shop-bench-intake-${RUN}`,
    });
    log(`database ${BENCH_DB} (PostgreSQL ${version}, synchronous_commit ${syncCommit}); API client ${apiClient.id}, tier ${apiClient.tier}`);

    const api: ApiHandle = args['in-process']
      ? await (async () => {
          const a: RunningApi = await startApi({ config, log: createLogger('warn', 'bench-intake-api'), shop: dbs.shop });
          return { url: a.url, port: a.port, where: 'in the benchmark process', close: () => a.close() };
        })()
      : await startApiChild(server.address);
    cleanups.push(() => api.close());
    if (api.pid) cpuPids.api = api.pid;
    log(`API on ${api.url} (${api.where})`);

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const temporal = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(config) });

    // One parsed order (as the API parses it) for the raw starts; only the e-mail changes.
    const order: OrderRequest = OrderRequestSchema.parse(orderBody(0, RUN));
    let seq = 0;
    const rawStart = async () => {
      const n = ++seq;
      const input = newOrderInput({
        source: { clientId: apiClient.id, kind: 'shop' },
        order: { ...order, customer: { ...order.customer, email: `bench.${RUN}.raw${n}@example.com` }, externalRef: `PO-${RUN}-raw${n}` },
        timeScale: 1,
      });
      await startOrderWorkflow(temporal, input);
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    cleanups.push(() => agent.destroy());
    const apiPost = () => {
      const n = ++seq;
      return postOrder(agent, api.port, key, JSON.stringify(orderBody(n, RUN)));
    };

    let started = 0;
    const backlog = () => `${started.toLocaleString('en')} workflows waiting in Temporal`;
    const count = (recs: Recorder[]) => recs.reduce((n, r) => n + r.latencies.length, 0);
    const SLICE = Math.min(2, SECONDS / 2);

    log(`\nwarm-up: ${WARMUP_S} s raw starts, ${WARMUP_S} s API requests, ${CONCURRENCY} callers (not counted)`);
    const warm = [new Recorder('raw'), new Recorder('API')];
    await interleaved('warm-up', WARMUP_S * 2, WARMUP_S, [
      { rec: warm[0]!, run: (r, t) => closedLoop(r, t, CONCURRENCY, rawStart) },
      { rec: warm[1]!, run: (r, t) => closedLoop(r, t, CONCURRENCY, apiPost) },
    ]);
    if (warm.some((r) => r.latencies.length === 0)) throw new Error(`warm-up failed: ${JSON.stringify(warm.map((r) => r.errorSamples))}`);
    started += count(warm);

    // Diagnostic: one caller at a time shows what the API adds to a start without any queueing.
    const single = Math.max(1, SECONDS / 4);
    log(`\n0. one caller at a time, ${single} s each, interleaved (${backlog()})`);
    const one = [new Recorder('raw'), new Recorder('API')];
    await interleaved('1 caller', single * 2, SLICE, [
      { rec: one[0]!, run: (r, t) => closedLoop(r, t, 1, rawStart) },
      { rec: one[1]!, run: (r, t) => closedLoop(r, t, 1, apiPost) },
    ]);
    started += count(one);

    const loadBefore = loadavg().map(round2);
    log(`\n1. open loop at ${RATE}/s, ${SECONDS} s each, interleaved (${backlog()}; load average ${loadBefore.join(' ')})`);
    const open = [new Recorder('raw', RATE), new Recorder('API', RATE)];
    await interleaved(`${RATE}/s`, SECONDS * 2, SLICE, [
      { rec: open[0]!, run: (r, t) => openLoop(r, t, RATE, rawStart) },
      { rec: open[1]!, run: (r, t) => openLoop(r, t, RATE, apiPost) },
    ]);
    started += count(open);
    const openBacklog = started;

    log(`\n2. closed loop, ${CONCURRENCY} callers, ${SECONDS} s each, interleaved (${backlog()})`);
    const closed = [new Recorder('raw'), new Recorder('API')];
    await interleaved(`${CONCURRENCY} callers`, SECONDS * 2, SLICE, [
      { rec: closed[0]!, run: (r, t) => closedLoop(r, t, CONCURRENCY, rawStart) },
      { rec: closed[1]!, run: (r, t) => closedLoop(r, t, CONCURRENCY, apiPost) },
    ]);
    started += count(closed);
    const loadAfter = loadavg().map(round2);

    const [rawOne, apiOne] = one.map((r) => r.finish()) as [PhaseResult, PhaseResult];
    const [rawFixed, fixed] = open.map((r) => r.finish()) as [PhaseResult, PhaseResult];
    const [raw, apiMax] = closed.map((r) => r.finish()) as [PhaseResult, PhaseResult];

    // Every 202 and every raw start must be a workflow in Temporal (visibility may lag a moment).
    const expected = started;
    let inTemporal = 0;
    const deadline = Date.now() + 20_000;
    do {
      inTemporal = (await temporal.workflow.count(`WorkflowType = '${ORDER_WORKFLOW_TYPE}'`)).count;
      if (inTemporal >= expected) break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);

    const ratio = apiMax.perSecond / raw.perSecond;
    const ratioMet = ratio >= TARGET_RATIO;
    const rateAchieved = fixed.perSecond >= RATE * 0.95;
    const p99Met = fixed.p99 < TARGET_P99_MS && fixed.errors === 0;

    const ms = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(2)).padStart(8);
    log(
      `\n${'phase'.padEnd(38)} ${'ok'.padStart(7)} ${'errors'.padStart(6)} ${'per s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
    );
    for (const [label, r] of [
      ['raw startOrderWorkflow, 1 caller', rawOne],
      ['POST /v1/orders, 1 caller', apiOne],
      [`raw startOrderWorkflow, open ${RATE}/s`, rawFixed],
      [`POST /v1/orders, open ${RATE}/s`, fixed],
      [`raw startOrderWorkflow, closed ${CONCURRENCY}`, raw],
      [`POST /v1/orders, closed ${CONCURRENCY}`, apiMax],
    ] as const) {
      log(
        `${label.padEnd(38)} ${String(r.ok).padStart(7)} ${String(r.errors).padStart(6)} ${r.perSecond.toFixed(1).padStart(8)} ${ms(r.p50)} ${ms(r.p99)} ${ms(r.max)}`,
      );
    }
    if (HAVE_PROC) {
      const names = [...Object.keys(cpuPids), 'other', 'total'];
      const legend: Record<string, string> = {
        temporal: 'Temporal server',
        loadgen: args['in-process'] ? 'benchmark + API' : 'load generator',
        api: 'API process',
        other: 'PostgreSQL + rest',
        total: 'total',
      };
      log(`\nCPU ms per order (whole machine, ${cpus().length} cores = ${cpus().length * 1000} CPU ms per s):`);
      log(`${''.padEnd(38)} ${names.map((k) => (legend[k] ?? k).padStart(18)).join('')}`);
      for (const [label, rec] of [
        [`raw startOrderWorkflow, closed ${CONCURRENCY}`, closed[0]!],
        [`POST /v1/orders, closed ${CONCURRENCY}`, closed[1]!],
      ] as const) {
        const c = rec.cpuPerCall();
        log(`${label.padEnd(38)} ${names.map((k) => (c[k] ?? NaN).toFixed(2).padStart(18)).join('')}`);
      }
    }
    log(`one caller: the API adds ${(apiOne.p50 - rawOne.p50).toFixed(2)} ms at p50 to a raw start (${rawOne.p50} → ${apiOne.p50} ms)`);
    log(
      `open loop: at most ${fixed.maxInFlight} API requests in flight; latest start ${fixed.maxStartLagMs} ms behind schedule; backlog ${openBacklog.toLocaleString('en')} workflows at its end`,
    );
    for (const r of [rawOne, apiOne, rawFixed, fixed, raw, apiMax]) {
      for (const [message, n] of Object.entries(r.errorSamples)) log(`  ${r.phase}: ${n} × ${message}`);
    }
    log(`workflows in Temporal: ${inTemporal} (expected ${expected}: every raw start and every 202)`);
    log(`load average: ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after the timed phases`);
    log('');
    log(
      `API / raw throughput: ${apiMax.perSecond.toFixed(1)} / ${raw.perSecond.toFixed(1)} = ${(ratio * 100).toFixed(1)} % — target ≥ ${TARGET_RATIO * 100} %: ${ratioMet ? 'met' : 'MISSED'}`,
    );
    log(
      `p99 at ${RATE} requests/s: ${fixed.p99.toFixed(2)} ms, ${fixed.errors} errors, ${fixed.perSecond.toFixed(1)}/s achieved — target p99 < ${TARGET_P99_MS} ms without errors: ${p99Met ? 'met' : 'MISSED'}` +
        (RATE !== 100 ? ` (the target is stated for 100 requests/s; this run used ${RATE})` : ''),
    );
    if (!rateAchieved) log(`note: the open loop achieved ${fixed.perSecond.toFixed(1)}/s of ${RATE}/s asked`);

    console.log(
      JSON.stringify({
        bench: 'intake',
        machine,
        node: process.version,
        postgres: version,
        synchronousCommit: syncCommit,
        temporalCli: TEMPORAL_CLI_VERSION,
        temporalStore: dbFile ? 'sqlite-file' : 'sqlite-memory',
        api: args['in-process'] ? 'in-process' : 'child-process',
        secondsPerPhase: SECONDS,
        concurrency: CONCURRENCY,
        rate: RATE,
        loadAverage: { before: loadBefore, after: loadAfter },
        oneCaller: { raw: rawOne, api: apiOne },
        fixedRate: { raw: rawFixed, api: fixed, backlogAtEnd: openBacklog },
        closedLoop: { raw, api: apiMax },
        cpuMsPerOrder: { raw: closed[0]!.cpuPerCall(), api: closed[1]!.cpuPerCall(), processes: Object.keys(cpuPids) },
        ratio: Math.round(ratio * 10_000) / 10_000,
        workflows: { inTemporal, expected },
        targets: { ratio: TARGET_RATIO, p99Ms: TARGET_P99_MS, ratioMet, p99Met },
      }),
    );
    if (!ratioMet || !p99Met || inTemporal !== expected) process.exitCode = 1;
  } finally {
    if (!interrupted) await cleanup();
  }
}

if (args['serve-api']) {
  serveApi().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
