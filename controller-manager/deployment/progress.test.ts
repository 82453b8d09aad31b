import { describe, expect, it } from 'vitest';
import { timestamp } from './conditions.js';
import { FakeCluster, newDeployment, newReplicaSet } from './fake.test-helper.js';
import { getReplicaFailures, requeueStuckDeployment, syncRolloutStatus } from './progress.js';
import type { Deployment, DeploymentCondition, ReplicaSet } from './types.js';

/** A deployment mid-rollout: new replica set 2 of 4 (1 available), old one 3. */
function midRollout(progressing?: Partial<DeploymentCondition>, o: { deadline?: number } = {}) {
  const c = new FakeCluster();
  const d = c.addDeployment(newDeployment('web', 4, { image: 'new', progressDeadlineSeconds: o.deadline ?? 600 }));
  const newRS = c.addReplicaSet(newReplicaSet(d, 'web-new', 2, { image: 'new', available: 1, created: '2024-04-03T00:00:00Z' }));
  const old = c.addReplicaSet(newReplicaSet(d, 'web-old', 3, { image: 'old', created: '2024-04-02T00:00:00Z' }));
  const t = timestamp(c.now);
  const status = { observedGeneration: 1, replicas: 5, updatedReplicas: 2, readyReplicas: 4, availableReplicas: 4, unavailableReplicas: 1, conditions: [] as DeploymentCondition[] };
  status.conditions.push({ type: 'Available', status: 'True', lastUpdateTime: t, lastTransitionTime: t, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
  if (progressing) status.conditions.push({ type: 'Progressing', status: 'True', lastUpdateTime: t, lastTransitionTime: t, reason: 'ReplicaSetUpdated', message: 'ReplicaSet "web-new" is progressing.', ...progressing });
  c.editDeployment('web', (x) => (x.status = status));
  return { c, deps: c.deps(), newRS, old, d: () => structuredClone(c.deployment('web')) };
}

const progressing = (d: Deployment) => d.status!.conditions!.find((x) => x.type === 'Progressing');

describe('syncRolloutStatus', () => {
  it('refreshes lastUpdateTime on progress, keeping lastTransitionTime', async () => {
    const { c, deps, newRS, old, d } = midRollout({});
    const before = progressing(d())!;
    c.tick(60);
    const more: ReplicaSet = { ...newRS, status: { ...newRS.status, availableReplicas: 2, readyReplicas: 2 } };
    await syncRolloutStatus(deps, [old, more], more, d());
    const after = progressing(c.deployment('web'))!;
    expect(after).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "web-new" is progressing.', lastUpdateTime: timestamp(c.now), lastTransitionTime: before.lastTransitionTime });
  });

  it('writes nothing without progress and schedules the deadline check instead', async () => {
    const { c, deps, newRS, old, d } = midRollout({});
    c.tick(100);
    const writes = c.writes().length;
    await syncRolloutStatus(deps, [old, newRS], newRS, d());
    expect(c.writes()).toHaveLength(writes);
    // lastUpdate + 600 s − now (100 s later) + 1 s of slack
    expect(c.requeues).toEqual([{ key: 'default/web', afterMs: 501_000 }]);
  });

  it('reports ProgressDeadlineExceeded once the deadline passes without progress', async () => {
    const { c, deps, newRS, old, d } = midRollout({}, { deadline: 30 });
    c.tick(31);
    await syncRolloutStatus(deps, [old, newRS], newRS, d());
    expect(progressing(c.deployment('web'))).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-new" has timed out progressing.' });
    // Once timed out, no more checks are scheduled.
    c.requeues.length = 0;
    await syncRolloutStatus(deps, [old, newRS], newRS, d());
    expect(c.requeues).toEqual([]);
  });

  it('requeues at once (rate limited) when the deadline is less than a second away', () => {
    const { c, deps, d } = midRollout({}, { deadline: 30 });
    c.tick(29.5);
    expect(requeueStuckDeployment(deps, d(), d().status!)).toBe(0);
    expect(c.requeues).toEqual([{ key: 'default/web', afterMs: 0 }]);
  });

  it('reports NewReplicaSetAvailable when complete, and leaves a complete deployment alone', async () => {
    const { c, deps, d } = midRollout({});
    const done = c.addReplicaSet(newReplicaSet(c.deployment('web'), 'web-done', 4, { image: 'new' }));
    c.replicaSets.delete('default/web-new');
    c.replicaSets.delete('default/web-old');
    await syncRolloutStatus(deps, [done], done, d());
    expect(progressing(c.deployment('web'))).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "web-done" has successfully progressed.' });
    c.tick(3600);
    const writes = c.writes().length;
    await syncRolloutStatus(deps, [done], done, d());
    expect(c.writes()).toHaveLength(writes);
    expect(c.requeues).toEqual([]);
  });

  it('drops the Progressing condition without a deadline', async () => {
    const { c, deps, newRS, old } = midRollout({});
    const d = structuredClone(c.deployment('web'));
    delete d.spec.progressDeadlineSeconds;
    await syncRolloutStatus(deps, [old, newRS], newRS, d);
    expect(progressing(c.deployment('web'))).toBeUndefined();
  });

  it('carries a ReplicaFailure condition over from the replica sets, the new one first', async () => {
    const { c, deps, newRS, old, d } = midRollout({});
    const failing = (rs: ReplicaSet, message: string): ReplicaSet => ({
      ...rs,
      status: { ...rs.status, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message, lastTransitionTime: '2024-05-01T09:00:00Z' }] },
    });
    expect(getReplicaFailures([failing(old, 'old'), failing(newRS, 'new')], failing(newRS, 'new'))[0]!.message).toBe('new');
    await syncRolloutStatus(deps, [failing(old, 'quota exceeded'), newRS], newRS, d());
    expect(c.deployment('web').status!.conditions!.find((x) => x.type === 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate', message: 'quota exceeded', lastUpdateTime: '2024-05-01T09:00:00Z' });
    await syncRolloutStatus(deps, [old, newRS], newRS, d());
    expect(c.deployment('web').status!.conditions!.find((x) => x.type === 'ReplicaFailure')).toBeUndefined();
  });
});
