/**
 * The operator CLI (`orders`, src/cli/orders.ts) as a child process against the real pipeline:
 * Temporal, the workers, PostgreSQL and the REST API. One production line, so big orders queue.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionJobs } from '../src/mes/schema.js';
import { orders } from '../src/order/schema.js';
import { traceLink } from '../src/api/order-resource.js';
import type { RunningApi } from '../src/api/server.js';
import { TRANSIT_MS, scaled } from '../src/domain/durations.js';
import { ORDER_STATUSES } from '../src/domain/status.js';
import { ORDER_WORKFLOW_TYPE, STAGES, orderWorkflowId, type OrderState } from '../src/order/contract.js';
import { runCli, runCliWith } from './support/cli.js';
import type { HttpCall } from './support/http.js';
import { TEST_TIME_SCALE, sampleOrder, startPipelineWithApi, waitForOrder, type TestPipeline } from './support/pipeline.js';

let pipeline: TestPipeline;
let api: RunningApi;
let call: HttpCall;
let stop: (() => Promise<void>) | undefined;
const SHOP = 'shop-dev-key';
const ACME = 'partner-acme-dev-key';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  ({ pipeline, api, call, stop } = await startPipelineWithApi({ env: { MES_CAPACITY: '1' } }));
});
afterAll(() => stop?.());

const cli = runCli;

async function cliJson(...args: string[]): Promise<any> {
  const run = await cli(...args, '--json');
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

const NO_STACK = /\n\s+at .+:\d+:\d+/;
const uiUrl = (id: string) => traceLink('http://localhost:8233', 'default', id).url;
const count = (text: string, part: string) => text.split(part).length - 1;

// 100,000 business cards: 15 min setup + 500 min run = 515 min, about 3 s at the test time scale.
const bigRun = () => sampleOrder({ items: [{ sku: 'BC-STD', quantity: 100_000 }], shipping: { method: 'pickup' } });

async function pollJob(orderId: string, status: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [job] = await pipeline.dbs.mes.db.select().from(productionJobs).where(eq(productionJobs.orderId, orderId));
    if (job?.status === status) return job;
    if (Date.now() > deadline) throw new Error(`job of ${orderId} never reached ${status}: ${job?.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('orders CLI', () => {
  it('--help lists every command, and each command has its own help', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const command of ['status', 'list', 'reprioritize', 'cancel', 'trace', 'simulate']) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command} `, 'm'));
    }
    expect(help.stdout).toContain('Exit codes');
    const sim = await cli('simulate', '--help');
    expect(sim.code).toBe(0);
    for (const flag of ['--orders <n>', '--rate <r>', '--mix <b2c=share>', '--api <url>', '--partner-keys <keys>', '--wait', '--json'])
      expect(sim.stdout).toContain(flag);
  });

  it('simulate sends the orders at the rate and mix asked for; list, status and trace show them', async () => {
    const sim = await cli('simulate', '--orders', '10', '--rate', '20', '--mix', 'b2c=0.5', '--api', api.url, '--wait', '--wait-timeout', '90', '--json');
    expect(sim.code, sim.stderr).toBe(0);
    const summary = JSON.parse(sim.stdout);
    expect(summary).toMatchObject({ requested: 10, sent: 10, accepted: 10, acceptedByChannel: { b2c: 5, b2b: 5 }, notAccepted: {}, targetRate: 20 });
    expect(new Set(summary.orderIds).size).toBe(10);
    // open loop at 20/s: ten sends take 9 intervals of 50 ms, not one burst
    expect(summary.durationS).toBeGreaterThanOrEqual(0.45);
    expect(summary.achievedRate).toBeGreaterThan(12);
    expect(summary.achievedRate).toBeLessThanOrEqual(21);
    expect(summary.intakeLatencyMs.p50).toBeGreaterThan(0);
    expect(summary.intakeLatencyMs.p99).toBeGreaterThanOrEqual(summary.intakeLatencyMs.p50);
    // --wait followed them to the end: random orders are valid, so all are delivered
    expect(summary.wait).toMatchObject({ ended: 10, pending: 0, byStatus: { delivered: 10 }, timedOut: false });
    const ids: string[] = summary.orderIds;

    // list: the projection, filtered by channel and partner
    const b2c = await cliJson('list', '--channel', 'b2c', '--limit', '500');
    const b2b = await cliJson('list', '--channel', 'b2b', '--limit', '500');
    const b2cIds = ids.filter((id) => b2c.some((r: any) => r.id === id));
    const b2bIds = ids.filter((id) => b2b.some((r: any) => r.id === id));
    expect(b2cIds).toHaveLength(5);
    expect(b2bIds).toHaveLength(5);
    expect(b2c.every((r: any) => r.channel === 'b2c')).toBe(true);
    expect(b2b.every((r: any) => r.channel === 'b2b')).toBe(true);
    const mine = b2c.filter((r: any) => ids.includes(r.id));
    expect(mine.every((r: any) => r.status === 'delivered' && r.totalMinor > 0 && r.currency === 'EUR')).toBe(true);
    // newest first
    const created = b2c.map((r: any) => Date.parse(r.createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    const acme = await cliJson('list', '--partner', 'acme', '--limit', '500');
    const globex = await cliJson('list', '--partner', 'globex', '--limit', '500');
    expect(acme.every((r: any) => r.partnerId === 'acme')).toBe(true);
    expect(acme.filter((r: any) => b2bIds.includes(r.id)).length + globex.filter((r: any) => b2bIds.includes(r.id)).length).toBe(5);
    const limited = await cliJson('list', '--limit', '3');
    expect(limited).toHaveLength(3);
    const delivered = await cli('list', '--status', 'delivered', '--channel', 'b2c');
    expect(delivered.code, delivered.stderr).toBe(0);
    expect(delivered.stdout).toMatch(/^ID\s+CREATED\s+CHANNEL\s+STATUS\s+PRIORITY\s+TOTAL\s+PROMISED\s+FLAGS/);
    expect(delivered.stdout).toContain(b2cIds[0]);
    expect(delivered.stdout).not.toMatch(/\b(shipped|in_production|b2b\/)/);

    // status: the workflow's state
    const id = b2bIds[0]!;
    const state: OrderState = await cliJson('status', id);
    expect(state).toMatchObject({ orderId: id, channel: 'b2b', status: 'delivered' });
    // partners start at normal; an order that used 80 % of its promised time escalates once
    expect(state.priority).toBe(state.timeline.some((t) => t.stage === 'escalate') ? 'high' : 'normal');
    expect(ORDER_STATUSES).toContain(state.status);
    expect(state.timeline.length).toBeGreaterThanOrEqual(5);
    const text = await cli('status', id.toUpperCase());
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/status\s+delivered \(final\)/);
    expect(text.stdout).toMatch(new RegExp(`channel\\s+b2b, partner ${state.partnerId}`));
    expect(text.stdout).toMatch(/total\s+[\d,]+\.\d\d EUR/);
    expect(text.stdout).toMatch(/sla\s+(promise kept|at risk since)/);
    expect(text.stdout).toContain(uiUrl(id));

    // trace: all five stages with durations, and the Web UI link once
    const trace = await cli('trace', id);
    expect(trace.code, trace.stderr).toBe(0);
    for (const stage of STAGES)
      expect(trace.stdout).toMatch(new RegExp(`^${stage}\\s+completed\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+[\\d.]+ m?s`, 'm'));
    expect(trace.stdout).toMatch(/^STAGE\s+STATUS\s+START\s+DURATION\s+QUEUE WAIT\s+ATTEMPTS\s+PRIORITY\s+DETAIL/m);
    expect(count(trace.stdout, uiUrl(id))).toBe(1);
    const traceJson = await cliJson('trace', id);
    expect(traceJson.trace.url).toBe(uiUrl(id));
    expect(traceJson.timeline.map((e: any) => e.stage)).toEqual(expect.arrayContaining([...STAGES]));
    const ship = traceJson.timeline.find((e: any) => e.stage === 'ship');
    expect(ship.durationMs).toBe(Date.parse(ship.endedAt) - Date.parse(ship.startedAt));
    // the ship stage lasts at least the carrier's transit time (scaled)
    expect(ship.durationMs).toBeGreaterThanOrEqual(scaled(TRANSIT_MS[state.shipping.method], Number(TEST_TIME_SCALE)) - 5);

    // the mix can name the partner share instead
    const partnerHeavy = await cliJson('simulate', '--orders', '4', '--rate', '50', '--mix', 'b2b=0.75', '--api', api.url);
    expect(partnerHeavy).toMatchObject({ sent: 4, accepted: 4, acceptedByChannel: { b2c: 1, b2b: 3 } });

    // too late to cancel a delivered order
    const late = await cli('cancel', id, '--reason', 'too late');
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/order .* has ended \(delivered\); it can no longer be cancelled/);
    expect(late.stdout).toBe('');
  });

  it('reprioritizes and cancels an order waiting for a production line; refuses to cancel one on the line', async () => {
    // A on the only line, B1 and B2 queued, then C queued behind them; 30,000 brochures each, about
    // 6 s on the line: long enough for the CLI calls below (C waits about 18 s, B2 about 12 s).
    const longRun = () => ({ ...bigRun(), items: [{ sku: 'BRO-A4-16', quantity: 30_000 }] });
    const a = await call('POST', '/v1/orders', { key: SHOP, body: longRun() });
    await pollJob(a.json.id, 'in_production');
    const b1 = await call('POST', '/v1/orders', { key: SHOP, body: longRun() });
    const b2 = await call('POST', '/v1/orders', { key: SHOP, body: longRun() });
    const c = await call('POST', '/v1/orders', { key: ACME, body: bigRun() });
    for (const o of [a, b1, b2, c]) expect(o.status).toBe(202);
    await waitForOrder(pipeline.client, c.json.id, (s) => s.status === 'awaiting_production');

    // A's job is on the line: too late
    const refused = await cli('cancel', a.json.id, '--reason', 'customer changed the design');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`too late to cancel order ${a.json.id}: (production has started|production is finished)`));
    expect(refused.stderr).not.toMatch(NO_STACK);

    const re = await cli('reprioritize', c.json.id, '--priority', 'low', '--reason', 'trade fair is postponed', '--by', 'ops-test', '--json');
    expect(re.code, re.stderr).toBe(0);
    const after: OrderState = JSON.parse(re.stdout);
    expect(after.priority).toBe('low');
    expect(after.status).toBe('awaiting_production');
    const entry = after.timeline.findLast((t) => t.stage === 'reprioritize');
    expect(entry?.detail).toBe('normal → low: trade fair is postponed (by ops-test)');
    const queried = await waitForOrder(pipeline.client, c.json.id, () => true);
    expect(queried.priority).toBe('low');

    const cancelled = await cli('cancel', c.json.id, '--reason', 'customer changed the design', '--by', 'ops-test');
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`order ${c.json.id} is cancelled`);
    expect(cancelled.stdout).toContain('cancelled by ops-test: customer changed the design; released:');
    expect(cancelled.stdout).toContain('CRM assignment closed');
    const final: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(c.json.id)).result();
    expect(final.status).toBe('cancelled');
    const aState = await waitForOrder(pipeline.client, a.json.id, () => true);
    expect(aState.status).not.toBe('cancelled');

    // the signal variant: fire and forget, the workflow applies it
    const sig = await cli('reprioritize', b2.json.id, '--priority', 'low', '--reason', 'make room', '--signal');
    expect(sig.code, sig.stderr).toBe(0);
    expect(sig.stdout).toContain('sent signal reprioritize');
    const b2State = await waitForOrder(pipeline.client, b2.json.id, (s) => s.priority === 'low', 10_000);
    expect(b2State.timeline.findLast((t) => t.stage === 'reprioritize')?.detail).toMatch(/^(high|rush) → low: make room \(by cli:/);
  });

  it('answers from the projection when no worker answers the status query; lists overdue orders', async () => {
    // An order whose workflow exists on a queue nobody serves, with a projection row that is overdue.
    const id = randomUUID();
    const handle = await pipeline.client.workflow.start(ORDER_WORKFLOW_TYPE, {
      workflowId: orderWorkflowId(id),
      taskQueue: `cli-test-nobody-${id.slice(0, 8)}`,
      args: [],
    });
    const now = Date.now();
    try {
      await pipeline.dbs.shop.db.insert(orders).values({
        id,
        channel: 'b2b',
        partnerId: 'acme',
        clientId: 'partner-acme',
        status: 'in_production',
        priority: 'high',
        customerName: 'Olga Overdue',
        customerEmail: 'olga@example.com',
        items: [{ sku: 'BC-STD', quantity: 100 }],
        shipping: { method: 'pickup' },
        promisedBy: new Date(now - 60_000),
        atRiskAt: new Date(now - 120_000),
        overdueAt: new Date(now - 60_000),
        price: { currency: 'EUR', lines: [], subtotalMinor: 103745, vatMinor: 19711, totalMinor: 123456 },
        totalMinor: 123456,
        createdAt: new Date(now - 600_000),
        updatedAt: new Date(now - 60_000),
        version: 3,
      });
      const status = await cli('status', id);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stderr).toMatch(/answered from the shop projection .*no worker answered the status query within 5 s/);
      expect(status.stdout).toMatch(/status\s+in_production\n/);
      expect(status.stdout).toMatch(/total\s+1,234\.56 EUR/);
      expect(status.stdout).toMatch(/sla\s+OVERDUE since \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, at risk since/);
      expect(status.stdout).toContain('Olga Overdue <olga@example.com>');

      const overdue = await cliJson('list', '--overdue', '--limit', '500');
      expect(overdue.map((r: any) => r.id)).toContain(id);
      expect(overdue.every((r: any) => r.overdueAt !== null)).toBe(true);
      const table = await cli('list', '--overdue', '--partner', 'acme');
      expect(table.stdout).toMatch(
        new RegExp(`^${id}\\s+\\S+ \\S+Z\\s+b2b/acme\\s+in_production\\s+high\\s+1,234\\.56 EUR\\s+\\S+ \\S+Z\\s+overdue,at-risk$`, 'm'),
      );
      const notOverdue = await cliJson('list', '--status', 'delivered', '--limit', '500');
      expect(notOverdue.map((r: any) => r.id)).not.toContain(id);
    } finally {
      await handle.terminate('cli test done');
      await pipeline.dbs.shop.db.delete(orders).where(eq(orders.id, id));
    }
  });

  const mistakes: [string, string[], RegExp][] = [
    ['unknown order id', ['status', UNKNOWN], new RegExp(`^error: no order ${UNKNOWN}`)],
    ['id that is no UUID', ['trace', 'order-42'], /^error: no order order-42 — order ids are UUIDs/],
    ['cancel of an unknown order', ['cancel', UNKNOWN, '--reason', 'x'], new RegExp(`^error: no order ${UNKNOWN}`)],
    ['reprioritize of an unknown order', ['reprioritize', UNKNOWN, '--priority', 'rush', '--reason', 'x'], new RegExp(`^error: no order ${UNKNOWN}`)],
    [
      'unknown priority',
      ['reprioritize', UNKNOWN, '--priority', 'urgent', '--reason', 'x'],
      /argument 'urgent' is invalid\. Allowed choices are rush, high, normal, low\. — see 'orders reprioritize --help'/,
    ],
    ['missing reason', ['cancel', UNKNOWN], /required option '--reason <text>' not specified — see 'orders cancel --help'/],
    ['empty reason', ['cancel', UNKNOWN, '--reason', '  '], /--reason must not be empty/],
    ['unknown flag', ['list', '--colour', 'red'], /unknown option '--colour' — see 'orders list --help'/],
    ['unknown status', ['list', '--status', 'lost'], /argument 'lost' is invalid\. Allowed choices are received, accepted/],
    ['limit too high', ['list', '--limit', '501'], /use a whole number from 1 to 500/],
    ['partner with b2c', ['list', '--partner', 'acme', '--channel', 'b2c'], /--partner lists partner \(b2b\) orders; drop --channel b2c/],
    ['unknown command', ['delete', UNKNOWN], /unknown command 'delete' — see 'orders --help'/],
    ['bad mix', ['simulate', '--mix', 'b2c=1.5'], /use b2c=<share from 0 to 1>/],
    ['remote API', ['simulate', '--api', 'http://203.0.113.7:3000'], /not on this machine; .*--allow-remote/],
    ['unbounded simulation', ['simulate', '--orders', '100000', '--rate', '0.5'], /take 200000 s to send; keep it under 3600 s/],
  ];
  it.each(mistakes)('%s: exit code 2, one readable line, no stack trace', async (_name, args, message) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(NO_STACK);
    expect(run.stdout).toBe('');
  });

  it('says what to do when the API or Temporal cannot be reached (exit code 1)', async () => {
    const noApi = await cli('simulate', '--orders', '1', '--api', 'http://127.0.0.1:9');
    expect(noApi.code).toBe(1);
    expect(noApi.stderr).toMatch(/^error: cannot reach the API at http:\/\/127\.0\.0\.1:9 .*is `npm start` .*running\?/);
    const noTemporal = await runCliWith({ TEMPORAL_ADDRESS: '127.0.0.1:9' }, 'cancel', UNKNOWN, '--reason', 'x');
    expect(noTemporal.code).toBe(1);
    expect(noTemporal.stderr).toMatch(/^error: cannot reach Temporal at 127\.0\.0\.1:9 .*is `npm start` running/);
    expect(noTemporal.stderr).not.toMatch(NO_STACK);
  });
});
