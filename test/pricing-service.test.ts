/** The pricing service's caches on the real pricing database, and the pricing activity in the pipeline. */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { priceCache } from '../src/pricing/schema.js';
import { OrderRequestSchema } from '../src/domain/order.js';
import { PRICE_LIST_VERSION, priceOrder } from '../src/domain/pricing/index.js';
import { newOrderInput, startOrderWorkflow } from '../src/order/intake.js';
import { canonicalize, createPricingService } from '../src/pricing/system.js';
import { TASK_QUEUES, statusQuery } from '../src/order/contract.js';
import { sampleOrder, startPipeline, testConfig, type TestPipeline } from './support/pipeline.js';
import type { PriceResult } from '../src/pricing/contract.js';

let dbs: Awaited<ReturnType<typeof openDatabases<'pricing'>>>;
beforeAll(async () => {
  dbs = await openDatabases(testConfig(), ['pricing']);
});
afterAll(async () => {
  await dbs?.close();
});

// Quantities no other test uses, so the shared table starts without these entries.
const unique = () => 5000 + Math.floor(Math.random() * 90_000);

describe('canonical key', () => {
  it('ignores line order and spelled-out defaults, and depends on quantity, price list and rush', () => {
    const q = unique();
    const a = canonicalize([
      { sku: 'POS-A2', quantity: 3 },
      { sku: 'BC-STD', quantity: q },
    ]);
    const b = canonicalize([
      { sku: 'BC-STD', quantity: q, options: { paper: 'matte-350', sides: '2' } },
      { sku: 'POS-A2', quantity: 3, options: { paper: 'silk-170' } },
    ]);
    expect(b.hash).toBe(a.hash);
    expect(a.spec.priceListVersion).toBe(PRICE_LIST_VERSION);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(
      canonicalize([
        { sku: 'BC-STD', quantity: q + 1 },
        { sku: 'POS-A2', quantity: 3 },
      ]).hash,
    ).not.toBe(a.hash);
    expect(
      canonicalize(
        [
          { sku: 'BC-STD', quantity: q },
          { sku: 'POS-A2', quantity: 3 },
        ],
        { partnerId: 'acme' },
      ).hash,
    ).not.toBe(a.hash);
    expect(
      canonicalize(
        [
          { sku: 'BC-STD', quantity: q },
          { sku: 'POS-A2', quantity: 3 },
        ],
        { rush: true },
      ).hash,
    ).not.toBe(a.hash);
    // partners on the same price list share entries
    expect(canonicalize([{ sku: 'BC-STD', quantity: q }], { partnerId: 'globex' }).hash).toBe(
      canonicalize([{ sku: 'BC-STD', quantity: q }], { partnerId: 'initech' }).hash,
    );
  });
});

describe('pricing service', () => {
  it('answers from the engine, then memory, then (in another process) the shared table, always the same price', async () => {
    const items = [
      { sku: 'FLY-A5', quantity: unique() },
      { sku: 'BC-STD', quantity: 250, options: { finish: 'foil' } },
    ];
    const expected = priceOrder(items, { partnerId: 'acme' });
    const first = createPricingService({ db: dbs.pricing.db });
    const miss = await first.price(items, { partnerId: 'acme' });
    expect(miss).toMatchObject({ cache: 'miss' });
    expect(miss.price).toEqual(expected);
    const again = await first.price([...items].reverse(), { partnerId: 'acme' });
    expect(again.cache).toBe('memory');
    expect(again.price.lines.map((l) => l.sku)).toEqual(['BC-STD', 'FLY-A5']);
    expect(again.price.totalMinor).toBe(expected.totalMinor);

    const second = createPricingService({ db: dbs.pricing.db });
    const shared = await second.price(items, { partnerId: 'acme' });
    expect(shared.cache).toBe('shared');
    expect(shared.price).toEqual(expected);

    const [row] = await dbs.pricing.db.select().from(priceCache).where(eq(priceCache.hash, miss.hash));
    expect(row).toMatchObject({ priceListVersion: PRICE_LIST_VERSION, priceList: 'partner-gold', hits: 1 });
    expect(row!.createdAt).toBeInstanceOf(Date);
  });

  it('writes an entry once however many workers price the same order at the same time', async () => {
    const items = [{ sku: 'STK-CIRC-50', quantity: unique() }];
    const services = Array.from({ length: 6 }, () => createPricingService({ db: dbs.pricing.db }));
    const results = await Promise.all(services.map((s) => s.price(items)));
    for (const r of results) expect(r.price).toEqual(priceOrder(items));
    expect(await dbs.pricing.db.$count(priceCache, eq(priceCache.hash, results[0]!.hash))).toBe(1);
  });

  it('keeps pricing when the shared table fails, and never caches a refusal', async () => {
    const errors: string[] = [];
    const broken = createPricingService({
      db: {
        update: () => {
          throw new Error('down');
        },
        insert: () => {
          throw new Error('down');
        },
      } as never,
      onCacheError: (_e, what) => errors.push(what),
    });
    const items = [{ sku: 'BAN-PVC-2x1', quantity: 3 }];
    expect((await broken.price(items)).price).toEqual(priceOrder(items));
    expect(errors).toEqual(['read', 'write']);
    const service = createPricingService({ db: dbs.pricing.db });
    await expect(service.price([{ sku: 'BC-STD', quantity: 100, options: { paper: 'gold-leaf' } }])).rejects.toThrow(/gold-leaf/);
  });

  it('hands out prices nobody can change', async () => {
    const service = createPricingService();
    const { price } = await service.price([{ sku: 'POS-A2', quantity: 7 }]);
    expect(() => {
      (price.lines[0] as { totalMinor: number }).totalMinor = 0;
    }).toThrow(TypeError);
  });
});

describe('pricing activity', () => {
  describe('in the pipeline', () => {
    let pipeline: TestPipeline;
    beforeAll(async () => {
      pipeline = await startPipeline();
    });
    afterAll(async () => {
      await pipeline?.stop();
    });

    it('prices a quote through the cache: computed once, then from memory', async () => {
      const items = [{ sku: 'BRO-A4-16', quantity: unique(), options: { binding: 'perfect-bound' } }];
      const quote = (): Promise<PriceResult> =>
        pipeline.client.workflow.execute('quoteWorkflow', {
          taskQueue: TASK_QUEUES.orders,
          workflowId: `quote-test-${Math.random()}`,
          args: [{ items, partnerId: 'globex' }],
        });
      const first = await quote();
      expect(first.cache).toBe('miss');
      expect(first.price).toEqual(priceOrder(items, { partnerId: 'globex' }));
      const second = await quote();
      expect(second.cache).toBe('memory');
      expect(second.price).toEqual(first.price);
    });

    it("prices a partner's rush order with the partner's price list and the rush surcharge", async () => {
      const order = OrderRequestSchema.parse(sampleOrder({ items: [{ sku: 'FLY-A5', quantity: unique() }] }));
      const input = newOrderInput({
        source: { clientId: 'acme', kind: 'partner', partnerId: 'acme' },
        order,
        timeScale: pipeline.config.timeScale,
        priority: 'rush',
      });
      const handle = await startOrderWorkflow(pipeline.client, input);
      const deadline = Date.now() + 20_000;
      let state = await handle.query(statusQuery);
      while (!state.price && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        state = await handle.query(statusQuery);
      }
      expect(state.price).toEqual(priceOrder(order.items, { partnerId: 'acme', rush: true }));
      expect(state.price).toMatchObject({ priceList: 'partner-gold', rush: true });
      await handle.terminate('test done').catch(() => {});
    });
  });
});
