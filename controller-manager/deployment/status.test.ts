import { describe, expect, it } from 'vitest';
import { FakeCluster, newDeployment, newReplicaSet } from './fake.test-helper.js';
import { calculateStatus, statusEqual, syncDeploymentStatus } from './status.js';
import type { Deployment } from './types.js';

const OLD = '2024-04-02T00:00:00Z';
const NEW = '2024-04-03T00:00:00Z';

function world(d: Deployment) {
  const c = new FakeCluster();
  const dep = c.addDeployment(d);
  return { c, dep, deps: c.deps() };
}

describe('syncDeploymentStatus', () => {
  it('writes the counts and the Available condition, then nothing when unchanged', async () => {
    const { c, dep, deps } = world(newDeployment('web', 4));
    const newRS = c.addReplicaSet(newReplicaSet(dep, 'web-new', 3, { available: 2, created: NEW }));
    const old = c.addReplicaSet(newReplicaSet(dep, 'web-old', 1, { image: 'old', created: OLD }));
    await syncDeploymentStatus(deps, [old, newRS], newRS, structuredClone(c.deployment('web')));
    const s = c.deployment('web').status!;
    expect(s).toMatchObject({ observedGeneration: 1, replicas: 4, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1 });
    expect(s.conditions).toEqual([expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' })]);
    const writes = c.writes().length;
    c.tick(30);
    await syncDeploymentStatus(deps, [old, newRS], newRS, structuredClone(c.deployment('web')));
    expect(c.writes()).toHaveLength(writes);
  });

  it('reports MinimumReplicasUnavailable below replicas − maxUnavailable', async () => {
    const { c, dep, deps } = world(newDeployment('web', 4));
    const rs = c.addReplicaSet(newReplicaSet(dep, 'web-new', 4, { available: 2 }));
    await syncDeploymentStatus(deps, [rs], rs, structuredClone(c.deployment('web')));
    expect(c.deployment('web').status!.conditions![0]).toMatchObject({ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' });
  });
});

describe('calculateStatus and statusEqual', () => {
  it('never reports negative unavailable replicas and keeps the collision count', () => {
    const d = newDeployment('web', 2);
    d.metadata.uid = 'u';
    d.status = { collisionCount: 2 };
    const rs = newReplicaSet(d, 'web-a', 1, { available: 3 });
    const s = calculateStatus([rs, undefined], rs, d, new Date());
    expect(s.unavailableReplicas).toBe(0);
    expect(s.collisionCount).toBe(2);
  });

  it('compares statuses as the apiserver stores them: zero counts may be absent', () => {
    expect(statusEqual({ replicas: 0, conditions: [] }, {})).toBe(true);
    expect(statusEqual({ replicas: 1 }, {})).toBe(false);
  });
});
