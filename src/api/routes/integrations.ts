/**
 * Integration webhooks: the MES and the carrier tell the pipeline about their work.
 * `POST /v1/integrations/mes/events` (key kind `mes`) and `POST /v1/integrations/carrier/events`
 * (key kind `carrier`), each signed with the system's secret (`Webhook-Signature`, HMAC-SHA256
 * over the raw body). A `job.completed` event completes the order's running `produce` attempt
 * (`client.activity.complete` with the task token from the job's callback reference); a
 * `shipment.delivered` event becomes the workflow signal `carrierEvent`. An event that names no
 * known order, or comes too late, is answered `200 {accepted: false, reason}` so the system
 * stops sending it; a repeated event id is answered from `integration_events`, handled once
 * even when its deliveries arrive at the same time. The callback reference is signed by the
 * pipeline (src/mes/produce-callback.ts); times, figures and ids are bounded.
 */
import { randomUUID } from 'node:crypto';
import { ActivityNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, lt, sql } from 'drizzle-orm';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { integrationEvents, orders } from '../../order/schema.js';
import { decodeProduceCallback } from '../../mes/produce-callback.js';
import { SIGNATURE_HEADER, signatureProblem } from '../../platform/webhook-signature.js';
import { carrierEventSignal, isOrderId, orderWorkflowId, productionStartedSignal, statusQuery, type OrderState } from '../../order/contract.js';
import { isTerminal, type OrderStatus } from '../../domain/status.js';
import type { ShopDb } from '../../../db/index.js';
import type { ApiDeps } from '../deps.js';
import { EXAMPLE_ORDER_ID, integrationExamples } from '../examples.js';
import { BODY_LIMIT, acceptableJson } from '../middleware.js';
import { HttpProblem, temporalUnavailable } from '../problem.js';
import { route } from '../route.js';
import { AUTHENTICATED, JSON_BODY_ERRORS, JSON_TYPE, conflict, header, rateLimitHeaders, requestHeader, response, validationFailed } from '../route-docs.js';
import { CarrierEventSchema, IntegrationAnswerSchema, MesEventSchema, type CarrierEventBody, type IntegrationAnswer, type MesEventBody } from '../schemas.js';
import { type ProduceResult, PRODUCTION_CANCELLED } from '../../mes/contract.js';

type Outcome = { accepted: true } | { accepted: false; reason: string };
type SystemName = 'mes' | 'carrier';

/** JSON body with its raw bytes kept for the signature: 415, 413, 400, 422 as everywhere, then 401 for a bad signature. */
function signedJsonBody(secret: () => string): RequestHandler[] {
  return [
    (req, _res, next) => {
      if (!req.is('application/json')) throw new HttpProblem(415, 'Unsupported media type', 'Send the body as application/json.');
      next();
    },
    express.json({
      limit: BODY_LIMIT,
      strict: true,
      type: () => true,
      verify: (req, _res, buf) => {
        (req as Request & { rawBody?: Buffer }).rawBody = Buffer.from(buf);
      },
    }),
    (req, _res, next) => {
      const problem = signatureProblem(secret(), req.get(SIGNATURE_HEADER), (req as Request & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0));
      if (problem) {
        throw new HttpProblem(
          401,
          'Invalid signature',
          `${problem}. Sign "<t>.<raw body>" with HMAC-SHA256 and the system's webhook secret: ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex>.`,
        );
      }
      next();
    },
    acceptableJson,
  ];
}

/** The order's workflow as the event finds it: unknown, ended, or running. */
async function orderWorkflow(temporal: Client, orderId: string): Promise<Outcome> {
  if (!isOrderId(orderId)) return { accepted: false, reason: `unknown order ${orderId}` };
  try {
    const description = await temporal.workflow.getHandle(orderWorkflowId(orderId)).describe();
    if (description.status.name !== 'RUNNING') return { accepted: false, reason: `the order has ended (workflow ${description.status.name.toLowerCase()})` };
    return { accepted: true };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { accepted: false, reason: `unknown order ${orderId}` };
    throw temporalUnavailable(err);
  }
}

/** `job.started`: the order's job is on a line; the workflow moves the order to `in_production` (signal `productionStarted`). */
async function signalProductionStarted(temporal: Client, event: MesEventBody): Promise<Outcome> {
  const startedAt = event.job.startedAt ?? event.occurredAt;
  try {
    await temporal.workflow
      .getHandle(orderWorkflowId(event.job.orderId))
      .signal(productionStartedSignal, { jobId: event.job.id, startedAt, source: 'webhook', eventId: event.id });
    return { accepted: true };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { accepted: false, reason: 'the order has ended' };
    throw temporalUnavailable(err);
  }
}

/**
 * An event the order takes costs one call to Temporal (the signal, or the completion through the
 * task token); only a refused one asks for the workflow as well, to say why: an unknown or ended
 * order is named as such before any other reason.
 */
async function handleMesEvent(temporal: Client, event: MesEventBody, callbackSecret: string): Promise<Outcome> {
  if (!isOrderId(event.job.orderId)) return { accepted: false, reason: `unknown order ${event.job.orderId}` };
  const outcome = await deliverMesEvent(temporal, event, callbackSecret);
  if (outcome.accepted) return outcome;
  const order = await orderWorkflow(temporal, event.job.orderId);
  return order.accepted ? outcome : order;
}

async function deliverMesEvent(temporal: Client, event: MesEventBody, callbackSecret: string): Promise<Outcome> {
  if (event.type === 'job.started') return signalProductionStarted(temporal, event);
  const callback = event.job.callbackRef ? decodeProduceCallback(event.job.callbackRef, callbackSecret) : undefined;
  if (!callback) return { accepted: false, reason: 'the job carries no callback reference of this pipeline (or one that does not verify)' };
  if (callback.workflowId !== orderWorkflowId(event.job.orderId))
    return { accepted: false, reason: `the callback reference belongs to another order than ${event.job.orderId}` };
  const token = Buffer.from(callback.taskToken, 'base64');
  try {
    if (event.type === 'job.completed') {
      const result: ProduceResult = {
        attempt: callback.attempt,
        queueWaitMs: callback.queueWaitMs,
        jobId: event.job.id,
        completedAt: event.job.completedAt,
        source: 'webhook',
        ...(callback.resubmitted > 0 ? { resubmitted: callback.resubmitted } : {}),
      };
      await temporal.activity.complete(token, result);
    } else {
      await temporal.activity.fail(token, ApplicationFailure.nonRetryable(`production job ${event.job.id} was cancelled by the MES`, PRODUCTION_CANCELLED));
    }
    return { accepted: true };
  } catch (err) {
    if (err instanceof ActivityNotFoundError) {
      return { accepted: false, reason: 'stale: the production step is not waiting for this job any more (already completed, or a newer attempt runs)' };
    }
    throw temporalUnavailable(err);
  }
}

/**
 * Whether the order exists, has ended, has its shipment booked and under which tracking number:
 * only an event about that very shipment becomes a signal. The order's row in the projection
 * answers an event that comes once the booking is recorded (the usual case: a parcel is delivered
 * after it was booked) without asking the workflow; it is written from the workflow's state, so an
 * end or a shipment it shows is one the workflow has. Otherwise one query to the workflow decides:
 * before the booking is recorded (the carrier may be quicker than the workflow) the event is
 * answered 409, so the carrier sends it again, instead of being lost or taken for another shipment.
 */
async function handleCarrierEvent(temporal: Client, shop: ShopDb, event: CarrierEventBody): Promise<Outcome> {
  const { orderId, trackingNumber, deliveredAt } = event.shipment;
  if (!isOrderId(orderId)) return { accepted: false, reason: `unknown order ${orderId}` };
  const handle = temporal.workflow.getHandle(orderWorkflowId(orderId));
  const signal = async (): Promise<Outcome> => {
    try {
      await handle.signal(carrierEventSignal, { id: event.id, type: event.type, trackingNumber, deliveredAt });
      return { accepted: true };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { accepted: false, reason: 'the order has ended' };
      throw temporalUnavailable(err);
    }
  };
  const notThisShipment: Outcome = { accepted: false, reason: `tracking number ${trackingNumber} is not the order's shipment` };
  // A projection that cannot be read only means asking the workflow.
  const [row] = await shop
    .select({ status: orders.status, trackingNumber: orders.trackingNumber })
    .from(orders)
    .where(eq(orders.id, orderId))
    .catch(() => []);
  if (row && isTerminal(row.status as OrderStatus)) return { accepted: false, reason: `the order has ended (${row.status})` };
  if (row?.trackingNumber) return row.trackingNumber === trackingNumber ? signal() : notThisShipment;

  let state: OrderState;
  try {
    state = await temporal.withDeadline(Date.now() + 5_000, () => handle.query(statusQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { accepted: false, reason: `unknown order ${orderId}` };
    throw temporalUnavailable(err);
  }
  if (isTerminal(state.status)) return { accepted: false, reason: `the order has ended (${state.status})` };
  if (!state.shipment) {
    throw new HttpProblem(
      409,
      'Shipment not booked yet',
      `Order ${orderId} has no shipment booked yet (status ${state.status}); send the event again later.`,
      {},
      { 'Retry-After': '1' },
    );
  }
  if (state.shipment.deliveredAt) return { accepted: false, reason: `the order's delivery is already known (${state.shipment.source ?? 'polling'})` };
  if (state.shipment.trackingNumber !== trackingNumber) return notThisShipment;
  return signal();
}

/** `accepted` of an event whose first delivery is still being handled (the claim). */
const CLAIMED = -1;
/** A claim this old belongs to a handler that died (handling is bounded by Temporal deadlines of seconds). */
const CLAIM_STALE_S = 120;
/** How long a repeat waits for the first delivery's answer before asking the system to send it again. */
const TWIN_WAIT_MS = 10_000;

/** `POST /v1/integrations/mes/events`, `POST /v1/integrations/carrier/events`. */
/** What the integration routes share: the dependencies and `receive`, which handles an event once. */
export function integrationRoutesContext(deps: ApiDeps) {
  const { shop, log } = deps;
  // Repeats come within hours (a system retrying); a month of event ids is plenty.
  const purge = setInterval(() => {
    shop
      .delete(integrationEvents)
      .where(lt(integrationEvents.receivedAt, sql`now() - interval '30 days'`))
      .catch((err: unknown) => log.warn({ err }, 'purging old integration events failed'));
  }, 3_600_000);
  purge.unref();

  /** Handles a checked event once and answers what became of it. */
  const receive = async <E extends { id: string; type: string }>(
    system: SystemName,
    event: E,
    orderOf: (e: E) => string,
    handle: (e: E) => Promise<Outcome>,
    res: Response,
  ) => {
    const answer = await once(system, event, orderOf(event), () => handle(event));
    if (!answer.duplicate)
      log.info({ system, eventId: event.id, type: event.type, orderId: orderOf(event), accepted: answer.accepted, reason: answer.reason }, 'integration event');
    res.json(answer);
  };

  /**
   * Handles an event id once, however many deliveries of it arrive at the same time: the first
   * claims the id (insert, or take over a stale claim, in one statement), handles the event and
   * records the outcome; a repeat answers that outcome, waiting for it while the first is under
   * way. A handling that fails (e.g. 503) gives the claim up, so the system's retry is handled.
   */
  async function once(system: SystemName, event: { id: string; type: string }, orderId: string, handle: () => Promise<Outcome>): Promise<IntegrationAnswer> {
    const t = integrationEvents;
    const key = and(eq(t.system, system), eq(t.eventId, event.id));
    for (const deadline = Date.now() + TWIN_WAIT_MS; ;) {
      const token = `claim:${randomUUID()}`;
      const [claim] = await shop
        .insert(t)
        .values({ system, eventId: event.id, type: event.type, orderId, accepted: CLAIMED, reason: token })
        .onConflictDoUpdate({
          target: [t.system, t.eventId],
          set: { reason: token, receivedAt: sql`now()` },
          setWhere: and(eq(t.accepted, CLAIMED), lt(t.receivedAt, sql`now() - make_interval(secs => ${CLAIM_STALE_S})`)),
        })
        .returning({ eventId: t.eventId });
      if (claim) {
        const mine = and(key, eq(t.reason, token));
        let outcome: Outcome;
        try {
          outcome = await handle();
        } catch (err) {
          await shop
            .delete(t)
            .where(mine)
            .catch((e: unknown) => log.warn({ err: e, system, eventId: event.id }, 'releasing the claim of an integration event failed; it expires by itself'));
          throw err;
        }
        await shop
          .update(t)
          .set({ accepted: outcome.accepted ? 1 : 0, reason: outcome.accepted ? null : outcome.reason })
          .where(mine);
        return { eventId: event.id, ...outcome };
      }
      const [seen] = await shop.select().from(t).where(key);
      if (seen && seen.accepted !== CLAIMED) {
        return { eventId: event.id, accepted: seen.accepted === 1, ...(seen.reason ? { reason: seen.reason } : {}), duplicate: true };
      }
      // Claimed by a delivery under way, or just given up (then the next round claims it).
      if (Date.now() >= deadline) {
        throw new HttpProblem(
          409,
          'Event being handled',
          `Event ${event.id} is being handled by an earlier delivery; send it again later for its answer.`,
          {},
          { 'Retry-After': '5' },
        );
      }
      if (seen) await new Promise((r) => setTimeout(r, 50));
    }
  }

  return { deps, receive };
}

type IntegrationRoutesContext = ReturnType<typeof integrationRoutesContext>;
const integrationRoute = route<IntegrationRoutesContext>();
const { mesEvent, mesSignature, carrierEvent, carrierSignature } = integrationExamples();

/** `POST /v1/integrations/mes/events`, `POST /v1/integrations/carrier/events`. */
export const INTEGRATION_ROUTES = [
  integrationRoute({
    method: 'post',
    path: '/v1/integrations/mes/events',
    operationId: 'receiveMesEvent',
    tags: ['Integrations'],
    summary: 'An event of the MES about a production job',
    description:
      "MES keys only (kind `mes`), signed with the MES webhook secret. `job.completed` completes the order's production step " +
      "(the job's `callbackRef`, which the pipeline handed over with the job, names the waiting step); `job.cancelled` ends it as " +
      'cancelled; `job.started` is recorded. Events that name no known order or come too late are answered `200` with ' +
      '`accepted: false` and a reason: do not send them again. A repeated event id gets the first answer again (`duplicate: true`).',
    allow: ['mes'],
    request: {
      headers: z.object({
        [SIGNATURE_HEADER]: requestHeader().meta({
          description:
            '`t=<unix seconds>,v1=<hex HMAC-SHA256(MES_WEBHOOK_SECRET, "<t>.<raw body>")>`, at most 5 minutes old; the example is signed with `mes-example-secret`.',
          example: mesSignature,
        }),
      }),
      body: { schema: MesEventSchema, required: true, example: mesEvent },
    },
    responses: (ex) => ({
      '200': {
        description: 'Handled (the event changed the order, or it is unknown, stale or repeated — see `accepted`).',
        headers: rateLimitHeaders,
        content: {
          [JSON_TYPE]: {
            schema: IntegrationAnswerSchema,
            examples: {
              accepted: { summary: 'Production completed', value: ex.integrationAnswers.accepted },
              stale: { summary: 'Too late: the step was completed already', value: ex.integrationAnswers.stale },
            },
          },
        },
      },
      ...JSON_BODY_ERRORS,
      '403': response('Forbidden'),
      '409': {
        ...conflict(
          'An earlier delivery of this event id is still being handled; send the event again after `Retry-After` seconds for its answer.',
          'Event being handled',
          'Event job_4b1f…:completed is being handled by an earlier delivery; send it again later for its answer.',
          '/v1/integrations/mes/events',
        ),
        headers: { 'Retry-After': header('RetryAfter'), ...rateLimitHeaders },
      },
      '422': validationFailed('The body is not an MES event.', '/v1/integrations/mes/events', [
        { path: 'job.completedAt', message: 'Invalid input: expected string, received undefined' },
      ]),
      '503': response('ServiceUnavailable'),
      ...AUTHENTICATED,
    }),
    before: ({ deps }) => signedJsonBody(() => deps.config.integrations.mes.webhookSecret),
    handler:
      ({ deps, receive }) =>
      (_req, res, { body }) =>
        receive(
          'mes',
          body,
          (e) => e.job.orderId,
          (e) => handleMesEvent(deps.temporal, e, deps.config.integrations.callbackSecret),
          res,
        ),
  }),
  integrationRoute({
    method: 'post',
    path: '/v1/integrations/carrier/events',
    operationId: 'receiveCarrierEvent',
    tags: ['Integrations'],
    summary: 'An event of the carrier about a shipment',
    description:
      "Carrier keys only (kind `carrier`), signed with the carrier webhook secret. `shipment.delivered` becomes the order workflow's " +
      'signal `carrierEvent`: the order is delivered at once instead of waiting for its fallback (asking the carrier once the expected ' +
      'delivery plus the grace time has passed). Unknown orders, other tracking numbers and deliveries already known are answered `200` with ' +
      '`accepted: false`; a repeated event id gets the first answer again (`duplicate: true`); an event before the shipment is booked is `409`: send it again later.',
    allow: ['carrier'],
    request: {
      headers: z.object({
        [SIGNATURE_HEADER]: requestHeader().meta({
          description:
            '`t=<unix seconds>,v1=<hex HMAC-SHA256(CARRIER_WEBHOOK_SECRET, "<t>.<raw body>")>`, at most 5 minutes old; the example is signed with `carrier-example-secret`.',
          example: carrierSignature,
        }),
      }),
      body: { schema: CarrierEventSchema, required: true, example: carrierEvent },
    },
    responses: (ex) => ({
      '200': {
        description: 'Handled (see `accepted`).',
        headers: rateLimitHeaders,
        content: {
          [JSON_TYPE]: {
            schema: IntegrationAnswerSchema,
            examples: {
              unknown: { summary: 'No such order', value: ex.integrationAnswers.unknown },
              duplicate: { summary: 'The same event again', value: ex.integrationAnswers.duplicate },
            },
          },
        },
      },
      ...JSON_BODY_ERRORS,
      '403': response('Forbidden'),
      '409': {
        ...conflict(
          "The order's shipment is not booked yet (the carrier was quicker than the pipeline), or an earlier delivery of this event id is still being handled: send the event again after `Retry-After` seconds.",
          'Shipment not booked yet',
          `Order ${EXAMPLE_ORDER_ID} has no shipment booked yet (status produced); send the event again later.`,
          '/v1/integrations/carrier/events',
        ),
        headers: { 'Retry-After': header('RetryAfter'), ...rateLimitHeaders },
      },
      '422': validationFailed('The body is not a carrier event.', '/v1/integrations/carrier/events', [
        { path: 'shipment.trackingNumber', message: 'Invalid input: expected string, received undefined' },
      ]),
      '503': response('ServiceUnavailable'),
      ...AUTHENTICATED,
    }),
    before: ({ deps }) => signedJsonBody(() => deps.config.integrations.carrier.webhookSecret),
    handler:
      ({ deps, receive }) =>
      (_req, res, { body }) =>
        receive(
          'carrier',
          body,
          (e) => e.shipment.orderId,
          (e) => handleCarrierEvent(deps.temporal, deps.shop, e),
          res,
        ),
  }),
];
