/** Rate limits per API key over real HTTP, with the counters in the real shop database. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { apiClients, rateLimits } from '../src/order/schema.js';
import { hashKey, type ApiClient } from '../src/api/clients.js';
import { createRateLimiter, PostgresRateLimitStore } from '../src/api/rate-limit.js';
import { startApi, type RunningApi } from '../src/api/server.js';
import { createLogger } from '../src/platform/logger.js';
import { httpClient } from './support/http.js';
import { sampleOrder, startPipeline, testConfig, type TestPipeline } from './support/pipeline.js';

let pipeline: TestPipeline;
let apiA: RunningApi;
let apiB: RunningApi;
const log = createLogger('silent');

beforeAll(async () => {
  pipeline = await startPipeline();
  // Two replicas of the API on the same shop database.
  apiA = await startApi({ config: pipeline.config, log, shop: pipeline.dbs.shop });
  apiB = await startApi({ config: pipeline.config, log, shop: pipeline.dbs.shop });
});
afterAll(async () => {
  await apiA?.close();
  await apiB?.close();
  await pipeline?.stop();
});

const SHOP = 'shop-dev-key';
const UNKNOWN_ORDER = '/v1/orders/00000000-0000-4000-8000-000000000000';

/** A fresh partner client of the trial tier (60 requests per minute), with its own counter. */
async function trialClient(): Promise<{ id: string; key: string }> {
  const id = `rl-trial-${randomUUID().slice(0, 8)}`;
  const key = `rl_test_${randomBytes(24).toString('base64url')}`;
  await pipeline.dbs.shop.db.insert(apiClients).values({ id, name: 'Trial partner', kind: 'partner', partnerId: id, tier: 'trial', keyHash: hashKey(key) });
  return { id, key };
}

const http = httpClient(() => apiA.url);
/** A request with `key` to the replica at `base`; by default a GET of an order that does not exist. */
const call = (base: string, key: string, method = 'GET', path = UNKNOWN_ORDER, body?: unknown) => http(method, path, { base, key, body });

/** `"trial"; r=59; t=60` → { name, r, t }; `"trial"; q=60; w=60; pk=:…:` → { name, q, w, pk }. */
function structured(header: string | null): Record<string, string> {
  expect(header, 'header present').toBeTruthy();
  const [name, ...params] = header!.split(';').map((s) => s.trim());
  return { name: name!.replace(/^"|"$/g, ''), ...Object.fromEntries(params.map((p) => p.split('=') as [string, string])) };
}

async function hitsInDb(clientId: string): Promise<number | undefined> {
  const [row] = await pipeline.dbs.shop.db
    .select()
    .from(rateLimits)
    .where(eq(rateLimits.key, `client:${clientId}`));
  return row?.hits;
}

describe('rate limit per API key', () => {
  it('answers the 61st request of a trial key with 429 problem+json, Retry-After and RateLimit headers', async () => {
    const { id, key } = await trialClient();
    for (let i = 1; i <= 60; i++) {
      const res = await call(apiA.url, key);
      expect(res.status, `request ${i}`).toBe(404);
      expect(structured(res.headers.get('ratelimit'))).toMatchObject({ name: 'trial', r: String(60 - i) });
      expect(structured(res.headers.get('ratelimit-policy'))).toMatchObject({ name: 'trial', q: '60', w: '60' });
    }
    const limited = await call(apiA.url, key);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(structured(limited.headers.get('ratelimit'))).toMatchObject({ name: 'trial', r: '0', t: String(retryAfter) });
    expect(structured(limited.headers.get('ratelimit-policy'))).toMatchObject({ name: 'trial', q: '60', w: '60' });
    expect(limited.json).toMatchObject({
      type: expect.stringMatching(/\/problems\/rate-limited$/),
      title: 'Too many requests',
      status: 429,
      instance: UNKNOWN_ORDER,
      limit: 60,
      windowSeconds: 60,
      retryAfterSeconds: retryAfter,
    });
    expect(limited.json.detail).toContain(`Retry in ${retryAfter} s`);
    expect(limited.json.detail).toContain(id);
    // The route behind the limiter did not run: no 404 detail leaked into the answer.
    expect(limited.json.detail).not.toMatch(/no order/i);
  });

  it('sizes the limit by tier and sends RateLimit headers on successful answers', async () => {
    const created = await call(apiA.url, SHOP, 'POST', '/v1/orders', sampleOrder());
    expect(created.status).toBe(202);
    expect(structured(created.headers.get('ratelimit-policy'))).toMatchObject({ name: 'shop', q: '12000', w: '60' });
    const shopRate = structured(created.headers.get('ratelimit'));
    expect(shopRate.name).toBe('shop');
    expect(Number(shopRate.r)).toBeLessThan(12_000);
    expect(Number(shopRate.r)).toBeGreaterThan(11_000);

    const read = await call(apiB.url, SHOP, 'GET', `/v1/orders/${created.json.id}`);
    expect(read.status).toBe(200);
    // The second replica counts on the same budget: one hit more than the first answer showed.
    expect(Number(structured(read.headers.get('ratelimit')).r)).toBe(Number(shopRate.r) - 1);

    const partner = await call(apiB.url, 'partner-acme-dev-key');
    expect(structured(partner.headers.get('ratelimit-policy'))).toMatchObject({ name: 'standard', q: '600', w: '60' });
  });

  it('shares one budget between two API replicas', async () => {
    const { id, key } = await trialClient();
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 1; i <= 30; i++) {
      expect((await call(apiA.url, key)).status, `replica A, request ${i}`).toBe(404);
      last = await call(apiB.url, key);
      expect(last.status, `replica B, request ${i}`).toBe(404);
    }
    expect(structured(last!.headers.get('ratelimit')).r).toBe('0');
    expect(await hitsInDb(id)).toBe(60);

    expect((await call(apiA.url, key)).status).toBe(429);
    expect((await call(apiB.url, key)).status).toBe(429);
    expect(await hitsInDb(id)).toBe(62);
    // Once a replica knows the key is over its limit, further hits of the window stay off the database.
    for (let i = 0; i < 10; i++) {
      expect((await call(apiA.url, key)).status).toBe(429);
      expect((await call(apiB.url, key)).status).toBe(429);
    }
    expect(await hitsInDb(id)).toBe(62);
  });

  it('lets exactly the limit through a concurrent burst, and never throttles the shop for it', async () => {
    const { key } = await trialClient();
    const burst = await Promise.all(Array.from({ length: 80 }, (_, i) => call(i % 2 ? apiA.url : apiB.url, key)));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 404)).toHaveLength(60);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);

    // The partner is still limited, the shop goes on placing and reading orders on both replicas.
    expect((await call(apiA.url, key)).status).toBe(429);
    const created = await call(apiA.url, SHOP, 'POST', '/v1/orders', sampleOrder());
    expect(created.status).toBe(202);
    const read = await call(apiB.url, SHOP, 'GET', `/v1/orders/${created.json.id}`);
    expect(read.status).toBe(200);
    expect(Number(structured(read.headers.get('ratelimit')).r)).toBeGreaterThan(11_000);
    expect((await call(apiB.url, key)).status).toBe(429);
  });
});

describe('PostgresRateLimitStore', () => {
  const store = () => new PostgresRateLimitStore(pipeline.dbs.shop.db, { windowMs: 1_000 });

  it('counts in a fixed window and starts over when it has passed', async () => {
    const s = store();
    const key = `store-${randomUUID()}`;
    const before = Date.now();
    const first = await s.increment(key);
    expect(first.totalHits).toBe(1);
    expect(first.resetTime!.getTime()).toBeGreaterThan(before);
    expect(first.resetTime!.getTime()).toBeLessThanOrEqual(Date.now() + 1_000 + 50);
    expect((await s.increment(key)).totalHits).toBe(2);
    const third = await s.increment(key);
    expect(third.totalHits).toBe(3);
    expect(third.resetTime!.getTime()).toBe(first.resetTime!.getTime());
    expect((await s.get(key))?.totalHits).toBe(3);

    await s.decrement(key);
    expect((await s.get(key))?.totalHits).toBe(2);

    await new Promise((r) => setTimeout(r, first.resetTime!.getTime() - Date.now() + 100));
    expect(await s.get(key)).toBeUndefined();
    const next = await s.increment(key);
    expect(next.totalHits).toBe(1);
    expect(next.resetTime!.getTime()).toBeGreaterThan(first.resetTime!.getTime());

    await s.resetKey(key);
    expect(await s.get(key)).toBeUndefined();
    expect((await s.increment(key)).totalHits).toBe(1);
  });

  it('loses no hit under concurrent increments from several stores', async () => {
    const stores = [store(), store(), store()];
    const key = `store-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => stores[i % 3]!.increment(key)));
    expect(results.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(new Set(results.map((r) => r.resetTime!.getTime())).size).toBe(1);
  });
});

describe('rate limiter without its database', () => {
  it('lets requests through rather than failing them', async () => {
    const dbs = await openDatabases(testConfig(), ['shop']);
    await dbs.close();
    const client: ApiClient = { id: 'rl-closed-db', name: 'x', kind: 'partner', partnerId: 'x', tier: 'trial', hasWebhook: false };
    const app = express();
    app.use((req, _res, next) => {
      req.client = client;
      next();
    });
    app.use(createRateLimiter({ shop: dbs.shop.db, log }));
    app.get('/', (_req, res) => {
      res.send('passed');
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, () => resolve(s));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('passed');
      expect(res.headers.get('ratelimit')).toBeNull();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('failed authentications per source address', () => {
  let guarded: RunningApi;
  beforeAll(async () => {
    guarded = await startApi({ config: testConfig({ AUTH_FAILURES_PER_MINUTE: '3' }), log, shop: pipeline.dbs.shop });
  });
  afterAll(() => guarded?.close());

  it('answers 429 problem+json after a few wrong keys, then to a valid key from that address too', async () => {
    const statuses: number[] = [];
    // Other files' failures from this address may share the current window: a 429 comes at the latest after the budget.
    for (let i = 0; i < 4 && !statuses.includes(429); i++) {
      statuses.push((await call(guarded.url, `guess-${randomBytes(8).toString('hex')}`)).status);
    }
    expect(
      statuses.every((s) => s === 401 || s === 429),
      statuses.join(','),
    ).toBe(true);
    expect(statuses).toContain(429);
    const valid = await call(guarded.url, SHOP);
    expect(valid.status).toBe(429);
    expect(valid.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(Number(valid.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another replica without the low budget still serves the valid key: the block is the address's failures, not the key.
    expect((await call(apiA.url, SHOP)).status).toBe(404);
  });
});
