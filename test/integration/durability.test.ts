// kill -9 of the apiserver in the middle of concurrent writes: every acknowledged
// write survives with its resourceVersion, and revisions keep growing after restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiserver, type ApiserverProcess } from '../support/apiserver.js';

const NS = 'durability';

describe('durability across kill -9', () => {
  let api: ApiserverProcess;
  beforeAll(async () => {
    api = await startApiserver();
    const res = await fetch(`${api.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: NS } }) });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await api?.cleanup();
  });

  it('keeps every acknowledged write, for three crashes in a row', async () => {
    const acked = new Map<string, { rv: string; value: string }>();
    let maxRv = 0;
    for (let round = 0; round < 3; round++) {
      let stop = false;
      const writer = async (w: number) => {
        for (let i = 0; !stop && i < 10_000; i++) {
          const name = `cm-${round}-${w}-${i}`;
          const value = `v-${round}-${w}-${i}`;
          try {
            const res = await fetch(`${api.url}/api/v1/namespaces/${NS}/configmaps`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ metadata: { name }, data: { value } }),
            });
            if (res.status === 201) {
              const body = (await res.json()) as { metadata: { resourceVersion: string } };
              acked.set(name, { rv: body.metadata.resourceVersion, value });
            }
          } catch {
            return; // connection refused or reset: the server is gone
          }
        }
      };
      const writers = Array.from({ length: 20 }, (_, w) => writer(w));
      // Let writes flow, then crash the server while they are in flight.
      await new Promise((r) => setTimeout(r, 400 + round * 200));
      await api.kill9();
      stop = true;
      await Promise.all(writers);
      await api.restart();

      const res = await fetch(`${api.url}/api/v1/namespaces/${NS}/configmaps`);
      const list = (await res.json()) as { metadata: { resourceVersion: string }; items: { metadata: { name: string; resourceVersion: string }; data: { value: string } }[] };
      const stored = new Map(list.items.map((i) => [i.metadata.name, i]));
      const lost = [...acked.entries()].filter(([name, a]) => stored.get(name)?.metadata.resourceVersion !== a.rv || stored.get(name)?.data.value !== a.value);
      expect(lost).toEqual([]);
      expect(acked.size).toBeGreaterThan(round * 50);
      const listRv = Number(list.metadata.resourceVersion);
      expect(listRv).toBeGreaterThanOrEqual(maxRv);
      for (const a of acked.values()) expect(Number(a.rv)).toBeLessThanOrEqual(listRv);
      maxRv = listRv;

      // A new write after the restart gets a larger revision than anything before.
      const after = await fetch(`${api.url}/api/v1/namespaces/${NS}/configmaps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: `after-${round}` }, data: { value: 'x' } }),
      });
      expect(after.status).toBe(201);
      const rv = Number(((await after.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
      expect(rv).toBeGreaterThan(Math.max(...[...acked.values()].map((a) => Number(a.rv))));
      maxRv = rv;
    }
  });

  it('resumes a watch across a restart from a resourceVersion before the crash', async () => {
    const list = (await (await fetch(`${api.url}/api/v1/namespaces/${NS}/configmaps?limit=1`)).json()) as { metadata: { resourceVersion: string } };
    const from = list.metadata.resourceVersion;
    const create = await fetch(`${api.url}/api/v1/namespaces/${NS}/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'resume-me' }, data: { a: 'b' } }),
    });
    expect(create.status).toBe(201);
    await api.kill9();
    await api.restart();
    const ctl = new AbortController();
    const res = await fetch(`${api.url}/api/v1/namespaces/${NS}/configmaps?watch=true&resourceVersion=${from}`, { signal: ctl.signal });
    const reader = res.body!.getReader();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('\n') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ctl.abort();
    const first = JSON.parse(text.split('\n')[0]!);
    expect(first.type).toBe('ADDED');
    expect(first.object.metadata.name).toBe('resume-me');
  });
});
