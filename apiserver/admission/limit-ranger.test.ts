import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { attrs, container, FakeContext, pod, resource } from './fake.test-helper.js';
import { defaultLimitRangeItem, LIMIT_RANGER_ANNOTATION, limitRanger } from './limit-ranger.js';

const limitRange = (name: string, limits: Record<string, unknown>[]): KubeObject => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace: 'ns' }, spec: { limits } });
const pods = resource('pods');

function run(lrs: KubeObject[], p: KubeObject): { pod: KubeObject; error?: string } {
  const plugin = limitRanger(new FakeContext(lrs));
  const a = attrs('CREATE', pods, p);
  try {
    plugin.admit!(a);
    plugin.validate!(a);
    return { pod: a.object! };
  } catch (err) {
    return { pod: a.object!, error: `${(err as ApiError).code} ${(err as ApiError).message}` };
  }
}

const defaults = limitRange('defaults', [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } }]);

describe('LimitRanger defaults', () => {
  it('fills requests and limits a container leaves out, and says so in the annotation', () => {
    const { pod: p, error } = run([defaults], pod('p', { containers: [container('c')] }));
    expect(error).toBeUndefined();
    expect(p.spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(p.metadata.annotations?.[LIMIT_RANGER_ANNOTATION]).toBe('LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c');
  });

  it('keeps what the container states and names init containers apart', () => {
    const { pod: p } = run(
      [defaults],
      pod('p', {
        initContainers: [container('init', { resources: { requests: { cpu: '50m' }, limits: { cpu: '200m' } } })],
        containers: [container('c', { resources: { requests: { memory: '64Mi' }, limits: { memory: '64Mi' } } })],
      }),
    );
    expect(p.spec.containers[0].resources).toEqual({ limits: { memory: '64Mi', cpu: '500m' }, requests: { memory: '64Mi', cpu: '100m' } });
    expect(p.spec.initContainers[0].resources).toEqual({ limits: { cpu: '200m', memory: '256Mi' }, requests: { cpu: '50m', memory: '128Mi' } });
    expect(p.metadata.annotations?.[LIMIT_RANGER_ANNOTATION]).toBe(
      'LimitRanger plugin set: cpu request for container c; cpu limit for container c; memory request for init container init; memory limit for init container init',
    );
  });

  it('defaults a LimitRange item as the API does: default from max, defaultRequest from default then min', () => {
    expect(defaultLimitRangeItem({ type: 'Container', max: { cpu: '2' }, min: { memory: '1Mi' } })).toEqual({
      type: 'Container',
      max: { cpu: '2' },
      min: { memory: '1Mi' },
      default: { cpu: '2' },
      defaultRequest: { cpu: '2', memory: '1Mi' },
    });
    expect(defaultLimitRangeItem({ type: 'Pod', max: { cpu: '2' } })).toEqual({ type: 'Pod', max: { cpu: '2' } });
  });

  it('adds nothing, and no annotation, without a LimitRange', () => {
    const { pod: p } = run([], pod('p', { containers: [container('c')] }));
    expect(p.metadata.annotations).toBeUndefined();
    expect(p.spec.containers[0].resources).toBeUndefined();
  });
});

describe('LimitRanger validation', () => {
  const withResources = (requests: Record<string, string>, limits: Record<string, string>) => pod('x', { containers: [container('c', { resources: { requests, limits } })] });
  it.each([
    ['within min and max', [{ type: 'Container', min: { cpu: '100m' }, max: { cpu: '1' } }], withResources({ cpu: '200m' }, { cpu: '1' }), undefined],
    ['over the max limit', [{ type: 'Container', max: { cpu: '1' } }], withResources({ cpu: '1' }, { cpu: '2' }), '403 pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2'],
    ['a request over the max', [{ type: 'Container', max: { memory: '1Gi' } }], withResources({ memory: '2Gi' }, { memory: '1Gi' }), '403 pods "x" is forbidden: maximum memory usage per Container is 1Gi, but request is 2Gi'],
    ['under the min request', [{ type: 'Container', min: { memory: '64Mi' } }], withResources({ memory: '32Mi' }, {}), '403 pods "x" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi'],
    [
      'over the limit/request ratio',
      [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }],
      withResources({ cpu: '250m' }, { cpu: '1' }),
      '403 pods "x" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000',
    ],
    [
      'several violations at once',
      [{ type: 'Container', max: { cpu: '1', memory: '1Gi' } }],
      withResources({ cpu: '1500m' }, { cpu: '2', memory: '2Gi' }),
      '403 pods "x" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi]',
    ],
    [
      'a Pod item over the sum of containers',
      [{ type: 'Pod', max: { cpu: '1' } }],
      pod('x', { containers: [container('a', { resources: { limits: { cpu: '600m' }, requests: { cpu: '600m' } } }), container('b', { resources: { limits: { cpu: '600m' }, requests: { cpu: '600m' } } })] }),
      '403 pods "x" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m',
    ],
  ])('%s', (_name, limits, p, want) => {
    expect(run([limitRange('lr', limits)], p).error).toBe(want);
  });

  it('fills defaults from max when a container states nothing, so max alone never rejects for a missing limit', () => {
    expect(run([limitRange('lr', [{ type: 'Container', max: { cpu: '1' } }])], pod('x', { containers: [container('c')] })).error).toBeUndefined();
  });

  it('checks claims against PersistentVolumeClaim items, on create and update', () => {
    const plugin = limitRanger(new FakeContext([limitRange('lr', [{ type: 'PersistentVolumeClaim', max: { storage: '10Gi' }, min: { storage: '1Gi' } }])]));
    const claim = (size: string): KubeObject => ({ metadata: { name: 'data', namespace: 'ns' }, spec: { resources: { requests: { storage: size } } } });
    const claims = resource('persistentvolumeclaims');
    expect(() => plugin.validate!(attrs('CREATE', claims, claim('5Gi')))).not.toThrow();
    expect(() => plugin.validate!(attrs('UPDATE', claims, claim('20Gi'), { oldObject: claim('5Gi') }))).toThrow(
      'persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi',
    );
    expect(() => plugin.validate!(attrs('CREATE', claims, claim('500Mi')))).toThrow('minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
  });

  it('ignores pod updates and subresources', () => {
    const plugin = limitRanger(new FakeContext([limitRange('lr', [{ type: 'Container', max: { cpu: '1' } }])]));
    const big = withResources({ cpu: '2' }, { cpu: '2' });
    expect(() => plugin.validate!(attrs('UPDATE', pods, big, { oldObject: big }))).not.toThrow();
    expect(() => plugin.validate!(attrs('CREATE', pods, big, { subresource: 'binding' }))).not.toThrow();
  });
});
