/**
 * Crash safety: workers run as a separate process, are killed with SIGKILL while orders are
 * mid-pipeline and started again. Every order must still be delivered, with exactly one
 * production job, one shipment and one CRM assignment each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { assignments } from '../src/crm/schema.js';
import { productionJobs } from '../src/mes/schema.js';
import { shipments } from '../src/shipping/schema.js';
import { orders } from '../src/order/schema.js';
import { SYSTEMS } from '../src/platform/config.js';
import { dataConverter } from '../src/platform/temporal/codec.js';
import { OrderRequestSchema } from '../src/domain/order.js';
import { newOrderInput, startOrderWorkflow } from '../src/order/intake.js';
import { orderWorkflowId, statusQuery, type OrderState } from '../src/order/contract.js';
import { sampleOrder, testConfig, testEnv, waitForOrder } from './support/pipeline.js';

const ORDERS = 12;
// Slower clock than the other tests so production takes about a second per order and two
// production lines make a backlog: the kill lands while orders are spread over the stages.
const env = testEnv({ PIPELINE_TIME_SCALE: '0.001', MES_CAPACITY: '2', LOG_LEVEL: 'error' });

function startWorkers(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/workers/main.ts', 'all'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

let connection: Connection;
let client: Client;
let workers: ChildProcess | undefined;
const config = testConfig({ PIPELINE_TIME_SCALE: '0.001' });

beforeAll(async () => {
  connection = await Connection.connect({ address: config.temporal.address });
  client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(config) });
});
afterAll(async () => {
  if (workers) await killed(workers);
  await connection?.close();
});

async function states(ids: string[]): Promise<OrderState[]> {
  return Promise.all(ids.map((id) => client.workflow.getHandle(orderWorkflowId(id)).query(statusQuery)));
}

describe('worker crash', () => {
  it('loses no order and duplicates no side effect when workers are SIGKILLed mid-pipeline', async () => {
    workers = startWorkers();
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const input = newOrderInput({
        source: i % 3 === 0 ? { clientId: 'partner-acme', kind: 'partner', partnerId: 'acme' } : { clientId: 'shop', kind: 'shop' },
        order: OrderRequestSchema.parse(sampleOrder({ shipping: { method: 'pickup' } })),
        timeScale: config.timeScale,
      });
      await startOrderWorkflow(client, input);
      ids.push(input.orderId);
    }

    // Wait until production is under way but not finished for everyone, then kill.
    const deadline = Date.now() + 60_000;
    let snapshot: OrderState[];
    for (;;) {
      snapshot = await states(ids);
      // At the MES: queued for a line or on one.
      const producing = snapshot.filter((s) => s.status === 'in_production' || s.status === 'awaiting_production').length;
      const delivered = snapshot.filter((s) => s.status === 'delivered').length;
      if (producing >= 2 && delivered < ORDERS) break;
      if (Date.now() > deadline) throw new Error(`orders never reached production: ${snapshot.map((s) => s.status).join(',')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const atKill = snapshot.map((s) => s.status);
    await killed(workers);

    // Orders acknowledged before the crash wait in Temporal; a new worker process picks them up.
    workers = startWorkers();
    const final = await Promise.all(ids.map((id) => waitForOrder(client, id, (s) => s.status === 'delivered', 120_000)));
    expect(final.every((s) => s.status === 'delivered')).toBe(true);
    expect(atKill.some((s) => s === 'in_production' || s === 'awaiting_production')).toBe(true);

    const dbs = await openDatabases(config, SYSTEMS);
    try {
      const jobs = await dbs.mes.db.select().from(productionJobs).where(inArray(productionJobs.orderId, ids));
      const jobsPerOrder = new Map<string, number>();
      for (const j of jobs) jobsPerOrder.set(j.orderId, (jobsPerOrder.get(j.orderId) ?? 0) + 1);
      expect(jobs).toHaveLength(ORDERS);
      expect([...jobsPerOrder.values()].every((n) => n === 1)).toBe(true);
      expect(jobs.every((j) => j.status === 'done')).toBe(true);
      // each order's workflow names the job the MES actually holds
      expect(new Set(final.map((s) => s.production?.jobId))).toEqual(new Set(jobs.map((j) => j.id)));

      expect(await dbs.carrier.db.$count(shipments, inArray(shipments.orderId, ids))).toBe(ORDERS);
      expect(await dbs.crm.db.$count(assignments, inArray(assignments.orderId, ids))).toBe(ORDERS);
      const rows = await dbs.shop.db.select({ id: orders.id, status: orders.status }).from(orders).where(inArray(orders.id, ids));
      expect(rows).toHaveLength(ORDERS);
      expect(rows.every((r) => r.status === 'delivered')).toBe(true);
    } finally {
      await dbs.close();
    }
  }, 180_000);
});
