/**
 * Contract of the carrier slice (the ship step): its task queue, the activities' inputs, results
 * and failure types, and the carrier's shipment events. Safe in the workflow bundle.
 */
import type { Address, ShippingMethod } from '../domain/order.js';
import type { StageMeta } from '../platform/activity-meta.js';

/** Task queue of the ship step's activities. */
export const SHIPPING_TASK_QUEUE = 'shipping';

export interface BookShipmentInput {
  orderId: string;
  method: ShippingMethod;
  address?: Address;
}
export interface BookShipmentResult extends StageMeta {
  trackingNumber: string;
  expectedDeliveryAt: string;
  /**
   * Whether the carrier reports the delivery by event (`false`: it sends none, so the order asks
   * it at the expected delivery without waiting for an event). Absent in results recorded before.
   */
  carrierEvents?: boolean;
}
export interface DeliveryResult {
  deliveredAt: string;
}

/** Failure type while the carrier has not delivered yet (retried). */
export const NOT_DELIVERED_YET = 'NotDeliveredYet';

/** Activities of the `shipping` queue: book the carrier, void a booking, confirm delivery. */
export interface ShippingActivities {
  bookShipment(input: BookShipmentInput): Promise<BookShipmentResult>;
  /** Compensation: voids a booked shipment (idempotent). */
  voidShipment(input: { orderId: string }): Promise<void>;
  confirmDelivery(input: { orderId: string }): Promise<DeliveryResult>;
}

/** An event of the carrier about an order's shipment, as the API passes it on (signal `carrierEvent`). */
export interface CarrierEvent {
  /** The carrier's event id. */
  id: string;
  type: 'shipment.delivered';
  trackingNumber: string;
  deliveredAt: string;
}
