/**
 * API clients and their keys. Keys are stored as SHA-256 hashes only; this module is the
 * single writer of `api_clients`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { ShopDb } from '../../db/index.js';
import { apiClients, type ApiClientRow } from '../order/schema.js';
import { DEV_SECRET_VALUES, type Config } from '../platform/config.js';
import { TIER_NAMES, isTier, type Tier } from '../domain/tiers.js';
import { WebhookTargetError, checkWebhookTarget } from '../webhooks/target.js';

/** Kind of client a key belongs to: decides channel and permissions. */
export type ClientKind = ApiClientRow['kind'];

/** The authenticated caller of a request. */
export interface ApiClient {
  id: string;
  name: string;
  kind: ClientKind;
  partnerId?: string;
  /** Rate-limit tier, see src/domain/tiers.ts. */
  tier: string;
  /** Whether status changes of this client's orders are sent to its webhook. */
  hasWebhook: boolean;
}

/** Keys that exist in development and tests (never seeded in production). */
export const DEV_CLIENTS: readonly (Omit<ApiClient, 'hasWebhook'> & { key: string })[] = [
  { id: 'shop', name: 'Online shop', kind: 'shop', tier: 'shop', key: 'shop-dev-key' },
  { id: 'partner-acme', name: 'ACME Print Resale', kind: 'partner', partnerId: 'acme', tier: 'standard', key: 'partner-acme-dev-key' },
  { id: 'partner-globex', name: 'Globex Marketing', kind: 'partner', partnerId: 'globex', tier: 'standard', key: 'partner-globex-dev-key' },
  { id: 'ops', name: 'Operations', kind: 'operator', tier: 'internal', key: 'ops-dev-key' },
  { id: 'mes', name: 'Production (MES)', kind: 'mes', tier: 'internal', key: 'mes-dev-key' },
  { id: 'carrier', name: 'Carrier', kind: 'carrier', tier: 'internal', key: 'carrier-dev-key' },
];

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export async function seedDevClients(shop: ShopDb): Promise<void> {
  await shop
    .insert(apiClients)
    .values(DEV_CLIENTS.map((c) => ({ id: c.id, name: c.name, kind: c.kind, partnerId: c.partnerId ?? null, tier: c.tier, keyHash: hashKey(c.key) })))
    .onConflictDoNothing();
}

/**
 * Clients whose key is public (a development key, see DEV_SECRET_VALUES) and not revoked, e.g.
 * seeded while the database served development: production refuses to start while any exists.
 */
export async function liveDevKeyClients(shop: ShopDb): Promise<string[]> {
  const rows = await shop
    .select({ id: apiClients.id })
    .from(apiClients)
    .where(and(inArray(apiClients.keyHash, DEV_SECRET_VALUES.map(hashKey)), isNull(apiClients.revokedAt)))
    .orderBy(asc(apiClients.id));
  return rows.map((r) => r.id);
}

/** The API clients the MES and the carrier send their events as, with MES_API_KEY / CARRIER_API_KEY. */
export const INTEGRATION_CLIENTS = [
  { id: 'mes', name: 'Production (MES)', kind: 'mes', system: 'mes' },
  { id: 'carrier', name: 'Carrier', kind: 'carrier', system: 'carrier' },
] as const;

/**
 * Registers the keys the MES and the carrier are configured with (MES_API_KEY, CARRIER_API_KEY)
 * as the `mes` and `carrier` clients, so their events authenticate without a key created by
 * hand; a changed variable replaces the old key. A revoked client stays revoked; returns the ids
 * of integration clients that cannot authenticate (revoked, or the id taken by another kind).
 */
export async function registerIntegrationKeys(shop: ShopDb, integrations: Config['integrations']): Promise<string[]> {
  const unusable: string[] = [];
  for (const c of INTEGRATION_CLIENTS) {
    const keyHash = hashKey(integrations[c.system].apiKey);
    const [row] = await shop
      .insert(apiClients)
      .values({ id: c.id, name: c.name, kind: c.kind, tier: DEFAULT_TIER[c.kind], keyHash })
      .onConflictDoUpdate({ target: apiClients.id, set: { keyHash }, setWhere: sql`${apiClients.kind} = ${c.kind}` })
      .returning({ revokedAt: apiClients.revokedAt });
    if (!row || row.revokedAt) unusable.push(c.id);
  }
  return unusable;
}

/** Most keys a ClientDirectory remembers as valid: far more than there are clients. */
export const CLIENT_CACHE_MAX = 10_000;
/** Most unknown keys a ClientDirectory remembers, each for a shorter time than a valid one. */
export const UNKNOWN_KEY_CACHE_MAX = 10_000;
export const UNKNOWN_KEY_CACHE_TTL_MS = 5_000;

/**
 * Looks keys up with a short in-process cache so authentication costs no query per request.
 * Valid and unknown keys are cached apart, each in its own bounded LRU (`lru-cache`): a flood of
 * random keys only pushes other unknown keys out, never a valid client, so it cannot make every
 * real request ask the database again.
 */
export function createClientDirectory(shop: ShopDb, ttlMs = CLIENT_CACHE_TTL_MS) {
  const known = new LRUCache<string, ApiClient>({ max: CLIENT_CACHE_MAX, ttl: ttlMs });
  const unknown = new LRUCache<string, true>({ max: UNKNOWN_KEY_CACHE_MAX, ttl: Math.min(ttlMs, UNKNOWN_KEY_CACHE_TTL_MS) });
  return {
    async byKey(key: string): Promise<ApiClient | undefined> {
      const hash = hashKey(key);
      const hit = known.get(hash);
      if (hit) return hit;
      if (unknown.has(hash)) return undefined;
      const [row] = await shop
        .select()
        .from(apiClients)
        .where(and(eq(apiClients.keyHash, hash), isNull(apiClients.revokedAt)));
      if (!row) {
        unknown.set(hash, true);
        return undefined;
      }
      const client: ApiClient = {
        id: row.id,
        name: row.name,
        kind: row.kind,
        ...(row.partnerId ? { partnerId: row.partnerId } : {}),
        tier: row.tier,
        hasWebhook: Boolean(row.webhookUrl),
      };
      known.set(hash, client);
      return client;
    },
    /** How many valid and unknown keys are cached (for tests and diagnostics). */
    cacheSizes(): { known: number; unknown: number } {
      return { known: known.size, unknown: unknown.size };
    },
  };
}
export type ClientDirectory = ReturnType<typeof createClientDirectory>;

/** Kinds of client, in the order the help lists them. */
export const CLIENT_KINDS: readonly ClientKind[] = ['shop', 'partner', 'operator', 'mes', 'carrier'];

/** Tier a new client gets when none is named. */
export const DEFAULT_TIER: Record<ClientKind, Tier> = { shop: 'shop', partner: 'standard', operator: 'internal', mes: 'internal', carrier: 'internal' };

/** How long a revoked or changed key may still be served from a ClientDirectory's cache. */
export const CLIENT_CACHE_TTL_MS = 30_000;

/** A request to create a client that cannot be carried out as given; the message says what to change. */
export class ClientInputError extends Error {}

/** A client as listed: never its key (only the hash exists) nor its webhook secret. */
export type ClientSummary = Omit<ApiClientRow, 'keyHash' | 'webhookSecret'>;

export interface NewClient {
  name: string;
  kind: ClientKind;
  /** Required for partners (their orders are b2b orders of this partner), refused otherwise. */
  partnerId?: string;
  /** Default: DEFAULT_TIER of the kind. */
  tier?: string;
  /**
   * http(s) URL that receives status changes of the client's orders (signed with a generated
   * secret); a public address only, unless `allowPrivateWebhookTargets`.
   */
  webhookUrl?: string;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: loopback, link-local and private webhook targets are accepted. */
  allowPrivateWebhookTargets?: boolean;
  /** Default: `<kind>-<slug of partner or name>-<6 hex>`. */
  id?: string;
  /** Key prefix: `op_live_` in production, `op_test_` elsewhere. */
  live?: boolean;
}

export interface CreatedClient {
  client: ClientSummary;
  /** The API key: shown once, only its hash is stored. */
  key: string;
  /** HMAC key of the webhook signatures, when a webhook URL was given. */
  webhookSecret?: string;
}

/** Longest client or partner id. */
export const CLIENT_ID_MAX_LENGTH = 63;
/** Shape of client and partner ids: lower-case letters, digits, `.`, `_`, `-`, at most 63. */
export const CLIENT_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function slug(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/, '');
}

/** A new random API key: 32 random bytes, base64url, with a prefix that secret scanners can match. */
export function generateKey(live: boolean): string {
  return `${live ? 'op_live_' : 'op_test_'}${randomBytes(32).toString('base64url')}`;
}

/** Checks a client request without writing; throws ClientInputError saying what to change. */
export function checkNewClient(input: NewClient): { id: string; tier: Tier } {
  const name = input.name.trim();
  if (!name) throw new ClientInputError('The client needs a name: --name "ACME Print Resale".');
  if (!CLIENT_KINDS.includes(input.kind)) {
    throw new ClientInputError(`Unknown kind "${input.kind}"; use one of ${CLIENT_KINDS.join(', ')}.`);
  }
  if (input.kind === 'partner' && !input.partnerId) {
    throw new ClientInputError('A partner client needs the partner id its orders belong to: --partner <id> (e.g. --partner acme).');
  }
  if (input.kind !== 'partner' && input.partnerId) {
    throw new ClientInputError(`Only partner clients have a partner id; drop --partner for a ${input.kind} client.`);
  }
  if (input.partnerId !== undefined && !CLIENT_ID.test(input.partnerId)) {
    throw new ClientInputError(`Partner id "${input.partnerId}" is not usable; use lower-case letters, digits, ".", "_" and "-" (at most 63).`);
  }
  const tier = input.tier ?? DEFAULT_TIER[input.kind];
  if (!isTier(tier)) throw new ClientInputError(`Unknown tier "${tier}"; use one of ${TIER_NAMES.join(', ')}.`);
  if (input.webhookUrl !== undefined) {
    if (input.kind !== 'shop' && input.kind !== 'partner') {
      throw new ClientInputError(
        `${input.kind === 'operator' ? 'Operator' : input.kind.toUpperCase()} keys place no orders, so they get no webhook; drop --webhook-url.`,
      );
    }
    let url: URL;
    try {
      url = new URL(input.webhookUrl);
    } catch {
      throw new ClientInputError(`Webhook URL "${input.webhookUrl}" is not a URL; give an absolute http(s) URL, e.g. https://partner.example/hooks/orders.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ClientInputError(`Webhook URL "${input.webhookUrl}" must use https (or http); e.g. https://partner.example/hooks/orders.`);
    }
    if (url.username || url.password) {
      throw new ClientInputError(`Webhook URL "${input.webhookUrl}" must not carry a user name or password; the signature authenticates the pipeline.`);
    }
  }
  const id = input.id ?? `${input.kind}-${slug(input.partnerId ?? name) || 'client'}-${randomBytes(3).toString('hex')}`;
  if (!CLIENT_ID.test(id)) {
    throw new ClientInputError(`Client id "${id}" is not usable; use lower-case letters, digits, ".", "_" and "-" (at most 63).`);
  }
  return { id, tier };
}

function summary(row: ApiClientRow): ClientSummary {
  const { keyHash: _keyHash, webhookSecret: _webhookSecret, ...rest } = row;
  return rest;
}

/** Creates a client with a new random key; returns the key (the database keeps only its hash). */
export async function createClient(shop: ShopDb, input: NewClient): Promise<CreatedClient> {
  const { id, tier } = checkNewClient(input);
  if (input.webhookUrl !== undefined) {
    // Where the URL points now (IP literal, or what its name resolves to); every delivery checks again.
    await checkWebhookTarget(new URL(input.webhookUrl), { allowPrivate: input.allowPrivateWebhookTargets ?? false }).catch((err: unknown) => {
      throw err instanceof WebhookTargetError ? new ClientInputError(`Webhook URL "${input.webhookUrl}" is refused: ${err.message}.`) : err;
    });
  }
  const key = generateKey(input.live ?? false);
  const webhookSecret = input.webhookUrl !== undefined ? `whsec_${randomBytes(32).toString('base64url')}` : undefined;
  const [row] = await shop
    .insert(apiClients)
    .values({
      id,
      name: input.name.trim(),
      kind: input.kind,
      partnerId: input.partnerId ?? null,
      tier,
      keyHash: hashKey(key),
      webhookUrl: input.webhookUrl ?? null,
      webhookSecret: webhookSecret ?? null,
    })
    .onConflictDoNothing({ target: apiClients.id })
    .returning();
  if (!row) throw new ClientInputError(`A client with id "${id}" exists already; choose another --id (see the list command).`);
  return { client: summary(row), key, ...(webhookSecret ? { webhookSecret } : {}) };
}

export type RevokeResult = { outcome: 'revoked'; client: ClientSummary } | { outcome: 'already-revoked'; client: ClientSummary } | { outcome: 'unknown' };

/**
 * Revokes a client's key. Directories that looked the key up within the last
 * CLIENT_CACHE_TTL_MS may still accept it until their cache entry expires.
 */
export async function revokeClient(shop: ShopDb, id: string): Promise<RevokeResult> {
  const [revoked] = await shop
    .update(apiClients)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiClients.id, id), isNull(apiClients.revokedAt)))
    .returning();
  if (revoked) return { outcome: 'revoked', client: summary(revoked) };
  const [existing] = await shop.select().from(apiClients).where(eq(apiClients.id, id));
  return existing ? { outcome: 'already-revoked', client: summary(existing) } : { outcome: 'unknown' };
}

/** Every client, oldest first, revoked ones included (see `revokedAt`); never keys or secrets. */
export async function listClients(shop: ShopDb): Promise<ClientSummary[]> {
  const rows = await shop.select().from(apiClients).orderBy(asc(apiClients.createdAt), asc(apiClients.id));
  return rows.map(summary);
}
