/**
 * The operators' dashboard: `GET /dashboard` is a static page (no data in it) that asks for an
 * operator key and polls `GET /v1/dashboard` with it; the charts are drawn by Chart.js, served
 * from the installed package like the docs page's Swagger UI, so the page needs no internet.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Router } from 'express';
import type { z } from 'zod';
import { cached, taskQueueBacklogs } from '../metrics-sources.js';
import { DEFAULT_WINDOW, DashboardQuerySchema, DashboardSchema, createClosedHoursCache, readDashboard } from '../dashboard.js';
import type { ApiDeps } from '../deps.js';
import { zodFieldErrors } from '../problem.js';
import { route, routerOf } from '../route.js';
import { AUTHENTICATED, ok, response, validationFailed } from '../route-docs.js';

/** The page's own files (HTML, script, stylesheet). */
const PAGE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dashboard');
/** Chart.js's prebuilt UMD bundle, from the installed package. */
const CHART_JS = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
/** Where the page's scripts and stylesheet are served. */
export const DASHBOARD_ASSETS_PATH = '/dashboard/assets';

const ASSETS: Record<string, { file: string; type: string }> = {
  '/dashboard.js': { file: path.join(PAGE_DIR, 'dashboard.js'), type: 'text/javascript' },
  '/dashboard.css': { file: path.join(PAGE_DIR, 'dashboard.css'), type: 'text/css' },
  '/chart.umd.min.js': { file: CHART_JS, type: 'text/javascript' },
};

/** Only this server's scripts and styles; data only from this server's API. */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page's HTML and assets, read once, with the headers they are served with. */
function dashboardPage() {
  const html = readFileSync(path.join(PAGE_DIR, 'index.html'), 'utf8');
  const assets = Object.fromEntries(
    Object.entries(ASSETS).map(([name, a]) => {
      const body = readFileSync(a.file);
      return [name, { ...a, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }];
    }),
  );
  const security = { 'Content-Security-Policy': PAGE_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
  return { html, assets, security };
}
type DashboardPage = ReturnType<typeof dashboardPage>;

/** `GET /dashboard`; public, since the page holds no data. */
export const DASHBOARD_PAGE_ROUTES = [
  route<DashboardPage>()({
    method: 'get',
    path: '/dashboard',
    operationId: 'dashboardPage',
    tags: ['Dashboard'],
    summary: "The operators' dashboard (HTML)",
    description:
      'A static page: it asks for an operator key and draws `GET /v1/dashboard` with Chart.js (served from this server), refreshing every 10 s. ' +
      'The page itself holds no data.',
    responses: () => ({ '200': { description: 'The dashboard page.', content: { 'text/html': { schema: { type: 'string' } } } } }),
    handler:
      ({ html, security }) =>
      (_req, res) => {
        res
          .set({ ...security, 'Cache-Control': 'no-cache' })
          .type('html')
          .send(html);
      },
  }),
];

/** `GET /dashboard` and its assets. */
export function dashboardPageRoutes(): Router {
  const page = dashboardPage();
  const { assets, security } = page;
  const router = routerOf(DASHBOARD_PAGE_ROUTES, page);
  router.use(DASHBOARD_ASSETS_PATH, (req, res, next) => {
    const asset = assets[req.path];
    if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.set({ ...security, 'Cache-Control': 'no-cache', ETag: asset.etag }).type(asset.type);
    if (req.get('if-none-match') === asset.etag) return void res.status(304).end();
    res.send(asset.body);
  });
  return router;
}

/** Field errors of the query; an unknown parameter is reported under its own name. */
function queryErrors(error: z.ZodError) {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: key, message: 'unknown query parameter; allowed: window' }))
      : zodFieldErrors({ issues: [issue] } as z.ZodError),
  );
}

/** What `GET /v1/dashboard` keeps between requests: closed hours and the task queue backlog, cached. */
export function dashboardRoutesContext(deps: ApiDeps) {
  const { config } = deps;
  // One round of DescribeTaskQueue per cache period, however many dashboards are open.
  const closedHours = createClosedHoursCache();
  const backlog = cached(() => taskQueueBacklogs(deps.temporal, config.temporal.namespace), Math.max(config.metrics.cacheMs, 1_000));
  return { deps, closedHours, backlog };
}

/** `GET /v1/dashboard?window=`: the dashboard's numbers, for operator keys. */
export const DASHBOARD_ROUTES = [
  route<ReturnType<typeof dashboardRoutesContext>>()({
    method: 'get',
    path: '/v1/dashboard',
    operationId: 'getDashboard',
    tags: ['Dashboard'],
    summary: "The operators' dashboard figures",
    description:
      'Operator keys only. Orders by status and channel, throughput per interval, open overdue and at-risk orders with their Web UI links, ' +
      'stage duration and queue wait percentiles (shop against partner orders), backlog and workers per task queue. Read from rollups that ' +
      'triggers keep in the shop database, so the answer costs the same however many orders exist. `GET /dashboard` draws it.',
    allow: ['operator'],
    request: { query: { schema: DashboardQuerySchema, errors: queryErrors, detail: 'The query parameters do not match the schema.' } },
    responses: (ex) => ({
      '200': ok('The figures.', DashboardSchema, ex.dashboard),
      '403': response('Forbidden'),
      '422': validationFailed(
        'An unknown `window` or query parameter.',
        '/v1/dashboard?window=1y',
        [{ path: 'window', message: 'Invalid option: expected one of "24h"|"7d"|"30d"' }],
        'The query parameters do not match the schema.',
      ),
      ...AUTHENTICATED,
    }),
    handler:
      ({ deps, closedHours, backlog }) =>
      async (_req, res, { query }) => {
        const { config } = deps;
        const body = await readDashboard(
          { shopReader: deps.shopReader, closedHours, backlog, uiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace },
          query.window ?? DEFAULT_WINDOW,
        );
        res.set('Cache-Control', 'no-store').json(body);
      },
  }),
];
