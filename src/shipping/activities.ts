import { ApplicationFailure } from '@temporalio/activity';
import type { CarrierAdapter } from './system.js';
import { stageMeta } from '../platform/activity-meta.js';
import { NOT_DELIVERED_YET, type BookShipmentInput, type BookShipmentResult, type DeliveryResult, type ShippingActivities } from './contract.js';

/** Activities of the `shipping` queue: book the carrier, confirm delivery. */
export function createShippingActivities(deps: { carrier: CarrierAdapter; carrierEvents: boolean }): ShippingActivities {
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
