import { describe, expect, it } from 'vitest';
import { FakeCluster, newDeployment, newReplicaSet } from './fake.test-helper.js';
import { syncDeployment } from './reconcile.js';
import { cleanupUnhealthyReplicas, reconcileNewReplicaSet, reconcileOldReplicaSets, scaleDownOldReplicaSetsForRollingUpdate } from './rolling.js';
import type { IntOrString } from './types.js';

const OLD = '2024-04-02T00:00:00Z';
const NEW = '2024-04-03T00:00:00Z';

describe('reconcileNewReplicaSet', () => {
  it.each([
    // replicas, maxSurge, old, new → scaled?, new size
    [10, 0, 10, 0, false, 0],
    [10, 2, 10, 0, true, 2],
    [10, 2, 5, 0, true, 7],
    [10, 2, 10, 2, false, 2],
    [2, 2, 2, 4, true, 2], // scale down a new replica set larger than the deployment
  ] as const)('%i replicas, surge %s, old %i, new %i', async (replicas, surge, old, cur, scaled, expected) => {
    const c = new FakeCluster();
    const d = c.addDeployment(newDeployment('web', replicas, { maxSurge: surge, maxUnavailable: 0, image: 'new' }));
    const oldRS = c.addReplicaSet(newReplicaSet(d, 'web-old', old, { image: 'old', created: OLD }));
    const newRS = c.addReplicaSet(newReplicaSet(d, 'web-new', cur, { image: 'new', created: NEW }));
    expect(await reconcileNewReplicaSet(c.deps(), [oldRS, newRS], newRS, structuredClone(d))).toBe(scaled);
    expect(c.replicaSets.get('default/web-new')!.spec.replicas).toBe(expected);
  });
});

describe('reconcileOldReplicaSets', () => {
  it.each([
    // replicas, maxUnavailable, old, new, available old, available new → scaled?, old size
    [10, 0, 10, 0, 10, 0, true, 9], // both fenceposts 0: one may be unavailable
    [10, 2, 10, 0, 10, 0, true, 8],
    [10, 2, 10, 0, 8, 0, true, 8], // the unhealthy ones go first
    [10, 2, 10, 0, 9, 0, true, 8], // one unhealthy, one healthy
    [10, 2, 8, 2, 8, 0, false, 8], // the new replica set's unavailable pods hold it back
  ] as const)('%i replicas, unavailable %s, old %i/%i avail %i/%i', async (replicas, unavailable, old, cur, oldAvail, newAvail, scaled, expected) => {
    const c = new FakeCluster();
    const d = c.addDeployment(newDeployment('web', replicas, { maxSurge: 0, maxUnavailable: unavailable, image: 'new' }));
    const oldRS = c.addReplicaSet(newReplicaSet(d, 'web-old', old, { image: 'old', available: oldAvail, created: OLD }));
    const newRS = c.addReplicaSet(newReplicaSet(d, 'web-new', cur, { image: 'new', available: newAvail, created: NEW }));
    expect(await reconcileOldReplicaSets(c.deps(), [oldRS, newRS], [oldRS], newRS, structuredClone(d))).toBe(scaled);
    expect(c.replicaSets.get('default/web-old')!.spec.replicas).toBe(expected);
  });
});

describe('cleanupUnhealthyReplicas and scaleDownOldReplicaSetsForRollingUpdate', () => {
  it('scales the oldest down first, by their unavailable replicas, within the bound', async () => {
    const c = new FakeCluster();
    const d = c.addDeployment(newDeployment('web', 10, { image: 'new' }));
    const older = c.addReplicaSet(newReplicaSet(d, 'web-a', 3, { image: 'a', available: 1, created: '2024-04-01T00:00:00Z' }));
    const old = c.addReplicaSet(newReplicaSet(d, 'web-b', 5, { image: 'b', available: 2, created: OLD }));
    const { count } = await cleanupUnhealthyReplicas(c.deps(), [old, older], structuredClone(d), 3);
    expect(count).toBe(3);
    expect(c.replicaSets.get('default/web-a')!.spec.replicas).toBe(1);
    expect(c.replicaSets.get('default/web-b')!.spec.replicas).toBe(4);
  });

  it('never takes availability below replicas − maxUnavailable', async () => {
    const c = new FakeCluster();
    const d = c.addDeployment(newDeployment('web', 4, { maxUnavailable: 1, image: 'new' }));
    const old = c.addReplicaSet(newReplicaSet(d, 'web-old', 4, { image: 'old', created: OLD }));
    const newRS = c.addReplicaSet(newReplicaSet(d, 'web-new', 1, { image: 'new', available: 0, created: NEW }));
    expect(await scaleDownOldReplicaSetsForRollingUpdate(c.deps(), [old, newRS], [old], structuredClone(d))).toBe(1);
    expect(c.replicaSets.get('default/web-old')!.spec.replicas).toBe(3);
  });
});

/** Runs syncs until the rollout completes, checking the surge and availability bounds at every step. */
async function rollOut(replicas: number, maxSurge: IntOrString, maxUnavailable: IntOrString, surge: number, unavailable: number) {
  const c = new FakeCluster();
  const deps = c.deps();
  c.addDeployment(newDeployment('web', replicas, { maxSurge, maxUnavailable }));
  const sync = () => syncDeployment('default/web', deps);
  const check = () => {
    const rss = [...c.replicaSets.values()];
    const pods = rss.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0);
    const available = rss.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    expect(pods).toBeLessThanOrEqual(replicas + surge);
    return available;
  };
  // First rollout: every replica of revision 1, available.
  for (let i = 0; i < 5; i++) {
    await sync();
    c.settle();
  }
  await sync();
  expect(c.deployment('web').status).toMatchObject({ replicas, updatedReplicas: replicas, availableReplicas: replicas });

  c.editDeployment('web', (d) => (d.spec.template.spec.containers[0].image = 'nginx:1.26'));
  let steps = 0;
  for (; steps < 100; steps++) {
    await sync();
    // New pods exist before they are available: the controller sees that state too.
    c.settle((rs) => Math.min(rs.status?.availableReplicas ?? 0, rs.spec.replicas ?? 0));
    expect(check()).toBeGreaterThanOrEqual(replicas - unavailable);
    await sync();
    c.settle();
    expect(check()).toBeGreaterThanOrEqual(replicas - unavailable);
    const s = c.deployment('web').status!;
    if (s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas) break;
  }
  return { c, steps };
}

describe('rolloutRolling', () => {
  it.each([
    [4, '25%', '25%', 1, 1],
    [10, 3, 0, 3, 0],
    [10, 0, 2, 0, 2],
    [5, '0%', '1%', 0, 1],
  ] as const)('%i replicas, maxSurge %s, maxUnavailable %s: stays within bounds and completes', async (replicas, ms, mu, surge, unavailable) => {
    const { c, steps } = await rollOut(replicas, ms, mu, surge, unavailable);
    expect(steps).toBeLessThan(100);
    const rss = c.rsList();
    expect(rss).toHaveLength(2);
    expect(rss.map((rs) => rs.spec.replicas)).toEqual([0, replicas]);
    expect(rss.map((rs) => rs.metadata.annotations!['deployment.kubernetes.io/revision'])).toEqual(['1', '2']);
    const cond = c.deployment('web').status!.conditions!.find((x) => x.type === 'Progressing')!;
    expect(cond).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rss[1]!.metadata.name}" has successfully progressed.` });
    expect(c.deployment('web').metadata.annotations!['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('records upstream ScalingReplicaSet events along the way', async () => {
    const { c } = await rollOut(4, '25%', '25%', 1, 1);
    const [first, second] = c.rsList().map((rs) => rs.metadata.name);
    const messages = c.recorder.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    expect(messages[0]).toBe(`Scaled up replica set ${first} from 0 to 4`);
    expect(messages[1]).toBe(`Scaled up replica set ${second} from 0 to 1`);
    expect(messages).toContain(`Scaled down replica set ${first} from 4 to 3`);
    expect(messages.at(-1)).toBe(`Scaled down replica set ${first} from 1 to 0`);
  });

  it('cleans up old replica sets beyond revisionHistoryLimit once complete', async () => {
    const c = new FakeCluster();
    const deps = c.deps();
    c.addDeployment(newDeployment('web', 2, { revisionHistoryLimit: 1 }));
    for (const image of ['a', 'b', 'c']) {
      c.editDeployment('web', (d) => (d.spec.template.spec.containers[0].image = image));
      for (let i = 0; i < 12; i++) {
        await syncDeployment('default/web', deps);
        c.settle();
        c.tick(1);
      }
    }
    expect(c.rsList().map((rs) => rs.spec.template.spec.containers[0].image)).toEqual(['b', 'c']);
  });
});
