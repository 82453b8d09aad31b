import { describe, expect, it } from 'vitest';
import { newDeployment, newReplicaSet } from './fake.test-helper.js';
import type { ReplicaSet } from './types.js';
import * as u from './util.js';

const d = newDeployment('web', 10);
d.metadata.uid = 'd-uid';
const rs = (name: string, replicas: number, created: string, revision?: number): ReplicaSet => newReplicaSet(d, name, replicas, { created, revision });

describe('resolveFenceposts', () => {
  it.each([
    // maxSurge, maxUnavailable, desired → surge, unavailable
    ['25%', '25%', 10, 3, 2],
    ['25%', '25%', 4, 1, 1],
    ['25%', '25%', 1, 1, 0],
    [0, '1%', 2, 0, 1], // both round to zero: one may be unavailable
    ['1%', '25%', 2, 1, 0],
    [2, 0, 10, 2, 0],
    [0, 0, 3, 0, 1],
  ] as const)('surge %s unavailable %s of %i → %i, %i', (surge, unavailable, desired, es, eu) => {
    expect(u.resolveFenceposts(surge, unavailable, desired)).toEqual([es, eu]);
  });

  it('rejects a string that is not a percentage', () => {
    expect(() => u.resolveFenceposts('3', 0, 10)).toThrow(u.DeploymentError);
  });

  it('caps maxUnavailable at the replica count and is 0 for Recreate', () => {
    expect(u.maxUnavailable(newDeployment('x', 2, { maxUnavailable: 5, maxSurge: 0 }))).toBe(2);
    expect(u.maxUnavailable(newDeployment('x', 0))).toBe(0);
    expect(u.maxSurge(newDeployment('x', 4, { strategy: 'Recreate' }))).toBe(0);
  });
});

describe('findActiveOrLatest', () => {
  it('returns the only active replica set, the newest when none is, nothing when several are', () => {
    const a = rs('web-a', 0, '2024-01-01T00:00:00Z');
    const b = rs('web-b', 3, '2024-01-02T00:00:00Z');
    const c = rs('web-c', 0, '2024-01-03T00:00:00Z');
    expect(u.findActiveOrLatest(undefined, [a, b])?.metadata.name).toBe('web-b');
    expect(u.findActiveOrLatest(undefined, [a, c])?.metadata.name).toBe('web-c');
    expect(u.findActiveOrLatest(c, [a])?.metadata.name).toBe('web-c');
    expect(u.findActiveOrLatest(rs('web-d', 1, '2024-01-04T00:00:00Z'), [b])).toBeUndefined();
    expect(u.findActiveOrLatest(undefined, [])).toBeUndefined();
  });
});

describe('revisions', () => {
  it('finds the max and the previous revision', () => {
    const list = [rs('web-a', 0, '2024-01-01T00:00:00Z', 3), rs('web-b', 0, '2024-01-02T00:00:00Z', 5), rs('web-c', 0, '2024-01-03T00:00:00Z', 4), rs('web-x', 0, '2024-01-03T00:00:00Z')];
    expect(u.maxRevision(list)).toBe(5);
    expect(u.lastRevision(list)).toBe(4);
    expect([...list].sort(u.byRevision).map((r) => r.metadata.name)).toEqual(['web-x', 'web-a', 'web-c', 'web-b']);
  });

  it('raises a reused replica set to the new revision and keeps its history', () => {
    const old = rs('web-a', 0, '2024-01-01T00:00:00Z', 1);
    old.metadata.annotations!['deployment.kubernetes.io/revision-history'] = '';
    const dep = newDeployment('web', 4);
    dep.metadata.annotations = { 'kubernetes.io/change-cause': 'undo', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '2' };
    expect(u.setNewReplicaSetAnnotations(dep, old, 3, true)).toBe(true);
    expect(old.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1', 'kubernetes.io/change-cause': 'undo' });
    expect(old.metadata.annotations!['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
    expect(u.setNewReplicaSetAnnotations(dep, old, 5, true)).toBe(true);
    expect(old.metadata.annotations!['deployment.kubernetes.io/revision-history']).toBe('1,3');
    // Never lowered.
    expect(u.setNewReplicaSetAnnotations(dep, old, 2, true)).toBe(false);
    expect(old.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('5');
  });

  it('gives a replica set about to be created its desired and max replicas', () => {
    const fresh = rs('web-n', 0, '2024-01-01T00:00:00Z');
    fresh.metadata.annotations = {};
    u.setNewReplicaSetAnnotations(newDeployment('web', 4), fresh, 1, false);
    expect(fresh.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' });
  });
});

describe('newRSNewReplicas', () => {
  it.each([
    // replicas, maxSurge, old, new → new size
    [10, 0, 10, 0, 0],
    [10, 2, 10, 0, 2],
    [10, 2, 5, 0, 7],
    [10, 2, 10, 2, 2],
    [10, '25%', 0, 0, 10],
  ] as const)('%i replicas, surge %s, old %i new %i → %i', (replicas, surge, old, cur, expected) => {
    const dep = newDeployment('web', replicas, { maxSurge: surge, maxUnavailable: 0 });
    const oldRS = rs('web-old', old, '2024-01-01T00:00:00Z');
    const newRS = rs('web-new', cur, '2024-01-02T00:00:00Z');
    expect(u.newRSNewReplicas(dep, [oldRS, newRS], newRS)).toBe(expected);
  });

  it('is the whole count for Recreate', () => {
    expect(u.newRSNewReplicas(newDeployment('web', 3, { strategy: 'Recreate' }), [], rs('web-n', 0, '2024-01-01T00:00:00Z'))).toBe(3);
  });
});
