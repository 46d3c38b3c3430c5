/** Test helpers: config for the test environment and the real pipeline's workers in-process. */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { openDatabases } from '../../db/index.js';
import { startApi, type RunningApi } from '../../src/api/server.js';
import { SYSTEMS, loadConfig, temporalConnectionOptions, type Config } from '../../src/platform/config.js';
import type { OrderSource } from '../../src/order/intake.js';
import { createLogger } from '../../src/platform/logger.js';
import { dataConverter } from '../../src/platform/temporal/codec.js';
import { QUEUE_NAMES, orderWorkflowId, statusQuery, type OrderState, type QueueName } from '../../src/order/contract.js';
import type { WorkerContext } from '../../src/workers/context.js';
import { connectWorkers, createWorkers } from '../../src/workers/run.js';
import { httpClient, type HttpCall } from './http.js';

/** Time scale of tests: a courier's 8 h transit takes about 3 s, production well under 1 s. */
export const TEST_TIME_SCALE = '0.0001';

/** Environment of the pipeline under test, as a process would get it. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const urls = inject('databaseUrls');
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    SHOP_DATABASE_URL: urls.shop,
    CRM_DATABASE_URL: urls.crm,
    MES_DATABASE_URL: urls.mes,
    CARRIER_DATABASE_URL: urls.carrier,
    PRICING_DATABASE_URL: urls.pricing,
    PIPELINE_TIME_SCALE: TEST_TIME_SCALE,
    WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    PORT: '0',
    // Without the carrier's events (no CARRIER_EVENTS_URL), an order asks the carrier 1 s after the expected delivery.
    CARRIER_EVENT_GRACE_SECONDS: '1',
    // Test files share one shop database and one source address; the per-address count of failed
    // authentications must not carry from one file's bad-key rows into the next file's requests.
    AUTH_FAILURES_PER_MINUTE: '100000',
    ...extra,
  };
}

export function testConfig(extra: Record<string, string> = {}): Config {
  return loadConfig(testEnv(extra));
}

/** The payload codec of the pipeline under test, for clients and workers a test makes itself. */
export function testDataConverter(extra: Record<string, string> = {}) {
  return dataConverter(testConfig(extra));
}

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // installed already
  }
}

export interface TestPipeline {
  config: Config;
  client: Client;
  dbs: Awaited<ReturnType<typeof openDatabases<(typeof SYSTEMS)[number]>>>;
  /** Workers added by the test itself (e.g. with a fault injected) on the same connection. */
  addWorker(create: (ctx: { connection: Parameters<typeof Worker.create>[0]['connection']; namespace: string }) => Promise<Worker>): Promise<void>;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  queues?: QueueName[];
  env?: Record<string, string>;
  /** Wraps the embedded MES the mes worker uses (e.g. to inject a fault). */
  mes?: WorkerContext['mes'];
}

/** Runs the real workers of `queues` (all by default) against the test server and databases. */
export async function startPipeline(options: PipelineOptions = {}): Promise<TestPipeline> {
  quietRuntime();
  const config = testConfig(options.env);
  const dbs = await openDatabases(config, SYSTEMS);
  const nativeConnection = await connectWorkers(temporalConnectionOptions(config));
  const workers = await createWorkers(
    {
      config,
      connection: nativeConnection,
      db: { shop: dbs.shop.db, crm: dbs.crm.db, mes: dbs.mes.db, carrier: dbs.carrier.db, pricing: dbs.pricing.db },
      workflowBundlePath: config.workflowBundlePath,
      ...(options.mes ? { mes: options.mes } : {}),
    },
    options.queues ?? QUEUE_NAMES,
  );
  const extra: Worker[] = [];
  const runs: Promise<void>[] = [workers.run()];
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(config) });
  return {
    config,
    client,
    dbs,
    async addWorker(create) {
      const w = await create({ connection: nativeConnection, namespace: config.temporal.namespace });
      extra.push(w);
      runs.push(w.run());
    },
    async stop() {
      workers.shutdown();
      for (const w of extra) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all(runs);
      await connection.close();
      await nativeConnection.close();
      await dbs.close();
    },
  };
}

export interface TestPipelineWithApi {
  pipeline: TestPipeline;
  api: RunningApi;
  /** HTTP client of `api`. */
  call: HttpCall;
  /** Closes the API, then stops the pipeline. */
  stop(): Promise<void>;
}

/** The real pipeline (see startPipeline) with the REST API in front of it, on a free port. */
export async function startPipelineWithApi(options: PipelineOptions = {}): Promise<TestPipelineWithApi> {
  const pipeline = await startPipeline(options);
  let api: RunningApi;
  try {
    // With its metrics listener on a free port, as METRICS_PORT gives it in a deployment.
    api = await startApi({ config: pipeline.config, log: createLogger('silent'), shop: pipeline.dbs.shop, metricsPort: 0 });
  } catch (err) {
    await pipeline.stop();
    throw err;
  }
  return {
    pipeline,
    api,
    call: httpClient(() => api.url),
    async stop() {
      try {
        await api.close();
      } finally {
        await pipeline.stop();
      }
    },
  };
}

/** Order sources of the dev clients (src/api/clients.ts), for tests that start orders without the API. */
export const SHOP_SOURCE: OrderSource = { clientId: 'shop', kind: 'shop', tier: 'shop' };
export const ACME_SOURCE: OrderSource = { clientId: 'partner-acme', kind: 'partner', partnerId: 'acme', tier: 'standard' };
export const GLOBEX_SOURCE: OrderSource = { clientId: 'partner-globex', kind: 'partner', partnerId: 'globex', tier: 'standard' };

/** Polls the order's `status` query until `done(state)` holds; fails after `timeoutMs`. */
export async function waitForOrder(client: Client, orderId: string, done: (state: OrderState) => boolean, timeoutMs = 30_000): Promise<OrderState> {
  const deadline = Date.now() + timeoutMs;
  let last: OrderState | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await client.workflow.getHandle(orderWorkflowId(orderId)).query(statusQuery);
      if (done(last)) return last;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `order ${orderId} did not reach the expected state in ${timeoutMs} ms; last status ${last?.status ?? 'unknown'} ${lastError ? String(lastError) : ''}`,
  );
}

export { sampleOrder } from './sample-order.js';
