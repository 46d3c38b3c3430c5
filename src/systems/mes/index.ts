import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { MesDb } from '../../../db/index.js';
import { productionJobs } from '../../../db/mes/schema.js';
import { findProduct, resolveOptions } from '../../domain/catalog.js';
import { productionMs, scaled } from '../../domain/durations.js';
import type { OrderItem } from '../../domain/order.js';

/** A production job as the MES reports it. */
export type ProductionJob = typeof productionJobs.$inferSelect;

/** What the pipeline needs of an MES. A real MES plugs in behind the same interface. */
export interface MesAdapter {
  /** Creates the order's production job, or returns the one it already has. */
  submitJob(input: { orderId: string; items: readonly OrderItem[] }): Promise<ProductionJob>;
  /** Puts a queued job on a line; a job already running or done is returned as it is. */
  startJob(jobId: string): Promise<ProductionJob>;
  /** Marks a job whose production time has passed as done; idempotent. */
  completeJob(jobId: string): Promise<ProductionJob>;
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
 * scaled by PIPELINE_TIME_SCALE; how many jobs run at once is the mes worker's concurrency
 * (MES_CAPACITY, one slot per production line).
 */
export function createEmbeddedMes(db: MesDb, options: { timeScale: number }): MesAdapter {
  const byId = async (jobId: string) => (await db.select().from(productionJobs).where(eq(productionJobs.id, jobId)))[0];
  const mustGet = async (jobId: string) => {
    const job = await byId(jobId);
    if (!job) throw new MesError(`production job ${jobId} does not exist`);
    return job;
  };
  return {
    async submitJob({ orderId, items }) {
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
        })
        .onConflictDoNothing({ target: productionJobs.orderId });
      const [job] = await db.select().from(productionJobs).where(eq(productionJobs.orderId, orderId));
      if (!job) throw new MesError(`production job of order ${orderId} vanished`);
      return job;
    },

    async startJob(jobId) {
      const [started] = await db
        .update(productionJobs)
        .set({
          status: 'in_production',
          startedAt: sql`now()`,
          finishesAt: sql`now() + make_interval(secs => ${productionJobs.durationMs} / 1000.0)`,
        })
        .where(and(eq(productionJobs.id, jobId), eq(productionJobs.status, 'queued')))
        .returning();
      return started ?? mustGet(jobId);
    },

    async completeJob(jobId) {
      const [done] = await db
        .update(productionJobs)
        .set({ status: 'done', completedAt: sql`now()` })
        .where(
          and(
            eq(productionJobs.id, jobId),
            eq(productionJobs.status, 'in_production'),
            sql`${productionJobs.finishesAt} <= now()`,
          ),
        )
        .returning();
      return done ?? mustGet(jobId);
    },

    getJob: byId,

    async cancelJob(orderId) {
      await db
        .insert(productionJobs)
        .values({ id: `job_${randomUUID()}`, orderId, spec: [], status: 'cancelled', durationMs: 0 })
        .onConflictDoUpdate({
          target: productionJobs.orderId,
          set: { status: 'cancelled' },
          setWhere: eq(productionJobs.status, 'queued'),
        });
      const [job] = await db.select().from(productionJobs).where(eq(productionJobs.orderId, orderId));
      if (!job) throw new MesError(`production job of order ${orderId} vanished`);
      return job;
    },
  };
}
