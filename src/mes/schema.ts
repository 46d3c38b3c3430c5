/**
 * MES database (embedded MES): production jobs (one per order, enforced by a unique key) and the
 * outbox of job events for the pipeline's API. Written only by the embedded MES in src/mes/system.ts.
 */
import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { deadLetterTable, outboxTable } from '../../db/outbox.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const productionJobs = pgTable(
  'production_jobs',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull().unique(),
    spec: jsonb('spec').$type<{ sku: string; quantity: number; options: Record<string, string> }[]>().notNull(),
    status: text('status', { enum: ['queued', 'in_production', 'done', 'cancelled'] }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    startedAt: ts('started_at'),
    finishesAt: ts('finishes_at'),
    completedAt: ts('completed_at'),
    /** Opaque reference of whoever submitted the job, echoed in every event about it. */
    callbackRef: text('callback_ref'),
  },
  (t) => [index('production_jobs_status_idx').on(t.status)],
);

/** Job events (`job.started`, `job.completed`, `job.cancelled`) waiting to be sent, or sent. */
export const mesOutbox = outboxTable('mes_outbox');

/** Events of `mes_outbox` given up on, with their last error. */
export const mesDeadLetters = deadLetterTable('mes_outbox_dead_letters');
