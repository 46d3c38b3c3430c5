/**
 * What the MES and the carrier report on their own: the job is on a line (signal
 * `productionStarted`, from the MES's event via the API or from the produce step) and the
 * shipment was delivered (signal `carrierEvent`, kept per tracking number so that an early or
 * foreign event never displaces the booked shipment's).
 */
import { setHandler } from '@temporalio/workflow';
import { carrierEventSignal, productionStartedSignal, type ProductionStarted } from '../contract.js';
import type { OrderRun } from './run.js';
import type { CarrierEvent } from '../../shipping/contract.js';

/** Carrier events kept per order, by tracking number. */
const MAX_CARRIER_EVENTS = 10;

export type OrderEvents = ReturnType<typeof createEvents>;

export function createEvents(run: OrderRun) {
  const { state } = run;
  /** The first report that the order's job is on a line. */
  let started: ProductionStarted | undefined;
  /** The carrier's first `shipment.delivered` event per tracking number. */
  const delivered = new Map<string, CarrierEvent>();

  /** The job is on a line: the order is `in_production`, and the produce entry says since when and who said so. */
  const onLine = (report: Omit<ProductionStarted, 'startedAt'> & { startedAt?: string }) => {
    if (state.status !== 'awaiting_production') return;
    state.production = { jobId: report.jobId, ...(report.startedAt ? { startedAt: report.startedAt } : {}), startSource: report.source };
    const how = report.eventId
      ? `MES event ${report.eventId}`
      : report.startedAt
        ? 'seen by the production step'
        : 'start not reported before production finished';
    const entry = run.current();
    if (entry?.stage === 'produce') entry.detail = `job ${report.jobId} on a line${report.startedAt ? ` since ${report.startedAt}` : ''} (${how})`;
    run.setStatus('in_production');
  };

  const registerHandlers = () => {
    setHandler(productionStartedSignal, (report) => {
      if (started || typeof report?.jobId !== 'string' || typeof report.startedAt !== 'string') return;
      started = {
        jobId: report.jobId,
        startedAt: report.startedAt,
        source: report.source === 'webhook' ? 'webhook' : 'polling',
        ...(typeof report.eventId === 'string' ? { eventId: report.eventId } : {}),
      };
      if (state.status === 'awaiting_production') {
        onLine(started);
        run.project().catch(() => undefined);
      }
    });
    setHandler(carrierEventSignal, (event) => {
      // Repeats of an event and events about another shipment change nothing.
      if (event?.type !== 'shipment.delivered' || typeof event.deliveredAt !== 'string' || typeof event.trackingNumber !== 'string') return;
      if (delivered.has(event.trackingNumber)) return;
      if (state.shipment && event.trackingNumber !== state.shipment.trackingNumber) return;
      if (delivered.size >= MAX_CARRIER_EVENTS) delivered.delete(delivered.keys().next().value!);
      delivered.set(event.trackingNumber, event);
    });
  };

  return {
    registerHandlers,
    /** The production step is waiting for a line: a start reported before it counts now. */
    awaitingLine: () => started && onLine(started),
    onLine,
    deliveredEvent: (trackingNumber: string) => delivered.get(trackingNumber),
  };
}
