/**
 * The operators' dashboard in a real browser (Debian's Chromium, driven by playwright-core)
 * against the real pipeline: orders placed through the API run to their end, then the page —
 * opened with an operator key — must show what the shop database says, counted here straight
 * from the projection tables (not from the rollups the page reads), draw its charts, and
 * refresh by itself. Without a valid key it shows nothing. The screenshot is saved as
 * test-results/dashboard.png.
 */
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import postgres from 'postgres';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { orders } from '../src/order/schema.js';
import { DashboardSchema, windowStart } from '../src/api/dashboard.js';
import { traceLink } from '../src/api/order-resource.js';
import { HISTOGRAM_RELATIVE_ERROR } from '../src/domain/histogram.js';
import { ORDER_STATUSES, TERMINAL_STATUSES } from '../src/domain/status.js';
import { STAGES, QUEUE_NAMES } from '../src/order/contract.js';
import type { HttpCall } from './support/http.js';
import { sampleOrder, startPipelineWithApi, type TestPipelineWithApi } from './support/pipeline.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOP = 'shop-dev-key';
const ACME = 'partner-acme-dev-key';
const GLOBEX = 'partner-globex-dev-key';
const OPS = 'ops-dev-key';
const SCREENSHOT = 'test-results/dashboard.png';

let stack: TestPipelineWithApi;
let call: HttpCall;
let browser: Browser;
/** Plain SQL on the shop database, to count what the page must show. */
let pg: postgres.Sql;
const placed: string[] = [];
/** Projection rows of open orders past or near their promised date (no workflow could be made that late here). */
const lateIds = [randomUUID(), randomUUID()];

beforeAll(async () => {
  // One production line, so that an order waits for it (and can still be cancelled there).
  stack = await startPipelineWithApi({ env: { MES_CAPACITY: '1' } });
  call = stack.call;
  pg = postgres(inject('databaseUrls').shop, { max: 2, onnotice: () => {} });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
});

afterAll(async () => {
  await browser?.close();
  await pg?.end({ timeout: 5 });
  await stack?.pipeline.dbs.shop.db.delete(orders).where(inArray(orders.id, lateIds));
  await stack?.stop();
});

async function pollOrder(id: string, until: (o: any) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = await call('GET', `/v1/orders/${id}`, { key: OPS });
    if (last.status === 200 && until(last.json)) return last.json;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`order ${id} did not end; last answer ${last?.status} ${last?.text?.slice(0, 300)}`);
}

/** Milliseconds of a duration as the page prints it ("12.3 ms", "1.5 s", "< 1 ms" → 0.5). */
function parseDuration(text: string): number | null {
  if (text === '–') return null;
  if (text === '< 1 ms') return 0.5;
  const m = /^([\d.]+) (ms|s|min|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  const unit = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}

/** The shown percentile is the exact one (PostgreSQL's percentile_disc) read from its histogram bucket, rounded to 3 digits. */
function expectClose(shown: string, exact: number | null, what: string) {
  if (exact === null) return expect(shown, what).toBe('–');
  if (exact < 1) return expect(shown, `${what} (exact ${exact} ms)`).toBe('< 1 ms');
  const value = parseDuration(shown)!;
  const ratio = Math.abs(Math.log(value / exact));
  expect(ratio, `${what}: shown ${shown}, exact ${exact} ms`).toBeLessThanOrEqual(Math.log(1 + HISTOGRAM_RELATIVE_ERROR) + 0.006);
}

/** Cell texts of a table's body rows. */
const tableRows = (page: Page, testId: string) =>
  page.$$eval(`[data-testid="${testId}"] tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
const num = (text: string) => Number(text.replace(/,/g, ''));

async function openDashboard(key: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'UTC', locale: 'en-GB' });
  const page = await context.newPage();
  await page.goto(`${stack.api.url}/dashboard`);
  await page.fill('#key', key);
  await page.click('button[type=submit]');
  return page;
}

describe('GET /v1/dashboard', () => {
  it('answers operator keys only, with problem+json otherwise', async () => {
    const none = await call('GET', '/v1/dashboard');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    const shop = await call('GET', '/v1/dashboard', { key: SHOP });
    expect(shop.status).toBe(403);
    expect(shop.headers.get('content-type')).toContain('application/problem+json');
    const partner = await call('GET', '/v1/dashboard', { key: ACME });
    expect(partner.status).toBe(403);
    const bad = await call('GET', '/v1/dashboard?window=1y', { key: OPS });
    expect(bad.status).toBe(422);
    expect(bad.json.errors).toEqual([expect.objectContaining({ path: 'window' })]);
    const unknown = await call('GET', '/v1/dashboard?from=yesterday', { key: OPS });
    expect(unknown.status).toBe(422);
    expect(unknown.json.errors).toEqual([expect.objectContaining({ path: 'from' })]);

    for (const window of ['24h', '7d', '30d']) {
      const ok = await call('GET', `/v1/dashboard?window=${window}`, { key: OPS });
      expect(ok.status, window).toBe(200);
      const body = DashboardSchema.parse(ok.json);
      expect(body.throughput.intervals).toHaveLength(window === '30d' ? 30 : window === '7d' ? 168 : 24);
      expect(body.taskQueues?.map((q) => q.queue)).toEqual(QUEUE_NAMES);
    }
  });
});

describe('the dashboard page', () => {
  it('shows the numbers of the database, draws its charts and refreshes itself', { timeout: 180_000 }, async () => {
    // Orders through the API: a long shop job holds the only production line, a partner order
    // waiting for it is cancelled by an operator, then shop and partner orders that run through.
    const place = async (key: string, body: object) => {
      const res = await call('POST', '/v1/orders', { key, body });
      expect(res.status, res.text).toBe(202);
      placed.push(res.json.id);
      return res.json.id as string;
    };
    // 100,000 business cards: about 3 s of production at the test time scale.
    const long = await place(SHOP, sampleOrder({ items: [{ sku: 'BC-STD', quantity: 100_000 }], shipping: { method: 'pickup' } }));
    await pollOrder(long, (o) => o.status === 'in_production');
    const waiting = await place(ACME, sampleOrder({ shipping: { method: 'pickup' } }));
    await pollOrder(waiting, (o) => o.status === 'awaiting_production');
    const cancelled = await call('POST', `/v1/orders/${waiting}/cancel`, { key: OPS, body: { reason: 'dashboard test' } });
    expect(cancelled.status, cancelled.text).toBe(202);
    for (const [key, body] of [
      [SHOP, sampleOrder()],
      [SHOP, sampleOrder({ shipping: { method: 'pickup' } })],
      [ACME, sampleOrder()],
      [ACME, sampleOrder({ items: [{ sku: 'FLY-A5', quantity: 500 }] })],
      [GLOBEX, sampleOrder({ shipping: { method: 'pickup' } })],
    ] as const) {
      await place(key, body);
    }
    const ended = await Promise.all(placed.map((id) => pollOrder(id, (o) => TERMINAL_STATUSES.includes(o.status))));
    expect(ended.map((o) => o.status).sort()).toEqual(['cancelled', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered', 'delivered']);

    const db = stack.pipeline.dbs.shop.db;
    // The projection is written right after each change: wait until it shows every order's end.
    const deadline = Date.now() + 10_000;
    let projected: { status: string }[] = [];
    while (Date.now() < deadline) {
      projected = await db.select({ status: orders.status }).from(orders).where(inArray(orders.id, placed));
      if (projected.length === placed.length && projected.every((r) => TERMINAL_STATUSES.includes(r.status as never))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(projected.map((r) => r.status).sort()).toEqual(ended.map((o) => o.status).sort());
    // Two open orders in trouble, as the SLA timers mark them (see test/sla.test.ts for the real thing).
    const now = Date.now();
    const late = (id: string, i: number) => ({
      id,
      channel: i === 0 ? ('b2b' as const) : ('b2c' as const),
      partnerId: i === 0 ? 'acme' : null,
      clientId: i === 0 ? 'partner-acme' : 'shop',
      status: i === 0 ? 'in_production' : 'shipped',
      priority: 'high',
      customerName: 'Late Customer',
      customerEmail: 'late@example.com',
      items: [{ sku: 'BC-STD', quantity: 100 }],
      shipping: { method: 'pickup' as const },
      promisedBy: new Date(now + (i === 0 ? -3_600_000 : 3_600_000)),
      atRiskAt: new Date(now - 7_200_000),
      overdueAt: i === 0 ? new Date(now - 3_600_000) : null,
      createdAt: new Date(now - 86_400_000 * 3),
      updatedAt: new Date(now - 3_600_000),
      version: 1,
    });
    await db.insert(orders).values(lateIds.map(late));

    const errors: string[] = [];
    const page = await openDashboard(OPS);
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
    const generatedAt = await page.getAttribute('body', 'data-generated-at');
    const from = windowStart(new Date(generatedAt!), '24h');

    // --- what the database says, counted from the projection itself
    const counts = await pg<{ status: string; channel: string; n: string }[]>`select status, channel, count(*) as n from orders group by 1, 2`;
    const nOf = (status: string, channel?: string) =>
      counts.filter((r) => r.status === status && (!channel || r.channel === channel)).reduce((n, r) => n + Number(r.n), 0);
    const total = counts.reduce((n, r) => n + Number(r.n), 0);
    const open = counts.filter((r) => !TERMINAL_STATUSES.includes(r.status as never)).reduce((n, r) => n + Number(r.n), 0);
    const [flags] = await pg<{ overdue: string; at_risk: string }[]>`
      select count(*) filter (where overdue_at is not null) as overdue,
             count(*) filter (where at_risk_at is not null and overdue_at is null) as at_risk
      from orders where status <> all (array['delivered','cancelled','rejected','failed'])`;
    const [window] = await pg<{ created_b2c: string; created_b2b: string; delivered_b2c: string; delivered_b2b: string }[]>`
      select count(*) filter (where channel = 'b2c' and created_at >= ${from}) as created_b2c,
             count(*) filter (where channel = 'b2b' and created_at >= ${from}) as created_b2b,
             count(*) filter (where channel = 'b2c' and status = 'delivered' and updated_at >= ${from}) as delivered_b2c,
             count(*) filter (where channel = 'b2b' and status = 'delivered' and updated_at >= ${from}) as delivered_b2b
      from orders`;
    expect(nOf('delivered')).toBeGreaterThanOrEqual(5);
    expect(nOf('cancelled', 'b2b')).toBeGreaterThanOrEqual(1);

    // --- the figures on the page
    expect(num((await page.textContent('[data-testid="kpi-total"]')) ?? '')).toBe(total);
    expect(num((await page.textContent('[data-testid="kpi-open"]')) ?? '')).toBe(open);
    expect(num((await page.textContent('[data-testid="kpi-overdue"]')) ?? '')).toBe(Number(flags!.overdue));
    expect(num((await page.textContent('[data-testid="kpi-at-risk"]')) ?? '')).toBe(Number(flags!.at_risk));
    expect(Number(flags!.overdue)).toBeGreaterThanOrEqual(1);
    expect(num((await page.textContent('[data-testid="kpi-created"]')) ?? '')).toBe(Number(window!.created_b2c) + Number(window!.created_b2b));
    expect(num((await page.textContent('[data-testid="kpi-delivered"]')) ?? '')).toBe(Number(window!.delivered_b2c) + Number(window!.delivered_b2b));

    const statusRows = await tableRows(page, 'status-table');
    expect(statusRows.map((r) => r[0])).toEqual([...ORDER_STATUSES, 'all']);
    for (const [status, b2c, b2b, sum] of statusRows) {
      if (status === 'all') {
        expect(num(sum!)).toBe(total);
        continue;
      }
      expect([status, num(b2c!), num(b2b!), num(sum!)]).toEqual([status, nOf(status!, 'b2c'), nOf(status!, 'b2b'), nOf(status!)]);
    }

    const throughput = await tableRows(page, 'throughput-table');
    expect(throughput[0]!.slice(1).map(num)).toEqual([Number(window!.created_b2c), Number(window!.created_b2b)]);
    expect(throughput[1]!.slice(1).map(num)).toEqual([Number(window!.delivered_b2c), Number(window!.delivered_b2b)]);

    // Stage durations: completed stages that ended in the window, percentile by nearest rank.
    const stageStats = await pg<{ stage: string; n: string; p50: number | null; p95: number | null }[]>`
      select e.stage, count(*) as n,
             percentile_disc(0.5) within group (order by extract(epoch from e.ended_at - e.started_at)::float8 * 1000) as p50,
             percentile_disc(0.95) within group (order by extract(epoch from e.ended_at - e.started_at)::float8 * 1000) as p95
      from order_events e join orders o on o.id = e.order_id
      where e.status = 'completed' and e.ended_at >= ${from}
      group by 1`;
    const stageRows = await tableRows(page, 'stages-table');
    expect(stageRows).toHaveLength(STAGES.length);
    for (const [i, stage] of STAGES.entries()) {
      const [, n, p50, p95] = stageRows[i]!;
      const db = stageStats.find((s) => s.stage === stage);
      expect(num(n!), stage).toBe(Number(db?.n ?? 0));
      expect(Number(db?.n ?? 0), `${stage} has samples`).toBeGreaterThan(0);
      expectClose(p50!, db?.p50 ?? null, `${stage} p50`);
      expectClose(p95!, db?.p95 ?? null, `${stage} p95`);
    }

    // Queue wait, shop against partners, per stage and over all stages.
    const waits = await pg<{ stage: string | null; channel: string; p50: number; p95: number }[]>`
      select e.stage, o.channel,
             percentile_disc(0.5) within group (order by e.queue_wait_ms::float8) as p50,
             percentile_disc(0.95) within group (order by e.queue_wait_ms::float8) as p95
      from order_events e join orders o on o.id = e.order_id
      where e.queue_wait_ms is not null and e.stage in ('accept', 'price', 'route-to-crm', 'produce', 'ship')
        and coalesce(e.ended_at, e.started_at) >= ${from}
      group by grouping sets ((e.stage, o.channel), (o.channel))`;
    // Both channels have waits over all stages, so the comparisons below compare figures, not blanks.
    expect(
      waits
        .filter((w) => w.stage === null)
        .map((w) => w.channel)
        .sort(),
    ).toEqual(['b2b', 'b2c']);
    const waitRows = await tableRows(page, 'queue-wait-table');
    expect(waitRows.map((r) => r[0])).toEqual(['accept', 'price', 'route to CRM', 'produce', 'ship', 'all stages']);
    for (const [i, stage] of [...STAGES, null].entries()) {
      const [, shop50, shop95, partner50, partner95] = waitRows[i]!;
      const of = (channel: string) => waits.find((w) => w.stage === stage && w.channel === channel);
      expectClose(shop50!, of('b2c')?.p50 ?? null, `${stage ?? 'all'} shop p50`);
      expectClose(shop95!, of('b2c')?.p95 ?? null, `${stage ?? 'all'} shop p95`);
      expectClose(partner50!, of('b2b')?.p50 ?? null, `${stage ?? 'all'} partner p50`);
      expectClose(partner95!, of('b2b')?.p95 ?? null, `${stage ?? 'all'} partner p95`);
    }

    // Task queues: every queue, with the workers this test runs polling it.
    const queueRows = await tableRows(page, 'queues-table');
    expect(queueRows.map((r) => r[0])).toEqual(QUEUE_NAMES);
    for (const r of queueRows) expect(num(r[3]!), `workers on ${r[0]}`).toBeGreaterThanOrEqual(1);

    // Overdue first, each linked to its Web UI page.
    const attention = await page.$$eval('[data-testid="attention-table"] tbody tr', (rows) =>
      rows.map((r) => ({ id: (r as any).dataset.orderId, flag: r.children[1]?.textContent, href: r.querySelector('a')?.getAttribute('href') })),
    );
    const { uiUrl, namespace } = stack.pipeline.config.temporal;
    for (const [i, id] of lateIds.entries()) {
      const row = attention.find((a) => a.id === id);
      expect(row, `order ${id} is listed`).toBeDefined();
      expect(row!.flag).toBe(i === 0 ? 'overdue' : 'at risk');
      expect(row!.href).toBe(traceLink(uiUrl, namespace, id).url);
    }

    // Charts: every canvas drew something.
    for (const id of ['chart-status', 'chart-throughput', 'chart-stages', 'chart-queue-wait', 'chart-queues']) {
      const drawn = await page.$eval(`#${id}`, (canvas) => {
        const c = canvas as any;
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
        return { width: c.width, height: c.height, painted };
      });
      expect(drawn.width, id).toBeGreaterThan(100);
      expect(drawn.height, id).toBeGreaterThan(100);
      expect(drawn.painted, `${id} painted pixels`).toBeGreaterThan(500);
    }

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // It refreshes by itself, and shows new orders when it does.
    const more = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() });
    expect(more.status).toBe(202);
    placed.push(more.json.id);
    await page.waitForFunction((before) => (globalThis as any).document.body.dataset.generatedAt !== before, generatedAt, { timeout: 20_000 });
    const after = await db.$count(orders);
    expect(num((await page.textContent('[data-testid="kpi-total"]')) ?? '')).toBe(after);
    expect(after).toBe(total + 1);

    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows no data without a valid key', async () => {
    for (const [key, message] of [
      ['not-a-real-key', /key was refused/],
      [SHOP, /operator keys only/],
    ] as const) {
      const page = await openDashboard(key);
      await page.waitForSelector('body[data-state="refused"]', { timeout: 10_000 });
      expect(await page.textContent('[data-testid="error"]')).toMatch(message);
      expect(await page.isVisible('#board')).toBe(false);
      for (const testId of ['status-table', 'stages-table', 'queue-wait-table', 'queues-table', 'attention-table']) {
        expect(await tableRows(page, testId), testId).toEqual([]);
      }
      for (const kpi of ['kpi-total', 'kpi-open', 'kpi-overdue']) expect(await page.textContent(`[data-testid="${kpi}"]`)).toBe('');
      await page.context().close();
    }

    // The page itself carries nothing but the form.
    const html = await call('GET', '/dashboard');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(placed.length).toBeGreaterThan(0);
    for (const id of placed) expect(html.text).not.toContain(id);
  });
});
