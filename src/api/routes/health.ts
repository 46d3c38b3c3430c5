import { sql } from 'drizzle-orm';
import type { ApiDeps } from '../deps.js';
import { route } from '../route.js';
import { JSON_TYPE } from '../route-docs.js';
import { HealthSchema, ReadinessSchema } from '../schemas.js';
import { createSetupProbe, describeSetupStatus, type SetupStatus } from '../../platform/temporal/setup.js';

/** Public value of the `namespace` and `searchAttributes` checks: what is wrong, never which names. */
function setupChecks(status: SetupStatus): { namespace: string; searchAttributes: string } {
  if (status.namespaceState === 'missing') return { namespace: 'missing', searchAttributes: 'missing' };
  if (status.namespaceState === 'unusable' || status.namespaceState === 'pending') return { namespace: status.namespaceState, searchAttributes: 'unknown' };
  const searchAttributes = status.wrongType.length > 0 ? 'wrong type' : status.missing.length > 0 ? 'missing' : status.usable ? 'ok' : 'pending';
  return { namespace: 'ok', searchAttributes };
}

/**
 * `/healthz` (process alive) and `/readyz` (Temporal and the shop database answer, and the
 * namespace has every search attribute an order needs). Both are public: a failing check says
 * only `unreachable`, `missing`, …; the details (hosts, namespace and attribute names, what to
 * run) go to the log.
 */
export function healthRoutesContext(deps: ApiDeps) {
  const { namespace } = deps.config.temporal;
  // A positive answer is reused for 30 s; a negative one is checked again at the next probe.
  const setupProbe = createSetupProbe(deps.temporal.connection, namespace);
  let lastSetupProblem: string | undefined;
  const noteSetup = (status: SetupStatus, ok: boolean) => {
    const problem = ok ? undefined : describeSetupStatus(status);
    if (problem === lastSetupProblem) return;
    if (problem) {
      deps.log.warn(
        { check: 'temporal-setup', namespace, missing: status.missing.map((a) => a.name), wrongType: status.wrongType },
        `not ready: ${problem}; run \`npm run temporal:setup\` against this Temporal server (or start with TEMPORAL_SETUP=auto)`,
      );
    } else {
      deps.log.info({ check: 'temporal-setup', namespace }, 'Temporal namespace is set up for orders');
    }
    lastSetupProblem = problem;
  };

  /** The readiness answer: each check `ok` or what is wrong, and whether all of them are. */
  const readiness = async () => {
    const checks: Record<string, string> = {};
    const fail = (check: string) => (err: unknown) => {
      deps.log.warn({ err, check }, 'readiness check failed');
      checks[check] = 'unreachable';
    };
    const temporal = async () => {
      try {
        await deps.temporal.withDeadline(Date.now() + 2_000, () => deps.temporal.workflowService.getSystemInfo({}));
        checks.temporal = 'ok';
      } catch (err) {
        fail('temporal')(err);
        Object.assign(checks, { namespace: 'unknown', searchAttributes: 'unknown' });
        return;
      }
      try {
        const status = await setupProbe();
        const result = setupChecks(status);
        Object.assign(checks, result);
        noteSetup(status, result.namespace === 'ok' && result.searchAttributes === 'ok');
      } catch (err) {
        fail('temporal')(err);
        Object.assign(checks, { namespace: 'unknown', searchAttributes: 'unknown' });
      }
    };
    await Promise.all([
      temporal(),
      // Bounded like the Temporal check: a database that stalls (a cut link, a full pool) makes
      // the probe answer "unreachable" in time instead of hanging it.
      within(DATABASE_CHECK_MS, deps.shop.execute(sql`select 1`), 'the shop database did not answer `select 1`')
        .then(() => (checks.database = 'ok'))
        .catch(fail('database')),
    ]);
    return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
  };
  return { readiness };
}

/** How long the readiness probe waits for the shop database. */
const DATABASE_CHECK_MS = 2_000;

/** `promise`, or a rejection after `ms`. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const healthRoute = route<ReturnType<typeof healthRoutesContext>>();

export const HEALTH_ROUTES = [
  healthRoute({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tags: ['Operations'],
    summary: 'Liveness',
    responses: () => ({ '200': { description: 'The process is alive.', content: { [JSON_TYPE]: { schema: HealthSchema, example: { status: 'ok' } } } } }),
    handler: () => (_req, res) => {
      res.json({ status: 'ok' });
    },
  }),
  healthRoute({
    method: 'get',
    path: '/readyz',
    operationId: 'readiness',
    tags: ['Operations'],
    summary: 'Readiness',
    responses: () => ({
      '200': {
        description: 'Temporal and the shop database answer, and the Temporal namespace has every search attribute an order sets.',
        content: {
          [JSON_TYPE]: {
            schema: ReadinessSchema,
            example: { status: 'ready', checks: { temporal: 'ok', namespace: 'ok', searchAttributes: 'ok', database: 'ok' } },
          },
        },
      },
      '503': {
        description:
          'A dependency does not answer, or the Temporal namespace is not set up for orders (`npm run temporal:setup`); `checks` names the failing check.',
        content: {
          [JSON_TYPE]: {
            schema: ReadinessSchema,
            example: { status: 'not ready', checks: { temporal: 'ok', namespace: 'ok', searchAttributes: 'missing', database: 'ok' } },
          },
        },
      },
    }),
    handler:
      ({ readiness }) =>
      async (_req, res) => {
        const { ok, checks } = await readiness();
        res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
      },
  }),
];
