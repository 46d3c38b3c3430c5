/**
 * The shop database going away under a running API: requests that need it are answered 503
 * with Retry-After (problem+json), never 500, and no order is acknowledged that was not started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { startApi, type RunningApi } from '../src/api/server.js';
import { createLogger } from '../src/platform/logger.js';
import { httpClient } from './support/http.js';
import { sampleOrder, testConfig } from './support/pipeline.js';

let api: RunningApi;
let dbs: Awaited<ReturnType<typeof openDatabases<'shop'>>>;
const config = testConfig();
const call = httpClient(() => api.url);

beforeAll(async () => {
  dbs = await openDatabases(config, ['shop']);
  api = await startApi({ config, log: createLogger('silent'), shop: dbs.shop });
});
afterAll(async () => {
  await api?.close();
});

describe('shop database unavailable', () => {
  it('answers 503 with Retry-After, not 500, while the database cannot be reached', async () => {
    // keyed requests must record their key before anything starts
    const before = await call('POST', '/v1/orders', { key: 'shop-dev-key', body: sampleOrder(), headers: { 'idempotency-key': 'outage-before' } });
    expect(before.status).toBe(202);

    await dbs.close(); // every connection of the API's shop pool is gone
    const during = await call('POST', '/v1/orders', { key: 'shop-dev-key', body: sampleOrder(), headers: { 'idempotency-key': 'outage-during' } });
    expect(during.status).toBe(503);
    expect(during.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(during.headers.get('retry-after')).toBe('5');
    expect(during.json.detail).toMatch(/Retry/);
    expect(during.json.id).toBeUndefined();
  });
});
