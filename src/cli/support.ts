/**
 * What every command of the operator CLI shares: its errors (with exit codes), the lazily opened
 * Temporal connection and shop database, reading one order, and text formatting.
 */
import { userInfo } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { openDatabases, openShopReader, type ShopDb, type SystemDb } from '../../db/index.js';
import { traceLink, type TraceLink } from '../api/order-resource.js';
import { ConfigError, loadConfig, temporalConnectionOptions, type Config } from '../platform/config.js';
import { dataConverter } from '../platform/temporal/codec.js';
import { OrderUnreadableError, readOrder, type ReadOrderResult } from '../order/client.js';
import { isOrderId, type OrderState } from '../order/contract.js';

/**
 * A failure the CLI explains in one line. Exit code 2: the caller's mistake (usage, unknown id,
 * a refused request); 1: the environment or anything unexpected.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}
export const usageError = (message: string) => new CliError(message, 2);

export function noOrder(id: string): CliError {
  return usageError(`no order ${id.slice(0, 80)} — order ids are UUIDs; find one with 'orders list'`);
}

/** The order id, normalised; an id that cannot be an order is an unknown order. */
export function orderId(raw: string): string {
  const id = raw.trim().toLowerCase();
  if (!isOrderId(id)) throw noOrder(raw);
  return id;
}

/** Who an operator action is recorded as when `--by` is not given. */
export function defaultActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:operator';
  }
}

/** How long a status query may wait for a worker before the projection answers instead. */
export const QUERY_DEADLINE_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** Lazily opened connections of one CLI run; `close()` releases whatever was opened. */
export class CliContext {
  private cfg: Config | undefined;
  private temporalClient: Promise<{ client: Client; connection: Connection }> | undefined;
  private shopDb: Promise<{ primary: SystemDb<'shop'>; reader: SystemDb<'shop'>; close(): Promise<void> }> | undefined;

  get config(): Config {
    if (!this.cfg) {
      try {
        this.cfg = loadConfig();
      } catch (err) {
        if (err instanceof ConfigError) throw usageError(err.message.replace(/\n\s*/g, ' '));
        throw err;
      }
    }
    return this.cfg;
  }

  trace(id: string): TraceLink {
    return traceLink(this.config.temporal.uiUrl, this.config.temporal.namespace, id);
  }

  /** The Temporal client; a server that does not answer within 5 s is a clear error. */
  async temporal(): Promise<Client> {
    const config = this.config;
    const { address, namespace } = config.temporal;
    this.temporalClient ??= Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: CONNECT_TIMEOUT_MS }).then(
      (connection) => ({ connection, client: new Client({ connection, namespace, dataConverter: dataConverter(config) }) }),
      (err: unknown) => {
        throw new CliError(`cannot reach Temporal at ${address} (${(err as Error).message}) — is \`npm start\` running, or TEMPORAL_ADDRESS wrong?`);
      },
    );
    return (await this.temporalClient).client;
  }

  /** The shop database's read connection (a replica when SHOP_READ_DATABASE_URL is set). */
  async shopReader(): Promise<ShopDb> {
    const config = this.config;
    if (!config.databases.shop) {
      throw usageError(
        'this needs the shop database on PostgreSQL: set DATABASE_URL or SHOP_DATABASE_URL (the embedded PGlite database of `npm start` cannot be opened by a second process)',
      );
    }
    this.shopDb ??= (async () => {
      const dbs = await openDatabases(config, ['shop'], { poolSize: 2 });
      const reader = await openShopReader(config, dbs.shop);
      return {
        primary: dbs.shop,
        reader,
        close: async () => {
          await reader.close();
          await dbs.close();
        },
      };
    })();
    return (await this.shopDb).reader.db;
  }

  /** Runs a query on the shop database; connection problems become one readable line. */
  async onShop<T>(run: (db: ShopDb) => Promise<T>): Promise<T> {
    const db = await this.shopReader();
    const location = (await this.shopDb!).reader.location;
    try {
      return await withTimeout(run(db), 15_000, `the shop database at ${location} did not answer within 15 s`);
    } catch (err) {
      throw databaseError(err, location);
    }
  }

  async close(): Promise<void> {
    const temporal = this.temporalClient;
    const shop = this.shopDb;
    this.temporalClient = undefined;
    this.shopDb = undefined;
    await Promise.allSettled([temporal?.then(({ connection }) => connection.close()), shop?.then((s) => s.close())]);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`${message} — is PostgreSQL running?`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function databaseError(err: unknown, location: string): unknown {
  if (err instanceof CliError) return err;
  // drizzle wraps the driver's error (with the SQL) in a DrizzleQueryError; the cause says why.
  let e = err as { code?: string; message?: string; cause?: unknown };
  while (e.code === undefined && e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  if (e.code === '42P01' || e.code === '42703') {
    return new CliError(
      `the shop database at ${location} is not migrated to this version (${e.message}) — run \`npm run db:migrate\` (or \`npm start\`) first`,
    );
  }
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT' || e.code === 'CONNECT_TIMEOUT' || e.code === '3D000') {
    return new CliError(
      `cannot reach the shop database at ${location} (${e.message ?? e.code}) — is PostgreSQL running, and DATABASE_URL / SHOP_DATABASE_URL right?`,
    );
  }
  if (e !== err) return new CliError(`the shop database at ${location} failed: ${e.message ?? e.code} — rerun with --verbose for details`);
  return err;
}

/** Where an order's state came from: its workflow (its status query, or a finished one's result) or the projection. */
export type StateSource = 'workflow' | 'projection';

/**
 * One order's state: asked of its workflow (the authority), or rebuilt from the shop projection
 * when no worker answers in time or Temporal is unreachable (said on stderr). Unknown orders
 * are a usage error.
 */
export async function readOrderState(ctx: CliContext, rawId: string): Promise<{ state: OrderState; source: StateSource }> {
  const id = orderId(rawId);
  // Without a shop database on PostgreSQL (e.g. `npm start` on PGlite) only the workflow can tell.
  const shopReader = ctx.config.databases.shop ? <T>(read: (db: ShopDb) => Promise<T>) => ctx.onShop(read) : undefined;
  let found: ReadOrderResult | undefined;
  try {
    found = await readOrder({ temporal: () => ctx.temporal(), shopReader }, id, { deadlineMs: QUERY_DEADLINE_MS });
  } catch (err) {
    throw err instanceof OrderUnreadableError ? unreadable(err) : err;
  }
  if (!found) throw noOrder(id);
  if (found.source === 'projection') console.error(`note: answered from the shop projection (may lag the workflow): ${found.why}`);
  return { state: found.state, source: found.source === 'projection' ? 'projection' : 'workflow' };
}

/** Why an order could not be read, as the CLI says it. */
function unreadable(err: OrderUnreadableError): unknown {
  const { orderId: id, why, cause } = err;
  switch (err.projection) {
    case 'none':
      if (err.temporal === 'unreachable') return cause;
      return new CliError(`${why} — is the orders worker running (\`npm start\`)? Set DATABASE_URL or SHOP_DATABASE_URL to read the projection instead.`);
    case 'failed':
      return cause instanceof CliError ? new CliError(`${why}; reading the shop projection instead failed too: ${cause.message}`, cause.exitCode) : cause;
    case 'missing':
      return err.temporal === 'no-answer'
        ? new CliError(`order ${id} exists but ${why}, and the projection has no row for it yet — is the orders worker running?`)
        : new CliError(`${why} (the shop projection has no order ${id} either)`);
  }
}

export { duration, money, printJson, table, when } from './format.js';
