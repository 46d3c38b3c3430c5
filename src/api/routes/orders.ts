import { isGrpcServiceError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { Router } from 'express';
import { z } from 'zod';
import { OrderRequestSchema } from '../../domain/order.js';
import { PRIORITY_CLASSES } from '../../domain/priority.js';
import { isTerminal } from '../../domain/status.js';
import { validateOrder } from '../../domain/validation.js';
import { newOrderInput, startOrderWorkflow } from '../../intake.js';
import { OrderUnreadableError, readOrder, sendToOrder, type OrderAction, type SendOutcome } from '../../workflows/order/client.js';
import { NOT_CANCELLABLE, initialOrderState, isOrderId, orderWorkflowId, type OrderState } from '../../workflows/order/contract.js';
import { tagOrder } from '../../tracing/attributes.js';
import type { ApiDeps } from '../deps.js';
import { IDEMPOTENCY_KEY, createIdempotencyStore, requestHash, type IdempotencyClaim } from '../idempotency.js';
import { allow, caller, jsonBody, optionalJsonBody } from '../middleware.js';
import { toOrderResource, traceLink } from '../order-resource.js';
import { HttpProblem, validationProblem, zodFieldErrors } from '../problem.js';

const TEMPORAL_DEADLINE_MS = 5_000;
/** How long, after a failed start, the API asks Temporal whether the order was recorded anyway. */
const START_CHECK_DEADLINE_MS = 2_000;

/** Body of `POST /v1/orders/{id}/priority` (operators). */
export const PriorityBodySchema = z
  .object({ priority: z.enum(PRIORITY_CLASSES), reason: z.string().trim().min(1).max(500) })
  .strict();

/** Optional body of `POST /v1/orders/{id}/cancel`. */
export const CancelBodySchema = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();

/**
 * 503: Temporal did not take the request. The error itself is logged by the caller, never
 * answered: its text names internal hosts and addresses.
 */
export function temporalUnavailable(_err?: unknown): HttpProblem {
  return new HttpProblem(
    503,
    'Order pipeline unavailable',
    'The order could not be durably recorded and was NOT accepted. Retry in a few seconds.',
    {},
    { 'Retry-After': '5' },
  );
}

/**
 * 503 when a start's answer did not come in time and Temporal cannot tell right now whether it
 * was recorded: the order may exist. A retry with the same Idempotency-Key is safe (it answers
 * the order if it was recorded, else records it); without a key, look the order up first.
 */
export function startOutcomeUnknown(orderId: string, keyed: boolean): HttpProblem {
  return new HttpProblem(
    503,
    'Order outcome unknown',
    keyed
      ? `The order pipeline did not confirm in time whether order ${orderId} was recorded. Retry in a few seconds with the same Idempotency-Key and the same body: you get this order, recorded once.`
      : `The order pipeline did not confirm in time whether order ${orderId} was recorded. Do not send the order again blindly: GET /v1/orders/${orderId} in a few seconds tells whether it exists (404: it does not). Send an Idempotency-Key to make retries safe.`,
    { orderId, outcome: 'unknown' },
    { 'Retry-After': '5' },
  );
}

/** gRPC codes after which a request may have reached the server and been carried out. */
const MAYBE_DONE_CODES = new Set([
  1, // CANCELLED
  2, // UNKNOWN
  4, // DEADLINE_EXCEEDED
  13, // INTERNAL
]);

/**
 * After a failed start: whether the order's workflow exists anyway (`started`), certainly does
 * not (`absent`: the start was refused, or never sent), or cannot be told (`unknown`).
 */
async function startOutcome(deps: ApiDeps, orderId: string, startError: unknown): Promise<'started' | 'absent' | 'unknown'> {
  const grpc = startGrpcError(startError);
  // A deadline that passed before the call had a connection (gRPC names no `remote_addr` then,
  // e.g. "waiting for metadata filters") means the start was never sent.
  const maybeDone = grpc !== undefined && MAYBE_DONE_CODES.has(grpc.code) && (grpc.code !== 4 || /remote_addr=/.test(grpc.details));
  try {
    await deps.temporal.withDeadline(Date.now() + START_CHECK_DEADLINE_MS, () => deps.temporal.workflow.getHandle(orderWorkflowId(orderId)).describe());
    return 'started';
  } catch {
    // Not found right after a start that timed out proves nothing: the start may still be under
    // way. After a refused start (or one never sent) nothing was recorded.
    return maybeDone ? 'unknown' : 'absent';
  }
}

/** The gRPC error of a failed client call, if it carries one. */
function startGrpcError(err: unknown): { code: number; details: string } | undefined {
  for (let e = err as { cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (isGrpcServiceError(e)) return { code: e.code, details: e.details };
  }
  return undefined;
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

  /**
   * Sends an action to a live order: its answer, or its refusal. Temporal failing, no answer in
   * time, or the workflow gone by the time the action came is a 503 (logged, never answered).
   */
  const send = async (orderId: string, action: OrderAction, deadlineMs: number) => {
    let outcome: SendOutcome;
    try {
      outcome = await sendToOrder(temporal, orderId, action, { deadlineMs });
    } catch (err) {
      log.warn({ err, orderId }, `${action.kind} failed`);
      throw temporalUnavailable(err);
    }
    if (outcome.ok || outcome.reason === 'refused' || outcome.reason === 'undecided' || outcome.reason === 'too-many-changes') return outcome;
    log.warn({ outcome, orderId }, `${action.kind} failed`);
    throw temporalUnavailable();
  };

  router.post('/orders', allow('shop', 'partner'), ...jsonBody, async (req, res) => {
    const client = caller(req);
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new HttpProblem(400, 'Invalid Idempotency-Key', 'An Idempotency-Key is 1 to 255 printable ASCII characters, e.g. a UUID.');
    }
    const parsed = OrderRequestSchema.safeParse(req.body);
    if (!parsed.success) throw validationProblem(zodFieldErrors(parsed.error));
    const order = parsed.data;
    const keyed = idempotencyKey === undefined ? undefined : { clientId: client.id, key: idempotencyKey, hash: requestHash(req.body) };

    // A repeat of a remembered key gets the order the first request decided, without checking
    // the business rules again: they held then, and a due date that has passed since must not
    // turn the same request into a 422.
    let claim: IdempotencyClaim | undefined = keyed ? await idempotency.lookup(keyed) : undefined;
    if (!claim) {
      const createdAt = new Date();
      const issues = validateOrder(order, createdAt, { timeScale: config.timeScale });
      if (issues.length > 0) throw validationProblem(issues, 'The order breaks business rules of the catalog.');
      const input = newOrderInput({
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
      claim = keyed ? await idempotency.claim({ ...keyed, input }) : { outcome: 'new', input };
    }
    if (claim.outcome === 'mismatch') {
      throw new HttpProblem(
        422,
        'Idempotency-Key reused',
        'This Idempotency-Key was already used with a different request body. Send a new key for a new order.',
      );
    }
    const { input } = claim;
    const replayed = claim.outcome === 'repeat';
    tagOrder(input.orderId);
    if (!(claim.outcome === 'repeat' && claim.started)) {
      try {
        await temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => startOrderWorkflow(temporal, input));
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          // A repeat (or a concurrent twin) of a keyed request finds the order already started: same order.
          if (!replayed) throw new HttpProblem(409, 'Conflict', `Order ${input.orderId} exists already.`);
        } else {
          // The start may have been recorded even though its answer did not arrive in time.
          const outcome = await startOutcome(deps, input.orderId, err);
          if (outcome !== 'started') {
            log.warn({ err, orderId: input.orderId, outcome }, 'could not start order workflow');
            throw outcome === 'absent' ? temporalUnavailable(err) : startOutcomeUnknown(input.orderId, keyed !== undefined);
          }
          log.warn({ err, orderId: input.orderId }, 'order workflow start answered late, but it was recorded');
        }
      }
      if (keyed) await idempotency.markStarted(client.id, keyed.key);
    }
    res
      .status(202)
      .location(`/v1/orders/${input.orderId}`)
      .set('Idempotent-Replayed', String(replayed))
      .json(toOrderResource(initialOrderState(input), trace(input.orderId), client));
  });

  router.post(
    '/orders/:id/cancel',
    allow('shop', 'partner', 'operator'),
    ...optionalJsonBody,
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
      const request = { reason: body.data.reason ?? 'no reason given', by: client.id };
      const outcome = await send(state.orderId, { kind: 'cancel', request }, 30_000);
      if (outcome.ok) {
        res.status(202).json(toOrderResource(outcome.state, trace(state.orderId), client));
        return;
      }
      if (outcome.reason === 'undecided') {
        throw new HttpProblem(503, 'Cancel not decided', `${outcome.message}.`, { orderStatus: state.status }, { 'Retry-After': '60' });
      }
      throw tooLate(outcome.message);
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
    const request = { priority: body.data.priority, reason: body.data.reason, by: client.id };
    const outcome = await send(state.orderId, { kind: 'reprioritize', request }, 10_000);
    if (outcome.ok) {
      res.json(toOrderResource(outcome.state, trace(state.orderId), client));
      return;
    }
    if (outcome.reason === 'too-many-changes') throw new HttpProblem(409, 'Too many priority changes', outcome.message, { orderStatus: state.status });
    throw new HttpProblem(409, 'Priority not changed', outcome.message, { orderStatus: state.status });
  });

  router.get('/orders/:id', allow('shop', 'partner', 'operator'), async (req, res) => {
    const client = caller(req);
    const state = await readVisibleOrder(deps, req.params.id as string, client);
    res.json(toOrderResource(state, trace(state.orderId), client));
  });

  return router;
}

/** The order as its caller may see it: partners only their own, the shop only shop orders; else 404. */
export async function readVisibleOrder(deps: ApiDeps, rawId: string, client: ReturnType<typeof caller>): Promise<OrderState> {
  const id = String(rawId).toLowerCase();
  const notFound = new HttpProblem(404, 'Not found', `There is no order ${String(rawId).slice(0, 64)}.`);
  if (!isOrderId(id)) throw notFound;
  const state = await readOrderOrUnavailable(deps, id);
  if (!state) throw notFound;
  if (client.kind === 'partner' && state.partnerId !== client.partnerId) throw notFound;
  if (client.kind === 'shop' && state.channel !== 'b2c') throw notFound;
  tagOrder(state.orderId);
  return state;
}

/**
 * One order's state (src/workflows/order/client.ts), undefined when it does not exist; 503 when
 * neither its workflow nor the projection can tell.
 */
async function readOrderOrUnavailable(deps: ApiDeps, orderId: string): Promise<OrderState | undefined> {
  try {
    return (await readOrder(deps, orderId, { deadlineMs: TEMPORAL_DEADLINE_MS }))?.state;
  } catch (err) {
    if (!(err instanceof OrderUnreadableError)) throw err;
    // A projection that failed to read is an unexpected error (500, logged) as it always was.
    if (err.projection === 'failed') throw err.cause;
    throw temporalUnavailable(err);
  }
}
