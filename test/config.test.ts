import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_CLIENTS } from '../src/api/clients.js';
import { ConfigError, DEV_SECRET_VALUES, loadConfig, withDatabase } from '../src/platform/config.js';
import { PRODUCTION_SECRET_NAMES, productionSecrets } from './support/production-env.js';
import { orderWorkflowId, parseOrderWorkflowId } from '../src/order/contract.js';
import { slotOptions } from '../src/platform/temporal/slots.js';

/** loadConfig(source) throws a ConfigError; returns its message. */
function configError(source: NodeJS.ProcessEnv): string {
  try {
    loadConfig(source);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('connects to Temporal over TLS with the files TEMPORAL_TLS_* name, and says which one it cannot read', () => {
    expect(loadConfig({}).temporal.tls).toBeUndefined();
    expect(loadConfig({ TEMPORAL_TLS: 'true' }).temporal.tls).toEqual({});
    const dir = mkdtempSync(path.join(tmpdir(), 'tls-config-'));
    const file = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const files = {
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem', 'CA'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem', 'CERT'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key', 'KEY'),
    };
    const tls = loadConfig({ ...files, TEMPORAL_TLS_SERVER_NAME: 'temporal.cluster' }).temporal.tls!;
    expect(tls.serverRootCACertificate?.toString()).toBe('CA');
    expect(tls.clientCertPair?.crt.toString()).toBe('CERT');
    expect(tls.clientCertPair?.key.toString()).toBe('KEY');
    expect(tls.serverNameOverride).toBe('temporal.cluster');
    // Off when asked, whatever the paths say.
    expect(loadConfig({ ...files, TEMPORAL_TLS: 'false' }).temporal.tls).toBeUndefined();
    const missing = configError({ ...files, TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'nope.pem') });
    expect(missing).toContain(`TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read ${path.join(dir, 'nope.pem')} (ENOENT)`);
    expect(configError({ TEMPORAL_TLS_CLIENT_CERT_PATH: files.TEMPORAL_TLS_CLIENT_CERT_PATH })).toContain('a client certificate needs its key');
    expect(configError({ TEMPORAL_TLS: 'yes' })).toContain('TEMPORAL_TLS');
  });

  it('has defaults matching docker-compose, with embedded databases', () => {
    // an explicit empty environment: the test process's own variables must not leak in
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.temporal).toMatchObject({ address: 'localhost:7233', namespace: 'default', uiUrl: 'http://localhost:8233' });
    expect(config.timeScale).toBe(1);
    expect(config.databases).toEqual({ shop: undefined, crm: undefined, mes: undefined, carrier: undefined, pricing: undefined });
    expect(config.shopReadUrl).toBeUndefined();
    expect(config.databaseServerUrl).toBeUndefined();
    expect(config.env).toBe('development');
    expect(config.concurrency).toEqual({ orders: 50, pricing: 4, crm: 10, mes: 3, shipping: 20 });
  });

  it('reads numbers from strings', () => {
    const config = loadConfig({ PORT: '8080', PIPELINE_TIME_SCALE: '0.01', MES_CAPACITY: '7' });
    expect(config.port).toBe(8080);
    expect(config.publicBaseUrl).toBe('http://localhost:8080');
    expect(config.timeScale).toBe(0.01);
    expect(config.concurrency.mes).toBe(7);
  });

  it('sizes worker slots to the machine by default, never beyond the queue concurrency; WORKER_SLOTS=fixed keeps the counts', () => {
    const config = loadConfig({ PRICING_CONCURRENCY: '6' });
    expect(config.workerSlots).toEqual({ mode: 'resource', targetCpu: 0.8, targetMemory: 0.8 });
    const tuned = slotOptions(config, { activities: config.concurrency.pricing });
    expect(tuned.maxConcurrentActivityTaskExecutions).toBeUndefined();
    expect(tuned.tuner).toMatchObject({
      activityTaskSlotSupplier: { type: 'resource-based', minimumSlots: 1, maximumSlots: 6 },
      localActivityTaskSlotSupplier: { type: 'resource-based', maximumSlots: 6 },
    });
    // Work that waits on a database keeps its pool's worth of slots on a busy machine, never more than the queue's concurrency.
    const io = slotOptions(config, { activities: 20, localActivities: 6, workflowTasks: 50, minimum: 10 }).tuner as unknown as Record<
      string,
      { minimumSlots: number }
    >;
    expect([io.workflowTaskSlotSupplier!.minimumSlots, io.activityTaskSlotSupplier!.minimumSlots, io.localActivityTaskSlotSupplier!.minimumSlots]).toEqual([
      10, 10, 6,
    ]);
    const cpu = tuned.tuner as unknown as Record<string, { minimumSlots: number }>;
    expect([cpu.workflowTaskSlotSupplier!.minimumSlots, cpu.localActivityTaskSlotSupplier!.minimumSlots]).toEqual([2, 1]);
    // One controller per process: every worker of it aims at the same target.
    const other = slotOptions(config, { activities: 3 }).tuner as { activityTaskSlotSupplier: { controller: unknown } };
    expect(other.activityTaskSlotSupplier.controller).toBe((tuned.tuner as typeof other).activityTaskSlotSupplier.controller);
    const fixed = loadConfig({ WORKER_SLOTS: 'fixed', PRICING_CONCURRENCY: '6' });
    expect(slotOptions(fixed, { activities: fixed.concurrency.pricing })).toEqual({
      maxConcurrentActivityTaskExecutions: 6,
      maxConcurrentLocalActivityExecutions: 6,
      maxConcurrentWorkflowTaskExecutions: 2,
    });
    expect(loadConfig({ WORKER_TARGET_CPU: '0.6' }).workerSlots.targetCpu).toBe(0.6);
    expect(configError({ WORKER_SLOTS: 'auto' })).toContain('WORKER_SLOTS');
    expect(configError({ WORKER_TARGET_CPU: '1.5' })).toContain('WORKER_TARGET_CPU');
  });

  it('treats a variable set to the empty string as unset', () => {
    const config = loadConfig({ PORT: '', MES_CAPACITY: ' ', PIPELINE_TIME_SCALE: '' });
    expect(config.port).toBe(3000);
    expect(config.concurrency.mes).toBe(3);
    expect(config.timeScale).toBe(1);
  });

  it('treats an empty database URL as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', SHOP_DATABASE_URL: '  ' }).databases.shop).toBeUndefined();
  });

  it('derives one database per system on the DATABASE_URL server', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app:secret@db.internal:5432/postgres' });
    expect(config.databases).toEqual({
      shop: 'postgres://app:secret@db.internal:5432/orders_shop',
      crm: 'postgres://app:secret@db.internal:5432/orders_crm',
      mes: 'postgres://app:secret@db.internal:5432/orders_mes',
      carrier: 'postgres://app:secret@db.internal:5432/orders_carrier',
      pricing: 'postgres://app:secret@db.internal:5432/orders_pricing',
    });
    expect(config.databaseServerUrl).toBe('postgres://app:secret@db.internal:5432/postgres');
    // the read side defaults to the shop database
    expect(config.shopReadUrl).toBe('postgres://app:secret@db.internal:5432/orders_shop');
  });

  it('lets an explicit per-system URL override the derived one', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app@db:5432/postgres',
      SHOP_DATABASE_URL: 'postgres://shop@shop-db:5433/shop',
    });
    expect(config.databases.shop).toBe('postgres://shop@shop-db:5433/shop');
    expect(config.databases.crm).toBe('postgres://app@db:5432/orders_crm');
    expect(config.shopReadUrl).toBe('postgres://shop@shop-db:5433/shop');
  });

  it('uses SHOP_READ_DATABASE_URL when given', () => {
    const config = loadConfig({
      SHOP_DATABASE_URL: 'postgres://shop@primary:5432/shop',
      SHOP_READ_DATABASE_URL: 'postgres://shop@replica:5432/shop',
    });
    expect(config.databases.shop).toBe('postgres://shop@primary:5432/shop');
    expect(config.shopReadUrl).toBe('postgres://shop@replica:5432/shop');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PIPELINE_TIME_SCALE', '-1'],
    ['PIPELINE_TIME_SCALE', '0'],
    ['DATABASE_URL', 'not-a-url'],
    ['SHOP_DATABASE_URL', 'not-a-url'],
    ['MES_CAPACITY', '1.5'],
    ['LOG_LEVEL', 'verbose'],
  ])('rejects %s=%s, naming the variable', (name, value) => {
    const message = configError({ [name]: value });
    expect(message).toMatch(new RegExp(`^\\s+${name}: `, 'm'));
  });

  it('reports every invalid variable at once', () => {
    const message = configError({ PORT: 'abc', PIPELINE_TIME_SCALE: '-1', DATABASE_URL: 'not-a-url' });
    for (const name of ['PORT', 'PIPELINE_TIME_SCALE', 'DATABASE_URL']) expect(message).toContain(`${name}:`);
    expect(message).not.toContain('SHOP_DATABASE_URL');
  });
});

describe('withDatabase', () => {
  it('replaces only the database name, keeping credentials, port and parameters', () => {
    expect(withDatabase('postgres://u:p%40ss@db:6543/app?sslmode=require', 'orders_mes')).toBe('postgres://u:p%40ss@db:6543/orders_mes?sslmode=require');
    expect(withDatabase('postgresql://db', 'orders_crm')).toBe('postgresql://db/orders_crm');
  });
});

describe('order workflow ids', () => {
  it('round-trips an order id', () => {
    expect(orderWorkflowId('01JABCDEF')).toBe('order-01JABCDEF');
    expect(parseOrderWorkflowId(orderWorkflowId('01JABCDEF'))).toBe('01JABCDEF');
    // an id that itself starts with the prefix survives too
    expect(parseOrderWorkflowId(orderWorkflowId('order-7'))).toBe('order-7');
  });

  it('returns undefined for ids of other workflows', () => {
    expect(parseOrderWorkflowId('invoice-42')).toBeUndefined();
    expect(parseOrderWorkflowId('ORDER-42')).toBeUndefined();
    expect(parseOrderWorkflowId('my-order-42')).toBeUndefined();
  });
});

describe('metrics configuration', () => {
  it('serves no worker or SDK metrics port unless one is set (0 is off too), and caches gauges 5 s', () => {
    expect(loadConfig({}).metrics).toEqual({ port: undefined, off: false, host: undefined, sdkPort: undefined, cacheMs: 5_000 });
    expect(loadConfig({ METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0' }).metrics).toMatchObject({ port: undefined, off: true, sdkPort: undefined });
    expect(loadConfig({ METRICS_PORT: '9464', TEMPORAL_METRICS_PORT: '9465', METRICS_CACHE_SECONDS: '0', METRICS_HOST: '10.0.0.5' }).metrics).toEqual({
      port: 9464,
      off: false,
      host: '10.0.0.5',
      sdkPort: 9465,
      cacheMs: 0,
    });
  });

  it('names a bad metrics port', () => {
    expect(configError({ METRICS_PORT: '70000' })).toContain('METRICS_PORT');
    expect(configError({ TEMPORAL_METRICS_PORT: 'nine' })).toContain('TEMPORAL_METRICS_PORT');
  });
});

describe('tracing configuration', () => {
  it('exports no spans unless an endpoint or exporter is set', () => {
    expect(loadConfig({}).tracing).toEqual({ serviceName: undefined, exporters: [], otlpTracesUrl: undefined });
  });

  it('sends OTLP/HTTP to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }).tracing).toEqual({
      serviceName: undefined,
      exporters: ['otlp'],
      otlpTracesUrl: 'http://jaeger:4318/v1/traces',
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.otlpTracesUrl).toBe('http://collector:4318/v1/traces');
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b.example/otlp/traces' }).tracing.otlpTracesUrl,
    ).toBe('https://b.example/otlp/traces');
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing.otlpTracesUrl).toBe('http://localhost:4318/v1/traces');
  });

  it('reads OTEL_TRACES_EXPORTER as a list, where none wins, and OTEL_SERVICE_NAME', () => {
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'console, otlp', OTEL_SERVICE_NAME: 'worker-mes' }).tracing).toEqual({
      serviceName: 'worker-mes',
      exporters: ['console', 'otlp'],
      otlpTracesUrl: 'http://localhost:4318/v1/traces',
    });
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }).tracing.exporters).toEqual([]);
  });

  it('names a bad exporter or endpoint', () => {
    expect(configError({ OTEL_TRACES_EXPORTER: 'zipkin' })).toContain('OTEL_TRACES_EXPORTER');
    expect(configError({ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger 4318' })).toContain('OTEL_EXPORTER_OTLP_ENDPOINT');
  });
});

describe('production secrets', () => {
  // Plain gRPC on purpose (TEMPORAL_TLS=false): these tests are about the secrets; TLS has its own below.
  const production = (extra: Record<string, string> = {}) => ({ NODE_ENV: 'production', TEMPORAL_TLS: 'false', ...productionSecrets(), ...extra });

  it('refuses to start with any secret or key unset, listing every variable to fix and how', () => {
    const message = configError({ NODE_ENV: 'production' });
    expect(message).toMatch(/^Invalid configuration:\n/);
    for (const name of PRODUCTION_SECRET_NAMES) expect(message).toMatch(new RegExp(`^  ${name}: required in production; .*openssl rand -hex 32`, 'm'));
    expect(message).toContain('Fix the variables above');
    // One variable missing: only that one is named.
    const { MES_WEBHOOK_SECRET: _, ...others } = productionSecrets();
    const one = configError({ NODE_ENV: 'production', TEMPORAL_TLS: 'false', ...others });
    expect(one.split('\n').filter((l) => l.startsWith('  '))).toEqual([expect.stringMatching(/^ {2}MES_WEBHOOK_SECRET: required in production/)]);
  });

  it.each(PRODUCTION_SECRET_NAMES)('refuses %s set to a development value, a placeholder or fewer than 32 characters', (name) => {
    for (const dev of DEV_SECRET_VALUES) {
      expect(configError(production({ [name]: dev })), `${name}=${dev}`).toMatch(new RegExp(`^  ${name}: is a development value`, 'm'));
    }
    expect(configError(production({ [name]: 'change-me' }))).toMatch(new RegExp(`^  ${name}: is a placeholder`, 'm'));
    expect(configError(production({ [name]: 'change-me-'.repeat(5) }))).toMatch(new RegExp(`^  ${name}: is a placeholder`, 'm'));
    expect(configError(production({ [name]: 'a1'.repeat(15) }))).toMatch(new RegExp(`^  ${name}: .*(too short|at least 32)`, 'm'));
    expect(() => loadConfig(production({ [name]: 'b2'.repeat(16) }))).not.toThrow();
  });

  it('refuses a database password that is a placeholder or the postgres image default', () => {
    expect(configError(production({ DATABASE_URL: 'postgres://postgres:postgres@db:5432/postgres' }))).toMatch(/^ {2}DATABASE_URL: its password is/m);
    expect(configError(production({ SHOP_DATABASE_URL: 'postgres://app:change-me@db/shop' }))).toMatch(/^ {2}SHOP_DATABASE_URL: its password is/m);
    expect(() => loadConfig(production({ DATABASE_URL: `postgres://postgres:${'c3'.repeat(16)}@db:5432/postgres` }))).not.toThrow();
    // Development keeps the image's default.
    expect(() => loadConfig({ DATABASE_URL: 'postgres://postgres:postgres@db:5432/postgres' })).not.toThrow();
  });

  it('refuses plain gRPC to Temporal unless TEMPORAL_TLS=false says so, and takes any TLS', () => {
    const { TEMPORAL_TLS: _plain, ...noTls } = production();
    expect(
      configError(noTls)
        .split('\n')
        .filter((l) => l.startsWith('  ')),
    ).toEqual([expect.stringMatching(/^ {2}TEMPORAL_TLS: production connects to Temporal over TLS: .*TEMPORAL_TLS_SERVER_CA_CERT_PATH.*TEMPORAL_TLS=false/)]);
    expect(loadConfig(production()).temporal.tls, 'plain on purpose').toBeUndefined();
    // TLS with the system's CAs (a managed Temporal) or with files of its own: both are TLS.
    expect(loadConfig({ ...noTls, TEMPORAL_TLS: 'true' }).temporal.tls).toEqual({});
    const dir = mkdtempSync(path.join(tmpdir(), 'tls-production-'));
    const ca = path.join(dir, 'ca.pem');
    writeFileSync(ca, 'CA');
    expect(loadConfig({ ...noTls, TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca }).temporal.tls?.serverRootCACertificate?.toString()).toBe('CA');
    // Development keeps plain gRPC to the dev server it starts.
    expect(loadConfig({}).temporal.tls).toBeUndefined();
  });

  it('knows every development client key as a development value', () => {
    for (const c of DEV_CLIENTS) expect(DEV_SECRET_VALUES, c.id).toContain(c.key);
  });

  it('lists the secrets with the other invalid variables, in one message', () => {
    const message = configError({ NODE_ENV: 'production', PORT: 'abc', CARRIER_API_KEY: 'carrier-dev-key' });
    expect(message).toMatch(/^ {2}PORT: /m);
    expect(message).toMatch(/^ {2}CARRIER_API_KEY: is a development value/m);
    expect(message).toMatch(/^ {2}PRODUCE_CALLBACK_SECRET: required in production/m);
  });

  it('starts with secrets of its own, and uses them', () => {
    const secrets = productionSecrets();
    const config = loadConfig(production());
    expect(config.env).toBe('production');
    expect(config.integrations.mes).toMatchObject({ apiKey: secrets.MES_API_KEY, webhookSecret: secrets.MES_WEBHOOK_SECRET });
    expect(config.integrations.carrier).toMatchObject({ apiKey: secrets.CARRIER_API_KEY, webhookSecret: secrets.CARRIER_WEBHOOK_SECRET });
    expect(config.integrations.callbackSecret).toBe(secrets.PRODUCE_CALLBACK_SECRET);
  });

  it('keeps the development values in development and tests', () => {
    for (const env of ['development', 'test']) {
      const config = loadConfig({ NODE_ENV: env });
      expect(config.integrations.mes).toMatchObject({ apiKey: 'mes-dev-key', webhookSecret: 'mes-dev-webhook-secret' });
      expect(config.integrations.carrier).toMatchObject({ apiKey: 'carrier-dev-key', webhookSecret: 'carrier-dev-webhook-secret' });
    }
  });

  it.each([
    ['the API', 'src/api/main.ts', []],
    ['a worker', 'src/workers/main.ts', ['pricing']],
  ])('makes %s exit with code 2 and the message, before it connects to anything', (_name, script, args) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', MES_API_KEY: 'mes-dev-key', DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain('Invalid configuration:');
    expect(run.stderr).toMatch(/^ {2}MES_API_KEY: is a development value/m);
    for (const name of PRODUCTION_SECRET_NAMES.filter((n) => n !== 'MES_API_KEY'))
      expect(run.stderr).toMatch(new RegExp(`^  ${name}: required in production`, 'm'));
    expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });
});
