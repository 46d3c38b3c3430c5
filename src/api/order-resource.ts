import type { OrderFailure, OrderState, TimelineEntry } from '../order/contract.js';
import { ORDER_REJECTED, orderWorkflowId } from '../order/contract.js';
import type { ApiClient } from './clients.js';
import type { NoExtraKeys, OrderResourceSchema, OrderResourceShape, Same, TraceLinkSchema } from './schemas.js';
import type { z } from 'zod';

/** Where an order can be traced in the Temporal Web UI. */
export interface TraceLink {
  workflowId: string;
  url: string;
}

export function traceLink(uiUrl: string, namespace: string, orderId: string): TraceLink {
  const workflowId = orderWorkflowId(orderId);
  return { workflowId, url: `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` };
}

/** A trace link as a caller may see it: the Web UI address (an internal host) not for partners. */
export type VisibleTraceLink = Pick<TraceLink, 'workflowId'> & Partial<Pick<TraceLink, 'url'>>;

/**
 * Who reads an order: the manufacturer's own keys (operators and its shop) see internals;
 * partners, outside the house, see the order without them.
 */
export type OrderViewer = Pick<ApiClient, 'kind'>;

/** A viewer that sees no internals: the default wherever the caller is not known. */
export const PUBLIC_VIEWER: OrderViewer = { kind: 'partner' };

/** Whether the viewer may see internal error texts and the Temporal Web UI. */
export function seesInternals(viewer: OrderViewer): boolean {
  return viewer.kind === 'operator' || viewer.kind === 'shop';
}

/** The trace link as `viewer` may see it. */
export function visibleTrace(trace: TraceLink, viewer: OrderViewer): VisibleTraceLink {
  return seesInternals(viewer) ? trace : { workflowId: trace.workflowId };
}

/**
 * Failure types whose message is written for the customer: the business rules an order broke
 * (with field paths) and the price engine's reason it cannot price the items. Every other
 * failure carries the text of an internal error (a database, a host, a stack of retries).
 */
const CUSTOMER_FACING_FAILURES: readonly string[] = [ORDER_REJECTED, 'Unpriceable'];

/** The failure as a partner key sees it: internal error texts replaced by a plain message. */
export function publicFailure(failure: OrderFailure): OrderFailure {
  if (CUSTOMER_FACING_FAILURES.includes(failure.type)) return failure;
  return {
    stage: failure.stage,
    type: 'StepFailed',
    message: `The order could not be completed at its ${failure.stage} step and has stopped; our operators have been alerted.`,
  };
}

/** The timeline as a partner key sees it: a failed entry says that it failed, not the internal error. */
function publicTimeline(state: OrderState): TimelineEntry[] {
  const failure = state.failure ? publicFailure(state.failure) : undefined;
  return state.timeline.map((entry) => {
    if (entry.status !== 'failed' || entry.detail === undefined) return entry;
    const detail =
      entry.stage === 'cancel'
        ? 'the cancel request was refused'
        : failure && failure.stage === entry.stage
          ? failure.message
          : `the ${entry.stage} step failed`;
    return { ...entry, detail };
  });
}

/**
 * The representation of an order (`GET /v1/orders/{id}`) for `viewer`: operators and the shop
 * see it whole; partners without internal error texts and without the Web UI link.
 */
export function toOrderResource(state: OrderState, trace: TraceLink, viewer: OrderViewer = PUBLIC_VIEWER) {
  const internals = seesInternals(viewer);
  return {
    id: state.orderId,
    channel: state.channel,
    ...(state.partnerId ? { partnerId: state.partnerId } : {}),
    status: state.status,
    priority: state.priority,
    customer: state.customer,
    items: state.items,
    shipping: state.shipping,
    ...(state.dueBy ? { dueBy: state.dueBy } : {}),
    ...(state.externalRef ? { externalRef: state.externalRef } : {}),
    ...(state.notes ? { notes: state.notes } : {}),
    ...(state.price ? { price: state.price } : {}),
    promisedBy: state.promisedBy ?? null,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    timeline: internals ? state.timeline : publicTimeline(state),
    ...(state.shipment ? { shipment: state.shipment } : {}),
    ...(state.failure ? { failure: internals ? state.failure : publicFailure(state.failure) } : {}),
    ...(state.sla ? { sla: state.sla } : {}),
    trace: visibleTrace(trace, viewer),
  } satisfies z.infer<typeof OrderResourceSchema>;
}
export type OrderResource = ReturnType<typeof toOrderResource>;

// The resource emits no key the schema would not document, and the trace link is the documented one.
const orderResourceKeys: NoExtraKeys<OrderResource, OrderResourceShape> = true;
const traceSchemaIsTraceLink: Same<z.output<typeof TraceLinkSchema>, VisibleTraceLink> = true;
void [orderResourceKeys, traceSchemaIsTraceLink];
