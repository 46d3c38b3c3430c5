import express from 'express';
import { pinoHttp } from 'pino-http';
import { rememberRouteBase, requestMetrics } from '../platform/metrics/http.js';
import type { ApiDeps } from './deps.js';
import { authenticate } from './middleware.js';
import { HttpProblem, problemHandler, sendProblem } from './problem.js';
import { openApiDocument } from './openapi.js';
import { HEALTH_ROUTES, healthRoutesContext } from './routes/health.js';
import { CATALOG_ROUTES } from './routes/catalog.js';
import { DASHBOARD_ROUTES, dashboardPageRoutes, dashboardRoutesContext } from './routes/dashboard.js';
import { codecRoutes } from './routes/codec.js';
import { docsRoutes } from './routes/docs.js';
import { ORDER_ROUTES, orderRoutesContext } from './routes/orders.js';
import { ORDER_LIST_ROUTES } from './routes/orders-list.js';
import { INTEGRATION_ROUTES, integrationRoutesContext } from './routes/integrations.js';
import { routerOf } from './route.js';
import { requestTracing } from './tracing.js';

export type { ApiDeps } from './deps.js';

/** Health checks: every few seconds from the deployment, neither logged nor traced. */
const probe = (req: { url?: string }) => req.url === '/healthz' || req.url === '/readyz';

/** The HTTP API: public routes, then everything under /v1 behind authentication and rate limits. */
export function createApp(deps: ApiDeps) {
  const app = express();
  app.disable('x-powered-by');
  // The client address (per-address limits, logs) is the one the gateway saw: only proxies on
  // loopback and private networks are trusted to name it, so nobody else can pick an address
  // of their own with X-Forwarded-For.
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  // First, so the metrics and the access log of a request run inside its span.
  app.use(requestTracing({ ignore: probe }));
  app.use(requestMetrics());
  app.use(pinoHttp({ logger: deps.log, autoLogging: { ignore: probe } }));

  // No /metrics here in any spelling: metrics have a listener of their own (METRICS_PORT, see
  // src/api/server.ts), so the public port answers them with the 404 below, gateway or not.
  app.use(routerOf(HEALTH_ROUTES, healthRoutesContext(deps)));
  app.use(docsRoutes(JSON.stringify(openApiDocument(deps.config))));
  app.use(dashboardPageRoutes());
  // The Temporal Web UI's and CLI's codec server: operator keys, authenticated by the router
  // itself, after the browser's CORS preflight (which carries no key; src/api/routes/codec.ts).
  app.use('/v1/codec', codecRoutes(deps));

  const v1 = express.Router();
  v1.use(rememberRouteBase);
  v1.use(authenticate(deps.clients, deps.authFailures));
  if (deps.rateLimiter) v1.use(deps.rateLimiter);
  v1.use(routerOf(ORDER_ROUTES, orderRoutesContext(deps), { base: '/v1' }));
  v1.use(routerOf(CATALOG_ROUTES, deps, { base: '/v1' }));
  v1.use(routerOf(ORDER_LIST_ROUTES, deps, { base: '/v1' }));
  v1.use(routerOf(INTEGRATION_ROUTES, integrationRoutesContext(deps), { base: '/v1' }));
  v1.use(routerOf(DASHBOARD_ROUTES, dashboardRoutesContext(deps), { base: '/v1' }));
  app.use('/v1', v1);

  app.use((req, res) => sendProblem(res, new HttpProblem(404, 'Not found', `No route ${req.method} ${req.path}.`), req.originalUrl));
  app.use(problemHandler(deps.log));
  return app;
}
