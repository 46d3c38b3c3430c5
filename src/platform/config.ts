import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The one place that reads the environment. Every variable is documented in the README;
 * defaults match docker-compose.yml.
 */
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .pipe(z.string().url().optional())
  .optional();

/** Values of OTEL_TRACES_EXPORTER: OTLP over HTTP, spans printed to stdout, or none. */
export const TRACE_EXPORTERS = ['otlp', 'console', 'none'] as const;
export type TraceExporterName = (typeof TRACE_EXPORTERS)[number];
/** Where OTLP/HTTP traces go when OTEL_TRACES_EXPORTER=otlp names no endpoint (the specification's default). */
export const DEFAULT_OTLP_TRACES_ENDPOINT = 'http://localhost:4318/v1/traces';

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_BASE_URL: optionalUrl,

  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_SETUP: z.enum(['auto', 'check']).optional(),
  TEMPORAL_NAMESPACE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // The names Temporal's own clients and CLI read (its environment configuration).
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),

  DATABASE_URL: optionalUrl,
  SHOP_DATABASE_URL: optionalUrl,
  CRM_DATABASE_URL: optionalUrl,
  MES_DATABASE_URL: optionalUrl,
  CARRIER_DATABASE_URL: optionalUrl,
  PRICING_DATABASE_URL: optionalUrl,
  SHOP_READ_DATABASE_URL: optionalUrl,
  DATA_DIR: z.string().default('.data'),

  PIPELINE_TIME_SCALE: z.coerce.number().positive().max(1000).default(1),
  MES_CAPACITY: positiveInt(3),
  ORDERS_CONCURRENCY: positiveInt(50),
  PRICING_CONCURRENCY: positiveInt(4),
  CRM_CONCURRENCY: positiveInt(10),
  SHIPPING_CONCURRENCY: positiveInt(20),
  MAX_CACHED_WORKFLOWS: positiveInt(500),
  WORKER_SLOTS: z.enum(['resource', 'fixed']).default('resource'),
  WORKER_TARGET_CPU: z.coerce.number().gt(0).max(1).default(0.8),
  WORKER_TARGET_MEMORY: z.coerce.number().gt(0).max(1).default(0.8),
  DATABASE_POOL_SIZE: positiveInt(10),
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  SLA_AT_RISK_SHARE: z.coerce.number().gt(0).lt(1).default(0.8),
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 90)
    .default(24),
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().positive().max(100_000).default(60),

  METRICS_PORT: port.optional(),
  METRICS_HOST: z.string().trim().min(1).max(255).optional(),
  TEMPORAL_METRICS_PORT: port.optional(),
  METRICS_CACHE_SECONDS: z.coerce.number().min(0).max(300).default(5),

  MES_EVENTS_URL: optionalUrl,
  MES_API_KEY: z.string().min(1).max(512).default('mes-dev-key'),
  MES_WEBHOOK_SECRET: z.string().min(8).default('mes-dev-webhook-secret'),
  CARRIER_EVENTS_URL: optionalUrl,
  CARRIER_API_KEY: z.string().min(1).max(512).default('carrier-dev-key'),
  CARRIER_WEBHOOK_SECRET: z.string().min(8).default('carrier-dev-webhook-secret'),
  CARRIER_EVENT_GRACE_SECONDS: z.coerce
    .number()
    .min(0)
    .max(7 * 24 * 3600)
    .default(300),
  PRODUCE_CALLBACK_SECRET: z.string().min(32).max(512).optional(),
  PAYLOAD_ENCRYPTION_KEYS: z.string().max(16_384).optional(),
  OUTBOX_GIVE_UP_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.enum(['true', 'false']).default('false'),
  // OpenTelemetry's standard variables (the subset this product reads; see README, "Tracing").
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(200).optional(),
  OTEL_TRACES_EXPORTER: z
    .string()
    .transform((s) => [
      ...new Set(
        s
          .split(',')
          .map((e) => e.trim())
          .filter((e) => e !== ''),
      ),
    ])
    .pipe(z.array(z.enum(TRACE_EXPORTERS)))
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
});

export type Env = z.infer<typeof EnvSchema>;

/** Databases owned by the systems of the pipeline; no table lives in two of them. */
export const SYSTEMS = ['shop', 'crm', 'mes', 'carrier', 'pricing'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  port: number;
  publicBaseUrl: string;
  temporal: {
    address: string;
    namespace: string;
    uiUrl: string;
    cliPath?: string;
    /**
     * What the start-up of `npm start`, the API and the workers does about the namespace and the
     * search attributes: `auto` creates what is missing, `check` only reports it (readiness fails
     * until `npm run temporal:setup` ran). Default: `check` in production, else `auto`.
     */
    setup: 'auto' | 'check';
    /** Retention of closed orders' workflows on a namespace the setup registers. */
    namespaceRetentionDays: number;
    /** TLS to the frontend (with a client certificate: mTLS); `undefined`: plain gRPC. */
    tls: TemporalTls | undefined;
  };
  /** Connection URL per system; `undefined` means embedded PGlite under `dataDir`. */
  databases: Record<SystemName, string | undefined>;
  shopReadUrl: string | undefined;
  /** Server URL the per-system databases are derived from (created if missing). */
  databaseServerUrl: string | undefined;
  dataDir: string;
  timeScale: number;
  concurrency: { orders: number; pricing: number; crm: number; mes: number; shipping: number };
  maxCachedWorkflows: number;
  /**
   * How a worker hands out task slots (WORKER_SLOTS). `resource`: only while the machine's CPU
   * and memory stay under their targets, up to the queue's concurrency, so a process on a busy
   * machine does not take tasks it cannot run before their timeouts; `fixed`: always the
   * queue's concurrency. The MES queue is always fixed: its concurrency is the plant's capacity.
   */
  workerSlots: { mode: 'resource' | 'fixed'; targetCpu: number; targetMemory: number };
  /** Connections per database and process on PostgreSQL (DATABASE_POOL_SIZE). */
  databasePoolSize: number;
  /** Pre-built workflow bundle for the orders worker; unset = bundle at start. */
  workflowBundlePath: string | undefined;
  /** How long an Idempotency-Key is remembered. */
  idempotencyTtlMs: number;
  /** Failed authentications one source address may make per minute before it gets 429. */
  authFailuresPerMinute: number;
  /** Share of the time to the promised date after which an undelivered order escalates. */
  atRiskShare: number;
  metrics: {
    /**
     * Port of the process's own `/metrics` listener (API and workers alike; never the API's public
     * PORT); undefined = none (`npm start` then uses DEFAULT_METRICS_PORT unless METRICS_PORT=0).
     */
    port: number | undefined;
    /** METRICS_PORT=0: no metrics listener at all, not even `npm start`'s default one. */
    off: boolean;
    /** Address the metrics listener binds; undefined = every interface (`npm start`: loopback). */
    host: string | undefined;
    /** Port of the Temporal SDK's Prometheus exporter (worker internals); undefined = off. */
    sdkPort: number | undefined;
    /** How long gauges read from the projection and Temporal are reused between scrapes. */
    cacheMs: number;
  };
  tracing: {
    /** `service.name` of this process's spans; undefined = the entry point's own name. */
    serviceName: string | undefined;
    /** Where finished spans go; empty = nowhere (trace ids still reach the logs). */
    exporters: Exclude<TraceExporterName, 'none'>[];
    /** Full OTLP/HTTP traces URL (…/v1/traces) when `exporters` has `otlp`. */
    otlpTracesUrl: string | undefined;
  };
  /** Events the embedded MES and carrier send to the API's integration webhooks. */
  integrations: {
    mes: IntegrationConfig;
    carrier: IntegrationConfig;
    /** How long past the expected delivery an order waits for the carrier's event before asking the carrier. */
    carrierEventGraceMs: number;
    /** HMAC key of the callback references the pipeline hands the MES with a job (signed, verified on the way back). */
    callbackSecret: string;
  };
  /**
   * Keys of the payload codec (src/platform/temporal/codec.ts) every client and worker encrypts workflow
   * payloads with: the first encrypts, all decrypt (rotation: prepend a new key, keep the old ones).
   */
  payloadKeys: readonly PayloadKey[];
  webhooks: {
    /** Whether partner webhooks may target loopback, link-local and private addresses (tests, closed networks). */
    allowPrivateTargets: boolean;
  };
}

/** One system's side of the integration webhooks. */
export interface IntegrationConfig {
  /** Where the system POSTs its events; undefined = it sends none (`npm start` points it at its own API). */
  eventsUrl: string | undefined;
  /** API key the system authenticates with (kind `mes` / `carrier`). */
  apiKey: string;
  /** HMAC-SHA256 key of the `Webhook-Signature` header, shared by the system and the API. */
  webhookSecret: string;
  /** How long the system's outbox retries an event before moving it to its dead letters. */
  giveUpMs: number;
}

/** One AES-256 key of the payload codec: its id travels in each encrypted payload's metadata. */
export interface PayloadKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/**
 * Payload key outside production when PAYLOAD_ENCRYPTION_KEYS is unset; production refuses it.
 * Public by design: it only keeps development and test histories in the same shape as production's.
 */
export const DEV_PAYLOAD_KEY_SPEC = 'dev:ZGV2LW9ubHktcGF5bG9hZC1rZXktbm90LXNlY3JldCE=';

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses `keyId:base64key,…` (32-byte keys, ids unique); throws a readable reason otherwise.
 * The reason never quotes a key, only ids and positions.
 */
export function parsePayloadKeys(spec: string): PayloadKey[] {
  const entries = spec.split(',').map((e) => e.trim());
  const keys: PayloadKey[] = [];
  entries.forEach((entry, i) => {
    const where = `entry ${i + 1}`;
    const colon = entry.indexOf(':');
    if (entry === '' || colon < 0) throw new Error(`${where} is not "keyId:base64key" (e.g. k2026:$(openssl rand -base64 32))`);
    const id = entry.slice(0, colon).trim();
    const b64 = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) throw new Error(`${where}: the key id must be 1-64 letters, digits, ".", "_" or "-"`);
    if (keys.some((k) => k.id === id)) throw new Error(`key id "${id}" appears twice; every key needs its own id`);
    const key = Buffer.from(b64, 'base64');
    if (!BASE64.test(b64) || b64.length % 4 !== 0 || key.toString('base64') !== b64) throw new Error(`key "${id}" is not valid base64`);
    if (key.length !== 32) throw new Error(`key "${id}" has ${key.length} bytes; AES-256 needs 32 (e.g. \`openssl rand -base64 32\`)`);
    keys.push({ id, key });
  });
  return keys;
}

/** Callback secret outside production when PRODUCE_CALLBACK_SECRET is unset. */
export const DEV_PRODUCE_CALLBACK_SECRET = 'dev-produce-callback-secret-not-for-production';

/** Port of `npm start`'s metrics listener when METRICS_PORT is unset (the OpenTelemetry Prometheus exporter's usual port). */
export const DEFAULT_METRICS_PORT = 9464;

/** Shortest secret or key production accepts: 32 characters (`openssl rand -hex 32` gives 64). */
export const MIN_PRODUCTION_SECRET_LENGTH = 32;

/**
 * Keys and secrets that are public because development uses them: the dev API clients'
 * keys (src/api/clients.ts) and the development webhook and callback secrets. Production
 * refuses every one of them in any of the variables below.
 */
export const DEV_SECRET_VALUES: readonly string[] = [
  'shop-dev-key',
  'partner-acme-dev-key',
  'partner-globex-dev-key',
  'ops-dev-key',
  'mes-dev-key',
  'carrier-dev-key',
  'mes-dev-webhook-secret',
  'carrier-dev-webhook-secret',
  DEV_PRODUCE_CALLBACK_SECRET,
];

/** What each secret of a production process is for: the hint of its refusal. */
const PRODUCTION_SECRETS = {
  PRODUCE_CALLBACK_SECRET: 'HMAC key of the MES callback references, the same on the API and the mes workers',
  MES_WEBHOOK_SECRET: "HMAC key of the MES's event signatures, the same on the API and the mes workers",
  CARRIER_WEBHOOK_SECRET: "HMAC key of the carrier's event signatures, the same on the API and the shipping workers",
  MES_API_KEY: 'API key the MES sends its events with, the same on the API and the mes workers',
  CARRIER_API_KEY: 'API key the carrier sends its events with, the same on the API and the shipping workers',
} as const;

const DATABASE_URL_VARIABLES = [
  'DATABASE_URL',
  'SHOP_DATABASE_URL',
  'CRM_DATABASE_URL',
  'MES_DATABASE_URL',
  'CARRIER_DATABASE_URL',
  'PRICING_DATABASE_URL',
  'SHOP_READ_DATABASE_URL',
] as const;

/** Placeholders of .env.example and the like: never a real secret. */
const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?me|^(?:secret|password|changeit|xxx+)$/i;

/** One line per production secret that is unset, a development value, a placeholder or too short. */
function productionSecretIssues(given: Record<string, string | undefined>): string[] {
  const how = `at least ${MIN_PRODUCTION_SECRET_LENGTH} characters, e.g. \`openssl rand -hex 32\``;
  const issues: string[] = [];
  for (const [name, purpose] of Object.entries(PRODUCTION_SECRETS)) {
    const value = given[name]?.trim();
    const problem =
      value === undefined || value === ''
        ? 'required in production'
        : DEV_SECRET_VALUES.includes(value)
          ? 'is a development value, public in the source; production refuses it'
          : PLACEHOLDER.test(value)
            ? 'is a placeholder; production refuses it'
            : value.length < MIN_PRODUCTION_SECRET_LENGTH
              ? `too short for production (${value.length} characters)`
              : undefined;
    if (problem) issues.push(`  ${name}: ${problem}; set a secret of your own (${how}): the ${purpose}`);
  }
  // A database password that is a placeholder or the well-known default of the postgres image.
  for (const name of DATABASE_URL_VARIABLES) {
    let password: string;
    try {
      password = decodeURIComponent(new URL(given[name] ?? '').password);
    } catch {
      continue; // not a URL: the schema names it
    }
    if (password !== '' && (PLACEHOLDER.test(password) || password === 'postgres')) {
      issues.push(
        `  ${name}: its password is a placeholder or the default \`postgres\`; production refuses it: set a password of your own (e.g. \`openssl rand -hex 32\`)`,
      );
    }
  }
  return issues;
}

/** Database name of each system on a shared server. */
export const DATABASE_NAMES: Record<SystemName, string> = {
  shop: 'orders_shop',
  crm: 'orders_crm',
  mes: 'orders_mes',
  carrier: 'orders_carrier',
  pricing: 'orders_pricing',
};

/** The same server URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export class ConfigError extends Error {}

/** TLS of the connections to Temporal, in the SDK's shape (`Connection` and `NativeConnection` take it as it is). */
export interface TemporalTls {
  /** The CA the frontend's certificate is checked against; unset: the system's roots. */
  serverRootCACertificate?: Buffer;
  /** This process's certificate and key, for a frontend that requires client certificates (mTLS). */
  clientCertPair?: { crt: Buffer; key: Buffer };
  /** The name the frontend's certificate must carry when it differs from the address's host. */
  serverNameOverride?: string;
}

/** The refusal of a production process that was given no TLS to Temporal at all. */
const PRODUCTION_PLAIN_TEMPORAL =
  'TEMPORAL_TLS: production connects to Temporal over TLS: set TEMPORAL_TLS_SERVER_CA_CERT_PATH, and TEMPORAL_TLS_CLIENT_CERT_PATH with ' +
  'TEMPORAL_TLS_CLIENT_KEY_PATH for a frontend that requires client certificates (mTLS); or TEMPORAL_TLS=false to use plain gRPC on purpose ' +
  '(a private network or a sidecar that encrypts it)';

/**
 * TLS from TEMPORAL_TLS_*: on when TEMPORAL_TLS=true or a certificate path is given, unless
 * TEMPORAL_TLS=false. Files that cannot be read, or a certificate without its key, are issues;
 * so is production with none of them (plain gRPC only when TEMPORAL_TLS=false says so).
 */
function temporalTlsOf(e: Env, issues: string[]): TemporalTls | undefined {
  const paths = [e.TEMPORAL_TLS_SERVER_CA_CERT_PATH, e.TEMPORAL_TLS_CLIENT_CERT_PATH, e.TEMPORAL_TLS_CLIENT_KEY_PATH];
  if (e.TEMPORAL_TLS === 'false') return undefined;
  if (e.TEMPORAL_TLS !== 'true' && paths.every((p) => p === undefined)) {
    // Plain gRPC lets anyone on the path read order payloads' metadata and, without client
    // certificates, call the frontend: production has it only when an operator says so.
    if (e.NODE_ENV === 'production') issues.push(PRODUCTION_PLAIN_TEMPORAL);
    return undefined;
  }
  const read = (name: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      issues.push(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of a PEM file`);
      return undefined;
    }
  };
  const ca = read('TEMPORAL_TLS_SERVER_CA_CERT_PATH', e.TEMPORAL_TLS_SERVER_CA_CERT_PATH);
  const crt = read('TEMPORAL_TLS_CLIENT_CERT_PATH', e.TEMPORAL_TLS_CLIENT_CERT_PATH);
  const key = read('TEMPORAL_TLS_CLIENT_KEY_PATH', e.TEMPORAL_TLS_CLIENT_KEY_PATH);
  if ((e.TEMPORAL_TLS_CLIENT_CERT_PATH === undefined) !== (e.TEMPORAL_TLS_CLIENT_KEY_PATH === undefined)) {
    issues.push('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: a client certificate needs its key, and a key its certificate; set both');
  }
  return {
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
}

/** Address and TLS of the Temporal frontend, to spread into `Connection.connect` / `NativeConnection.connect`. */
export function temporalConnectionOptions(config: Pick<Config, 'temporal'>): { address: string; tls?: TemporalTls } {
  return config.temporal.tls ? { address: config.temporal.address, tls: config.temporal.tls } : { address: config.temporal.address };
}

/** The configuration of a command's process; a readable message and exit code 2 when it is invalid. */
export function loadConfigOrExit(source: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // A variable set to the empty string counts as unset, so `PORT=` means the default port.
  const given = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = EnvSchema.safeParse(given);
  // Production runs on secrets of its own only: every one that is missing or public is listed,
  // with the other invalid variables, in one message (its own line replaces the schema's).
  const secretIssues = given.NODE_ENV?.trim() === 'production' ? productionSecretIssues(given) : [];
  const secretNames = new Set(secretIssues.map((line) => line.trim().split(':')[0]!));
  const keyIssues: string[] = [];
  const payloadKeys = parsed.success ? payloadKeysOf(parsed.data, keyIssues) : [];
  const temporalTls = parsed.success ? temporalTlsOf(parsed.data, keyIssues) : undefined;
  const lines = [
    ...(parsed.success ? [] : parsed.error.issues.filter((i) => !secretNames.has(String(i.path[0]))).map((i) => `  ${i.path.join('.')}: ${i.message}`)),
    ...secretIssues,
    ...keyIssues.map((i) => `  ${i}`),
  ];
  if (!parsed.success || lines.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nFix the variables above (see README, "Configuration").`);
  }
  const e = parsed.data;
  const giveUpMs = Math.round(e.OUTBOX_GIVE_UP_HOURS * 3_600_000);
  const derive = (system: SystemName, explicit: string | undefined) =>
    explicit ?? (e.DATABASE_URL ? withDatabase(e.DATABASE_URL, DATABASE_NAMES[system]) : undefined);
  const databases: Record<SystemName, string | undefined> = {
    shop: derive('shop', e.SHOP_DATABASE_URL),
    crm: derive('crm', e.CRM_DATABASE_URL),
    mes: derive('mes', e.MES_DATABASE_URL),
    carrier: derive('carrier', e.CARRIER_DATABASE_URL),
    pricing: derive('pricing', e.PRICING_DATABASE_URL),
  };
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      uiUrl: e.TEMPORAL_UI_URL.replace(/\/$/, ''),
      cliPath: e.TEMPORAL_CLI_PATH,
      // A shared production cluster is changed only when asked to.
      setup: e.TEMPORAL_SETUP ?? (e.NODE_ENV === 'production' ? 'check' : 'auto'),
      namespaceRetentionDays: e.TEMPORAL_NAMESPACE_RETENTION_DAYS,
      tls: temporalTls,
    },
    databases,
    shopReadUrl: e.SHOP_READ_DATABASE_URL ?? databases.shop,
    databaseServerUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    timeScale: e.PIPELINE_TIME_SCALE,
    concurrency: {
      orders: e.ORDERS_CONCURRENCY,
      pricing: e.PRICING_CONCURRENCY,
      crm: e.CRM_CONCURRENCY,
      mes: e.MES_CAPACITY,
      shipping: e.SHIPPING_CONCURRENCY,
    },
    maxCachedWorkflows: e.MAX_CACHED_WORKFLOWS,
    workerSlots: { mode: e.WORKER_SLOTS, targetCpu: e.WORKER_TARGET_CPU, targetMemory: e.WORKER_TARGET_MEMORY },
    databasePoolSize: e.DATABASE_POOL_SIZE,
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    idempotencyTtlMs: Math.round(e.IDEMPOTENCY_TTL_HOURS * 3_600_000),
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    atRiskShare: e.SLA_AT_RISK_SHARE,
    metrics: {
      // 0 means off, like unset: a metrics port is never picked at random.
      port: e.METRICS_PORT || undefined,
      off: e.METRICS_PORT === 0,
      host: e.METRICS_HOST,
      sdkPort: e.TEMPORAL_METRICS_PORT || undefined,
      cacheMs: Math.round(e.METRICS_CACHE_SECONDS * 1000),
    },
    integrations: {
      mes: { eventsUrl: e.MES_EVENTS_URL, apiKey: e.MES_API_KEY, webhookSecret: e.MES_WEBHOOK_SECRET, giveUpMs },
      carrier: { eventsUrl: e.CARRIER_EVENTS_URL, apiKey: e.CARRIER_API_KEY, webhookSecret: e.CARRIER_WEBHOOK_SECRET, giveUpMs },
      carrierEventGraceMs: Math.round(e.CARRIER_EVENT_GRACE_SECONDS * 1000),
      callbackSecret: e.PRODUCE_CALLBACK_SECRET ?? DEV_PRODUCE_CALLBACK_SECRET,
    },
    payloadKeys,
    webhooks: { allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true' },
    tracing: tracingConfig(e),
  };
}

/** The payload keys; outside production the development key when none are given. */
function payloadKeysOf(e: Env, issues: string[]): PayloadKey[] {
  const name = 'PAYLOAD_ENCRYPTION_KEYS';
  const production = e.NODE_ENV === 'production';
  if (!e.PAYLOAD_ENCRYPTION_KEYS) {
    if (production) {
      issues.push(
        `${name}: required in production: "keyId:base64key" with a 32-byte key (e.g. k1:$(openssl rand -base64 32)), the same on the API and every worker`,
      );
    }
    return parsePayloadKeys(DEV_PAYLOAD_KEY_SPEC);
  }
  try {
    const keys = parsePayloadKeys(e.PAYLOAD_ENCRYPTION_KEYS);
    const dev = parsePayloadKeys(DEV_PAYLOAD_KEY_SPEC)[0]!;
    if (production && keys.some((k) => k.key.equals(dev.key))) {
      issues.push(`${name}: the development key is public and not allowed in production; generate one with \`openssl rand -base64 32\``);
    }
    return keys;
  } catch (err) {
    issues.push(`${name}: ${(err as Error).message}`);
    return [];
  }
}

/**
 * As the OpenTelemetry specification reads the variables: the signal's own endpoint is used as
 * is, the general one gets `v1/traces` appended. Unlike the SDK's default (`otlp`), no exporter
 * runs unless an endpoint or OTEL_TRACES_EXPORTER is set, so `npm start` needs no collector.
 */
function tracingConfig(e: Env): Config['tracing'] {
  const otlpTracesUrl =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined);
  const named = e.OTEL_TRACES_EXPORTER ?? (otlpTracesUrl ? ['otlp'] : ['none']);
  const exporters = named.includes('none') ? [] : named.filter((n): n is Exclude<TraceExporterName, 'none'> => n !== 'none');
  return {
    serviceName: e.OTEL_SERVICE_NAME,
    exporters,
    otlpTracesUrl: exporters.includes('otlp') ? (otlpTracesUrl ?? DEFAULT_OTLP_TRACES_ENDPOINT) : undefined,
  };
}
