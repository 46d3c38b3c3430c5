/**
 * Benchmark of priority under a sustained production backlog: shop (B2C) and partner (B2B)
 * orders arrive faster than the production lines can make them; how long does each class wait
 * in the `mes` task queue for a line, and do two partners of equal weight share fairly?
 *
 *   npm run bench:priority -- [--seconds 30] [--rate 13] [--lines 2] [--mix b2c=0.3] [--quick]
 *
 * Runs everything itself: a Temporal dev server (priority + fairness on), dedicated databases
 * on the local PostgreSQL, all workers. The last line printed is a JSON object of the figures.
 */
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { dropDatabase, openDatabases } from '../db/index.js';
import { SYSTEMS, loadConfig, temporalConnectionOptions, withDatabase } from '../src/platform/config.js';
import { dataConverter } from '../src/platform/temporal/codec.js';
import { productionMs } from '../src/domain/durations.js';
import { OrderRequestSchema } from '../src/domain/order.js';
import { newOrderInput, startOrderWorkflow, type OrderSource } from '../src/order/intake.js';
import { ensureTemporalCli, startDevServer } from '../src/platform/temporal/dev-server.js';
import { QUEUE_NAMES, orderWorkflowId, type OrderState } from '../src/order/contract.js';
import { writeWorkflowBundle } from '../src/workflows/bundle.js';
import { connectWorkers, createWorkers } from '../src/workers/run.js';
import { fail, parseOptions, percentile } from './support.js';

const USAGE = `Priority under a sustained production backlog.

usage: npm run bench:priority -- [options]

  --seconds S    how long orders keep arriving (default 30; --quick: 12)
  --rate R       orders per second arriving (default 13: above what the lines make, so a backlog grows)
  --lines N      production lines, MES_CAPACITY (default 2)
  --mix b2c=F    share of shop orders (default 0.3); the rest split evenly between two partners
  --scale X      PIPELINE_TIME_SCALE (default 0.0002: 100 business cards take ~0.19 s on a line)
  --quick        a short run
  --help         this text

environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); databases
orders_bench_prio_* on it are recreated. Target: median queue wait of B2C ≤ 20 % of B2B's.`;

const TARGET_RATIO = 0.2;

const values = parseOptions(
  {
    seconds: { type: 'string' },
    rate: { type: 'string', default: '13' },
    lines: { type: 'string', default: '2' },
    mix: { type: 'string', default: 'b2c=0.3' },
    scale: { type: 'string', default: '0.0002' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  USAGE,
);
const num = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number ≥ ${min} (got "${v}"); see --help`);
  return n;
};
const seconds = num('seconds', values.seconds ?? (values.quick ? '12' : '30'), 1);
const rate = num('rate', values.rate, 0.1);
const lines = num('lines', values.lines, 1);
const scale = num('scale', values.scale, 0.000001);
const mixMatch = /^b2c=(0(\.\d+)?|1(\.0+)?)$/.exec(values.mix ?? '');
if (!mixMatch) fail(`--mix must look like b2c=0.3 (got "${values.mix}")`);
const b2cShare = Number(mixMatch[1]);

const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const urls = Object.fromEntries(SYSTEMS.map((s) => [s, withDatabase(serverUrl, `orders_bench_prio_${s}`)])) as Record<(typeof SYSTEMS)[number], string>;
const say = (m: string) => console.log(m);

const ascending = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => percentile(ascending(xs), 0.5);

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  say(`priority benchmark: ${seconds} s at ${rate} orders/s, ${lines} line(s), ${Math.round(b2cShare * 100)} % B2C, scale ${scale}`);
  const cli = ensureTemporalCli(undefined, say);
  const port = 7420 + Math.floor(Math.random() * 50);
  const server = await startDevServer({ cliPath: cli, port, headless: true });
  await Promise.all(Object.values(urls).map(dropDatabase));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    TEMPORAL_ADDRESS: server.address,
    SHOP_DATABASE_URL: urls.shop,
    CRM_DATABASE_URL: urls.crm,
    MES_DATABASE_URL: urls.mes,
    CARRIER_DATABASE_URL: urls.carrier,
    PRICING_DATABASE_URL: urls.pricing,
    PIPELINE_TIME_SCALE: String(scale),
    MES_CAPACITY: String(lines),
  });
  const dbs = await openDatabases(config, SYSTEMS, { migrate: true });
  const bundle = await writeWorkflowBundle(path.join('.data', 'bench', 'workflow-bundle.js'));
  const native = await connectWorkers(temporalConnectionOptions(config));
  const workers = await createWorkers(
    {
      config,
      connection: native,
      db: { shop: dbs.shop.db, crm: dbs.crm.db, mes: dbs.mes.db, carrier: dbs.carrier.db, pricing: dbs.pricing.db },
      workflowBundlePath: bundle,
    },
    QUEUE_NAMES,
  );
  const running = workers.run();
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, dataConverter: dataConverter(config) });

  const sources: Record<string, OrderSource> = {
    b2c: { clientId: 'shop', kind: 'shop', tier: 'shop' },
    acme: { clientId: 'partner-acme', kind: 'partner', partnerId: 'acme', tier: 'standard' },
    globex: { clientId: 'partner-globex', kind: 'partner', partnerId: 'globex', tier: 'standard' },
  };
  const items = [{ sku: 'BC-STD', quantity: 100 }];
  const lineMs = productionMs(items) * scale;
  say(`one order takes ${lineMs.toFixed(0)} ms on a line: the lines make ${((lines * 1000) / lineMs).toFixed(1)} orders/s, ${rate} arrive`);

  const placed: { id: string; kind: string }[] = [];
  const startedAt = Date.now();
  const total = Math.round(seconds * rate);
  let next = startedAt;
  for (let i = 0; i < total; i++) {
    const r = (i * 0.6180339887) % 1; // deterministic, evenly spread mix
    const kind = r < b2cShare ? 'b2c' : i % 2 === 0 ? 'acme' : 'globex';
    const order = OrderRequestSchema.parse({
      customer: { name: `Bench ${i}`, email: `bench-${i}@example.com` },
      items,
      shipping: { method: 'pickup' },
    });
    const input = newOrderInput({ source: sources[kind]!, order, timeScale: scale });
    void startOrderWorkflow(client, input).catch((err) => console.error(`start failed: ${(err as Error).message}`));
    placed.push({ id: input.orderId, kind });
    next += 1000 / rate;
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (i % Math.max(1, Math.round(rate * 5)) === 0) say(`  ${i}/${total} orders placed (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
  }
  say(`all ${total} placed in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; waiting for the backlog to drain…`);

  const results: (OrderState & { kind: string })[] = [];
  let done = 0;
  await Promise.all(
    placed.map(async (p) => {
      const state: OrderState = await client.workflow.getHandle(orderWorkflowId(p.id)).result();
      results.push({ ...state, kind: p.kind });
      done += 1;
      if (done % 50 === 0) say(`  ${done}/${total} delivered`);
    }),
  );
  const drainedAt = Date.now();

  const wait = (kind: string) =>
    results.filter((r) => (kind === 'b2b' ? r.kind !== 'b2c' : r.kind === kind)).map((r) => r.timeline.find((t) => t.stage === 'produce')?.queueWaitMs ?? NaN);
  const byKind = Object.fromEntries(
    ['b2c', 'b2b', 'acme', 'globex'].map((k) => {
      const w = wait(k).filter(Number.isFinite);
      return [
        k,
        { orders: w.length, medianWaitMs: Math.round(median(w)), p90WaitMs: Math.round(percentile(ascending(w), 0.9)), maxWaitMs: Math.round(Math.max(...w)) },
      ];
    }),
  );
  const escalated = results.filter((r) => r.timeline.some((t) => t.stage === 'escalate')).length;
  const ratio = byKind.b2c!.medianWaitMs / byKind.b2b!.medianWaitMs;
  // Fairness: how the two partners' orders were spread over the time the line worked on partner orders.
  const partnerDone = (k: string) => results.filter((r) => r.kind === k).map((r) => Date.parse(r.production!.completedAt!));
  const acmeMedianDone = median(partnerDone('acme')) - startedAt;
  const globexMedianDone = median(partnerDone('globex')) - startedAt;

  say('');
  say('class    orders  median wait  p90 wait  max wait   (queue wait for a production line)');
  for (const [k, v] of Object.entries(byKind)) {
    say(
      `${k.padEnd(8)} ${String(v.orders).padStart(6)} ${`${v.medianWaitMs} ms`.padStart(12)} ${`${v.p90WaitMs} ms`.padStart(9)} ${`${v.maxWaitMs} ms`.padStart(9)}`,
    );
  }
  say(`B2C / B2B median wait: ${(ratio * 100).toFixed(1)} % (target ≤ ${TARGET_RATIO * 100} %): ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'}`);
  say(`partners' median completion: acme ${(acmeMedianDone / 1000).toFixed(1)} s, globex ${(globexMedianDone / 1000).toFixed(1)} s after the start`);
  say(`orders escalated by the promised-date watch: ${escalated}; drained ${((drainedAt - startedAt) / 1000).toFixed(1)} s after the start`);

  workers.shutdown();
  await running;
  await connection.close();
  await native.close();
  await dbs.close();
  await server.stop();
  const figures = {
    seconds,
    rate,
    lines,
    b2cShare,
    scale,
    lineMsPerOrder: Math.round(lineMs),
    orders: total,
    ...Object.fromEntries(Object.entries(byKind).map(([k, v]) => [`${k}MedianWaitMs`, v.medianWaitMs])),
    b2cP90WaitMs: byKind.b2c!.p90WaitMs,
    b2bP90WaitMs: byKind.b2b!.p90WaitMs,
    ratio: Number(ratio.toFixed(3)),
    targetMet: ratio <= TARGET_RATIO,
    acmeMedianDoneS: Number((acmeMedianDone / 1000).toFixed(1)),
    globexMedianDoneS: Number((globexMedianDone / 1000).toFixed(1)),
    escalated,
    cores: cpus().length,
    load1: Number(loadavg()[0]!.toFixed(2)),
  };
  console.log(JSON.stringify(figures));
}

main().catch((err) => {
  console.error(`priority benchmark failed: ${(err as Error).message}`);
  process.exit(1);
});
