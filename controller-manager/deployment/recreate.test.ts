import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/types.js';
import { FakeCluster, newDeployment, newReplicaSet } from './fake.test-helper.js';
import { syncDeployment } from './reconcile.js';
import { oldPodsRunning, scaleDownOldReplicaSetsForRecreate } from './recreate.js';
import type { ReplicaSet } from './types.js';

const pod = (name: string, rs: ReplicaSet, phase: string): KubeObject => ({
  metadata: { name, namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true }] },
  status: { phase },
});

describe('oldPodsRunning', () => {
  const c = new FakeCluster();
  const d = c.addDeployment(newDeployment('web', 2, { strategy: 'Recreate' }));
  const newRS = c.addReplicaSet(newReplicaSet(d, 'web-new', 0, { image: 'new' }));
  const oldRS = c.addReplicaSet({ ...newReplicaSet(d, 'web-old', 0, { image: 'old' }), status: { replicas: 0 } });
  it.each([
    ['no pods', [], false],
    ['only new pods', [['new', 'Running']], false],
    ['an old pod running', [['old', 'Running']], true],
    ['an old pod pending', [['old', 'Pending']], true],
    ['an old pod in Unknown', [['old', 'Unknown']], true],
    ['old pods terminated', [['old', 'Succeeded'], ['old', 'Failed']], false],
  ] as [string, [string, string][], boolean][])('%s', (_n, pods, expected) => {
    const map = new Map<string, KubeObject[]>([
      [newRS.metadata.uid!, pods.filter(([o]) => o === 'new').map(([, phase], i) => pod(`n${i}`, newRS, phase))],
      [oldRS.metadata.uid!, pods.filter(([o]) => o === 'old').map(([, phase], i) => pod(`o${i}`, oldRS, phase))],
    ]);
    expect(oldPodsRunning(newRS, [oldRS], map)).toBe(expected);
  });

  it('counts an old replica set that still reports replicas', () => {
    const reporting = { ...oldRS, status: { replicas: 1 } };
    expect(oldPodsRunning(newRS, [reporting], new Map())).toBe(true);
  });
});

describe('rolloutRecreate', () => {
  it('scales the old down, waits for their pods, then creates the new one at full size', async () => {
    const c = new FakeCluster();
    const deps = c.deps();
    const d = c.addDeployment(newDeployment('web', 3, { strategy: 'Recreate', image: 'nginx:1.26' }));
    const old = c.addReplicaSet(newReplicaSet(d, 'web-old', 3, { image: 'nginx:1.25', revision: 1 }));
    c.pods.set('default/p1', pod('p1', old, 'Running'));

    await syncDeployment('default/web', deps);
    expect(c.replicaSets.get('default/web-old')!.spec.replicas).toBe(0);
    expect(c.replicaSets.size).toBe(1);
    expect(c.recorder.events.map((e) => e.message)).toEqual(['Scaled down replica set web-old from 3 to 0']);

    // The ReplicaSet controller has caught up, but a pod is still terminating.
    c.settle();
    await syncDeployment('default/web', deps);
    expect(c.replicaSets.size).toBe(1);

    c.pods.delete('default/p1');
    await syncDeployment('default/web', deps);
    const created = c.rsList().find((rs) => rs.metadata.name !== 'web-old')!;
    expect(created.spec.replicas).toBe(3);
    expect(created.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '2', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '3' });
    expect(c.recorder.events.at(-1)!.message).toBe(`Scaled up replica set ${created.metadata.name} from 0 to 3`);

    c.settle();
    await syncDeployment('default/web', deps);
    expect(c.deployment('web').status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    expect(c.deployment('web').status!.conditions!.find((x) => x.type === 'Progressing')!.reason).toBe('NewReplicaSetAvailable');
  });

  it('scales every active old replica set to zero in one pass', async () => {
    const c = new FakeCluster();
    const d = c.addDeployment(newDeployment('web', 3, { strategy: 'Recreate' }));
    const a = c.addReplicaSet(newReplicaSet(d, 'web-a', 1, { image: 'a' }));
    const b = c.addReplicaSet(newReplicaSet(d, 'web-b', 2, { image: 'b' }));
    const z = c.addReplicaSet(newReplicaSet(d, 'web-z', 0, { image: 'z' }));
    expect(await scaleDownOldReplicaSetsForRecreate(c.deps(), [a, b, z], structuredClone(d))).toBe(true);
    expect([...c.replicaSets.values()].map((rs) => rs.spec.replicas)).toEqual([0, 0, 0]);
    expect(c.writes().map((w) => w.name)).toEqual(['web-a', 'web-b']);
  });
});
