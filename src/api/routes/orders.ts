import { isGrpcServiceError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { OrderRequestSchema } from '../../domain/order.js';
import { isTerminal } from '../../domain/status.js';
import { validateOrder } from '../../domain/validation.js';
import { newOrderInput, startOrderWorkflow } from '../../order/intake.js';
import { tagOrder } from '../../platform/tracing/attributes.js';
import { OrderUnreadableError, readOrder, sendToOrder, type OrderAction, type SendOutcome } from '../../order/client.js';
import { MAX_PRIORITY_CHANGES, NOT_CANCELLABLE, initialOrderState, isOrderId, orderWorkflowId, type OrderState } from '../../order/contract.js';
import type { ApiDeps } from '../deps.js';
import { EXAMPLE_ORDER_ID, partnerOrderExample, shopOrderExample } from '../examples.js';
import { IDEMPOTENCY_KEY, createIdempotencyStore, requestHash, type IdempotencyClaim } from '../idempotency.js';
import { caller, jsonBody, optionalJsonBody } from '../middleware.js';
import { toOrderResource, traceLink, type TraceLink } from '../order-resource.js';
import { HttpProblem, temporalUnavailable, validationProblem } from '../problem.js';
import { route } from '../route.js';
import {
  AUTHENTICATED,
  IdempotencyKeyParam,
  JSON_BODY_ERRORS,
  JSON_TYPE,
  OrderIdParam,
  conflict,
  header,
  ok,
  rateLimitHeaders,
  response,
  validationFailed,
} from '../route-docs.js';
import { CancelBodySchema, OrderResourceSchema, PriorityBodySchema } from '../schemas.js';

const TEMPORAL_DEADLINE_MS = 5_000;
/** How long, after a failed start, the API asks Temporal whether the order was recorded anyway. */
const START_CHECK_DEADLINE_MS = 2_000;

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

/** What the order routes share: the dependencies, trace links, the idempotency store and `send`. */
export interface OrderRoutesContext {
  deps: ApiDeps;
  trace: (orderId: string) => TraceLink;
  idempotency: ReturnType<typeof createIdempotencyStore>;
  send: ReturnType<typeof sender>;
}

/**
 * Sends an action to a live order: its answer, or its refusal. Temporal failing, no answer in
 * time, or the workflow gone by the time the action came is a 503 (logged, never answered).
 */
function sender({ log, temporal }: Pick<ApiDeps, 'log' | 'temporal'>) {
  return async (orderId: string, action: OrderAction, deadlineMs: number) => {
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
}

export function orderRoutesContext(deps: ApiDeps): OrderRoutesContext {
  const { config, log } = deps;
  const idempotency = createIdempotencyStore(deps.shop, config.idempotencyTtlMs);
  const purge = setInterval(() => {
    idempotency.purgeExpired().catch((err) => log.warn({ err }, 'purging expired idempotency keys failed'));
  }, 3_600_000);
  purge.unref();
  return { deps, trace: (id) => traceLink(config.temporal.uiUrl, config.temporal.namespace, id), idempotency, send: sender(deps) };
}

/** 400 for a malformed `Idempotency-Key`, before the body is checked. */
const idempotencyKeyCheck: RequestHandler = (req, _res, next) => {
  const idempotencyKey = req.get('idempotency-key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new HttpProblem(400, 'Invalid Idempotency-Key', 'An Idempotency-Key is 1 to 255 printable ASCII characters, e.g. a UUID.');
  }
  next();
};

const orderRoute = route<OrderRoutesContext>();
const orderIdParams = z.object({ id: OrderIdParam });

/** `POST /v1/orders`, `GET /v1/orders/{id}`, `POST /v1/orders/{id}/cancel`, `POST /v1/orders/{id}/priority`. */
export const ORDER_ROUTES = [
  orderRoute({
    method: 'post',
    path: '/v1/orders',
    operationId: 'createOrder',
    tags: ['Orders'],
    summary: 'Place an order',
    description:
      "Shop and partner keys. Answers `202` once Temporal has durably recorded the order's workflow; the order then runs " +
      'accept → price → route-to-CRM → produce → ship. Shop orders are `b2c`, partner orders `b2b` and tagged with the partner. ' +
      'Send an `Idempotency-Key` to make retries safe.',
    allow: ['shop', 'partner'],
    request: {
      headers: z.object({ 'Idempotency-Key': IdempotencyKeyParam }),
      body: {
        schema: OrderRequestSchema,
        required: true,
        examples: {
          shop: { summary: 'A shop order: 100 business cards by courier', value: shopOrderExample },
          partner: { summary: 'A partner order with options, a due date and its own reference', value: partnerOrderExample },
        },
      },
    },
    responses: (ex) => ({
      '202': {
        description: 'Accepted: the order is recorded and will run; poll `Location` (or use the partner webhook) for its progress.',
        headers: { Location: header('Location'), 'Idempotent-Replayed': header('IdempotentReplayed'), ...rateLimitHeaders },
        content: {
          [JSON_TYPE]: {
            schema: OrderResourceSchema,
            examples: {
              shop: { summary: 'A shop order, just received', value: ex.received },
              partner: { summary: 'A partner order, just received', value: ex.partnerReceived },
            },
          },
        },
      },
      ...JSON_BODY_ERRORS,
      '403': response('Forbidden'),
      '409': conflict(
        'An order with this id exists already (only when a retried start collides without an `Idempotency-Key`).',
        'Conflict',
        `Order ${EXAMPLE_ORDER_ID} exists already.`,
        '/v1/orders',
      ),
      '422': validationFailed(
        'The body does not fit the schema, breaks a business rule of the catalog (unknown SKU or option, quantity out of range, date not feasible), ' +
          'or reuses an `Idempotency-Key` with a different body. `errors[].path` names each offending field.',
        '/v1/orders',
        [
          { path: 'items.0.quantity', message: 'Too small: expected number to be >0' },
          { path: 'shipping.address', message: 'an address is required for courier shipping' },
        ],
      ),
      '503': response('ServiceUnavailable'),
      ...AUTHENTICATED,
    }),
    before: () => [...jsonBody, idempotencyKeyCheck],
    handler:
      ({ deps, trace, idempotency }) =>
      async (req, res, { body: order }) => {
        const { config, log, temporal } = deps;
        const client = caller(req);
        const idempotencyKey = req.get('idempotency-key');
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
              // A keyed request, its repeat or a concurrent twin finds the order already started: the
              // same order (its id is the key's; a twin that read the key started it first).
              if (!keyed) throw new HttpProblem(409, 'Conflict', `Order ${input.orderId} exists already.`);
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
      },
  }),
  orderRoute({
    method: 'get',
    path: '/v1/orders/:id',
    operationId: 'getOrder',
    tags: ['Orders'],
    summary: 'Read one order',
    description:
      'The order with its status, price, promised date, timeline (every stage with start, end, attempts, priority and queue wait) and `trace.url`, ' +
      "its page in the Temporal Web UI. Asked of the order's workflow; when no worker can answer, read from the projection.",
    allow: ['shop', 'partner', 'operator'],
    request: { params: orderIdParams },
    responses: (ex) => ({
      '200': {
        description: 'The order.',
        headers: rateLimitHeaders,
        content: {
          [JSON_TYPE]: {
            schema: OrderResourceSchema,
            examples: {
              delivered: { summary: 'A delivered shop order', value: ex.delivered },
              cancelled: { summary: 'A partner order cancelled before production', value: ex.cancelled },
            },
          },
        },
      },
      '404': response('NotFound'),
      '503': response('ServiceUnavailable'),
      ...AUTHENTICATED,
    }),
    handler:
      ({ deps, trace }) =>
      async (req, res) => {
        const client = caller(req);
        const state = await readVisibleOrder(deps, req.params.id as string, client);
        res.json(toOrderResource(state, trace(state.orderId), client));
      },
  }),
  orderRoute({
    method: 'post',
    path: '/v1/orders/:id/cancel',
    operationId: 'cancelOrder',
    tags: ['Orders'],
    summary: 'Cancel an order',
    description:
      'Until production has started (while `awaiting_production` or `in_production`, only if the production job is not on a line yet: the production system decides). ' +
      'Answers with the order once it has ended `cancelled`; 503 with Retry-After when the production system did not answer in time (the order goes on). ' +
      'The body is optional: send JSON, or no body and no Content-Type at all; any other body is refused with 415 and changes nothing.',
    allow: ['shop', 'partner', 'operator'],
    request: {
      params: orderIdParams,
      body: { schema: CancelBodySchema, required: false, example: { reason: 'The customer changed the artwork.' } },
    },
    responses: (ex) => ({
      '202': ok('The order, cancelled.', OrderResourceSchema, ex.cancelled),
      '400': response('BadRequest'),
      '404': response('NotFound'),
      '409': conflict(
        'Too late: production has finished or the order has ended.',
        'Too late to cancel',
        'The order is shipped; orders can be cancelled until their production has started.',
        `/v1/orders/${EXAMPLE_ORDER_ID}/cancel`,
      ),
      '413': response('PayloadTooLarge'),
      '415': response('UnsupportedMediaType'),
      '422': validationFailed('The body does not fit the schema.', `/v1/orders/${EXAMPLE_ORDER_ID}/cancel`, [
        { path: 'reason', message: 'Too big: expected string to have <=500 characters' },
      ]),
      '503': response('ServiceUnavailable'),
      ...AUTHENTICATED,
    }),
    before: () => optionalJsonBody,
    handler:
      ({ deps, trace, send }) =>
      async (req, res, { body }) => {
        const client = caller(req);
        const state = await readVisibleOrder(deps, req.params.id as string, client);
        const tooLate = (why: string) => new HttpProblem(409, 'Too late to cancel', why, { orderStatus: state.status });
        if (NOT_CANCELLABLE.includes(state.status)) {
          throw tooLate(`The order is ${state.status}; orders can be cancelled until their production has started.`);
        }
        const request = { reason: body.reason ?? 'no reason given', by: client.id };
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
  }),
  orderRoute({
    method: 'post',
    path: '/v1/orders/:id/priority',
    operationId: 'reprioritizeOrder',
    tags: ['Orders'],
    summary: "Change a live order's priority (operators)",
    description:
      "Operator keys only. The new priority applies to the order's next activities on every queue; the change and its reason are recorded in the timeline. " +
      'Asking for the priority the order has already changes nothing and answers the order. ' +
      `Not possible once the order has ended, nor after ${MAX_PRIORITY_CHANGES} changes of one order (409).`,
    allow: ['operator'],
    request: {
      params: orderIdParams,
      body: { schema: PriorityBodySchema, required: true, example: { priority: 'rush', reason: 'Trade fair on Friday, the customer escalated' } },
    },
    responses: (ex) => ({
      '200': ok('The order with its new priority.', OrderResourceSchema, ex.reprioritized),
      ...JSON_BODY_ERRORS,
      '403': response('Forbidden'),
      '404': response('NotFound'),
      '409': conflict(
        'The order has ended, or the workflow refused the change.',
        'Order has ended',
        'The order is delivered; its priority can no longer change.',
        `/v1/orders/${EXAMPLE_ORDER_ID}/priority`,
      ),
      '422': validationFailed('The body does not fit the schema.', `/v1/orders/${EXAMPLE_ORDER_ID}/priority`, [
        { path: 'priority', message: 'Invalid option: expected one of "rush"|"high"|"normal"|"low"' },
      ]),
      '503': response('ServiceUnavailable'),
      ...AUTHENTICATED,
    }),
    before: () => jsonBody,
    handler:
      ({ deps, trace, send }) =>
      async (req, res, { body }) => {
        const client = caller(req);
        const state = await readVisibleOrder(deps, req.params.id as string, client);
        if (isTerminal(state.status)) {
          throw new HttpProblem(409, 'Order has ended', `The order is ${state.status}; its priority can no longer change.`, { orderStatus: state.status });
        }
        const request = { priority: body.priority, reason: body.reason, by: client.id };
        const outcome = await send(state.orderId, { kind: 'reprioritize', request }, 10_000);
        if (outcome.ok) {
          res.json(toOrderResource(outcome.state, trace(state.orderId), client));
          return;
        }
        if (outcome.reason === 'too-many-changes') throw new HttpProblem(409, 'Too many priority changes', outcome.message, { orderStatus: state.status });
        throw new HttpProblem(409, 'Priority not changed', outcome.message, { orderStatus: state.status });
      },
  }),
];

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
 * One order's state (src/order/client.ts), undefined when it does not exist; 503 when
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
