import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { MesDb } from '../../db/index.js';
import { mesOutbox, productionJobs } from './schema.js';
import { findProduct, resolveOptions } from '../domain/catalog.js';
import { productionMs, scaled } from '../domain/durations.js';
import type { OrderItem } from '../domain/order.js';

/** A production job as the MES reports it. */
export type ProductionJob = typeof productionJobs.$inferSelect;

/** What the pipeline needs of an MES. A real MES plugs in behind the same interface. */
export interface MesAdapter {
  /**
   * Creates the order's production job, or returns the one it already has (one job per order).
   * `callbackRef` is opaque to the MES and echoed in its events about the job; a later submission
   * of a job still queued or on its line replaces it.
   */
  submitJob(input: { orderId: string; items: readonly OrderItem[]; callbackRef?: string }): Promise<ProductionJob>;
  getJob(jobId: string): Promise<ProductionJob | undefined>;
  /**
   * Cancels the order's job if it is not on a line yet. When the order has no job yet, a
   * cancelled one is recorded so a late submission cannot start production. Returns the job.
   */
  cancelJob(orderId: string): Promise<ProductionJob>;
}

export class MesError extends Error {}

/**
 * Embedded MES on its own database. Production time comes from the job's specification,
 * scaled by PIPELINE_TIME_SCALE. Its line controller (`createLineController`) moves jobs from
 * queued to a line to done on its own. A job is submitted only by a `produce` activity that holds
 * one of the mes worker's slots, so how many jobs run at once is still the worker's concurrency
 * (MES_CAPACITY, one slot per production line). With `events`, every change of a job is
 * written to the outbox (`mes_outbox`) for the pipeline's API.
 */
export function createEmbeddedMes(db: MesDb, options: { timeScale: number; events?: boolean; onSubmit?: () => void }): MesAdapter {
  const byId = async (jobId: string) => (await db.select().from(productionJobs).where(eq(productionJobs.id, jobId)))[0];
  return {
    async submitJob({ orderId, items, callbackRef }) {
      const spec = items.map((item) => {
        const product = findProduct(item.sku);
        if (!product) throw new MesError(`the MES cannot make unknown product ${item.sku}`);
        return { sku: item.sku, quantity: item.quantity, options: resolveOptions(product, item.options) };
      });
      await db
        .insert(productionJobs)
        .values({
          id: `job_${randomUUID()}`,
          orderId,
          spec,
          status: 'queued',
          durationMs: scaled(productionMs(items), options.timeScale),
          callbackRef: callbackRef ?? null,
        })
        .onConflictDoUpdate({
          target: productionJobs.orderId,
          set: { callbackRef: callbackRef ?? sql`${productionJobs.callbackRef}` },
          setWhere: inArray(productionJobs.status, ['queued', 'in_production']),
        });
      const [job] = await db.select().from(productionJobs).where(eq(productionJobs.orderId, orderId));
      if (!job) throw new MesError(`production job of order ${orderId} vanished`);
      if (job.status === 'queued') options.onSubmit?.();
      return job;
    },

    getJob: byId,

    async cancelJob(orderId) {
      return db.transaction(async (tx) => {
        const [withdrawn] = await tx
          .insert(productionJobs)
          .values({ id: `job_${randomUUID()}`, orderId, spec: [], status: 'cancelled', durationMs: 0 })
          .onConflictDoUpdate({
            target: productionJobs.orderId,
            set: { status: 'cancelled' },
            setWhere: eq(productionJobs.status, 'queued'),
          })
          .returning();
        // A job that was queued (with someone waiting for it) is reported; a placeholder is not.
        if (withdrawn?.callbackRef && options.events) {
          await tx.insert(mesOutbox).values(jobEvent('job.cancelled', withdrawn)).onConflictDoNothing();
        }
        const [job] = await tx.select().from(productionJobs).where(eq(productionJobs.orderId, orderId));
        if (!job) throw new MesError(`production job of order ${orderId} vanished`);
        return job;
      });
    },
  };
}

/** Types of the MES's job events. */
export const MES_EVENT_TYPES = ['job.started', 'job.completed', 'job.cancelled'] as const;
export type MesEventType = (typeof MES_EVENT_TYPES)[number];

/** The body of a job event as the MES sends it. */
export interface MesEvent {
  id: string;
  type: MesEventType;
  occurredAt: string;
  job: {
    id: string;
    orderId: string;
    status: ProductionJob['status'];
    startedAt?: string;
    completedAt?: string;
    callbackRef?: string;
  };
}

function jobEvent(type: MesEventType, job: ProductionJob) {
  const id = `${job.id}:${type.slice('job.'.length)}`;
  const payload: MesEvent = {
    id,
    type,
    occurredAt: (type === 'job.started' ? job.startedAt : type === 'job.completed' ? job.completedAt : undefined)?.toISOString() ?? new Date().toISOString(),
    job: {
      id: job.id,
      orderId: job.orderId,
      status: job.status,
      ...(job.startedAt ? { startedAt: job.startedAt.toISOString() } : {}),
      ...(job.completedAt ? { completedAt: job.completedAt.toISOString() } : {}),
      ...(job.callbackRef ? { callbackRef: job.callbackRef } : {}),
    },
  };
  return { id, type, payload: payload as unknown as Record<string, unknown> };
}

/**
 * The embedded MES's line controller (runs in the mes worker process): puts queued jobs on a
 * line and marks jobs whose production time has passed as done, each change with its event in
 * the outbox in one transaction. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several mes
 * worker replicas share the work without doing a job twice. Returns one round.
 */
export function createLineController(db: MesDb, options: { events: boolean; batch?: number }) {
  const batch = options.batch ?? 100;
  return async (): Promise<{ started: number; completed: number; nextFinishMs: number | undefined }> => {
    const started = await db.transaction(async (tx) => {
      const queued = tx
        .select({ id: productionJobs.id })
        .from(productionJobs)
        .where(eq(productionJobs.status, 'queued'))
        .orderBy(asc(productionJobs.createdAt))
        .limit(batch)
        .for('update', { skipLocked: true });
      const rows = await tx
        .update(productionJobs)
        .set({
          status: 'in_production',
          startedAt: sql`now()`,
          finishesAt: sql`now() + make_interval(secs => ${productionJobs.durationMs} / 1000.0)`,
        })
        .where(inArray(productionJobs.id, queued))
        .returning();
      if (options.events && rows.length > 0)
        await tx
          .insert(mesOutbox)
          .values(rows.map((j) => jobEvent('job.started', j)))
          .onConflictDoNothing();
      return rows.length;
    });
    const completed = await db.transaction(async (tx) => {
      const finished = tx
        .select({ id: productionJobs.id })
        .from(productionJobs)
        .where(and(eq(productionJobs.status, 'in_production'), lte(productionJobs.finishesAt, sql`now()`)))
        .orderBy(asc(productionJobs.finishesAt))
        .limit(batch)
        .for('update', { skipLocked: true });
      const rows = await tx
        .update(productionJobs)
        .set({ status: 'done', completedAt: sql`now()` })
        .where(inArray(productionJobs.id, finished))
        .returning();
      if (options.events && rows.length > 0)
        await tx
          .insert(mesOutbox)
          .values(rows.map((j) => jobEvent('job.completed', j)))
          .onConflictDoNothing();
      return rows.length;
    });
    const [next] = await db
      .select({ ms: sql<string | null>`extract(epoch from (min(${productionJobs.finishesAt}) - now())) * 1000` })
      .from(productionJobs)
      .where(eq(productionJobs.status, 'in_production'));
    const nextFinishMs = next?.ms == null ? undefined : Math.max(0, Number(next.ms));
    return { started, completed, nextFinishMs };
  };
}
