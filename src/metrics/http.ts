/**
 * Metrics over HTTP: the API's request metrics middleware and `/metrics` handler, and the small
 * listener a worker process serves its metrics on (workers have no HTTP API of their own).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { apiRequestDuration, apiRequests, registry, secondsSince } from './registry.js';

/** Label of requests answered before any route matched them (404, or refused by auth or rate limits). */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * The express route pattern that answered, e.g. `/v1/orders/:id`: never the raw URL, so the
 * label's values are bounded by the routes the app has. The mount path is the one seen when the
 * route matched (`routeBase`), because express resets `req.baseUrl` once an error leaves a router.
 */
export function routeLabel(req: Request, res: Response): string {
  const route = req.route as { path?: unknown } | undefined;
  if (!route || typeof route.path !== 'string') return UNMATCHED_ROUTE;
  const base = typeof res.locals.routeBase === 'string' ? res.locals.routeBase : req.baseUrl;
  return `${base}${route.path}` || '/';
}

/** Counts and times every answer by route pattern, method and status (install first). */
export function requestMetrics(): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = { route: routeLabel(req, res), method: req.method, status: String(res.statusCode) };
      apiRequests.inc(labels);
      apiRequestDuration.observe(labels, secondsSince(started));
    });
    next();
  };
}

/**
 * Remembers the mount path of a router for the route label: install it as the router's first
 * middleware, so it runs for every request the router sees.
 */
export const rememberRouteBase: RequestHandler = (req, res, next) => {
  res.locals.routeBase = req.baseUrl;
  next();
};

/** `GET /metrics`: the Prometheus text format of this process's registry. */
export const metricsHandler: RequestHandler = async (_req, res) => {
  const body = await registry.metrics();
  res.set('Content-Type', registry.contentType).set('Cache-Control', 'no-store').send(body);
};

export interface MetricsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A worker process's metrics listener: `GET /metrics` on `port` (0 = any free port), nothing else. */
export async function startMetricsServer(options: { port: number; log: Logger }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: metrics are at GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
      (err: unknown) => {
        options.log.error({ err }, 'metrics: scrape failed');
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://localhost:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
