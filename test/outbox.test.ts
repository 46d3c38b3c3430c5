/**
 * The event outbox of the embedded MES and carrier against its real database: an event the API
 * does not take is retried, but only for OUTBOX_GIVE_UP_HOURS; then it moves with its last error
 * to the dead letters, which the metric `orders_outbox_dead_letters` counts for an alert.
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
});
