import { describe, expect, it } from 'vitest';
import { errors } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import { EXPECTATIONS_TIMEOUT_MS } from './expectations.js';
import { harness, newPod, newReplicaSet, NS } from './testutil.js';

const KEY = `${NS}/web`;

describe('ReplicaSet reconcile: creating', () => {
  it('creates the missing pods from the template with generateName, labels and a controller reference', async () => {
    const h = harness();
    const rs = h.addReplicaSet(newReplicaSet('web', 3));
    await h.controller.sync(KEY);
    const pods = h.client.all(R.pods, NS);
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.name).toMatch(/^web-/);
      expect(p.metadata.labels).toEqual({ app: 'web', tier: 'web' });
      expect(p.metadata.annotations).toEqual({ note: 'x' });
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(p.spec.containers[0].image).toBe('pause');
    }
    expect(h.recorder.events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
  });

  it('never creates twice while its creates are unobserved by a lagging informer', async () => {
    const h = harness();
    h.addReplicaSet(newReplicaSet('web', 3));
    await h.controller.sync(KEY);
    expect(h.creates()).toHaveLength(3);
    // The informer has seen none of them: the cache says 0 pods, the expectations say wait.
    await h.controller.sync(KEY);
    await h.controller.sync(KEY);
    expect(h.creates()).toHaveLength(3);
    // It sees two of three: still waiting for the third.
    const [a, b] = h.client.all(R.pods, NS);
    h.pods.set(a!);
    h.pods.set(b!);
    expect(h.controller.expectations.get(KEY)?.add).toBe(1);
    await h.controller.sync(KEY);
    expect(h.creates()).toHaveLength(3);
    h.observePods();
    expect(h.controller.expectations.satisfied(KEY)).toBe(true);
    await h.controller.sync(KEY);
    expect(h.creates()).toHaveLength(3);
    expect(h.client.peek(R.replicasets, NS, 'web')!.status.replicas).toBe(3);
  });

  it('acts again once expectations expire (5 minutes) even if the events never come', async () => {
    const h = harness();
    h.addReplicaSet(newReplicaSet('web', 2));
    await h.controller.sync(KEY);
    h.clock.advance(EXPECTATIONS_TIMEOUT_MS);
    await h.controller.sync(KEY);
    expect(h.creates()).toHaveLength(2);
    h.clock.advance(1);
    await h.controller.sync(KEY);
    expect(h.creates()).toHaveLength(4);
  });

  it('creates in slow-start batches of 1, 2, 4 … and stops after a failing batch', async () => {
    const h = harness();
    h.addReplicaSet(newReplicaSet('web', 10));
    let n = 0;
    h.client.reactor = (a) => (a.verb === 'create' && ++n > 3 ? errors.forbidden('pods "x" is forbidden: exceeded quota: pods') : undefined);
    await expect(h.controller.sync(KEY)).rejects.toThrow(/exceeded quota/);
    // Batch 1 (1 pod) and batch 2 (2 pods) succeed, batch 3 (4 pods) fails; the last 3 are never tried.
    expect(h.creates()).toHaveLength(7);
    expect(h.client.all(R.pods, NS)).toHaveLength(3);
    // Only the 3 successful creates are expected to be observed.
    expect(h.controller.expectations.get(KEY)?.add).toBe(3);
    expect(h.recorder.events.filter((e) => e.reason === 'FailedCreate')).toHaveLength(4);
    expect(h.recorder.events.find((e) => e.reason === 'FailedCreate')!.message).toMatch(/^Error creating: pods "x" is forbidden: exceeded quota/);
    const status = h.client.peek(R.replicasets, NS, 'web')!.status;
    expect(status.conditions).toEqual([expect.objectContaining({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: expect.stringMatching(/exceeded quota/) })]);
    // Once creates work again the condition goes away.
    h.client.reactor = undefined;
    h.observePods();
    await h.controller.sync(KEY);
    expect(h.client.all(R.pods, NS)).toHaveLength(10);
    expect(h.client.peek(R.replicasets, NS, 'web')!.status.conditions).toBeUndefined();
  });

  it('reports an invalid pod template as a condition and does not retry it', async () => {
    const h = harness();
    h.addReplicaSet(newReplicaSet('web', 2));
    h.client.reactor = (a) => (a.verb === 'create' ? errors.invalid('Pod', '', 'web-x', [{ field: 'spec.containers[0].image', message: 'Required value' }]) : undefined);
    await h.controller.sync(KEY);
    expect(h.creates()).toHaveLength(1);
    expect(h.client.peek(R.replicasets, NS, 'web')!.status.conditions[0]).toMatchObject({ type: 'ReplicaFailure', reason: 'FailedCreate' });
  });

  it('does not count terminal or terminating pods and replaces them', async () => {
    const h = harness();
    const rs = h.addReplicaSet(newReplicaSet('web', 3));
    h.addPod(newPod('ok', { owner: rs }));
    h.addPod(newPod('done', { owner: rs, phase: 'Succeeded' }));
    h.addPod(newPod('failed', { owner: rs, phase: 'Failed' }));
    h.addPod(newPod('going', { owner: rs, deleting: true }));
    await h.controller.sync(KEY);
    expect(h.creates()).toHaveLength(2);
    expect(h.deletes()).toHaveLength(0);
  });

  it('does not manage pods while the ReplicaSet is being deleted', async () => {
    const h = harness();
    const rs = newReplicaSet('web', 3);
    rs.metadata.deletionTimestamp = '2025-01-01T00:00:00Z';
    rs.metadata.finalizers = ['foregroundDeletion'];
    h.addReplicaSet(rs);
    await h.controller.sync(KEY);
    expect(h.creates()).toHaveLength(0);
  });

  it('forgets expectations of a deleted ReplicaSet', async () => {
    const h = harness();
    const rs = h.addReplicaSet(newReplicaSet('web', 2));
    await h.controller.sync(KEY);
    expect(h.controller.expectations.get(KEY)).toBeDefined();
    h.replicaSets.remove(rs);
    expect(h.controller.expectations.get(KEY)).toBeUndefined();
    await h.controller.sync(KEY);
    expect(h.creates()).toHaveLength(2);
  });
});

describe('ReplicaSet reconcile: deleting', () => {
  it('deletes the surplus once, counting a graceful delete and the final delete as one', async () => {
    const h = harness();
    const rs = h.addReplicaSet(newReplicaSet('web', 1));
    for (const n of ['a', 'b', 'c']) h.addPod(newPod(n, { owner: rs }));
    await h.controller.sync(KEY);
    expect(h.deletes()).toHaveLength(2);
    expect(h.recorder.events.filter((e) => e.reason === 'SuccessfulDelete')).toHaveLength(2);
    expect(h.recorder.events.find((e) => e.reason === 'SuccessfulDelete')!.message).toMatch(/^Deleted pod: [abc]$/);
    const deleted = h.deletes().map((d) => d.name!);
    // Informer lags: no second round of deletes.
    await h.controller.sync(KEY);
    expect(h.deletes()).toHaveLength(2);
    // A graceful delete shows up first as an update with deletionTimestamp, then as a delete.
    const first = h.pods.get(`${NS}/${deleted[0]}`)!;
    h.pods.set({ ...first, metadata: { ...first.metadata, deletionTimestamp: '2025-01-01T00:00:30Z', resourceVersion: '999' } });
    h.pods.remove(first);
    expect(h.controller.expectations.get(KEY)?.del).toBe(1);
    h.observePods();
    expect(h.controller.expectations.satisfied(KEY)).toBe(true);
    await h.controller.sync(KEY);
    expect(h.deletes()).toHaveLength(2);
    expect(h.client.all(R.pods, NS)).toHaveLength(1);
  });

  it('deletes by uid precondition and treats an already-gone pod as deleted', async () => {
    const h = harness();
    const rs = h.addReplicaSet(newReplicaSet('web', 0));
    const pod = h.addPod(newPod('a', { owner: rs }));
    h.client.reactor = (a) => (a.verb === 'delete' ? errors.notFound('pods', '', 'a') : undefined);
    await h.controller.sync(KEY);
    expect(h.deletes()[0]!.body).toEqual({ preconditions: { uid: pod.metadata.uid } });
    expect(h.controller.expectations.satisfied(KEY)).toBe(true);
  });

  it('scales down in Kubernetes order: unassigned, pending, not ready, then ready for less time', async () => {
    const h = harness();
    const now = h.clock.now().getTime();
    const rs = h.addReplicaSet(newReplicaSet('web', 2));
    const ago = (s: number) => new Date(now - s * 1000);
    h.addPod(newPod('ready-old', { owner: rs, node: 'n1', phase: 'Running', readySince: ago(3600), created: ago(4000) }));
    h.addPod(newPod('ready-new', { owner: rs, node: 'n2', phase: 'Running', readySince: ago(10), created: ago(4000) }));
    h.addPod(newPod('running-not-ready', { owner: rs, node: 'n3', phase: 'Running', created: ago(4000) }));
    h.addPod(newPod('pending-assigned', { owner: rs, node: 'n4', phase: 'Pending', created: ago(4000) }));
    h.addPod(newPod('unassigned', { owner: rs, created: ago(4000) }));
    await h.controller.sync(KEY);
    expect(h.deletes().map((d) => d.name).sort()).toEqual(['pending-assigned', 'running-not-ready', 'unassigned']);
    h.observePods();
    const left = h.client.all(R.pods, NS).map((p) => p.metadata.name);
    expect(left.sort()).toEqual(['ready-new', 'ready-old']);
    // One more step down: the pod ready for the shorter time goes.
    h.client.seed(R.replicasets, { ...h.client.peek(R.replicasets, NS, 'web')!, spec: { ...rs.spec, replicas: 1 } });
    h.observeReplicaSets();
    await h.controller.sync(KEY);
    expect(h.deletes().at(-1)!.name).toBe('ready-new');
  });
});

describe('ReplicaSet reconcile: claiming', () => {
  it('ignores pods of other controllers, keeps its own, releases non-matching ones and adopts matching orphans', async () => {
    const h = harness();
    const rs = h.addReplicaSet(newReplicaSet('web', 2, { labels: { app: 'web' } }));
    const other = h.addReplicaSet({ ...newReplicaSet('other', 0, { labels: { app: 'web' } }) });
    h.addPod(newPod('theirs', { owner: other, labels: { app: 'web' } }));
    h.addPod(newPod('mine', { owner: rs, labels: { app: 'web' } }));
    const relabeled = h.addPod(newPod('relabeled', { owner: rs, labels: { app: 'db' } }));
    const orphan = h.addPod(newPod('orphan', { labels: { app: 'web' } }));
    h.addPod(newPod('stranger', { labels: { app: 'db' } }));
    await h.controller.sync(KEY);
    const patches = h.client.actions.filter((a) => a.verb === 'patch');
    expect(patches.map((p) => p.name).sort()).toEqual(['orphan', 'relabeled']);
    expect(patches.find((p) => p.name === 'relabeled')!.body).toEqual({ metadata: { ownerReferences: [{ $patch: 'delete', uid: rs.metadata.uid }], uid: relabeled.metadata.uid } });
    expect(h.client.peek(R.pods, NS, 'relabeled')!.metadata.ownerReferences).toEqual([]);
    expect(h.client.peek(R.pods, NS, 'orphan')!.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(patches.find((p) => p.name === 'orphan')!.body).toMatchObject({ metadata: { uid: orphan.metadata.uid } });
    // Adoption re-read the ReplicaSet live first.
    expect(h.client.actions.some((a) => a.verb === 'get' && a.resource === 'replicasets' && a.name === 'web')).toBe(true);
    // mine + orphan = 2 = replicas: nothing to create or delete.
    expect(h.creates()).toHaveLength(0);
    expect(h.deletes()).toHaveLength(0);
    expect(h.client.peek(R.pods, NS, 'theirs')!.metadata.ownerReferences![0]!.uid).toBe(other.metadata.uid);
  });

  it('neither adopts nor releases while being deleted', async () => {
    const h = harness();
    const rs = newReplicaSet('web', 2, { labels: { app: 'web' } });
    rs.metadata.deletionTimestamp = '2025-01-01T00:00:00Z';
    rs.metadata.finalizers = ['orphan'];
    const stored = h.addReplicaSet(rs);
    h.addPod(newPod('relabeled', { owner: stored, labels: { app: 'db' } }));
    h.addPod(newPod('orphan', { labels: { app: 'web' } }));
    await h.controller.sync(KEY);
    expect(h.client.actions.filter((a) => a.verb === 'patch')).toHaveLength(0);
  });

  it('refuses to adopt when the live ReplicaSet is another object or is being deleted', async () => {
    const h = harness();
    h.addReplicaSet(newReplicaSet('web', 1, { labels: { app: 'web' } }));
    h.addPod(newPod('orphan', { labels: { app: 'web' } }));
    // The server's "web" was deleted and re-created; the cache still has the old one.
    h.client.seed(R.replicasets, { ...newReplicaSet('web', 1, { labels: { app: 'web' } }), metadata: { name: 'web', namespace: NS, uid: 'new-uid' } });
    await expect(h.controller.sync(KEY)).rejects.toThrow(/is gone: got uid new-uid/);
    expect(h.client.actions.filter((a) => a.verb === 'patch')).toHaveLength(0);
    expect(h.creates()).toHaveLength(0);
  });

  it('enqueues the matching ReplicaSets when an orphan appears or a pod is relabeled', async () => {
    const h = harness();
    const rs = h.addReplicaSet(newReplicaSet('web', 1, { labels: { app: 'web' } }));
    h.addReplicaSet(newReplicaSet('db', 1, { labels: { app: 'db' } }));
    const drain = async () => {
      const keys: string[] = [];
      while (h.controller.queue.length) {
        const k = (await h.controller.queue.get())!;
        keys.push(k);
        h.controller.queue.done(k);
      }
      return keys.sort();
    };
    expect(await drain()).toEqual([`${NS}/db`, `${NS}/web`]);
    h.pods.set(h.client.seed(R.pods, newPod('o', { labels: { app: 'web' } })));
    expect(await drain()).toEqual([`${NS}/web`]);
    const mine = h.client.seed(R.pods, newPod('m', { owner: rs, labels: { app: 'web' } }));
    h.pods.set(mine);
    expect(await drain()).toEqual([`${NS}/web`]);
    // Relabeled but still controlled by web: only web hears of it until web releases it.
    h.pods.set({ ...mine, metadata: { ...mine.metadata, labels: { app: 'db' }, resourceVersion: '5000' } });
    expect(await drain()).toEqual([`${NS}/web`]);
    h.pods.set({ ...mine, metadata: { ...mine.metadata, labels: { app: 'db' }, ownerReferences: [], resourceVersion: '5001' } });
    expect(await drain()).toEqual([`${NS}/db`, `${NS}/web`]);
  });
});

describe('ReplicaSet reconcile: status', () => {
  it('counts replicas, fully labeled, ready and available pods and writes status only when it changed', async () => {
    const h = harness();
    const now = h.clock.now().getTime();
    const rs = h.addReplicaSet(newReplicaSet('web', 4, { minReadySeconds: 30, labels: { app: 'web' } }));
    h.addPod(newPod('available', { owner: rs, labels: { app: 'web', tier: 'web' }, phase: 'Running', readySince: new Date(now - 60_000) }));
    h.addPod(newPod('ready', { owner: rs, labels: { app: 'web', tier: 'web' }, phase: 'Running', readySince: new Date(now - 10_000) }));
    h.addPod(newPod('partly-labeled', { owner: rs, labels: { app: 'web' }, phase: 'Running', readySince: new Date(now - 10_000) }));
    h.addPod(newPod('pending', { owner: rs, labels: { app: 'web', tier: 'web' } }));
    await h.controller.sync(KEY);
    const statusWrites = () => h.client.actions.filter((a) => a.verb === 'update' && a.sub === 'status');
    expect(statusWrites()).toHaveLength(1);
    const written = h.client.peek(R.replicasets, NS, 'web')!;
    expect(written.status).toEqual({ replicas: 4, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 1, observedGeneration: 1 });
    expect(written.spec.replicas).toBe(4);
    h.observeReplicaSets();
    await h.controller.sync(KEY);
    expect(statusWrites()).toHaveLength(1);
    // 20 s later the two pods ready for 10 s are still not available; at 21 s they are.
    h.clock.advance(21_000);
    await h.controller.sync(KEY);
    expect(h.client.peek(R.replicasets, NS, 'web')!.status.availableReplicas).toBe(3);
  });

  it('requeues after minReadySeconds when all are ready but not yet available', async () => {
    const h = harness();
    const now = h.clock.now().getTime();
    const rs = h.addReplicaSet(newReplicaSet('web', 1, { minReadySeconds: 10, labels: { app: 'web' } }));
    h.addPod(newPod('a', { owner: rs, labels: { app: 'web' }, phase: 'Running', readySince: new Date(now - 1000) }));
    while (h.controller.queue.length) h.controller.queue.done((await h.controller.queue.get())!);
    await h.controller.sync(KEY);
    expect(h.clock.pendingTimers).toBe(1);
    h.clock.advance(10_000);
    expect(h.controller.queue.length).toBe(1);
  });
});
