/**
 * What our spans and log lines carry besides OpenTelemetry's own fields. Pure: the workflow
 * bundle imports it too.
 */
import { context, isSpanContextValid, trace, type Span } from '@opentelemetry/api';

/** Span attribute naming the order a span worked on. */
export const ORDER_ID_ATTRIBUTE = 'order.id';

/** Sets `order.id` on `span` (default: the active span); a no-op without one or without an id. */
export function tagOrder(orderId: string | undefined, span: Span | undefined = trace.getActiveSpan()): void {
  if (orderId && span) span.setAttribute(ORDER_ID_ATTRIBUTE, orderId);
}

/** `trace_id`, `span_id` and `trace_flags` of the active span, for a log line; empty outside a trace. */
export function activeTraceFields(): { trace_id?: string; span_id?: string; trace_flags?: string } {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId, trace_flags: `0${spanContext.traceFlags.toString(16)}` };
}
