/**
 * The event outbox of the embedded MES and carrier against its real database: an event the API
 * does not take is retried, but only for OUTBOX_GIVE_UP_HOURS; then it moves with its last error
 * to the dead letters, which the metric `orders_outbox_dead_letters` counts for an alert. One
 * order's events go out in their order, different orders' side by side.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { mesDeadLetters, mesOutbox } from '../src/mes/schema.js';
import { registry } from '../src/platform/metrics/registry.js';
import { createLogger } from '../src/platform/logger.js';
import { createOutboxSender } from '../src/platform/event-outbox.js';
import { testConfig } from './support/pipeline.js';

let dbs: Awaited<ReturnType<typeof openDatabases<'mes'>>>;
let api: Server;
let apiUrl: string;
beforeAll(async () => {
  dbs = await openDatabases(testConfig(), ['mes']);
  // An API that refuses every event as malformed (as it does a hostile or broken one).
  api = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(422, { 'content-type': 'application/problem+json' }).end('{"title":"Validation failed"}'));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1/integrations/mes/events`;
});
afterAll(async () => {
  await dbs?.close();
  await new Promise((r) => api?.close(r));
});

async function gauge(system: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric('orders_outbox_dead_letters')!.get();
  return metric.values.find((v) => v.labels.system === system)?.value;
}

describe('event outbox', () => {
  it('reads its give-up time from OUTBOX_GIVE_UP_HOURS, a day by default', () => {
    expect(testConfig().integrations.mes.giveUpMs).toBe(24 * 3_600_000);
    expect(testConfig({ OUTBOX_GIVE_UP_HOURS: '2' }).integrations.carrier.giveUpMs).toBe(2 * 3_600_000);
  });

  it('moves an event it could not deliver within the give-up time to the dead letters with its last error, and counts them', async () => {
    const db = dbs.mes.db;
    const old = `evt-old-${randomUUID()}`;
    const fresh = `evt-fresh-${randomUUID()}`;
    const unreachable = `evt-unreachable-${randomUUID()}`;
    await db.insert(mesOutbox).values([
      // Created two hours ago, retried ever since.
      { id: old, type: 'job.completed', payload: { id: old }, createdAt: sql`now() - interval '2 hours'`, attempts: 40 },
      { id: fresh, type: 'job.completed', payload: { id: fresh } },
    ]);
    const target = { apiKey: 'mes-dev-key', webhookSecret: 'mes-dev-webhook-secret', giveUpMs: 3_600_000 };
    const send = createOutboxSender({
      db,
      table: mesOutbox,
      deadLetters: mesDeadLetters,
      system: 'mes',
      target: { ...target, eventsUrl: apiUrl },
      log: createLogger('silent'),
    });
    expect(await send()).toBe(0);

    const [dead] = await db.select().from(mesDeadLetters).where(eq(mesDeadLetters.id, old));
    expect(dead).toMatchObject({ id: old, type: 'job.completed', payload: { id: old }, attempts: 41, lastError: expect.stringContaining('answered 422') });
    expect(await db.select().from(mesOutbox).where(eq(mesOutbox.id, old))).toEqual([]);
    // The fresh one is retried later, with its error noted.
    const [pending] = await db.select().from(mesOutbox).where(eq(mesOutbox.id, fresh));
    expect(pending).toMatchObject({ attempts: 1, deliveredAt: null, lastError: expect.stringContaining('answered 422') });
    expect(pending!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    expect(await db.select().from(mesDeadLetters).where(eq(mesDeadLetters.id, fresh))).toEqual([]);

    // An API that cannot be reached at all ends the same way.
    await db.delete(mesOutbox).where(inArray(mesOutbox.id, [fresh]));
    await db.insert(mesOutbox).values({ id: unreachable, type: 'job.started', payload: { id: unreachable }, createdAt: sql`now() - interval '3 hours'` });
    const lost = createOutboxSender({
      db,
      table: mesOutbox,
      deadLetters: mesDeadLetters,
      system: 'mes',
      target: { ...target, eventsUrl: 'http://127.0.0.1:9/v1/integrations/mes/events' },
      log: createLogger('silent'),
    });
    await lost();
    const [gone] = await db.select().from(mesDeadLetters).where(eq(mesDeadLetters.id, unreachable));
    expect(gone?.lastError).toContain('unreachable');

    const all = await db.select().from(mesDeadLetters);
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(await gauge('mes')).toBe(all.length);
    const text = await registry.metrics();
    expect(text).toContain(`orders_outbox_dead_letters{system="mes"} ${all.length}`);
  });

  it("sends one order's events in the order they happened and different orders' side by side, and marks them delivered", async () => {
    const db = dbs.mes.db;
    const run = randomUUID();
    const event = (order: string, kind: string, secondsAgo: number) => ({
      id: `${run}:${order}:${kind}`,
      type: `job.${kind}`,
      payload: { id: `${run}:${order}:${kind}`, job: { orderId: `${run}-${order}` } },
      createdAt: sql`now() - make_interval(secs => ${secondsAgo})`,
    });
    await db.insert(mesOutbox).values([event('a', 'started', 3), event('a', 'completed', 2), event('b', 'started', 2), event('c', 'started', 1)]);
    // An API that takes 150 ms per event and notes when each arrived and was answered.
    const seen: { id: string; at: number; answeredAt?: number }[] = [];
    let inFlight = 0;
    let most = 0;
    const slow = createServer((req, res) => {
      const id = String(req.headers['webhook-id'] ?? '');
      const entry = { id, at: performance.now() } as (typeof seen)[number];
      seen.push(entry);
      most = Math.max(most, ++inFlight);
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          inFlight -= 1;
          entry.answeredAt = performance.now();
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
        }, 150),
      );
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    try {
      const send = createOutboxSender({
        db,
        table: mesOutbox,
        deadLetters: mesDeadLetters,
        system: 'mes',
        target: {
          apiKey: 'mes-dev-key',
          webhookSecret: 'mes-dev-webhook-secret',
          giveUpMs: 3_600_000,
          eventsUrl: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`,
        },
        log: createLogger('silent'),
        sequenceOf: (e) => (e.job as { orderId?: string } | undefined)?.orderId,
      });
      expect(await send()).toBeGreaterThanOrEqual(4);
    } finally {
      await new Promise((r) => slow.close(r));
    }
    const mine = (id: string) => seen.find((s) => s.id === `${run}:${id}`)!;
    expect(seen.filter((s) => s.id.startsWith(run))).toHaveLength(4);
    // Order a's completion went out only once its start had been answered.
    expect(mine('a:completed').at).toBeGreaterThanOrEqual(mine('a:started').answeredAt!);
    // The other orders did not wait for a's answers.
    expect(mine('b:started').at).toBeLessThan(mine('a:started').answeredAt!);
    expect(mine('c:started').at).toBeLessThan(mine('a:started').answeredAt!);
    expect(most).toBeGreaterThanOrEqual(3);
    const rows = await db
      .select()
      .from(mesOutbox)
      .where(sql`${mesOutbox.id} like ${`${run}:%`}`);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row).toMatchObject({ attempts: 1, lastError: null, deliveredAt: expect.any(Date) });
  });
});
