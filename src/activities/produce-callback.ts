/**
 * The callback reference a `produce` attempt hands to the MES with its job: what the API needs
 * to complete that very attempt when the MES reports the job done (`client.activity.complete`
 * with the attempt's task token), and the attempt's figures for the order's timeline. The MES
 * only stores and echoes it.
 */
import { z } from 'zod';

export const ProduceCallbackSchema = z.object({
  /** Task token of the attempt, base64. */
  taskToken: z.string().min(1).max(4096),
  /** Workflow of the order, so an event about another order's job cannot complete this one. */
  workflowId: z.string().min(1).max(200),
  attempt: z.int().min(1),
  queueWaitMs: z.number().min(0),
  /** How often this attempt submitted the job again because the MES had lost it. */
  resubmitted: z.int().min(0),
});
export type ProduceCallback = z.infer<typeof ProduceCallbackSchema>;

const PREFIX = 'pc1.';

export function encodeProduceCallback(callback: ProduceCallback): string {
  return PREFIX + Buffer.from(JSON.stringify(callback), 'utf8').toString('base64url');
}

/** The callback in a reference, or undefined when it is not one this pipeline made. */
export function decodeProduceCallback(ref: string): ProduceCallback | undefined {
  if (!ref.startsWith(PREFIX)) return undefined;
  try {
    const parsed = ProduceCallbackSchema.safeParse(JSON.parse(Buffer.from(ref.slice(PREFIX.length), 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
