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
import { Router } from 'express';
import type { z } from 'zod';
import { cached, taskQueueBacklogs } from '../../metrics/sources.js';
import { DEFAULT_WINDOW, DashboardQuerySchema, createClosedHoursCache, readDashboard } from '../dashboard.js';
import type { ApiDeps } from '../deps.js';
import { allow } from '../middleware.js';
import { validationProblem, zodFieldErrors } from '../problem.js';

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

/** `GET /dashboard` and its assets; public, since the page holds no data. */
export function dashboardPageRoutes(): Router {
  const router = Router();
  const html = readFileSync(path.join(PAGE_DIR, 'index.html'), 'utf8');
  const assets = Object.fromEntries(
    Object.entries(ASSETS).map(([name, a]) => {
      const body = readFileSync(a.file);
      return [name, { ...a, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }];
    }),
  );
  const security = { 'Content-Security-Policy': PAGE_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };

  router.get('/dashboard', (_req, res) => {
    res.set({ ...security, 'Cache-Control': 'no-cache' }).type('html').send(html);
  });
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

/** `GET /v1/dashboard?window=`: the dashboard's numbers, for operator keys. */
export function dashboardRoutes(deps: ApiDeps): Router {
  const { config } = deps;
  const router = Router();
  // One round of DescribeTaskQueue per cache period, however many dashboards are open.
  const closedHours = createClosedHoursCache();
  const backlog = cached(() => taskQueueBacklogs(deps.temporal, config.temporal.namespace), Math.max(config.metrics.cacheMs, 1_000));

  router.get('/dashboard', allow('operator'), async (req, res) => {
    const parsed = DashboardQuerySchema.safeParse(req.query);
    if (!parsed.success) throw validationProblem(queryErrors(parsed.error), 'The query parameters do not match the schema.');
    const body = await readDashboard(
      { shopReader: deps.shopReader, closedHours, backlog, uiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace },
      parsed.data.window ?? DEFAULT_WINDOW,
    );
    res.set('Cache-Control', 'no-store').json(body);
  });
  return router;
}
