import { ApplicationFailure } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import type { ShopDb } from '../../db/index.js';
import { apiClients } from '../order/schema.js';
import type { WebhookActivities, WebhookDeliveryInput, WebhookResult } from './contract.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook } from '../platform/webhook-signature.js';
import { WebhookTargetError, postWebhook, type WebhookAnswer } from './target.js';

/** Activities of webhook delivery (on the `orders` queue, which owns the shop database). */
export function createWebhookActivities(deps: { shop: ShopDb; timeoutMs?: number; allowPrivateTargets?: boolean }): WebhookActivities {
  return {
    /**
     * POSTs one event to the client's webhook, signed. Any answer but 2xx (or no answer) fails
     * the attempt, and Temporal retries with backoff; the order itself never waits for this.
     * A target that is not a public address (after DNS resolution; see src/webhooks/target.ts)
     * fails the delivery for good, unless WEBHOOK_ALLOW_PRIVATE_TARGETS allows it.
     */
    async deliverWebhook(input: WebhookDeliveryInput): Promise<WebhookResult> {
      const [client] = await deps.shop
        .select({ url: apiClients.webhookUrl, secret: apiClients.webhookSecret, revokedAt: apiClients.revokedAt })
        .from(apiClients)
        .where(eq(apiClients.id, input.clientId));
      if (!client?.url || !client.secret || client.revokedAt) {
        return { delivered: false, reason: 'the client has no webhook (any more)' };
      }
      const body = JSON.stringify(input.event);
      const timestamp = Math.floor(Date.now() / 1000);
      let url: URL;
      try {
        url = new URL(client.url);
      } catch {
        throw ApplicationFailure.nonRetryable(`webhook URL ${client.url} is not a URL`, 'WebhookTargetRefused');
      }
      let response: WebhookAnswer;
      try {
        response = await postWebhook(url, {
          headers: {
            'content-type': 'application/json',
            'user-agent': 'order-pipeline-webhooks/1',
            [EVENT_ID_HEADER]: input.event.id,
            [SIGNATURE_HEADER]: signWebhook(client.secret, timestamp, body),
          },
          body,
          timeoutMs: deps.timeoutMs ?? 10_000,
          allowPrivate: deps.allowPrivateTargets ?? false,
        });
      } catch (err) {
        if (err instanceof WebhookTargetError) throw ApplicationFailure.nonRetryable(err.message, 'WebhookTargetRefused');
        throw ApplicationFailure.retryable(`webhook ${client.url} unreachable: ${(err as Error).message}`, 'WebhookUnreachable');
      }
      // Redirects are not followed: a 3xx is no delivery (a partner could redirect to an internal host).
      if (response.status < 200 || response.status > 299) {
        throw ApplicationFailure.retryable(`webhook ${client.url} answered ${response.status}`, 'WebhookRejected');
      }
      return { delivered: true, status: response.status };
    },
  };
}
