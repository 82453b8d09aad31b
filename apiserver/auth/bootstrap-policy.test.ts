import { describe, expect, it } from 'vitest';
import { validateObject } from '../registry/validation.js';
import type { UserInfo } from './authorizer.js';
import {
  bootstrapClusterRoleBindingObjects,
  bootstrapClusterRoleObjects,
  ensureBootstrapPolicy,
  type PolicyStore,
  type StoredPolicy,
} from './bootstrap-policy.js';
import { RBACAuthorizer, rbacListerFrom } from './rbac.js';
import { requestInfo } from './request-info.js';

const roles = bootstrapClusterRoleObjects();
const bindings = bootstrapClusterRoleBindingObjects();
const rbac = new RBACAuthorizer(rbacListerFrom((resource) => (resource === 'clusterroles' ? roles : resource === 'clusterrolebindings' ? bindings : [])));

/** A user bound through a RoleBinding in `ns` to one of the bootstrap ClusterRoles. */
function boundIn(role: string, ns = 'team'): RBACAuthorizer {
  const rb = { metadata: { name: 'b', namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'User', name: 'u' }] };
  return new RBACAuthorizer(rbacListerFrom((resource, n) => {
    if (resource === 'clusterroles') return roles;
    if (resource === 'rolebindings') return n === ns ? [rb] : [];
    return [];
  }));
}

const can = (a: RBACAuthorizer, user: UserInfo, method: string, url: string) => a.authorize(user, requestInfo({ method, url })).decision === 'allow';
const authenticated = (name: string, ...groups: string[]): UserInfo => ({ name, groups: [...groups, 'system:authenticated'] });
const anonymous: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

describe('bootstrap objects', () => {
  it('are labelled and annotated for reconciliation, and pass the registry\'s validation', () => {
    for (const o of [...roles, ...bindings]) {
      expect(o.metadata.labels?.['kubernetes.io/bootstrapping'], o.metadata.name).toBe('rbac-defaults');
      expect(o.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'], o.metadata.name).toBe('true');
      const resource = o.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings';
      expect(validateObject(resource, structuredClone(o)), `${resource}/${o.metadata.name}`).toEqual([]);
    }
  });

  it('bind only roles that exist', () => {
    const names = new Set(roles.map((r) => r.metadata.name));
    for (const b of bindings) expect(names.has(b.roleRef.name), b.metadata.name).toBe(true);
  });

  it('write out the rules admin, edit and view aggregate', () => {
    const rulesOf = (n: string) => roles.find((r) => r.metadata.name === n)!.rules!;
    expect(rulesOf('view').length).toBeGreaterThan(5);
    expect(rulesOf('edit').length).toBeGreaterThan(rulesOf('view').length);
    expect(rulesOf('admin').length).toBeGreaterThan(rulesOf('edit').length);
    expect(roles.find((r) => r.metadata.name === 'admin')!.aggregationRule).toEqual({
      clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }],
    });
  });
});

describe('who may do what with the bootstrap policy', () => {
  it.each([
    [authenticated('alice'), 'GET', '/api', true],
    [authenticated('alice'), 'GET', '/apis/apps/v1', true],
    [authenticated('alice'), 'GET', '/version', true],
    [authenticated('alice'), 'GET', '/metrics', false],
    [authenticated('alice'), 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', true],
    [authenticated('alice'), 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', true],
    [authenticated('alice'), 'GET', '/api/v1/namespaces/default/pods', false],
    [anonymous, 'GET', '/healthz', true],
    [anonymous, 'GET', '/readyz', true],
    [anonymous, 'GET', '/api', false],
    [authenticated('prometheus', 'system:monitoring'), 'GET', '/metrics', true],
    [authenticated('root', 'system:masters'), 'DELETE', '/api/v1/nodes/n1', true],
    [authenticated('system:kube-proxy'), 'GET', '/api/v1/services?watch=true', true],
    [authenticated('system:kube-proxy'), 'GET', '/api/v1/nodes/n1', true],
    [authenticated('system:kube-proxy'), 'PUT', '/api/v1/services/s', false],
    [authenticated('system:kube-scheduler'), 'POST', '/api/v1/namespaces/x/pods/p/binding', true],
    [authenticated('system:kube-scheduler'), 'PATCH', '/api/v1/namespaces/x/pods/p/status', true],
    [authenticated('system:kube-scheduler'), 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler', true],
    [authenticated('system:kube-scheduler'), 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager', false],
    [authenticated('system:kube-scheduler'), 'PATCH', '/api/v1/persistentvolumeclaims/c', true],
    [authenticated('system:kube-scheduler'), 'DELETE', '/api/v1/nodes/n1', false],
    [{ name: 'system:serviceaccount:kube-system:kube-dns', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] }, 'GET', '/api/v1/endpoints?watch=true', true],
    [authenticated('system:node:n1', 'system:nodes'), 'GET', '/api/v1/namespaces/x/secrets/s', false],
  ])('%o %s %s → %s', (user, method, url, allowed) => {
    expect(can(rbac, user as UserInfo, method, url)).toBe(allowed);
  });

  // What skiff's controllers call (controller-manager/*), under one identity.
  const kcm = authenticated('system:kube-controller-manager');
  it.each([
    ['GET', '/apis/apps/v1/replicasets?watch=true'],
    ['POST', '/api/v1/namespaces/x/pods'],
    ['DELETE', '/api/v1/namespaces/x/pods/p'],
    ['PATCH', '/api/v1/namespaces/x/pods/p'],
    ['PATCH', '/api/v1/namespaces/x/pods/p/status'],
    ['POST', '/api/v1/namespaces/x/pods/p/binding'],
    ['POST', '/apis/apps/v1/namespaces/x/replicasets'],
    ['PUT', '/apis/apps/v1/namespaces/x/replicasets/r'],
    ['PUT', '/apis/apps/v1/namespaces/x/deployments/d/status'],
    ['PUT', '/apis/apps/v1/namespaces/x/statefulsets/s/status'],
    ['PUT', '/apis/apps/v1/namespaces/x/daemonsets/d/status'],
    ['PUT', '/apis/batch/v1/namespaces/x/jobs/j/status'],
    ['PATCH', '/apis/apps/v1/namespaces/x/deployments/d'],
    ['PUT', '/apis/apps/v1/namespaces/x/deployments/d/scale'],
    ['GET', '/apis/apps/v1/namespaces/x/deployments/d/scale'],
    ['PUT', '/apis/autoscaling/v2/namespaces/x/horizontalpodautoscalers/h/status'],
    ['POST', '/api/v1/namespaces/x/endpoints'],
    ['PUT', '/api/v1/namespaces/x/endpoints/e'],
    ['DELETE', '/api/v1/namespaces/x/endpoints/e'],
    ['PUT', '/api/v1/nodes/n1'],
    ['PUT', '/api/v1/nodes/n1/status'],
    ['DELETE', '/api/v1/namespaces/x/configmaps/c'],
    ['DELETE', '/api/v1/namespaces/x/secrets'],
    ['PUT', '/api/v1/namespaces/x/finalize'],
    ['DELETE', '/api/v1/namespaces/x'],
    ['POST', '/api/v1/namespaces/x/persistentvolumeclaims'],
    ['PUT', '/api/v1/persistentvolumes/pv/status'],
    ['DELETE', '/api/v1/persistentvolumes/pv'],
    ['POST', '/api/v1/namespaces/x/events'],
    ['PATCH', '/api/v1/namespaces/x/events/e'],
    ['POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager'],
    ['GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1'],
    ['POST', '/api/v1/namespaces/x/serviceaccounts'],
    ['PUT', '/api/v1/namespaces/x/resourcequotas/q/status'],
  ])('the controller-manager may %s %s', (method, url) => {
    expect(can(rbac, kcm, method, url)).toBe(true);
  });

  it('the controller-manager may not rewrite RBAC or create arbitrary objects', () => {
    expect(can(rbac, kcm, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings')).toBe(false);
    expect(can(rbac, kcm, 'POST', '/apis/apps/v1/namespaces/x/deployments')).toBe(false);
    expect(can(rbac, kcm, 'GET', '/metrics')).toBe(false);
  });

  it.each([
    ['view', 'GET', '/api/v1/namespaces/team/pods', true],
    ['view', 'GET', '/api/v1/namespaces/team/pods/p/log', true],
    ['view', 'GET', '/api/v1/namespaces/team/secrets/s', false],
    ['view', 'POST', '/api/v1/namespaces/team/pods', false],
    ['view', 'GET', '/api/v1/namespaces/other/pods', false],
    ['edit', 'GET', '/api/v1/namespaces/team/secrets/s', true],
    ['edit', 'POST', '/apis/apps/v1/namespaces/team/deployments', true],
    ['edit', 'PUT', '/apis/apps/v1/namespaces/team/deployments/d/scale', true],
    ['edit', 'POST', '/api/v1/namespaces/team/pods/p/exec', true],
    ['edit', 'GET', '/api/v1/namespaces/team/pods', true],
    ['edit', 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', false],
    ['admin', 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings', true],
    ['admin', 'DELETE', '/api/v1/namespaces/team/pods', true],
    ['admin', 'GET', '/api/v1/namespaces/team/pods', true],
    ['admin', 'DELETE', '/api/v1/namespaces/team/resourcequotas/q', false],
  ])('%s in its namespace: %s %s → %s', (role, method, url, allowed) => {
    expect(can(boundIn(role), { name: 'u', groups: [] }, method, url)).toBe(allowed);
  });
});

/** An in-memory PolicyStore that records what it was asked to do. */
function memoryStore(): PolicyStore & { objects: Map<string, StoredPolicy>; calls: string[] } {
  const objects = new Map<string, StoredPolicy>();
  const calls: string[] = [];
  let rv = 0;
  return {
    objects,
    calls,
    get: async (resource, name) => structuredClone(objects.get(`${resource}/${name}`)),
    create: async (resource, obj) => {
      const o = structuredClone(obj) as StoredPolicy;
      o.metadata.resourceVersion = String(++rv);
      objects.set(`${resource}/${o.metadata.name}`, o);
      calls.push(`create ${resource}/${o.metadata.name}`);
    },
    update: async (resource, obj) => {
      const o = structuredClone(obj) as StoredPolicy;
      o.metadata.resourceVersion = String(++rv);
      objects.set(`${resource}/${o.metadata.name}`, o);
      calls.push(`update ${resource}/${o.metadata.name}`);
    },
    delete: async (resource, name) => {
      objects.delete(`${resource}/${name}`);
      calls.push(`delete ${resource}/${name}`);
    },
  };
}

describe('ensureBootstrapPolicy', () => {
  it('creates everything on an empty store, then does nothing', async () => {
    const store = memoryStore();
    const first = await ensureBootstrapPolicy(store);
    expect(first.created).toHaveLength(roles.length + bindings.length);
    expect(store.objects.get('clusterrolebindings/cluster-admin')).toMatchObject({ subjects: [{ kind: 'Group', name: 'system:masters' }] });
    store.calls.length = 0;
    expect(await ensureBootstrapPolicy(store)).toEqual({ created: [], updated: [], skipped: [] });
    expect(store.calls).toEqual([]);
  });

  it('adds missing rules and subjects to autoupdated objects, keeping what users added', async () => {
    const store = memoryStore();
    await ensureBootstrapPolicy(store);
    const view = store.objects.get('clusterroles/system:basic-user') as StoredPolicy & { rules: unknown[] };
    view.rules = [{ verbs: ['get'], apiGroups: [''], resources: ['extra'] }];
    const crb = store.objects.get('clusterrolebindings/system:discovery') as StoredPolicy & { subjects: unknown[] };
    crb.subjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }];
    const result = await ensureBootstrapPolicy(store);
    expect(result.updated).toEqual(['clusterroles/system:basic-user', 'clusterrolebindings/system:discovery']);
    expect((store.objects.get('clusterroles/system:basic-user') as { rules: unknown[] }).rules).toHaveLength(3);
    expect((store.objects.get('clusterrolebindings/system:discovery') as { subjects: Array<{ name: string }> }).subjects.map((s) => s.name)).toEqual([
      'bob',
      'system:authenticated',
    ]);
  });

  it('leaves objects annotated autoupdate=false alone', async () => {
    const store = memoryStore();
    await ensureBootstrapPolicy(store);
    const edit = store.objects.get('clusterroles/edit')!;
    edit.metadata.annotations = { 'rbac.authorization.kubernetes.io/autoupdate': 'false' };
    (edit as { rules: unknown[] }).rules = [];
    const result = await ensureBootstrapPolicy(store);
    expect(result.skipped).toEqual(['clusterroles/edit']);
    expect((store.objects.get('clusterroles/edit') as { rules: unknown[] }).rules).toEqual([]);
  });

  it('replaces a binding whose roleRef changed, since roleRef is immutable', async () => {
    const store = memoryStore();
    await ensureBootstrapPolicy(store);
    const b = store.objects.get('clusterrolebindings/system:basic-user') as StoredPolicy & { roleRef: { name: string } };
    b.roleRef.name = 'view';
    store.calls.length = 0;
    await ensureBootstrapPolicy(store);
    expect(store.calls).toEqual(['delete clusterrolebindings/system:basic-user', 'create clusterrolebindings/system:basic-user']);
    expect(store.objects.get('clusterrolebindings/system:basic-user')).toMatchObject({ roleRef: { name: 'system:basic-user' } });
  });
});
