/** Settings of the integration events and partner webhooks, as loadConfig reads them. */
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_PRODUCE_CALLBACK_SECRET, loadConfig } from '../src/platform/config.js';
import { productionSecrets } from './support/production-env.js';

/** A production payload key (the codec's; see test/codec.test.ts). */
const KEYS = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

describe('integration settings', () => {
  it('refuses to run in production without a callback secret of its own', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PRODUCE_CALLBACK_SECRET: required in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', PAYLOAD_ENCRYPTION_KEYS: KEYS })).toThrow(/PRODUCE_CALLBACK_SECRET: required in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', PRODUCE_CALLBACK_SECRET: 'short' })).toThrow(/PRODUCE_CALLBACK_SECRET/);
    const secret = 'a'.repeat(64);
    expect(
      loadConfig({ NODE_ENV: 'production', TEMPORAL_TLS: 'false', ...productionSecrets(), PRODUCE_CALLBACK_SECRET: secret }).integrations.callbackSecret,
    ).toBe(secret);
    // Outside production a development secret keeps `npm start` and the tests running.
    expect(loadConfig({}).integrations.callbackSecret).toBe(DEV_PRODUCE_CALLBACK_SECRET);
  });

  it('refuses private webhook targets unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true', () => {
    expect(loadConfig({}).webhooks.allowPrivateTargets).toBe(false);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }).webhooks.allowPrivateTargets).toBe(true);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'yes' })).toThrow(/WEBHOOK_ALLOW_PRIVATE_TARGETS/);
  });

  it('gives up on an outbox event after OUTBOX_GIVE_UP_HOURS, 24 by default, for both systems', () => {
    expect(loadConfig({}).integrations.mes.giveUpMs).toBe(86_400_000);
    expect(loadConfig({ OUTBOX_GIVE_UP_HOURS: '0.5' }).integrations.carrier.giveUpMs).toBe(1_800_000);
    expect(() => loadConfig({ OUTBOX_GIVE_UP_HOURS: '0' })).toThrow(/OUTBOX_GIVE_UP_HOURS/);
  });
});
