import { describe, expect, it } from 'vitest';
import { errors } from '../../shared/errors.js';
import { FakeCluster, newDeployment, newReplicaSet, template } from './fake.test-helper.js';
import { computeHash } from './hash.js';
import { checkPausedConditions, cleanupDeployment, getAllReplicaSetsAndSyncRevision, isScalingEvent, scale } from './sync.js';
import type { Deployment, ReplicaSet } from './types.js';
import { setReplicasAnnotations } from './util.js';

const OLDER = '2024-04-01T00:00:00Z';
const OLD = '2024-04-02T00:00:00Z';
const NEW = '2024-04-03T00:00:00Z';

function world(d: Deployment) {
  const c = new FakeCluster();
  const dep = c.addDeployment(d);
  return { c, dep, deps: c.deps() };
}

describe('getAllReplicaSetsAndSyncRevision', () => {
  it('creates the new replica set with the hash, owner, revision and replicas annotations', async () => {
    const { c, deps } = world(newDeployment('web', 4));
    const d = structuredClone(c.deployment('web'));
    const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(deps, d, [], true);
    const hash = computeHash(c.deployment('web').spec.template);
    expect(oldRSs).toEqual([]);
    expect(newRS!.metadata.name).toBe(`web-${hash}`);
    const stored = c.replicaSets.get(`default/web-${hash}`)!;
    expect(stored.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(stored.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(stored.spec.selector).toEqual({ matchLabels: { app: 'web', 'pod-template-hash': hash } });
    expect(stored.spec.template.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(stored.spec.replicas).toBe(4);
    expect(stored.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' });
    expect(c.recorder.events).toContainEqual({ reason: 'ScalingReplicaSet', type: 'Normal', message: `Scaled up replica set web-${hash} from 0 to 4`, object: 'Deployment/default/web' });
    const after = c.deployment('web');
    expect(after.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('1');
    expect(after.status!.conditions).toEqual([expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "web-${hash}"` })]);
    // The deployment's spec is the user's: the template in it stays without the hash.
    expect(after.spec.template.metadata!.labels).toEqual({ app: 'web' });
  });

  it('gives a new template the next revision and leaves the old replica set alone', async () => {
    const { c, dep, deps } = world(newDeployment('web', 4, { image: 'nginx:1.26' }));
    c.addReplicaSet(newReplicaSet(dep, 'web-old', 4, { revision: 3, created: OLD }));
    const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(deps, structuredClone(c.deployment('web')), [...deps.listReplicaSets('default')], true);
    expect(oldRSs.map((r) => r.metadata.name)).toEqual(['web-old']);
    expect(newRS!.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('4');
    expect(newRS!.spec.replicas).toBe(1); // 4 + 25% surge − 4 existing
    expect(c.replicaSets.get('default/web-old')!.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('3');
    expect(c.deployment('web').metadata.annotations!['deployment.kubernetes.io/revision']).toBe('4');
  });

  it('reuses an old replica set whose template matches, raising its revision (a rollback)', async () => {
    const { c, dep, deps } = world(newDeployment('web', 4));
    c.addReplicaSet(newReplicaSet(dep, 'web-aaa', 0, { revision: 1, created: OLDER }));
    c.addReplicaSet(newReplicaSet(dep, 'web-bbb', 4, { revision: 2, image: 'nginx:1.26', created: OLD }));
    const { newRS } = await getAllReplicaSetsAndSyncRevision(deps, structuredClone(c.deployment('web')), [...deps.listReplicaSets('default')], true);
    expect(newRS!.metadata.name).toBe('web-aaa');
    expect(c.replicaSets.size).toBe(2);
    expect(c.replicaSets.get('default/web-aaa')!.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
  });

  it('takes an existing replica set of its own as found when the cache was stale', async () => {
    const { c, deps } = world(newDeployment('web', 2));
    const d = structuredClone(c.deployment('web'));
    await getAllReplicaSetsAndSyncRevision(deps, d, [], true);
    const again = await getAllReplicaSetsAndSyncRevision(deps, structuredClone(c.deployment('web')), [], true);
    expect(again.newRS!.metadata.name).toBe(`web-${computeHash(d.spec.template)}`);
    expect(c.replicaSets.size).toBe(1);
    expect(c.recorder.events.filter((e) => e.reason === 'ScalingReplicaSet')).toHaveLength(1);
  });

  it('bumps collisionCount when another template holds the name', async () => {
    const { c, dep, deps } = world(newDeployment('web', 2));
    const hash = computeHash(dep.spec.template);
    c.addReplicaSet({ ...newReplicaSet(dep, `web-${hash}`, 0, { image: 'other' }) });
    const d = structuredClone(c.deployment('web'));
    await expect(getAllReplicaSetsAndSyncRevision(deps, d, [], true)).rejects.toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect(c.deployment('web').status!.collisionCount).toBe(1);
    // The next sync names the replica set with the new count.
    const { newRS } = await getAllReplicaSetsAndSyncRevision(deps, structuredClone(c.deployment('web')), [], true);
    expect(newRS!.metadata.name).toBe(`web-${computeHash(dep.spec.template, 1)}`);
  });

  it('reports a failed create on the Progressing condition and as an event', async () => {
    const { c, deps } = world(newDeployment('web', 2));
    c.failNext = { verb: 'create', resource: 'replicasets', err: errors.forbidden('exceeded quota') };
    await expect(getAllReplicaSetsAndSyncRevision(deps, structuredClone(c.deployment('web')), [], true)).rejects.toThrow('exceeded quota');
    expect(c.deployment('web').status!.conditions![0]).toMatchObject({ type: 'Progressing', status: 'False', reason: 'ReplicaSetCreateError' });
    expect(c.recorder.events[0]).toMatchObject({ type: 'Warning', reason: 'ReplicaSetCreateError' });
  });
});

describe('scale (proportional)', () => {
  const cases: { name: string; to: number; from: number; newRS: [string, number]; oldRSs: [string, number, string][]; expectNew: number; expectOld: number[] }[] = [
    { name: '5 -> 10', to: 10, from: 5, newRS: ['web-v2', 2], oldRSs: [['web-v1', 3, OLD]], expectNew: 4, expectOld: [6] },
    { name: '5 -> 3', to: 3, from: 5, newRS: ['web-v2', 2], oldRSs: [['web-v1', 3, OLD]], expectNew: 1, expectOld: [2] },
    { name: '9 -> 4', to: 4, from: 9, newRS: ['web-v2', 8], oldRSs: [['web-v1', 1, OLD]], expectNew: 4, expectOld: [0] },
    { name: '7 -> 10', to: 10, from: 7, newRS: ['web-v3', 2], oldRSs: [['web-v2', 3, OLD], ['web-v1', 2, OLDER]], expectNew: 3, expectOld: [4, 3] },
    { name: '13 -> 8', to: 8, from: 13, newRS: ['web-v3', 2], oldRSs: [['web-v2', 8, OLD], ['web-v1', 3, OLDER]], expectNew: 1, expectOld: [5, 2] },
    { name: 'leftover 3 -> 4 goes to the newer', to: 4, from: 3, newRS: ['web-v3', 1], oldRSs: [['web-v2', 1, OLD], ['web-v1', 1, OLDER]], expectNew: 2, expectOld: [1, 1] },
    { name: 'leftover 3 -> 2 comes from the older', to: 2, from: 3, newRS: ['web-v3', 1], oldRSs: [['web-v2', 1, OLD], ['web-v1', 1, OLDER]], expectNew: 1, expectOld: [1, 0] },
  ];
  it.each(cases)('$name', async (tc) => {
    const { c, dep, deps } = world(newDeployment('web', tc.to, { maxSurge: 0, maxUnavailable: 0, image: 'nginx:new' }));
    const withAnnotations = (rs: ReplicaSet) => {
      setReplicasAnnotations(rs, tc.from, tc.from);
      return c.addReplicaSet(rs);
    };
    const newRS = withAnnotations(newReplicaSet(dep, tc.newRS[0], tc.newRS[1], { image: 'nginx:new', created: NEW }));
    const oldRSs = tc.oldRSs.map(([name, n, created]) => withAnnotations(newReplicaSet(dep, name, n, { image: name, created })));
    await scale(deps, structuredClone(c.deployment('web')), newRS, oldRSs);
    expect(c.replicaSets.get(`default/${tc.newRS[0]}`)!.spec.replicas).toBe(tc.expectNew);
    expect(tc.oldRSs.map(([name]) => c.replicaSets.get(`default/${name}`)!.spec.replicas)).toEqual(tc.expectOld);
    for (const rs of c.replicaSets.values()) expect(rs.metadata.annotations!['deployment.kubernetes.io/desired-replicas']).toBe(String(tc.to));
  });

  it('scales the only active replica set to the full count, with upstream wording', async () => {
    const { c, dep, deps } = world(newDeployment('web', 6));
    const rs = c.addReplicaSet(newReplicaSet(dep, 'web-abc123', 4, { revision: 1 }));
    await scale(deps, structuredClone(c.deployment('web')), rs, []);
    expect(c.replicaSets.get('default/web-abc123')!.spec.replicas).toBe(6);
    expect(c.recorder.events).toEqual([{ reason: 'ScalingReplicaSet', type: 'Normal', message: 'Scaled up replica set web-abc123 from 4 to 6', object: 'Deployment/default/web' }]);
  });

  it('retires old replica sets once the new one is saturated', async () => {
    const { c, dep, deps } = world(newDeployment('web', 3));
    const newRS = newReplicaSet(dep, 'web-new', 3, { created: NEW });
    setReplicasAnnotations(newRS, 3, 4);
    const stored = c.addReplicaSet(newRS);
    const old = c.addReplicaSet(newReplicaSet(dep, 'web-old', 1, { image: 'old', created: OLD }));
    await scale(deps, structuredClone(c.deployment('web')), stored, [old]);
    expect(c.replicaSets.get('default/web-old')!.spec.replicas).toBe(0);
    expect(c.recorder.events[0]!.message).toBe('Scaled down replica set web-old from 1 to 0');
  });
});

describe('cleanupDeployment', () => {
  it('deletes the oldest revisions beyond the limit, only when scaled to 0 and observed', async () => {
    const { c, dep, deps } = world(newDeployment('web', 1, { revisionHistoryLimit: 1 }));
    const mk = (name: string, revision: number, replicas: number, observed = true) => {
      const rs = newReplicaSet(dep, name, replicas, { image: name, revision, created: OLD });
      if (!observed) rs.status!.observedGeneration = 0;
      return c.addReplicaSet(rs);
    };
    const olds = [mk('web-r1', 1, 0), mk('web-r2', 2, 1), mk('web-r3', 3, 0, false), mk('web-r4', 4, 0), mk('web-r5', 5, 0)];
    await cleanupDeployment(deps, olds, structuredClone(c.deployment('web')));
    expect([...c.replicaSets.keys()].sort()).toEqual(['default/web-r2', 'default/web-r3', 'default/web-r5']);
  });

  it('keeps everything without a limit', async () => {
    const { c, dep, deps } = world(newDeployment('web', 1));
    const d = structuredClone(c.deployment('web'));
    delete d.spec.revisionHistoryLimit;
    const olds = [c.addReplicaSet(newReplicaSet(dep, 'web-r1', 0, { revision: 1, image: 'a' }))];
    await cleanupDeployment(deps, olds, d);
    expect(c.replicaSets.size).toBe(1);
  });
});

describe('isScalingEvent and paused conditions', () => {
  it('sees a scaling event in the desired-replicas annotation of an active replica set', async () => {
    const { c, dep, deps } = world(newDeployment('web', 6));
    const rs = newReplicaSet(dep, 'web-abc', 4, { revision: 1 });
    setReplicasAnnotations(rs, 4, 5);
    c.addReplicaSet(rs);
    expect(await isScalingEvent(deps, structuredClone(c.deployment('web')), [...deps.listReplicaSets('default')])).toBe(true);
    c.editDeployment('web', (d) => (d.spec.replicas = 4));
    expect(await isScalingEvent(deps, structuredClone(c.deployment('web')), [...deps.listReplicaSets('default')])).toBe(false);
  });

  it('marks pause and resume on the Progressing condition, but never over a timeout', async () => {
    const { c, deps } = world(newDeployment('web', 2, { paused: true }));
    await checkPausedConditions(deps, structuredClone(c.deployment('web')));
    expect(c.deployment('web').status!.conditions).toEqual([expect.objectContaining({ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' })]);
    c.editDeployment('web', (d) => delete d.spec.paused);
    await checkPausedConditions(deps, structuredClone(c.deployment('web')));
    expect(c.deployment('web').status!.conditions![0]).toMatchObject({ reason: 'DeploymentResumed', message: 'Deployment is resumed' });
    const timedOut = structuredClone(c.deployment('web'));
    timedOut.spec.paused = true;
    timedOut.status!.conditions = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }];
    const writes = c.writes().length;
    await checkPausedConditions(deps, timedOut);
    expect(c.writes()).toHaveLength(writes);
  });
});

it('template() helper keeps the fixture in one place', () => {
  expect(template('x').spec.containers[0].image).toBe('x');
});
