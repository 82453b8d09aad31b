import { describe, expect, it } from 'vitest';
import type { Client, ResourceRef } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { reconcileResourceQuota, resourcesToCount } from './reconcile.js';

const NOW = new Date('2024-05-01T00:00:00Z');

function fakeClient(objects: Record<string, KubeObject[]>, quota: KubeObject | undefined) {
  const updates: KubeObject[] = [];
  const lists: string[] = [];
  const client = {
    async get(_r: ResourceRef, ns: string, name: string) {
      if (!quota) throw new ApiError(404, 'NotFound', `resourcequotas "${name}" not found`);
      return structuredClone({ ...quota, metadata: { ...quota.metadata, namespace: ns } });
    },
    async list(r: ResourceRef, ns: string) {
      lists.push(`${r.group}/${r.plural}`);
      return { items: (objects[`${r.group}/${r.plural}`] ?? []).filter((o) => o.metadata.namespace === ns) };
    },
    async update(_r: ResourceRef, obj: KubeObject, sub?: string) {
      expect(sub).toBe('status');
      updates.push(obj);
      return obj;
    },
  };
  return { client: client as unknown as Client, updates, lists };
}

const q = (hard: Record<string, string>, status?: Record<string, unknown>, spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'q', namespace: 'ns', resourceVersion: '10' },
  spec: { hard, ...spec },
  ...(status ? { status } : {}),
});
const pod = (name: string, cpu: string | undefined, phase = 'Running'): KubeObject => ({
  metadata: { name, namespace: 'ns' },
  spec: { containers: [{ name: 'c', ...(cpu ? { resources: { requests: { cpu }, limits: { cpu } } } : {}) }] },
  status: { phase },
});
const deps = (client: Client, resolved?: ResourceRef) => ({ client, now: () => NOW, resolve: async () => resolved });

describe('resourcequota reconcile', () => {
  it('sets status.hard from spec and counts used from the real objects, terminal pods left out', async () => {
    const { client, updates } = fakeClient(
      {
        '/pods': [pod('a', '500m'), pod('b', '250m'), pod('done', '1', 'Succeeded'), { ...pod('other', '1'), metadata: { name: 'other', namespace: 'elsewhere' } }],
        '/services': [{ metadata: { name: 's', namespace: 'ns' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } }],
        '/configmaps': [{ metadata: { name: 'c1', namespace: 'ns' } }, { metadata: { name: 'c2', namespace: 'ns' } }],
      },
      q({ pods: '10', 'requests.cpu': '4', 'limits.cpu': '8', 'count/pods': '20', services: '5', 'services.nodeports': '2', configmaps: '10' }),
    );
    await reconcileResourceQuota('ns/q', deps(client));
    expect(updates).toHaveLength(1);
    expect(updates[0]!.metadata.resourceVersion).toBe('10');
    expect(updates[0]!.status).toEqual({
      hard: { configmaps: '10', 'count/pods': '20', 'limits.cpu': '8', pods: '10', 'requests.cpu': '4', services: '5', 'services.nodeports': '2' },
      used: { configmaps: '2', 'count/pods': '3', 'limits.cpu': '750m', pods: '2', 'requests.cpu': '750m', services: '1', 'services.nodeports': '1' },
    });
  });

  it('writes nothing when the status already says so', async () => {
    const { client, updates } = fakeClient({ '/pods': [pod('a', '1')] }, q({ pods: '3' }, { hard: { pods: '3' }, used: { pods: '1' } }));
    await reconcileResourceQuota('ns/q', deps(client));
    expect(updates).toEqual([]);
  });

  it('gives back what deleted objects used', async () => {
    const { client, updates } = fakeClient({ '/pods': [] }, q({ pods: '3' }, { hard: { pods: '3' }, used: { pods: '2' } }));
    await reconcileResourceQuota('ns/q', deps(client));
    expect(updates[0]!.status.used).toEqual({ pods: '0' });
  });

  it('counts count/<resource>.<group> through discovery, and only the pods its scopes select', async () => {
    const deployments: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };
    const { client, updates, lists } = fakeClient(
      { 'apps/deployments': [{ metadata: { name: 'd', namespace: 'ns' } }], '/pods': [pod('be', undefined), pod('burst', '1')] },
      q({ 'count/deployments.apps': '2', pods: '5' }, undefined, { scopes: ['BestEffort'] }),
    );
    await reconcileResourceQuota('ns/q', deps(client, deployments));
    // A scoped quota counts only pods; deployments have no scopes, so it does not select them.
    expect(updates[0]!.status.used).toEqual({ 'count/deployments.apps': '0', pods: '1' });
    expect(lists.sort()).toEqual(['/pods', 'apps/deployments']);
  });

  it('is done when the quota is gone', async () => {
    const { client, updates } = fakeClient({}, undefined);
    await reconcileResourceQuota('ns/q', deps(client));
    expect(updates).toEqual([]);
  });

  it('lists only what the hard names need', () => {
    expect(resourcesToCount(['requests.cpu', 'limits.memory', 'pods'])).toEqual([{ group: '', plural: 'pods' }]);
    expect(resourcesToCount(['requests.storage', 'gold.storageclass.storage.k8s.io/persistentvolumeclaims', 'secrets', 'count/jobs.batch'])).toEqual([
      { group: '', plural: 'persistentvolumeclaims' },
      { group: '', plural: 'secrets' },
      { group: 'batch', plural: 'jobs' },
    ]);
  });
});
