import { describe, expect, it } from 'vitest';
import { addDefaultTolerations, applyPodDefaults, DEFAULT_TOLERATION_SECONDS } from './defaults-pod.js';

const notReady = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS };
const unreachable = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS };

describe('DefaultTolerationSeconds', () => {
  it('tolerates not-ready and unreachable for 300 s by default', () => {
    expect(DEFAULT_TOLERATION_SECONDS).toBe(300);
    const pod: any = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } };
    applyPodDefaults(pod);
    expect(pod.spec.tolerations).toEqual([notReady, unreachable]);
  });

  it.each([
    ['an explicit unreachable toleration', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 }], ['not-ready']],
    ['one with no effect', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }], ['unreachable']],
    ['one with no key (tolerates everything NoExecute)', [{ operator: 'Exists', effect: 'NoExecute' }], []],
    ['a NoSchedule toleration, which does not count', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }], ['not-ready', 'unreachable']],
  ])('adds only what is missing next to %s', (_name, tolerations, added) => {
    const spec: any = { tolerations: structuredClone(tolerations) };
    addDefaultTolerations(spec);
    expect(spec.tolerations.slice(0, tolerations.length)).toEqual(tolerations);
    expect(spec.tolerations.slice(tolerations.length).map((t: { key: string }) => t.key.replace('node.kubernetes.io/', ''))).toEqual(added);
  });

  it('is idempotent and leaves malformed tolerations to validation', () => {
    const spec: any = {};
    addDefaultTolerations(spec);
    addDefaultTolerations(spec);
    expect(spec.tolerations).toEqual([notReady, unreachable]);
    const bad: any = { tolerations: 'x' };
    addDefaultTolerations(bad);
    expect(bad.tolerations).toBe('x');
  });
});
