/**
 * Benchmark of pricing: the price engine cold, against the pricing service's two cache levels
 * (in-process LRU and the shared `price_cache` table), for a light and a heavy order; then the
 * hit rate of the caches under a repeat mix with Zipf-like popularity.
 *
 *   npm run bench:pricing -- [--samples 30] [--requests 5000] [--distinct 200] [--quick]
 *
 * See --help and bench/README.md. The last line printed is a JSON object of the figures.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dropDatabase, openDatabases } from '../db/index.js';
import { loadConfig, withDatabase } from '../src/platform/config.js';
import { CATALOG } from '../src/domain/catalog.js';
import type { OrderItem } from '../src/domain/order.js';
import { PRICE_LIST_VERSION, priceOrder } from '../src/domain/pricing/index.js';
import { createPricingService } from '../src/pricing/system.js';
import { fail, machineDescription, parseOptions, percentile, round2 } from './support.js';
import { seededRandom } from '../test/support/processes.js';
import type { CacheLevel } from '../src/pricing/contract.js';

const USAGE = `Benchmark of pricing: cold engine against the in-process and shared (PostgreSQL) price caches.

usage: npm run bench:pricing -- [options]

  --samples N      timed samples per cold case (default 30; --quick: 8); cached cases take 20×
  --requests R     requests of the repeat mix (default 5000)
  --distinct D     distinct specifications in the repeat mix (default 200)
  --zipf S         popularity exponent of the mix: rank k is asked for ∝ 1/k^S (default 1)
  --workers W      pricing workers sharing the table in the mix, requests spread at random (default 2)
  --memory M       in-process entries per worker in the mix (default 100)
  --quick          fewer samples, for a smoke run
  --help           this text

environment:
  BENCH_DATABASE_URL   PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
                       the database orders_bench_pricing on it is recreated and migrated.

Cases, each for a light order (1 line) and a heavy one (50 lines, every product):
  engine        priceOrder() itself, after a few warm-up calls (each call computes everything)
  miss path     the pricing service with a price in neither level: hash, shared lookup, engine,
                idempotent insert (each sample a new specification)
  memory        the service answering from its in-process LRU
  shared        the service answering from the shared table (its LRU emptied before each sample)
Then the repeat mix: D specifications of 1–8 lines, R requests drawn with Zipf-like popularity
from a fixed seed, spread over W services (W workers) with M-entry LRUs on one table.`;

const values = parseOptions(
  {
    samples: { type: 'string' },
    requests: { type: 'string', default: '5000' },
    distinct: { type: 'string', default: '200' },
    zipf: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
    memory: { type: 'string', default: '100' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  USAGE,
);
const positive = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number, got "${v}"\n\n${USAGE}`);
  return n;
};
const samples = Math.round(positive('samples', values.samples ?? (values.quick ? '8' : '30')));
const requests = Math.round(positive('requests', values.requests));
const distinct = Math.round(positive('distinct', values.distinct));
const zipf = positive('zipf', values.zipf);
const workers = Math.round(positive('workers', values.workers));
const memoryEntries = Math.round(positive('memory', values.memory));

const say = (m: string) => console.log(m);
const ascending = (xs: number[]) => [...xs].sort((a, b) => a - b);
const stats = (xs: number[]) => {
  const s = ascending(xs);
  return { p50: round2(percentile(s, 0.5)), p95: round2(percentile(s, 0.95)), n: s.length };
};

/** A random valid item: any product, any option values, a quantity within its range. */
function randomItem(rand: () => number): OrderItem {
  const p = CATALOG[Math.floor(rand() * CATALOG.length)]!;
  const options = Object.fromEntries(
    Object.entries(p.options).map(([name, o]) => {
      const vs = Object.keys(o.values);
      return [name, vs[Math.floor(rand() * vs.length)]!];
    }),
  );
  const max = Math.min(p.maxQuantity, 50_000);
  const quantity = Math.max(p.minQuantity, Math.round(p.minQuantity + (max - p.minQuantity) * rand() ** 3));
  return { sku: p.sku, quantity, options };
}

const LIGHT: OrderItem[] = [{ sku: 'POS-A2', quantity: 20 }];
/** 50 lines: every product, several option sets and quantities; the business cards dominate (densest imposition). */
function heavyOrder(variant: number): OrderItem[] {
  const rand = seededRandom(42);
  const items = Array.from({ length: 50 }, (_, i) =>
    i % 2 === 0
      ? {
          sku: 'BC-STD',
          quantity: 250 + Math.floor(rand() * 20_000),
          options: { paper: ['matte-350', 'gloss-350', 'recycled-300'][i % 3]!, finish: ['none', 'soft-touch', 'foil'][i % 3]! },
        }
      : randomItem(rand),
  );
  items[0] = { ...items[0]!, quantity: items[0]!.quantity + variant };
  return items;
}
const lightOrder = (variant: number): OrderItem[] => [{ ...LIGHT[0]!, quantity: LIGHT[0]!.quantity + variant }];

async function timeIt(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main() {
  const server = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = withDatabase(server, 'orders_bench_pricing');
  say(`machine: ${machineDescription()}; Node ${process.version}; load average ${loadavg()[0]!.toFixed(2)}; price list ${PRICE_LIST_VERSION}`);
  say(`recreating ${url.replace(/:[^:@/]*@/, ':***@')} …`);
  await dropDatabase(url);
  const config = loadConfig({ NODE_ENV: 'test', PRICING_DATABASE_URL: url });
  const dbs = await openDatabases(config, ['pricing'], { migrate: true, poolSize: 4 });
  const db = dbs.pricing.db;
  const figures: Record<string, unknown> = { machine: machineDescription(), node: process.version, loadAverage: round2(loadavg()[0]!), samples };
  try {
    // The very first heavy price in a fresh process, JIT included.
    const firstMs = await timeIt(() => priceOrder(heavyOrder(-1)));
    say(`heavy order, first price in a fresh process: ${round2(firstMs)} ms`);
    figures.heavyFirstInProcessMs = round2(firstMs);

    let variant = 0;
    for (const [name, make] of [
      ['light', lightOrder],
      ['heavy', heavyOrder],
    ] as const) {
      for (let i = 0; i < 3; i++) priceOrder(make(1000 + i)); // warm-up
      const engine: number[] = [];
      for (let i = 0; i < samples; i++) engine.push(await timeIt(() => priceOrder(make(++variant))));
      say(`${name}: engine ${JSON.stringify(stats(engine))} ms`);

      const service = createPricingService({ db, memoryEntries: 10_000, onCacheError: (err) => fail(`cache failed: ${String(err)}`) });
      const miss: number[] = [];
      for (let i = 0; i < samples; i++) {
        const items = make(++variant);
        miss.push(await timeIt(async () => expectLevel(await service.price(items), 'miss')));
      }
      say(`${name}: miss path ${JSON.stringify(stats(miss))} ms`);

      const items = make(++variant);
      await service.price(items);
      const memory: number[] = [];
      for (let i = 0; i < samples * 20; i++) memory.push(await timeIt(async () => expectLevel(await service.price(items), 'memory')));
      say(`${name}: memory ${JSON.stringify(stats(memory))} ms`);

      const shared: number[] = [];
      for (let i = 0; i < samples * 20; i++) {
        service.clearMemory();
        shared.push(await timeIt(async () => expectLevel(await service.price(items), 'shared')));
      }
      say(`${name}: shared ${JSON.stringify(stats(shared))} ms`);

      const e = stats(engine).p50;
      const m = stats(miss).p50;
      figures[name] = {
        lines: items.length,
        engineMs: stats(engine),
        missPathMs: stats(miss),
        memoryMs: stats(memory),
        sharedMs: stats(shared),
        engineOverMemory: round2(e / stats(memory).p50),
        engineOverShared: round2(e / stats(shared).p50),
        missPathOverShared: round2(m / stats(shared).p50),
      };
      say(`${name}: cold engine p50 / cached p50 = ${round2(e / stats(memory).p50)}× (memory), ${round2(e / stats(shared).p50)}× (shared)`);
    }

    // Repeat mix.
    const rand = seededRandom(7);
    const specs = Array.from({ length: distinct }, () => Array.from({ length: 1 + Math.floor(rand() * 8) }, () => randomItem(rand)));
    const weights = specs.map((_, k) => 1 / (k + 1) ** zipf);
    const total = weights.reduce((s, w) => s + w, 0);
    const cumulative: number[] = [];
    weights.reduce((acc, w) => (cumulative.push((acc + w) / total), acc + w), 0);
    const pick = () => {
      const r = rand();
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! < r) lo = mid + 1;
        else hi = mid;
      }
      return specs[lo]!;
    };
    // A fresh table for the mix, so earlier cases do not count as hits.
    await dbs.pricing.db.execute('truncate price_cache');
    const services = Array.from({ length: workers }, () => createPricingService({ db, memoryEntries }));
    const counts: Record<CacheLevel, number> = { memory: 0, shared: 0, miss: 0 };
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < requests; i++) {
      const service = services[Math.floor(rand() * workers)]!;
      const items = pick();
      const t = performance.now();
      const { cache } = await service.price(items);
      latencies.push(performance.now() - t);
      counts[cache]++;
      if ((i + 1) % 1000 === 0) say(`mix: ${i + 1}/${requests} requests, ${counts.miss} computed so far`);
    }
    const elapsed = performance.now() - started;
    const hitRate = (counts.memory + counts.shared) / requests;
    figures.mix = {
      requests,
      distinct,
      zipf,
      workers,
      memoryEntries,
      ...counts,
      hitRate: Math.round(hitRate * 10_000) / 10_000,
      memoryHitRate: Math.round((counts.memory / requests) * 10_000) / 10_000,
      latencyMs: stats(latencies),
      requestsPerSecond: Math.round(requests / (elapsed / 1000)),
    };
    say(
      `mix: hit rate ${round2(hitRate * 100)} % (memory ${counts.memory}, shared ${counts.shared}, computed ${counts.miss}); ${Math.round(requests / (elapsed / 1000))} requests/s`,
    );
  } finally {
    await dbs.close();
  }
  console.log(JSON.stringify(figures));
}

function expectLevel(result: { cache: CacheLevel }, level: CacheLevel) {
  if (result.cache !== level) fail(`expected a ${level} answer, got ${result.cache}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
