/**
 * `orders report` as a child process against the real pipeline: after orders ran, its numbers
 * are the ones the timeline in the shop database gives, and `--png` writes a real PNG.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderEvents } from '../src/order/schema.js';
import { parseSince } from '../src/cli/stage-report.js';
import { STAGES } from '../src/order/contract.js';
import { runCli } from './support/cli.js';
import type { HttpCall } from './support/http.js';
import { sampleOrder, startPipelineWithApi, waitForOrder, type TestPipeline } from './support/pipeline.js';

let pipeline: TestPipeline;
let call: HttpCall;
let stop: (() => Promise<void>) | undefined;
let dir: string;
const ids: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'orders-report-'));
  ({ pipeline, call, stop } = await startPipelineWithApi());
  const bodies = [
    ['shop-dev-key', sampleOrder()],
    ['shop-dev-key', sampleOrder({ items: [{ sku: 'BC-STD', quantity: 100_000 }], shipping: { method: 'pickup' } })],
    ['partner-acme-dev-key', sampleOrder({ shipping: { method: 'pickup' } })],
  ] as const;
  for (const [key, body] of bodies) {
    const res = await call('POST', '/v1/orders', { key, body });
    expect(res.status).toBe(202);
    ids.push(res.json.id);
  }
  for (const id of ids) await waitForOrder(pipeline.client, id, (s) => s.status === 'delivered');
  await new Promise((r) => setTimeout(r, 500)); // the last projection write
});
afterAll(async () => {
  await stop?.();
  await rm(dir, { recursive: true, force: true });
});

const cli = runCli;

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks. */
function percentile(sorted: number[], p: number): number {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

describe('orders report', () => {
  it('matches the timeline in the shop database', async () => {
    const run = await cli('report', '--since', '1h', '--slowest', '100', '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(Date.parse(report.until) - Date.parse(report.since)).toBe(3_600_000);

    const since = Date.parse(report.since);
    const until = Date.parse(report.until);
    const rows = (await pipeline.dbs.shop.db.select().from(orderEvents)).filter(
      (e) =>
        (STAGES as readonly string[]).includes(e.stage) &&
        e.status === 'completed' &&
        e.endedAt &&
        e.startedAt.getTime() >= since &&
        e.startedAt.getTime() <= until,
    );
    const ms = (e: (typeof rows)[number]) => e.endedAt!.getTime() - e.startedAt.getTime();
    expect(report.stages.map((s: { stage: string }) => s.stage)).toEqual([...STAGES]);
    for (const s of report.stages) {
      const durations = rows
        .filter((e) => e.stage === s.stage)
        .map(ms)
        .sort((a, b) => a - b);
      expect(s.count, s.stage).toBe(durations.length);
      expect(s.count, s.stage).toBeGreaterThanOrEqual(ids.length);
      expect(s.p50Ms, s.stage).toBeCloseTo(percentile(durations, 0.5), 3);
      expect(s.p95Ms, s.stage).toBeCloseTo(percentile(durations, 0.95), 3);
      expect(s.maxMs, s.stage).toBeCloseTo(durations.at(-1)!, 3);
    }

    // Slowest orders: span of their stages, longest first.
    const spans = new Map<string, { start: number; end: number; slowest: number; stage: string }>();
    for (const e of rows) {
      const s = spans.get(e.orderId) ?? { start: Infinity, end: -Infinity, slowest: -1, stage: '' };
      const slower = ms(e) > s.slowest;
      spans.set(e.orderId, {
        start: Math.min(s.start, e.startedAt.getTime()),
        end: Math.max(s.end, e.endedAt!.getTime()),
        slowest: slower ? ms(e) : s.slowest,
        stage: slower ? e.stage : s.stage,
      });
    }
    const expected = [...spans.entries()].map(([id, s]) => ({ id, total: s.end - s.start })).sort((a, b) => b.total - a.total);
    expect(report.slowest).toHaveLength(Math.min(100, expected.length));
    for (const [i, o] of report.slowest.entries()) {
      expect(o.totalMs).toBeCloseTo(expected[i]!.total, 3);
      const span = spans.get(o.orderId)!;
      expect(o.slowestStageMs).toBeCloseTo(span.slowest, 3);
      expect(o.slowestStage).toBe(span.stage);
    }
    // Other test files' orders share the window: every order is listed, the big one among them.
    const big = report.slowest.find((o: { orderId: string }) => o.orderId === ids[1]);
    if (expected.findIndex((o) => o.id === ids[1]) < 100) expect(big).toMatchObject({ channel: 'b2c', status: 'delivered' });
  });

  it('prints a table of stages and the slowest orders', async () => {
    const run = await cli('report', '--since', '2h', '--slowest', '100');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Stage timing of the last 2h/);
    for (const stage of STAGES) expect(run.stdout).toMatch(new RegExp(`^${stage}\\s+\\d+\\s`, 'm'));
    // the slowest orders listed are the report's (other test files' orders share the window)
    const json = JSON.parse((await cli('report', '--since', '2h', '--slowest', '100', '--json')).stdout);
    expect(run.stdout).toContain(json.slowest[0].orderId);
  });

  it('writes the chart as a valid PNG with --png', async () => {
    const file = path.join(dir, 'stages.png');
    const run = await cli('report', '--since', '1h', '--png', file);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`chart written to ${file}`);
    const png = await readFile(file);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBeGreaterThan(500); // width
    expect(png.readUInt32BE(20)).toBeGreaterThan(200); // height
    expect(png.subarray(-8, -4).toString('latin1')).toBe('IEND');
    expect(png.length).toBeGreaterThan(5_000);
  });

  it('refuses bad --since values and unwritable --png paths with one line and exit code 2/1', async () => {
    for (const bad of ['yesterday', '24', '-1h', '0h', '400d', '1y']) {
      const run = await cli('report', '--since', bad);
      expect(run.code, bad).toBe(2);
      expect(run.stderr, bad).toMatch(/--since/);
      expect(run.stderr, bad).toMatch(/30m, 24h or 7d|at most 366d/);
    }
    const run = await cli('report', '--png', path.join(dir, 'no', 'such', 'dir', 'x.png'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot write .*x\.png/);
  });

  it('--help explains the options', async () => {
    const run = await cli('report', '--help');
    expect(run.code).toBe(0);
    for (const flag of ['--since <duration>', '--slowest <n>', '--json', '--png <file>']) expect(run.stdout).toContain(flag);
    expect((await cli('--help')).stdout).toMatch(/^\s+report\b/m);
  });
});

describe('parseSince', () => {
  it('reads s, m, h, d, w', () => {
    expect(parseSince('30s')).toBe(30_000);
    expect(parseSince('90m')).toBe(5_400_000);
    expect(parseSince('24h')).toBe(86_400_000);
    expect(parseSince('7D')).toBe(604_800_000);
    expect(parseSince('1.5h')).toBe(5_400_000);
    expect(parseSince('2w')).toBe(1_209_600_000);
  });
});
