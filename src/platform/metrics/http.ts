/**
 * Metrics over HTTP: the API's request metrics middleware, and the small listener every process
 * (the API and each worker) serves its `/metrics` on, apart from the API's public port.
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

export interface MetricsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * A process's metrics listener (the API's and each worker's): `GET /metrics` on `port` (0 = any
 * free port) and `host` (default every interface), nothing else. Never on the API's public port.
 */
export async function startMetricsServer(options: { port: number; host?: string | undefined; log: Logger }): Promise<MetricsServer> {
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
    if (options.host) server.listen(options.port, options.host, () => resolve());
    else server.listen(options.port, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host =
    !options.host || options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    port,
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
