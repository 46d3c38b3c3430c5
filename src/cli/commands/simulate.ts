/**
 * `orders simulate`: load for demos and benchmarks. POSTs valid random orders to the REST API at
 * a fixed rate (open loop: the schedule does not wait for answers), then summarises what the API
 * answered and how fast; `--wait` follows the accepted orders until they end.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CATALOG, type Product } from '../../domain/catalog.js';
import { TRANSIT_MS, productionMs, scaled } from '../../domain/durations.js';
import type { OrderRequest } from '../../domain/order.js';
import { isTerminal, type OrderStatus } from '../../domain/status.js';
import { CliContext, CliError, duration, printJson, usageError } from '../support.js';
import { wholeNumber } from './list.js';

/** Bounds: a simulation never sends more than this, faster than this, or for longer than this. */
export const SIMULATE_LIMITS = { orders: 100_000, rate: 1_000, concurrency: 256, sendSeconds: 3_600, waitSeconds: 3_600 } as const;
const REQUEST_TIMEOUT_MS = 10_000;

function positiveNumber(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`use a number above 0 and at most ${max}.`);
    return n;
  };
}

/** `b2c=0.3` (share of shop orders) or `b2b=0.7` (share of partner orders) → shop share. */
export function parseMix(value: string): number {
  const m = /^\s*(b2c|b2b)\s*=\s*([0-9]*\.?[0-9]+)\s*$/.exec(value);
  const share = m ? Number(m[2]) : NaN;
  if (!m || !(share >= 0 && share <= 1)) throw new InvalidArgumentError('use b2c=<share from 0 to 1>, e.g. b2c=0.3 (the rest are partner orders).');
  return m[1] === 'b2c' ? share : 1 - share;
}

function apiUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('use an http(s) URL such as http://localhost:3000.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('use an http(s) URL such as http://localhost:3000.');
  return url;
}

function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

const keyList = (value: string) => {
  const keys = value
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length === 0) throw new InvalidArgumentError('name at least one key, comma-separated.');
  return keys;
};

// ── random orders ──────────────────────────────────────────────────────────────────────────

const NAMES = ['Anna Schmidt', 'Ben Müller', 'Clara Weber', 'David Fischer', 'Emma Wagner', 'Felix Becker', 'Greta Hoffmann', 'Hugo Schulz'];
const STREETS = ['Hauptstr. 1', 'Bahnhofstr. 12', 'Gartenweg 7', 'Lindenallee 3', 'Marktplatz 9'];
const CITIES: [string, string][] = [
  ['10115', 'Berlin'],
  ['20095', 'Hamburg'],
  ['80331', 'München'],
  ['50667', 'Köln'],
];
const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)]!;

/** A quantity the product is made in, kept small so that simulated production stays short. */
function quantity(product: Product): number {
  const steps = [1, 2, 5, 10].map((f) => product.minQuantity * f).filter((q) => q <= product.maxQuantity);
  return pick(steps.length ? steps : [product.minQuantity]);
}

/** A valid random order: catalog products, known option values, pickup or courier with an address. */
export function randomOrder(n: number, channel: 'b2c' | 'b2b'): OrderRequest {
  const lines = 1 + (randomInt(4) === 0 ? 1 : 0);
  const items = Array.from({ length: lines }, () => {
    const product = pick(CATALOG);
    const options: Record<string, string> = {};
    for (const [name, option] of Object.entries(product.options)) {
      if (randomInt(2) === 0) options[name] = pick(Object.keys(option.values));
    }
    return { sku: product.sku, quantity: quantity(product), ...(Object.keys(options).length ? { options } : {}) };
  });
  const name = pick(NAMES);
  const [postalCode, city] = pick(CITIES);
  const email = `sim.${name.split(' ')[0]!.toLowerCase()}.${randomUUID().slice(0, 8)}@example.com`;
  return {
    customer: { name, email },
    items,
    shipping: randomInt(3) === 0 ? { method: 'pickup' } : { method: 'courier', address: { line1: pick(STREETS), postalCode, city, country: 'DE' } },
    ...(channel === 'b2b' ? { externalRef: `SIM-${Date.now().toString(36)}-${n}` } : {}),
    notes: 'simulated by `orders simulate`',
  };
}

// ── the run ────────────────────────────────────────────────────────────────────────────────

interface SimulateOptions {
  orders: number;
  rate: number;
  mix: number;
  api: URL;
  shopKey: string;
  partnerKeys: string[];
  opsKey: string;
  concurrency: number;
  wait?: boolean;
  waitTimeout: number;
  allowRemote?: boolean;
  timeScaleNote?: boolean;
  json?: boolean;
}

interface Sent {
  id?: string;
  channel: 'b2c' | 'b2b';
  status: number | string;
  latencyMs: number;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const maybeRound = (n: number | null | undefined) => (n === null || n === undefined ? null : round1(n));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** One status line on a terminal (rewritten in place), else a line every few seconds. */
function progressReporter(render: () => string) {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    tick(force = false) {
      const now = Date.now();
      if (!force && now - last < (tty ? 200 : 5_000)) return;
      last = now;
      if (tty) process.stderr.write(`\r\x1b[K${render()}`);
      else process.stderr.write(`${render()}\n`);
    },
    done() {
      if (tty) process.stderr.write(`\r\x1b[K${render()}\n`);
      else process.stderr.write(`${render()}\n`);
    },
  };
}

async function post(api: URL, key: string, body: OrderRequest): Promise<{ status: number | string; id?: string }> {
  try {
    const res = await fetch(new URL('/v1/orders', api), {
      method: 'POST',
      // No Idempotency-Key: nothing is retried, and the plain intake path is what gets measured.
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status !== 202) return { status: res.status };
    const id = (JSON.parse(text) as { id?: unknown }).id;
    return { status: 202, ...(typeof id === 'string' ? { id } : {}) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { status: e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.name ?? 'error') };
  }
}

async function checkApi(api: URL): Promise<void> {
  try {
    const res = await fetch(new URL('/healthz', api), { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET /healthz answered ${res.status}`);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new CliError(
      `cannot reach the API at ${api.origin} (${e.cause?.code ?? e.message}) — is \`npm start\` (or \`npm run api\`) running? Else pass --api <url>.`,
    );
  }
}

/** Polls the accepted orders (operator key) until every one has ended or the time is up. */
async function waitForOrders(options: SimulateOptions, ids: string[], progress: (line: string) => void) {
  const started = Date.now();
  const deadline = started + options.waitTimeout * 1000;
  const final = new Map<string, OrderStatus>();
  const last = new Map<string, string>();
  const errors: Record<string, number> = {};
  while (final.size < ids.length && Date.now() < deadline) {
    const round = Date.now();
    const pending = ids.filter((id) => !final.has(id));
    let next = 0;
    const worker = async () => {
      while (next < pending.length && Date.now() < deadline) {
        const id = pending[next++]!;
        try {
          const res = await fetch(new URL(`/v1/orders/${id}`, options.api), {
            headers: { authorization: `Bearer ${options.opsKey}` },
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          const body = (await res.json().catch(() => undefined)) as { status?: OrderStatus } | undefined;
          if (res.status === 401 || res.status === 403) {
            throw new CliError(`the API refused the operator key for --wait (HTTP ${res.status}) — pass a valid one with --ops-key`);
          }
          if (res.ok && body?.status) {
            last.set(id, body.status);
            if (isTerminal(body.status)) final.set(id, body.status);
          } else {
            errors[String(res.status)] = (errors[String(res.status)] ?? 0) + 1;
          }
        } catch (err) {
          if (err instanceof CliError) throw err;
          errors.network = (errors.network ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, options.concurrency) }, worker));
    progress(`waiting: ${final.size}/${ids.length} orders ended after ${duration(Date.now() - started)}`);
    if (final.size < ids.length) await sleep(Math.min(1_000 - (Date.now() - round), deadline - Date.now()));
  }
  const byStatus: Record<string, number> = {};
  for (const status of final.values()) byStatus[status] = (byStatus[status] ?? 0) + 1;
  const stillOpen: Record<string, number> = {};
  for (const id of ids) {
    if (final.has(id)) continue;
    const s = last.get(id) ?? 'unknown';
    stillOpen[s] = (stillOpen[s] ?? 0) + 1;
  }
  return {
    ended: final.size,
    pending: ids.length - final.size,
    byStatus,
    ...(ids.length > final.size ? { pendingByStatus: stillOpen } : {}),
    ...(Object.keys(errors).length ? { pollErrors: errors } : {}),
    elapsedS: round1((Date.now() - started) / 1000),
    timedOut: final.size < ids.length,
  };
}

export function registerSimulate(program: Command, ctx: CliContext): Command {
  return program
    .command('simulate')
    .description('make load for demos and benchmarks: POST random valid orders to the REST API at a fixed rate (open loop) and summarise the answers')
    .option('--orders <n>', `how many orders (1–${SIMULATE_LIMITS.orders})`, wholeNumber(1, SIMULATE_LIMITS.orders), 10)
    .option('--rate <r>', `orders per second (up to ${SIMULATE_LIMITS.rate}; fractions allowed)`, positiveNumber(SIMULATE_LIMITS.rate), 5)
    .addOption(
      new Option('--mix <b2c=share>', 'share of shop (b2c) orders; the rest are spread over the partner keys').argParser(parseMix).default(0.3, 'b2c=0.3'),
    )
    .addOption(
      new Option('--api <url>', 'API base URL (loopback only unless --allow-remote)')
        .argParser(apiUrl)
        .default(new URL('http://localhost:3000'), 'http://localhost:3000'),
    )
    .option('--shop-key <key>', 'API key of the shop', 'shop-dev-key')
    .addOption(
      new Option('--partner-keys <keys>', 'comma-separated partner API keys')
        .argParser(keyList)
        .default(['partner-acme-dev-key', 'partner-globex-dev-key'], 'partner-acme-dev-key,partner-globex-dev-key'),
    )
    .option('--ops-key <key>', 'operator API key, used by --wait to read the orders', 'ops-dev-key')
    .option('--concurrency <n>', `most requests in flight at once (1–${SIMULATE_LIMITS.concurrency})`, wholeNumber(1, SIMULATE_LIMITS.concurrency), 32)
    .option('--wait', 'after sending, poll until every accepted order has ended; report how many per status')
    .option(
      '--wait-timeout <s>',
      `give up waiting after this many seconds (1–${SIMULATE_LIMITS.waitSeconds})`,
      wholeNumber(1, SIMULATE_LIMITS.waitSeconds),
      300,
    )
    .option('--allow-remote', 'allow an --api that is not on this machine')
    .option('--time-scale-note', "print how long the generated orders take at this shell's PIPELINE_TIME_SCALE (the running pipeline uses its own)")
    .option('--json', 'print the summary as JSON (progress stays on stderr)')
    .option('--verbose', 'print stack traces of unexpected errors')
    .action(async (options: SimulateOptions) => {
      if (!isLoopback(options.api) && !options.allowRemote) {
        throw usageError(`--api ${options.api.origin} is not on this machine; simulate only loads a local API unless you add --allow-remote`);
      }
      const sendSeconds = options.orders / options.rate;
      if (sendSeconds > SIMULATE_LIMITS.sendSeconds) {
        throw usageError(
          `${options.orders} orders at ${options.rate}/s take ${Math.round(sendSeconds)} s to send; keep it under ${SIMULATE_LIMITS.sendSeconds} s (fewer --orders or a higher --rate)`,
        );
      }
      const shopCount = Math.round(options.orders * options.mix);
      if (shopCount < options.orders && options.partnerKeys.length === 0) throw usageError('partner orders need --partner-keys');
      await checkApi(options.api);

      // Exactly round(N × mix) shop orders, in random positions; partners take turns.
      const channels: ('b2c' | 'b2b')[] = Array.from({ length: options.orders }, (_, i) => (i < shopCount ? 'b2c' : 'b2b'));
      for (let i = channels.length - 1; i > 0; i--) {
        const j = randomInt(i + 1);
        [channels[i], channels[j]] = [channels[j]!, channels[i]!];
      }
      let partnerTurn = 0;
      const plan = channels.map((channel, n) => ({
        channel,
        key: channel === 'b2c' ? options.shopKey : options.partnerKeys[partnerTurn++ % options.partnerKeys.length]!,
        body: randomOrder(n, channel),
      }));

      if (options.timeScaleNote) {
        const scale = ctx.config.timeScale;
        const longest = Math.max(...plan.map((p) => productionMs(p.body.items) + TRANSIT_MS[p.body.shipping.method]));
        console.error(
          `note: at PIPELINE_TIME_SCALE=${scale} the slowest of these orders needs about ${duration(scaled(longest, scale))} of production and transit, ` +
            `more when production lines are busy (MES_CAPACITY). The running pipeline uses its own PIPELINE_TIME_SCALE; ` +
            'start it with PIPELINE_TIME_SCALE=0.001 for demos that end within a minute.',
        );
      }

      const results: Sent[] = [];
      let inFlight = 0;
      let maxLagMs = 0;
      let lastSendOffsetMs = 0;
      const slots: (() => void)[] = [];
      const accepted = () => results.filter((r) => r.status === 202).length;
      const progress = progressReporter(
        () => `sent ${results.length + inFlight}/${options.orders} · 202: ${accepted()} · other: ${results.length - accepted()} · in flight: ${inFlight}`,
      );
      const started = performance.now();
      const requests: Promise<void>[] = [];
      for (const [n, item] of plan.entries()) {
        const due = started + (n * 1000) / options.rate;
        await sleep(due - performance.now());
        while (inFlight >= options.concurrency) await new Promise<void>((r) => slots.push(r));
        const sentAt = performance.now();
        maxLagMs = Math.max(maxLagMs, sentAt - due);
        lastSendOffsetMs = sentAt - started;
        inFlight += 1;
        requests.push(
          post(options.api, item.key, item.body).then((answer) => {
            inFlight -= 1;
            slots.shift()?.();
            results.push({ channel: item.channel, status: answer.status, latencyMs: performance.now() - sentAt, ...(answer.id ? { id: answer.id } : {}) });
            progress.tick();
          }),
        );
        progress.tick();
      }
      await Promise.all(requests);
      const elapsedMs = performance.now() - started;
      progress.done();

      const ok = results.filter((r) => r.status === 202);
      const other: Record<string, number> = {};
      for (const r of results) if (r.status !== 202) other[String(r.status)] = (other[String(r.status)] ?? 0) + 1;
      const latencies = ok.map((r) => r.latencyMs).sort((a, b) => a - b);
      const summary = {
        api: options.api.origin,
        requested: options.orders,
        sent: results.length,
        accepted: ok.length,
        acceptedByChannel: { b2c: ok.filter((r) => r.channel === 'b2c').length, b2b: ok.filter((r) => r.channel === 'b2b').length },
        notAccepted: other,
        targetRate: options.rate,
        achievedRate: round1(results.length / ((lastSendOffsetMs + 1000 / options.rate) / 1000)),
        maxScheduleLagMs: Math.round(maxLagMs),
        durationS: round1(elapsedMs / 1000),
        intakeLatencyMs: {
          p50: maybeRound(percentile(latencies, 50)),
          p99: maybeRound(percentile(latencies, 99)),
          max: maybeRound(latencies.at(-1)),
        },
        orderIds: ok.map((r) => r.id).filter((id): id is string => id !== undefined),
        ...(options.wait
          ? {
              wait: await waitForOrders(
                options,
                ok.flatMap((r) => (r.id ? [r.id] : [])),
                (line) => console.error(line),
              ),
            }
          : {}),
      };
      if (options.json) {
        printJson(summary);
      } else {
        const lat = summary.intakeLatencyMs;
        console.log(
          `sent ${summary.sent} orders to ${summary.api} in ${summary.durationS} s: ${summary.accepted} accepted (202) — ${summary.acceptedByChannel.b2c} shop, ${summary.acceptedByChannel.b2b} partner`,
        );
        if (Object.keys(other).length)
          console.log(
            `not accepted: ${Object.entries(other)
              .map(([s, c]) => `${c} × ${s}`)
              .join(', ')}`,
          );
        console.log(`rate: ${summary.achievedRate}/s achieved of ${summary.targetRate}/s (max schedule lag ${summary.maxScheduleLagMs} ms)`);
        console.log(
          ok.length ? `intake latency of accepted orders: p50 ${lat.p50} ms, p99 ${lat.p99} ms, max ${lat.max} ms` : 'intake latency: no order was accepted',
        );
        if (summary.wait) {
          const w = summary.wait;
          console.log(
            `ended: ${w.ended}/${ok.length} after ${w.elapsedS} s — ${
              Object.entries(w.byStatus)
                .map(([s, c]) => `${c} ${s}`)
                .join(', ') || 'none'
            }`,
          );
        }
      }
      if (summary.sent > 0 && ok.length === 0) {
        throw new CliError(
          `the API accepted none of the ${summary.sent} orders (${Object.entries(other)
            .map(([s, c]) => `${c} × ${s}`)
            .join(', ')}) — check the keys (--shop-key, --partner-keys) and the API log`,
        );
      }
      if (summary.wait?.timedOut) {
        throw new CliError(
          `${summary.wait.pending} of ${ok.length} orders had not ended after ${options.waitTimeout} s — raise --wait-timeout, or run the pipeline with a smaller PIPELINE_TIME_SCALE`,
        );
      }
    });
}
