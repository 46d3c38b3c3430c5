import { ApplicationFailure } from '@temporalio/activity';
import type { Address, ShippingMethod } from '../domain/order.js';
import type { CarrierAdapter } from '../systems/carrier/index.js';
import { stageMeta, type StageMeta } from './meta.js';

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

/** Activities of the `shipping` queue: book the carrier, confirm delivery. */
export function createShippingActivities(deps: { carrier: CarrierAdapter; carrierEvents: boolean }) {
  const { carrier } = deps;
  return {
    async bookShipment(input: BookShipmentInput): Promise<BookShipmentResult> {
      const meta = stageMeta();
      const shipment = await carrier.book(input);
      return {
        ...meta,
        trackingNumber: shipment.trackingNumber,
        expectedDeliveryAt: shipment.expectedDeliveryAt.toISOString(),
        carrierEvents: deps.carrierEvents,
      };
    },

    /** Compensation: voids a booked shipment (idempotent). */
    async voidShipment(input: { orderId: string }): Promise<void> {
      await carrier.void(input.orderId);
    },

    async confirmDelivery(input: { orderId: string }): Promise<DeliveryResult> {
      const shipment = await carrier.track(input.orderId);
      if (!shipment) throw ApplicationFailure.nonRetryable(`no shipment booked for order ${input.orderId}`, 'NoShipment');
      if (shipment.status !== 'delivered' || !shipment.deliveredAt) {
        throw ApplicationFailure.retryable(`shipment ${shipment.trackingNumber} is ${shipment.status}`, NOT_DELIVERED_YET);
      }
      return { deliveredAt: shipment.deliveredAt.toISOString() };
    },
  };
}

export type ShippingActivities = ReturnType<typeof createShippingActivities>;
