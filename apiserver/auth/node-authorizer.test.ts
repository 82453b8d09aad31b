import { describe, expect, it } from 'vitest';
import type { Attributes } from './authorizer.js';
import { NodeAuthorizer, nodeIdentity, type NodeAuthorizerLookup, type PodLike } from './node-authorizer.js';
import { podReferences } from './pod-references.js';
import { requestInfo } from './request-info.js';

const pods: PodLike[] = [
  {
    metadata: { namespace: 'app', name: 'web' },
    spec: {
      nodeName: 'node-1',
      serviceAccountName: 'web-sa',
      imagePullSecrets: [{ name: 'registry-creds' }],
      containers: [
        {
          name: 'web',
          env: [
            { name: 'A', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'a' } } },
            { name: 'B', valueFrom: { configMapKeyRef: { name: 'env-config', key: 'b' } } },
            { name: 'C', value: 'plain' },
          ],
          envFrom: [{ secretRef: { name: 'bulk-secret' } }, { configMapRef: { name: 'bulk-config' } }],
        },
      ],
      initContainers: [{ name: 'init', env: [{ name: 'D', valueFrom: { secretKeyRef: { name: 'init-secret', key: 'd' } } }] }],
      volumes: [
        { name: 'certs', secret: { secretName: 'vol-secret' } },
        { name: 'conf', configMap: { name: 'vol-config' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'data-claim' } },
        { name: 'mix', projected: { sources: [{ secret: { name: 'proj-secret' } }, { configMap: { name: 'proj-config' } }, { serviceAccountToken: { path: 't' } }] } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
        { name: 'csi', csi: { driver: 'x', nodePublishSecretRef: { name: 'csi-secret' } } },
      ],
    },
  },
  { metadata: { namespace: 'app', name: 'api' }, spec: { nodeName: 'node-2', containers: [{ name: 'api' }], volumes: [{ name: 's', secret: { secretName: 'api-secret' } }] } },
  { metadata: { namespace: 'other', name: 'web' }, spec: { nodeName: 'node-1', containers: [{ name: 'c' }] } },
  { metadata: { namespace: 'app', name: 'pending' }, spec: { containers: [{ name: 'c' }] } },
];

const claims: Record<string, { spec?: { volumeName?: string } }> = {
  'app/data-claim': { spec: { volumeName: 'pv-data' } },
  'app/web-scratch': { spec: { volumeName: 'pv-scratch' } },
};

const lookup: NodeAuthorizerLookup = {
  podsOnNode: (node) => pods.filter((p) => p.spec?.nodeName === node),
  getPod: (ns, name) => pods.find((p) => p.metadata?.namespace === ns && p.metadata?.name === name),
  getPersistentVolumeClaim: (ns, name) => claims[`${ns}/${name}`],
};
const authz = new NodeAuthorizer(lookup);
const node1 = { name: 'system:node:node-1', groups: ['system:nodes', 'system:authenticated'] };
const req = (method: string, url: string): Attributes => requestInfo({ method, url });
const decide = (method: string, url: string, user = node1) => authz.authorize(user, req(method, url)).decision;

type Case = [method: string, url: string, decision: 'allow' | 'no-opinion'];

describe('NodeAuthorizer', () => {
  it('identifies kubelets by user and group', () => {
    expect(nodeIdentity(node1)).toBe('node-1');
    expect(nodeIdentity({ name: 'system:node:node-1', groups: [] })).toBeUndefined();
    expect(nodeIdentity({ name: 'alice', groups: ['system:nodes'] })).toBeUndefined();
    expect(authz.authorize({ name: 'system:node:', groups: ['system:nodes'] }, req('GET', '/api/v1/pods'))).toEqual({
      decision: 'no-opinion',
      reason: 'unknown node for user "system:node:"',
    });
  });

  it('has no opinion about anyone else, whatever they ask', () => {
    expect(decide('GET', '/api/v1/pods', { name: 'alice', groups: ['system:authenticated'] })).toBe('no-opinion');
    expect(decide('GET', '/api/v1/namespaces/app/secrets/vol-secret', { name: 'system:node:node-1', groups: [] })).toBe('no-opinion');
  });

  it.each<Case>([
    // Reads every node needs.
    ['GET', '/api/v1/nodes', 'allow'],
    ['GET', '/api/v1/nodes/node-2', 'allow'],
    ['GET', '/api/v1/nodes?watch=true', 'allow'],
    ['GET', '/api/v1/services', 'allow'],
    ['GET', '/api/v1/namespaces/app/endpoints?watch=1', 'allow'],
    ['GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1', 'allow'],
    ['GET', '/api/v1/namespaces/app/pods/api', 'allow'],
    // Its own Node only.
    ['POST', '/api/v1/nodes', 'allow'],
    ['PUT', '/api/v1/nodes/node-1', 'allow'],
    ['PATCH', '/api/v1/nodes/node-1/status', 'allow'],
    ['PATCH', '/api/v1/nodes/node-2/status', 'no-opinion'],
    ['PUT', '/api/v1/nodes/node-2', 'no-opinion'],
    ['DELETE', '/api/v1/nodes/node-1', 'no-opinion'],
    // Its own Lease in kube-node-lease.
    ['GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1', 'allow'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1', 'allow'],
    ['POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', 'allow'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-2', 'no-opinion'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/node-1', 'no-opinion'],
    ['GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', 'no-opinion'],
    // Pods bound to it.
    ['PATCH', '/api/v1/namespaces/app/pods/web/status', 'allow'],
    ['PUT', '/api/v1/namespaces/app/pods/web/status', 'allow'],
    ['PATCH', '/api/v1/namespaces/app/pods/api/status', 'no-opinion'],
    ['PATCH', '/api/v1/namespaces/app/pods/pending/status', 'no-opinion'],
    ['PATCH', '/api/v1/namespaces/app/pods/ghost/status', 'no-opinion'],
    ['DELETE', '/api/v1/namespaces/app/pods/web', 'allow'],
    ['DELETE', '/api/v1/namespaces/app/pods/api', 'no-opinion'],
    ['DELETE', '/api/v1/namespaces/app/pods', 'no-opinion'],
    ['POST', '/api/v1/namespaces/app/pods/web/eviction', 'allow'],
    ['POST', '/api/v1/namespaces/app/pods', 'allow'],
    ['PUT', '/api/v1/namespaces/app/pods/web', 'no-opinion'],
    ['POST', '/api/v1/namespaces/app/pods/web/exec', 'no-opinion'],
    // Events.
    ['POST', '/api/v1/namespaces/app/events', 'allow'],
    ['PATCH', '/api/v1/namespaces/app/events/e1', 'allow'],
    ['POST', '/apis/events.k8s.io/v1/namespaces/app/events', 'no-opinion'],
    // Secrets and config maps a bound pod references, in its namespace.
    ['GET', '/api/v1/namespaces/app/secrets/vol-secret', 'allow'],
    ['GET', '/api/v1/namespaces/app/secrets/env-secret', 'allow'],
    ['GET', '/api/v1/namespaces/app/secrets/bulk-secret', 'allow'],
    ['GET', '/api/v1/namespaces/app/secrets/init-secret', 'allow'],
    ['GET', '/api/v1/namespaces/app/secrets/registry-creds', 'allow'],
    ['GET', '/api/v1/namespaces/app/secrets/proj-secret', 'allow'],
    ['GET', '/api/v1/namespaces/app/secrets/csi-secret', 'allow'],
    ['GET', '/api/v1/namespaces/app/secrets?watch=true&fieldSelector=metadata.name%3Dvol-secret', 'allow'],
    ['GET', '/api/v1/namespaces/app/secrets', 'no-opinion'],
    ['GET', '/api/v1/namespaces/app/secrets/api-secret', 'no-opinion'],
    ['GET', '/api/v1/namespaces/other/secrets/vol-secret', 'no-opinion'],
    ['PUT', '/api/v1/namespaces/app/secrets/vol-secret', 'no-opinion'],
    ['GET', '/api/v1/namespaces/app/configmaps/vol-config', 'allow'],
    ['GET', '/api/v1/namespaces/app/configmaps/env-config', 'allow'],
    ['GET', '/api/v1/namespaces/app/configmaps/bulk-config', 'allow'],
    ['GET', '/api/v1/namespaces/app/configmaps/proj-config', 'allow'],
    ['GET', '/api/v1/namespaces/app/configmaps/kube-root-ca.crt', 'no-opinion'],
    // Claims and the volumes they are bound to.
    ['GET', '/api/v1/namespaces/app/persistentvolumeclaims/data-claim', 'allow'],
    ['GET', '/api/v1/namespaces/app/persistentvolumeclaims/web-scratch', 'allow'],
    ['GET', '/api/v1/namespaces/app/persistentvolumeclaims', 'no-opinion'],
    ['PATCH', '/api/v1/namespaces/app/persistentvolumeclaims/data-claim/status', 'allow'],
    ['PUT', '/api/v1/namespaces/app/persistentvolumeclaims/data-claim', 'no-opinion'],
    ['GET', '/api/v1/persistentvolumes/pv-data', 'allow'],
    ['GET', '/api/v1/persistentvolumes/pv-scratch', 'allow'],
    ['GET', '/api/v1/persistentvolumes/pv-other', 'no-opinion'],
    ['GET', '/api/v1/persistentvolumes', 'no-opinion'],
    // Tokens for its pods' service accounts.
    ['POST', '/api/v1/namespaces/app/serviceaccounts/web-sa/token', 'allow'],
    ['POST', '/api/v1/namespaces/other/serviceaccounts/default/token', 'allow'],
    ['POST', '/api/v1/namespaces/app/serviceaccounts/default/token', 'no-opinion'],
    ['GET', '/api/v1/namespaces/app/serviceaccounts/web-sa', 'no-opinion'],
    // Anything else: the static system:node rules.
    ['POST', '/apis/authentication.k8s.io/v1/tokenreviews', 'allow'],
    ['GET', '/apis/apps/v1/deployments', 'no-opinion'],
    ['GET', '/healthz', 'no-opinion'],
  ])('node-1: %s %s → %s', (method, url, decision) => {
    expect(decide(method, url)).toBe(decision);
  });

  it('says why it has no opinion', () => {
    expect(authz.authorize(node1, req('GET', '/api/v1/namespaces/app/secrets/api-secret')).reason).toBe(
      'no relationship found between node "node-1" and this object',
    );
    expect(authz.authorize(node1, req('PUT', '/api/v1/namespaces/app/secrets/x')).reason).toBe('can only read resources of this type');
    expect(authz.authorize(node1, req('GET', '/api/v1/namespaces/app/secrets')).reason).toBe('No Object name found');
  });

  it('node-2 sees its own pods, not node-1\'s', () => {
    const node2 = { name: 'system:node:node-2', groups: ['system:nodes'] };
    expect(decide('GET', '/api/v1/namespaces/app/secrets/api-secret', node2)).toBe('allow');
    expect(decide('GET', '/api/v1/namespaces/app/secrets/vol-secret', node2)).toBe('no-opinion');
    expect(decide('PATCH', '/api/v1/namespaces/app/pods/api/status', node2)).toBe('allow');
  });
});

describe('podReferences', () => {
  it('collects every secret, config map, claim and service account', () => {
    const refs = podReferences(pods[0]!);
    expect([...refs.secrets].sort()).toEqual(['bulk-secret', 'csi-secret', 'env-secret', 'init-secret', 'proj-secret', 'registry-creds', 'vol-secret']);
    expect([...refs.configmaps].sort()).toEqual(['bulk-config', 'env-config', 'proj-config', 'vol-config']);
    expect([...refs.persistentvolumeclaims].sort()).toEqual(['data-claim', 'web-scratch']);
    expect([...refs.serviceaccounts]).toEqual(['web-sa']);
  });

  it('tolerates partial and mistyped pods', () => {
    const refs = podReferences({ spec: { containers: 'x', volumes: [null, { secret: 5 }], imagePullSecrets: [{}] } as never });
    expect(refs.secrets.size + refs.configmaps.size + refs.persistentvolumeclaims.size).toBe(0);
    expect([...refs.serviceaccounts]).toEqual(['default']);
  });
});
