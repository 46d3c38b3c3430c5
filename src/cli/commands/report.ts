/** `orders report`: stage timing (p50/p95 per stage) and the slowest orders from the shop projection. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { parseSince, reportPng, stageReport } from '../stage-report.js';
import { CliContext, CliError, duration, printJson, table, when } from '../support.js';
import { wholeNumber } from './list.js';

interface Window {
  text: string;
  ms: number;
}

interface ReportOptions {
  since: Window;
  slowest: number;
  json?: boolean;
  png?: string;
}

function since(value: string): Window {
  try {
    return { text: value.trim(), ms: parseSince(value) };
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function registerReport(program: Command, ctx: CliContext): Command {
  return program
    .command('report')
    .description('stage timing from the shop projection: p50/p95 per stage and the slowest orders (needs DATABASE_URL or SHOP_DATABASE_URL)')
    .option('--since <duration>', 'stages started within this long before now: 30m, 24h, 7d, 2w (s, m, h, d, w)', since, since('24h'))
    .option('--slowest <n>', 'how many of the slowest orders to list (1–100)', wholeNumber(1, 100), 10)
    .option('--json', 'print { since, until, stages, slowest } as JSON (durations in ms)')
    .option('--png <file>', 'also write the chart (stage p50/p95, slowest orders) as a PNG image')
    .option('--verbose', 'print stack traces of unexpected errors')
    .addHelpText(
      'after',
      `
A stage counts once it completed and when it started within the window. An order's time is
from its first stage's start to its last completed stage's end within the window.

Examples
  orders report                       the last 24 hours
  orders report --since 7d --slowest 20
  orders report --since 90m --json
  orders report --png stage-timing.png`,
    )
    .action(async (opts: ReportOptions) => {
      const report = await ctx.onShop((db) => stageReport(db, { sinceMs: opts.since.ms, slowest: opts.slowest }));
      if (opts.png) {
        const file = path.resolve(opts.png);
        const png = await reportPng(report, `Stage timing since ${when(report.since)}`);
        await writeFile(file, png).catch((err: NodeJS.ErrnoException) => {
          throw new CliError(`cannot write ${file} (${err.code ?? err.message}) — does its folder exist and is it writable?`);
        });
        console.error(`chart written to ${file}`);
      }
      if (opts.json) return printJson(report);
      const stages = report.stages.reduce((n, s) => n + s.count, 0);
      console.log(`Stage timing of the last ${opts.since.text} (${when(report.since)} to ${when(report.until)}): ${stages} completed stages`);
      console.log(
        table([
          ['STAGE', 'COUNT', 'P50', 'P95', 'MAX'],
          ...report.stages.map((s) => [s.stage, String(s.count), duration(s.p50Ms), duration(s.p95Ms), duration(s.maxMs)]),
        ]),
      );
      console.log('');
      if (report.slowest.length === 0) {
        console.log('no orders in this window');
        return;
      }
      console.log(`Slowest ${report.slowest.length} orders`);
      console.log(
        table([
          ['ORDER', 'CHANNEL', 'STATUS', 'TIME', 'SLOWEST STAGE'],
          ...report.slowest.map((o) => [o.orderId, o.channel, o.status, duration(o.totalMs), `${o.slowestStage} (${duration(o.slowestStageMs)})`]),
        ]),
      );
    });
}
