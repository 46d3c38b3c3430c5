/**
 * `npm run clients -- <command>`: creates, revokes and lists API clients and their keys in the
 * shop database. Writes go through src/api/clients.ts, the single writer of `api_clients`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { openDatabases } from '../../db/index.js';
import { ConfigError, loadConfig } from '../platform/config.js';
import { TIERS, TIER_NAMES } from '../domain/tiers.js';
import { table } from '../cli/format.js';
import {
  CLIENT_CACHE_TTL_MS,
  CLIENT_KINDS,
  ClientInputError,
  checkNewClient,
  DEFAULT_TIER,
  createClient,
  listClients,
  revokeClient,
  type ClientKind,
  type ClientSummary,
} from './clients.js';

const CACHE_S = CLIENT_CACHE_TTL_MS / 1000;

const HELP = `Usage: npm run clients -- <command> [flags]

Manages the API clients and their keys in the shop database.

Commands
  create --name <name> --kind ${CLIENT_KINDS.join('|')} [--partner <id>] [--tier <tier>]
         [--webhook-url <url>] [--id <client-id>] [--json]
      Creates a client with a new random API key and prints the key ONCE: the database keeps
      only its SHA-256 hash, so a lost key cannot be shown again (create a new client, then
      revoke the old one). With --webhook-url it also generates and prints the secret that
      signs the webhooks (HMAC-SHA256).
        --partner      partner id the client's orders belong to; required for partners (e.g. acme)
        --tier         rate-limit tier; default ${CLIENT_KINDS.map((k) => `${DEFAULT_TIER[k]} for ${k}`).join(', ')}
        --webhook-url  http(s) URL that receives status changes of the client's orders; a public
                       address only (not loopback, link-local or private) unless
                       WEBHOOK_ALLOW_PRIVATE_TARGETS=true
        --id           client id; default <kind>-<partner or name>-<random>
  revoke <client-id> [--json]
      Revokes the client's key. Each API process caches key lookups for ${CACHE_S} s, so a revoked
      key keeps working for up to ${CACHE_S} s after this command.
  list [--json]
      Every client with kind, partner, tier, webhook and status; never keys or secrets.

Tiers (requests per minute per key)
${TIER_NAMES.map((t) => `  ${t.padEnd(10)} ${String(TIERS[t].requestsPerMinute).padStart(6)}`).join('\n')}

Flags
  --json        machine-readable output
  -h, --help    this text

Database: SHOP_DATABASE_URL or DATABASE_URL; without them the embedded database under DATA_DIR,
which only one process may open: stop 'npm start' first.
Exit codes: 0 done, 2 bad command, flags or client id, 1 anything else (e.g. database unreachable).`;

/** A mistake of the caller: printed with a hint, exit code 2. */
class UsageError extends Error {}

const COMMANDS = {
  create: {
    name: { type: 'string' },
    kind: { type: 'string' },
    partner: { type: 'string' },
    tier: { type: 'string' },
    'webhook-url': { type: 'string' },
    id: { type: 'string' },
    json: { type: 'boolean' },
  },
  revoke: { json: { type: 'boolean' } },
  list: { json: { type: 'boolean' } },
} satisfies Record<string, NonNullable<ParseArgsConfig['options']>>;
type Command = keyof typeof COMMANDS;

function isCommand(name: string): name is Command {
  return Object.hasOwn(COMMANDS, name);
}

const flagList = (command: Command) =>
  Object.keys(COMMANDS[command])
    .map((f) => `--${f}`)
    .join(', ');

function parse(command: Command, args: string[]) {
  try {
    return parseArgs({ args, options: COMMANDS[command], allowPositionals: command === 'revoke', strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (!e.code?.startsWith('ERR_PARSE_ARGS')) throw err;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(e.message)?.[1] ?? 'given';
      throw new UsageError(`Unknown flag ${flag} for "${command}"; its flags are ${flagList(command)}.`);
    }
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(`"${command}" takes no arguments besides its flags (${flagList(command)}): ${e.message}`);
    }
    throw new UsageError(e.message);
  }
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const asJson = (c: ClientSummary) => ({ ...c, createdAt: iso(c.createdAt), revokedAt: iso(c.revokedAt) });

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command) throw new UsageError('Name a command: create, revoke or list.');
  if (!isCommand(command)) throw new UsageError(`Unknown command "${command}"; use create, revoke or list.`);
  const { values, positionals } = parse(command, rest);

  let input: Parameters<typeof createClient>[1] | undefined;
  let revokeId: string | undefined;
  if (command === 'create') {
    const v = values as { name?: string; kind?: string; partner?: string; tier?: string; 'webhook-url'?: string; id?: string };
    if (!v.name?.trim()) throw new UsageError('create needs --name <name>, e.g. --name "ACME Print Resale".');
    if (!v.kind) throw new UsageError(`create needs --kind ${CLIENT_KINDS.join('|')}.`);
    if (!CLIENT_KINDS.includes(v.kind as ClientKind)) throw new UsageError(`Unknown kind "${v.kind}"; use one of ${CLIENT_KINDS.join(', ')}.`);
    input = {
      name: v.name,
      kind: v.kind as ClientKind,
      ...(v.partner !== undefined ? { partnerId: v.partner } : {}),
      ...(v.tier !== undefined ? { tier: v.tier } : {}),
      ...(v['webhook-url'] !== undefined ? { webhookUrl: v['webhook-url'] } : {}),
      ...(v.id !== undefined ? { id: v.id } : {}),
    };
    try {
      checkNewClient(input); // before touching the database, so a mistake never waits on it
    } catch (err) {
      throw err instanceof ClientInputError ? new UsageError(err.message) : err;
    }
  } else if (command === 'revoke') {
    if (positionals.length !== 1) throw new UsageError(`revoke takes exactly one client id (got ${positionals.length}), e.g. revoke partner-acme-1a2b3c.`);
    revokeId = positionals[0];
  }

  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  if (!config.databases.shop) {
    console.error(`Using the embedded shop database under ${config.dataDir}; it must not be open in a running 'npm start'.`);
  }
  const json = values.json === true;
  const dbs = await openDatabases(config, ['shop'], { migrate: true, poolSize: 2 });
  try {
    const shop = dbs.shop.db;
    if (command === 'create') {
      const created = await createClient(shop, {
        ...input!,
        live: config.env === 'production',
        allowPrivateWebhookTargets: config.webhooks.allowPrivateTargets,
      }).catch((err: unknown) => {
        throw err instanceof ClientInputError ? new UsageError(err.message) : err;
      });
      const c = created.client;
      if (json) {
        console.log(
          JSON.stringify({ client: asJson(c), key: created.key, ...(created.webhookSecret ? { webhookSecret: created.webhookSecret } : {}) }, null, 2),
        );
        return;
      }
      const limit = TIERS[c.tier as keyof typeof TIERS]?.requestsPerMinute;
      console.log(`Created ${c.kind} client ${c.id} "${c.name}"${c.partnerId ? ` for partner ${c.partnerId}` : ''}, tier ${c.tier} (${limit} requests/min).`);
      console.log('');
      console.log(`  API key:         ${created.key}`);
      if (created.webhookSecret) console.log(`  Webhook secret:  ${created.webhookSecret}   (signs the webhooks to ${c.webhookUrl})`);
      console.log('');
      console.log('The key is shown only now; the database keeps only its hash. Hand it over through a secure channel.');
      console.log(`Clients send it as "Authorization: Bearer <key>".`);
      return;
    }
    if (command === 'revoke') {
      const result = await revokeClient(shop, revokeId!);
      if (result.outcome === 'unknown') {
        throw new UsageError(`No client with id "${revokeId}"; run 'npm run clients -- list' to see the ids.`);
      }
      const c = result.client;
      if (json) {
        console.log(JSON.stringify({ outcome: result.outcome, client: asJson(c) }, null, 2));
        return;
      }
      console.log(
        result.outcome === 'revoked'
          ? `Revoked client ${c.id} "${c.name}" at ${iso(c.revokedAt)}. API processes that looked the key up recently accept it for up to ${CACHE_S} s more.`
          : `Client ${c.id} "${c.name}" was revoked already at ${iso(c.revokedAt)}; nothing changed.`,
      );
      return;
    }
    const clients = await listClients(shop);
    if (json) {
      console.log(JSON.stringify(clients.map(asJson), null, 2));
      return;
    }
    if (clients.length === 0) {
      console.log(`No clients yet; create one with 'npm run clients -- create --name <name> --kind <kind>'.`);
      return;
    }
    console.log(
      table([
        ['ID', 'NAME', 'KIND', 'PARTNER', 'TIER', 'WEBHOOK', 'CREATED', 'STATUS'],
        ...clients.map((c) => [
          c.id,
          c.name,
          c.kind,
          c.partnerId ?? '-',
          c.tier,
          c.webhookUrl ?? '-',
          iso(c.createdAt) ?? '-',
          c.revokedAt ? `revoked ${iso(c.revokedAt)}` : 'active',
        ]),
      ]),
    );
  } finally {
    await dbs.close();
  }
}

const argv = process.argv.slice(2);
const end = argv.indexOf('--');
if ((end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')) {
  console.log(HELP);
  process.exit(0);
}
try {
  await run(argv);
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}`);
    console.error(`Run 'npm run clients -- --help' for the commands and their flags.`);
    process.exit(2);
  }
  console.error(`error: ${(err as Error).message ?? String(err)}`);
  console.error('Check that the shop database is reachable (SHOP_DATABASE_URL or DATABASE_URL) and try again.');
  process.exit(1);
}
