/**
 * docker-compose.yml cannot be started in CI (no Docker engine), so this test is what keeps it
 * honest: it parses the file and checks it against the code it runs — task queues, the variables
 * src/platform/config.ts accepts, the search attributes the workflow sets, the server's dynamic config.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, DATABASE_NAMES, DEV_SECRET_VALUES, loadConfig } from '../src/platform/config.js';
import { CLUSTER_SERVER_NAME, issueClusterCertificates } from '../src/cluster/tls.js';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../src/platform/temporal/dev-server.js';
import { QUEUE_NAMES, SEARCH_ATTRIBUTES, type QueueName } from '../src/order/contract.js';
import {
  REQUIRED_VARIABLE,
  ROOT,
  composeText,
  interpolatedCompose,
  parseEnvFile,
  rawCompose,
  requiredVariables,
  serviceEnv,
  testVariables,
} from './support/compose.js';
import { PRODUCTION_SECRET_NAMES } from './support/production-env.js';

type Volume = string | { type?: string; source?: string; target?: string; read_only?: boolean; volume?: { subpath?: string } };
interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: string | string[];
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
  healthcheck?: { test?: string | string[] };
  restart?: string;
  expose?: (string | number)[];
  volumes?: Volume[];
  ports?: (string | number | { published?: string | number; target?: number; host_ip?: string })[];
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean } | null>;
}

// As compose runs it with an .env of strong secrets (test/support/compose.ts).
const compose = interpolatedCompose<ComposeFile>();
const services = compose.services;

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

function argv(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : value.trim().split(/\s+/);
}

function dependsOn(s: Service): Record<string, string> {
  if (Array.isArray(s.depends_on)) return Object.fromEntries(s.depends_on.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([d, v]) => [d, v.condition ?? 'service_started']));
}

/** Host port of every published port. */
function publishedPorts(s: Service): string[] {
  return (s.ports ?? []).flatMap((p) => {
    if (typeof p === 'object') return p.published === undefined ? [] : [String(p.published)];
    const parts = String(p).split('/')[0]!.split(':');
    return parts.length >= 2 ? [parts[parts.length - 2]!] : [];
  });
}

/** Host address each published port is bound to (`''` = every interface). */
function publishedBindings(s: Service): { port: string; hostIp: string }[] {
  return (s.ports ?? []).flatMap((p) => {
    if (typeof p === 'object') return p.published === undefined ? [] : [{ port: String(p.published), hostIp: p.host_ip ?? '' }];
    const parts = String(p).split('/')[0]!.split(':');
    if (parts.length < 2) return [{ port: parts[0]!, hostIp: '' }]; // `- "9464"`: a random host port on every interface
    return [{ port: parts[parts.length - 2]!, hostIp: parts.length >= 3 ? parts.slice(0, -2).join(':') : '' }];
  });
}

/** Networks a service joins (`default` when it names none). */
function networksOf(s: Service): string[] {
  if (s.network_mode === 'none') return [];
  if (!s.networks) return ['default'];
  return Array.isArray(s.networks) ? s.networks : Object.keys(s.networks);
}

/** `[source, target]` of a bind mount (short or long syntax). */
function mounts(s: Service): [string, string][] {
  return (s.volumes ?? []).map((v): [string, string] => {
    if (typeof v === 'object') return [v.source ?? '', v.target ?? ''];
    const [source = '', target = ''] = v.split(':');
    return [source, target];
  });
}

/**
 * The certificates as the temporal-certs service lays them out in its volume (the same code,
 * `npm run cluster:certs`), made once for these checks: what a service's TEMPORAL_TLS_* paths
 * name must be there, in the folder that service mounts.
 */
const CERTS_VOLUME = 'temporal-certs';
const issued = issueClusterCertificates(mkdtempSync(path.join(tmpdir(), 'compose-certs-')));
const certsOnHost: Record<string, string> = { temporal: issued.temporalDir, client: issued.clientDir, '': path.dirname(issued.clientDir) };

/** Where a service mounts the certificates volume: its target and the folder of the volume (subpath). */
function certMounts(s: Service): { target: string; subpath: string; readOnly: boolean }[] {
  return (s.volumes ?? []).flatMap((v) =>
    typeof v === 'object' && v.type === 'volume' && v.source === CERTS_VOLUME
      ? [{ target: v.target ?? '', subpath: v.volume?.subpath ?? '', readOnly: v.read_only === true }]
      : typeof v === 'string' && v.split(':')[0] === CERTS_VOLUME
        ? [{ target: v.split(':')[1] ?? '', subpath: '', readOnly: v.split(':')[2] === 'ro' }]
        : [],
  );
}

/** A path inside a service's container, as a file of the certificates made above (or unchanged). */
function onHost(s: Service, file: string): string {
  for (const m of certMounts(s))
    if (file.startsWith(`${m.target}/`)) return path.join(certsOnHost[m.subpath] ?? '/nonexistent', file.slice(m.target.length + 1));
  return file;
}

/** A pipeline service's configuration as loadConfig reads it inside its container (certificate paths resolved through its mounts). */
function configOf(s: Service) {
  return loadConfig(Object.fromEntries(Object.entries(serviceEnv(s)).map(([k, v]) => [k, k.startsWith('TEMPORAL_TLS_') && v ? onHost(s, v) : v])));
}

/** Keys of `EnvSchema` in src/platform/config.ts, read as text: the variables the code accepts. */
function acceptedEnvNames(): string[] {
  const source = readFileSync(path.join(ROOT, 'src/platform/config.ts'), 'utf8');
  const body = /const EnvSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (!body) throw new Error('could not find `const EnvSchema = z.object({ ... });` in src/platform/config.ts');
  return [...body.matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*:/gm)].map((m) => m[1]!);
}

const WORKER_PREFIX = 'worker-';
/** The variable that sets each queue's worker concurrency, and where loadConfig puts it. */
const CONCURRENCY_VARIABLE: Record<QueueName, string> = {
  orders: 'ORDERS_CONCURRENCY',
  pricing: 'PRICING_CONCURRENCY',
  crm: 'CRM_CONCURRENCY',
  mes: 'MES_CAPACITY',
  shipping: 'SHIPPING_CONCURRENCY',
};
const appServiceNames = ['api', ...QUEUE_NAMES.map((q) => `${WORKER_PREFIX}${q}`)];

describe('docker-compose.yml', () => {
  it('runs one worker service per task queue, each on its own queue', () => {
    const workers = Object.keys(services).filter((n) => n.startsWith(WORKER_PREFIX));
    expect(workers.sort()).toEqual(QUEUE_NAMES.map((q) => `${WORKER_PREFIX}${q}`).sort());
    expect(existsSync(path.join(ROOT, 'src/workers/main.ts'))).toBe(true);
    for (const queue of QUEUE_NAMES) {
      const s = service(`${WORKER_PREFIX}${queue}`);
      const command = argv(s.command);
      const script = command.indexOf('src/workers/main.ts');
      expect(script, `${WORKER_PREFIX}${queue} command: ${command.join(' ')}`).toBeGreaterThanOrEqual(0);
      expect(command.slice(script + 1), `${WORKER_PREFIX}${queue} queue argument`).toEqual([queue]);
      expect(s.deploy?.replicas, `${WORKER_PREFIX}${queue} deploy.replicas`).toBeGreaterThanOrEqual(1);
    }
  });

  it('sets each worker service its own concurrency variable, and loadConfig reads it for that queue', () => {
    for (const queue of QUEUE_NAMES) {
      const env = serviceEnv(service(`${WORKER_PREFIX}${queue}`));
      const variable = CONCURRENCY_VARIABLE[queue];
      expect(env[variable], `${WORKER_PREFIX}${queue} sets ${variable}`).toBeDefined();
      expect(configOf(service(`${WORKER_PREFIX}${queue}`)).concurrency[queue]).toBe(Number(env[variable]));
    }
  });

  it('runs the API from the same image, with src/api/main.ts', () => {
    const api = service('api');
    expect(existsSync(path.join(ROOT, 'src/api/main.ts'))).toBe(true);
    expect(argv(api.command)).toContain('src/api/main.ts');
    expect(api.build).toBeDefined();
    for (const name of appServiceNames) expect(service(name).image, `${name} image`).toBe(api.image);
  });

  it('sets only environment variables that src/platform/config.ts accepts on the API and the workers', () => {
    const accepted = acceptedEnvNames();
    // Guard against the extraction itself breaking and accepting nothing / anything.
    expect(accepted).toContain('TEMPORAL_ADDRESS');
    expect(accepted).toContain('DATABASE_URL');
    expect(accepted.length).toBeGreaterThanOrEqual(20);
    for (const name of appServiceNames) {
      const unknown = Object.keys(serviceEnv(service(name))).filter((k) => !accepted.includes(k));
      expect(unknown, `unknown variables on ${name}`).toEqual([]);
    }
  });

  it('gives the API and every worker an environment loadConfig accepts, pointing at the compose services', () => {
    for (const name of appServiceNames) {
      expect(() => configOf(service(name)), name).not.toThrow();
    }
    const config = configOf(service('api'));
    expect(config.temporal.address).toBe('temporal:7233');
    // Databases on the compose PostgreSQL, with its credentials, not the embedded fallback.
    const postgres = serviceEnv(service('postgresql'));
    expect(config.databaseServerUrl).toBeDefined();
    const db = new URL(config.databaseServerUrl!);
    expect(db.hostname).toBe('postgresql');
    expect(decodeURIComponent(db.username)).toBe(postgres.POSTGRES_USER);
    expect(decodeURIComponent(db.password)).toBe(postgres.POSTGRES_PASSWORD);
    expect(config.databases.shop).toMatch(/\/orders_shop$/);
    // Pipeline-wide settings are the same on every process.
    for (const name of appServiceNames) {
      const c = configOf(service(name));
      expect({ env: c.env, temporal: c.temporal, db: c.databaseServerUrl, timeScale: c.timeScale }, name).toEqual({
        env: config.env,
        temporal: config.temporal,
        db: config.databaseServerUrl,
        timeScale: config.timeScale,
      });
    }
    // Production: no development keys seeded, and only secrets of the operator's own.
    expect(config.env).toBe('production');
  });

  it("sends every process's traces over OTLP/HTTP under the process's own service name", () => {
    for (const name of appServiceNames) {
      const env = serviceEnv(service(name));
      expect(configOf(service(name)).tracing, name).toEqual({
        serviceName: env.OTEL_SERVICE_NAME,
        exporters: ['otlp'],
        otlpTracesUrl: 'http://jaeger:4318/v1/traces',
      });
    }
  });

  it("sets up the namespace and every search attribute with the product's own setup, before the pipeline starts", () => {
    const setup = service('temporal-setup');
    // `npm run temporal:setup` (src/platform/temporal/setup.ts: namespace if missing, every attribute an order needs).
    const command = argv(setup.command);
    expect(command.slice(0, 2)).toEqual(['npm', 'run']);
    const script = command.find((a) => !a.startsWith('-') && a !== 'npm' && a !== 'run')!;
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts[script], `package.json script ${script}`).toMatch(/src\/cli\/temporal\.ts setup$/);
    expect(setup.image).toBe(service('api').image);
    expect(setup.restart).toBe('no');
    expect(dependsOn(setup).temporal).toBe('service_healthy');
    // The same Temporal, namespace and certificate as the pipeline's processes.
    expect(configOf(setup).temporal).toEqual(configOf(service('api')).temporal);
    // The image creates neither the namespace nor its test attributes: the setup alone does.
    expect(serviceEnv(service('temporal'))).toMatchObject({ SKIP_DEFAULT_NAMESPACE_CREATION: 'true', SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES: 'true' });
    for (const name of appServiceNames) expect(dependsOn(service(name))['temporal-setup'], name).toBe('service_completed_successfully');
    // What it registers is the workflow's own list.
    expect(Object.values(SEARCH_ATTRIBUTES).map((k) => k.name)).toEqual(expect.arrayContaining(['OrderStatus', 'Channel', 'OrderPriority', 'PartnerId']));
  });

  it('issues the cluster certificates once, into a volume, with the product’s own code and nothing else on its network', () => {
    const certs = service('temporal-certs');
    const command = argv(certs.command);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['cluster:certs']).toBe('tsx src/cluster/certificates-cli.ts');
    expect(command.slice(0, 4)).toEqual(['npm', 'run', '--silent', 'cluster:certs']);
    const dir = command[command.indexOf('--dir') + 1];
    // The whole volume, writable, at the folder it is told.
    expect(certMounts(certs)).toEqual([{ target: dir, subpath: '', readOnly: false }]);
    expect(certs.image).toBe(service('api').image);
    expect(certs.restart).toBe('no');
    expect(certs.network_mode).toBe('none');
    expect(dependsOn(service('temporal'))['temporal-certs']).toBe('service_completed_successfully');
    // The image has openssl, and the folder the volume starts from belongs to its user.
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bopenssl\b/);
    expect(dockerfile).toContain(`chown node:node ${dir}`);
  });

  it("requires a certificate of the cluster's CAs on Temporal's frontend and between its services (mTLS)", () => {
    const temporal = service('temporal');
    const env = serviceEnv(temporal);
    const file = (name: string) => {
      const f = onHost(temporal, env[name] ?? `unset ${name}`);
      expect(existsSync(f), `${name}=${env[name]} is in the folder temporal mounts`).toBe(true);
      return readFileSync(f);
    };
    expect(env.TEMPORAL_TLS_REQUIRE_CLIENT_AUTH).toBe('true');
    expect(certMounts(temporal)).toEqual([{ target: '/etc/temporal-certs', subpath: 'temporal', readOnly: true }]);
    const clusterCa = new X509Certificate(file('TEMPORAL_TLS_SERVER_CA_CERT'));
    const clientCa = new X509Certificate(file('TEMPORAL_TLS_CLIENT1_CA_CERT'));
    expect(new X509Certificate(file('TEMPORAL_TLS_CLIENT2_CA_CERT')).fingerprint256).toBe(clusterCa.fingerprint256);
    expect(clientCa.fingerprint256).not.toBe(clusterCa.fingerprint256);
    // The services' certificate, on both listeners: issued by the cluster's CA, for the name every client checks.
    for (const [cert, key] of [
      ['TEMPORAL_TLS_SERVER_CERT', 'TEMPORAL_TLS_SERVER_KEY'],
      ['TEMPORAL_TLS_FRONTEND_CERT', 'TEMPORAL_TLS_FRONTEND_KEY'],
    ] as const) {
      const c = new X509Certificate(file(cert));
      expect(c.verify(clusterCa.publicKey), `${cert} is signed by the cluster's CA`).toBe(true);
      expect(c.checkHost(CLUSTER_SERVER_NAME), `${cert} names ${CLUSTER_SERVER_NAME}`).toBe(CLUSTER_SERVER_NAME);
      expect(file(key).toString()).toContain('PRIVATE KEY');
    }
    expect(env.TEMPORAL_TLS_INTERNODE_SERVER_NAME).toBe(CLUSTER_SERVER_NAME);
    expect(env.TEMPORAL_TLS_FRONTEND_SERVER_NAME).toBe(CLUSTER_SERVER_NAME);
    // Its own CLI (health check, the image's start-up wait) connects as a client of the cluster's CA.
    const cli = new X509Certificate(file('TEMPORAL_TLS_CLIENT_CERT_PATH'));
    expect(cli.verify(clusterCa.publicKey)).toBe(true);
    file('TEMPORAL_TLS_CLIENT_KEY_PATH');
    expect(new X509Certificate(file('TEMPORAL_TLS_SERVER_CA_CERT_PATH')).fingerprint256).toBe(clusterCa.fingerprint256);
    expect(env).toMatchObject({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_SERVER_NAME: CLUSTER_SERVER_NAME });
    expect(argv(temporal.healthcheck?.test).join(' ')).toContain('temporal operator cluster health');
  });

  it('connects every pipeline process and the Web UI with the client certificate, and gives them no other key', () => {
    const clusterCa = new X509Certificate(readFileSync(path.join(issued.temporalDir, 'cluster-ca.pem')));
    const clientCa = new X509Certificate(readFileSync(path.join(issued.temporalDir, 'client-ca.pem')));
    for (const name of [...appServiceNames, 'temporal-setup']) {
      const s = service(name);
      expect(certMounts(s), name).toEqual([{ target: '/etc/temporal-certs', subpath: 'client', readOnly: true }]);
      const tls = configOf(s).temporal.tls;
      expect(tls, `${name} connects over TLS`).toBeDefined();
      expect(new X509Certificate(tls!.serverRootCACertificate!).fingerprint256, name).toBe(clusterCa.fingerprint256);
      expect(new X509Certificate(tls!.clientCertPair!.crt).verify(clientCa.publicKey), `${name} presents a client certificate`).toBe(true);
      expect(tls!.serverNameOverride).toBe(CLUSTER_SERVER_NAME);
    }
    const ui = service('temporal-ui');
    const env = serviceEnv(ui);
    expect(certMounts(ui)).toEqual([{ target: '/etc/temporal-certs', subpath: 'client', readOnly: true }]);
    expect(new X509Certificate(readFileSync(onHost(ui, env.TEMPORAL_TLS_CERT!))).verify(clientCa.publicKey)).toBe(true);
    expect(readFileSync(onHost(ui, env.TEMPORAL_TLS_KEY!)).toString()).toContain('PRIVATE KEY');
    expect(new X509Certificate(readFileSync(onHost(ui, env.TEMPORAL_TLS_CA!))).fingerprint256).toBe(clusterCa.fingerprint256);
    expect(env).toMatchObject({
      TEMPORAL_TLS_ENABLE_HOST_VERIFICATION: 'true',
      TEMPORAL_TLS_SERVER_NAME: CLUSTER_SERVER_NAME,
      TEMPORAL_DISABLE_WRITE_ACTIONS: 'true',
    });
    // No service but Temporal holds the services' key, and none but temporal-certs a CA's key.
    for (const [name, s] of Object.entries(services)) {
      for (const m of certMounts(s)) {
        if (name === 'temporal-certs') continue;
        expect(m.subpath, `${name} mounts only its own folder of ${CERTS_VOLUME}`).toBe(name === 'temporal' ? 'temporal' : 'client');
      }
    }
    expect(existsSync(path.join(issued.clientDir, 'service.key'))).toBe(false);
    expect(existsSync(path.join(issued.temporalDir, 'cluster-ca.key'))).toBe(false);
  });

  it('mounts a dynamic config into Temporal with the dev server’s priority/fairness settings', () => {
    const temporal = service('temporal');
    const file = serviceEnv(temporal).DYNAMIC_CONFIG_FILE_PATH;
    expect(file, 'DYNAMIC_CONFIG_FILE_PATH').toBeDefined();
    const target = path.posix.isAbsolute(file!) ? file! : path.posix.join('/etc/temporal', file!);
    const mount = mounts(temporal).find(([, t]) => t === target);
    expect(mount, `a volume mounted at ${target}`).toBeDefined();
    const dynamicConfig = parse(readFileSync(path.resolve(ROOT, mount![0]), 'utf8')) as Record<
      string,
      { value: unknown; constraints?: Record<string, unknown> }[]
    >;
    expect(Object.keys(DEV_SERVER_DYNAMIC_CONFIG).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) {
      const entries = dynamicConfig[key];
      expect(Array.isArray(entries), `${key} in ${mount![0]}`).toBe(true);
      const global = entries!.find((e) => !e.constraints || Object.keys(e.constraints).length === 0);
      expect(global?.value, key).toEqual(value);
    }
  });

  it('puts replicated services behind a gateway instead of a fixed host port', () => {
    for (const [name, s] of Object.entries(services)) {
      if ((s.deploy?.replicas ?? 1) > 1) expect(publishedPorts(s), `${name} has replicas`).toEqual([]);
    }
    const config = configOf(service('api'));
    const gateway = service('api-gateway');
    expect(dependsOn(gateway).api).toBe('service_healthy');
    const conf = mounts(gateway).find(([, t]) => t.startsWith('/etc/nginx/'));
    expect(conf, 'api-gateway mounts an nginx config').toBeDefined();
    expect(readFileSync(path.resolve(ROOT, conf![0]), 'utf8')).toContain(`http://api:${config.port}`);
    expect(publishedPorts(gateway)).toContain(new URL(config.publicBaseUrl).port || '80');
  });

  it('orders start-up with health checks behind every service_healthy dependency', () => {
    for (const name of appServiceNames) {
      const deps = dependsOn(service(name));
      expect(deps, name).toMatchObject({
        postgresql: 'service_healthy',
        temporal: 'service_healthy',
        'temporal-setup': 'service_completed_successfully',
      });
    }
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        expect(services[dep], `${name} depends on unknown service ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(services[dep]!.healthcheck?.test, `${dep} health check`).toBeDefined();
      }
    }
    expect(argv(service('postgresql').healthcheck?.test).join(' ')).toContain('pg_isready');
  });

  it('pins every image to a tag other than latest', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, `${name} image`).toBeDefined();
      const ref = s.image!.split('@')[0]!;
      const colon = ref.indexOf(':', ref.lastIndexOf('/') + 1);
      const tag = colon < 0 ? '' : ref.slice(colon + 1);
      expect(tag, `${name} image ${s.image} has a tag`).not.toBe('');
      expect(tag, `${name} image ${s.image}`).not.toBe('latest');
      expect(s.image, `${name} image is not a variable`).not.toContain('$');
    }
  });

  it('escapes every $ from Compose interpolation, except required variables (`${NAME:?message}`, no fallback)', () => {
    const strings: string[] = [];
    const walk = (v: unknown) => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(rawCompose);
    // Compose would replace a bare `$out` with the host's (empty) variable, and `${X:-dev}` with a
    // fallback nobody chose; `$$` is a literal `$`, `${X:?message}` refuses to start without X.
    const bare = strings.filter((s) => s.split('$$').some((part) => part.replace(REQUIRED_VARIABLE, '').includes('$')));
    expect(bare).toEqual([]);
    expect(requiredVariables.length).toBeGreaterThan(0);
  });

  it('runs Temporal on the compose PostgreSQL, and the Web UI on that Temporal', () => {
    const temporal = service('temporal');
    expect(temporal.image).toMatch(/^temporalio\/(auto-setup|server):/);
    const env = serviceEnv(temporal);
    expect(env.DB).toMatch(/^postgres/);
    expect(env.POSTGRES_SEEDS).toBe('postgresql');
    expect(env.POSTGRES_USER).toBe(serviceEnv(service('postgresql')).POSTGRES_USER);
    expect(env.POSTGRES_PWD).toBe(serviceEnv(service('postgresql')).POSTGRES_PASSWORD);
    expect(dependsOn(temporal).postgresql).toBe('service_healthy');
    const ui = service('temporal-ui');
    expect(ui.image).toMatch(/^temporalio\/ui:/);
    const address = configOf(service('api')).temporal.address;
    expect(serviceEnv(ui).TEMPORAL_ADDRESS).toBe(address);
    expect(serviceEnv(service('temporal-setup')).TEMPORAL_ADDRESS).toBe(address);
    // The links the API hands out (trace.url) open the UI's published port.
    const uiPort = new URL(configOf(service('api')).temporal.uiUrl).port;
    expect(publishedPorts(ui)).toContain(uiPort);
  });

  it('creates every system database in PostgreSQL on first start', () => {
    const init = mounts(service('postgresql')).filter(([, t]) => t.startsWith('/docker-entrypoint-initdb.d/'));
    expect(init.length, 'an init script in /docker-entrypoint-initdb.d').toBeGreaterThan(0);
    const sql = init.map(([source]) => readFileSync(path.resolve(ROOT, source), 'utf8')).join('\n');
    const created = [...sql.matchAll(/^\s*CREATE DATABASE\s+"?([a-z_0-9]+)"?/gim)].map((m) => m[1]!);
    expect(created.sort()).toEqual(Object.values(DATABASE_NAMES).sort());
    // …and they are the databases the services use.
    const config = configOf(service('api'));
    for (const url of Object.values(config.databases)) expect(created).toContain(new URL(url!).pathname.slice(1));
  });

  it('gives every long-running service a health check, and app services one on their own port', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.restart === 'no') continue; // one-shot jobs (temporal-certs, temporal-setup) end instead
      expect(argv(s.healthcheck?.test).length, `${name} health check`).toBeGreaterThan(0);
    }
    const probed = (name: string) => /https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)\//.exec(argv(service(name).healthcheck?.test).join(' '))?.[1];
    expect(probed('api')).toBe(String(configOf(service('api')).port));
    for (const queue of QUEUE_NAMES) {
      const name = `${WORKER_PREFIX}${queue}`;
      expect(probed(name), `${name} probes its METRICS_PORT`).toBe(String(configOf(service(name)).metrics.port));
    }
  });

  it('sends every app service’s traces to the trace collector, each under its own service name', () => {
    const jaeger = service('jaeger');
    expect(jaeger.image).toMatch(/^jaegertracing\/all-in-one:/);
    expect(serviceEnv(jaeger).COLLECTOR_OTLP_ENABLED).toBe('true');
    const names = new Set<string>();
    for (const name of appServiceNames) {
      const env = serviceEnv(service(name));
      const endpoint = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'missing:');
      expect(endpoint.protocol, `${name} OTLP endpoint`).toBe('http:');
      expect(services[endpoint.hostname], `${name} sends traces to a compose service`).toBeDefined();
      // OTLP over HTTP on its standard port, reachable inside the compose network.
      expect(endpoint.port).toBe('4318');
      expect((services[endpoint.hostname]!.expose ?? []).map(String)).toContain('4318');
      expect(env.OTEL_TRACES_EXPORTER, name).toBe('otlp');
      expect(env.OTEL_SERVICE_NAME, `${name} OTEL_SERVICE_NAME`).toMatch(/^order-/);
      names.add(env.OTEL_SERVICE_NAME!);
      expect(dependsOn(service(name))[endpoint.hostname], `${name} starts after ${endpoint.hostname}`).toBeDefined();
    }
    expect(names.size, 'one service name per app service').toBe(appServiceNames.length);
    expect(publishedPorts(jaeger)).toContain('16686');
  });

  it('publishes only the gateway on every interface; everything else on 127.0.0.1 or not at all', () => {
    const open: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const b of publishedBindings(s)) if (b.hostIp !== '127.0.0.1') open.push(`${name}:${b.port} on ${b.hostIp || 'every interface'}`);
    }
    expect(open).toEqual(['api-gateway:3000 on every interface']);
    // Temporal's frontend is not published at all (loopback would be the most).
    expect(publishedBindings(service('temporal')).filter((b) => b.hostIp !== '127.0.0.1')).toEqual([]);
    for (const name of ['temporal-ui', 'grafana', 'prometheus', 'jaeger']) {
      const bindings = publishedBindings(service(name));
      expect(bindings.length, `${name} is reachable from the host`).toBeGreaterThan(0);
      expect(
        bindings.map((b) => b.hostIp),
        name,
      ).toEqual(bindings.map(() => '127.0.0.1'));
    }
  });

  it('publishes no metrics port; Prometheus reaches them over the compose network', () => {
    for (const name of appServiceNames) {
      const c = configOf(service(name));
      expect(c.metrics.port, `${name} METRICS_PORT`).toBeDefined();
      expect(c.metrics.port, name).not.toBe(c.port);
      const published = publishedPorts(service(name));
      for (const port of [c.metrics.port, c.metrics.sdkPort].filter((p) => p !== undefined)) expect(published, name).not.toContain(String(port));
    }
    expect(publishedPorts(service('api'))).toEqual([]);
  });

  it("puts Temporal's frontend on an internal network that only the pipeline's services join", () => {
    const temporalNetworks = networksOf(service('temporal'));
    expect(temporalNetworks.length).toBeGreaterThan(0);
    for (const network of temporalNetworks) {
      expect(compose.networks?.[network]?.internal, `network ${network} is internal`).toBe(true);
      const members = Object.entries(services)
        .filter(([, s]) => networksOf(s).includes(network))
        .map(([n]) => n)
        .sort();
      // The app services, Temporal's own tools and UI, and PostgreSQL (Temporal's store); never
      // the gateway, Prometheus, Grafana or Jaeger.
      expect(members, network).toEqual([...appServiceNames, 'postgresql', 'temporal', 'temporal-setup', 'temporal-ui'].sort());
    }
    // …and every client of it can reach it.
    const address = configOf(service('api')).temporal.address.split(':')[0];
    expect(address).toBe('temporal');
    for (const name of [...appServiceNames, 'temporal-setup', 'temporal-ui']) {
      expect(
        networksOf(service(name)).some((n) => temporalNetworks.includes(n)),
        name,
      ).toBe(true);
    }
  });

  it('holds no development secret anywhere; every secret comes from .env, without a fallback', () => {
    for (const dev of [...DEV_SECRET_VALUES, 'postgres:postgres@', 'admin/admin']) expect(composeText, dev).not.toContain(dev);
    expect(serviceEnv(service('postgresql')).POSTGRES_PASSWORD).toBe(testVariables.POSTGRES_PASSWORD);
    expect(serviceEnv(service('grafana')).GF_SECURITY_ADMIN_PASSWORD).toBe(testVariables.GRAFANA_ADMIN_PASSWORD);
    const raw = (rawCompose as ComposeFile).services;
    for (const name of appServiceNames) {
      const env = serviceEnv(raw[name]!);
      for (const secret of PRODUCTION_SECRET_NAMES) expect(env[secret], `${name} ${secret}`).toMatch(new RegExp(`^\\$\\{${secret}:\\?`));
    }
  });

  it('has an .env.example with every variable it needs, whose placeholders production refuses', () => {
    const example = parseEnvFile(readFileSync(path.join(ROOT, '.env.example'), 'utf8'));
    expect(Object.keys(example).sort()).toEqual([...requiredVariables].sort());
    const withExample = interpolatedCompose<ComposeFile>(example).services;
    for (const name of appServiceNames) {
      let message = '';
      try {
        configOf(withExample[name]!);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = (err as Error).message;
      }
      for (const secret of [...PRODUCTION_SECRET_NAMES, 'DATABASE_URL'])
        expect(message, `${name} refuses ${secret}`).toMatch(new RegExp(`^  ${secret}: `, 'm'));
    }
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.env');
  });

  it('scales every app service with deploy.replicas, the API behind the gateway', () => {
    for (const name of appServiceNames) expect(service(name).deploy?.replicas, `${name} deploy.replicas`).toBeGreaterThanOrEqual(1);
    expect(service('api').deploy!.replicas).toBeGreaterThan(1);
    expect(publishedPorts(service('api'))).toEqual([]);
  });
});
