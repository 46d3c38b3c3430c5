/** `orders trace <id>`: the order's timeline with durations and queue waits, and its Web UI link. */
import type { Command } from 'commander';
import type { TimelineEntry } from '../../order/contract.js';
import { CliContext, duration, printJson, readOrderState, table, when } from '../support.js';

/** Milliseconds a timeline entry took (so far, while it runs). */
export function entryDurationMs(entry: TimelineEntry, now = Date.now()): number {
  const end = entry.endedAt ? Date.parse(entry.endedAt) : now;
  return Math.max(0, end - Date.parse(entry.startedAt));
}

export function registerTrace(program: Command, ctx: CliContext): Command {
  return program
    .command('trace')
    .description('the stage timeline of one order (start, duration, queue wait, attempts, priority) and its Temporal Web UI link')
    .argument('<id>', 'order id (a UUID)')
    .option('--json', 'print { orderId, status, trace, timeline } with durationMs per entry as JSON')
    .option('--verbose', 'print stack traces of unexpected errors')
    .action(async (rawId: string, opts: { json?: boolean }) => {
      const { state, source } = await readOrderState(ctx, rawId);
      const trace = ctx.trace(state.orderId);
      const now = Date.now();
      if (opts.json) {
        return printJson({
          orderId: state.orderId,
          status: state.status,
          priority: state.priority,
          source,
          trace,
          timeline: state.timeline.map((e) => ({ ...e, durationMs: entryDurationMs(e, now), running: !e.endedAt })),
        });
      }
      console.log(`order ${state.orderId}: ${state.status}, priority ${state.priority}, created ${when(state.createdAt)}`);
      if (state.timeline.length === 0) {
        console.log('no stage has started yet');
      } else {
        console.log(
          table([
            ['STAGE', 'STATUS', 'START', 'DURATION', 'QUEUE WAIT', 'ATTEMPTS', 'PRIORITY', 'DETAIL'],
            ...state.timeline.map((e) => [
              e.stage,
              e.status,
              when(e.startedAt),
              `${duration(entryDurationMs(e, now))}${e.endedAt ? '' : ' so far'}`,
              duration(e.queueWaitMs),
              String(e.attempts),
              e.priority,
              e.detail ?? '',
            ]),
          ]),
        );
      }
      if (state.failure) console.log(`failure: ${state.failure.type} at ${state.failure.stage}: ${state.failure.message}`);
      console.log(`Web UI: ${trace.url}`);
    });
}
