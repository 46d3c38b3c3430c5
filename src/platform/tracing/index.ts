/**
 * OpenTelemetry tracing of the pipeline: one trace per order request, from the API's HTTP span
 * through the workflow start, the workflow run and every activity (Temporal's OpenTelemetry
 * interceptors carry the context in Temporal headers).
 *
 * The HTTP middleware and the client interceptors only use the OpenTelemetry API, which does
 * nothing until `startTracing` registers an SDK in the process. `startTracing` decides where
 * spans go (OTLP/HTTP, console, a test's exporter); the workers' activity and workflow
 * interceptors are installed only when spans go somewhere (`tracingEnabled`).
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInboundCallsInterceptor, InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { Config } from '../config.js';
import { parseOrderWorkflowId } from '../../domain/order-id.js';
import { tagOrder } from './attributes.js';

export { ORDER_ID_ATTRIBUTE, activeTraceFields, tagOrder } from './attributes.js';

export interface Tracing {
  /** `service.name` of this process's spans. */
  serviceName: string;
  /** Exports every finished span now (e.g. before a test looks at them). */
  flush(): Promise<void>;
  /** Flushes and stops; the process's tracing is off afterwards. */
  shutdown(): Promise<void>;
}

interface Installed {
  workflowSink: ReturnType<typeof makeWorkflowExporter>;
  /** Whether any exporter takes spans: without one, instrumenting is pure cost. */
  exporting: boolean;
}
let installed: Installed | undefined;

/**
 * Registers the OpenTelemetry SDK for this process: W3C trace context, async context tracking,
 * and the exporters of `config` (plus `exporters`, e.g. a test's in-memory one). One per
 * process; call before the API or the workers start and `shutdown()` after they stopped.
 */
export function startTracing(config: Config['tracing'], options: { serviceName: string; exporters?: SpanExporter[] }): Tracing {
  if (installed) throw new Error('tracing is already started in this process');
  const serviceName = config.serviceName ?? options.serviceName;
  const resource = Resource.default().merge(new Resource({ [ATTR_SERVICE_NAME]: serviceName }));
  const exporters: SpanExporter[] = [
    ...config.exporters.map((name): SpanExporter => (name === 'otlp' ? new OTLPTraceExporter({ url: config.otlpTracesUrl }) : new ConsoleSpanExporter())),
    ...(options.exporters ?? []),
  ];
  const spanProcessors: SpanProcessor[] = exporters.map((e) => new BatchSpanProcessor(e));
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  provider.register();
  // Workflow spans are made inside the sandbox and handed out through a sink; they go to the
  // same processors as the process's own spans.
  const fanOut: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => spanProcessors.forEach((p) => p.onEnd(span)),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  installed = { workflowSink: makeWorkflowExporter(fanOut, resource), exporting: exporters.length > 0 };
  return {
    serviceName,
    flush: () => provider.forceFlush(),
    async shutdown() {
      installed = undefined;
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}

/**
 * Whether spans of this process go anywhere (an exporter is configured or a test added one).
 * Workers instrument activities only then, and a workflow bundle built without tracing leaves
 * out the workflow interceptors: tracing that exports nothing costs an order about a tenth of
 * its CPU (see bench/README.md).
 */
export function tracingEnabled(): boolean {
  return installed?.exporting ?? false;
}

/**
 * The `exporter` sink Temporal's workflow interceptors send workflow spans to. Give it to every
 * worker: spans go to the SDK `startTracing` registered, and nowhere while tracing is off.
 */
export function workflowSpanSinks(): InjectedSinks<OpenTelemetrySinks> {
  return {
    exporter: {
      export: {
        // Not during replay (the default): a span is exported once, by the run that ended it.
        fn: (info, spans) => installed?.workflowSink.export.fn(spanIdentity(info), spans),
      },
    },
  };
}

/**
 * Temporal's sink copies the whole workflow info onto each span as attributes, memo and search
 * attributes included (the customer's e-mail among them); only the identifiers go to the tracing
 * backend.
 */
function spanIdentity(info: WorkflowInfo): WorkflowInfo {
  const { workflowId, runId, workflowType, namespace, taskQueue, attempt } = info;
  return { workflowId, runId, workflowType, namespace, taskQueue, attempt } as WorkflowInfo;
}

/** Puts `order.id` on the activity's span (runs inside Temporal's, which opened it). */
class OrderIdActivityInbound implements ActivityInboundCallsInterceptor {
  constructor(private readonly workflowId: string | undefined) {}
  execute: ActivityInboundCallsInterceptor['execute'] = (input, next) => {
    tagOrder(this.workflowId && parseOrderWorkflowId(this.workflowId));
    return next(input);
  };
}

/**
 * Worker interceptors: each activity runs in an `RunActivity:<type>` span, the child of the
 * workflow's `StartActivity` span, with `order.id`; its log lines carry the trace ids. Workflow
 * interceptors live in the workflow bundle (WORKFLOW_INTERCEPTOR_MODULES).
 */
export function activityInterceptors(): NonNullable<WorkerInterceptors['activity']> {
  return [
    (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
    (ctx) => ({ inbound: new OrderIdActivityInbound(ctx.info.workflowExecution?.workflowId) }),
  ];
}

/**
 * Client interceptors: starting (signalling, querying, updating) a workflow opens a span whose
 * context the workflow continues; `order.id` on it for order workflows.
 */
export function workflowClientInterceptors(): WorkflowClientInterceptor[] {
  return [
    new OpenTelemetryWorkflowClientInterceptor(),
    {
      // The client calls `startWithDetails` only (a legacy `start` hook would never run).
      startWithDetails(input, next) {
        tagOrder(parseOrderWorkflowId(input.options.workflowId));
        return next(input);
      },
    },
  ];
}
