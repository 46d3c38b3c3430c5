/**
 * The five steps of an order, each an activity on its own task queue at the order's priority:
 * accept → price → route to the CRM → produce → ship.
 */
import type { OrderCancellation } from './cancel.js';
import type { OrderEvents } from './events.js';
import { STEP_OPTIONS, acceptance, compensation, delivery, stepActivities } from './options.js';
import type { OrderPriority } from './priority.js';
import { now, waitUntil, type OrderRun } from './run.js';
import type { CrmActivities } from '../../crm/contract.js';
import type { MesActivities } from '../../mes/contract.js';
import type { PricingActivities } from '../../pricing/contract.js';
import type { ShippingActivities } from '../../shipping/contract.js';

export interface StepContext {
  run: OrderRun;
  priority: OrderPriority;
  cancellation: OrderCancellation;
  events: OrderEvents;
}

/** 1. Business acceptance: the order's rules, and the date it is promised for. */
export async function accept({ run }: StepContext): Promise<void> {
  const { input, state } = run;
  const entry = run.begin('accept');
  const accepted = await acceptance.acceptOrder({ orderId: input.orderId, order: input.order, createdAt: input.createdAt, timeScale: input.timeScale });
  state.promisedBy = accepted.promisedBy;
  // Recorded in the projection with the next steps' results, when the order awaits a line.
  run.finish(entry, accepted, 'accepted', `promised by ${accepted.promisedBy}`);
}

/** 2. The price, for the partner's price list; a rush surcharge only for a rush the customer or an operator asked for. */
export async function price({ run, priority }: StepContext): Promise<void> {
  const { input, state } = run;
  const entry = run.begin('price');
  const priced = await priority.step((p) =>
    stepActivities<PricingActivities>(STEP_OPTIONS.pricing, p).priceOrder({
      orderId: input.orderId,
      items: input.order.items,
      rush: state.priority === 'rush' && !priority.rushByPromise(),
      ...(input.partnerId ? { partnerId: input.partnerId } : {}),
    }),
  );
  state.price = priced.price;
  run.finish(entry, priced, 'priced', `total ${priced.price.totalMinor} ${priced.price.currency} (minor units)`);
}

/** 3. The CRM's customer and account manager (recorded together with the next step's status). */
export async function routeToCrm({ run, priority, cancellation }: StepContext): Promise<void> {
  const { input, state } = run;
  const entry = run.begin('route-to-crm');
  cancellation.onCancel('CRM assignment closed', () => compensation.crm.releaseCrmAssignment({ orderId: input.orderId }));
  const routed = await priority.step((p) =>
    stepActivities<CrmActivities>(STEP_OPTIONS.crm, p).routeToCrm({
      orderId: input.orderId,
      channel: input.channel,
      partnerId: input.partnerId,
      customer: input.order.customer,
    }),
  );
  state.crm = { customerId: routed.customerId, managerId: routed.managerId, managerName: routed.managerName };
  run.finish(entry, routed, 'routed', `manager ${routed.managerName}`);
}

/** 4. Production: waits in the mes backlog for a line (priority decides who gets the next one), then on it. */
export async function produce({ run, priority, events }: StepContext): Promise<void> {
  const { input, state } = run;
  const entry = run.begin('produce');
  run.setStatus('awaiting_production');
  await run.project();
  events.awaitingLine();
  const produced = await priority.step((p) => stepActivities<MesActivities>(STEP_OPTIONS.mes, p).produce({ orderId: input.orderId, items: input.order.items }));
  // No report of the start reached the order: it still passes through `in_production`.
  events.onLine({ jobId: produced.jobId, ...(produced.startedAt ? { startedAt: produced.startedAt } : {}), source: produced.source ?? 'polling' });
  state.production = { ...state.production, jobId: produced.jobId, completedAt: produced.completedAt, ...(produced.source ? { source: produced.source } : {}) };
  const how = produced.source === 'webhook' ? 'MES event' : produced.source === 'polling' ? 'asked the MES' : undefined;
  const resubmitted = produced.resubmitted ? `, resubmitted ${produced.resubmitted}× after the MES lost it` : '';
  const since = state.production.startedAt ? `, on a line since ${state.production.startedAt}` : '';
  // Recorded in the projection with the booking, a moment later.
  run.finish(entry, produced, 'produced', `job ${produced.jobId}${how ? ` (${how}${resubmitted})` : ''}${since}`);
}

/** 5. Shipping: book the carrier, then wait (durable timer) for its delivery event, else ask it. */
export async function ship({ run, priority, cancellation, events }: StepContext): Promise<void> {
  const { input, state } = run;
  const entry = run.begin('ship');
  cancellation.onCancel('shipment voided', () => compensation.shipping.voidShipment({ orderId: input.orderId }));
  const booked = await priority.step((p) =>
    stepActivities<ShippingActivities>(STEP_OPTIONS.shipping, p).bookShipment({
      orderId: input.orderId,
      method: input.order.shipping.method,
      address: input.order.shipping.address,
    }),
  );
  state.shipment = { trackingNumber: booked.trackingNumber };
  entry.attempts = booked.attempt;
  entry.queueWaitMs = booked.queueWaitMs;
  entry.detail = `tracking ${booked.trackingNumber}`;
  run.setStatus('shipped');
  await run.project();
  // A carrier that sends no events is asked at the expected delivery, without a grace period.
  const silentCarrier = booked.carrierEvents === false;
  const graceMs = silentCarrier ? 0 : (input.carrierEventGraceMs ?? 0);
  const waitMs = Date.parse(booked.expectedDeliveryAt) - Date.parse(now());
  const fromCarrier = () => events.deliveredEvent(booked.trackingNumber);
  await waitUntil(() => fromCarrier() !== undefined, Math.max(1, waitMs + graceMs));
  const event = fromCarrier();
  const deliveredAt = event ? event.deliveredAt : (await delivery.confirmDelivery({ orderId: input.orderId })).deliveredAt;
  state.shipment.deliveredAt = deliveredAt;
  state.shipment.source = event ? 'webhook' : 'polling';
  const how = event
    ? `carrier event ${event.id}`
    : silentCarrier
      ? 'the carrier sends no events; confirmed with it'
      : 'no carrier event in time; confirmed with the carrier';
  run.finish(entry, booked, 'delivered', `tracking ${booked.trackingNumber}, delivered ${deliveredAt} (${how})`);
  await run.project();
}
