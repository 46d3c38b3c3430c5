/**
 * The Temporal side of an order on a server the product did not start: `npm run temporal:setup`
 * (run as an operator runs it, a child process) registers the namespace and the search
 * attributes; `/readyz` is not ready until they exist with the right types. Every case works on
 * a namespace of its own on the tests' Temporal server, so nothing else sees it.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, type ConnectionLike } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabases } from '../db/index.js';
import { startApi, type RunningApi } from '../src/api/server.js';
import { createLogger } from '../src/platform/logger.js';
import { createSetupProbe } from '../src/platform/temporal/setup.js';
import { SEARCH_ATTRIBUTES, orderWorkflowId } from '../src/order/contract.js';
import { TEST_DATA_DIR } from './support/constants.js';
import { httpClient } from './support/http.js';
import { freePort, spawnPart, stopPart } from './support/processes.js';
import { freshShopDatabase, productionSecrets } from './support/production-env.js';
import { sampleOrder, testConfig, testEnv } from './support/pipeline.js';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const ATTRIBUTE_NAMES = Object.values(SEARCH_ATTRIBUTES).map((k) => k.name);
const SHOP = 'shop-dev-key';

let connection: Connection;
let dbs: Awaited<ReturnType<typeof openDatabases<'shop'>>>;
const apis: RunningApi[] = [];
const parts: ChildProcess[] = [];
const started: { namespace: string; orderId: string }[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  dbs = await openDatabases(testConfig(), ['shop']);
});

afterAll(async () => {
  for (const { namespace, orderId } of started) {
    await new Client({ connection, namespace }).workflow
      .getHandle(orderWorkflowId(orderId))
      .terminate('setup test: no workers run here')
      .catch(() => undefined);
  }
  for (const part of parts) await stopPart(part, 'SIGTERM');
  for (const api of apis) await api.close();
  await dbs?.close();
  await connection?.close();
});

/** A namespace name no other test uses. */
const freshNamespace = (what: string) => `setup-${what}-${randomUUID().slice(0, 8)}`;

/** The API on `namespace` (no start-up setup: that is the entries' job, not startApi's). */
async function apiOn(namespace: string) {
  const api = await startApi({ config: testConfig({ TEMPORAL_NAMESPACE: namespace }), log: createLogger('silent'), shop: dbs.shop });
  apis.push(api);
  return httpClient(() => api.url);
}

/** `npm run temporal:setup -- <args>` with the test environment on `namespace`. */
function runSetup(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', 'temporal:setup', '--', ...args],
      { env: { ...process.env, ...testEnv(env) }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** Registers `namespace` the way another tool would: without the pipeline's search attributes. */
async function registerBare(namespace: string): Promise<void> {
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  for (const deadline = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 200))) {
    try {
      await connection.operatorService.listSearchAttributes({ namespace });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}

async function customAttributes(namespace: string) {
  return (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
}

/** What a public readiness answer must not show: internal addresses, the namespace, attribute names. */
function expectNothingInternal(text: string, namespace: string) {
  expect(text).not.toContain(inject('temporalAddress'));
  expect(text).not.toContain('127.0.0.1');
  expect(text).not.toContain(namespace);
  for (const name of ATTRIBUTE_NAMES) expect(text).not.toContain(name);
}

describe('a namespace without the search attributes', () => {
  const namespace = freshNamespace('bare');
  let call: ReturnType<typeof httpClient>;
  beforeAll(async () => {
    await registerBare(namespace);
    call = await apiOn(namespace);
  });

  it('is not ready, and says that search attributes are missing without naming them', async () => {
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({
      status: 'not ready',
      checks: { temporal: 'ok', namespace: 'ok', searchAttributes: 'missing', database: 'ok' },
    });
    expectNothingInternal(ready.text, namespace);
    // What the issue saw: the order is refused, not lost.
    expect((await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() })).status).toBe(503);
  });

  it('temporal:setup adds every attribute with its type; then the API is ready and takes an order (202)', async () => {
    const run = await runSetup({ TEMPORAL_NAMESPACE: namespace });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Namespace "${namespace}" is set up for orders: added ${ATTRIBUTE_NAMES.join(', ')}`);
    const attributes = await customAttributes(namespace);
    for (const key of Object.values(SEARCH_ATTRIBUTES)) {
      expect(attributes[key.name], key.name).toBe(IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]);
    }
    // A negative answer is not cached: ready at the next probe.
    const ready = await call('GET', '/readyz');
    expect(ready.status, ready.text).toBe(200);
    expect(ready.json.checks).toEqual({ temporal: 'ok', namespace: 'ok', searchAttributes: 'ok', database: 'ok' });
    const placed = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder() });
    expect(placed.status, placed.text).toBe(202);
    started.push({ namespace, orderId: placed.json.id });
  });

  it('a second temporal:setup changes nothing and exits 0', async () => {
    const before = await customAttributes(namespace);
    const run = await runSetup({ TEMPORAL_NAMESPACE: namespace });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('nothing to do');
    expect(run.stdout).not.toMatch(/Adding|Registering/);
    expect(await customAttributes(namespace)).toEqual(before);
  });
});

describe('a namespace that does not exist', () => {
  const namespace = freshNamespace('none');
  let call: ReturnType<typeof httpClient>;
  beforeAll(async () => {
    call = await apiOn(namespace);
  });

  it('is not ready: namespace and search attributes missing', async () => {
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json.checks).toMatchObject({ temporal: 'ok', namespace: 'missing', searchAttributes: 'missing' });
    expectNothingInternal(ready.text, namespace);
  });

  it('temporal:setup --check reports it and exits 1 without changing anything', async () => {
    const run = await runSetup({ TEMPORAL_NAMESPACE: namespace }, '--check');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the Temporal namespace "${namespace}" does not exist`);
    await expect(connection.workflowService.describeNamespace({ namespace })).rejects.toThrow(/not found/i);
  });

  it('temporal:setup registers it with the configured retention and adds the attributes', async () => {
    const run = await runSetup({ TEMPORAL_NAMESPACE: namespace, TEMPORAL_NAMESPACE_RETENTION_DAYS: '3' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Registering namespace "${namespace}" (retention of closed orders: 3 days)`);
    expect(run.stdout).toContain('registered the namespace, added');
    const described = await connection.workflowService.describeNamespace({ namespace });
    expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(3 * 86_400);
    expect(Object.keys(await customAttributes(namespace))).toEqual(expect.arrayContaining(ATTRIBUTE_NAMES));
    expect((await call('GET', '/readyz')).status).toBe(200);
    expect((await runSetup({ TEMPORAL_NAMESPACE: namespace }, '--check')).code).toBe(0);
  });
});

describe('an attribute of the wrong type', () => {
  const namespace = freshNamespace('type');
  beforeAll(async () => {
    await registerBare(namespace);
    // Another tool registered OrderPriority as Keyword; orders set it as Int.
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: { [SEARCH_ATTRIBUTES.OrderPriority.name]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    });
  });

  it('is not ready, and temporal:setup refuses to guess: exit 1 saying which attribute and what to do', async () => {
    const call = await apiOn(namespace);
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json.checks.searchAttributes).toBe('wrong type');
    const run = await runSetup({ TEMPORAL_NAMESPACE: namespace });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('has OrderPriority as KEYWORD, but orders set it as INT');
    expect(run.stderr).toMatch(/another TEMPORAL_NAMESPACE/);
  });
});

describe('temporal:setup without a server', () => {
  it('says it cannot reach Temporal and what to check, exit 1', async () => {
    const run = await runSetup({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
    expect(run.stderr).toMatch(/Is the server running, and is TEMPORAL_ADDRESS/);
  });

  it('answers --help with the commands, exit 0', async () => {
    const run = await runSetup({}, '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/setup\s+\(npm run temporal:setup\)/);
  });
});

describe('the readiness probe', () => {
  /** The connection, counting describeNamespace calls. */
  function counting(): { conn: ConnectionLike; describes: () => number } {
    let n = 0;
    const workflowService = new Proxy(connection.workflowService, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== 'describeNamespace') return value;
        return (...args: unknown[]) => {
          n++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const conn = new Proxy(connection, { get: (t, p, r) => (p === 'workflowService' ? workflowService : Reflect.get(t, p, r)) });
    return { conn, describes: () => n };
  }

  it('remembers a positive answer (one describe for many probes) and checks a negative one every time', async () => {
    const good = counting();
    const probe = createSetupProbe(good.conn, 'default', { cacheMs: 30_000 });
    await Promise.all([probe(), probe()]);
    for (let i = 0; i < 5; i++) await probe();
    expect(good.describes()).toBe(1);

    const bad = counting();
    const missing = createSetupProbe(bad.conn, freshNamespace('probe'), { cacheMs: 30_000 });
    for (let i = 0; i < 3; i++) expect((await missing()).namespaceState).toBe('missing');
    expect(bad.describes()).toBe(3);
  });
});

describe('start-up of the API and worker processes on a namespace that is not set up', () => {
  /** Starts `npm run api` on `namespace`; resolves with its URL once it answers. */
  async function apiProcess(namespace: string, env: Record<string, string>, logName: string) {
    const port = await freePort();
    const part = spawnPart('src/api/main.ts', [], testEnv({ TEMPORAL_NAMESPACE: namespace, PORT: String(port), LOG_LEVEL: 'info', ...env }), logName);
    parts.push(part);
    return { url: `http://127.0.0.1:${port}`, log: () => readFileSync(path.join(TEST_DATA_DIR, 'faults', `${logName}.log`), 'utf8') };
  }

  /** Polls /readyz until it answers `status` (or the time is up); returns the last answer. */
  async function readyzUntil(url: string, status: number, timeoutMs: number) {
    let last: { status: number; json: any } | undefined;
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      try {
        const res = await fetch(`${url}/readyz`);
        last = { status: res.status, json: await res.json() };
        if (res.status === status) break;
      } catch {
        // not listening yet
      }
    }
    return last;
  }

  it('TEMPORAL_SETUP=auto (the default outside production) sets the namespace up; the API becomes ready', async () => {
    const namespace = freshNamespace('auto');
    const api = await apiProcess(namespace, {}, `setup-auto-${namespace}`);
    const ready = await readyzUntil(api.url, 200, 60_000);
    expect(ready?.status, JSON.stringify(ready?.json)).toBe(200);
    expect(Object.keys(await customAttributes(namespace))).toEqual(expect.arrayContaining(ATTRIBUTE_NAMES));
    expect(api.log()).toContain(`Namespace \\"${namespace}\\" is set up for orders: registered the namespace, added`);
  });

  it('a worker process (npm run worker) does the same before it polls', async () => {
    const namespace = freshNamespace('worker');
    const logName = `setup-worker-${namespace}`;
    parts.push(spawnPart('src/workers/main.ts', ['pricing'], testEnv({ TEMPORAL_NAMESPACE: namespace, LOG_LEVEL: 'info' }), logName));
    const log = () => readFileSync(path.join(TEST_DATA_DIR, 'faults', `${logName}.log`), 'utf8');
    for (const deadline = Date.now() + 60_000; !log().includes('workers running'); await new Promise((r) => setTimeout(r, 250))) {
      if (Date.now() > deadline) throw new Error(`the worker did not start:\n${log()}`);
    }
    expect(log()).toContain(`Namespace \\"${namespace}\\" is set up for orders: registered the namespace, added`);
    expect(Object.keys(await customAttributes(namespace))).toEqual(expect.arrayContaining(ATTRIBUTE_NAMES));
  });

  it('in production it changes nothing: not ready, and the log says what is missing and what to run', async () => {
    const namespace = freshNamespace('prod');
    await registerBare(namespace);
    const api = await apiProcess(
      namespace,
      // A shop database without the development clients, which production refuses.
      {
        NODE_ENV: 'production',
        TEMPORAL_TLS: 'false',
        ...productionSecrets(),
        SHOP_DATABASE_URL: await freshShopDatabase(inject('databaseUrls').shop, 'prod_setup'),
      },
      `setup-check-${namespace}`,
    );
    // Answers, and goes on answering 503: nothing adds the attributes.
    const first = await readyzUntil(api.url, 503, 60_000);
    expect(first?.json.checks).toMatchObject({ temporal: 'ok', namespace: 'ok', searchAttributes: 'missing' });
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await readyzUntil(api.url, 503, 5_000))?.status).toBe(503);
    expect(await customAttributes(namespace)).not.toHaveProperty(SEARCH_ATTRIBUTES.OrderStatus.name);
    expect(api.log()).toContain('npm run temporal:setup');
    expect(api.log()).toContain(`the Temporal namespace \\"${namespace}\\" lacks the search attributes`);
  });
});
