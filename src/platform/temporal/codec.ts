/**
 * The payload codec: every payload a client or worker of the pipeline hands Temporal (workflow
 * and activity inputs and results, signals, queries, updates, memos, failure details) is
 * encrypted with AES-256-GCM before it leaves the process, so histories hold no customer data
 * in plain text. Runs outside the workflow sandbox (the SDK applies `payloadCodecs` in the
 * worker and the client); workflow code never imports this module.
 *
 * An encrypted payload: metadata `encoding: binary/encrypted` and `encryption-key-id: <id>`;
 * data = 12-byte random IV ‖ ciphertext ‖ 16-byte tag. The plaintext is the original payload,
 * proto-encoded, so its own metadata (`encoding: json/plain`, …) is hidden too. The key id is
 * bound to the ciphertext as additional authenticated data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
// CommonJS package: under Node's ESM only its default export is there (as in bench/pipeline.ts).
import proto from '@temporalio/proto';
import type { Config, PayloadKey } from '../config.js';

/** `encoding` metadata of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload is encrypted with. */
export const KEY_ID_METADATA = 'encryption-key-id';

const ProtoPayload = proto.temporal.api.common.v1.Payload;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A payload the codec cannot decrypt: unknown key id, tampered or truncated data. */
export class PayloadDecryptionError extends Error {}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current: PayloadKey;
  private readonly byId: Map<string, PayloadKey>;

  /** `keys[0]` encrypts; every key decrypts what was encrypted with it. */
  constructor(keys: readonly PayloadKey[]) {
    if (keys.length === 0) throw new Error('the payload codec needs at least one key');
    for (const k of keys) if (k.key.length !== 32) throw new Error(`payload key "${k.id}" must have 32 bytes`);
    this.current = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  encrypt(payload: Payload): Payload {
    const { id, key } = this.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(encoder.encode(id));
    const plain = ProtoPayload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encoder.encode(id) }, data };
  }

  /** The original payload; one without the codec's encoding (e.g. recorded before it) as it is. */
  decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const rawId = payload.metadata?.[KEY_ID_METADATA];
    if (!rawId) throw new PayloadDecryptionError(`encrypted payload carries no ${KEY_ID_METADATA}`);
    const id = decoder.decode(rawId);
    const entry = this.byId.get(id);
    if (!entry) {
      throw new PayloadDecryptionError(
        `payload is encrypted with key id "${id}", which is not in PAYLOAD_ENCRYPTION_KEYS (known: ${[...this.byId.keys()].join(', ')})`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload (key id "${id}") is truncated`);
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', entry.key, iv);
    decipher.setAAD(encoder.encode(id));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        `encrypted payload (key id "${id}") failed authentication: it was altered, or the key with that id is not the one it was encrypted with`,
      );
    }
    const inner = ProtoPayload.decode(plain);
    return { metadata: inner.metadata, data: inner.data };
  }
}

/** The codec of the configured keys. */
export function payloadCodec(config: Pick<Config, 'payloadKeys'>): AesGcmPayloadCodec {
  return new AesGcmPayloadCodec(config.payloadKeys);
}

/** The data converter of every client and worker of the pipeline (Client, Worker.create, replay). */
export function dataConverter(config: Pick<Config, 'payloadKeys'>): DataConverter {
  return { payloadCodecs: [payloadCodec(config)] };
}
