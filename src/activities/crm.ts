import type { CrmAdapter, CrmAssignment, RegisterOrderInput } from '../systems/crm/index.js';
import { recordCrmProcessing, secondsSince } from '../metrics/registry.js';
import { stageMeta, type StageMeta } from './meta.js';

export type RouteInput = RegisterOrderInput;
export interface RouteResult extends StageMeta, CrmAssignment {}

/** Activities of the `crm` queue: hand the order to the CRM. */
export function createCrmActivities(deps: { crm: CrmAdapter }) {
  return {
    async routeToCrm(input: RouteInput): Promise<RouteResult> {
      const meta = stageMeta();
      const started = process.hrtime.bigint();
      try {
        const assignment = await deps.crm.registerOrder(input);
        recordCrmProcessing('ok', secondsSince(started));
        return { ...meta, ...assignment };
      } catch (err) {
        recordCrmProcessing('error', secondsSince(started));
        throw err;
      }
    },

    /** Compensation: closes the order's assignment in the CRM (idempotent). */
    async releaseCrmAssignment(input: { orderId: string }): Promise<void> {
      await deps.crm.closeAssignment(input.orderId);
    },
  };
}

export type CrmActivities = ReturnType<typeof createCrmActivities>;
