import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../shared/client.js';
import { errors } from '../../shared/errors.js';
import { GVK, R } from '../../shared/resources.js';
import type { KubeObject, OwnerReference } from '../../shared/types.js';
import { FakeClient, FakeInformer } from '../replicaset/fakes.js';
import { GarbageCollector } from './controller.js';
import type { WatchedResource } from './graph.js';
import { attemptToDeleteItem, attemptToOrphanItem } from './reconcile.js';
import { RestMapper } from './restmapper.js';

const NS = 'gc';

function harness() {
  const client = new FakeClient();
  const kinds = [
    { ref: R.pods, ...GVK.Pod },
    { ref: R.replicasets, ...GVK.ReplicaSet },
    { ref: R.deployments, ...GVK.Deployment },
  ];
  const resources: WatchedResource[] = kinds.map((k) => ({ ...k, informer: new FakeInformer() }));
  const informerOf = (r: ResourceRef) => resources.find((x) => x.ref === r)!.informer as FakeInformer;
  const discovery = {
    request: async (_method: string, path: string) => {
      if (path !== '/api/v1') throw errors.notFound('', '', path);
      return { groupVersion: 'v1', resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }, { name: 'pods/status', kind: 'Pod', namespaced: true }] };
    },
  };
  const gc = new GarbageCollector({ client, resources, mapper: new RestMapper(discovery as never, kinds), log: pino({ level: 'silent' }) });
  /** Creates on the "server" and delivers to the informer. */
  const add = (r: ResourceRef, obj: KubeObject): KubeObject => {
    const stored = client.seed(r, obj);
    informerOf(r).set(stored);
    return stored;
  };
  /** Every informer catches up with the server. */
  const observe = () => {
    for (const res of resources) {
      const inf = res.informer as FakeInformer;
      const live = new Map(client.all(res.ref).map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
      for (const o of inf.list()) {
        const cur = live.get(`${o.metadata.namespace}/${o.metadata.name}`);
        if (!cur || cur.metadata.uid !== o.metadata.uid) inf.remove(o);
      }
      for (const o of live.values()) if (inf.get(`${o.metadata.namespace}/${o.metadata.name}`)?.metadata.resourceVersion !== o.metadata.resourceVersion) inf.set(o);
    }
  };
  /** Runs both queues (observing between rounds) until nothing is left to do. */
  const drain = async () => {
    for (let round = 0; round < 50; round++) {
      if (!gc.attemptToDelete.length && !gc.attemptToOrphan.length) return;
      while (gc.attemptToDelete.length) {
        const uid = (await gc.attemptToDelete.get())!;
        await attemptToDeleteItem(uid, gc.deps);
        gc.attemptToDelete.done(uid);
      }
      while (gc.attemptToOrphan.length) {
        const uid = (await gc.attemptToOrphan.get())!;
        await attemptToOrphanItem(uid, gc.deps);
        gc.attemptToOrphan.done(uid);
      }
      observe();
    }
    throw new Error('garbage collector did not settle');
  };
  const deletes = () => client.actions.filter((a) => a.verb === 'delete');
  return { client, gc, add, observe, drain, deletes, informerOf };
}

const ownerRef = (owner: KubeObject, kind: string, block = true): OwnerReference => ({
  apiVersion: kind === 'Deployment' || kind === 'ReplicaSet' ? 'apps/v1' : 'v1',
  kind,
  name: owner.metadata.name!,
  uid: owner.metadata.uid!,
  controller: true,
  blockOwnerDeletion: block,
});
const rs = (name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: NS, ...extra }, spec: {} });
const pod = (name: string, owners: OwnerReference[], extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, ownerReferences: owners, ...extra },
  spec: {},
});

describe('garbage collector: background', () => {
  it('deletes the dependents of a deleted owner, by UID and resourceVersion precondition', async () => {
    const h = harness();
    const owner = h.add(R.replicasets, rs('web'));
    const a = h.add(R.pods, pod('a', [ownerRef(owner, 'ReplicaSet')]));
    const b = h.add(R.pods, pod('b', [ownerRef(owner, 'ReplicaSet')]));
    await h.drain();
    expect(h.deletes()).toHaveLength(0);
    h.client.actions.length = 0;
    await h.client.delete(R.replicasets, NS, 'web');
    h.observe();
    await h.drain();
    expect(h.client.all(R.pods)).toHaveLength(0);
    const podDeletes = h.deletes().filter((d) => d.resource === 'pods');
    expect(podDeletes.map((d) => d.body).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual(
      [a, b]
        .map((p) => ({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid: p.metadata.uid, resourceVersion: p.metadata.resourceVersion } }))
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    );
    // The owner's absence was read live once; the second dependent used the absent-owner cache.
    expect(h.client.actions.filter((x) => x.verb === 'get' && x.resource === 'replicasets')).toHaveLength(1);
  });

  it('keeps a dependent whose owner the cache has not seen yet but the apiserver has', async () => {
    const h = harness();
    const owner = h.client.seed(R.replicasets, rs('web')); // not delivered to the informer
    h.add(R.pods, pod('a', [ownerRef(owner, 'ReplicaSet')]));
    await h.drain();
    expect(h.deletes()).toHaveLength(0);
    expect(h.client.actions.some((x) => x.verb === 'get' && x.resource === 'replicasets' && x.name === 'web')).toBe(true);
  });

  it('deletes a dependent whose owner reference is dangling (same name, other UID)', async () => {
    const h = harness();
    h.add(R.replicasets, rs('web'));
    h.add(R.pods, pod('a', [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'long-gone', controller: true }]));
    await h.drain();
    expect(h.client.all(R.pods)).toHaveLength(0);
  });

  it('never deletes a re-created object that carries the same name', async () => {
    const h = harness();
    h.add(R.pods, pod('a', [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'long-gone' }]));
    // Server side, "a" was deleted and created again (new UID, no owner); the cache lags.
    h.client.seed(R.pods, pod('a', [], { uid: 'new-a' }));
    await h.drain();
    expect(h.deletes()).toHaveLength(0);
    expect(h.client.peek(R.pods, NS, 'a')!.metadata.uid).toBe('new-a');
  });

  it('retries a delete without the resourceVersion only if the owners did not change', async () => {
    const h = harness();
    const a = h.add(R.pods, pod('a', [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'gone' }]));
    let first = true;
    h.client.reactor = (x) => {
      if (x.verb !== 'delete' || !first) return undefined;
      first = false;
      return errors.conflict('pods', '', 'a', 'Precondition failed: ResourceVersion in precondition');
    };
    await h.drain();
    const bodies = h.deletes().map((d) => (d.body as { preconditions: unknown }).preconditions);
    expect(bodies).toEqual([{ uid: a.metadata.uid, resourceVersion: a.metadata.resourceVersion }, { uid: a.metadata.uid }]);
    expect(h.client.all(R.pods)).toHaveLength(0);
  });

  it('removes only the dangling reference of an object that still has an owner', async () => {
    const h = harness();
    const owner = h.add(R.replicasets, rs('web'));
    const a = h.add(R.pods, pod('a', [ownerRef(owner, 'ReplicaSet'), { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'old', uid: 'gone' }]));
    await h.drain();
    expect(h.deletes()).toHaveLength(0);
    expect(h.client.peek(R.pods, NS, 'a')!.metadata.ownerReferences).toEqual([ownerRef(owner, 'ReplicaSet')]);
    expect(h.client.actions.find((x) => x.verb === 'patch')!.body).toEqual({ metadata: { ownerReferences: [{ $patch: 'delete', uid: 'gone' }], uid: a.metadata.uid } });
  });
});

describe('garbage collector: foreground', () => {
  it('deletes all dependents, then removes the finalizer once no blocking dependent is left', async () => {
    const h = harness();
    const owner = h.add(R.replicasets, rs('web'));
    h.add(R.pods, pod('a', [ownerRef(owner, 'ReplicaSet')]));
    h.add(R.pods, pod('held', [ownerRef(owner, 'ReplicaSet')], { finalizers: ['test/hold'] }));
    h.add(R.pods, pod('loose', [ownerRef(owner, 'ReplicaSet', false)]));
    await h.client.delete(R.replicasets, NS, 'web', { propagationPolicy: 'Foreground' });
    h.observe();
    await h.drain();
    // "held" is terminating but still there: the owner waits, with its finalizer.
    expect(h.client.all(R.pods).map((p) => p.metadata.name)).toEqual(['held']);
    expect(h.client.peek(R.replicasets, NS, 'web')!.metadata.finalizers).toEqual(['foregroundDeletion']);
    // Its finalizer goes; the pod is removed, and then the owner.
    await h.client.patch(R.pods, NS, 'held', { metadata: { finalizers: [] } });
    h.observe();
    await h.drain();
    expect(h.client.all(R.pods)).toHaveLength(0);
    expect(h.client.peek(R.replicasets, NS, 'web')).toBeUndefined();
  });

  it('deletes a dependent that has dependents itself in the foreground (Deployment → ReplicaSet → pods)', async () => {
    const h = harness();
    const deploy = h.add(R.deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: NS }, spec: {} });
    const set = h.add(R.replicasets, rs('d-1', { ownerReferences: [ownerRef(deploy, 'Deployment')] }));
    h.add(R.pods, pod('p1', [ownerRef(set, 'ReplicaSet')]));
    h.add(R.pods, pod('p2', [ownerRef(set, 'ReplicaSet')]));
    await h.client.delete(R.deployments, NS, 'd', { propagationPolicy: 'Foreground' });
    h.observe();
    await h.drain();
    const rsDelete = h.deletes().find((d) => d.resource === 'replicasets')!;
    expect(rsDelete.body).toMatchObject({ propagationPolicy: 'Foreground', preconditions: { uid: set.metadata.uid } });
    expect(h.client.all(R.pods)).toHaveLength(0);
    expect(h.client.all(R.replicasets)).toHaveLength(0);
    expect(h.client.all(R.deployments)).toHaveLength(0);
  });
});

describe('garbage collector: orphan', () => {
  it('removes the owner reference from every dependent, then the orphan finalizer', async () => {
    const h = harness();
    const owner = h.add(R.replicasets, rs('web'));
    h.add(R.pods, pod('a', [ownerRef(owner, 'ReplicaSet')]));
    h.add(R.pods, pod('b', [ownerRef(owner, 'ReplicaSet')]));
    await h.client.delete(R.replicasets, NS, 'web', { propagationPolicy: 'Orphan' });
    h.observe();
    await h.drain();
    expect(h.client.peek(R.replicasets, NS, 'web')).toBeUndefined();
    const pods = h.client.all(R.pods);
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(['a', 'b']);
    for (const p of pods) expect(p.metadata.ownerReferences).toEqual([]);
    expect(h.deletes().filter((d) => d.resource === 'pods')).toHaveLength(0);
  });

  it('leaves an owner alone that is not being deleted', async () => {
    const h = harness();
    const owner = h.add(R.replicasets, rs('web', { finalizers: ['orphan'] }));
    h.add(R.pods, pod('a', [ownerRef(owner, 'ReplicaSet')]));
    await attemptToOrphanItem(owner.metadata.uid!, h.gc.deps);
    expect(h.client.actions.filter((x) => x.verb === 'patch')).toHaveLength(0);
  });
});

describe('garbage collector: owners of kinds it does not watch', () => {
  it('finds the owner through discovery and notices its deletion on resync', async () => {
    const h = harness();
    const cm = h.client.seed(R.configmaps, { metadata: { name: 'owner', namespace: NS } });
    h.add(R.pods, pod('a', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: cm.metadata.uid! }]));
    await h.drain();
    expect(h.deletes()).toHaveLength(0);
    await h.client.delete(R.configmaps, NS, 'owner');
    await h.drain();
    expect(h.client.all(R.pods)).toHaveLength(1); // no event can tell: only a resync does
    h.gc.resync();
    await h.drain();
    expect(h.client.all(R.pods)).toHaveLength(0);
  });

  it('retries an owner kind the apiserver does not serve', async () => {
    const h = harness();
    h.add(R.pods, pod('a', [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w-uid' }]));
    await expect(h.drain()).rejects.toThrow(/unable to map example.com\/v1\/Widget/);
    expect(h.deletes()).toHaveLength(0);
  });
});
