import type { Client } from '@temporalio/client';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ShopDb } from '../../db/index.js';
import type { Config } from '../platform/config.js';
import type { ApiClient, ClientDirectory } from './clients.js';
import type { AuthFailureLimiter } from './rate-limit.js';

/** What the HTTP layer is built from. */
export interface ApiDeps {
  config: Config;
  log: Logger;
  temporal: Client;
  shop: ShopDb;
  /** Read connection for lists (a replica when configured). */
  shopReader: ShopDb;
  clients: ClientDirectory;
  /** Per-key rate limiting, applied after authentication. */
  rateLimiter?: RequestHandler;
  /** Per-address limit of failed authentications, applied before a key is looked up. */
  authFailures?: AuthFailureLimiter;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The authenticated API client (set by `authenticate`). */
    client?: ApiClient;
  }
}
