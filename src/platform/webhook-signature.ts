/**
 * The `Webhook-Signature` header, shared by every webhook of the pipeline: partner webhooks the
 * pipeline sends, and the MES and carrier events it receives.
 * Format: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the signature. */
export const SIGNATURE_HEADER = 'Webhook-Signature';
/** Header carrying the event id, for deduplication by the receiver. */
export const EVENT_ID_HEADER = 'Webhook-Id';
/** A signature older (or further in the future) than this is refused, so a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_S = 300;

/** Signature of a webhook body at a time, as the receiver recomputes it. */
export function signWebhook(secret: string, timestamp: number, body: string | Buffer): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/** Why a signature header does not verify, or undefined when it does. */
export function signatureProblem(secret: string, header: string | undefined, body: Buffer, nowS = Math.floor(Date.now() / 1000)): string | undefined {
  if (!header) return `the ${SIGNATURE_HEADER} header is missing`;
  const parts = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    parts.set(key, [...(parts.get(key) ?? []), part.slice(eq + 1).trim()]);
  }
  const t = parts.get('t')?.[0];
  const given = parts.get('v1') ?? [];
  if (!t || !/^\d{1,12}$/.test(t) || given.length === 0) return `the ${SIGNATURE_HEADER} header is not "t=<unix seconds>,v1=<hex>"`;
  if (Math.abs(nowS - Number(t)) > SIGNATURE_TOLERANCE_S) return `the signature time is more than ${SIGNATURE_TOLERANCE_S} s away from now`;
  const expected = Buffer.from(signWebhook(secret, Number(t), body).split('v1=')[1]!, 'hex');
  const ok = given.some((v) => /^[0-9a-f]{64}$/i.test(v) && timingSafeEqual(Buffer.from(v, 'hex'), expected));
  return ok ? undefined : 'the signature does not match the body';
}
