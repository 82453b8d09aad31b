// The ReplicaSet controller against a real apiserver and controller-manager: exact pod
// counts (also under a fast scale-up), replacement, scale-down order, status with
// minReadySeconds, adoption and release. Pods are never run: no node, no scheduler;
// the test marks pods Running/Ready through the status subresource.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { type ApiserverProcess, type ComponentProcess, startApiserver, startControllerManager } from '../support/apiserver.js';

let api: ApiserverProcess;
let cm: ComponentProcess;
let client: Client;

beforeAll(async () => {
  api = await startApiserver();
  cm = await startControllerManager(api.url, ['--leader-elect=false', '--controllers', 'replicaset,garbagecollector']);
  client = new Client(api.url);
});

afterAll(async () => {
  await cm?.stop();
  await api?.cleanup();
});

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${cm.output().slice(-3000)}`);
}

async function namespace(name: string): Promise<string> {
  await client.create(R.namespaces, undefined, { metadata: { name } });
  return name;
}

function replicaSet(name: string, replicas: number, labels: Record<string, string>, minReadySeconds = 0): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: { replicas, minReadySeconds, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'skiff/pause' }] } } },
  };
}

async function livePods(ns: string): Promise<KubeObject[]> {
  return (await client.list(R.pods, ns)).items.filter((p) => !p.metadata.deletionTimestamp);
}

/** Follows the pods of a namespace: how many were ever created, and the most alive at once. */
async function watchPods(ns: string) {
  const start = await client.list(R.pods, ns);
  const alive = new Set(start.items.map((p) => p.metadata.uid!));
  const stats = { added: 0, max: alive.size, alive };
  const abort = new AbortController();
  const done = (async () => {
    try {
      for await (const e of client.watch(R.pods, ns, { resourceVersion: start.metadata.resourceVersion }, abort.signal)) {
        if (e.type === 'ADDED') {
          stats.added++;
          alive.add(e.object.metadata.uid!);
        } else if (e.type === 'DELETED') alive.delete(e.object.metadata.uid!);
        stats.max = Math.max(stats.max, alive.size);
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return { stats, stop: async () => (abort.abort(), await done) };
}

/** What the kubelet would report for a started, ready pod. */
async function markReady(ns: string, name: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await client.patch(R.pods, ns, name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, 'merge', 'status');
}

const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

describe('ReplicaSet controller', () => {
  it('creates exactly the requested pods, owned by the ReplicaSet, and reports them in status', async () => {
    const ns = await namespace('rs-exact');
    const w = await watchPods(ns);
    const rs = await client.create(R.replicasets, ns, replicaSet('web', 3, { app: 'web' }));
    const pods = await waitFor('3 pods', async () => ((await livePods(ns)).length === 3 ? livePods(ns) : undefined));
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    const status = await waitFor('status', async () => {
      const cur = await client.get(R.replicasets, ns, 'web');
      return cur.status?.replicas === 3 && cur.status?.observedGeneration === 1 ? cur.status : undefined;
    });
    expect(status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
    await settle();
    await w.stop();
    expect(w.stats.added).toBe(3);
    expect(w.stats.max).toBe(3);
    const events = await waitFor('events', async () => {
      const evs = (await client.list(R.events, ns)).items.filter((e) => e.reason === 'SuccessfulCreate');
      return evs.length === 3 ? evs : undefined;
    });
    expect(events.map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
  });

  it('never has more than 50 pods when scaled quickly from 0 to 50', async () => {
    const ns = await namespace('rs-burst');
    await client.create(R.replicasets, ns, replicaSet('burst', 0, { app: 'burst' }));
    const w = await watchPods(ns);
    for (const n of [5, 20, 50]) await client.patch(R.replicasets, ns, 'burst', { spec: { replicas: n } }, 'merge', 'scale');
    await waitFor('50 pods', async () => (await livePods(ns)).length === 50, 60_000);
    await settle(2000);
    await w.stop();
    expect(w.stats.max).toBe(50);
    expect(w.stats.added).toBe(50);
    expect(await livePods(ns)).toHaveLength(50);
  });

  it('replaces a deleted pod', async () => {
    const ns = await namespace('rs-replace');
    await client.create(R.replicasets, ns, replicaSet('web', 3, { app: 'web' }));
    const before = await waitFor('3 pods', async () => ((await livePods(ns)).length === 3 ? livePods(ns) : undefined));
    const victim = before[0]!.metadata.name!;
    await client.delete(R.pods, ns, victim);
    const after = await waitFor('a replacement', async () => {
      const pods = await livePods(ns);
      return pods.length === 3 && !pods.some((p) => p.metadata.name === victim) ? pods : undefined;
    });
    expect(after.filter((p) => before.some((b) => b.metadata.uid === p.metadata.uid))).toHaveLength(2);
    await settle(1000);
    expect(await livePods(ns)).toHaveLength(3);
  });

  it('scales down the pods that are not ready first', async () => {
    const ns = await namespace('rs-down');
    await client.create(R.replicasets, ns, replicaSet('web', 5, { app: 'web' }));
    const pods = await waitFor('5 pods', async () => ((await livePods(ns)).length === 5 ? livePods(ns) : undefined));
    const ready = pods.slice(0, 2).map((p) => p.metadata.name!);
    for (const name of ready) await markReady(ns, name);
    await waitFor('readyReplicas 2', async () => (await client.get(R.replicasets, ns, 'web')).status?.readyReplicas === 2);
    await client.patch(R.replicasets, ns, 'web', { spec: { replicas: 2 } }, 'merge', 'scale');
    const left = await waitFor('2 pods', async () => ((await livePods(ns)).length === 2 ? livePods(ns) : undefined));
    expect(left.map((p) => p.metadata.name).sort()).toEqual([...ready].sort());
    const events = await waitFor('3 SuccessfulDelete events', async () => {
      const evs = (await client.list(R.events, ns)).items.filter((e) => e.reason === 'SuccessfulDelete');
      return evs.length === 3 ? evs : undefined;
    });
    expect(events.map((e) => e.message.replace('Deleted pod: ', '')).sort()).toEqual(pods.map((p) => p.metadata.name!).filter((n) => !ready.includes(n)).sort());
  });

  it('reports availableReplicas only after minReadySeconds', async () => {
    const ns = await namespace('rs-minready');
    await client.create(R.replicasets, ns, replicaSet('web', 2, { app: 'web' }, 2));
    const pods = await waitFor('2 pods', async () => ((await livePods(ns)).length === 2 ? livePods(ns) : undefined));
    for (const p of pods) await markReady(ns, p.metadata.name!);
    const first = await waitFor('readyReplicas 2', async () => {
      const s = (await client.get(R.replicasets, ns, 'web')).status;
      return s?.readyReplicas === 2 ? s : undefined;
    });
    expect(first.availableReplicas ?? 0).toBe(0);
    // No event announces the passing of minReadySeconds: the controller requeues itself.
    await waitFor('availableReplicas 2', async () => (await client.get(R.replicasets, ns, 'web')).status?.availableReplicas === 2, 10_000);
  });

  it('adopts a matching orphan and releases a pod relabeled out of its selector', async () => {
    const ns = await namespace('rs-claim');
    await client.create(R.pods, ns, { metadata: { name: 'stray', labels: { app: 'claim' } }, spec: { containers: [{ name: 'app', image: 'skiff/pause' }] } });
    const rs = await client.create(R.replicasets, ns, replicaSet('claim', 2, { app: 'claim' }));
    const owned = await waitFor('2 owned pods including the orphan', async () => {
      const pods = await livePods(ns);
      const mine = pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid && r.controller));
      return pods.length === 2 && mine.length === 2 ? mine : undefined;
    });
    expect(owned.map((p) => p.metadata.name)).toContain('stray');
    // Relabel the adopted pod away: released (no owner) and replaced.
    await client.patch(R.pods, ns, 'stray', { metadata: { labels: { app: 'elsewhere' } } });
    await waitFor('release and replacement', async () => {
      const pods = await livePods(ns);
      const stray = pods.find((p) => p.metadata.name === 'stray');
      const mine = pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid));
      return stray && (stray.metadata.ownerReferences ?? []).length === 0 && mine.length === 2 && pods.length === 3;
    });
  });
});
