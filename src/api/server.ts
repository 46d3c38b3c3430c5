import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { hasSeparateShopReader, openShopReader, type SystemDb } from '../../db/index.js';
import { ConfigError, temporalConnectionOptions, type Config } from '../platform/config.js';
import { dataConverter } from '../platform/temporal/codec.js';
import { workflowClientInterceptors } from '../platform/tracing/index.js';
import { startMetricsServer, type MetricsServer } from '../platform/metrics/http.js';
import { attachPipelineGauges } from './metrics-sources.js';
import { createApp } from './app.js';
import { createClientDirectory, liveDevKeyClients, registerIntegrationKeys, seedDevClients } from './clients.js';
import { HttpProblem, problemDocument } from './problem.js';
import { createAuthFailureLimiter, createRateLimiter } from './rate-limit.js';

export interface RunningApi {
  url: string;
  port: number;
  server: Server;
  /** The metrics listener (its own port, never the public one); undefined = none. */
  metrics: MetricsServer | undefined;
  close(): Promise<void>;
}

/**
 * Refuses production while any API client still has a development key (public in the source),
 * e.g. one seeded when the database served development.
 */
async function refuseDevKeys(shop: SystemDb<'shop'>): Promise<void> {
  const ids = await liveDevKeyClients(shop.db);
  if (ids.length === 0) return;
  throw new ConfigError(
    `Refusing to start in production: the API client(s) ${ids.join(', ')} still have their development keys, which are public.\n` +
      `Revoke them (${ids.map((id) => `npm run clients -- revoke ${id}`).join('; ')}) and create clients with keys of their own (npm run clients -- create).`,
  );
}

/**
 * Starts the HTTP API on `config.port` (0 = any free port). The Temporal connection is lazy, so
 * the API comes up even while Temporal is down and answers 503 until it is back.
 */
export async function startApi(options: {
  config: Config;
  log: Logger;
  shop: SystemDb<'shop'>;
  /** Port of the metrics listener (0 = any free port); default `config.metrics.port`, unset = none. */
  metricsPort?: number;
}): Promise<RunningApi> {
  const { config, log, shop } = options;
  if (config.env === 'production') await refuseDevKeys(shop);
  else await seedDevClients(shop.db);
  const unusable = await registerIntegrationKeys(shop.db, config.integrations);
  if (unusable.length > 0) {
    log.warn({ clients: unusable }, 'the integration client(s) are revoked or their id belongs to another kind of client: their events are refused');
  }
  const reader = await openShopReader(config, shop);
  const connection = Connection.lazy({ ...temporalConnectionOptions(config), connectTimeout: 3_000 });
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverter(config),
    interceptors: { workflow: workflowClientInterceptors() },
  });
  const apiLog = log.child({ component: 'api' });
  const app = createApp({
    config,
    log: apiLog,
    temporal,
    shop: shop.db,
    shopReader: reader.db,
    clients: createClientDirectory(shop.db),
    // Counters in the shop database (not the read replica): shared by every API replica.
    rateLimiter: createRateLimiter({ shop: shop.db, log: apiLog }),
    authFailures: createAuthFailureLimiter({ shop: shop.db, log: apiLog, limit: config.authFailuresPerMinute }),
  });
  const detachGauges = attachPipelineGauges({
    shopReader: reader.db,
    separateReader: hasSeparateShopReader(config),
    temporal,
    namespace: config.temporal.namespace,
    cacheMs: config.metrics.cacheMs,
    log: apiLog,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, () => resolve(s));
    s.once('error', reject);
  }).catch((err: unknown) => {
    detachGauges();
    throw err;
  });
  server.on('clientError', answerClientError);
  const port = (server.address() as AddressInfo).port;
  // Metrics on a listener of their own: the public port (behind the gateway or not) never serves them.
  const metricsPort = options.metricsPort ?? config.metrics.port;
  let metrics: MetricsServer | undefined;
  if (metricsPort !== undefined) {
    try {
      metrics = await startMetricsServer({ port: metricsPort, host: config.metrics.host, log: apiLog });
    } catch (err) {
      detachGauges();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw err;
    }
  }
  return {
    url: `http://localhost:${port}`,
    port,
    server,
    metrics,
    async close() {
      detachGauges();
      await metrics?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await connection.close();
      await reader.close();
    },
  };
}

/**
 * Requests Node's HTTP parser refuses before express sees them (a control character in a
 * header, headers over the size limit, a broken request line, a header timeout) are answered
 * as problem+json too, instead of Node's bare status line.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // As Node's default: never write into a response already under way, nor to a gone peer.
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, title, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request header fields too large', 'The request headers exceed the server limit.']
      : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
        ? [413, 'Payload too large', 'The chunk extensions exceed the server limit.']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request timeout', 'The request was not received in time.']
          : [400, 'Bad request', 'The request is not valid HTTP/1.1 (e.g. a control character in a header).'];
  const body = problemDocument(new HttpProblem(status, title, detail));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
