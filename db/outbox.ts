/**
 * The shape of an event outbox and of its dead letters: events a system must deliver to the pipeline's API, written in
 * the same statement as the change they report and sent (with retries) by
 * src/platform/event-outbox.ts. The MES and the carrier each have one in their own database.
 */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export function outboxTable<N extends string>(name: N) {
  return pgTable(
    name,
    {
      /** Event id, unique per event; the receiver deduplicates on it. */
      id: text('id').primaryKey(),
      type: text('type').notNull(),
      /** The JSON body as sent. */
      payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
      createdAt: ts('created_at').notNull().defaultNow(),
      attempts: integer('attempts').notNull().default(0),
      /** Not before this time (backoff after a failure; a lease while one dispatcher sends it). */
      nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
      deliveredAt: ts('delivered_at'),
      lastError: text('last_error'),
    },
    (t) => [
      index(`${name}_pending_idx`)
        .on(t.nextAttemptAt)
        .where(sql`delivered_at is null`),
    ],
  );
}

/**
 * Events of an outbox that were given up on (not delivered within OUTBOX_GIVE_UP_HOURS), with
 * their last error, kept for an operator to inspect and send again; counted by the metric
 * `orders_outbox_dead_letters`.
 */
export function deadLetterTable<N extends string>(name: N) {
  return pgTable(name, {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: ts('created_at').notNull(),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error').notNull(),
    deadAt: ts('dead_at').notNull().defaultNow(),
  });
}
