import type { CrmActivities, RouteInput, RouteResult } from './contract.js';
import type { CrmAdapter } from './system.js';
import { recordCrmProcessing, secondsSince } from '../platform/metrics/registry.js';
import { stageMeta } from '../platform/activity-meta.js';

/** Activities of the `crm` queue: hand the order to the CRM. */
export function createCrmActivities(deps: { crm: CrmAdapter }): CrmActivities {
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
