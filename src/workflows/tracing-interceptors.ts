/**
 * Workflow interceptors of the bundle (WORKFLOW_INTERCEPTOR_MODULES in ./bundle.ts): Temporal's
 * OpenTelemetry interceptors continue the trace the workflow was started in (header
 * `_tracer-data`), give the run a `RunWorkflow:<type>` span and each scheduled activity a
 * `StartActivity:<type>` span whose context travels to the activity; spans leave the sandbox
 * through the `exporter` sink. Ours, inside theirs, only puts `order.id` on those spans.
 *
 * Tracing adds no command and no marker to the history: spans are made from the workflow's
 * deterministic clock and random source, and the sink is not called during replay.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';
import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { tagOrder } from '../platform/tracing/attributes.js';
import { parseOrderWorkflowId } from '../order/contract.js';

const tagThisOrder = () => tagOrder(parseOrderWorkflowId(workflowInfo().workflowId));

export const interceptors: WorkflowInterceptorsFactory = () => ({
  // The first of a list is the outermost: theirs opens the span, ours runs inside it.
  inbound: [
    new OpenTelemetryInboundInterceptor(),
    {
      execute(input, next) {
        tagThisOrder();
        return next(input);
      },
    },
  ],
  outbound: [
    new OpenTelemetryOutboundInterceptor(),
    {
      scheduleActivity(input, next) {
        tagThisOrder();
        return next(input);
      },
      scheduleLocalActivity(input, next) {
        tagThisOrder();
        return next(input);
      },
    },
  ],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
