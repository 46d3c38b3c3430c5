import express from 'express';
import { pinoHttp } from 'pino-http';
import { rememberRouteBase, requestMetrics } from '../metrics/http.js';
import type { ApiDeps } from './deps.js';
import { authenticate } from './middleware.js';
import { HttpProblem, problemHandler, sendProblem } from './problem.js';
import { healthRoutes } from './routes/health.js';
import { catalogRoutes } from './routes/catalog.js';
import { dashboardPageRoutes, dashboardRoutes } from './routes/dashboard.js';
import { docsRoutes } from './routes/docs.js';
import { orderRoutes } from './routes/orders.js';
import { orderListRoutes } from './routes/orders-list.js';
import { integrationRoutes } from './routes/integrations.js';
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
  app.use(healthRoutes(deps));
  app.use(docsRoutes(deps));
  app.use(dashboardPageRoutes());

  const v1 = express.Router();
  v1.use(rememberRouteBase);
  v1.use(authenticate(deps.clients, deps.authFailures));
  if (deps.rateLimiter) v1.use(deps.rateLimiter);
  v1.use(orderRoutes(deps));
  v1.use(catalogRoutes(deps));
  v1.use(orderListRoutes(deps));
  v1.use(integrationRoutes(deps));
  v1.use(dashboardRoutes(deps));
  app.use('/v1', v1);

  app.use((req, res) => sendProblem(res, new HttpProblem(404, 'Not found', `No route ${req.method} ${req.path}.`), req.originalUrl));
  app.use(problemHandler(deps.log));
  return app;
}
