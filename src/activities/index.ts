/**
 * Composition of the slices' activities per task queue. Each slice's activities.ts serves its own
 * queue and is registered by that slice's worker.ts; the `orders` queue is the one that carries
 * two slices: the order's acceptance and shop projection, and partner webhook delivery (both
 * work with the shop database, which that queue's worker owns).
 */
import type { ShopDb } from '../../db/index.js';
import { createOrderActivities } from '../order/activities.js';
import { createWebhookActivities } from '../webhooks/activities.js';

/** What the `orders` queue's activities are built from. */
export interface OrdersQueueDeps {
  shop: ShopDb;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: deliver partner webhooks to private addresses too. */
  allowPrivateTargets: boolean;
}

/** Activities of the `orders` queue: the order slice's and the webhooks slice's. */
export function createOrdersQueueActivities(deps: OrdersQueueDeps) {
  return {
    ...createOrderActivities({ shop: deps.shop }),
    ...createWebhookActivities({ shop: deps.shop, allowPrivateTargets: deps.allowPrivateTargets }),
  };
}

export type OrdersQueueActivities = ReturnType<typeof createOrdersQueueActivities>;
