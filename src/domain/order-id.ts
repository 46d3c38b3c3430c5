/**
 * Order ids and the order workflow's ID. Plain functions with no imports, so the workflow bundle
 * and the tracing interceptors can use them without pulling in the request schemas (zod).
 */

/** Order ids are lower-case UUIDs, made at intake. */
const ORDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Whether `id` can be an order id at all (anything else is an unknown order). */
export function isOrderId(id: string): boolean {
  return ORDER_ID.test(id);
}

const ID_PREFIX = 'order-';
/** Workflow ID of an order: the business key, so a second start for the same order is rejected. */
export function orderWorkflowId(orderId: string): string {
  return `${ID_PREFIX}${orderId}`;
}
/** The order id inside a workflow ID, or undefined when it is not an order workflow. */
export function parseOrderWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(ID_PREFIX) ? workflowId.slice(ID_PREFIX.length) : undefined;
}
