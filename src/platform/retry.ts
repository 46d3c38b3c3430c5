/** Retries `fn` until it succeeds or `timeoutMs` passes, telling `onWait` once while it waits. */
export async function waitFor<T>(
  fn: () => Promise<T>,
  options: { what: string; timeoutMs: number; intervalMs?: number; onWait?: (message: string) => void },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let told = false;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) {
        // eslint-disable-next-line preserve-caught-error -- the cause's message is already in this one; a `cause` would repeat it in every log line
        throw new Error(`${options.what} not reachable after ${Math.round(options.timeoutMs / 1000)} s: ${(err as Error).message}`);
      }
      if (!told) options.onWait?.(`waiting for ${options.what}… (${(err as Error).message})`);
      told = true;
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 1000));
    }
  }
}
