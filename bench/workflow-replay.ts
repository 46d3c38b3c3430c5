/**
 * Benchmark of the workflow code alone: CPU per replay of a delivered order's recorded history
 * (test/histories/order-1.0-delivered.json) against the five-no-op baseline's
 * (bench/baseline/workflow.ts), in one replay worker each, alternating, in the same process.
 * Replaying runs every workflow task of the history through the sandbox as a live worker does
 * (activation, the workflow's code, the SDK's promise hook, the commands it answers with), without
 * the server, the network, activities or databases: the part of an order's cost that the workflow's
 * own code decides, with little noise.
 *
 *   npm run bench:replay -- [--replays 400] [--rounds 3] [--quick]
 *
 * See --help and bench/README.md. The last line printed is a JSON object of the figures.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker, type ReplayWorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import { loadConfig } from '../src/platform/config.js';
import { dataConverter } from '../src/platform/temporal/codec.js';
import { ensureTemporalCli, startDevServer } from '../src/platform/temporal/dev-server.js';
import { workflowSpanSinks } from '../src/platform/tracing/index.js';
import { buildWorkflowBundle, quietBundlerLogger } from '../src/workflows/bundle.js';
import { freePort } from '../test/support/processes.js';
import { baselineActivities } from './baseline/activities.js';
import { bundleBaseline } from './baseline/bundle.js';
import { fail, integerOption, machineDescription, parseOptions, round2 } from './support.js';

const USAGE = `Benchmark of the workflow code: CPU per replay of a delivered order's history against the baseline's.

usage: npm run bench:replay -- [options]

  --replays N   replays of each history per round (default 400; --quick: 100)
  --rounds R    rounds, each replaying baseline, order and order with tracing in turn (default 3)
  --quick       fewer replays, for a smoke run
  --only KIND   replay only baseline, order or traced (e.g. under node --cpu-prof)
  --help        this text

environment:
  TEMPORAL_CLI_PATH   the temporal binary (else PATH, else built into .tools/)

Records one baseline workflow (bench/baseline/workflow.ts, five no-op activities) on a Temporal
dev server of its own (in memory, a free port), stops the server, then replays in this process:
  baseline   that history, on the baseline's bundle
  order      test/histories/order-1.0-delivered.json, on the order bundle as workers run it
             by default (no tracing interceptors: spans go nowhere)
  traced     the same history on the bundle with the OpenTelemetry interceptors (workers with an
             exporter configured)
CPU is the whole process's (process.cpuUsage: the workflow thread, the SDK's core and the main
thread), after a warm-up of 20 replays per kind. After the rounds, five more replays per kind
count the promises the workflow sandbox creates (each pays the SDK's promise hook). The last line
is a JSON object of the figures.`;

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const ORDER_HISTORY = path.join(ROOT, 'test', 'histories', 'order-1.0-delivered.json');

const values = parseOptions(
  {
    replays: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  USAGE,
);
const replays = integerOption('replays', values.replays ?? (values.quick ? '100' : '400'), 1);
const rounds = integerOption('rounds', values.rounds, 1);
const note = (line: string) => process.stderr.write(`${line}\n`);
const ALL_KINDS = ['baseline', 'order', 'traced'] as const;
type Kind = (typeof ALL_KINDS)[number];
if (values.only !== undefined && !(ALL_KINDS as readonly string[]).includes(values.only)) {
  fail(`--only takes one of ${ALL_KINDS.join(', ')}, not '${values.only}'; see --help`);
}
const KINDS: readonly Kind[] = values.only === undefined ? ALL_KINDS : [values.only as Kind];

Runtime.install({ logger: new DefaultLogger('ERROR') });
// The payload codec of the test configuration: it passes the committed (unencrypted) history through.
const converter = dataConverter(loadConfig({ NODE_ENV: 'test' }));

type History = temporal.api.history.v1.IHistory;
const workflowTasks = (history: History) => (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).length;

/** One baseline workflow on a dev server of its own; its history. */
async function recordBaseline(bundle: WorkflowBundle): Promise<History> {
  const port = await freePort();
  const server = await startDevServer({ cliPath: ensureTemporalCli(process.env.TEMPORAL_CLI_PATH, note), port, headless: true });
  try {
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const connection = await Connection.connect({ address: server.address });
    try {
      const taskQueue = 'bench-replay-baseline';
      const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities: baselineActivities });
      const client = new Client({ connection });
      const history = await worker.runUntil(async () => {
        const handle = await client.workflow.start('baselineWorkflow', { taskQueue, workflowId: 'bench-replay-baseline', args: ['replay'] });
        await handle.result();
        return handle.fetchHistory();
      });
      return history;
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
  } finally {
    await server.stop();
  }
}

/** Replays `history` `n` times in one replay worker; CPU and wall ms in all. */
async function replay(options: ReplayWorkerOptions, history: History, n: number, tag: string): Promise<{ cpuMs: number; wallMs: number }> {
  async function* histories() {
    for (let i = 0; i < n; i++) yield { workflowId: `${tag}-${i}`, history };
  }
  const cpu = process.cpuUsage();
  const started = performance.now();
  for await (const result of Worker.runReplayHistories(options, histories())) {
    if (result.error) throw result.error;
  }
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

// The bundler's report only when it warns or fails.
const say = (meta: object, message: string) => note(`${message} ${JSON.stringify(meta)}`);
const logger = quietBundlerLogger({ debug: () => {}, info: () => {}, warn: say, error: say });
/** What each kind replays; only the kinds asked for are bundled (and the baseline recorded). */
async function prepare(kind: Kind): Promise<{ options: ReplayWorkerOptions; history: History }> {
  note(`bundling the ${kind} workflow…`);
  if (kind === 'baseline') {
    const workflowBundle = await bundleBaseline(logger);
    note('recording a baseline workflow on a dev server…');
    return { options: { workflowBundle, dataConverter: converter }, history: await recordBaseline(workflowBundle) };
  }
  const history = historyFromJSON(JSON.parse(readFileSync(ORDER_HISTORY, 'utf8')));
  const workflowBundle = await buildWorkflowBundle({ tracing: kind === 'traced', logger });
  return { options: { workflowBundle, dataConverter: converter, ...(kind === 'traced' ? { sinks: workflowSpanSinks() } : {}) }, history };
}
const kinds = {} as Record<Kind, { options: ReplayWorkerOptions; history: History }>;
for (const kind of KINDS) kinds[kind] = await prepare(kind);

for (const kind of KINDS) await replay(kinds[kind].options, kinds[kind].history, 20, `warm-${kind}`);
const totals = Object.fromEntries(ALL_KINDS.map((k) => [k, { cpuMs: 0, wallMs: 0, n: 0 }])) as Record<Kind, { cpuMs: number; wallMs: number; n: number }>;
for (let round = 1; round <= rounds; round++) {
  const line: string[] = [];
  for (const kind of KINDS) {
    const r = await replay(kinds[kind].options, kinds[kind].history, replays, `r${round}-${kind}`);
    totals[kind].cpuMs += r.cpuMs;
    totals[kind].wallMs += r.wallMs;
    totals[kind].n += replays;
    line.push(`${kind} ${round2(r.cpuMs / replays)} ms`);
  }
  note(`round ${round}/${rounds}: CPU per replay ${line.join(', ')}`);
}

/**
 * Promises the workflow sandbox creates per replay, after the timed rounds (the counting hook
 * costs CPU itself): each pays the SDK's promise hook, which records a stack for the Web UI.
 * Promises of this process's own realm are not the workflow's and are not counted.
 */
async function promisesPerReplay(kind: Kind, n = 5): Promise<number> {
  let count = 0;
  const stop = v8.promiseHooks.onInit((promise) => {
    if (promise.constructor !== Promise) count += 1;
  });
  try {
    await replay(kinds[kind].options, kinds[kind].history, n, `promises-${kind}`);
  } finally {
    stop();
  }
  return Math.round(count / n);
}
const promises = {} as Record<Kind, number>;
for (const kind of KINDS) promises[kind] = await promisesPerReplay(kind);

const per = (kind: Kind) => {
  const t = totals[kind];
  const tasks = workflowTasks(kinds[kind].history);
  return {
    events: kinds[kind].history.events?.length ?? 0,
    workflowTasks: tasks,
    cpuMsPerReplay: round2(t.cpuMs / t.n),
    cpuMsPerWorkflowTask: round2(t.cpuMs / t.n / tasks),
    promisesPerReplay: promises[kind],
    replaysPerSecond: round2((t.n / t.wallMs) * 1000),
  };
};
const ratio = (a: Kind, b: Kind) => (totals[a].n > 0 && totals[b].n > 0 ? round2(totals[a].cpuMs / totals[b].cpuMs) : null);
const perKind = Object.fromEntries(KINDS.map((k) => [k, per(k)])) as Partial<Record<Kind, ReturnType<typeof per>>>;
const figures = {
  ...perKind,
  orderToBaseline: ratio('order', 'baseline'),
  tracedToOrder: ratio('traced', 'order'),
  options: { replays, rounds },
  machine: machineDescription(),
};
console.log(
  [
    '',
    '| history  | events | workflow tasks | CPU ms per replay | CPU ms per workflow task | promises per replay | replays/s |',
    '| -------- | -----: | -------------: | ----------------: | -----------------------: | ------------------: | --------: |',
    ...KINDS.map((k) => {
      const f = perKind[k]!;
      return `| ${k.padEnd(8)} | ${f.events} | ${f.workflowTasks} | ${f.cpuMsPerReplay} | ${f.cpuMsPerWorkflowTask} | ${f.promisesPerReplay} | ${f.replaysPerSecond} |`;
    }),
    '',
    ...(figures.orderToBaseline === null ? [] : [`order ÷ baseline: ${figures.orderToBaseline}× the CPU per replay`]),
    ...(figures.tracedToOrder === null ? [] : [`tracing interceptors: ${figures.tracedToOrder}× the order's CPU per replay`]),
  ].join('\n'),
);
console.log(JSON.stringify(figures));
