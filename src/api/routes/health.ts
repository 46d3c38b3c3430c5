import { sql } from 'drizzle-orm';
import { Router } from 'express';
import type { ApiDeps } from '../deps.js';

/** `/healthz` (process alive) and `/readyz` (Temporal and the shop database answer). */
export function healthRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    await Promise.all([
      deps.temporal
        .withDeadline(Date.now() + 2_000, () => deps.temporal.workflowService.getSystemInfo({}))
        .then(() => (checks.temporal = 'ok'))
        .catch((err: Error) => (checks.temporal = `unreachable: ${err.message}`)),
      deps.shop
        .execute(sql`select 1`)
        .then(() => (checks.database = 'ok'))
        .catch((err: Error) => (checks.database = `unreachable: ${err.message}`)),
    ]);
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
  });
  return router;
}
