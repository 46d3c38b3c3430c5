/** Contract of the CRM slice: its task queue and the route-to-CRM step's input and result. Safe in the workflow bundle. */
import type { Channel, OrderRequest } from '../domain/order.js';
import type { StageMeta } from '../platform/activity-meta.js';

/** Task queue of the route-to-CRM step's activities. */
export const CRM_TASK_QUEUE = 'crm';

/** Input of registering an order in the CRM. */
export interface RegisterOrderInput {
  orderId: string;
  channel: Channel;
  partnerId?: string;
  customer: OrderRequest['customer'];
}

/** Who in the CRM now owns the order. */
export interface CrmAssignment {
  customerId: string;
  managerId: string;
  managerName: string;
}

export type RouteInput = RegisterOrderInput;
export interface RouteResult extends StageMeta, CrmAssignment {}

/** Activities of the `crm` queue: hand the order to the CRM, release it again. */
export interface CrmActivities {
  routeToCrm(input: RouteInput): Promise<RouteResult>;
  /** Compensation: closes the order's assignment in the CRM (idempotent). */
  releaseCrmAssignment(input: { orderId: string }): Promise<void>;
}
