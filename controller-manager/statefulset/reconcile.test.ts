import { beforeEach, describe, expect, it } from 'vitest';
import { FakeRecorder } from '../../shared/events.js';
import { byNamespace } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { FakeClient, FakeLister } from '../daemonset/fake.js';
import { syncStatefulSet, type StatefulSetDeps } from './reconcile.js';
import { updateRevisionOf } from './revision.js';

const T0 = Date.parse('2024-01-01T00:00:00Z');

function statefulSet(spec: Record<string, unknown> = {}, image = 'db:1'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'sts-uid', generation: 1, resourceVersion: '1' },
    spec: {
      replicas: 3,
      serviceName: 'web-svc',
      selector: { matchLabels: { app: 'web' } },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'db', image, volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...spec,
    },
  };
}

class World {
  now = T0;
  client = new FakeClient(() => new Date(this.now));
  recorder = new FakeRecorder();
  sets = new FakeLister();
  pods = new FakeLister({ namespace: byNamespace });
  claims = new FakeLister();
  deps: StatefulSetDeps = { client: this.client, recorder: this.recorder, statefulSets: this.sets, pods: this.pods, claims: this.claims, now: () => new Date(this.now) };

  constructor(set: KubeObject) {
    this.client.seed(R.statefulsets, set);
    this.observe();
  }

  observe(): void {
    this.pods.replace(this.client.list(R.pods));
    this.sets.replace(this.client.list(R.statefulsets));
    this.claims.replace(this.client.list(R.persistentvolumeclaims));
  }

  async sync(): Promise<void> {
    this.observe();
    await syncStatefulSet('ns/web', this.deps);
  }

  names(): string[] {
    return this.client
      .list(R.pods)
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.name!)
      .sort();
  }

  /** The kubelet: bound pods become Running and Ready; terminating pods finish and go. */
  kubelet(only?: string[]): void {
    for (const p of this.client.list(R.pods)) {
      if (only && !only.includes(p.metadata.name!)) continue;
      if (p.metadata.deletionTimestamp) {
        this.client.objects.delete(`pods/ns/${p.metadata.name}`);
        continue;
      }
      p.spec.nodeName = 'n1';
      p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(this.now).toISOString() }] };
      this.client.seed(R.pods, p);
    }
  }

  set(): KubeObject {
    return this.client.list(R.statefulsets)[0]!;
  }

  update(spec: Record<string, unknown>, image?: string): void {
    const next = statefulSet(spec, image);
    next.metadata.generation = (this.set().metadata.generation ?? 1) + 1;
    next.status = this.set().status;
    this.client.seed(R.statefulsets, next);
  }
}

describe('StatefulSet sync', () => {
  let w: World;
  beforeEach(() => {
    w = new World(statefulSet());
  });

  it('creates x-0 with its identity and its claim, created before the pod', async () => {
    await w.sync();
    expect(w.names()).toEqual(['web-0']);
    expect(w.client.writes().slice(0, 2)).toEqual(['create persistentvolumeclaims data-web-0', 'create pods web-0']);
    const pod = w.client.list(R.pods)[0]!;
    expect(pod.metadata.labels).toEqual({
      app: 'web',
      'statefulset.kubernetes.io/pod-name': 'web-0',
      'apps.kubernetes.io/pod-index': '0',
      'controller-revision-hash': updateRevisionOf(statefulSet()),
    });
    expect(pod.spec.hostname).toBe('web-0');
    expect(pod.spec.subdomain).toBe('web-svc');
    expect(pod.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }]);
    const claim = w.client.list(R.persistentvolumeclaims)[0]!;
    expect(claim.metadata.labels).toEqual({ app: 'web' });
    expect(claim.metadata.ownerReferences).toBeUndefined(); // Retain by default
    expect(w.recorder.events.map((e) => e.message)).toEqual(['create Claim data-web-0 Pod web-0 in StatefulSet web success', 'create Pod web-0 in StatefulSet web successful']);
  });

  it('OrderedReady: makes x-i only once x-0…x-(i-1) are Running and Ready', async () => {
    await w.sync();
    await w.sync();
    expect(w.names()).toEqual(['web-0']);
    w.kubelet();
    await w.sync();
    expect(w.names()).toEqual(['web-0', 'web-1']);
    await w.sync();
    expect(w.names()).toEqual(['web-0', 'web-1']);
    w.kubelet();
    await w.sync();
    expect(w.names()).toEqual(['web-0', 'web-1', 'web-2']);
    w.kubelet();
    await w.sync();
    expect(w.set().status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3, observedGeneration: 1 });
  });

  it('Parallel: makes every replica at once', async () => {
    w = new World(statefulSet({ podManagementPolicy: 'Parallel' }));
    await w.sync();
    expect(w.names()).toEqual(['web-0', 'web-1', 'web-2']);
  });

  async function runUp(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      await w.sync();
      w.kubelet();
    }
    await w.sync();
    expect(w.names()).toEqual(['web-0', 'web-1', 'web-2']);
  }

  it('scales down from the highest ordinal, one at a time, waiting for each to terminate', async () => {
    await runUp();
    w.update({ replicas: 1 });
    await w.sync();
    expect(w.names()).toEqual(['web-0', 'web-1']);
    await w.sync(); // web-2 is still terminating
    expect(w.names()).toEqual(['web-0', 'web-1']);
    w.kubelet();
    await w.sync();
    expect(w.names()).toEqual(['web-0']);
    expect(w.recorder.events.filter((e) => e.reason === 'SuccessfulDelete').map((e) => e.message)).toEqual([
      'delete Pod web-2 in StatefulSet web successful',
      'delete Pod web-1 in StatefulSet web successful',
    ]);
    // Retain: the claims stay.
    expect(w.client.list(R.persistentvolumeclaims)).toHaveLength(3);
  });

  it('whenScaled: Delete hands a condemned pod\'s claim to the pod before deleting it; whenDeleted: Delete gives the rest to the set', async () => {
    w = new World(statefulSet({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
    await runUp();
    await w.sync();
    const owners = () => Object.fromEntries(w.client.list(R.persistentvolumeclaims).map((c) => [c.metadata.name, (c.metadata.ownerReferences ?? []).map((r) => `${r.kind}/${r.name}`)]));
    expect(owners()).toEqual({ 'data-web-0': ['StatefulSet/web'], 'data-web-1': ['StatefulSet/web'], 'data-web-2': ['StatefulSet/web'] });
    w.update({ replicas: 2, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } });
    await w.sync();
    expect(owners()['data-web-2']).toEqual(['Pod/web-2']);
    expect(w.names()).toEqual(['web-0', 'web-1']);
  });

  it('recreates a failed pod once the failed one is gone', async () => {
    await runUp();
    const failed = w.client.list(R.pods).find((p) => p.metadata.name === 'web-1')!;
    failed.status.phase = 'Failed';
    w.client.seed(R.pods, failed);
    await w.sync();
    expect(w.recorder.events.map((e) => e.reason)).toContain('RecreatingFailedPod');
    expect(w.names()).toEqual(['web-0', 'web-2']);
    await w.sync();
    expect(w.names()).toEqual(['web-0', 'web-1', 'web-2']);
  });

  it('rolls out from the highest ordinal down to the partition, one healthy pod at a time', async () => {
    await runUp();
    const oldRev = updateRevisionOf(statefulSet());
    w.update({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, 'db:2');
    const newRev = updateRevisionOf(w.set());
    const revs = () => Object.fromEntries(w.client.list(R.pods).map((p) => [p.metadata.name, p.metadata.labels!['controller-revision-hash'] === newRev ? 'new' : 'old']));
    await w.sync();
    expect(w.names()).toEqual(['web-0', 'web-1']);
    for (let i = 0; i < 8; i++) {
      w.kubelet();
      await w.sync();
    }
    expect(revs()).toEqual({ 'web-0': 'old', 'web-1': 'old', 'web-2': 'new' });
    expect(w.set().status).toMatchObject({ currentRevision: oldRev, updateRevision: newRev, currentReplicas: 2, updatedReplicas: 1 });
    // Below the partition a deleted pod comes back at the current revision, with its template
    // (recovered from web-1, since skiff keeps no ControllerRevisions).
    w.client.objects.delete('pods/ns/web-0');
    await w.sync();
    expect(revs()['web-0']).toBe('old');
    expect(w.client.list(R.pods).find((p) => p.metadata.name === 'web-0')!.spec.containers[0].image).toBe('db:1');
    // Partition 0 finishes the rollout and the update revision becomes current.
    w.update({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } }, 'db:2');
    for (let i = 0; i < 6; i++) {
      w.kubelet();
      await w.sync();
    }
    expect(revs()).toEqual({ 'web-0': 'new', 'web-1': 'new', 'web-2': 'new' });
    expect(w.set().status).toMatchObject({ currentRevision: newRev, updateRevision: newRev, currentReplicas: 3, updatedReplicas: 3 });
  });

  it('adopts an orphan named like a member and releases a pod that stopped matching', async () => {
    w.client.seed(R.pods, { metadata: { name: 'web-0', namespace: 'ns', uid: 'orphan', resourceVersion: '3', labels: { app: 'web' } }, spec: { containers: [] }, status: { phase: 'Pending' } });
    w.client.seed(R.pods, {
      metadata: { name: 'web-9', namespace: 'ns', uid: 'gone', resourceVersion: '4', labels: { app: 'other' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'sts-uid', controller: true }] },
      spec: { containers: [] },
      status: { phase: 'Running' },
    });
    await w.sync();
    const byName = Object.fromEntries(w.client.list(R.pods).map((p) => [p.metadata.name, p.metadata.ownerReferences?.map((r) => r.uid) ?? []]));
    expect(byName).toEqual({ 'web-0': ['sts-uid'], 'web-9': [] });
  });
});
