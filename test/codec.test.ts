/** The payload codec (AES-256-GCM) and its keys, as PAYLOAD_ENCRYPTION_KEYS configures them. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_PAYLOAD_KEY_SPEC, loadConfig, parsePayloadKeys } from '../src/platform/config.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecryptionError } from '../src/platform/temporal/codec.js';
import { productionSecrets } from './support/production-env.js';
import { sampleOrder } from './support/sample-order.js';

const spec = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const order = sampleOrder();
const plain = (): Payload => defaultPayloadConverter.toPayload(order);

describe('payload codec', () => {
  it('encrypts a payload, metadata included, and decrypts it to the same payload', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(spec('k1')));
    const [encrypted] = await codec.encode([plain()]);
    expect(text(encrypted!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted!.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(encrypted!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
    const raw = Buffer.from(encrypted!.data!).toString('latin1');
    for (const secret of [order.customer.email, order.shipping.address.line1, 'json/plain']) expect(raw).not.toContain(secret);
    // Random IV: the same payload never encrypts to the same bytes.
    const [again] = await codec.encode([plain()]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(encrypted!.data!))).toBe(false);
    const [decoded] = await codec.decode([encrypted!]);
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(order);
  });

  it('still decrypts payloads of an older key after a new key is put first, and encrypts with the new one', async () => {
    const old = spec('2025');
    const before = new AesGcmPayloadCodec(parsePayloadKeys(old));
    const [fromOld] = await before.encode([plain()]);
    const rotated = new AesGcmPayloadCodec(parsePayloadKeys(`${spec('2026')},${old}`));
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([fromOld!]))[0]!)).toEqual(order);
    const [fromNew] = await rotated.encode([plain()]);
    expect(text(fromNew!.metadata![KEY_ID_METADATA])).toBe('2026');
    // Dropping the old key too early: the error names the key id it needs.
    const dropped = new AesGcmPayloadCodec(parsePayloadKeys(spec('2026')));
    await expect(dropped.decode([fromOld!])).rejects.toThrow(/key id "2025", which is not in PAYLOAD_ENCRYPTION_KEYS/);
  });

  it('refuses altered data, a swapped key id and a wrong key with the same id', async () => {
    const keys = `${spec('a')},${spec('b')}`;
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(keys));
    const [encrypted] = await codec.encode([plain()]);
    const data = Buffer.from(encrypted!.data!);
    data.writeUInt8(data.readUInt8(20) ^ 0x01, 20);
    await expect(codec.decode([{ ...encrypted!, data }])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([{ ...encrypted!, data: data.subarray(0, 10) }])).rejects.toThrow(/truncated/);
    // The key id is authenticated: relabelling the payload as key "b" does not make it decrypt.
    const relabelled = { ...encrypted!, metadata: { ...encrypted!.metadata, [KEY_ID_METADATA]: Buffer.from('b') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key id "b".*failed authentication/);
    const impostor = new AesGcmPayloadCodec(parsePayloadKeys(spec('a')));
    await expect(impostor.decode([encrypted!])).rejects.toThrow(/failed authentication/);
  });

  it('passes payloads without its encoding through (histories recorded before encryption)', async () => {
    const codec = new AesGcmPayloadCodec(parsePayloadKeys(spec('k1')));
    const p = plain();
    const [decoded] = await codec.decode([p]);
    expect(decoded).toBe(p);
    const empty: Payload = {};
    expect((await codec.decode([empty]))[0]).toBe(empty);
  });
});

describe('PAYLOAD_ENCRYPTION_KEYS', () => {
  // Every other secret production needs, so that the keys are all it refuses.
  const { PAYLOAD_ENCRYPTION_KEYS: _keys, ...otherSecrets } = productionSecrets();
  const prod = { NODE_ENV: 'production', TEMPORAL_TLS: 'false', ...otherSecrets };

  it('uses the development key outside production and requires keys of its own in production', () => {
    expect(loadConfig({}).payloadKeys.map((k) => k.id)).toEqual(['dev']);
    expect(() => loadConfig(prod)).toThrow(ConfigError);
    expect(() => loadConfig(prod)).toThrow(/^Invalid configuration:\n {2}PAYLOAD_ENCRYPTION_KEYS: required in production/);
    expect(() => loadConfig({ ...prod, PAYLOAD_ENCRYPTION_KEYS: DEV_PAYLOAD_KEY_SPEC })).toThrow(/PAYLOAD_ENCRYPTION_KEYS: the development key is public/);
    const devKey = DEV_PAYLOAD_KEY_SPEC.split(':')[1];
    expect(() => loadConfig({ ...prod, PAYLOAD_ENCRYPTION_KEYS: `${spec('new')},renamed:${devKey}` })).toThrow(/development key/);
    const keys = loadConfig({ ...prod, PAYLOAD_ENCRYPTION_KEYS: ` ${spec('k2')} , ${spec('k1')} ` }).payloadKeys;
    expect(keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(keys.every((k) => k.key.length === 32)).toBe(true);
  });

  it.each([
    ['no key id', randomBytes(32).toString('base64'), /entry 1 is not "keyId:base64key"/],
    ['a short key', `k1:${randomBytes(16).toString('base64')}`, /key "k1" has 16 bytes; AES-256 needs 32/],
    ['not base64', 'k1:not*base64', /key "k1" is not valid base64/],
    ['a bad id', `k 1:${randomBytes(32).toString('base64')}`, /the key id must be/],
    ['a repeated id', `k1:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`, /key id "k1" appears twice/],
    ['an empty entry', `k1:${randomBytes(32).toString('base64')},`, /entry 2 is not/],
  ])('refuses %s, in every environment, without quoting the key', (_what, value, message) => {
    for (const env of [{}, prod]) {
      let error: unknown;
      try {
        loadConfig({ ...env, PAYLOAD_ENCRYPTION_KEYS: value });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/^Invalid configuration:\n {2}PAYLOAD_ENCRYPTION_KEYS: /);
      const secret = value.split(':')[1]?.split(',')[0];
      if (secret && secret.length > 8) expect((error as Error).message).not.toContain(secret);
    }
  });

  it('keeps a production worker from starting without keys: the message and exit code 2', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/workers/main.ts', 'pricing'], {
      env: { PATH: process.env.PATH, ...prod },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain('Invalid configuration:\n  PAYLOAD_ENCRYPTION_KEYS: required in production');
  });
});
