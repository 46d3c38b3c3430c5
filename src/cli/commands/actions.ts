/**
 * `orders reprioritize` and `orders cancel`: operator actions on a live order, sent to its
 * workflow as Temporal updates (answered once applied) or, with --signal, as signals.
 */
import {
  ApplicationFailure,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PRIORITY_CLASSES, type PriorityClass } from '../../domain/priority.js';
import {
  CANCEL_UNAVAILABLE,
  cancelSignal,
  cancelUpdate,
  orderWorkflowId,
  reprioritizeSignal,
  reprioritizeUpdate,
  SEARCH_ATTRIBUTES,
  type OrderState,
} from '../../workflows/order/contract.js';
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

/** A WorkflowNotFoundError from an update or signal: the order is unknown, or it has ended. */
async function notRunning(client: Client, id: string, what: string): Promise<CliError> {
  try {
    const described = await client.workflow.getHandle(orderWorkflowId(id)).describe();
    const status = described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.OrderStatus) ?? described.status.name.toLowerCase();
    return usageError(`order ${id} has ended (${status}); it can no longer be ${what}`);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return noOrder(id);
    throw err;
  }
}

/** Sends an update; a refusal by the workflow becomes a usage error with its reason. */
async function update(
  ctx: CliContext,
  id: string,
  what: string,
  refused: (reason: string) => string,
  send: (client: Client) => Promise<OrderState>,
): Promise<OrderState> {
  const client = await ctx.temporal();
  try {
    return await client.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () => send(client));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const reason = err.cause?.message ?? err.message;
      // The order could not decide now (the MES did not answer): not a refusal, worth a retry.
      if (err.cause instanceof ApplicationFailure && err.cause.type === CANCEL_UNAVAILABLE) throw new CliError(`order ${id} was not ${what}: ${reason}`);
      throw usageError(refused(reason));
    }
    if (err instanceof WorkflowNotFoundError) throw await notRunning(client, id, what);
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      throw new CliError(
        `order ${id}: no answer within ${UPDATE_DEADLINE_MS / 1000} s — the request may still be applied; check with 'orders trace ${id}'. Is the orders worker running?`,
      );
    }
    throw err;
  }
}

async function signal(ctx: CliContext, id: string, what: string, send: (client: Client) => Promise<void>): Promise<void> {
  const client = await ctx.temporal();
  try {
    await send(client);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await notRunning(client, id, what);
    throw err;
  }
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
      const handle = async (client: Client) => client.workflow.getHandle(orderWorkflowId(id));
      if (opts.signal) {
        await signal(ctx, id, 'reprioritized', async (client) => (await handle(client)).signal(reprioritizeSignal, request));
        if (opts.json) return printJson({ orderId: id, sent: 'signal', name: 'reprioritize', request });
        console.log(`sent signal reprioritize (${request.priority}) to order ${id}; check the timeline with 'orders trace ${id}' (a refusal is recorded there)`);
        return;
      }
      const state = await update(
        ctx,
        id,
        'reprioritized',
        (reason) => `order ${id} was not reprioritized: ${reason}`,
        async (client) => (await handle(client)).executeUpdate(reprioritizeUpdate, { args: [request] }),
      );
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
      const handle = async (client: Client) => client.workflow.getHandle(orderWorkflowId(id));
      if (opts.signal) {
        await signal(ctx, id, 'cancelled', async (client) => (await handle(client)).signal(cancelSignal, request));
        if (opts.json) return printJson({ orderId: id, sent: 'signal', name: 'cancel', request });
        console.log(`sent signal cancel to order ${id}; check the outcome with 'orders trace ${id}' (a refusal is recorded there)`);
        return;
      }
      const state = await update(
        ctx,
        id,
        'cancelled',
        (reason) => `too late to cancel order ${id}: ${reason}`,
        async (client) => (await handle(client)).executeUpdate(cancelUpdate, { args: [request] }),
      );
      if (opts.json) return printJson(state);
      const entry = [...state.timeline].reverse().find((t) => t.stage === 'cancel');
      console.log(`order ${id} is ${state.status} (${when(entry?.endedAt ?? state.updatedAt)})`);
      if (entry?.detail) console.log(`  ${entry.detail}`);
    });
}
