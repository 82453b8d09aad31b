import { describe, expect, it } from 'vitest';
import { FakeCluster, newDeployment, newReplicaSet } from './fake.test-helper.js';
import { syncDeployment } from './reconcile.js';
import type { Deployment, PodTemplateSpec } from './types.js';

const OLDER = '2024-04-01T00:00:00Z';
const OLD = '2024-04-02T00:00:00Z';

/** A deployment at revision 2 (image b) with revision 1 (image a) kept, both settled. */
function twoRevisions() {
  const c = new FakeCluster();
  const d = c.addDeployment(newDeployment('web', 2, { image: 'b' }));
  c.addReplicaSet(newReplicaSet(d, 'web-aaa', 0, { image: 'a', revision: 1, created: OLDER }));
  const rs2 = newReplicaSet(d, 'web-bbb', 2, { image: 'b', revision: 2, created: OLD });
  rs2.metadata.annotations!['deployment.kubernetes.io/desired-replicas'] = '2';
  rs2.metadata.annotations!['deployment.kubernetes.io/max-replicas'] = '3';
  c.replicaSets.get('default/web-aaa')!.metadata.annotations!['kubernetes.io/change-cause'] = 'first';
  c.addReplicaSet(rs2);
  c.editDeployment('web', (x) => (x.metadata.annotations = { 'deployment.kubernetes.io/revision': '2' }));
  return { c, deps: c.deps() };
}

const requestRollback = (c: FakeCluster, revision: string) =>
  c.editDeployment('web', (x) => (x.metadata.annotations = { ...x.metadata.annotations, 'deprecated.deployment.rollback.to': revision }));

describe('rollback (deprecated.deployment.rollback.to)', () => {
  it('copies the revision template and annotations, clears the request and records DeploymentRollback', async () => {
    const { c, deps } = twoRevisions();
    requestRollback(c, '1');
    await syncDeployment('default/web', deps);
    const d = c.deployment('web');
    expect(d.spec.template.spec.containers[0].image).toBe('a');
    expect(d.spec.template.metadata!.labels).toEqual({ app: 'web' });
    expect(d.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '2', 'kubernetes.io/change-cause': 'first' });
    expect(c.recorder.events).toContainEqual({ type: 'Normal', reason: 'DeploymentRollback', message: 'Rolled back deployment "web" to revision 1', object: 'Deployment/default/web' });
  });

  it('takes revision 0 as the previous revision', async () => {
    const { c, deps } = twoRevisions();
    requestRollback(c, '0');
    await syncDeployment('default/web', deps);
    expect(c.deployment('web').spec.template.spec.containers[0].image).toBe('a');
  });

  it('gives up on a revision that does not exist, clearing the request', async () => {
    const { c, deps } = twoRevisions();
    requestRollback(c, '7');
    await syncDeployment('default/web', deps);
    expect(c.deployment('web').spec.template.spec.containers[0].image).toBe('b');
    expect(c.deployment('web').metadata.annotations!['deprecated.deployment.rollback.to']).toBeUndefined();
    expect(c.recorder.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'DeploymentRollbackRevisionNotFound', message: 'Unable to find the revision to rollback to.' }));
  });

  it('warns when the revision already is the current template', async () => {
    const { c, deps } = twoRevisions();
    requestRollback(c, '2');
    await syncDeployment('default/web', deps);
    expect(c.recorder.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'DeploymentRollbackTemplateUnchanged' }));
    expect(c.deployment('web').metadata.annotations!['deprecated.deployment.rollback.to']).toBeUndefined();
  });
});

describe('kubectl rollout undo (apps/v1: kubectl patches the template itself)', () => {
  it('finds the old replica set by its template, raises its revision and scales it up: no third replica set', async () => {
    const { c, deps } = twoRevisions();
    // What kubectl sends back: the old template without the hash label, through Go types.
    const rsTemplate = c.replicaSets.get('default/web-aaa')!.spec.template;
    const sent: PodTemplateSpec = JSON.parse(JSON.stringify(rsTemplate));
    delete sent.metadata!.labels!['pod-template-hash'];
    sent.metadata!.creationTimestamp = null;
    sent.spec.containers[0].resources = {};
    c.editDeployment('web', (d: Deployment) => {
      d.spec.template = sent;
      d.metadata.annotations = { 'deployment.kubernetes.io/revision': '2', 'kubernetes.io/change-cause': 'first' };
    });
    for (let i = 0; i < 6; i++) {
      await syncDeployment('default/web', deps);
      c.settle();
    }
    expect(c.replicaSets.size).toBe(2);
    const aaa = c.replicaSets.get('default/web-aaa')!;
    expect(aaa.spec.replicas).toBe(2);
    expect(aaa.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect(c.replicaSets.get('default/web-bbb')!.spec.replicas).toBe(0);
    expect(c.deployment('web').metadata.annotations!['deployment.kubernetes.io/revision']).toBe('3');
    expect(c.deployment('web').status).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 });
  });
});
