import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import express, { Router } from 'express';
import { z } from 'zod';
import { orders } from '../../../db/shop/schema.js';
import { OrderRequestSchema } from '../../domain/order.js';
import { PRIORITY_CLASSES } from '../../domain/priority.js';
import { isTerminal } from '../../domain/status.js';
import { validateOrder } from '../../domain/validation.js';
import { newOrderInput, startOrderWorkflow } from '../../intake.js';
import {
  NOT_CANCELLABLE,
  cancelUpdate,
  initialOrderState,
  reprioritizeUpdate,
  isOrderId,
  orderWorkflowId,
  statusQuery,
  type OrderState,
} from '../../workflows/order/contract.js';
import { tagOrder } from '../../tracing/attributes.js';
import type { ApiDeps } from '../deps.js';
import { IDEMPOTENCY_KEY, createIdempotencyStore, requestHash } from '../idempotency.js';
import { BODY_LIMIT, acceptableJson, allow, caller, jsonBody } from '../middleware.js';
import { readProjectedOrder, toOrderResource, traceLink } from '../order-resource.js';
import { HttpProblem, validationProblem, zodFieldErrors } from '../problem.js';

const TEMPORAL_DEADLINE_MS = 5_000;

/** Body of `POST /v1/orders/{id}/priority` (operators). */
export const PriorityBodySchema = z
  .object({ priority: z.enum(PRIORITY_CLASSES), reason: z.string().trim().min(1).max(500) })
  .strict();

/** Optional body of `POST /v1/orders/{id}/cancel`. */
export const CancelBodySchema = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();

export function temporalUnavailable(err: unknown): HttpProblem {
  return new HttpProblem(
    503,
    'Order pipeline unavailable',
    'The order could not be durably recorded and was NOT accepted. Retry in a few seconds.',
    { cause: (err as Error)?.message },
    { 'Retry-After': '5' },
  );
}

/** `POST /v1/orders`, `GET /v1/orders/{id}`, `POST /v1/orders/{id}/cancel`, `POST /v1/orders/{id}/priority`. */
export function orderRoutes(deps: ApiDeps): Router {
  const { config, log, temporal } = deps;
  const router = Router();
  const trace = (id: string) => traceLink(config.temporal.uiUrl, config.temporal.namespace, id);

  const idempotency = createIdempotencyStore(deps.shop, config.idempotencyTtlMs);
  const purge = setInterval(() => {
    idempotency.purgeExpired().catch((err) => log.warn({ err }, 'purging expired idempotency keys failed'));
  }, 3_600_000);
  purge.unref();

  router.post('/orders', allow('shop', 'partner'), ...jsonBody, async (req, res) => {
    const client = caller(req);
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new HttpProblem(400, 'Invalid Idempotency-Key', 'An Idempotency-Key is 1 to 255 printable ASCII characters, e.g. a UUID.');
    }
    const parsed = OrderRequestSchema.safeParse(req.body);
    if (!parsed.success) throw validationProblem(zodFieldErrors(parsed.error));
    const order = parsed.data;
    const createdAt = new Date();
    const issues = validateOrder(order, createdAt);
    if (issues.length > 0) throw validationProblem(issues, 'The order breaks business rules of the catalog.');

    let input = newOrderInput({
      source: {
        clientId: client.id,
        kind: client.kind === 'partner' ? 'partner' : 'shop',
        ...(client.partnerId ? { partnerId: client.partnerId } : {}),
        ...(client.hasWebhook ? { notify: true } : {}),
        tier: client.tier,
      },
      order,
      createdAt,
      timeScale: config.timeScale,
      atRiskShare: config.atRiskShare,
      carrierEventGraceMs: config.integrations.carrierEventGraceMs,
    });
    let replayed = false;
    let started = false;
    if (idempotencyKey !== undefined) {
      const claim = await idempotency.claim({ clientId: client.id, key: idempotencyKey, hash: requestHash(req.body), input });
      if (claim.outcome === 'mismatch') {
        throw new HttpProblem(
          422,
          'Idempotency-Key reused',
          'This Idempotency-Key was already used with a different request body. Send a new key for a new order.',
        );
      }
      if (claim.outcome === 'repeat') {
        input = claim.input;
        replayed = true;
        started = claim.started;
      }
    }
    tagOrder(input.orderId);
    if (!started) {
      try {
        await temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => startOrderWorkflow(temporal, input));
      } catch (err) {
        // A repeat (or a concurrent twin) of a keyed request finds the order already started: same order.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
          log.warn({ err, orderId: input.orderId }, 'could not start order workflow');
          throw temporalUnavailable(err);
        }
        if (!replayed) throw new HttpProblem(409, 'Conflict', `Order ${input.orderId} exists already.`);
      }
      if (idempotencyKey !== undefined) await idempotency.markStarted(client.id, idempotencyKey);
    }
    res
      .status(202)
      .location(`/v1/orders/${input.orderId}`)
      .set('Idempotent-Replayed', String(replayed))
      .json(toOrderResource(initialOrderState(input), trace(input.orderId)));
  });

  router.post(
    '/orders/:id/cancel',
    allow('shop', 'partner', 'operator'),
    express.json({ limit: BODY_LIMIT, type: 'application/json' }),
    acceptableJson,
    async (req, res) => {
      const client = caller(req);
      const body = CancelBodySchema.safeParse(req.body ?? {});
      if (!body.success) throw validationProblem(zodFieldErrors(body.error));
      const state = await readVisibleOrder(deps, req.params.id as string, client);
      const tooLate = (why: string) =>
        new HttpProblem(409, 'Too late to cancel', why, { orderStatus: state.status });
      if (NOT_CANCELLABLE.includes(state.status)) {
        throw tooLate(`The order is ${state.status}; orders can be cancelled until their production has started.`);
      }
      const handle = temporal.workflow.getHandle(orderWorkflowId(state.orderId));
      try {
        const result = await temporal.withDeadline(Date.now() + 30_000, () =>
          handle.executeUpdate(cancelUpdate, { args: [{ reason: body.data.reason ?? 'no reason given', by: client.id }] }),
        );
        res.status(202).json(toOrderResource(result, trace(state.orderId)));
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw tooLate(err.cause?.message ?? err.message);
        log.warn({ err, orderId: state.orderId }, 'cancel failed');
        throw temporalUnavailable(err);
      }
    },
  );

  router.post('/orders/:id/priority', allow('operator'), ...jsonBody, async (req, res) => {
    const client = caller(req);
    const body = PriorityBodySchema.safeParse(req.body);
    if (!body.success) throw validationProblem(zodFieldErrors(body.error));
    const state = await readVisibleOrder(deps, req.params.id as string, client);
    if (isTerminal(state.status)) {
      throw new HttpProblem(409, 'Order has ended', `The order is ${state.status}; its priority can no longer change.`, { orderStatus: state.status });
    }
    const handle = temporal.workflow.getHandle(orderWorkflowId(state.orderId));
    try {
      const result = await temporal.withDeadline(Date.now() + 10_000, () =>
        handle.executeUpdate(reprioritizeUpdate, { args: [{ priority: body.data.priority, reason: body.data.reason, by: client.id }] }),
      );
      res.json(toOrderResource(result, trace(state.orderId)));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new HttpProblem(409, 'Priority not changed', err.cause?.message ?? err.message, { orderStatus: state.status });
      }
      log.warn({ err, orderId: state.orderId }, 'reprioritize failed');
      throw temporalUnavailable(err);
    }
  });

  router.get('/orders/:id', allow('shop', 'partner', 'operator'), async (req, res) => {
    const state = await readVisibleOrder(deps, req.params.id as string, caller(req));
    res.json(toOrderResource(state, trace(state.orderId)));
  });

  return router;
}

/** The order as its caller may see it: partners only their own, the shop only shop orders; else 404. */
export async function readVisibleOrder(deps: ApiDeps, rawId: string, client: ReturnType<typeof caller>): Promise<OrderState> {
  const id = String(rawId).toLowerCase();
  const notFound = new HttpProblem(404, 'Not found', `There is no order ${String(rawId).slice(0, 64)}.`);
  if (!isOrderId(id)) throw notFound;
  const state = await readOrder(deps, id);
  if (!state) throw notFound;
  if (client.kind === 'partner' && state.partnerId !== client.partnerId) throw notFound;
  if (client.kind === 'shop' && state.channel !== 'b2c') throw notFound;
  tagOrder(state.orderId);
  return state;
}

/**
 * One order's state: asked of its workflow (the authority), or rebuilt from the projection when
 * no worker can answer the query right now. Undefined when the order does not exist.
 */
export async function readOrder(deps: ApiDeps, orderId: string): Promise<OrderState | undefined> {
  const handle = deps.temporal.workflow.getHandle(orderWorkflowId(orderId));
  if (await endedWithResult(deps, orderId)) {
    // A finished order's final state is its workflow's result, read from the close event: a query
    // would make a worker replay the whole history (and needs a worker at all).
    try {
      return (await deps.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => handle.result())) as OrderState;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      deps.log.warn({ err, orderId }, 'reading the result of a finished order failed; asking its workflow');
    }
  }
  try {
    return await deps.temporal.withDeadline(Date.now() + 5_000, () => handle.query(statusQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    deps.log.warn({ err, orderId }, 'status query failed; answering from the projection');
  }
  const projected = await readProjectedOrder(deps.shopReader, orderId);
  if (!projected) throw temporalUnavailable(new Error('order state unavailable'));
  return projected;
}

/** Terminal statuses with which the order workflow completes, returning the order's state. */
const ENDS_WITH_RESULT: readonly string[] = ['delivered', 'cancelled', 'rejected'] satisfies OrderState['status'][];

/** Whether the projection says the order ended with a result (its workflow returned the final state). */
async function endedWithResult(deps: ApiDeps, orderId: string): Promise<boolean> {
  try {
    const [row] = await deps.shopReader.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
    return row !== undefined && ENDS_WITH_RESULT.includes(row.status);
  } catch (err) {
    // Without the projection the workflow is still asked, as before.
    deps.log.warn({ err, orderId }, 'projection unavailable; asking the order workflow');
    return false;
  }
}
