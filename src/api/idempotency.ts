/**
 * Idempotency keys of `POST /v1/orders` (Stripe semantics), the single writer of
 * `idempotency_keys`. The first request with a key decides the order (id and workflow input);
 * every repeat with the same body gets that same order, one with another body is refused.
 * Concurrent repeats all start the same workflow ID, so Temporal lets exactly one through.
 */
import { createHash } from 'node:crypto';
import { and, eq, gt, lte, sql } from 'drizzle-orm';
import type { ShopDb } from '../../db/index.js';
import { idempotencyKeys } from '../order/schema.js';
import type { OrderWorkflowInput } from '../order/contract.js';

/** Printable ASCII, 1–255 characters, as Stripe and the IETF draft allow. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Canonical JSON (sorted keys) hashed: the same body in any key order is the same request. */
export function requestHash(body: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('hex');
}

export type IdempotencyClaim =
  { outcome: 'new'; input: OrderWorkflowInput } | { outcome: 'repeat'; input: OrderWorkflowInput; started: boolean } | { outcome: 'mismatch' };

export function createIdempotencyStore(shop: ShopDb, ttlMs: number) {
  return {
    /**
     * What an earlier request with `key` decided, if the key is still remembered; undefined when
     * it is new (or expired). A repeat is answered from this alone: the order was validated when
     * the key was first used, and must not be refused later because time has passed (a due date).
     */
    async lookup(args: { clientId: string; key: string; hash: string }): Promise<IdempotencyClaim | undefined> {
      const [existing] = await shop
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.clientId, args.clientId), eq(idempotencyKeys.key, args.key), gt(idempotencyKeys.expiresAt, sql`now()`)));
      if (!existing) return undefined;
      if (existing.requestHash !== args.hash) return { outcome: 'mismatch' };
      return { outcome: 'repeat', input: existing.orderInput, started: existing.startedAt !== null };
    },

    /**
     * Claims `key` for this request with `input`, or returns what an earlier request with the
     * key decided. An expired key is claimed anew.
     */
    async claim(args: { clientId: string; key: string; hash: string; input: OrderWorkflowInput }): Promise<IdempotencyClaim> {
      const expiresAt = new Date(Date.now() + ttlMs);
      const [claimed] = await shop
        .insert(idempotencyKeys)
        .values({ clientId: args.clientId, key: args.key, requestHash: args.hash, orderId: args.input.orderId, orderInput: args.input, expiresAt })
        .onConflictDoUpdate({
          target: [idempotencyKeys.clientId, idempotencyKeys.key],
          set: {
            requestHash: args.hash,
            orderId: args.input.orderId,
            orderInput: args.input,
            startedAt: null,
            createdAt: sql`now()`,
            expiresAt,
          },
          setWhere: lte(idempotencyKeys.expiresAt, sql`now()`),
        })
        .returning({ orderId: idempotencyKeys.orderId });
      if (claimed) return { outcome: 'new', input: args.input };
      const [existing] = await shop
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.clientId, args.clientId), eq(idempotencyKeys.key, args.key)));
      if (!existing) return this.claim(args); // expired and removed in between: claim again
      if (existing.requestHash !== args.hash) return { outcome: 'mismatch' };
      return { outcome: 'repeat', input: existing.orderInput, started: existing.startedAt !== null };
    },

    /** Records that the key's order was durably started. */
    async markStarted(clientId: string, key: string): Promise<void> {
      await shop
        .update(idempotencyKeys)
        .set({ startedAt: sql`now()` })
        .where(and(eq(idempotencyKeys.clientId, clientId), eq(idempotencyKeys.key, key)));
    },

    /** Deletes expired keys; returns how many. */
    async purgeExpired(): Promise<number> {
      const gone = await shop
        .delete(idempotencyKeys)
        .where(lte(idempotencyKeys.expiresAt, sql`now()`))
        .returning({ key: idempotencyKeys.key });
      return gone.length;
    },
  };
}
export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
