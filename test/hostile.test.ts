/**
 * Hostile and malformed requests over real HTTP against the real stack (Temporal, workers,
 * PostgreSQL). Every row of the table must be answered with `application/problem+json` whose
 * `status` is the HTTP status, never a 5xx, and must start no order: every hostile body carries
 * a marker (customer e-mail `hostile.<run>.<n>@…`, externalRef `hostile-<run>-<n>`), and after
 * the table neither the projection nor Temporal knows any order with that marker, and Temporal
 * holds exactly as many new order workflows as the odd-but-valid rows were meant to start.
 *
 * Odd-but-valid input (unicode, emoji, injection strings in free-text fields, a BOM, an exponent
 * number) is accepted with 202 and must come back exactly as sent, from the workflow
 * (GET /v1/orders/{id}) and from the PostgreSQL projection.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { inArray, like, or } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders } from '../src/order/schema.js';
import type { RunningApi } from '../src/api/server.js';
import type { ProductionJob } from '../src/mes/system.js';
import { NOT_CANCELLABLE, ORDER_WORKFLOW_TYPE } from '../src/order/contract.js';
import type { Answer, HttpCall } from './support/http.js';
import { sampleOrder, startPipelineWithApi, waitForOrder, type TestPipeline } from './support/pipeline.js';

let pipeline: TestPipeline;
let api: RunningApi;
let call: HttpCall;
let stop: (() => Promise<void>) | undefined;
let orderWorkflowsBefore = 0;
const ORDER_WORKFLOWS = `WorkflowType = '${ORDER_WORKFLOW_TYPE}'`;

/**
 * Orders whose production job the MES accepts but never puts on a line (all lines busy), so the
 * order stays cancellable for as long as the test needs: the cancel rows aim at such an order.
 */
const waitingForLine = new Set<string>();
const waitingJobs = new Map<string, ProductionJob>();

beforeAll(async () => {
  ({ pipeline, api, call, stop } = await startPipelineWithApi({
    mes: (embedded) => ({
      ...embedded,
      async submitJob(input) {
        if (!waitingForLine.has(input.orderId)) return embedded.submitJob(input);
        const job: ProductionJob = waitingJobs.get(input.orderId) ?? {
          id: `waiting-${input.orderId}`,
          orderId: input.orderId,
          spec: input.items.map((i) => ({ sku: i.sku, quantity: i.quantity, options: { ...i.options } })),
          status: 'queued',
          durationMs: 60_000,
          createdAt: new Date(),
          startedAt: null,
          finishesAt: null,
          completedAt: null,
          callbackRef: input.callbackRef ?? null,
        };
        waitingJobs.set(input.orderId, job);
        return { ...job };
      },
      async getJob(jobId) {
        const waiting = [...waitingJobs.values()].find((j) => j.id === jobId);
        return waiting ? { ...waiting } : embedded.getJob(jobId);
      },
      async cancelJob(orderId) {
        const waiting = waitingJobs.get(orderId);
        if (!waiting) return embedded.cancelJob(orderId);
        waiting.status = 'cancelled';
        return { ...waiting };
      },
    }),
  }));
  orderWorkflowsBefore = await countWorkflows(ORDER_WORKFLOWS);
});
afterAll(() => stop?.());

const SHOP = 'shop-dev-key';
const ACME = 'partner-acme-dev-key';
const GLOBEX = 'partner-globex-dev-key';
const OPS = 'ops-dev-key';

async function countWorkflows(query: string): Promise<number> {
  return (await pipeline.client.workflow.count(query)).count;
}

// ---------------------------------------------------------------------------------------------
// Markers: every hostile body is recognisable afterwards, valid ones carry another prefix.

const RUN = randomUUID().slice(0, 8);
const HOSTILE_EMAIL = `hostile.${RUN}.`;
const HOSTILE_REF = `hostile-${RUN}-`;
let hostileSeq = 0;
let validSeq = 0;

/** A valid order body with a hostile marker, changed by `overrides` (top-level keys). */
function hostile(overrides: Record<string, unknown> = {}) {
  const n = ++hostileSeq;
  return sampleOrder({
    customer: { name: 'Hostile Tester', email: `${HOSTILE_EMAIL}${n}@example.com` },
    externalRef: `${HOSTILE_REF}${n}`,
    ...overrides,
  });
}

/** A hostile body whose first item line is `item` (merged into a valid line). */
function withItem(item: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return hostile({ items: [{ sku: 'BC-STD', quantity: 100, ...item }], ...extra });
}

/** A hostile body whose customer gets `fields` on top of the marked customer. */
function withCustomer(fields: Record<string, unknown>) {
  const body = hostile();
  return { ...body, customer: { ...body.customer, ...fields } };
}

/** A hostile body whose shipping address gets `fields`. */
function withAddress(fields: Record<string, unknown>) {
  const body = hostile();
  return { ...body, shipping: { ...body.shipping, address: { ...body.shipping.address, ...fields } } };
}

/** JSON text of a hostile body in which the JSON string `"@@"` is replaced by `literal` (e.g. 1e309). */
function withLiteral(body: unknown, literal: string): string {
  const text = JSON.stringify(body);
  if (!text.includes('"@@"')) throw new Error('no @@ placeholder in body');
  return text.replace('"@@"', literal);
}

/** A list cursor holding `value` as this API encodes one (base64url JSON). */
function cursorOf(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Sends bytes as they are over a fresh TCP connection (things fetch would refuse or normalise). */
function rawHttp(request: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(api.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // The server may close while we still write; what it answered counts.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(all.toString('latin1'))}`));
      const [statusLine, ...headerLines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Headers();
      for (const line of headerLines) {
        const i = line.indexOf(':');
        headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
      let body = all.subarray(end + 4);
      if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
        const parts: Buffer[] = [];
        let at = 0;
        for (;;) {
          const eol = body.indexOf('\r\n', at);
          const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
          if (!size) break;
          parts.push(body.subarray(eol + 2, eol + 2 + size));
          at = eol + 2 + size + 2;
        }
        body = Buffer.concat(parts);
      }
      const text = body.toString('utf8');
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, json, text });
    });
    // Not end(): a half-closed client makes Node's server abort the request. `Connection: close`
    // makes the server close once it has answered.
    socket.write(request);
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

/** A raw HTTP/1.1 request; `body` gets a Content-Length unless a transfer-encoding header is given. */
function rawRequest(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Buffer {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: localhost', 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'transfer-encoding')) {
    lines.push(`Content-Length: ${payload.length}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

/** POSTs a Buffer body with exactly `headers` (no default content-type), e.g. gzip. */
const sendBytes = (path: string, body: Buffer, headers: Record<string, string>) => call('POST', path, { raw: body, type: null, headers });

const post = (body: unknown, options: { key?: string; headers?: Record<string, string> } = {}) => call('POST', '/v1/orders', { key: SHOP, body, ...options });
const postRaw = (raw: string, type = 'application/json', key = SHOP) => call('POST', '/v1/orders', { key, raw, type });
const get = (path: string, key = SHOP) => call('GET', path, { key });

// ---------------------------------------------------------------------------------------------
// The table

interface Row {
  name: string;
  send: () => Promise<Answer>;
  status: number;
  /** A field error with exactly this path must be in `errors`. */
  path?: string;
  /** The answer text must contain this (e.g. the unknown SKU it names). */
  mentions?: string;
}

const DEEP = 10_000;
const deepArray = '['.repeat(DEEP) + ']'.repeat(DEEP);
const basicShop = `Basic ${Buffer.from('shop-dev-key:').toString('base64')}`;
/** Filled in by the partner test below before the rows run (a live, cancellable order of acme). */
let acmeOrderId = '';
/** That order as its partner read it before the rows ran. */
let acmeOrderBefore: any;

const rows: Row[] = [
  // --- broken JSON --------------------------------------------------------------------------
  { name: 'truncated JSON', send: () => postRaw(JSON.stringify(hostile()).slice(0, 40)), status: 400 },
  { name: 'trailing comma', send: () => postRaw(JSON.stringify(hostile()).replace(/}$/, ',}')), status: 400 },
  { name: 'NaN as quantity', send: () => postRaw(withLiteral(withItem({ quantity: '@@' }), 'NaN')), status: 400 },
  { name: 'Infinity literal as quantity', send: () => postRaw(withLiteral(withItem({ quantity: '@@' }), 'Infinity')), status: 400 },
  { name: 'single-quoted JSON', send: () => postRaw(JSON.stringify(hostile()).replace(/"/g, "'")), status: 400 },
  { name: 'JSON with a comment', send: () => postRaw(`// order\n${JSON.stringify(hostile())}`), status: 400 },
  { name: 'empty body (parsed as {}, so every field is missing)', send: () => postRaw(''), status: 422, path: 'customer' },
  { name: 'null body', send: () => postRaw('null'), status: 400 },
  { name: 'JSON string as body', send: () => postRaw('"order"'), status: 400 },
  { name: 'array instead of object', send: () => postRaw(JSON.stringify([hostile()])), status: 422, path: '(root)' },
  { name: `${DEEP}-level nested arrays as body`, send: () => postRaw(deepArray), status: 422, path: '(root)' },
  { name: `${DEEP}-level nested arrays in notes`, send: () => postRaw(withLiteral(hostile({ notes: '@@' }), deepArray)), status: 422, path: 'notes' },
  {
    name: 'invalid UTF-16 decode (charset=utf-16 on UTF-8 bytes)',
    send: () => postRaw(JSON.stringify(hostile()), 'application/json; charset=utf-16'),
    status: 400,
  },

  // --- wrong types, field by field ----------------------------------------------------------
  { name: 'customer is a string', send: () => post(hostile({ customer: 'Anna' })), status: 422, path: 'customer' },
  { name: 'customer.name is a number', send: () => post(withCustomer({ name: 42 })), status: 422, path: 'customer.name' },
  { name: 'customer.email is not an address', send: () => post(withCustomer({ email: 'not-an-email' })), status: 422, path: 'customer.email' },
  { name: 'customer.email is an array', send: () => post(withCustomer({ email: ['a@example.com'] })), status: 422, path: 'customer.email' },
  { name: 'customer.phone is a number', send: () => post(withCustomer({ phone: 491701234567 })), status: 422, path: 'customer.phone' },
  { name: 'items is an object', send: () => post(hostile({ items: { sku: 'BC-STD', quantity: 100 } })), status: 422, path: 'items' },
  { name: 'items is empty', send: () => post(hostile({ items: [] })), status: 422, path: 'items' },
  { name: 'item line is a string', send: () => post(hostile({ items: ['BC-STD x 100'] })), status: 422, path: 'items.0' },
  { name: 'sku is a number', send: () => post(withItem({ sku: 12345 })), status: 422, path: 'items.0.sku' },
  { name: 'quantity is a string', send: () => post(withItem({ quantity: '100' })), status: 422, path: 'items.0.quantity' },
  { name: 'quantity is a boolean', send: () => post(withItem({ quantity: true })), status: 422, path: 'items.0.quantity' },
  { name: 'options is an array', send: () => post(withItem({ options: ['paper'] })), status: 422, path: 'items.0.options' },
  { name: 'option value is a number', send: () => post(withItem({ options: { paper: 350 } })), status: 422, path: 'items.0.options.paper' },
  { name: 'shipping is null', send: () => post(hostile({ shipping: null })), status: 422, path: 'shipping' },
  { name: 'shipping.method unknown', send: () => post(hostile({ shipping: { method: 'teleport' } })), status: 422, path: 'shipping.method' },
  { name: 'courier without address', send: () => post(hostile({ shipping: { method: 'courier' } })), status: 422, path: 'shipping.address' },
  {
    name: 'address is a string',
    send: () => post(hostile({ shipping: { method: 'post', address: 'Hauptstr. 1, Berlin' } })),
    status: 422,
    path: 'shipping.address',
  },
  { name: 'country not ISO alpha-2', send: () => post(withAddress({ country: 'DEU' })), status: 422, path: 'shipping.address.country' },
  { name: 'dueBy is not a date', send: () => post(hostile({ dueBy: 'tomorrow' })), status: 422, path: 'dueBy' },
  { name: 'dueBy is a number', send: () => post(hostile({ dueBy: 1893456000000 })), status: 422, path: 'dueBy' },
  { name: 'dueBy February 30th', send: () => post(hostile({ dueBy: '2031-02-30T12:00:00Z' })), status: 422, path: 'dueBy' },
  { name: 'dueBy in the past', send: () => post(hostile({ dueBy: '2001-01-01T00:00:00Z' })), status: 422, path: 'dueBy' },
  {
    name: 'dueBy in the year 9999 with an offset (10000 in UTC)',
    send: () => post(hostile({ dueBy: '9999-12-31T23:30:00-01:00' })),
    status: 422,
    path: 'dueBy',
  },
  {
    name: 'dueBy two years ahead',
    send: () => post(hostile({ dueBy: new Date(Date.now() + 2 * 365 * 86_400_000).toISOString() })),
    status: 422,
    path: 'dueBy',
  },
  {
    name: 'dueBy sooner than the lead time (a partner order due in 1 s)',
    send: () => post(hostile({ dueBy: new Date(Date.now() + 1_000).toISOString() }), { key: ACME }),
    status: 422,
    path: 'dueBy',
    mentions: 'earliest due date',
  },
  { name: 'externalRef is a number', send: () => post({ ...hostile(), externalRef: 4711 }), status: 422, path: 'externalRef' },
  { name: 'notes is an object', send: () => post(hostile({ notes: { text: 'hi' } })), status: 422, path: 'notes' },

  // --- numbers ------------------------------------------------------------------------------
  { name: 'quantity 1e309 (Infinity)', send: () => postRaw(withLiteral(withItem({ quantity: '@@' }), '1e309')), status: 422, path: 'items.0.quantity' },
  { name: 'quantity 2^53+1', send: () => postRaw(withLiteral(withItem({ quantity: '@@' }), '9007199254740993')), status: 422, path: 'items.0.quantity' },
  { name: 'quantity -0', send: () => postRaw(withLiteral(withItem({ quantity: '@@' }), '-0')), status: 422, path: 'items.0.quantity' },
  {
    name: 'quantity 1e-400 (underflows to 0)',
    send: () => postRaw(withLiteral(withItem({ quantity: '@@' }), '1e-400')),
    status: 422,
    path: 'items.0.quantity',
  },
  { name: 'quantity 0', send: () => post(withItem({ quantity: 0 })), status: 422, path: 'items.0.quantity' },
  { name: 'quantity negative', send: () => post(withItem({ quantity: -100 })), status: 422, path: 'items.0.quantity' },
  { name: 'quantity fractional', send: () => post(withItem({ quantity: 100.5 })), status: 422, path: 'items.0.quantity' },
  { name: 'quantity as exponent string', send: () => post(withItem({ quantity: '1e2' })), status: 422, path: 'items.0.quantity' },
  { name: 'quantity below the product minimum', send: () => post(withItem({ quantity: 10 })), status: 422, path: 'items.0.quantity' },

  // --- sizes --------------------------------------------------------------------------------
  { name: 'body over 64 kB', send: () => post(hostile({ notes: 'x'.repeat(70_000) })), status: 413 },
  {
    name: 'body over 64 kB, chunked without Content-Length',
    send: () =>
      rawHttp(
        rawRequest(
          'POST',
          '/v1/orders',
          { Authorization: `Bearer ${SHOP}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
          (() => {
            const json = Buffer.from(JSON.stringify(hostile({ notes: 'y'.repeat(70_000) })));
            return Buffer.concat([Buffer.from(`${json.length.toString(16)}\r\n`), json, Buffer.from('\r\n0\r\n\r\n')]);
          })(),
        ),
      ),
    status: 413,
  },
  {
    name: 'gzip bomb (2 kB compressed, 1 MB inflated)',
    send: () =>
      sendBytes('/v1/orders', gzipSync(Buffer.from(JSON.stringify(hostile({ notes: ' '.repeat(1_000_000) })))), {
        authorization: `Bearer ${SHOP}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      }),
    status: 413,
  },
  {
    name: 'unknown content-encoding',
    send: () =>
      sendBytes('/v1/orders', Buffer.from(JSON.stringify(hostile())), {
        authorization: `Bearer ${SHOP}`,
        'content-type': 'application/json',
        'content-encoding': 'compress',
      }),
    status: 415,
  },
  { name: 'notes of 2001 characters', send: () => post(hostile({ notes: 'n'.repeat(2001) })), status: 422, path: 'notes' },
  { name: 'customer.name of 201 characters', send: () => post(withCustomer({ name: 'N'.repeat(201) })), status: 422, path: 'customer.name' },
  { name: 'sku of 65 characters', send: () => post(withItem({ sku: 'S'.repeat(65) })), status: 422, path: 'items.0.sku' },
  {
    name: 'externalRef of 101 characters',
    send: () => post({ ...hostile(), externalRef: `${HOSTILE_REF}${'r'.repeat(101)}` }),
    status: 422,
    path: 'externalRef',
  },
  {
    name: 'option name of 65 characters',
    send: () => post(withItem({ options: { ['o'.repeat(65)]: 'x' } })),
    status: 422,
    path: `items.0.options.${'o'.repeat(65)}`,
  },
  {
    name: '51 item lines',
    send: () => post(hostile({ items: Array.from({ length: 51 }, () => ({ sku: 'BC-STD', quantity: 100 })) })),
    status: 422,
    path: 'items',
  },

  // --- unknown keys -------------------------------------------------------------------------
  { name: 'unknown top-level key', send: () => post(hostile({ isAdmin: true })), status: 422, mentions: 'isAdmin' },
  { name: 'unknown key in customer', send: () => post(withCustomer({ role: 'admin' })), status: 422, path: 'customer', mentions: 'role' },
  {
    name: 'unknown key in an item (price override)',
    send: () => post(withItem({ unitPriceMinor: 0 })),
    status: 422,
    path: 'items.0',
    mentions: 'unitPriceMinor',
  },
  { name: 'unknown key in the address', send: () => post(withAddress({ geo: [52.5, 13.4] })), status: 422, path: 'shipping.address', mentions: 'geo' },

  // --- prototype pollution ------------------------------------------------------------------
  {
    name: '__proto__ at the top level',
    send: () => postRaw(JSON.stringify(hostile()).replace(/^{/, '{"__proto__":{"polluted":"yes"},')),
    status: 422,
    path: '__proto__',
  },
  {
    name: 'constructor.prototype at the top level',
    send: () => post(hostile({ constructor: { prototype: { polluted: 'yes' } } })),
    status: 422,
    mentions: 'constructor',
  },
  {
    name: '__proto__ in customer',
    send: () => postRaw(JSON.stringify(hostile()).replace('"customer":{', '"customer":{"__proto__":{"isAdmin":true},')),
    status: 422,
    path: 'customer.__proto__',
  },
  {
    name: '__proto__ in an item',
    send: () => postRaw(withLiteral(hostile({ items: '@@' }), '[{"__proto__":{"polluted":"yes"},"sku":"BC-STD","quantity":100}]')),
    status: 422,
    path: 'items.0.__proto__',
  },
  {
    name: '__proto__ as an option name (object value)',
    send: () => postRaw(withLiteral(withItem({ options: '@@' }), '{"__proto__":{"paper":"gloss-350","polluted":"yes"}}')),
    status: 422,
    path: 'items.0.options.__proto__',
  },
  {
    name: '__proto__ as an option name (string value)',
    send: () => postRaw(withLiteral(withItem({ options: '@@' }), '{"__proto__":"x"}')),
    status: 422,
    path: 'items.0.options.__proto__',
  },
  { name: 'constructor as an option name', send: () => post(withItem({ options: { constructor: 'x' } })), status: 422, path: 'items.0.options.constructor' },

  // --- unicode that cannot be stored as sent ------------------------------------------------
  { name: 'NUL byte in customer.name', send: () => post(withCustomer({ name: 'Anna\u0000Schmidt' })), status: 422, path: 'customer.name' },
  { name: 'NUL byte in notes', send: () => post(hostile({ notes: 'call first\u0000' })), status: 422, path: 'notes' },
  { name: 'NUL byte in an address line', send: () => post(withAddress({ line2: '\u0000' })), status: 422, path: 'shipping.address.line2' },
  {
    name: 'NUL byte in a cancel reason',
    send: () => call('POST', `/v1/orders/${acmeOrderId}/cancel`, { key: ACME, body: { reason: 'changed my mind\u0000' } }),
    status: 422,
    path: 'reason',
  },
  {
    name: 'NUL byte in an option name',
    send: () => post(withItem({ options: { 'paper\u0000': 'matte-350' } })),
    status: 422,
    path: 'items.0.options.paper\u0000',
  },
  { name: 'lone surrogate in notes', send: () => postRaw(withLiteral(hostile({ notes: '@@' }), '"broken \\ud800 pair"')), status: 422, path: 'notes' },

  // --- injection strings where they are identifiers -----------------------------------------
  { name: 'SQL injection as sku', send: () => post(withItem({ sku: "' OR 1=1--" })), status: 422, path: 'items.0.sku', mentions: "' OR 1=1--" },
  { name: 'NoSQL operator string as sku', send: () => post(withItem({ sku: '{"$ne":null}' })), status: 422, path: 'items.0.sku', mentions: '$ne' },
  { name: 'NoSQL operator object as sku', send: () => post(withItem({ sku: { $ne: null } })), status: 422, path: 'items.0.sku' },
  { name: 'unknown SKU', send: () => post(withItem({ sku: 'NOPE-404' })), status: 422, path: 'items.0.sku', mentions: 'NOPE-404' },
  { name: 'unknown option', send: () => post(withItem({ options: { glitter: 'yes' } })), status: 422, path: 'items.0.options.glitter', mentions: 'glitter' },
  {
    name: 'unknown option value',
    send: () => post(withItem({ options: { paper: 'gold-leaf' } })),
    status: 422,
    path: 'items.0.options.paper',
    mentions: 'gold-leaf',
  },

  // --- order ids in the path ----------------------------------------------------------------
  { name: "GET /v1/orders/' OR 1=1--", send: () => get("/v1/orders/' OR 1=1--"), status: 404 },
  { name: 'GET /v1/orders/ with UNION SELECT', send: () => get('/v1/orders/x%27%20UNION%20SELECT%20*%20FROM%20api_clients--'), status: 404 },
  { name: 'encoded path traversal id', send: () => get('/v1/orders/..%2F..%2F..%2Fetc%2Fpasswd'), status: 404 },
  {
    name: 'raw path traversal (not normalised by a client)',
    send: () => rawHttp(rawRequest('GET', '/v1/orders/../../etc/passwd', { Authorization: `Bearer ${SHOP}` })),
    status: 404,
  },
  { name: 'NUL byte as id', send: () => get('/v1/orders/%00'), status: 404 },
  { name: 'malformed percent-encoding in id', send: () => get('/v1/orders/%E0%A4%A'), status: 400 },
  { name: 'id of 10,000 characters', send: () => get(`/v1/orders/${'9'.repeat(10_000)}`), status: 404 },
  { name: 'id with a NoSQL operator', send: () => get('/v1/orders/%7B%22%24ne%22%3Anull%7D'), status: 404 },

  // --- authentication and authorisation -----------------------------------------------------
  { name: 'no Authorization header', send: () => post(hostile(), { key: '' }), status: 401 },
  { name: 'forged key', send: () => post(hostile(), { key: 'shop-dev-key-forged' }), status: 401 },
  { name: 'empty Bearer', send: () => post(hostile(), { key: '', headers: { authorization: 'Bearer ' } }), status: 401 },
  { name: 'Basic auth with a valid key as user', send: () => post(hostile(), { key: '', headers: { authorization: basicShop } }), status: 401 },
  { name: 'valid key with trailing garbage', send: () => post(hostile(), { key: '', headers: { authorization: `Bearer ${SHOP} admin` } }), status: 401 },
  { name: 'key of 10,000 characters', send: () => post(hostile(), { key: 'k'.repeat(10_000) }), status: 401 },
  {
    name: 'key of 20,000 characters (over the header limit)',
    send: () =>
      rawHttp(
        rawRequest('POST', '/v1/orders', { Authorization: `Bearer ${'k'.repeat(20_000)}`, 'Content-Type': 'application/json' }, JSON.stringify(hostile())),
      ),
    status: 431,
  },
  { name: 'operator key places an order', send: () => post(hostile(), { key: OPS }), status: 403 },
  { name: 'partner reads another partner’s order', send: () => get(`/v1/orders/${acmeOrderId}`, GLOBEX), status: 404 },
  { name: 'shop reads a partner order', send: () => get(`/v1/orders/${acmeOrderId}`, SHOP), status: 404 },

  // --- content types ------------------------------------------------------------------------
  { name: 'text/plain', send: () => postRaw(JSON.stringify(hostile()), 'text/plain'), status: 415 },
  {
    name: 'form-encoded',
    send: () => postRaw(new URLSearchParams({ order: JSON.stringify(hostile()) }).toString(), 'application/x-www-form-urlencoded'),
    status: 415,
  },
  {
    name: 'multipart/form-data',
    send: () =>
      postRaw(`--b\r\nContent-Disposition: form-data; name="order"\r\n\r\n${JSON.stringify(hostile())}\r\n--b--\r\n`, 'multipart/form-data; boundary=b'),
    status: 415,
  },
  { name: 'application/json; charset=latin1', send: () => postRaw(JSON.stringify(hostile()), 'application/json; charset=latin1'), status: 415 },
  { name: 'application/vnd.api+json', send: () => postRaw(JSON.stringify(hostile()), 'application/vnd.api+json'), status: 415 },
  { name: 'no content type', send: () => sendBytes('/v1/orders', Buffer.from(JSON.stringify(hostile())), { authorization: `Bearer ${SHOP}` }), status: 415 },

  // --- methods ------------------------------------------------------------------------------
  { name: 'DELETE /v1/orders', send: () => call('DELETE', '/v1/orders', { key: SHOP }), status: 404 },
  { name: 'PUT /v1/orders/{id}', send: () => call('PUT', `/v1/orders/${acmeOrderId}`, { key: OPS, body: hostile() }), status: 404 },
  { name: 'PATCH /v1/orders', send: () => call('PATCH', '/v1/orders', { key: SHOP, body: hostile() }), status: 404 },
  { name: 'DELETE /v1/orders without a key', send: () => call('DELETE', '/v1/orders'), status: 401 },

  // --- list query parameters ----------------------------------------------------------------
  { name: 'limit=0', send: () => get('/v1/orders?limit=0', OPS), status: 422, path: 'limit' },
  { name: 'limit=1e9', send: () => get('/v1/orders?limit=1e9', OPS), status: 422, path: 'limit' },
  { name: 'limit=-1', send: () => get('/v1/orders?limit=-1', OPS), status: 422, path: 'limit' },
  { name: 'limit twice', send: () => get('/v1/orders?limit=1&limit=2', OPS), status: 422, path: 'limit' },
  { name: 'status=bogus', send: () => get('/v1/orders?status=bogus', OPS), status: 422, path: 'status' },
  { name: 'status[$ne]=x', send: () => get('/v1/orders?status[$ne]=x', OPS), status: 422, path: 'status[$ne]' },
  { name: 'cursor=garbage', send: () => get('/v1/orders?cursor=garbage', OPS), status: 400, path: 'cursor' },
  { name: 'cursor with SQL', send: () => get(`/v1/orders?cursor=${encodeURIComponent("'; DROP TABLE orders;--")}`, OPS), status: 400, path: 'cursor' },
  { name: 'unknown query parameter', send: () => get('/v1/orders?sort=created_at', OPS), status: 422, path: 'sort' },
  { name: 'partnerId from a partner key', send: () => get('/v1/orders?partnerId=globex', ACME), status: 422, path: 'partnerId' },

  { name: 'partnerId=%00 (operator key)', send: () => get('/v1/orders?partnerId=%00', OPS), status: 422, path: 'partnerId' },
  { name: 'partnerId of 64 characters', send: () => get(`/v1/orders?partnerId=${'p'.repeat(64)}`, OPS), status: 422, path: 'partnerId' },
  { name: 'partnerId with SQL', send: () => get(`/v1/orders?partnerId=${encodeURIComponent("acme' OR '1'='1")}`, OPS), status: 422, path: 'partnerId' },
  { name: 'status=%00', send: () => get('/v1/orders?status=%00', OPS), status: 422, path: 'status' },
  { name: 'status twice', send: () => get('/v1/orders?status=received&status=accepted', OPS), status: 422, path: 'status', mentions: 'more than once' },
  { name: 'partnerId twice', send: () => get('/v1/orders?partnerId=acme&partnerId=globex', OPS), status: 422, path: 'partnerId' },
  { name: 'cursor twice', send: () => get(`/v1/orders?cursor=${cursorOf(['2030-01-01T00:00:00.000Z', 'a'])}&cursor=x`, OPS), status: 422, path: 'cursor' },
  {
    name: 'cursor whose id is NUL',
    send: () => get(`/v1/orders?cursor=${cursorOf(['2030-01-01T00:00:00.000Z', '\u0000'])}`, OPS),
    status: 400,
    path: 'cursor',
  },
  {
    name: 'cursor whose id holds a NUL',
    send: () => get(`/v1/orders?cursor=${cursorOf(['2030-01-01T00:00:00.000Z', 'ab\u0000cd'])}`, OPS),
    status: 400,
    path: 'cursor',
  },
  {
    name: 'cursor whose id is a lone surrogate',
    send: () => get(`/v1/orders?cursor=${Buffer.from('["2030-01-01T00:00:00.000Z","\\ud800"]').toString('base64url')}`, OPS),
    status: 400,
    path: 'cursor',
  },
  {
    name: 'cursor whose id is 201 characters',
    send: () => get(`/v1/orders?cursor=${cursorOf(['2030-01-01T00:00:00.000Z', 'i'.repeat(201)])}`, OPS),
    status: 400,
    path: 'cursor',
  },
  { name: 'cursor in the year 0000', send: () => get(`/v1/orders?cursor=${cursorOf(['0000-01-01T00:00:00.000Z', 'a'])}`, OPS), status: 400, path: 'cursor' },
  { name: 'cursor before 1970', send: () => get(`/v1/orders?cursor=${cursorOf(['1969-12-31T23:59:59.999Z', 'a'])}`, OPS), status: 400, path: 'cursor' },
  {
    name: 'cursor in the year +10000',
    send: () => get(`/v1/orders?cursor=${cursorOf(['+010000-01-01T00:00:00.000Z', 'a'])}`, OPS),
    status: 400,
    path: 'cursor',
  },
  { name: 'cursor of 600 characters', send: () => get(`/v1/orders?cursor=${'A'.repeat(600)}`, OPS), status: 400, path: 'cursor' },
  {
    name: 'cursor with a NUL (partner key)',
    send: () => get(`/v1/orders?cursor=${cursorOf(['2030-01-01T00:00:00.000Z', '\u0000'])}`, ACME),
    status: 400,
    path: 'cursor',
  },
  { name: 'dashboard window=%00', send: () => get('/v1/dashboard?window=%00', OPS), status: 422, path: 'window' },
  { name: 'dashboard window twice', send: () => get('/v1/dashboard?window=24h&window=7d', OPS), status: 422, path: 'window' },

  // --- cancel bodies (the order must stay as it is: checked after the table) ----------------
  {
    name: 'cancel with a text/plain body',
    send: () => call('POST', `/v1/orders/${acmeOrderId}/cancel`, { key: ACME, raw: 'cancel it', type: 'text/plain' }),
    status: 415,
  },
  {
    name: 'cancel with JSON sent as text/plain',
    send: () => call('POST', `/v1/orders/${acmeOrderId}/cancel`, { key: ACME, raw: JSON.stringify({ reason: 'x' }), type: 'text/plain' }),
    status: 415,
  },
  {
    name: 'cancel with a form-encoded body',
    send: () => call('POST', `/v1/orders/${acmeOrderId}/cancel`, { key: ACME, raw: 'reason=x', type: 'application/x-www-form-urlencoded' }),
    status: 415,
  },
  {
    name: 'cancel with a body but no content type',
    send: () => sendBytes(`/v1/orders/${acmeOrderId}/cancel`, Buffer.from('{"reason":"x"}'), { authorization: `Bearer ${ACME}` }),
    status: 415,
  },
  {
    name: 'cancel with an empty text/plain body',
    send: () => call('POST', `/v1/orders/${acmeOrderId}/cancel`, { key: ACME, raw: '', type: 'text/plain' }),
    status: 415,
  },
  { name: 'cancel with a JSON array', send: () => call('POST', `/v1/orders/${acmeOrderId}/cancel`, { key: ACME, body: ['x'] }), status: 422 },

  // --- Idempotency-Key ----------------------------------------------------------------------
  { name: 'Idempotency-Key of 256 characters', send: () => post(hostile(), { headers: { 'idempotency-key': 'k'.repeat(256) } }), status: 400 },
  { name: 'empty Idempotency-Key', send: () => post(hostile(), { headers: { 'idempotency-key': '' } }), status: 400 },
  { name: 'Idempotency-Key with a space', send: () => post(hostile(), { headers: { 'idempotency-key': 'order 1' } }), status: 400 },
  { name: 'Idempotency-Key with a tab', send: () => post(hostile(), { headers: { 'idempotency-key': 'order\t1' } }), status: 400 },
  {
    // fetch refuses to send this; a hand-written request reaches Node's HTTP parser.
    name: 'Idempotency-Key with a control character',
    send: () =>
      rawHttp(
        rawRequest(
          'POST',
          '/v1/orders',
          { Authorization: `Bearer ${SHOP}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'order\u00011' },
          JSON.stringify(hostile()),
        ),
      ),
    status: 400,
  },
  {
    name: 'Idempotency-Key with DEL',
    send: () =>
      rawHttp(
        rawRequest(
          'POST',
          '/v1/orders',
          { Authorization: `Bearer ${SHOP}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'order\u007f1' },
          JSON.stringify(hostile()),
        ),
      ),
    status: 400,
  },
  {
    name: 'Idempotency-Key given twice',
    send: () =>
      rawHttp(
        rawRequest(
          'POST',
          '/v1/orders',
          { Authorization: `Bearer ${SHOP}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'a', 'idempotency-key': 'b' },
          JSON.stringify(hostile()),
        ),
      ),
    status: 400,
  },
  {
    name: 'NUL byte in a header',
    send: () => rawHttp(rawRequest('GET', '/v1/orders', { Authorization: `Bearer ${OPS}\u0000` })),
    status: 400,
  },
  {
    name: 'Idempotency-Key with non-ASCII bytes',
    send: () =>
      rawHttp(
        rawRequest(
          'POST',
          '/v1/orders',
          { Authorization: `Bearer ${SHOP}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'cl\u00e9' },
          JSON.stringify(hostile()),
        ),
      ),
    status: 400,
  },
  {
    name: 'valid Idempotency-Key, invalid body',
    send: () => post(withItem({ quantity: -1 }), { headers: { 'idempotency-key': randomUUID() } }),
    status: 422,
    path: 'items.0.quantity',
  },
];

// ---------------------------------------------------------------------------------------------
// Odd but valid: accepted, and stored exactly as sent.

interface Accepted {
  id: string;
  /** Fields that must come back exactly, from the API and from the projection. */
  expect: { customerName: string; customerEmail: string; externalRef: string; notes?: string; line2?: string; city?: string; quantity?: number };
}
const accepted: Accepted[] = [];

interface ValidBody {
  customer: { name: string; email: string };
  externalRef: string;
  items: { sku: string; quantity: number }[];
  notes?: string;
  shipping: { method: 'courier'; address: { line1: string; line2?: string; postalCode: string; city: string; country: string } };
}

function valid(fields: { name?: string; notes?: string; line2?: string; city?: string; quantity?: number } = {}): ValidBody {
  const n = ++validSeq;
  const base = sampleOrder();
  return {
    customer: { name: fields.name ?? 'Valid Tester', email: `valid.${RUN}.${n}@example.com` },
    externalRef: `valid-${RUN}-${n}`,
    items: [{ sku: 'BC-STD', quantity: fields.quantity ?? 100 }],
    ...(fields.notes !== undefined ? { notes: fields.notes } : {}),
    shipping: {
      method: 'courier',
      address: {
        ...base.shipping.address,
        ...(fields.line2 !== undefined ? { line2: fields.line2 } : {}),
        ...(fields.city !== undefined ? { city: fields.city } : {}),
      },
    },
  };
}

async function expectAccepted(answer: Answer, body: ValidBody, key = SHOP): Promise<string> {
  expect(answer.status, answer.text).toBe(202);
  const id = answer.json.id as string;
  const read = await get(`/v1/orders/${id}`, key);
  expect(read.status).toBe(200);
  expect(read.json.customer).toEqual(body.customer);
  expect(read.json.externalRef).toBe(body.externalRef);
  expect(read.json.notes).toBe(body.notes);
  expect(read.json.shipping).toEqual(body.shipping);
  expect(read.json.items).toEqual(body.items);
  accepted.push({
    id,
    expect: {
      customerName: body.customer.name,
      customerEmail: body.customer.email,
      externalRef: body.externalRef,
      ...(body.notes !== undefined ? { notes: body.notes } : {}),
      ...(body.shipping.address.line2 !== undefined ? { line2: body.shipping.address.line2 } : {}),
      city: body.shipping.address.city,
      quantity: body.items[0]!.quantity,
    },
  });
  return id;
}

const objectPrototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

describe('odd but valid input is accepted and stored exactly', () => {
  it('a plain order (the body every hostile row starts from is valid)', async () => {
    const body = valid();
    await expectAccepted(await post(body), body);
  });

  it('a partner order (read by the other partner and aimed at by the cancel rows in the table below)', async () => {
    // Due in 300 days: at the test time scale its promise stays far off, so the order neither
    // escalates nor breaches while the rows run. Its job waits for a line: the order stays live.
    const body = { ...valid({ name: 'ACME Reseller' }), dueBy: new Date(Date.now() + 300 * 86_400_000).toISOString() };
    const answer = await post(body, { key: ACME });
    if (answer.status === 202) waitingForLine.add(answer.json.id as string);
    acmeOrderId = await expectAccepted(answer, body, ACME);
    await waitForOrder(pipeline.client, acmeOrderId, (s) => s.status === 'awaiting_production');
    acmeOrderBefore = (await get(`/v1/orders/${acmeOrderId}`, ACME)).json;
    expect(NOT_CANCELLABLE).not.toContain(acmeOrderBefore.status);
  });

  const cases: [string, Parameters<typeof valid>[0]][] = [
    ['RTL text (Arabic name, Hebrew city, RLO mark)', { name: 'مطبعة القاهرة \u202Eabc', city: 'תל אביב' }],
    ['combining characters (not normalised)', { name: 'Zoe\u0308 Saldan\u0303a', city: 'Mu\u0308nchen' }],
    ['emoji and ZWJ sequences in notes', { notes: 'Danke 🎉 👩‍👩‍👧‍👦 🇩🇪 ✔︎' }],
    ['SQL injection in name and notes', { name: "Robert'); DROP TABLE orders;--", notes: "'; DELETE FROM api_clients WHERE '1'='1" }],
    ['HTML and script in name and notes', { name: '<script>alert(1)</script>', notes: '<img src=x onerror=alert(1)>&amp;' }],
    ['NoSQL operator text in an address line', { line2: '{"$gt": ""}' }],
    ['control characters other than NUL in notes', { notes: 'line 1\nline 2\ttab\u0007bell\u001f' }],
  ];
  it.each(cases)('%s', async (_name, fields) => {
    const body = valid(fields);
    await expectAccepted(await post(body), body);
  });

  it('a UTF-8 BOM before the JSON is ignored (RFC 8259 §8.1 allows it)', async () => {
    const body = valid({ notes: 'sent with a BOM' });
    await expectAccepted(await postRaw(`\uFEFF${JSON.stringify(body)}`), body);
  });

  it('a well-formed cursor whose id is SQL text is only a position: an ordinary empty page', async () => {
    const cursor = Buffer.from(JSON.stringify(['2000-01-01T00:00:00.000Z', "x' or '1'='1"])).toString('base64url');
    const answer = await get(`/v1/orders?cursor=${cursor}`, OPS);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ data: [], nextCursor: null });
  });

  it('a quantity written with an exponent (1e2) is the number 100', async () => {
    const body = valid();
    const answer = await postRaw(withLiteral({ ...body, items: [{ sku: 'BC-STD', quantity: '@@' }] }, '1e2'));
    await expectAccepted(answer, body);
  });
});

describe('hostile requests: problem+json, never a 5xx, never an order', () => {
  it('has at least 45 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(45);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  it.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const answer = await row.send();
    expect(answer.status, answer.text.slice(0, 500)).toBe(row.status);
    expect(answer.status).toBeLessThan(500);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.json).toMatchObject({ status: row.status, title: expect.any(String), type: expect.stringContaining('/problems/') });
    if (row.path !== undefined) expect(answer.json.errors?.map((e: { path: string }) => e.path)).toContain(row.path);
    if (row.mentions !== undefined) expect(answer.text).toContain(JSON.stringify(row.mentions).slice(1, -1));
  });

  it('left the live partner order the cancel rows aimed at as it was', async () => {
    const answer = await get(`/v1/orders/${acmeOrderId}`, ACME);
    expect(answer.status).toBe(200);
    expect(answer.json.status).toBe('awaiting_production');
    expect(answer.json.priority).toBe(acmeOrderBefore.priority);
    expect(answer.json.promisedBy).toBe(acmeOrderBefore.promisedBy);
    expect(answer.json.timeline.map((t: { stage: string }) => t.stage)).toEqual(acmeOrderBefore.timeline.map((t: { stage: string }) => t.stage));
    expect(answer.json.timeline.some((t: { stage: string }) => t.stage === 'cancel')).toBe(false);
  });

  it('the order the cancel rows aimed at could be cancelled all along: a proper cancel cancels it', async () => {
    const cancelled = await call('POST', `/v1/orders/${acmeOrderId}/cancel`, { key: ACME, body: { reason: 'no longer needed' } });
    expect(cancelled.status, cancelled.text.slice(0, 500)).toBe(202);
    expect(cancelled.json.status).toBe('cancelled');
    expect((await get(`/v1/orders/${acmeOrderId}`, ACME)).json.status).toBe('cancelled');
  });

  it('left Object.prototype untouched', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(objectPrototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).paper).toBeUndefined();
  });

  it('started no order: nothing in Temporal or the projection carries a hostile marker', async () => {
    expect(accepted.length).toBeGreaterThan(0);
    // The valid orders reach the projection: by then an order started by a hostile row
    // before them would have been projected too.
    const ids = accepted.map((a) => a.id);
    const deadline = Date.now() + 30_000;
    let projected: (typeof orders.$inferSelect)[] = [];
    while (Date.now() < deadline) {
      projected = await pipeline.dbs.shop.db.select().from(orders).where(inArray(orders.id, ids));
      if (projected.length === ids.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(projected.map((r) => r.id).sort()).toEqual([...ids].sort());
    await new Promise((r) => setTimeout(r, 1_000));

    const marked = await pipeline.dbs.shop.db
      .select({ id: orders.id, email: orders.customerEmail, ref: orders.externalRef })
      .from(orders)
      .where(or(like(orders.customerEmail, `${HOSTILE_EMAIL}%`), like(orders.externalRef, `${HOSTILE_REF}%`)));
    expect(marked).toEqual([]);
    expect(await countWorkflows(`${ORDER_WORKFLOWS} AND ExternalRef STARTS_WITH '${HOSTILE_REF}'`)).toBe(0);
    // Also bodies without a readable marker (arrays, NUL bytes…): exactly the valid orders are new.
    expect(await countWorkflows(ORDER_WORKFLOWS)).toBe(orderWorkflowsBefore + accepted.length);
    // The markers were really used (the checks above are not vacuous).
    expect(hostileSeq).toBeGreaterThan(60);
  });

  it('stored the odd-but-valid orders exactly as sent (projection in PostgreSQL)', async () => {
    const projected = await pipeline.dbs.shop.db
      .select()
      .from(orders)
      .where(
        inArray(
          orders.id,
          accepted.map((a) => a.id),
        ),
      );
    expect(projected).toHaveLength(accepted.length);
    for (const a of accepted) {
      const row = projected.find((r) => r.id === a.id)!;
      expect(row.customerName).toBe(a.expect.customerName);
      expect(row.customerEmail).toBe(a.expect.customerEmail);
      expect(row.externalRef).toBe(a.expect.externalRef);
      expect(row.notes ?? undefined).toBe(a.expect.notes);
      expect(row.shipping.address?.line2).toBe(a.expect.line2);
      expect(row.shipping.address?.city).toBe(a.expect.city);
      expect(row.items[0]?.quantity).toBe(a.expect.quantity);
    }
  });
});
