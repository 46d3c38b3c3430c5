/**
 * `orders reprioritize` and `orders cancel`: operator actions on a live order, sent to its
 * workflow as Temporal updates (answered once applied) or, with --signal, as signals.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PRIORITY_CLASSES, type PriorityClass } from '../../domain/priority.js';
import { sendToOrder, signalOrder, type OrderAction, type SendOutcome } from '../../order/client.js';
import type { OrderState } from '../../order/contract.js';
import { CliContext, CliError, defaultActor, noOrder, orderId, printJson, usageError, when } from '../support.js';

const UPDATE_DEADLINE_MS = 60_000;

function text(name: string, max: number) {
  return (value: string): string => {
    const v = value.trim();
    if (v === '') throw new InvalidArgumentError(`${name} must not be empty.`);
    if (v.length > max) throw new InvalidArgumentError(`${name} is at most ${max} characters.`);
    return v;
  };
}

/** How the CLI names each action: what the order has (not) been, and a refusal. */
const SAID: Record<OrderAction['kind'], { what: string; refused: (id: string, reason: string) => string }> = {
  cancel: { what: 'cancelled', refused: (id, reason) => `too late to cancel order ${id}: ${reason}` },
  reprioritize: { what: 'reprioritized', refused: (id, reason) => `order ${id} was not reprioritized: ${reason}` },
};

/** What the order did not take, as the CLI says it. */
function notTaken(id: string, action: OrderAction, outcome: Exclude<SendOutcome, { ok: true }>): CliError {
  const { what, refused } = SAID[action.kind];
  switch (outcome.reason) {
    case 'refused':
    case 'too-many-changes':
      return usageError(refused(id, outcome.message));
    case 'undecided':
      // The order could not decide now (the MES did not answer): not a refusal, worth a retry.
      return new CliError(`order ${id} was not ${what}: ${outcome.message}`);
    case 'ended':
      return usageError(`order ${id} has ended (${outcome.status}); it can no longer be ${what}`);
    case 'unknown':
      return noOrder(id);
    case 'no-answer':
      return new CliError(
        `order ${id}: no answer within ${UPDATE_DEADLINE_MS / 1000} s — the request may still be applied; check with 'orders trace ${id}'. Is the orders worker running?`,
      );
  }
}

/** Sends an update and waits for it to be applied; anything but the new state is a CliError. */
async function update(ctx: CliContext, id: string, action: OrderAction): Promise<OrderState> {
  const outcome = await sendToOrder(await ctx.temporal(), id, action, { deadlineMs: UPDATE_DEADLINE_MS });
  if (!outcome.ok) throw notTaken(id, action, outcome);
  return outcome.state;
}

/** Sends a signal; an order that is not running is a CliError. */
async function signal(ctx: CliContext, id: string, action: OrderAction): Promise<void> {
  const outcome = await signalOrder(await ctx.temporal(), id, action);
  if (!outcome.ok) throw notTaken(id, action, outcome);
}

interface ActionOptions {
  reason: string;
  by?: string;
  signal?: boolean;
  json?: boolean;
}

export function registerReprioritize(program: Command, ctx: CliContext): Command {
  return program
    .command('reprioritize')
    .description("change a live order's priority (Temporal update `reprioritize`); waiting steps are rescheduled with it")
    .argument('<id>', 'order id (a UUID)')
    .addOption(new Option('--priority <class>', 'the new priority class').choices(PRIORITY_CLASSES).makeOptionMandatory())
    .requiredOption('--reason <text>', 'why (recorded in the timeline)', text('--reason', 500))
    .option('--by <name>', 'who asks (recorded in the timeline); default cli:<your user name>', text('--by', 100))
    .option('--signal', 'send the signal `reprioritize` instead: fire and forget, a refusal only lands in the timeline')
    .option('--json', 'print the new order state as JSON')
    .option('--verbose', 'print stack traces of unexpected errors')
    .action(async (rawId: string, opts: ActionOptions & { priority: PriorityClass }) => {
      const id = orderId(rawId);
      const request = { priority: opts.priority, reason: opts.reason, by: opts.by ?? defaultActor() };
      const action = { kind: 'reprioritize', request } as const;
      if (opts.signal) {
        await signal(ctx, id, action);
        if (opts.json) return printJson({ orderId: id, sent: 'signal', name: 'reprioritize', request });
        console.log(
          `sent signal reprioritize (${request.priority}) to order ${id}; check the timeline with 'orders trace ${id}' (a refusal is recorded there)`,
        );
        return;
      }
      const state = await update(ctx, id, action);
      if (opts.json) return printJson(state);
      const entry = [...state.timeline].reverse().find((t) => t.stage === 'reprioritize');
      console.log(`order ${id} is now priority ${state.priority} (status ${state.status})${entry?.detail ? `: ${entry.detail}` : ''}`);
    });
}

export function registerCancel(program: Command, ctx: CliContext): Command {
  return program
    .command('cancel')
    .description('cancel an order until its production has started (Temporal update `cancel`); undoes what was done')
    .argument('<id>', 'order id (a UUID)')
    .requiredOption('--reason <text>', 'why (recorded in the timeline)', text('--reason', 500))
    .option('--by <name>', 'who asks (recorded in the timeline); default cli:<your user name>', text('--by', 100))
    .option('--signal', 'send the signal `cancel` instead: fire and forget, a refusal only lands in the timeline')
    .option('--json', 'print the final order state as JSON')
    .option('--verbose', 'print stack traces of unexpected errors')
    .action(async (rawId: string, opts: ActionOptions) => {
      const id = orderId(rawId);
      const request = { reason: opts.reason, by: opts.by ?? defaultActor() };
      const action = { kind: 'cancel', request } as const;
      if (opts.signal) {
        await signal(ctx, id, action);
        if (opts.json) return printJson({ orderId: id, sent: 'signal', name: 'cancel', request });
        console.log(`sent signal cancel to order ${id}; check the outcome with 'orders trace ${id}' (a refusal is recorded there)`);
        return;
      }
      const state = await update(ctx, id, action);
      if (opts.json) return printJson(state);
      const entry = [...state.timeline].reverse().find((t) => t.stage === 'cancel');
      console.log(`order ${id} is ${state.status} (${when(entry?.endedAt ?? state.updatedAt)})`);
      if (entry?.detail) console.log(`  ${entry.detail}`);
    });
}
