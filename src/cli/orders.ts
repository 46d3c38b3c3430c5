/**
 * The operator CLI, `npx orders <command>` (bin/orders.mjs) or `npm run orders -- <command>`:
 * reads and acts on orders through Temporal (the source of truth) and the shop projection
 * directly, reports stage timing from the projection, and makes load through the REST API.
 *
 * Parsing uses `commander` rather than node:util parseArgs (as the smaller clients CLI does):
 * seven subcommands, each with its own typed options, choices and required flags, get their
 * `--help` pages, "did you mean" suggestions and argument validation generated from one
 * declaration instead of hand-written usage text that drifts from the code.
 */
import { Command, CommanderError } from 'commander';
import { registerCancel, registerReprioritize } from './commands/actions.js';
import { registerList } from './commands/list.js';
import { registerReport } from './commands/report.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStatus } from './commands/status.js';
import { registerTrace } from './commands/trace.js';
import { CliContext, CliError } from './support.js';

const EPILOG = `
Examples
  orders status 5f0c6a8e-…                     one order, from its workflow
  orders list --status in_production --channel b2b --limit 50
  orders list --overdue --json
  orders reprioritize 5f0c6a8e-… --priority rush --reason "trade fair on Monday"
  orders cancel 5f0c6a8e-… --reason "customer changed the design"
  orders trace 5f0c6a8e-…                      stage timeline + Temporal Web UI link
  orders simulate --orders 200 --rate 20 --mix b2c=0.3 --wait
  orders report --since 24h --png stage-timing.png   stage p50/p95 and the slowest orders

Environment (see README, "Configuration"): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_UI_URL;
DATABASE_URL or SHOP_DATABASE_URL for 'list', 'report' and for 'status'/'trace' when no worker answers
(the embedded PGlite database of 'npm start' cannot be shared with another process).

Exit codes: 0 done; 2 bad command or flags, unknown order, or a request the order refused;
1 anything else (Temporal, database or API unreachable, unexpected errors; --verbose shows details).`;

/** The program with its subcommands; `ctx` opens connections only when a command needs them. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('orders')
    .description('Operator CLI of the order pipeline: inspect, reprioritize, cancel and trace orders, and simulate load.')
    .exitOverride()
    .showSuggestionAfterError()
    .addHelpText('after', EPILOG);
  for (const register of [registerStatus, registerList, registerReprioritize, registerCancel, registerTrace, registerSimulate, registerReport]) {
    register(program, ctx);
  }
  // Mistakes commander finds (unknown flag, bad choice, missing argument) end in one line that
  // says where the help is.
  const hint = (cmd: Command) => ({
    outputError: (message: string, write: (s: string) => void) =>
      write(`${message.trimEnd()} — see '${cmd.parent ? `orders ${cmd.name()}` : 'orders'} --help'\n`),
  });
  program.configureOutput(hint(program));
  for (const cmd of program.commands) cmd.configureOutput(hint(cmd));
  return program;
}

/** Prints the failure in one line (a stack trace only with --verbose); returns the exit code. */
function report(err: unknown, verbose: boolean): number {
  if (err instanceof CommanderError) {
    // commander printed the message (or the help) already
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof CliError) {
    console.error(`error: ${err.message}`);
    if (verbose && err.stack) console.error(err.stack);
    return err.exitCode;
  }
  const e = err as Error;
  console.error(`error: ${e?.message ?? String(err)} — unexpected; rerun with --verbose for details`);
  if (verbose) console.error(e?.stack ?? err);
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  const ctx = new CliContext();
  let code = 0;
  try {
    await buildProgram(ctx).parseAsync(argv);
  } catch (err) {
    code = report(err, argv.includes('--verbose'));
  } finally {
    await Promise.race([ctx.close(), new Promise((r) => setTimeout(r, 5_000).unref())]);
  }
  return code;
}

const code = await main(process.argv);
process.exitCode = code;
// Whatever still holds the event loop (a slow connection close) must not keep the CLI alive.
setTimeout(() => process.exit(code), 3_000).unref();
