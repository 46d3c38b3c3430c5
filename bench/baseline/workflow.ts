/**
 * Baseline of the pipeline benchmark: the bare minimum an order-like workflow costs Temporal —
 * five activities one after the other, each doing nothing. Bundled on its own (not part of
 * src/workflows), run by its own worker on its own task queue.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './activities.js';

const { step } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30s' });

/** The five steps of an order (accept, price, route, produce, ship), as no-ops. */
export async function baselineWorkflow(_orderId: string): Promise<number> {
  let n = 0;
  for (let i = 0; i < 5; i++) n = await step(n);
  return n;
}
