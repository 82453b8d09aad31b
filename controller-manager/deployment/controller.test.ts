import { describe, expect, it } from 'vitest';
import { byNamespace, keyOf, type IndexFunc, type Informer, type InformerHandlers } from '../../shared/informer.js';
import type { KubeObject } from '../../shared/types.js';
import { addHandlers } from './controller.js';
import { newDeployment, newReplicaSet } from './fake.test-helper.js';
import type { Deployment, ReplicaSet } from './types.js';

/** Just enough of an informer for the handlers: a store, an index, handlers to call. */
class StubInformer<T extends KubeObject> {
  readonly items = new Map<string, T>();
  handlers: InformerHandlers<T> = {};
  addHandlers(h: InformerHandlers<T>) {
    this.handlers = h;
  }
  get(key: string) {
    return this.items.get(key);
  }
  byIndex(_name: string, value: string) {
    return [...this.items.values()].filter((o) => (byNamespace as IndexFunc<T>)(o).includes(value));
  }
  put(o: T) {
    this.items.set(keyOf(o), o);
    return o;
  }
}

function setup() {
  const deployments = new StubInformer<Deployment>();
  const replicaSets = new StubInformer<ReplicaSet>();
  const pods = new StubInformer<KubeObject>();
  const queued: string[] = [];
  addHandlers(deployments as unknown as Informer<Deployment>, replicaSets as unknown as Informer<ReplicaSet>, pods as unknown as Informer<KubeObject>, (d) => queued.push(keyOf(d)));
  const d = deployments.put({ ...newDeployment('web', 2), metadata: { ...newDeployment('web', 2).metadata, uid: 'd-1' } });
  return { deployments, replicaSets, pods, queued, d };
}

describe('event handlers enqueue the Deployment concerned', () => {
  it('on deployment events', () => {
    const { deployments, queued, d } = setup();
    deployments.handlers.onAdd!(d);
    deployments.handlers.onUpdate!(d, d);
    deployments.handlers.onDelete!(d);
    expect(queued).toEqual(['default/web', 'default/web', 'default/web']);
  });

  it('on replica sets: the owner by name and uid, or for an orphan every matching deployment', () => {
    const { replicaSets, queued, d } = setup();
    const owned = newReplicaSet(d, 'web-a', 1);
    replicaSets.handlers.onAdd!(owned);
    const stale = newReplicaSet(d, 'web-b', 1);
    stale.metadata.ownerReferences![0]!.uid = 'an-older-web';
    replicaSets.handlers.onAdd!(stale);
    const orphan = { ...newReplicaSet(d, 'web-c', 1), metadata: { ...newReplicaSet(d, 'web-c', 1).metadata, ownerReferences: [] } };
    replicaSets.handlers.onAdd!(orphan);
    const unrelated = { ...orphan, metadata: { ...orphan.metadata, labels: { app: 'db' } } };
    replicaSets.handlers.onAdd!(unrelated);
    expect(queued).toEqual(['default/web', 'default/web']);
  });

  it('on replica set updates: skips resyncs, follows owner changes and orphans whose labels change', () => {
    const { replicaSets, queued, d } = setup();
    const rs = { ...newReplicaSet(d, 'web-a', 1), metadata: { ...newReplicaSet(d, 'web-a', 1).metadata, resourceVersion: '5' } };
    replicaSets.handlers.onUpdate!(rs, rs);
    expect(queued).toEqual([]);
    const released = { ...rs, metadata: { ...rs.metadata, resourceVersion: '6', ownerReferences: [], labels: { app: 'db' } } };
    replicaSets.handlers.onUpdate!(rs, released);
    expect(queued).toEqual(['default/web']);
    const relabelled = { ...released, metadata: { ...released.metadata, resourceVersion: '7', labels: { app: 'web' } } };
    replicaSets.handlers.onUpdate!(released, relabelled);
    expect(queued).toEqual(['default/web', 'default/web']);
  });

  it('on pod deletion, only for a Recreate deployment', () => {
    const { deployments, replicaSets, pods, queued, d } = setup();
    const rs = replicaSets.put({ ...newReplicaSet(d, 'web-a', 1), metadata: { ...newReplicaSet(d, 'web-a', 1).metadata, uid: 'rs-1' } });
    const pod: KubeObject = { metadata: { name: 'web-a-x', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-a', uid: rs.metadata.uid!, controller: true }] } };
    pods.handlers.onDelete!(pod);
    expect(queued).toEqual([]);
    deployments.put({ ...d, spec: { ...d.spec, strategy: { type: 'Recreate' } } });
    pods.handlers.onDelete!(pod);
    expect(queued).toEqual(['default/web']);
  });
});
