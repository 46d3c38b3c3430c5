import { sql } from 'drizzle-orm';
import { Router } from 'express';
import type { ApiDeps } from '../deps.js';

/**
 * `/healthz` (process alive) and `/readyz` (Temporal and the shop database answer). Both are
 * public: a failing check says only `unreachable`; the error (hosts, addresses) goes to the log.
 */
export function healthRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    const fail = (check: string) => (err: unknown) => {
      deps.log.warn({ err, check }, 'readiness check failed');
      checks[check] = 'unreachable';
    };
    await Promise.all([
      deps.temporal
        .withDeadline(Date.now() + 2_000, () => deps.temporal.workflowService.getSystemInfo({}))
        .then(() => (checks.temporal = 'ok'))
        .catch(fail('temporal')),
      deps.shop
        .execute(sql`select 1`)
        .then(() => (checks.database = 'ok'))
        .catch(fail('database')),
    ]);
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
  });
  return router;
}
