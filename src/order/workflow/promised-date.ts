/**
 * The promised-date watch: durable timers on the promised date. At the at-risk share of the time
 * the order is raised one class (a partner order no higher than the shop's), and when the date
 * passes it is marked overdue and the partner told.
 */
import { condition, log } from '@temporalio/workflow';
import { escalateForPromise } from '../../domain/priority.js';
import { atRiskAt } from '../../domain/sla.js';
import { isTerminal } from '../../domain/status.js';
import type { OrderPriority } from './priority.js';
import { now, waitUntil, type OrderRun } from './run.js';

export async function watchPromisedDate(run: OrderRun, priority: OrderPriority): Promise<void> {
  const { state, input } = run;
  const ended = () => isTerminal(state.status);
  /** Waits `ms` or until the order ends; true when it ended. */
  const endsWithin = async (ms: number) => (ms > 0 && (await waitUntil(ended, ms))) || ended();

  await condition(() => state.promisedBy !== undefined || ended());
  if (ended() || !state.promisedBy) return;
  const promised = new Date(state.promisedBy);
  const share = input.atRiskShare ?? 0.8;
  const risk = atRiskAt(new Date(input.createdAt), promised, share);
  state.sla = { atRiskAt: risk.toISOString() };
  if (await endsWithin(risk.getTime() - Date.parse(now()))) return;

  state.sla.atRisk = true;
  const used = `${Math.round(share * 100)} % of the time to the promised date`;
  const raised = escalateForPromise(state.priority, input.channel);
  if (raised !== state.priority) priority.change(raised, 'escalate', `${used} ${state.promisedBy} used, order still ${state.status}`);
  else run.note('escalate', `${used} used; already ${state.priority}`);
  await run.project();

  if (await endsWithin(promised.getTime() - Date.parse(now()))) return;
  state.sla.overdueAt = now();
  run.note('overdue', `promised by ${state.promisedBy}; order still ${state.status}`);
  log.warn('order overdue', { orderId: input.orderId, promisedBy: state.promisedBy, status: state.status });
  run.notify('order.overdue');
  await run.project();
}
