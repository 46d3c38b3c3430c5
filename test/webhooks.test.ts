/**
 * Partner webhooks: every status change of a partner's order is POSTed to its URL, signed with
 * HMAC-SHA256, retried durably when the partner fails, and never holding the order up.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClients } from '../src/order/schema.js';
import { createWebhookActivities } from '../src/webhooks/activities.js';
import { hashKey } from '../src/api/clients.js';
import { startApi, type RunningApi } from '../src/api/server.js';
import { createLogger } from '../src/platform/logger.js';
import { orderWorkflowId, type OrderState } from '../src/order/contract.js';
import { httpClient } from './support/http.js';
import { sampleOrder, startPipeline, type TestPipeline } from './support/pipeline.js';
import type { WebhookEvent } from '../src/webhooks/contract.js';

interface Received {
  event: WebhookEvent;
  signature: string;
  eventId: string;
  body: string;
}

let pipeline: TestPipeline;
let api: RunningApi;
let receiver: Server;
const call = httpClient(() => api.url);
const received: Received[] = [];
/** Event ids whose first delivery the receiver refuses with 500, to force a retry. */
const failFirst = new Set<string>();
const refusedOnce = new Set<string>();
const secret = randomBytes(24).toString('hex');
const partnerKey = `partner-hooks-${randomBytes(8).toString('hex')}`;
const deadKey = `partner-dead-${randomBytes(8).toString('hex')}`;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/dead') {
        res.writeHead(500).end();
        return;
      }
      const event = JSON.parse(body) as WebhookEvent;
      if (failFirst.has(event.order.status) && !refusedOnce.has(event.id)) {
        refusedOnce.add(event.id);
        res.writeHead(500).end();
        return;
      }
      received.push({ event, body, signature: String(req.headers['webhook-signature']), eventId: String(req.headers['webhook-id']) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  // The receiver listens on loopback, which only an operator setting lets webhooks reach.
  pipeline = await startPipeline({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  await pipeline.dbs.shop.db.insert(apiClients).values([
    {
      id: `hooks-${partnerKey}`,
      name: 'Hooked partner',
      kind: 'partner',
      partnerId: 'hooked',
      keyHash: hashKey(partnerKey),
      webhookUrl: `${url}/hooks`,
      webhookSecret: secret,
    },
    {
      id: `dead-${deadKey}`,
      name: 'Partner with a broken endpoint',
      kind: 'partner',
      partnerId: 'deadend',
      keyHash: hashKey(deadKey),
      webhookUrl: `${url}/dead`,
      webhookSecret: secret,
    },
  ]);
  api = await startApi({ config: pipeline.config, log: createLogger('silent'), shop: pipeline.dbs.shop });
});
afterAll(async () => {
  await api?.close();
  await pipeline?.stop();
  await new Promise((r) => receiver?.close(r));
});

function verify(r: Received): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(r.signature);
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${r.body}`).digest('hex');
  return expected === match[2];
}

describe('partner webhooks', () => {
  it('sends every status change, signed, and retries a refused delivery', async () => {
    failFirst.add('priced');
    const created = await call('POST', '/v1/orders', {
      key: partnerKey,
      body: sampleOrder({ shipping: { method: 'pickup' }, externalRef: 'PO-4711' }),
    });
    expect(created.status).toBe(202);
    const final: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(created.json.id)).result();
    expect(final.status).toBe('delivered');

    const expected = ['received', 'accepted', 'priced', 'routed', 'awaiting_production', 'in_production', 'produced', 'shipped', 'delivered'];
    const deadline = Date.now() + 30_000;
    const mine = () => received.filter((r) => r.event.order.id === created.json.id);
    while (mine().length < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));

    const events = mine().sort((a, b) => Number(a.event.id.split(':')[1]) - Number(b.event.id.split(':')[1]));
    expect(events.map((e) => e.event.order.status)).toEqual(expected);
    for (const e of events) {
      expect(verify(e)).toBe(true);
      expect(e.eventId).toBe(e.event.id);
      expect(e.event).toMatchObject({ type: 'order.status_changed', order: { partnerId: 'hooked', externalRef: 'PO-4711' } });
    }
    // 'priced' was refused once and delivered on the retry
    expect([...refusedOnce].some((id) => id.startsWith(`${created.json.id}:`))).toBe(true);
    // a tampered body does not verify
    expect(verify({ ...events[0]!, body: events[0]!.body.replace('received', 'delivered') })).toBe(false);
  });

  it('never holds an order up when the partner endpoint is down', async () => {
    const created = await call('POST', '/v1/orders', { key: deadKey, body: sampleOrder({ shipping: { method: 'pickup' } }) });
    const final: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(created.json.id)).result();
    expect(final.status).toBe('delivered');
    // the first delivery is still being retried on its own
    const delivery = await pipeline.client.workflow.getHandle(`webhook-${created.json.id}-1`).describe();
    expect(delivery.status.name).toBe('RUNNING');
    await pipeline.client.workflow.getHandle(`webhook-${created.json.id}-1`).terminate('test cleanup');
  });

  it('sends nothing for clients without a webhook', async () => {
    const created = await call('POST', '/v1/orders', { key: 'partner-acme-dev-key', body: sampleOrder({ shipping: { method: 'pickup' } }) });
    const final: OrderState = await pipeline.client.workflow.getHandle(orderWorkflowId(created.json.id)).result();
    expect(final.status).toBe('delivered');
    await expect(pipeline.client.workflow.getHandle(`webhook-${created.json.id}-1`).describe()).rejects.toThrow();
  });
});

describe('partner webhooks to non-public addresses', () => {
  const cases: [string, (port: number) => string][] = [
    ['loopback IP', (port) => `http://127.0.0.1:${port}/hooks`],
    ['a host name resolving to 127.0.0.1', (port) => `http://localhost:${port}/hooks`],
    ['IPv6 loopback', (port) => `http://[::1]:${port}/hooks`],
    ['IPv4-mapped IPv6 loopback', (port) => `http://[::ffff:127.0.0.1]:${port}/hooks`],
    ['the metadata service (link-local)', () => 'http://169.254.169.254/latest/meta-data/'],
    ['a private address', () => 'http://10.0.0.1/hooks'],
    ['the unspecified address', (port) => `http://0.0.0.0:${port}/hooks`],
  ];

  it('are refused for good at delivery time, before any connection, unless WEBHOOK_ALLOW_PRIVATE_TARGETS allows them', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const refusing = createWebhookActivities({ shop: pipeline.dbs.shop.db, timeoutMs: 2_000 });
    const allowing = createWebhookActivities({ shop: pipeline.dbs.shop.db, timeoutMs: 2_000, allowPrivateTargets: true });
    for (const [name, url] of cases) {
      const clientId = `private-${randomBytes(6).toString('hex')}`;
      await pipeline.dbs.shop.db.insert(apiClients).values({
        id: clientId,
        name,
        kind: 'partner',
        partnerId: 'private',
        keyHash: hashKey(clientId),
        webhookUrl: url(port),
        webhookSecret: secret,
      });
      const eventId = `${clientId}:1`;
      const input = {
        clientId,
        event: { id: eventId, type: 'order.status_changed', occurredAt: new Date().toISOString(), order: { id: clientId, status: 'accepted' } },
      } as unknown as Parameters<typeof refusing.deliverWebhook>[0];
      const refused = await refusing.deliverWebhook(input).then(
        () => undefined,
        (err: { type?: string; nonRetryable?: boolean; message: string }) => err,
      );
      expect({ name, type: refused?.type, nonRetryable: refused?.nonRetryable }).toEqual({ name, type: 'WebhookTargetRefused', nonRetryable: true });
      expect(refused?.message).toContain('WEBHOOK_ALLOW_PRIVATE_TARGETS');
      expect(
        received.some((r) => r.eventId === eventId),
        name,
      ).toBe(false);
    }
    // The same loopback receiver is reached once the operator allows private targets.
    const clientId = `allowed-${randomBytes(6).toString('hex')}`;
    await pipeline.dbs.shop.db.insert(apiClients).values({
      id: clientId,
      name: 'Allowed',
      kind: 'partner',
      partnerId: 'private',
      keyHash: hashKey(clientId),
      webhookUrl: `http://localhost:${port}/hooks`,
      webhookSecret: secret,
    });
    const event = { id: `${clientId}:1`, type: 'order.status_changed', occurredAt: new Date().toISOString(), order: { id: clientId, status: 'accepted' } };
    await expect(allowing.deliverWebhook({ clientId, event } as unknown as Parameters<typeof allowing.deliverWebhook>[0])).resolves.toMatchObject({
      delivered: true,
      status: 204,
    });
    expect(received.some((r) => r.eventId === event.id)).toBe(true);
  });

  it('does not follow a redirect (e.g. to an internal host)', async () => {
    const redirector = createServer((_req, res) => res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', () => r()));
    try {
      const clientId = `redirect-${randomBytes(6).toString('hex')}`;
      await pipeline.dbs.shop.db.insert(apiClients).values({
        id: clientId,
        name: 'Redirecting',
        kind: 'partner',
        partnerId: 'private',
        keyHash: hashKey(clientId),
        webhookUrl: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hooks`,
        webhookSecret: secret,
      });
      const activities = createWebhookActivities({ shop: pipeline.dbs.shop.db, timeoutMs: 2_000, allowPrivateTargets: true });
      const event = { id: `${clientId}:1`, type: 'order.status_changed', occurredAt: new Date().toISOString(), order: { id: clientId, status: 'accepted' } };
      await expect(activities.deliverWebhook({ clientId, event } as unknown as Parameters<typeof activities.deliverWebhook>[0])).rejects.toMatchObject({
        type: 'WebhookRejected',
        message: expect.stringContaining('answered 307'),
      });
    } finally {
      await new Promise((r) => redirector.close(r));
    }
  });
});
