import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { attrs, container, FakeContext, pod, resource } from './fake.test-helper.js';
import { evaluatorFor } from './quota/evaluators.js';
import { podUsage } from './quota/pods.js';
import { add, fromJSON, prettyPrint, toJSON } from './quota/resource-list.js';
import { resourceQuota } from './resource-quota.js';

const NOW = new Date('2024-05-01T00:00:00Z');
const quotas = resource('resourcequotas');
const pods = resource('pods');

const quota = (name: string, hard: Record<string, string>, used: Record<string, string> | undefined, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name, namespace: 'ns' },
  spec: { hard, ...spec },
  ...(used ? { status: { hard, used } } : {}),
});

const sized = (name: string, cpu: string, memory: string) =>
  pod(name, { containers: [container('c', { resources: { requests: { cpu, memory }, limits: { cpu, memory } } })] });

async function admit(ctx: FakeContext, obj: KubeObject, extra: Parameters<typeof attrs>[3] = {}, r = pods): Promise<string> {
  const plugin = resourceQuota(ctx, { now: () => NOW });
  try {
    const effect = plugin.validate!(attrs('CREATE', r, obj, extra));
    if (effect) await effect();
    return 'allowed';
  } catch (err) {
    return `${(err as ApiError).code} ${(err as ApiError).message}`;
  }
}

describe('quota arithmetic', () => {
  it('adds exactly and prints canonical quantities', () => {
    let sum = fromJSON({});
    for (let i = 0; i < 10; i++) sum = add(sum, fromJSON({ cpu: '100m', memory: '512Mi' }));
    expect(toJSON(sum)).toEqual({ cpu: '1', memory: '5Gi' });
    expect(prettyPrint(add(fromJSON({ 'limits.cpu': '1500m', pods: '1' }), fromJSON({ pods: '2' })))).toBe('limits.cpu=1500m,pods=3');
  });

  it.each([
    ['a running pod', sized('p', '250m', '64Mi'), { 'count/pods': '1', pods: '1', cpu: '250m', 'requests.cpu': '250m', 'limits.cpu': '250m', memory: '64Mi', 'requests.memory': '64Mi', 'limits.memory': '64Mi' }],
    ['a terminal pod: only count/pods', { ...sized('p', '250m', '64Mi'), status: { phase: 'Succeeded' } }, { 'count/pods': '1' }],
    [
      'init containers as a floor, sidecars added',
      pod('p', {
        initContainers: [container('init', { resources: { requests: { cpu: '2' } } }), container('side', { restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } })],
        containers: [container('c', { resources: { requests: { cpu: '500m' } } })],
      }),
      { 'count/pods': '1', pods: '1', cpu: '2', 'requests.cpu': '2' },
    ],
  ])('pod usage: %s', (_name, p, want) => {
    expect(toJSON(podUsage(p, NOW))).toEqual(want);
  });

  it.each([
    ['ClusterIP', { type: 'ClusterIP', ports: [{ port: 80 }] }, { 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '0' }],
    ['NodePort', { type: 'NodePort', ports: [{ port: 80 }, { port: 443 }] }, { 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '2' }],
    ['LoadBalancer', { type: 'LoadBalancer', ports: [{ port: 80 }] }, { 'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '1' }],
  ])('service usage: %s', (_name, spec, want) => {
    expect(toJSON(evaluatorFor('', 'services').usage({ metadata: { name: 's' }, spec }, NOW))).toEqual(want);
  });

  it('counts claims, their storage and their class', () => {
    const pvc = { metadata: { name: 'd' }, spec: { storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } } };
    expect(toJSON(evaluatorFor('', 'persistentvolumeclaims').usage(pvc, NOW))).toEqual({
      'count/persistentvolumeclaims': '1',
      'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'fast.storageclass.storage.k8s.io/requests.storage': '10Gi',
      persistentvolumeclaims: '1',
      'requests.storage': '10Gi',
    });
  });

  it('counts any resource as count/<resource>.<group>, and configmaps under their legacy name too', () => {
    expect(toJSON(evaluatorFor('apps', 'deployments').usage({ metadata: { name: 'd' } }, NOW))).toEqual({ 'count/deployments.apps': '1' });
    expect(toJSON(evaluatorFor('', 'configmaps').usage({ metadata: { name: 'c' } }, NOW))).toEqual({ 'count/configmaps': '1', configmaps: '1' });
  });
});

describe('ResourceQuota admission', () => {
  it('charges the quota and refuses past the limit with upstream message', async () => {
    const ctx = new FakeContext([quota('q', { pods: '2' }, { pods: '1' })]);
    expect(await admit(ctx, sized('a', '100m', '1Mi'))).toBe('allowed');
    expect(ctx.get(quotas, 'ns', 'q')!.status.used).toEqual({ pods: '2' });
    expect(await admit(ctx, sized('b', '100m', '1Mi'))).toBe('403 pods "b" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
  });

  it('names only the resources that exceed, in sorted order', async () => {
    const ctx = new FakeContext([quota('compute', { 'limits.cpu': '1', 'limits.memory': '1Gi', pods: '10' }, { 'limits.cpu': '500m', 'limits.memory': '0', pods: '1' })]);
    expect(await admit(ctx, sized('p', '1', '512Mi'))).toBe('403 pods "p" is forbidden: exceeded quota: compute, requested: limits.cpu=1, used: limits.cpu=500m, limited: limits.cpu=1');
  });

  it('requires every container to state what a quota on cpu or memory tracks', async () => {
    const ctx = new FakeContext([quota('compute', { 'limits.cpu': '2', 'requests.memory': '1Gi' }, { 'limits.cpu': '0', 'requests.memory': '0' })]);
    const p = pod('p', { containers: [container('a'), container('b', { resources: { requests: { memory: '1Mi' } } })] });
    expect(await admit(ctx, p)).toBe('403 pods "p" is forbidden: failed quota: compute: must specify limits.cpu for: a,b; requests.memory for: a');
  });

  it('refuses while the controller has not counted a quota yet, and ignores quotas on other resources', async () => {
    expect(await admit(new FakeContext([{ ...quota('q', { pods: '5' }, undefined), status: { hard: { pods: '5' } } }]), sized('p', '1', '1Mi'))).toBe(
      '403 pods "p" is forbidden: status unknown for quota: q, resources: pods',
    );
    // No status.hard at all: the quota constrains nothing yet, as upstream.
    expect(await admit(new FakeContext([quota('q', { pods: '5' }, undefined)]), sized('p', '1', '1Mi'))).toBe('allowed');
    expect(await admit(new FakeContext([quota('q', { services: '0' }, { services: '0' })]), sized('p', '1', '1Mi'))).toBe('allowed');
  });

  it('does not charge terminal pods beyond count/pods, nor anything on dry run', async () => {
    const ctx = new FakeContext([quota('q', { pods: '1', 'count/pods': '5' }, { pods: '1', 'count/pods': '1' })]);
    expect(await admit(ctx, { ...sized('done', '1', '1Mi'), status: { phase: 'Failed' } })).toBe('allowed');
    expect(ctx.get(quotas, 'ns', 'q')!.status.used).toEqual({ 'count/pods': '2', pods: '1' });
    expect(await admit(ctx, sized('dry', '1', '1Mi'), { dryRun: true })).toMatch(/exceeded quota: q, requested: pods=1/);
    const before = ctx.statusWrites;
    expect(await admit(new FakeContext([quota('q', { 'count/pods': '5' }, { 'count/pods': '0' })]), sized('dry', '1', '1Mi'), { dryRun: true })).toBe('allowed');
    expect(ctx.statusWrites).toBe(before);
  });

  it('applies scopes: a BestEffort quota only sees pods without requests or limits', async () => {
    const ctx = new FakeContext([quota('be', { pods: '0' }, { pods: '0' }, { scopes: ['BestEffort'] })]);
    expect(await admit(ctx, sized('burst', '1', '1Mi'))).toBe('allowed');
    expect(await admit(ctx, pod('be', { containers: [container('c')] }))).toBe('403 pods "be" is forbidden: exceeded quota: be, requested: pods=1, used: pods=0, limited: pods=0');
  });

  it('charges a service update only for what it adds', async () => {
    const ctx = new FakeContext([quota('svc', { 'services.nodeports': '1' }, { 'services.nodeports': '0' })]);
    const plugin = resourceQuota(ctx, { now: () => NOW });
    const services = resource('services');
    const before = { metadata: { name: 's', namespace: 'ns', resourceVersion: '7' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }, { port: 81 }] } };
    const after = { ...before, spec: { type: 'NodePort', ports: before.spec.ports } };
    expect(() => plugin.validate!(attrs('UPDATE', services, after, { oldObject: before }))).toThrow(
      'services "s" is forbidden: exceeded quota: svc, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1',
    );
  });

  it('counts other kinds with count/<resource>.<group>', async () => {
    const ctx = new FakeContext([quota('objects', { 'count/deployments.apps': '1' }, { 'count/deployments.apps': '1' })]);
    expect(await admit(ctx, { metadata: { name: 'd', namespace: 'ns' }, spec: {} }, {}, resource('deployments', 'apps'))).toBe(
      '403 deployments.apps "d" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1',
    );
  });
});
