import { describe, expect, it } from 'vitest';
import { FakeCluster, newDeployment, newReplicaSet } from './fake.test-helper.js';
import { syncDeployment } from './reconcile.js';

const KEY = 'default/web';

async function settleLoop(c: FakeCluster, n = 6) {
  const deps = c.deps();
  for (let i = 0; i < n; i++) {
    await syncDeployment(KEY, deps);
    c.settle();
  }
}

describe('syncDeployment', () => {
  it('does nothing for a deployment that is gone', async () => {
    const c = new FakeCluster();
    await syncDeployment(KEY, c.deps());
    expect(c.actions).toEqual([]);
  });

  it('refuses an empty selector with a SelectingAll event, observing the generation', async () => {
    const c = new FakeCluster();
    const d = newDeployment('web', 1);
    d.spec.selector = {};
    c.addDeployment(d);
    await syncDeployment(KEY, c.deps());
    expect(c.recorder.events[0]).toMatchObject({ type: 'Warning', reason: 'SelectingAll', message: 'This deployment is selecting all pods. A non-empty selector is required.' });
    expect(c.deployment('web').status!.observedGeneration).toBe(1);
    expect(c.replicaSets.size).toBe(0);
  });

  it('rolls out a new deployment to completion', async () => {
    const c = new FakeCluster();
    c.addDeployment(newDeployment('web', 3));
    await settleLoop(c);
    const d = c.deployment('web');
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(d.status!.unavailableReplicas ?? 0).toBe(0);
    expect(d.status!.conditions!.map((x) => [x.type, x.status, x.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
  });

  it('adopts a matching orphan, releases an owned one that stopped matching, ignores another owner', async () => {
    const c = new FakeCluster();
    const d = c.addDeployment(newDeployment('web', 2));
    const orphan = newReplicaSet(d, 'web-orphan', 2, { revision: 1 });
    orphan.metadata.ownerReferences = [];
    c.addReplicaSet(orphan);
    const strayed = newReplicaSet(d, 'web-strayed', 0, { image: 'x' });
    strayed.metadata.labels = { app: 'other' };
    c.addReplicaSet(strayed);
    const foreign = newReplicaSet(d, 'web-foreign', 1, { image: 'y' });
    foreign.metadata.ownerReferences = [{ ...foreign.metadata.ownerReferences![0]!, uid: 'someone-else' }];
    c.addReplicaSet(foreign);
    await syncDeployment(KEY, c.deps());
    expect(c.replicaSets.get('default/web-orphan')!.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(c.replicaSets.get('default/web-strayed')!.metadata.ownerReferences).toEqual([]);
    expect(c.replicaSets.get('default/web-foreign')!.spec.replicas).toBe(1);
    // The adoption was preceded by an uncached read of the deployment.
    expect(c.actions.findIndex((a) => a.verb === 'get')).toBeLessThan(c.actions.findIndex((a) => a.name === 'web-orphan'));
    // The adopted replica set carries the template: it is the new one, no other is created.
    expect(c.replicaSets.size).toBe(3);
  });

  it('pauses: no new replica set for a new template; resumes: the rollout continues', async () => {
    const c = new FakeCluster();
    c.addDeployment(newDeployment('web', 2));
    await settleLoop(c);
    c.editDeployment('web', (d) => (d.spec.paused = true));
    await settleLoop(c, 2);
    c.editDeployment('web', (d) => (d.spec.template.spec.containers[0].image = 'nginx:1.26'));
    await settleLoop(c, 3);
    expect(c.replicaSets.size).toBe(1);
    const paused = c.deployment('web');
    expect(paused.status!.conditions!.find((x) => x.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
    expect(paused.status).toMatchObject({ observedGeneration: paused.metadata.generation, updatedReplicas: 0, replicas: 2 });

    c.editDeployment('web', (d) => delete d.spec.paused);
    await syncDeployment(KEY, c.deps());
    expect(c.deployment('web').status!.conditions!.find((x) => x.type === 'Progressing')!.reason).not.toBe('DeploymentPaused');
    await settleLoop(c, 8);
    expect(c.replicaSets.size).toBe(2);
    expect(c.deployment('web').status).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 });
  });

  it('scales a paused deployment, and a running one, proportionally', async () => {
    const c = new FakeCluster();
    c.addDeployment(newDeployment('web', 4));
    await settleLoop(c);
    c.editDeployment('web', (d) => (d.spec.replicas = 6));
    await settleLoop(c, 2);
    expect(c.rsList().map((rs) => rs.spec.replicas)).toEqual([6]);
    expect(c.recorder.events.at(-1)!.message).toMatch(/^Scaled up replica set web-\w+ from 4 to 6$/);
    c.editDeployment('web', (d) => (d.spec.replicas = 2));
    await settleLoop(c, 2);
    expect(c.rsList().map((rs) => rs.spec.replicas)).toEqual([2]);
    expect(c.deployment('web').status).toMatchObject({ replicas: 2, availableReplicas: 2 });
  });

  it('a restart (template annotation) is a new revision', async () => {
    const c = new FakeCluster();
    c.addDeployment(newDeployment('web', 2));
    await settleLoop(c);
    c.editDeployment('web', (d) => (d.spec.template.metadata!.annotations = { 'kubectl.kubernetes.io/restartedAt': '2024-05-01T10:00:00Z' }));
    await settleLoop(c, 8);
    expect(c.rsList().map((rs) => [rs.spec.replicas, rs.metadata.annotations!['deployment.kubernetes.io/revision']])).toEqual([
      [0, '1'],
      [2, '2'],
    ]);
  });

  it('reports a spec validation should have refused, instead of retrying it', async () => {
    const c = new FakeCluster();
    const d = newDeployment('web', 2);
    d.spec.strategy = { type: 'BlueGreen' as 'Recreate' };
    c.addDeployment(d);
    await expect(syncDeployment(KEY, c.deps())).resolves.toBeUndefined();
    expect(c.recorder.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'InvalidDeployment', message: 'unexpected deployment strategy type: BlueGreen' }));
  });

  it('waits for the cache to catch up with its own last write', async () => {
    const c = new FakeCluster();
    c.addDeployment(newDeployment('web', 2));
    await syncDeployment(KEY, { ...c.deps(), cacheBehindOwnWrite: () => true });
    expect(c.actions).toEqual([]);
  });

  it('only updates the status of a deployment being deleted', async () => {
    const c = new FakeCluster();
    const d = newDeployment('web', 2);
    d.metadata.deletionTimestamp = '2024-05-01T10:00:00Z';
    c.addDeployment(d);
    await syncDeployment(KEY, c.deps());
    expect(c.replicaSets.size).toBe(0);
    expect(c.writes().map((w) => w.sub)).toEqual(['status']);
  });

  it('never mutates what the listers hand out', async () => {
    // The fake listers hand out frozen objects: a mutation throws.
    const c = new FakeCluster();
    c.addDeployment(newDeployment('web', 3, { maxSurge: 1, maxUnavailable: 0 }));
    await settleLoop(c);
    c.editDeployment('web', (d) => (d.spec.template.spec.containers[0].image = 'b'));
    await expect(settleLoop(c, 10)).resolves.toBeUndefined();
  });
});
