import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { Request, RequestHandler } from 'express';
import { UNMATCHED_ROUTE, routeLabel } from '../platform/metrics/http.js';

/**
 * A server span per request (install first), named `<method> <route pattern>` as the HTTP
 * semantic conventions ask, e.g. `POST /v1/orders`; a caller's `traceparent` makes it a child of
 * the caller's span. The request and response emitters are bound to the span's context, so code
 * that runs from their events (body parsing, the access log on `finish`) stays in the trace.
 *
 * A middleware instead of the HTTP/express auto-instrumentation: that one patches modules at
 * load time, which for ES modules needs a loader hook (`--import`) on every entry point and in
 * the test runner.
 */
export function requestTracing(options: { ignore?: (req: Request) => boolean } = {}): RequestHandler {
  const tracer = trace.getTracer('order-pipeline/api');
  return (req, res, next) => {
    if (options.ignore?.(req)) return next();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: req.method,
          [ATTR_URL_PATH]: req.path,
          [ATTR_URL_SCHEME]: req.protocol,
          ...(req.get('user-agent') ? { [ATTR_USER_AGENT_ORIGINAL]: req.get('user-agent') } : {}),
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = routeLabel(req, res);
      if (route !== UNMATCHED_ROUTE) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      // Server spans count only 5xx as errors; a 4xx is the client's.
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!res.writableFinished) span.setAttribute('http.response.aborted', true);
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.bind(active, req);
    context.bind(active, res);
    context.with(active, next);
  };
}
