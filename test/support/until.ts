// Polls until a check gives a value, within a time bound; on timeout says what it waited
// for, the check's last error, and whatever context the caller adds (component logs).

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, context: () => string = () => '', everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const extra = context();
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}${extra ? `\n${extra}` : ''}`);
}
