// 50 clients updating one object with resourceVersions: exactly one wins each round,
// the others get 409 Conflict, and no acknowledged update is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiserver, type ApiserverProcess } from '../support/apiserver.js';

describe('optimistic concurrency with 50 clients', () => {
  let api: ApiserverProcess;
  const url = () => `${api.url}/api/v1/namespaces/default/configmaps/counter`;
  beforeAll(async () => {
    api = await startApiserver();
    const res = await fetch(`${api.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'counter' }, data: { count: '0', writers: '' } }),
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await api?.cleanup();
  });

  it('lets exactly one of 50 stale-read writers win each round', async () => {
    for (let round = 1; round <= 20; round++) {
      const current = (await (await fetch(url())).json()) as { metadata: { resourceVersion: string }; data: Record<string, string> };
      const results = await Promise.all(
        Array.from({ length: 50 }, async (_, c) => {
          const next = { ...current, data: { count: String(round), writers: `${current.data.writers}${round}:${c};` } };
          const res = await fetch(url(), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(next) });
          const body = (await res.json()) as { reason?: string; message?: string };
          return { client: c, status: res.status, body };
        }),
      );
      const winners = results.filter((r) => r.status === 200);
      const losers = results.filter((r) => r.status !== 200);
      expect(winners).toHaveLength(1);
      for (const l of losers) {
        expect(l.status).toBe(409);
        expect(l.body.reason).toBe('Conflict');
        expect(l.body.message).toContain('the object has been modified; please apply your changes to the latest version and try again');
      }
      const after = (await (await fetch(url())).json()) as { data: Record<string, string> };
      expect(after.data.count).toBe(String(round));
      expect(after.data.writers.endsWith(`${round}:${winners[0]!.client};`)).toBe(true);
    }
  });

  it('loses no increment when 50 clients retry on conflict', async () => {
    await fetch(`${api.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'tally' }, data: { n: '0' } }),
    });
    const tally = `${api.url}/api/v1/namespaces/default/configmaps/tally`;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let attempt = 0; attempt < 500; attempt++) {
          const cur = (await (await fetch(tally)).json()) as { metadata: object; data: { n: string } };
          const res = await fetch(tally, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...cur, data: { n: String(Number(cur.data.n) + 1) } }) });
          await res.arrayBuffer();
          if (res.status === 200) return;
          expect(res.status).toBe(409);
          conflicts++;
        }
        throw new Error('gave up after 500 conflicts');
      }),
    );
    const final = (await (await fetch(tally)).json()) as { data: { n: string } };
    expect(final.data.n).toBe('50');
    expect(conflicts).toBeGreaterThan(0);
  });
});
