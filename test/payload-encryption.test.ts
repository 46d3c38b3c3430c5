/**
 * Payload encryption end to end: an order runs through the real pipeline on a Temporal dev
 * server of its own that keeps its SQLite database in a file; the file's bytes hold no customer
 * e-mail or address, while the API still reads the order. The Temporal CLI shows the decrypted
 * history through the API's codec endpoint (and only through it), and the endpoint refuses
 * callers without an operator key and bodies that are not the codec protocol's.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ENCRYPTED_ENCODING } from '../src/platform/temporal/codec.js';
import { startDevServer, type DevServer } from '../src/platform/temporal/dev-server.js';
import { orderWorkflowId } from '../src/order/contract.js';
import { TEST_DATA_DIR } from './support/constants.js';
import { sampleOrder, startPipelineWithApi, waitForOrder, type TestPipelineWithApi } from './support/pipeline.js';

const run = promisify(execFile);
const SHOP = 'shop-dev-key';
const OPS = 'ops-dev-key';
const PORT = Number(process.env.TEST_TEMPORAL_PORT ?? 7299) + 1;
const dbFile = path.resolve(TEST_DATA_DIR, 'encryption', 'temporal.db');

let server: DevServer;
let stack: TestPipelineWithApi;
const order = sampleOrder({ customer: { name: 'Erika Mustermann', email: `erika.${Date.now().toString(36)}@example.org` } });
const street = `Geheimweg ${Date.now() % 1000} b`;
order.shipping.address.line1 = street;
let orderId: string;

beforeAll(async () => {
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });
  server = await startDevServer({
    cliPath: inject('temporalCliPath'),
    port: PORT,
    headless: true,
    dbFile,
    logFile: path.join(TEST_DATA_DIR, 'encryption', 'temporal.log'),
  });
  stack = await startPipelineWithApi({ env: { TEMPORAL_ADDRESS: server.address } });
  const placed = await stack.call('POST', '/v1/orders', { key: SHOP, body: order });
  expect(placed.status, placed.text).toBe(202);
  orderId = placed.json.id;
  await waitForOrder(stack.pipeline.client, orderId, (s) => s.status === 'delivered', 60_000);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await server?.stop();
});

describe('the Temporal database', () => {
  it('holds no customer e-mail or address, while the order is delivered and readable through the API', async () => {
    const got = await stack.call('GET', `/v1/orders/${orderId}`, { key: SHOP });
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id: orderId, status: 'delivered', customer: { email: order.customer.email } });

    const files = [dbFile, `${dbFile}-wal`].filter((f) => existsSync(f));
    const bytes = Buffer.concat(files.map((f) => readFileSync(f))).toString('latin1');
    // Not vacuous: the order's workflow and its encrypted payloads are in these bytes.
    expect(bytes).toContain(orderWorkflowId(orderId));
    expect(bytes).toContain(ENCRYPTED_ENCODING);
    for (const secret of [order.customer.email, street, order.customer.name]) expect(bytes, secret).not.toContain(secret);
  });
});

describe('temporal workflow show', () => {
  const show = (...extra: string[]) =>
    run(
      inject('temporalCliPath'),
      ['workflow', 'show', '--address', server.address, '--namespace', 'default', '--workflow-id', orderWorkflowId(orderId), '--output', 'json', ...extra],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );

  /** What the payloads of the printed history say: JSON output keeps every payload's bytes base64. */
  const payloadText = (json: string) =>
    [...json.matchAll(/"data":\s*"([A-Za-z0-9+/=]*)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8')).join('\n');
  const encryptedEncoding = Buffer.from(ENCRYPTED_ENCODING).toString('base64');

  it('prints the decrypted history through the codec endpoint with an operator key, and only ciphertext without it', async () => {
    const decoded = await show('--codec-endpoint', `${stack.api.url}/v1/codec`, '--codec-auth', `Bearer ${OPS}`);
    expect(decoded.stdout).not.toContain(encryptedEncoding);
    expect(payloadText(decoded.stdout)).toContain(order.customer.email);
    expect(payloadText(decoded.stdout)).toContain(street);
    const raw = await show();
    expect(raw.stdout).toContain(orderWorkflowId(orderId));
    expect(raw.stdout).toContain(encryptedEncoding);
    for (const text of [raw.stdout, payloadText(raw.stdout)]) {
      expect(text).not.toContain(order.customer.email);
      expect(text).not.toContain(street);
    }
  });
});

describe('the codec endpoint', () => {
  const plain = defaultPayloadConverter.toPayload({ email: 'max@example.com' });
  const asJson = (p: typeof plain) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });

  it('encrypts and decrypts in the codec server protocol', async () => {
    const encoded = await stack.call('POST', '/v1/codec/encode', { key: OPS, body: { payloads: [asJson(plain)] } });
    expect(encoded.status, encoded.text).toBe(200);
    const [payload] = encoded.json.payloads;
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(payload.data, 'base64').toString('latin1')).not.toContain('max@example.com');
    const decoded = await stack.call('POST', '/v1/codec/decode', {
      key: OPS,
      body: { payloads: [payload, asJson(plain)] },
      headers: { 'x-namespace': 'default' },
    });
    expect(decoded.status, decoded.text).toBe(200);
    expect(decoded.json.payloads).toEqual([asJson(plain), asJson(plain)]);
  });

  it("answers 401 without a key or with an unknown one, 403 to a key that is not an operator's", async () => {
    const body = { payloads: [asJson(plain)] };
    for (const key of [undefined, 'no-such-key']) {
      const res = await stack.call('POST', '/v1/codec/decode', { ...(key ? { key } : {}), body });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.text).not.toContain('max@example.com');
    }
    const shop = await stack.call('POST', '/v1/codec/decode', { key: SHOP, body });
    expect(shop.status).toBe(403);
    expect(shop.headers.get('content-type')).toContain('application/problem+json');
  });

  it("answers 400 to a body that is not JSON or is encrypted with an unknown key, and 422 to one not in the protocol's shape", async () => {
    const bad = [
      await stack.call('POST', '/v1/codec/decode', { key: OPS, raw: '{"payloads": [' }),
      await stack.call('POST', '/v1/codec/decode', {
        key: OPS,
        body: {
          payloads: [
            {
              metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING).toString('base64'), 'encryption-key-id': Buffer.from('k-retired').toString('base64') },
              data: Buffer.alloc(40).toString('base64'),
            },
          ],
        },
      }),
    ];
    const misshapen = [
      await stack.call('POST', '/v1/codec/decode', { key: OPS, body: { payload: [] } }),
      await stack.call('POST', '/v1/codec/decode', { key: OPS, body: { payloads: [{ metadata: { encoding: 'not base64!' }, data: '' }] } }),
    ];
    for (const [res, status] of [...bad.map((r) => [r, 400] as const), ...misshapen.map((r) => [r, 422] as const)]) {
      expect(res.status, res.text).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(bad[1]!.json.detail).toContain('key id "k-retired"');
    expect(misshapen[0]!.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'payloads' })]));
  });

  it('lets the Temporal Web UI call it from its origin (preflight included), and no other origin', async () => {
    const ui = new URL(stack.pipeline.config.temporal.uiUrl).origin;
    const preflight = await stack.call('OPTIONS', '/v1/codec/decode', {
      headers: { origin: ui, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ui);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const call = await stack.call('POST', '/v1/codec/decode', { key: OPS, body: { payloads: [] }, headers: { origin: ui } });
    expect(call.status).toBe(200);
    expect(call.headers.get('access-control-allow-origin')).toBe(ui);
    const elsewhere = await stack.call('OPTIONS', '/v1/codec/decode', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    // In tests (as in production) the UI's origin alone is no key.
    expect((await stack.call('POST', '/v1/codec/decode', { body: { payloads: [] }, headers: { origin: ui } })).status).toBe(401);
  });
});
