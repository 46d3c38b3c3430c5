/**
 * What the embedded MES and carrier share to tell the pipeline about their work: a background
 * loop, and the sender of an event outbox. A system writes an event into its outbox table in the
 * same statement as the change it reports (so no event is lost when the process dies right
 * after); the sender claims due events with `FOR UPDATE SKIP LOCKED` (so several replicas never
 * send one event at the same time), POSTs each, signed, to the API and retries with backoff until
 * the API answers 2xx. One order's events go out in the order they happened, different orders'
 * side by side, so a slow answer about one order does not hold up the others' events. The API
 * deduplicates on the event id, so a repeat is harmless. An event the API has not taken within
 * OUTBOX_GIVE_UP_HOURS of its creation moves, with its last error, to the outbox's dead letters
 * (counted by the metric `orders_outbox_dead_letters`) instead of being retried forever.
 */
import { and, asc, count, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../db/index.js';
import type { deadLetterTable, outboxTable } from '../../db/outbox.js';
import type { IntegrationConfig } from './config.js';
import { attachDeadLetterCount } from './metrics/registry.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/** An outbox table (db/outbox.ts). */
export type OutboxTable = ReturnType<typeof outboxTable<string>>;
/** The dead letters of an outbox table (db/outbox.ts). */
export type DeadLetterTable = ReturnType<typeof deadLetterTable<string>>;

/** A loop running in the background of a worker process. */
export interface BackgroundLoop {
  /** Runs the next round now (when one is not under way already). */
  wake(): void;
  /** Stops after the round under way; resolves when it has ended. */
  stop(): Promise<void>;
}

/**
 * Runs `round` every `intervalMs` (and on `wake()`), one round at a time; a round may ask for the
 * next one sooner by returning the milliseconds to wait. A round that throws is logged and the
 * loop goes on.
 */
export function startLoop(name: string, intervalMs: number, round: () => Promise<number | void>, log: Logger): BackgroundLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, ms);
  };
  const tick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    let next = intervalMs;
    running = round()
      .then((soon) => {
        if (typeof soon === 'number') next = Math.max(0, Math.min(intervalMs, soon));
      })
      .catch((err: unknown) => log.warn({ err, loop: name }, `${name}: round failed; trying again`))
      .finally(() => {
        running = undefined;
        schedule(again ? 0 : next);
        again = false;
      });
  };
  schedule(0);
  return {
    wake: () => schedule(0),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** Delay before the next try of an event that failed `attempts` times: 1 s doubling, at most 5 min. */
export function backoffMs(attempts: number): number {
  return Math.min(300_000, 1000 * 2 ** Math.max(0, Math.min(attempts - 1, 12)));
}

/** Margin of a claim beyond the longest a round can take (every event of the batch timing out). */
const LEASE_MARGIN_MS = 30_000;
/** Events a sender has in flight at once (of different sequences). */
const SEND_CONCURRENCY = 8;
/** Delivered events are kept this long (for inspection), then deleted. */
const KEEP_DELIVERED_DAYS = 7;
const PURGE_EVERY_MS = 3_600_000;

/**
 * One round of the sender: claims due events of `table` and POSTs each to `target.eventsUrl`;
 * an event that fails after `target.giveUpMs` since its creation moves to `deadLetters`.
 * Returns how many were delivered. Feeds `orders_outbox_dead_letters{system}` of this process.
 */
export function createOutboxSender<S extends Record<string, unknown>>(options: {
  db: Db<S>;
  table: OutboxTable;
  deadLetters: DeadLetterTable;
  /** Label of the dead-letter metric: the system whose outbox this is. */
  system: string;
  target: IntegrationConfig & { eventsUrl: string };
  log: Logger;
  batch?: number;
  timeoutMs?: number;
  /**
   * What an event's order among the others depends on (e.g. its order id): events of one key
   * go out one after another, oldest first; events of different keys go out side by side, up
   * to SEND_CONCURRENCY at once. Events without a key share one sequence.
   */
  sequenceOf?: (payload: Record<string, unknown>) => string | undefined;
}): () => Promise<number> {
  const { db, table: t, deadLetters: dl, target, log } = options;
  attachDeadLetterCount(
    options.system,
    async () => (await db.select({ n: count() }).from(dl))[0]?.n ?? 0,
    (err) => log.warn({ err }, `metrics: counting the ${options.system} outbox's dead letters failed; this scrape has none`),
  );
  const batch = options.batch ?? 20;
  const timeoutMs = options.timeoutMs ?? 10_000;
  // A claim lasts until the whole round is surely over (one sequence holding every event, each
  // timing out), so another sender never takes over an event this one may still send.
  const leaseMs = batch * timeoutMs + LEASE_MARGIN_MS;
  let purgedAt = 0;
  return async () => {
    if (Date.now() - purgedAt > PURGE_EVERY_MS) {
      purgedAt = Date.now();
      await db.delete(t).where(lte(t.deliveredAt, sql`now() - make_interval(days => ${KEEP_DELIVERED_DAYS})`));
    }
    const due = db
      .select({ id: t.id })
      .from(t)
      .where(and(isNull(t.deliveredAt), lte(t.nextAttemptAt, sql`now()`)))
      .orderBy(asc(t.createdAt))
      .limit(batch)
      .for('update', { skipLocked: true });
    const claimed = await db
      .update(t)
      .set({ attempts: sql`${t.attempts} + 1`, nextAttemptAt: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
      .where(inArray(t.id, due))
      .returning();
    claimed.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const sequences = new Map<string, typeof claimed>();
    for (const event of claimed) {
      const key = options.sequenceOf?.(event.payload) ?? '';
      const events = sequences.get(key);
      if (events) events.push(event);
      else sequences.set(key, [event]);
    }
    const delivered: string[] = [];
    const send = async (event: (typeof claimed)[number]) => {
      const body = JSON.stringify(event.payload);
      let failure: string | undefined;
      try {
        const response = await fetch(target.eventsUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${target.apiKey}`,
            [EVENT_ID_HEADER]: event.id,
            [SIGNATURE_HEADER]: signWebhook(target.webhookSecret, Math.floor(Date.now() / 1000), body),
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text().catch(() => '');
        if (!response.ok) failure = `answered ${response.status}: ${text.slice(0, 200)}`;
      } catch (err) {
        failure = `unreachable: ${(err as Error).message}`;
      }
      if (failure === undefined) {
        delivered.push(event.id);
      } else if (Date.now() - event.createdAt.getTime() >= target.giveUpMs) {
        log.error(
          { eventId: event.id, type: event.type, attempts: event.attempts, createdAt: event.createdAt.toISOString() },
          `event not delivered to ${target.eventsUrl} within ${target.giveUpMs / 3_600_000} h; moved to the dead letters: ${failure}`,
        );
        await db.transaction(async (tx) => {
          await tx
            .insert(dl)
            .values({ id: event.id, type: event.type, payload: event.payload, createdAt: event.createdAt, attempts: event.attempts, lastError: failure })
            .onConflictDoNothing();
          await tx.delete(t).where(and(eq(t.id, event.id), isNull(t.deliveredAt)));
        });
      } else {
        const delay = backoffMs(event.attempts);
        log.warn({ eventId: event.id, type: event.type, attempts: event.attempts, retryInMs: delay }, `event not delivered to ${target.eventsUrl}: ${failure}`);
        await db
          .update(t)
          .set({ lastError: failure, nextAttemptAt: sql`now() + make_interval(secs => ${delay / 1000})` })
          .where(eq(t.id, event.id));
      }
    };
    const waiting = [...sequences.values()];
    const lane = async () => {
      for (let events = waiting.shift(); events; events = waiting.shift()) for (const event of events) await send(event);
    };
    try {
      await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, waiting.length) }, lane));
    } finally {
      // One statement for the round's deliveries; a crash before it only sends them again (the API deduplicates).
      if (delivered.length > 0) {
        await db
          .update(t)
          .set({ deliveredAt: sql`now()`, lastError: null })
          .where(inArray(t.id, delivered));
      }
    }
    return delivered.length;
  };
}
