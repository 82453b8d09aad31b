// Watch semantics a client relies on: WebSocket transport, bookmarks, 410 Expired for
// compacted revisions, selectors that objects enter and leave, timeoutSeconds, and a
// watcher too slow to keep up being cut off without stalling the others.
import { connect } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiserver, type ApiserverProcess } from '../support/apiserver.js';

const CM = '/api/v1/namespaces/default/configmaps';

async function post(api: ApiserverProcess, body: object): Promise<{ metadata: { resourceVersion: string } }> {
  const res = await fetch(`${api.url}${CM}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as { metadata: { resourceVersion: string } };
}

/** Reads NDJSON watch events until `until` says stop, the stream ends, or the deadline passes. */
async function readEvents(url: string, until: (events: any[]) => boolean, ms = 10_000): Promise<{ events: any[]; ended: boolean }> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), ms);
  const events: any[] = [];
  let ended = false;
  try {
    const res = await fetch(url, { signal: ctl.signal });
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
      if (until(events)) return { events, ended };
    }
    ended = true;
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return { events, ended };
}

describe('watch', () => {
  let api: ApiserverProcess;
  beforeAll(async () => {
    api = await startApiserver(['--watch-cache-size', '50', '--bookmark-interval', '200']);
  });
  afterAll(async () => {
    await api?.cleanup();
  });

  it('streams events over a WebSocket', async () => {
    const ws = new WebSocket(`${api.url.replace('http', 'ws')}${CM}?watch=true&labelSelector=via=ws`);
    const got: any[] = [];
    ws.on('message', (m) => got.push(JSON.parse(m.toString())));
    await new Promise((r) => ws.once('open', r));
    await post(api, { metadata: { name: 'ws-1', labels: { via: 'ws' } } });
    await post(api, { metadata: { name: 'not-me' } });
    const deadline = Date.now() + 10_000;
    while (got.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    ws.close();
    expect(got.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED ws-1']);
  });

  it('sends bookmarks when allowed, and ends the stream at timeoutSeconds', async () => {
    const { metadata } = await post(api, { metadata: { name: 'bm' } });
    const started = Date.now();
    const { events, ended } = await readEvents(`${api.url}${CM}?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${metadata.resourceVersion}`, () => false, 10_000);
    expect(ended).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    const bookmarks = events.filter((e) => e.type === 'BOOKMARK');
    expect(bookmarks.length).toBeGreaterThan(0);
    expect(bookmarks[0].object).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: expect.any(String) } });
  });

  it('answers a compacted resourceVersion with a 410 Expired ERROR event', async () => {
    const first = await post(api, { metadata: { name: 'old-0' } });
    for (let i = 1; i <= 60; i++) await post(api, { metadata: { name: `old-${i}` } });
    const { events } = await readEvents(`${api.url}${CM}?watch=true&resourceVersion=${first.metadata.resourceVersion}`, (e) => e.length > 0);
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('reports objects entering and leaving a label selector as ADDED and DELETED', async () => {
    const { metadata } = await post(api, { metadata: { name: 'mover', labels: { team: 'a' } } });
    const watching = readEvents(`${api.url}${CM}?watch=true&labelSelector=team=b&resourceVersion=${metadata.resourceVersion}`, (e) => e.length >= 2);
    const patch = (labels: object) =>
      fetch(`${api.url}${CM}/mover`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { labels } }) });
    expect((await patch({ team: 'b' })).status).toBe(200);
    expect((await patch({ team: 'c' })).status).toBe(200);
    const { events } = await watching;
    expect(events.map((e) => `${e.type} ${e.object.metadata.labels.team}`)).toEqual(['ADDED b', 'DELETED c']);
  });

  it('cuts off a watcher that does not read, and keeps serving the others', async () => {
    const start = await post(api, { metadata: { name: 'slow-start' } });
    // A raw socket that sends a watch request and then never reads.
    const slow = connect(Number(new URL(api.url).port), '127.0.0.1');
    await new Promise((r) => slow.once('connect', r));
    slow.pause();
    slow.write(`GET ${CM}?watch=true&resourceVersion=${start.metadata.resourceVersion} HTTP/1.1\r\nHost: x\r\n\r\n`);
    let closed = false;
    slow.on('close', () => (closed = true));
    const healthy = readEvents(`${api.url}${CM}?watch=true&labelSelector=big=yes&resourceVersion=${start.metadata.resourceVersion}`, (e) => e.length >= 40, 60_000);
    const big = 'x'.repeat(900 * 1024);
    for (let i = 0; i < 40; i++) await post(api, { metadata: { name: `big-${i}`, labels: { big: 'yes' } }, data: { big } });
    const { events } = await healthy;
    expect(events).toHaveLength(40);
    // The slow watcher's backlog passed the limit: the server closed its stream.
    slow.resume();
    const deadline = Date.now() + 20_000;
    while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
    slow.destroy();
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
  });
});
