/** `orders status <id>`: one order's state, from its workflow (or the projection when no worker answers). */
import type { Command } from 'commander';
import { STAGES, type OrderState, type TimelineEntry } from '../../order/contract.js';
import { isTerminal } from '../../domain/status.js';
import { CliContext, money, printJson, readOrderState, when } from '../support.js';

/** The step the order is at: the running stage, else the last pipeline stage it reached. */
export function currentStage(state: OrderState): TimelineEntry | undefined {
  const stages = state.timeline.filter((t) => (STAGES as readonly string[]).includes(t.stage));
  return stages.find((t) => t.status === 'running') ?? stages.at(-1);
}

/** The promised-date watch of an order that is neither at risk nor overdue. */
function slaNote(state: OrderState): string {
  if (state.status === 'delivered') return 'promise kept';
  if (isTerminal(state.status)) return '-';
  if (!state.promisedBy) return 'no promise yet';
  return state.sla?.atRiskAt ? `on track (at risk from ${when(state.sla.atRiskAt)})` : 'on track';
}

export function registerStatus(program: Command, ctx: CliContext): Command {
  return program
    .command('status')
    .description('show one order: status, priority, channel, promised date, at-risk/overdue, total, current stage')
    .argument('<id>', 'order id (a UUID)')
    .option('--json', 'print the full order state as JSON')
    .option('--verbose', 'print stack traces of unexpected errors')
    .action(async (rawId: string, opts: { json?: boolean }) => {
      const { state } = await readOrderState(ctx, rawId);
      if (opts.json) return printJson(state);
      const stage = currentStage(state);
      const sla = state.sla;
      const flags = [sla?.overdueAt ? `OVERDUE since ${when(sla.overdueAt)}` : '', sla?.atRisk ? `at risk since ${when(sla.atRiskAt)}` : '']
        .filter(Boolean)
        .join(', ');
      const lines: [string, string][] = [
        ['status', `${state.status}${isTerminal(state.status) ? ' (final)' : ''}`],
        ['priority', state.priority],
        ['channel', state.channel === 'b2b' ? `b2b, partner ${state.partnerId ?? '?'}` : 'b2c (shop)'],
        ['customer', `${state.customer.name} <${state.customer.email}>`],
        ['items', state.items.map((i) => `${i.quantity} × ${i.sku}`).join(', ')],
        ['shipping', state.shipping.method],
        ['total', state.price ? money(state.price.totalMinor, state.price.currency) : 'not priced yet'],
        ['promised by', state.promisedBy ? when(state.promisedBy) : 'not promised yet'],
        ['sla', flags || slaNote(state)],
        ['stage', stage ? `${stage.stage} (${stage.status})${stage.detail ? ` — ${stage.detail}` : ''}` : 'not started'],
        ['created', when(state.createdAt)],
        ['updated', when(state.updatedAt)],
        ...(state.failure ? ([['failure', `${state.failure.type} at ${state.failure.stage}: ${state.failure.message}`]] as [string, string][]) : []),
        ['trace', ctx.trace(state.orderId).url],
      ];
      console.log(`order ${state.orderId}`);
      for (const [k, v] of lines) console.log(`  ${k.padEnd(12)}${v}`);
    });
}
