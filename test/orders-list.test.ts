/**
 * `GET /v1/orders` over real HTTP against the real shop database: projection rows are inserted
 * directly (no workflows needed). All of them lie in February 2001, behind anything other test
 * files create, and one partner id is unique to this run; assertions look at these rows only
 * where other files' orders could be in the same database.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { orders } from '../src/order/schema.js';
import { encodeCursor } from '../src/api/cursor.js';
import { OrderListSchema } from '../src/api/schemas.js';
import { startApi, type RunningApi } from '../src/api/server.js';
import type { OrderStatus } from '../src/domain/status.js';
import { createLogger } from '../src/platform/logger.js';
import { httpClient } from './support/http.js';
import { testConfig } from './support/pipeline.js';

const SHOP = 'shop-dev-key';
const ACME = 'partner-acme-dev-key';
const GLOBEX = 'partner-globex-dev-key';
const OPS = 'ops-dev-key';

/** A partner only this run's rows belong to. */
const PARTNER = `list-test-${randomUUID().slice(0, 8)}`;
const BASE = Date.parse('2001-02-03T04:05:06.000Z');
const MINUTE = 60_000;

interface Seed {
  id: string;
  channel: 'b2c' | 'b2b';
  partnerId: string | null;
  status: OrderStatus;
  /** created_at as ISO text with microseconds (lexically ordered). */
  at: string;
}

/** ISO text of `ms` plus `micros` microseconds (0–999). */
const isoMicros = (ms: number, micros = 0) => new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`);

const OWNERS: { channel: Seed['channel']; partnerId: string | null }[] = [
  { channel: 'b2c', partnerId: null },
  { channel: 'b2b', partnerId: 'acme' },
  { channel: 'b2b', partnerId: 'globex' },
  { channel: 'b2c', partnerId: null },
  { channel: 'b2b', partnerId: PARTNER },
  { channel: 'b2b', partnerId: 'acme' },
  { channel: 'b2b', partnerId: PARTNER },
];
const STATUSES: OrderStatus[] = ['delivered', 'in_production', 'shipped', 'delivered', 'received', 'cancelled', 'priced', 'delivered', 'accepted'];
const owner = (i: number) => OWNERS[i % OWNERS.length]!;

const seeds: Seed[] = [];
// 40 orders a minute apart
for (let i = 0; i < 40; i++) seeds.push({ id: randomUUID(), ...owner(i), status: STATUSES[i % STATUSES.length]!, at: isoMicros(BASE + i * MINUTE) });
// 7 orders created at exactly the same instant, across owners
const TIE_AT = isoMicros(BASE + 10.5 * MINUTE, 250);
for (let i = 0; i < 7; i++) seeds.push({ id: randomUUID(), ...owner(i), status: STATUSES[i]!, at: TIE_AT });
// 5 orders within one millisecond, a microsecond apart: a cursor of millisecond precision would skip some
const MICRO_MS = BASE + 20.5 * MINUTE;
for (let i = 0; i < 5; i++) seeds.push({ id: randomUUID(), ...owner(i + 3), status: 'delivered', at: isoMicros(MICRO_MS, i + 1) });

const seedIds = new Set(seeds.map((s) => s.id));
const byNewest = (a: Seed, b: Seed) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1);
/** Ids of this run's rows that match, in the order the API must list them. */
const expected = (match: (s: Seed) => boolean = () => true) =>
  seeds
    .filter(match)
    .sort(byNewest)
    .map((s) => s.id);
const priced = (s: OrderStatus) => s !== 'received' && s !== 'accepted';

function toRow(s: Seed) {
  const isPriced = priced(s.status);
  const totalMinor = 1000 + (s.id.charCodeAt(0) % 10) * 100;
  return {
    id: s.id,
    channel: s.channel,
    partnerId: s.partnerId,
    clientId: s.partnerId ? `partner-${s.partnerId}` : 'shop',
    status: s.status,
    priority: s.channel === 'b2c' ? 'high' : 'normal',
    customerName: `List Test ${s.id.slice(0, 4)}`,
    customerEmail: `list.${s.id.slice(0, 8)}@example.com`,
    items: [{ sku: 'BC-STD', quantity: 100 }],
    shipping: { method: 'pickup' as const },
    externalRef: `list-test-${s.id}`,
    price: isPriced ? { currency: 'EUR', lines: [], subtotalMinor: totalMinor - 100, vatMinor: 100, totalMinor } : null,
    totalMinor: isPriced ? totalMinor : null,
    promisedBy: s.status === 'received' ? null : new Date(Date.parse(s.at) + 5 * 24 * 3_600_000),
    createdAt: sql`${s.at}::timestamptz`,
    updatedAt: sql`${s.at}::timestamptz + interval '1 hour'`,
  };
}

let dbs: Awaited<ReturnType<typeof openDatabases<'shop'>>>;
let api: RunningApi;

beforeAll(async () => {
  const config = testConfig();
  dbs = await openDatabases(config, ['shop']);
  await dbs.shop.db.insert(orders).values(seeds.map(toRow));
  api = await startApi({ config, log: createLogger('silent'), shop: dbs.shop });
});
afterAll(async () => {
  await dbs?.shop.db.delete(orders).where(sql`${orders.externalRef} like 'list-test-%'`);
  await api?.close();
  await dbs?.close();
});

const call = httpClient(() => api.url);
/** A GET with `key` (none if not given); `type` is the answer's content type. */
async function get(path: string, key?: string) {
  const res = await call('GET', path, { key });
  return { ...res, type: res.headers.get('content-type') ?? '' };
}

const list = (key: string, params: Record<string, string> = {}) => get(`/v1/orders?${new URLSearchParams(params)}`, key);

/** Follows nextCursor to the end; every page must fit the public schema and the page size. */
async function walk(key: string, params: Record<string, string>, limit: number) {
  const pages: any[][] = [];
  let cursor: string | null = null;
  do {
    const res = await list(key, { ...params, limit: String(limit), ...(cursor ? { cursor } : {}) });
    expect(res.status, res.text).toBe(200);
    const page = OrderListSchema.parse(res.json);
    cursor = page.nextCursor;
    expect(page.data.length).toBeLessThanOrEqual(limit);
    if (cursor) expect(page.data.length).toBe(limit);
    pages.push(page.data);
    expect(pages.length, 'pagination does not end').toBeLessThan(2_000);
  } while (cursor);
  const items = pages.flat();
  return { pages, items, ids: items.map((o) => o.id as string), mine: items.filter((o) => seedIds.has(o.id)).map((o) => o.id as string) };
}

describe('GET /v1/orders', () => {
  it('has test data that exercises ties, microseconds and every owner', () => {
    expect(seeds.filter((s) => s.at === TIE_AT).length).toBe(7);
    expect(new Set(seeds.filter((s) => s.at.startsWith(new Date(MICRO_MS).toISOString().slice(0, 23))).map((s) => s.at)).size).toBe(5);
    for (const p of [null, 'acme', 'globex', PARTNER]) expect(expected((s) => s.partnerId === p).length).toBeGreaterThan(4);
  });

  it('lists newest first (created_at desc, id desc) with the order summary', async () => {
    const { items, mine } = await walk(OPS, {}, 100);
    expect(mine).toEqual(expected());
    for (let i = 1; i < items.length; i++) expect(Date.parse(items[i - 1].createdAt)).toBeGreaterThanOrEqual(Date.parse(items[i].createdAt));

    const pricedShop = seeds.find((s) => s.channel === 'b2c' && s.status === 'delivered')!;
    const row = toRow(pricedShop);
    expect(items.find((o) => o.id === pricedShop.id)).toEqual({
      id: pricedShop.id,
      channel: 'b2c',
      status: 'delivered',
      priority: 'high',
      customer: { name: row.customerName, email: row.customerEmail },
      items: [{ sku: 'BC-STD', quantity: 100 }],
      shipping: { method: 'pickup' },
      price: row.price,
      totalMinor: row.totalMinor,
      promisedBy: row.promisedBy!.toISOString(),
      createdAt: new Date(Date.parse(pricedShop.at)).toISOString(),
      updatedAt: new Date(Date.parse(pricedShop.at) + 3_600_000).toISOString(),
      trace: { workflowId: `order-${pricedShop.id}`, url: `http://localhost:8233/namespaces/default/workflows/order-${pricedShop.id}` },
    });
    const fresh = seeds.find((s) => s.partnerId === 'acme' && s.status === 'received')!;
    const summary = items.find((o) => o.id === fresh.id);
    expect(summary).toMatchObject({ partnerId: 'acme', channel: 'b2b', priority: 'normal', promisedBy: null });
    expect(summary).not.toHaveProperty('price');
    expect(summary).not.toHaveProperty('totalMinor');
  });

  it('walks all rows exactly once at any page size, also where rows share created_at', async () => {
    // the seeded ties come back as ties
    const tie = (await walk(OPS, { partnerId: PARTNER }, 100)).items.filter((o) => seeds.find((s) => s.id === o.id)?.at === TIE_AT);
    expect(tie.length).toBeGreaterThan(1);
    expect(new Set(tie.map((o) => o.createdAt)).size).toBe(1);

    for (const limit of [1, 2, 3, 7]) {
      const { ids, mine } = await walk(OPS, {}, limit);
      expect(new Set(ids).size, `duplicates at limit ${limit}`).toBe(ids.length);
      expect(mine, `limit ${limit}`).toEqual(expected());
    }
    const partnerPages = await walk(OPS, { partnerId: PARTNER }, 2);
    const partnerIds = expected((s) => s.partnerId === PARTNER);
    expect(partnerPages.ids).toEqual(partnerIds);
    expect(partnerPages.pages.length).toBe(Math.ceil(partnerIds.length / 2));
  });

  it('filters by status and channel, also across pages', async () => {
    const delivered = await walk(OPS, { status: 'delivered' }, 5);
    expect(delivered.items.every((o) => o.status === 'delivered')).toBe(true);
    expect(delivered.mine).toEqual(expected((s) => s.status === 'delivered'));

    const b2b = await walk(OPS, { channel: 'b2b' }, 5);
    expect(b2b.items.every((o) => o.channel === 'b2b')).toBe(true);
    expect(b2b.mine).toEqual(expected((s) => s.channel === 'b2b'));

    const b2cShipped = await walk(OPS, { channel: 'b2c', status: 'shipped' }, 1);
    expect(b2cShipped.items.every((o) => o.channel === 'b2c' && o.status === 'shipped')).toBe(true);
    expect(b2cShipped.mine).toEqual(expected((s) => s.channel === 'b2c' && s.status === 'shipped'));
    expect(b2cShipped.mine.length).toBeGreaterThan(0);
  });

  it('shows a partner only its own orders', async () => {
    for (const [key, partnerId] of [
      [ACME, 'acme'],
      [GLOBEX, 'globex'],
    ] as const) {
      const all = await walk(key, {}, 4);
      expect(all.items.every((o) => o.partnerId === partnerId && o.channel === 'b2b')).toBe(true);
      expect(all.mine).toEqual(expected((s) => s.partnerId === partnerId));
      const delivered = await walk(key, { status: 'delivered' }, 2);
      expect(delivered.items.every((o) => o.partnerId === partnerId && o.status === 'delivered')).toBe(true);
      expect(delivered.mine).toEqual(expected((s) => s.partnerId === partnerId && s.status === 'delivered'));
      expect(delivered.mine.length).toBeGreaterThan(0);
    }
    // acme's pages contain no other owner's rows, even with a cursor taken from the operator's list
    const others = new Set(seeds.filter((s) => s.partnerId !== 'acme').map((s) => s.id));
    const opsPage = await list(OPS, { limit: '3' });
    const fromCursor = await walk(ACME, { cursor: opsPage.json.nextCursor }, 100);
    expect(fromCursor.items.every((o) => o.partnerId === 'acme')).toBe(true);
    expect(fromCursor.ids.some((id) => others.has(id))).toBe(false);
    expect(fromCursor.mine).toEqual(expected((s) => s.partnerId === 'acme'));

    expect((await list(ACME, { channel: 'b2c' })).json).toEqual({ data: [], nextCursor: null });
    for (const partnerId of ['globex', 'acme']) {
      const res = await list(ACME, { partnerId });
      expect(res.status).toBe(422);
      expect(res.json.errors).toEqual([expect.objectContaining({ path: 'partnerId' })]);
    }
  });

  it('shows the shop key only shop (b2c) orders', async () => {
    const all = await walk(SHOP, {}, 5);
    expect(all.items.every((o) => o.channel === 'b2c' && !('partnerId' in o))).toBe(true);
    expect(all.mine).toEqual(expected((s) => s.channel === 'b2c'));
    const shipped = await walk(SHOP, { status: 'delivered', channel: 'b2c' }, 3);
    expect(shipped.mine).toEqual(expected((s) => s.channel === 'b2c' && s.status === 'delivered'));
    expect(shipped.mine.length).toBeGreaterThan(0);
    const b2b = await list(SHOP, { channel: 'b2b' });
    expect(b2b.status).toBe(200);
    expect(b2b.json).toEqual({ data: [], nextCursor: null });
  });

  it('lets operators filter by partner', async () => {
    expect((await walk(OPS, { partnerId: PARTNER }, 3)).ids).toEqual(expected((s) => s.partnerId === PARTNER));
    const acme = await walk(OPS, { partnerId: 'acme', status: 'delivered' }, 3);
    expect(acme.items.every((o) => o.partnerId === 'acme' && o.status === 'delivered')).toBe(true);
    expect(acme.mine).toEqual(expected((s) => s.partnerId === 'acme' && s.status === 'delivered'));
    expect((await list(OPS, { partnerId: `${PARTNER}-nobody` })).json).toEqual({ data: [], nextCursor: null });
  });

  it('pages by limit: default 20, 1 to 100', async () => {
    const total = (await walk(OPS, {}, 100)).ids.length;
    expect(total).toBeGreaterThanOrEqual(seeds.length);
    const first = await list(OPS);
    expect(first.status).toBe(200);
    expect(first.json.data).toHaveLength(20);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const one = await list(OPS, { limit: '1' });
    expect(one.json.data).toHaveLength(1);
    expect(one.json.nextCursor).toEqual(expect.any(String));
    const max = await list(OPS, { limit: '100' });
    expect(max.json.data).toHaveLength(Math.min(100, total));
    expect(max.json.nextCursor === null).toBe(total <= 100);
  });

  it('answers a malformed cursor with 400 problem+json', async () => {
    const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const cursors = [
      'not a cursor!',
      '',
      'A'.repeat(600),
      b64('hello'),
      b64({ createdAt: '2001-01-01T00:00:00Z', id: 'x' }),
      b64(['2001-01-01T00:00:00.000000Z']),
      b64([1, 'x']),
      b64(['yesterday', 'x']),
      b64(['2001-02-30T00:00:00.000000Z', 'x']),
      b64(['2001-01-01T00:00:00.000000Z', '']),
      `${encodeCursor({ createdAt: '2001-01-01T00:00:00.000000Z', id: 'x' })}%3D`,
    ];
    for (const cursor of cursors) {
      const res = await get(`/v1/orders?cursor=${cursor.endsWith('%3D') ? cursor : encodeURIComponent(cursor)}`, OPS);
      expect(res.status, cursor).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(res.json).toMatchObject({ status: 400, type: expect.stringContaining('/problems/bad-request') });
    }
    // a well-formed cursor is accepted
    const ok = await list(OPS, { cursor: encodeCursor({ createdAt: '2001-02-03T04:15:06.000000Z', id: 'zzzz' }) });
    expect(ok.status).toBe(200);
    expect(ok.json.data.map((o: any) => o.id)).toEqual(expected((s) => s.at <= '2001-02-03T04:15:06.000000Z').slice(0, 20));
  });

  it('answers invalid query parameters with 422 and their names', async () => {
    const cases: [string, string][] = [
      ['status=shipping', 'status'],
      ['status=DELIVERED', 'status'],
      ['status=', 'status'],
      ['status=delivered&status=shipped', 'status'],
      ['channel=b2x', 'channel'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=', 'limit'],
      ['offset=20', 'offset'],
      ['sort=asc', 'sort'],
      ['status[]=delivered', 'status[]'],
    ];
    for (const [query, path] of cases) {
      const res = await get(`/v1/orders?${query}`, OPS);
      expect(res.status, query).toBe(422);
      expect(res.type).toContain('application/problem+json');
      expect(res.json.type).toContain('/problems/validation-error');
      expect(
        res.json.errors.map((e: any) => e.path),
        query,
      ).toEqual([path]);
    }
  });

  it('needs a key', async () => {
    const none = await get('/v1/orders');
    expect(none.status).toBe(401);
    expect(none.type).toContain('application/problem+json');
    expect((await get('/v1/orders', 'forged-key')).status).toBe(401);
  });
});
