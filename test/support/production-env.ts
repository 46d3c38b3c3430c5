/** Secrets a production process needs (src/platform/config.ts refuses to start without them), for tests that run one. */
import { createHash } from 'node:crypto';

/** A 64-character hex secret derived from its name: long enough for production, distinct per variable. */
export function testSecret(name: string): string {
  return createHash('sha256').update(`order-pipeline test secret ${name}`).digest('hex');
}

/** Every variable production requires to be a secret of its own, with test values. */
export const PRODUCTION_SECRET_NAMES = ['PRODUCE_CALLBACK_SECRET', 'MES_WEBHOOK_SECRET', 'CARRIER_WEBHOOK_SECRET', 'MES_API_KEY', 'CARRIER_API_KEY'] as const;

export function productionSecrets(): Record<(typeof PRODUCTION_SECRET_NAMES)[number] | 'PAYLOAD_ENCRYPTION_KEYS', string> {
  return {
    ...(Object.fromEntries(PRODUCTION_SECRET_NAMES.map((n) => [n, testSecret(n)])) as Record<(typeof PRODUCTION_SECRET_NAMES)[number], string>),
    // A payload key of its own (32 bytes, base64), as production requires.
    PAYLOAD_ENCRYPTION_KEYS: `test:${Buffer.from(testSecret('PAYLOAD_ENCRYPTION_KEYS'), 'hex').toString('base64')}`,
  };
}

/**
 * A shop database of its own for a production process, next to the test shop database (dropped
 * and created again): the shared one holds the development clients, which production refuses.
 */
export async function freshShopDatabase(sharedShopUrl: string, suffix: string): Promise<string> {
  const { dropDatabase, ensureDatabaseExists } = await import('../../db/index.js');
  const u = new URL(sharedShopUrl);
  u.pathname = `${u.pathname}_${suffix}`;
  const url = u.toString();
  await dropDatabase(url);
  await ensureDatabaseExists(url);
  return url;
}
