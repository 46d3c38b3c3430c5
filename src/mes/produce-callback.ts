/**
 * The callback reference a `produce` attempt hands to the MES with its job: what the API needs
 * to complete that very attempt when the MES reports the job done (`client.activity.complete`
 * with the attempt's task token), and the attempt's figures for the order's timeline. The MES
 * only stores and echoes it.
 *
 * The reference carries a task token, and whoever holds a task token can complete the attempt,
 * so it is signed with the pipeline's own secret (PRODUCE_CALLBACK_SECRET, known to the API and
 * the mes workers, never to the MES): a reference that anyone with an MES key made up or altered
 * does not verify and completes nothing.
 * Format: `pc2.<base64url JSON>.<base64url HMAC-SHA256(secret, "pc2.<base64url JSON>")>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** A month: no attempt waits longer for its task, so a larger figure is not a real one. */
const MAX_QUEUE_WAIT_MS = 30 * 24 * 3_600_000;

export const ProduceCallbackSchema = z.strictObject({
  /** Task token of the attempt, base64. */
  taskToken: z
    .string()
    .min(1)
    .max(4096)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
  /** Workflow of the order, so an event about another order's job cannot complete this one. */
  workflowId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  attempt: z.int().min(1).max(10_000),
  queueWaitMs: z.number().int().min(0).max(MAX_QUEUE_WAIT_MS),
  /** How often this attempt submitted the job again because the MES had lost it. */
  resubmitted: z.int().min(0).max(10_000),
});
export type ProduceCallback = z.infer<typeof ProduceCallbackSchema>;

const PREFIX = 'pc2.';

function mac(secret: string, signed: string): Buffer {
  return createHmac('sha256', secret).update(signed).digest();
}

/**
 * The signed reference of `callback`. Not checked against the schema here: a figure out of range
 * makes the API refuse the reference, and the attempt then learns of the job by asking the MES.
 */
export function encodeProduceCallback(callback: ProduceCallback, secret: string): string {
  const signed = PREFIX + Buffer.from(JSON.stringify(callback), 'utf8').toString('base64url');
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/**
 * The callback in a reference, or undefined when it is not one this pipeline made: another
 * format, a signature that does not verify (forged or altered), or figures out of range.
 */
export function decodeProduceCallback(ref: string, secret: string): ProduceCallback | undefined {
  if (!ref.startsWith(PREFIX)) return undefined;
  const dot = ref.lastIndexOf('.');
  if (dot <= PREFIX.length) return undefined;
  const signed = ref.slice(0, dot);
  const given = Buffer.from(ref.slice(dot + 1), 'base64url');
  const expected = mac(secret, signed);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const parsed = ProduceCallbackSchema.safeParse(JSON.parse(Buffer.from(signed.slice(PREFIX.length), 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
