// Polling with a bound, for `skiff up`'s steps: a check that throws counts as "not yet";
// the timeout says what was awaited and whatever the caller adds (a log's end, what to do).

/**
 * Until `check` is true, at most `timeoutMs`; then an Error with `onTimeout()`'s words.
 * `giveUp` ends the wait early with its error (the awaited process exited).
 */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, onTimeout: () => string, giveUp?: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    const fatal = giveUp?.();
    if (fatal) throw fatal;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not within ${Math.round(timeoutMs / 1000)} s. ${onTimeout()}`);
}
