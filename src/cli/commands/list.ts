/** `orders list`: newest orders from the shop projection, filtered like the API's list. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { and, desc, eq, isNotNull, type SQL } from 'drizzle-orm';
import { orders, type OrderRow } from '../../order/schema.js';
import { CHANNELS } from '../../domain/order.js';
import { ORDER_STATUSES } from '../../domain/status.js';
import { CliContext, money, printJson, table, usageError, when } from '../support.js';

export const LIST_MAX = 500;

export function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`use a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

interface ListOptions {
  status?: string;
  channel?: 'b2c' | 'b2b';
  partner?: string;
  overdue?: boolean;
  limit: number;
  json?: boolean;
}

const flags = (r: OrderRow) => [r.overdueAt ? 'overdue' : '', r.atRiskAt ? 'at-risk' : ''].filter(Boolean).join(',');

export function registerList(program: Command, ctx: CliContext): Command {
  return program
    .command('list')
    .description('newest orders first, from the shop projection (needs DATABASE_URL or SHOP_DATABASE_URL)')
    .addOption(new Option('--status <status>', 'only orders in this status').choices(ORDER_STATUSES))
    .addOption(new Option('--channel <channel>', 'only shop (b2c) or partner (b2b) orders').choices(CHANNELS))
    .option('--partner <id>', "only this partner's orders (b2b), e.g. acme")
    .option('--overdue', 'only orders whose promised date passed before delivery, most recently overdue first')
    .option('--limit <n>', `at most this many orders (1–${LIST_MAX})`, wholeNumber(1, LIST_MAX), 20)
    .option('--json', 'print the orders as a JSON array')
    .option('--verbose', 'print stack traces of unexpected errors')
    .action(async (opts: ListOptions) => {
      if (opts.partner !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(opts.partner)) {
        throw usageError(`--partner takes a partner id such as acme (letters, digits, . _ -), not "${opts.partner.slice(0, 40)}"`);
      }
      if (opts.partner !== undefined && opts.channel === 'b2c') {
        throw usageError('--partner lists partner (b2b) orders; drop --channel b2c');
      }
      const where: SQL[] = [];
      if (opts.status) where.push(eq(orders.status, opts.status));
      if (opts.channel) where.push(eq(orders.channel, opts.channel));
      if (opts.partner) where.push(eq(orders.partnerId, opts.partner));
      if (opts.overdue) where.push(isNotNull(orders.overdueAt));
      // Plain DESC is the order the list indexes are built in (src/order/schema.ts): an ordered index scan.
      const order = opts.overdue ? [desc(orders.overdueAt), desc(orders.createdAt), desc(orders.id)] : [desc(orders.createdAt), desc(orders.id)];
      const rows = await ctx.onShop((db) =>
        db
          .select()
          .from(orders)
          .where(where.length ? and(...where) : undefined)
          .orderBy(...order)
          .limit(opts.limit),
      );
      if (opts.json) {
        return printJson(
          rows.map((r) => ({
            id: r.id,
            channel: r.channel,
            partnerId: r.partnerId,
            status: r.status,
            priority: r.priority,
            customer: { name: r.customerName, email: r.customerEmail },
            totalMinor: r.totalMinor,
            currency: r.price?.currency ?? null,
            promisedBy: r.promisedBy?.toISOString() ?? null,
            atRiskAt: r.atRiskAt?.toISOString() ?? null,
            overdueAt: r.overdueAt?.toISOString() ?? null,
            createdAt: r.createdAt.toISOString(),
            updatedAt: r.updatedAt.toISOString(),
          })),
        );
      }
      if (rows.length === 0) {
        console.log('no orders match');
        return;
      }
      console.log(
        table([
          ['ID', 'CREATED', 'CHANNEL', 'STATUS', 'PRIORITY', 'TOTAL', 'PROMISED', 'FLAGS'],
          ...rows.map((r) => [
            r.id,
            when(r.createdAt),
            r.channel === 'b2b' ? `b2b/${r.partnerId ?? '?'}` : 'b2c',
            r.status,
            r.priority,
            money(r.totalMinor, r.price?.currency),
            when(r.promisedBy),
            flags(r),
          ]),
        ]),
      );
      if (rows.length === opts.limit) console.error(`showing the newest ${opts.limit}; use --limit (up to ${LIST_MAX}) or filters for more`);
    });
}
