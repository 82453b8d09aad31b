import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/types.js';
import { canonicalJSON, safeEncodeString, templateHash } from './history.js';
import { addOrUpdateTolerations, nodeShouldRunDaemonPod, podMatchesNodeAffinity, targetNodeName, toleratesTaint, withNodeNameAffinity, type Taint, type Toleration } from './nodes.js';

const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []): KubeObject => ({ metadata: { name, labels }, spec: { taints } });
const ds = (podSpec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'd' }, spec: { template: { spec: podSpec } } });

describe('toleratesTaint', () => {
  const taint: Taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
  it.each<[string, Toleration, boolean]>([
    ['Equal with the same value', { key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, true],
    ['Equal is the default operator', { key: 'k', value: 'v' }, true],
    ['Equal with another value', { key: 'k', operator: 'Equal', value: 'w' }, false],
    ['Exists on the key', { key: 'k', operator: 'Exists' }, true],
    ['Exists without a key tolerates everything', { operator: 'Exists' }, true],
    ['another effect', { key: 'k', operator: 'Exists', effect: 'NoExecute' }, false],
    ['another key', { key: 'x', operator: 'Exists' }, false],
  ])('%s', (_name, t, want) => expect(toleratesTaint(t, taint)).toBe(want));
});

describe('required node affinity', () => {
  const n = node('n1', { zone: 'a', gen: '5' });
  const term = (matchExpressions: unknown[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } } });
  it.each<[string, Record<string, unknown>, boolean]>([
    ['no constraints', {}, true],
    ['nodeSelector matching', { nodeSelector: { zone: 'a' } }, true],
    ['nodeSelector not matching', { nodeSelector: { zone: 'b' } }, false],
    ['In', term([{ key: 'zone', operator: 'In', values: ['a', 'b'] }]), true],
    ['NotIn', term([{ key: 'zone', operator: 'NotIn', values: ['a'] }]), false],
    ['NotIn on a missing label', term([{ key: 'rack', operator: 'NotIn', values: ['x'] }]), true],
    ['Exists', term([{ key: 'zone', operator: 'Exists' }]), true],
    ['DoesNotExist', term([{ key: 'zone', operator: 'DoesNotExist' }]), false],
    ['Gt', term([{ key: 'gen', operator: 'Gt', values: ['4'] }]), true],
    ['Lt', term([{ key: 'gen', operator: 'Lt', values: ['4'] }]), false],
    ['an empty term matches nothing', term([]), false],
  ])('%s', (_name, spec, want) => expect(podMatchesNodeAffinity(spec, n)).toBe(want));
});

describe('nodeShouldRunDaemonPod', () => {
  it('runs on a node whose taints the default daemon tolerations cover', () => {
    expect(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), ds({}))).toEqual({ shouldRun: true, shouldContinueRunning: true });
  });
  it('keeps but does not create a pod under an untolerated NoSchedule taint; removes it under NoExecute', () => {
    expect(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'x', effect: 'NoSchedule' }]), ds({}))).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'x', effect: 'NoExecute' }]), ds({}))).toEqual({ shouldRun: false, shouldContinueRunning: false });
  });
  it('honours a template nodeName', () => {
    expect(nodeShouldRunDaemonPod(node('n'), ds({ nodeName: 'other' })).shouldRun).toBe(false);
  });
});

describe('daemon pod placement helpers', () => {
  it('pins a pod to a node by metadata.name, replacing other required terms, and reads it back', () => {
    const affinity = withNodeNameAffinity({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }] } }, podAntiAffinity: {} }, 'n7');
    expect(affinity).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }] } }, podAntiAffinity: {} });
    expect(targetNodeName({ metadata: {}, spec: { affinity } })).toBe('n7');
    expect(targetNodeName({ metadata: {}, spec: { nodeName: 'bound', affinity } })).toBe('bound');
  });
  it('replaces a user toleration that matches a default one', () => {
    const t = addOrUpdateTolerations([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }]);
    expect(t).toEqual([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }]);
  });
});

describe('revision hash', () => {
  it('is stable under key order, changes with the template and the collision count, and uses the safe alphabet', () => {
    const a = templateHash({ spec: { containers: [{ name: 'a', image: 'x' }] }, metadata: { labels: { app: 'a' } } });
    const b = templateHash({ metadata: { labels: { app: 'a' } }, spec: { containers: [{ image: 'x', name: 'a' }] } });
    expect(a).toBe(b);
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(templateHash({ spec: { containers: [{ name: 'a', image: 'y' }] } })).not.toBe(a);
    expect(templateHash({ spec: {} }, 1)).not.toBe(templateHash({ spec: {} }, 2));
    expect(canonicalJSON({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(safeEncodeString('0123456789')).toBe('456789bcdf'); // as rand.SafeEncodeString maps them
  });
});
