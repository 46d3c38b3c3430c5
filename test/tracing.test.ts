/**
 * OpenTelemetry tracing over the real pipeline: an order placed over HTTP is one trace, from the
 * API's request span through the workflow start and run to every activity, each span carrying
 * the order id, and the API's log lines carry the trace id. Spans are captured by the SDK's
 * in-memory exporter in place of an OTLP collector (none runs here); everything else is real.
 */
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApi, type RunningApi } from '../src/api/server.js';
import { createLogger } from '../src/platform/logger.js';
import { ORDER_ID_ATTRIBUTE, startTracing, workflowSpanSinks, type Tracing } from '../src/platform/tracing/index.js';
import { orderWorkflowId } from '../src/order/contract.js';
import { httpClient, type HttpCall } from './support/http.js';
import { sampleOrder, startPipeline, testConfig, testDataConverter, waitForOrder, type TestPipeline } from './support/pipeline.js';

const SHOP = 'shop-dev-key';
/** The steps' activities, in the order the workflow runs them (ship = book, then confirm). */
const ACTIVITIES = ['acceptOrder', 'priceOrder', 'routeToCrm', 'produce', 'bookShipment', 'confirmDelivery'];

let exporter: InMemorySpanExporter;
let tracing: Tracing | undefined;
let pipeline: TestPipeline | undefined;
let api: RunningApi | undefined;
let call: HttpCall;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  exporter = new InMemorySpanExporter();
  // Before the API and the workers, as the entry points do.
  tracing = startTracing(testConfig().tracing, { serviceName: 'order-pipeline-test', exporters: [exporter] });
  pipeline = await startPipeline();
  const log = createLogger('info', 'api', { write: (line: string) => void logLines.push(JSON.parse(line)) });
  api = await startApi({ config: pipeline.config, log, shop: pipeline.dbs.shop });
  call = httpClient(() => api!.url);
});

afterAll(async () => {
  await api?.close();
  await pipeline?.stop();
  await tracing?.shutdown();
});

const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');

/** Finished spans of one trace, once `done` holds for them (workflow spans arrive when the run ends). */
async function traceSpans(traceId: string, done: (spans: ReadableSpan[]) => boolean, timeoutMs = 20_000): Promise<ReadableSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await tracing!.flush();
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    if (done(spans)) return spans;
    if (Date.now() > deadline) {
      throw new Error(`trace ${traceId} incomplete after ${timeoutMs} ms; spans: ${spans.map((s) => s.name).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('tracing an order', () => {
  it('follows an order from the HTTP request through the workflow to every activity in one trace', async () => {
    const body = sampleOrder();
    const created = await call('POST', '/v1/orders', { key: SHOP, body });
    expect(created.status).toBe(202);
    const orderId: string = created.json.id;
    await waitForOrder(pipeline!.client, orderId, (s) => s.status === 'delivered');

    await tracing!.flush();
    const request = exporter.getFinishedSpans().find((s) => s.name === 'POST /v1/orders' && s.attributes[ORDER_ID_ATTRIBUTE] === orderId);
    expect(request, 'a server span for the request, named by its route').toBeDefined();
    expect(request!.parentSpanId, 'the request span is the root').toBeUndefined();
    expect(request!.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/orders', 'http.response.status_code': 202 });
    const traceId = request!.spanContext().traceId;

    const spans = await traceSpans(traceId, (all) => {
      const names = new Set(all.map((s) => s.name));
      return names.has('RunWorkflow:orderWorkflow') && ACTIVITIES.every((a) => names.has(`RunActivity:${a}`));
    });
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect(found.length, name).toBeGreaterThanOrEqual(1);
      return found[0]!;
    };
    const parentOf = (s: ReadableSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);

    // request → StartWorkflow → RunWorkflow → StartActivity:x → RunActivity:x
    const start = one('StartWorkflow:orderWorkflow');
    expect(parentOf(start)).toBe(request);
    const run = one('RunWorkflow:orderWorkflow');
    expect(parentOf(run)).toBe(start);
    for (const activity of ACTIVITIES) {
      const executions = spans.filter((s) => s.name === `RunActivity:${activity}`);
      expect(executions.length, activity).toBeGreaterThanOrEqual(1);
      for (const execution of executions) {
        const scheduled = parentOf(execution);
        expect(scheduled?.name, `parent of RunActivity:${activity}`).toBe(`StartActivity:${activity}`);
        expect(parentOf(scheduled!)).toBe(run);
      }
    }

    // One tree: every span but the request's has its parent in the trace.
    for (const s of spans) {
      if (s === request) continue;
      expect(parentOf(s), `parent of ${s.name}`).toBeDefined();
    }
    // The order id on the request, the workflow's and the activities' spans.
    const untagged = spans
      .filter((s) => /^(POST |StartWorkflow|RunWorkflow|StartActivity|RunActivity)/.test(s.name))
      .filter((s) => s.attributes[ORDER_ID_ATTRIBUTE] !== orderId)
      .map((s) => s.name);
    expect(untagged).toEqual([]);
    // Workflow spans come out of the sandbox with the process's resource and the run's identifiers,
    // but not the workflow's search attributes or memo: the customer's e-mail stays out of traces.
    expect(run.resource.attributes['service.name']).toBe('order-pipeline-test');
    expect(run.attributes).toMatchObject({ workflowId: `order-${orderId}`, workflowType: 'orderWorkflow' });
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(body.customer.email);

    // The API's access log line of this request carries the request span's ids.
    const line = logLines.find(
      (l) => (l.req as { url?: string } | undefined)?.url === '/v1/orders' && (l.res as { statusCode?: number } | undefined)?.statusCode === 202,
    );
    expect(line, 'the access log line of the POST').toBeDefined();
    expect(line).toMatchObject({ trace_id: traceId, span_id: request!.spanContext().spanId });

    // The traced run replays as a worker would after losing its cache (status queries included).
    const history = await pipeline!.client.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
    await Worker.runReplayHistory(
      {
        workflowBundle: { codePath: inject('workflowBundlePath') },
        sinks: workflowSpanSinks(),
        dataConverter: testDataConverter(),
        replayName: 'traced-order',
      },
      history,
    );
  });

  it("continues a caller's trace (W3C traceparent) and names the order on the request span", async () => {
    const created = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ shipping: { method: 'pickup' } }) });
    expect(created.status).toBe(202);
    const callerTrace = hex(32);
    const callerSpan = hex(16);
    const read = await call('GET', `/v1/orders/${created.json.id}`, { key: SHOP, headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` } });
    expect(read.status).toBe(200);

    const spans = await traceSpans(callerTrace, (all) => all.some((s) => s.name === 'GET /v1/orders/:id'));
    const span = spans.find((s) => s.name === 'GET /v1/orders/:id');
    expect(span!.parentSpanId).toBe(callerSpan);
    expect(span!.attributes[ORDER_ID_ATTRIBUTE]).toBe(created.json.id);
    const line = logLines.find((l) => (l.req as { url?: string } | undefined)?.url === `/v1/orders/${created.json.id}`);
    expect(line?.trace_id).toBe(callerTrace);
  });
});
