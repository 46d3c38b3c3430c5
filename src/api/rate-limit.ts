/**
 * Rate limiting per API key, sized by the client's tier (src/domain/tiers.ts).
 *
 * `express-rate-limit` speaks the protocol (`RateLimit` / `RateLimit-Policy` headers of the IETF
 * draft 8, `Retry-After` on 429); the counters live in the shop database's `rate_limits` table,
 * so every API replica draws on the same budget. One fixed window per client id: the first hit
 * of a window sets `reset_at = now() + window`, later hits count up until then. Each client has
 * its own counter, so a partner's burst never uses up the shop's budget.
 */
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type ClientRateLimitInfo, type Options, type RateLimitInfo, type Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { ShopDb } from '../../db/index.js';
import { rateLimits } from '../order/schema.js';
import { isTier, tierLimits } from '../domain/tiers.js';
import { caller, type AuthFailureLimiter } from './middleware.js';
import { HttpProblem, sendProblem } from './problem.js';

export type { AuthFailureLimiter } from './middleware.js';

/** Length of a rate-limit window: the tiers are sized in requests per minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * express-rate-limit store over `rate_limits`. Each increment is one atomic upsert, so
 * concurrent requests on several replicas never lose a hit and agree on the window.
 *
 * Once a key is over its limit (`saturate`), this replica answers its further hits of that
 * window from memory: they are refused anyway, and a flooding client then costs the shop
 * database nothing until its window ends.
 */
export class PostgresRateLimitStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  private windowMs: number;
  private readonly saturated = new Map<string, { hits: number; resetTime: Date }>();

  constructor(
    private readonly shop: ShopDb,
    options: { windowMs?: number; prefix?: string } = {},
  ) {
    this.windowMs = options.windowMs ?? RATE_LIMIT_WINDOW_MS;
    this.prefix = options.prefix ?? 'client:';
  }

  /** Called by express-rate-limit with its options: its window is the one that counts. */
  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private rowKey(key: string): string {
    return `${this.prefix}${key}`;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const blocked = this.saturated.get(key);
    if (blocked) {
      if (blocked.resetTime.getTime() > Date.now()) {
        blocked.hits += 1;
        return { totalHits: blocked.hits, resetTime: blocked.resetTime };
      }
      this.saturated.delete(key);
    }
    const expired = sql`${rateLimits.resetAt} <= now()`;
    const [row] = await this.shop
      .insert(rateLimits)
      .values({ key: this.rowKey(key), hits: 1, resetAt: sql`now() + ${this.windowMs}::integer * interval '1 millisecond'` })
      .onConflictDoUpdate({
        target: rateLimits.key,
        set: {
          hits: sql`case when ${expired} then 1 else ${rateLimits.hits} + 1 end`,
          resetAt: sql`case when ${expired} then now() + ${this.windowMs}::integer * interval '1 millisecond' else ${rateLimits.resetAt} end`,
        },
      })
      .returning({ hits: rateLimits.hits, resetAt: rateLimits.resetAt });
    if (!row) throw new Error(`rate-limit upsert of ${key} returned no row`);
    return { totalHits: row.hits, resetTime: row.resetAt };
  }

  /** Takes back one hit of the current window (used by express-rate-limit's skip options). */
  async decrement(key: string): Promise<void> {
    const blocked = this.saturated.get(key);
    if (blocked) blocked.hits = Math.max(0, blocked.hits - 1);
    await this.shop
      .update(rateLimits)
      .set({ hits: sql`greatest(${rateLimits.hits} - 1, 0)` })
      .where(and(eq(rateLimits.key, this.rowKey(key)), gt(rateLimits.resetAt, sql`now()`)));
  }

  async resetKey(key: string): Promise<void> {
    this.saturated.delete(key);
    await this.shop.delete(rateLimits).where(eq(rateLimits.key, this.rowKey(key)));
  }

  /** Hits and end of the current window, or undefined when the key has none running. */
  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const [row] = await this.shop
      .select({ hits: rateLimits.hits, resetAt: rateLimits.resetAt })
      .from(rateLimits)
      .where(and(eq(rateLimits.key, this.rowKey(key)), gt(rateLimits.resetAt, sql`now()`)));
    return row ? { totalHits: row.hits, resetTime: row.resetAt } : undefined;
  }

  /** Whether this replica knows `key` to be over its limit in the current window. */
  isSaturated(key: string): boolean {
    const known = this.saturated.get(key);
    return known !== undefined && known.resetTime.getTime() > Date.now();
  }

  /**
   * The key is over its limit until `resetTime`: refuse its further hits here without asking the
   * database. True when this replica did not know it yet (the first refusal of the window).
   */
  saturate(key: string, hits: number, resetTime: Date): boolean {
    const known = this.saturated.get(key);
    if (known && known.resetTime.getTime() === resetTime.getTime()) return false;
    if (this.saturated.size > 10_000) this.saturated.clear();
    this.saturated.set(key, { hits, resetTime });
    return true;
  }
}

/** The tier whose limits apply (an unknown tier name counts as standard, as in `tierLimits`). */
function effectiveTier(tier: string): string {
  return isTier(tier) ? tier : 'standard';
}

/** What a limiter over `rate_limits` counts, and how it answers and logs a refusal. */
interface CountedLimiter {
  shop: ShopDb;
  log: Logger;
  windowMs: number;
  /** Row-key prefix in `rate_limits` (the store's default: `client:`). */
  prefix?: string;
  /** Name of the limiter in its error and warning log lines. */
  name: string;
  keyGenerator: (req: Request) => string;
  limit: number | ((req: Request) => number);
  identifier: string | ((req: Request) => string);
  /** The log line of a key's first refusal in a window on this replica. */
  saturated: (req: Request, info: RateLimitInfo, limit: number) => { fields: Record<string, unknown>; message: string };
  /** Title and detail of the 429. */
  refusal: (req: Request, limit: number, retryAfter: number, resetTime: Date | undefined) => { title: string; detail: string };
}

/**
 * express-rate-limit over a PostgresRateLimitStore: fixed window, draft-8 headers, a failing
 * database lets requests pass (logged), and a refusal is a 429 problem+json with `Retry-After`,
 * logged once per key, replica and window however long the flood.
 */
function countedLimiter(spec: CountedLimiter): { limiter: RequestHandler; store: PostgresRateLimitStore } {
  const { log, windowMs, name } = spec;
  const store = new PostgresRateLimitStore(spec.shop, { windowMs, ...(spec.prefix ? { prefix: spec.prefix } : {}) });
  const limitOf = (req: Request) => (typeof spec.limit === 'number' ? spec.limit : spec.limit(req));
  const limiter = rateLimit({
    windowMs,
    store,
    keyGenerator: spec.keyGenerator,
    limit: spec.limit,
    identifier: spec.identifier,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    passOnStoreError: true,
    logger: {
      error: (err, message) => log.error({ err }, message ?? `${name} error`),
      warn: (err, message) => log.warn({ err }, message ?? `${name} warning`),
    },
    handler: (req, res) => {
      const info = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit;
      const retryAfter = Number(res.getHeader('Retry-After') ?? Math.ceil(windowMs / 1000));
      const limit = info?.limit ?? limitOf(req);
      if (info?.resetTime && store.saturate(info.key, info.used, info.resetTime)) {
        const line = spec.saturated(req, info, limit);
        log.warn(line.fields, line.message);
      }
      const { title, detail } = spec.refusal(req, limit, retryAfter, info?.resetTime);
      sendProblem(
        res,
        new HttpProblem(429, title, detail, { limit, windowSeconds: Math.round(windowMs / 1000), retryAfterSeconds: retryAfter }),
        req.originalUrl,
      );
    },
  });
  return { limiter, store };
}

/**
 * Per-key limiter for the routes behind `authenticate`: key = client id, limit = the tier's
 * requests per minute. Over the limit: 429 problem+json with `Retry-After`. If the database
 * cannot count, the request passes (logged): the limiter must not take the API down with it.
 */
export function createRateLimiter(options: { shop: ShopDb; log: Logger; windowMs?: number }): RequestHandler {
  const windowMs = options.windowMs ?? RATE_LIMIT_WINDOW_MS;
  return countedLimiter({
    shop: options.shop,
    log: options.log,
    windowMs,
    name: 'rate limiter',
    keyGenerator: (req) => caller(req).id,
    limit: (req) => tierLimits(caller(req).tier).requestsPerMinute,
    identifier: (req) => effectiveTier(caller(req).tier),
    saturated: (req, info, limit) => {
      const client = caller(req);
      return { fields: { clientId: client.id, tier: client.tier, limit, resetAt: info.resetTime }, message: 'rate limit exceeded' };
    },
    refusal: (req, limit, retryAfter, resetTime) => {
      const client = caller(req);
      return {
        title: 'Too many requests',
        detail:
          `API key of client "${client.id}" (tier ${effectiveTier(client.tier)}) may make ${limit} requests per ${Math.round(windowMs / 1000)} s. ` +
          `Retry in ${retryAfter} s${resetTime ? ` (at ${resetTime.toISOString()})` : ''}; for a higher limit, ask for another tier.`,
      };
    },
  }).limiter;
}

/**
 * Default of AUTH_FAILURES_PER_MINUTE: failed authentications (missing, malformed, unknown or
 * revoked key) one source address may make per window. A client with a valid key never fails;
 * one with a mistyped key sees its 401s well before this.
 */
export const AUTH_FAILURE_LIMIT = 60;

/** The source address a request is counted under (IPv6 by its /56, as express-rate-limit advises). */
function addressKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/** Runs an express-rate-limit middleware; true when it let the request through. */
function passes(limiter: RequestHandler, req: Request, res: Response): Promise<boolean> {
  return new Promise((resolve, reject) => {
    Promise.resolve(limiter(req, res, (err?: unknown) => (err ? reject(err) : resolve(true)))).then(() => resolve(false), reject);
  });
}

/**
 * Failed authentications are counted per source address (express-rate-limit over the same
 * `rate_limits` table, so replicas share the count; prefix `auth-failure:`). Only failures count:
 * a valid key costs nothing here. Once an address is over `limit` failures in a window, this
 * replica refuses its requests from memory (429 problem+json with `Retry-After`) until the window
 * ends: a key-guessing flood then costs neither key lookups nor database writes.
 */
export function createAuthFailureLimiter(options: { shop: ShopDb; log: Logger; limit?: number; windowMs?: number }): AuthFailureLimiter {
  const windowMs = options.windowMs ?? RATE_LIMIT_WINDOW_MS;
  const { limiter, store } = countedLimiter({
    shop: options.shop,
    log: options.log,
    windowMs,
    prefix: 'auth-failure:',
    name: 'auth failure limiter',
    keyGenerator: addressKey,
    limit: options.limit ?? AUTH_FAILURE_LIMIT,
    identifier: 'auth-failures',
    saturated: (_req, info, limit) => ({
      fields: { address: info.key, limit, resetAt: info.resetTime },
      message: 'too many failed authentications from one address',
    }),
    refusal: (_req, limit, retryAfter) => ({
      title: 'Too many failed authentications',
      detail: `This address sent more than ${limit} requests without a valid API key within ${Math.round(windowMs / 1000)} s. Retry in ${retryAfter} s with a valid key.`,
    }),
  });
  return {
    async admit(req, res) {
      if (!store.isSaturated(addressKey(req))) return true;
      return passes(limiter, req, res);
    },
    recordFailure(req, res) {
      return passes(limiter, req, res);
    },
  };
}
