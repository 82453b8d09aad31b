import { describe, expect, it } from 'vitest';
import type { PodLike } from './node-authorizer.js';
import { admitNodeRequest, MIRROR_POD_ANNOTATION } from './node-restriction.js';
import { requestInfo } from './request-info.js';

const node1 = { name: 'system:node:node-1', groups: ['system:nodes'] };
const pods: PodLike[] = [
  { metadata: { namespace: 'app', name: 'web', uid: 'u-web' }, spec: { nodeName: 'node-1' } },
  { metadata: { namespace: 'app', name: 'api', uid: 'u-api' }, spec: { nodeName: 'node-2' } },
];
const lookup = { getPod: (ns: string, name: string) => pods.find((p) => p.metadata?.namespace === ns && p.metadata?.name === name) };
const admit = (method: string, url: string, body: unknown, user = node1) => admitNodeRequest(user, requestInfo({ method, url }), body, lookup)?.message;

const mirror = (extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => ({
  metadata: { name: 'static-web-node-1', namespace: 'kube-system', annotations: { [MIRROR_POD_ANNOTATION]: 'abc' }, ...meta },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }], ...extra },
});

describe('admitNodeRequest', () => {
  it('admits anything from users who are not nodes', () => {
    expect(admit('POST', '/api/v1/namespaces/app/pods', { metadata: { name: 'x' } }, { name: 'alice', groups: [] })).toBeUndefined();
  });

  it('admits a mirror pod bound to the node, owned by its Node', () => {
    expect(admit('POST', '/api/v1/namespaces/kube-system/pods', mirror())).toBeUndefined();
    const owner = { apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'n1' };
    expect(admit('POST', '/api/v1/namespaces/kube-system/pods', mirror({}, { ownerReferences: [owner] }))).toBeUndefined();
  });

  it.each([
    [{ metadata: { name: 'p' }, spec: { nodeName: 'node-1' } }, 'pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "node-1" can only create mirror pods'],
    [mirror({ nodeName: 'node-2' }), 'pods "static-web-node-1" is forbidden: node "node-1" can only create pods with spec.nodeName set to itself'],
    [mirror({}, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'x' }] }), 'pods "static-web-node-1" is forbidden: node "node-1" can only create pods with an owner reference set to itself'],
    [mirror({ serviceAccountName: 'default' }), 'pods "static-web-node-1" is forbidden: node "node-1" can not create pods that reference a service account'],
    [mirror({ volumes: [{ name: 's', secret: { secretName: 's' } }] }), 'pods "static-web-node-1" is forbidden: node "node-1" can not create pods that reference secrets'],
    [mirror({ volumes: [{ name: 'c', configMap: { name: 'c' } }] }), 'pods "static-web-node-1" is forbidden: node "node-1" can not create pods that reference configmaps'],
    [mirror({ volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'd' } }] }), 'pods "static-web-node-1" is forbidden: node "node-1" can not create pods that reference persistentvolumeclaims'],
  ])('refuses pod %#', (body, message) => {
    expect(admit('POST', '/api/v1/namespaces/kube-system/pods', body)).toBe(message);
  });

  it('lets a node register and update only its own Node', () => {
    expect(admit('POST', '/api/v1/nodes', { metadata: { name: 'node-1' } })).toBeUndefined();
    expect(admit('POST', '/api/v1/nodes', { metadata: { name: 'node-2' } })).toBe('nodes "node-2" is forbidden: node "node-1" is not allowed to modify node "node-2"');
    expect(admit('PATCH', '/api/v1/nodes/node-1/status', {})).toBeUndefined();
  });

  it('lets a node create only its own Lease', () => {
    expect(admit('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'node-1' } })).toBeUndefined();
    expect(admit('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'node-2' } })).toBe(
      'leases.coordination.k8s.io "node-2" is forbidden: can only access node lease with the same name as the requesting node',
    );
  });

  it('issues tokens only bound to pods on the node', () => {
    const url = '/api/v1/namespaces/app/serviceaccounts/default/token';
    const bound = (name: string, uid?: string) => ({ spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name, uid } } });
    expect(admit('POST', url, bound('web', 'u-web'))).toBeUndefined();
    expect(admit('POST', url, { spec: {} })).toBe('serviceaccounts "default" is forbidden: node requested token not bound to a pod');
    expect(admit('POST', url, bound('api'))).toBe('serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node');
    expect(admit('POST', url, bound('web', 'stale'))).toBe('serviceaccounts "default" is forbidden: the UID in the bound object reference does not match the pod');
    expect(admit('POST', url, bound('ghost'))).toBe('serviceaccounts "default" is forbidden: node requested token bound to a pod that does not exist');
  });
});
