/**
 * The public gateway (deploy/nginx/api.conf) run by the real nginx in front of the real API:
 * metrics stay inside the deployment under every spelling a client can send (the API itself serves
 * them only on its metrics listener), everything else
 * passes through. The file is used as it is, with only the listen port and the upstream address
 * replaced (src/cluster/gateway.ts, as `npm run cluster` runs it: the compose network's `api:3000` does not exist here).
 * Needs nginx on the machine (Debian: `apt-get install -y nginx`), as the browser test needs Chromium.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../src/api/server.js';
import { nginxBinary, startGateway } from '../src/cluster/gateway.js';
import { logTail } from '../src/platform/processes.js';
import { createLogger } from '../src/platform/logger.js';
import { startPipeline, type TestPipeline } from './support/pipeline.js';
import { freePort, stopPart, waitForHttp } from './support/processes.js';

/**
 * Spellings of the metrics path a client may send, as raw request targets (fetch would
 * normalise some of them before sending). nginx itself folds the ones marked `normalised` into
 * `/metrics` before it picks a location; the others reach the location match as they are.
 */
const METRICS_SPELLINGS: { target: string; normalised?: true }[] = [
  { target: '/metrics' },
  { target: '/metrics?x', normalised: true },
  { target: '/metrics?format=openmetrics', normalised: true },
  { target: '/metrics/' },
  { target: '/metrics/?x=1' },
  { target: '/METRICS' },
  { target: '/Metrics' },
  { target: '/mEtRiCs/' },
  { target: '//metrics', normalised: true },
  { target: '///metrics/' },
  { target: '/./metrics', normalised: true },
  { target: '/v1/../metrics', normalised: true },
  { target: '/%6detrics', normalised: true },
  { target: '/%6Detrics', normalised: true },
  { target: '/%2Fmetrics', normalised: true },
  { target: '/metrics%2F' },
  { target: '/metrics;x' },
  { target: '/metrics;jsessionid=1' },
  { target: '/METRICS;x/' },
];

interface Raw {
  status: number;
  type: string | undefined;
  body: string;
}

/** One request with the target sent byte for byte as given. */
function rawRequest(port: number, target: string, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A Prometheus text exposition, whatever the path it came from. */
const looksLikeMetrics = (body: string) => /^# (HELP|TYPE) /m.test(body);

let pipeline: TestPipeline;
let api: RunningApi;
let nginx: ChildProcess | undefined;
let nginxDir: string | undefined;
let gatewayPort: number;

beforeAll(async () => {
  const bin = nginxBinary();
  if (!bin) throw new Error('nginx is not installed; the gateway test runs the real nginx (Debian: apt-get install -y nginx)');
  pipeline = await startPipeline({ queues: [] });
  api = await startApi({ config: pipeline.config, log: createLogger('silent'), shop: pipeline.dbs.shop, metricsPort: 0 });

  gatewayPort = await freePort();
  nginxDir = mkdtempSync(path.join(tmpdir(), 'gateway-'));
  const gateway = startGateway({ dir: nginxDir, listen: `127.0.0.1:${gatewayPort}`, upstreams: [`127.0.0.1:${api.port}`] });
  nginx = gateway.child;
  const exited = new Promise<never>((_, reject) => nginx!.once('exit', (code) => reject(new Error(`nginx exited (${code}): ${logTail(gateway.logFile)}`))));
  await Promise.race([waitForHttp(`http://127.0.0.1:${gatewayPort}/healthz`, 15_000), exited]);
});

afterAll(async () => {
  await stopPart(nginx, 'SIGTERM');
  if (nginxDir) rmSync(nginxDir, { recursive: true, force: true });
  await api?.close();
  await pipeline?.stop();
});

describe('the public gateway', () => {
  it('passes the API through (health, docs, the v1 routes)', async () => {
    expect((await rawRequest(gatewayPort, '/healthz')).status).toBe(200);
    const doc = await rawRequest(gatewayPort, '/openapi.json');
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.body).openapi).toMatch(/^3\./);
    // Reaches the API's authentication, not the gateway.
    const v1 = await rawRequest(gatewayPort, '/v1/orders');
    expect(v1.status).toBe(401);
    expect(v1.type).toContain('application/problem+json');
  });

  it.each(METRICS_SPELLINGS)('answers $target with 404 problem+json, never the metrics', async ({ target }) => {
    for (const method of ['GET', 'HEAD']) {
      const res = await rawRequest(gatewayPort, target, method);
      expect(res.status, `${method} ${target}`).toBe(404);
      expect(res.type, `${method} ${target}`).toContain('application/problem+json');
      expect(looksLikeMetrics(res.body), `${method} ${target}`).toBe(false);
    }
    expect(JSON.parse((await rawRequest(gatewayPort, target)).body)).toMatchObject({ status: 404, title: 'Not found' });
  });

  it('blocks paths under /metrics of any case before the API sees them', async () => {
    // The answer is the gateway's own (its detail names the public port), not the API's 404.
    for (const target of ['/metrics/', '/METRICS', '/metrics;x']) {
      expect(JSON.parse((await rawRequest(gatewayPort, target)).body).detail, target).toMatch(/public port/);
    }
  });
});

describe('the API behind it', () => {
  it('serves no metrics on its public port: they are on the metrics listener, where Prometheus scrapes each replica', async () => {
    const res = await rawRequest(api.port, '/metrics');
    expect(res.status).toBe(404);
    expect(res.type).toContain('application/problem+json');
    expect(looksLikeMetrics(res.body)).toBe(false);
    const metricsPort = Number(new URL(api.metrics!.url).port);
    expect(metricsPort).not.toBe(api.port);
    const scraped = await rawRequest(metricsPort, '/metrics');
    expect(scraped.status).toBe(200);
    expect(looksLikeMetrics(scraped.body)).toBe(true);
  });

  it.each(METRICS_SPELLINGS)('answers $target with 404 problem+json itself, so it does not rely on the gateway alone', async ({ target }) => {
    for (const method of ['GET', 'HEAD']) {
      const res = await rawRequest(api.port, target, method);
      // express does not resolve `..`: `/v1/../metrics` is a /v1 route to it, refused without a key.
      expect(res.status, `${method} ${target}`).toBe(target.startsWith('/v1/') ? 401 : 404);
      expect(res.type, `${method} ${target}`).toContain('application/problem+json');
      expect(looksLikeMetrics(res.body), `${method} ${target}`).toBe(false);
    }
  });
});
