/**
 * The OpenAPI document (`GET /openapi.json`) and the docs page (`GET /docs`), over real HTTP:
 * - complete: every route of the express app is documented with the same method and path,
 *   every documented operation is answered by a route of the app, and anything else is the 404 problem;
 * - consistent: OpenAPI 3.1, every $ref resolves, every example validates against its schema;
 * - true: real answers of the API validate against the documented response schemas and headers;
 * - offline: the docs page loads only assets this server serves;
 * - clean: Spectral (OpenAPI and OWASP rules, .spectral.yaml) and Redocly (recommended,
 *   redocly.yaml) find no error in the document as served.
 * Only Temporal and the databases are needed (no workers): orders started here are terminated.
 */
import { createHash, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import ajv2020Module from 'ajv/dist/2020.js';
import ajvFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders } from '../src/order/schema.js';
import { signWebhook } from '../src/platform/webhook-signature.js';
import { priceOrder } from '../src/domain/pricing/index.js';
import { startApi, type RunningApi } from '../src/api/server.js';
import { createLogger } from '../src/platform/logger.js';
import { orderWorkflowId } from '../src/order/contract.js';
import { httpClient, type Answer } from './support/http.js';
import { formatFindings, lintOpenApi, summarize } from '../scripts/openapi-linters.js';
import { sampleOrder, startPipeline, type TestPipeline } from './support/pipeline.js';

// ajv and ajv-formats are CommonJS modules that also export themselves as `default`.
const Ajv2020 = ajv2020Module.default;
const addFormats = ajvFormatsModule.default;

const SHOP = 'shop-dev-key';
const OPS = 'ops-dev-key';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
/** Routes outside /v1 that need no key. */
const PUBLIC_PATHS = ['/healthz', '/readyz', '/openapi.json', '/docs', '/dashboard'];
const DOC_ID = 'https://order-pipeline.test/openapi.json';

let pipeline: TestPipeline;
let api: RunningApi;
let doc: any;
let ajv: InstanceType<typeof Ajv2020>;
const call = httpClient(() => api.url);
const log = createLogger('silent');

/** A projection row only this run lists (its partner id is unique). */
const PARTNER = `oas-test-${randomUUID().slice(0, 8)}`;
const seededOrderId = randomUUID();
const startedOrderIds: string[] = [];

beforeAll(async () => {
  pipeline = await startPipeline({ queues: [] });
  api = await startApi({ config: pipeline.config, log, shop: pipeline.dbs.shop });
  const res = await call('GET', '/openapi.json');
  expect(res.status).toBe(200);
  doc = res.json;
  ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  // The whole document is added, so that schemas are addressed by their JSON pointer in it and
  // their `#/components/…` refs resolve; its top-level fields and OpenAPI's `example` are annotations.
  ajv.addVocabulary(['example', ...Object.keys(doc)]);
  ajv.addSchema(doc, DOC_ID);

  const items = [{ sku: 'BC-STD', quantity: 250 }];
  const price = priceOrder(items);
  const now = new Date();
  await pipeline.dbs.shop.db.insert(orders).values({
    id: seededOrderId,
    channel: 'b2b',
    partnerId: PARTNER,
    clientId: `partner-${PARTNER}`,
    status: 'priced',
    priority: 'normal',
    customerName: 'Jonas Weber',
    customerEmail: 'jonas.weber@acme.example',
    items,
    shipping: { method: 'pickup' },
    price,
    totalMinor: price.totalMinor,
    promisedBy: new Date(now.getTime() + 3 * 86_400_000),
    createdAt: now,
    updatedAt: now,
  });
});

afterAll(async () => {
  for (const id of startedOrderIds) {
    await pipeline.client.workflow
      .getHandle(orderWorkflowId(id))
      .terminate('openapi test: no workers run here')
      .catch(() => undefined);
  }
  await pipeline?.dbs.shop.db.delete(orders).where(eq(orders.id, seededOrderId));
  await api?.close();
  await pipeline?.stop();
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** JSON pointer of a path of keys. */
const pointer = (...keys: (string | number)[]) => keys.map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** The value at a local `#/…` reference of the document, or undefined. */
function resolve(ref: string): any {
  if (!ref.startsWith('#/')) return undefined;
  let node: any = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}
const deref = (node: any) => (node && typeof node.$ref === 'string' ? resolve(node.$ref) : node);

/** Validates `value` against the schema at `schemaPointer` of the document; the errors, or null. */
function schemaErrors(schemaPointer: string, value: unknown): string | null {
  const validate = ajv.compile({ $ref: `${DOC_ID}#${schemaPointer}` });
  return validate(value) ? null : ajv.errorsText(validate.errors, { separator: '\n' });
}

/** Every operation of the document: `METHOD /path`, with its object and pointer. */
function documentedOperations(section: 'paths' | 'webhooks' = 'paths') {
  const ops: { key: string; path: string; method: string; op: any; at: string }[] = [];
  for (const [path, item] of Object.entries<any>(doc[section] ?? {})) {
    for (const method of METHODS) {
      if (item[method]) ops.push({ key: `${method.toUpperCase()} ${path}`, path, method, op: item[method], at: pointer(section, path, method) });
    }
  }
  return ops;
}

/** Routes of an express app: `METHOD /path` with OpenAPI-style `{param}`s. */
function expressRoutes(app: any): string[] {
  const out: string[] = [];
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        expect(typeof layer.route.path, `route path of ${prefix}`).toBe('string');
        const path = `${prefix}${layer.route.path}`.replace(/:(\w+)/g, '{$1}');
        for (const [method, on] of Object.entries(layer.route.methods)) if (on) out.push(`${method === '_all' ? 'ALL' : method.toUpperCase()} ${path}`);
      } else if (Array.isArray(layer.handle?.stack)) {
        // A mounted router: its mount path must be a plain string to be compared.
        expect(typeof layer.rawPath, `mount path under ${prefix || '/'}`).toBe('string');
        walk(layer.handle.stack, layer.slash || layer.rawPath === '/' ? prefix : `${prefix}${layer.rawPath}`);
      }
    }
  };
  walk(app.router.stack, '');
  return out;
}

/**
 * The documented answer of an operation for a status (exact code, then `4XX`, then `default`),
 * with the JSON pointer of the response object (in the operation, or the component it references).
 */
function documentedResponse(op: any, opAt: string, status: number): { response: any; at: string } | undefined {
  const responses = op.responses ?? {};
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => Object.hasOwn(responses, k));
  if (key === undefined) return undefined;
  const raw = responses[key];
  return { response: deref(raw), at: raw.$ref ? raw.$ref.slice(1) : `${opAt}${pointer('responses', key)}` };
}

/** Asserts that a real answer is documented for `METHOD path` and fits its schema and headers. */
function expectDocumented(method: string, path: string, res: Answer) {
  const op = doc.paths[path]?.[method.toLowerCase()];
  expect(op, `${method} ${path} is documented`).toBeDefined();
  const what = `${method} ${path} ${res.status}`;
  const documented = documentedResponse(op, pointer('paths', path, method.toLowerCase()), res.status);
  expect(documented, `${what} is a documented status (body ${res.text.slice(0, 300)})`).toBeDefined();
  const { response, at } = documented!;

  const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  expect(Object.keys(response.content ?? {}), `${what}: content types`).toContain(contentType);
  if (contentType.endsWith('json')) {
    expect(schemaErrors(`${at}${pointer('content', contentType, 'schema')}`, res.json), `${what}: body`).toBeNull();
  }
  for (const [name, h] of Object.entries<any>(response.headers ?? {})) {
    const value = res.headers.get(name);
    if (deref(h).required) expect(value, `${what}: header ${name}`).not.toBeNull();
    const schemaAt = `${h.$ref ? h.$ref.slice(1) : `${at}${pointer('headers', name)}`}/schema`;
    if (value !== null) expect(schemaErrors(schemaAt, value), `${what}: header ${name}: ${value}`).toBeNull();
  }
}

// ---------------------------------------------------------------------------------------------

describe('every route is documented, every documented route exists', () => {
  it('the express app and the document list the same operations', () => {
    // The app as the server runs it (express apps are the server's request listener).
    const app = api.server.listeners('request')[0] as any;
    expect(app?.router?.stack, 'an express app').toBeDefined();
    const routes = expressRoutes(app).sort();
    const documented = documentedOperations()
      .map((o) => o.key)
      .sort();
    expect(routes).toContain('POST /v1/orders');
    expect(routes).toEqual(documented);
  });

  it('everything but the public probes and docs is under /v1 and needs an API key', () => {
    const schemes = Object.keys(doc.components?.securitySchemes ?? {});
    expect(schemes.length).toBeGreaterThan(0);
    expect(doc.components.securitySchemes[schemes[0]!]).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { key, path, op } of documentedOperations()) {
      if (PUBLIC_PATHS.includes(path)) {
        expect(op.security, `${key} needs no key`).toEqual([]);
      } else {
        expect(path, key).toMatch(/^\/v1\//);
        const security = op.security ?? doc.security;
        expect(security, `${key} security`).toEqual([{ [schemes[0]!]: [] }]);
        for (const status of ['401', '429']) expect(op.responses[status], `${key} documents ${status}`).toBeDefined();
      }
    }
  });

  it('each documented operation is answered by its route, with a documented answer', async () => {
    for (const { key, path, method } of documentedOperations()) {
      const url = path.replace(/\{[^}]+\}/g, randomUUID());
      const body = method === 'post' ? {} : undefined;
      const res = await call(method.toUpperCase(), url, { key: PUBLIC_PATHS.includes(path) ? undefined : OPS, body });
      // The catch-all 404 says "No route …": a documented path must never get it.
      expect(`${res.status} ${res.json?.detail ?? ''}`, key).not.toMatch(/^404 No route/);
      expectDocumented(method, path, res);
    }
  });

  it('a path or method no route declares gets the 404 problem', async () => {
    const undeclared: [string, string][] = [
      ['GET', '/v1/order'],
      ['DELETE', '/v1/orders'],
      ['GET', `/v1/orders/${randomUUID()}/cancel`],
      ['GET', '/v2/orders'],
      ['PUT', '/healthz'],
      ['GET', '/metrics/'],
      ['GET', '/METRICS'],
    ];
    const documented = new Set(documentedOperations().map((o) => o.key));
    for (const [method, url] of undeclared) {
      expect(documented.has(`${method} ${url}`), `${method} ${url} is not documented`).toBe(false);
      const res = await call(method, url, { key: url.startsWith('/v1/') ? OPS : undefined });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.headers.get('content-type'), `${method} ${url}`).toContain('application/problem+json');
      expect(res.json, `${method} ${url}`).toEqual({
        type: 'https://docs.order-pipeline.example/problems/not-found',
        title: 'Not found',
        status: 404,
        detail: `No route ${method} ${url}.`,
        instance: url,
      });
    }
  });

  it('each /v1 operation documents how it refuses no key, and bad bodies where it takes one', async () => {
    const hostile = [
      { raw: '{"reason":' }, // malformed JSON
      { raw: JSON.stringify({ notes: 'x'.repeat(100_000) }) }, // over the body limit
      { raw: 'hello', type: 'text/plain' }, // not JSON
    ];
    let probed = 0;
    for (const { key, path, method, op } of documentedOperations()) {
      if (!path.startsWith('/v1/')) continue;
      const url = path.replace(/\{[^}]+\}/g, randomUUID());
      const anonymous = await call(method.toUpperCase(), url);
      expect(anonymous.status, key).toBe(401);
      expectDocumented(method, path, anonymous);
      if (!op.requestBody) continue;
      for (const apiKey of [SHOP, OPS]) {
        for (const body of hostile) {
          const res = await call(method.toUpperCase(), url, { key: apiKey, ...body });
          expect(res.status, `${key} ${body.raw.slice(0, 12)}`).toBeGreaterThanOrEqual(400);
          expectDocumented(method, path, res);
          probed += 1;
        }
      }
    }
    expect(probed).toBeGreaterThanOrEqual(4 * 2 * hostile.length);
  });

  it('documents the idempotency headers and the partner webhook', () => {
    const create = doc.paths['/v1/orders'].post;
    expect(create.parameters.map(deref)).toContainEqual(expect.objectContaining({ in: 'header', name: 'Idempotency-Key' }));
    expect(Object.keys(create.responses['202'].headers)).toEqual(expect.arrayContaining(['Location', 'Idempotent-Replayed']));
    const tooMany = deref(create.responses['429']);
    expect(Object.keys(tooMany.headers)).toEqual(expect.arrayContaining(['Retry-After', 'RateLimit', 'RateLimit-Policy']));
    expect(Object.keys(deref(create.responses['503']).headers)).toContain('Retry-After');
    for (const status of ['202', '400', '401', '403', '409', '413', '415', '422', '429', '503']) expect(create.responses[status], status).toBeDefined();

    const hook = doc.webhooks?.orderStatusChanged?.post;
    expect(hook).toBeDefined();
    expect(hook.parameters.map((p: any) => deref(p).name)).toEqual(expect.arrayContaining(['Webhook-Id', 'Webhook-Signature']));
    expect(hook.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/WebhookEvent' });
  });
});

describe('the document is well-formed OpenAPI 3.1', () => {
  it('declares 3.1 and an info block', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
  });

  it('every $ref resolves inside the document', () => {
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    const broken = refs.filter((r) => resolve(r) === undefined);
    expect(broken).toEqual([]);
  });

  it('operations are complete: unique ids, path parameters declared, described answers', () => {
    const ids = new Set<string>();
    for (const { key, path, op } of [...documentedOperations(), ...documentedOperations('webhooks')]) {
      expect(op.operationId, key).toEqual(expect.any(String));
      expect(ids.has(op.operationId), `duplicate operationId ${op.operationId}`).toBe(false);
      ids.add(op.operationId);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? []).map(deref).filter((p: any) => p.in === 'path');
      expect(declared.map((p: any) => p.name).sort(), `${key} path parameters`).toEqual(templated);
      for (const p of declared) expect(p.required, `${key} ${p.name} is required`).toBe(true);
      const responses = Object.entries<any>(op.responses ?? {});
      expect(responses.length, `${key} has answers`).toBeGreaterThan(0);
      for (const [status, r] of responses) expect(deref(r)?.description, `${key} ${status} description`).toEqual(expect.any(String));
    }
  });
});

describe('the outside linters find no error in the document as served', () => {
  // Both CLIs run on the document of GET /openapi.json, in parallel with a copy of it that has one
  // defect per linter, which shows that they really lint it (and that their errors are read).
  it('Spectral (.spectral.yaml) and Redocly (redocly.yaml): zero errors', { timeout: 120_000 }, async () => {
    const broken = structuredClone(doc);
    const cursor = broken.paths['/v1/orders'].get.parameters.find((p: any) => p.name === 'cursor');
    expect(cursor?.schema?.maxLength, 'the cursor parameter, inline, with a maxLength').toBeDefined();
    delete cursor.schema.maxLength; // an unbounded query string (Spectral: request-string-limit)
    broken.paths['/v1/orders'].get.responses['200'].description = 42; // not a string (Redocly: struct)
    const [report, control] = await Promise.all([lintOpenApi(doc), lintOpenApi(broken)]);

    const errors = report.findings.filter((f) => f.severity === 'error');
    // On failure the message names every error with its rule and place, and the counts per rule.
    expect(formatFindings(errors), summarize(report)).toBe('');

    const caught = control.findings.filter((f) => f.severity === 'error').map((f) => `${f.linter} ${f.rule} ${f.at}`);
    expect(caught, summarize(control)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^spectral request-string-limit \/paths\/~1v1~1orders\/get\/parameters\/\d+\/schema$/),
        'redocly struct /paths/~1v1~1orders/get/responses/200/description',
      ]),
    );
  });
});

describe('every documented example validates against its schema', () => {
  interface Example {
    at: string;
    schemaAt: string;
    value: unknown;
  }

  /** Schema keywords whose values are subschemas (objects of them, arrays of them, or one). */
  const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
  const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
  const SUBSCHEMAS = ['items', 'additionalProperties', 'propertyNames', 'not', 'if', 'then', 'else', 'contains', 'unevaluatedProperties', 'unevaluatedItems'];

  function schemaExamples(schema: any, at: string, out: Example[]) {
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return;
    if ('example' in schema) out.push({ at: `${at}/example`, schemaAt: at, value: schema.example });
    if (Array.isArray(schema.examples)) schema.examples.forEach((v: unknown, i: number) => out.push({ at: `${at}/examples/${i}`, schemaAt: at, value: v }));
    for (const k of SUBSCHEMA_MAPS) for (const [name, s] of Object.entries(schema[k] ?? {})) schemaExamples(s, `${at}${pointer(k, name)}`, out);
    for (const k of SUBSCHEMA_LISTS) (schema[k] ?? []).forEach((s: unknown, i: number) => schemaExamples(s, `${at}${pointer(k, i)}`, out));
    for (const k of SUBSCHEMAS) schemaExamples(schema[k], `${at}${pointer(k)}`, out);
  }

  /** Examples of a media type, parameter or header object (and of its schema). */
  function objectExamples(node: any, at: string, out: Example[]) {
    if (!node || node.$ref || !node.schema) return;
    const schemaAt = `${at}/schema`;
    if ('example' in node) out.push({ at: `${at}/example`, schemaAt, value: node.example });
    for (const [name, ex] of Object.entries<any>(node.examples ?? {})) {
      const example = deref(ex);
      if (example && 'value' in example) out.push({ at: `${at}${pointer('examples', name)}`, schemaAt, value: example.value });
    }
    if (!node.schema.$ref) schemaExamples(node.schema, schemaAt, out);
  }

  function contentExamples(content: any, at: string, out: Example[]) {
    for (const [type, media] of Object.entries<any>(content ?? {})) objectExamples(media, `${at}${pointer('content', type)}`, out);
  }

  function responseExamples(response: any, at: string, out: Example[]) {
    if (!response || response.$ref) return;
    contentExamples(response.content, at, out);
    for (const [name, h] of Object.entries<any>(response.headers ?? {})) objectExamples(h, `${at}${pointer('headers', name)}`, out);
  }

  function allExamples(): Example[] {
    const out: Example[] = [];
    for (const section of ['paths', 'webhooks'] as const) {
      for (const { op, at } of documentedOperations(section)) {
        (op.parameters ?? []).forEach((p: any, i: number) => objectExamples(p, `${at}/parameters/${i}`, out));
        if (op.requestBody && !op.requestBody.$ref) contentExamples(op.requestBody.content, `${at}/requestBody`, out);
        for (const [status, r] of Object.entries<any>(op.responses ?? {})) responseExamples(r, `${at}${pointer('responses', status)}`, out);
      }
    }
    const c = doc.components ?? {};
    for (const [name, s] of Object.entries(c.schemas ?? {})) schemaExamples(s, pointer('components', 'schemas', name), out);
    for (const [name, p] of Object.entries(c.parameters ?? {})) objectExamples(p, pointer('components', 'parameters', name), out);
    for (const [name, h] of Object.entries(c.headers ?? {})) objectExamples(h, pointer('components', 'headers', name), out);
    for (const [name, r] of Object.entries(c.responses ?? {})) responseExamples(r, pointer('components', 'responses', name), out);
    for (const [name, b] of Object.entries<any>(c.requestBodies ?? {})) contentExamples(b.content, pointer('components', 'requestBodies', name), out);
    return out;
  }

  it('all of them, wherever they are', () => {
    const examples = allExamples();
    const at = examples.map((e) => e.at);
    // The key ones are there (and were found by the walk above)
    expect(at).toEqual(
      expect.arrayContaining([
        '/paths/~1v1~1orders/post/requestBody/content/application~1json/examples/shop',
        '/paths/~1v1~1orders/post/requestBody/content/application~1json/examples/partner',
        '/paths/~1v1~1orders/post/responses/202/content/application~1json/examples/shop',
        '/paths/~1v1~1orders~1{id}/get/responses/200/content/application~1json/examples/delivered',
        '/paths/~1v1~1orders/get/responses/200/content/application~1json/example',
        '/paths/~1v1~1catalog/get/responses/200/content/application~1json/example',
        '/webhooks/orderStatusChanged/post/requestBody/content/application~1json/example',
        '/components/responses/TooManyRequests/content/application~1problem+json/example',
      ]),
    );
    expect(examples.length).toBeGreaterThan(30);
    const failures = examples.map((e) => ({ at: e.at, errors: schemaErrors(e.schemaAt, e.value) })).filter((f) => f.errors !== null);
    expect(failures).toEqual([]);
  });

  it('every JSON request body and every 2xx JSON answer of /v1 has an example', () => {
    for (const { key, path, op, at } of documentedOperations()) {
      const media: [string, any][] = [];
      if (op.requestBody) media.push([`${key} request`, op.requestBody.content?.['application/json']]);
      if (path.startsWith('/v1/')) {
        for (const [status, r] of Object.entries<any>(op.responses))
          if (status.startsWith('2')) media.push([`${key} ${status}`, deref(r).content?.['application/json']]);
      }
      for (const [what, m] of media) {
        expect(m, `${what} (${at})`).toBeDefined();
        expect('example' in m || Object.keys(m.examples ?? {}).length > 0, `${what} has an example`).toBe(true);
      }
    }
  });

  it('the validator does reject what breaks a schema', () => {
    const request = pointer('paths', '/v1/orders', 'post', 'requestBody', 'content', 'application/json', 'schema');
    const good = doc.paths['/v1/orders'].post.requestBody.content['application/json'].examples.shop.value;
    expect(schemaErrors(request, good)).toBeNull();
    expect(schemaErrors(request, { ...good, items: [{ sku: 'BC-STD', quantity: -5 }] })).toMatch(/quantity/);
    expect(schemaErrors(request, { ...good, coupon: 'FREE' })).toMatch(/additional/);
    const order = pointer('components', 'schemas', 'OrderResource');
    const delivered = doc.paths['/v1/orders/{id}'].get.responses['200'].content['application/json'].examples.delivered.value;
    expect(schemaErrors(order, delivered)).toBeNull();
    expect(schemaErrors(order, { ...delivered, status: 'lost' })).toMatch(/status/);
    expect(schemaErrors(order, { ...delivered, createdAt: 'yesterday' })).toMatch(/date-time/);
    expect(schemaErrors(pointer('components', 'schemas', 'Problem'), { type: 'x', title: 'Conflict', status: 'produced' })).not.toBeNull();
  });

  it('the webhook example is signed as the signature header says', () => {
    const hook = doc.webhooks.orderStatusChanged.post;
    const event = hook.requestBody.content['application/json'].example;
    const signature = hook.parameters.map(deref).find((p: any) => p.name === 'Webhook-Signature');
    const example: string = signature.example ?? signature.schema.example;
    const t = Number(/^t=(\d+),/.exec(example)?.[1]);
    expect(example).toBe(signWebhook('whsec_example_secret', t, JSON.stringify(event)));
    const id = hook.parameters.map(deref).find((p: any) => p.name === 'Webhook-Id');
    expect(id.example ?? id.schema.example).toBe(event.id);
  });
});

describe('real answers fit the documented schemas', () => {
  it('GET /v1/catalog: 200 and 401', async () => {
    const catalog = await call('GET', '/v1/catalog', { key: SHOP });
    expect(catalog.status).toBe(200);
    expect(catalog.json.products.map((p: any) => p.sku)).toContain('BC-STD');
    expectDocumented('GET', '/v1/catalog', catalog);
    const anonymous = await call('GET', '/v1/catalog');
    expect(anonymous.status).toBe(401);
    expectDocumented('GET', '/v1/catalog', anonymous);
  });

  it('POST /v1/orders: 422 for a bad body, and the errors of the intake', async () => {
    const bad = await call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ items: [{ sku: 'BC-STD', quantity: -5 }] }) });
    expect(bad.status).toBe(422);
    expect(bad.json.errors.map((e: any) => e.path)).toContain('items.0.quantity');
    expectDocumented('POST', '/v1/orders', bad);
    const answers = await Promise.all([
      call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ items: [{ sku: 'NOPE-1', quantity: 5 }] }) }),
      call('POST', '/v1/orders', { key: SHOP, raw: '{"customer":' }),
      call('POST', '/v1/orders', { key: SHOP, raw: 'hello', type: 'text/plain' }),
      call('POST', '/v1/orders', { key: SHOP, body: sampleOrder({ notes: 'x'.repeat(100_000) }) }),
      call('POST', '/v1/orders', { key: OPS, body: sampleOrder() }),
      call('POST', '/v1/orders', { key: SHOP, body: sampleOrder(), headers: { 'Idempotency-Key': 'bad key' } }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([422, 400, 415, 413, 403, 400]);
    for (const a of answers) expectDocumented('POST', '/v1/orders', a);
  });

  it('POST /v1/orders: 202 with Location and Idempotent-Replayed, the same order on a repeat', async () => {
    const key = randomUUID();
    const body = sampleOrder();
    const created = await call('POST', '/v1/orders', { key: SHOP, body, headers: { 'Idempotency-Key': key } });
    expect(created.status, created.text).toBe(202);
    startedOrderIds.push(created.json.id);
    expect(created.headers.get('idempotent-replayed')).toBe('false');
    expectDocumented('POST', '/v1/orders', created);
    const repeat = await call('POST', '/v1/orders', { key: SHOP, body, headers: { 'Idempotency-Key': key } });
    expect(repeat.status).toBe(202);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(repeat.json.id).toBe(created.json.id);
    expectDocumented('POST', '/v1/orders', repeat);
  });

  it('GET /v1/orders: a page with an order in it, and its errors', async () => {
    const page = await call('GET', `/v1/orders?partnerId=${PARTNER}`, { key: OPS });
    expect(page.status).toBe(200);
    expect(page.json.data.map((o: any) => o.id)).toEqual([seededOrderId]);
    expect(page.json.data[0].price.totalMinor).toBeGreaterThan(0);
    expectDocumented('GET', '/v1/orders', page);
    const errors = await Promise.all([
      call('GET', '/v1/orders?limit=500', { key: OPS }),
      call('GET', '/v1/orders?cursor=!!', { key: OPS }),
      call('GET', `/v1/orders?partnerId=${PARTNER}`, { key: SHOP }),
    ]);
    expect(errors.map((e) => e.status)).toEqual([422, 400, 422]);
    for (const e of errors) expectDocumented('GET', '/v1/orders', e);
  });

  it('GET /v1/orders/{id}: 404 for an order the key cannot see', async () => {
    const res = await call('GET', `/v1/orders/${randomUUID()}`, { key: SHOP });
    expect(res.status).toBe(404);
    expectDocumented('GET', '/v1/orders/{id}', res);
  });

  it('health and readiness', async () => {
    expectDocumented('GET', '/healthz', await call('GET', '/healthz'));
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expectDocumented('GET', '/readyz', ready);
  });
});

describe('GET /docs', () => {
  it('is HTML that loads only assets of this server, which serves them', async () => {
    const page = await call('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const refs = [...page.text.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]!);
    const scripts = [...page.text.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]!);
    const styles = [...page.text.matchAll(/<link\b[^>]*\brel\s*=\s*["']stylesheet["'][^>]*>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    expect(styles.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref, 'a local asset').toMatch(/^\/(?!\/)/);
    expect(page.text).not.toMatch(/https?:\/\//i);

    for (const ref of refs) {
      const asset = await fetch(`${api.url}${ref}`);
      expect(asset.status, ref).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(0);
    }
    const bundle = await fetch(`${api.url}${scripts[0]}`);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect(await bundle.text()).toContain('SwaggerUIBundle');
  });

  it('points the UI at /openapi.json, never at an online validator, and its CSP allows exactly its inline script', async () => {
    const page = await call('GET', '/docs');
    const inline = [...page.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(inline).toHaveLength(1);
    expect(inline[0]).toContain("url: '/openapi.json'");
    expect(inline[0]).toContain('validatorUrl: null');
    const csp = page.headers.get('content-security-policy') ?? '';
    const scriptSrc = /script-src ([^;]+)/.exec(csp)?.[1] ?? '';
    expect(scriptSrc).toContain(`'sha256-${createHash('sha256').update(inline[0]!).digest('base64')}'`);
    expect(csp).not.toMatch(/https?:/);
  });

  it("serves only Swagger UI's files the page needs (not its petstore initializer)", async () => {
    expect((await fetch(`${api.url}/docs/assets/swagger-initializer.js`)).status).toBe(404);
    expect((await fetch(`${api.url}/docs/assets/index.html`)).status).toBe(404);
  });
});
