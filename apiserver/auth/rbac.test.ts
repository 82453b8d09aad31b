import { describe, expect, it } from 'vitest';
import type { Attributes, UserInfo } from './authorizer.js';
import { RBACAuthorizer, rbacListerFrom, type ClusterRole, type Role, type RoleBinding } from './rbac.js';
import { serviceAccountGroups, serviceAccountUsername } from './rbac-rules.js';
import { requestInfo } from './request-info.js';

const G = 'rbac.authorization.k8s.io';
const users = (...names: string[]) => names.map((name) => ({ kind: 'User', apiGroup: G, name }));

const clusterRoles: ClusterRole[] = [
  { metadata: { name: 'cluster-admin' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }] },
  { metadata: { name: 'pod-reader' }, rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }] },
  { metadata: { name: 'log-reader' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }] },
  { metadata: { name: 'status-writer' }, rules: [{ verbs: ['update', 'patch'], apiGroups: ['*'], resources: ['*/status'] }] },
  { metadata: { name: 'deploy-admin' }, rules: [{ verbs: ['*'], apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'] }] },
  { metadata: { name: 'one-configmap' }, rules: [{ verbs: ['get', 'update', 'list', 'watch', 'create'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] }] },
  { metadata: { name: 'health' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/logs/*', '/metrics'] }] },
  { metadata: { name: 'any-group-secrets' }, rules: [{ verbs: ['get'], apiGroups: ['*'], resources: ['secrets'] }] },
  { metadata: { name: 'aggregate' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate': 'true' } }] }, rules: [] },
  { metadata: { name: 'widget-reader', labels: { 'example.com/aggregate': 'true' } }, rules: [{ verbs: ['get'], apiGroups: ['example.com'], resources: ['widgets'] }] },
  { metadata: { name: 'gadget-reader', labels: { 'example.com/aggregate': 'true' } }, rules: [{ verbs: ['list'], apiGroups: ['example.com'], resources: ['gadgets'] }] },
];

const roles: Role[] = [
  { metadata: { name: 'svc-editor', namespace: 'team-a' }, rules: [{ verbs: ['create', 'update', 'delete'], apiGroups: [''], resources: ['services'] }] },
  { metadata: { name: 'svc-editor', namespace: 'team-b' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['services'] }] },
];

const crb = (name: string, role: string, subjects: RoleBinding['subjects']): RoleBinding => ({ metadata: { name }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: role }, subjects });
const rb = (ns: string, name: string, kind: string, role: string, subjects: RoleBinding['subjects']): RoleBinding => ({
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: G, kind, name: role },
  subjects,
});

const clusterRoleBindings: RoleBinding[] = [
  crb('admins', 'cluster-admin', [{ kind: 'Group', apiGroup: G, name: 'ops' }]),
  crb('readers', 'pod-reader', users('carol')),
  crb('monitoring', 'health', [{ kind: 'Group', apiGroup: G, name: 'system:monitoring' }]),
  crb('controllers', 'status-writer', [{ kind: 'ServiceAccount', name: 'controller', namespace: 'kube-system' }]),
  crb('agg', 'aggregate', users('gina')),
  crb('dangling', 'no-such-role', users('dave')),
  crb('all-sas', 'any-group-secrets', [{ kind: 'Group', apiGroup: G, name: 'system:serviceaccounts:ci' }]),
];

const roleBindings: RoleBinding[] = [
  rb('team-a', 'alice-svc', 'Role', 'svc-editor', users('alice')),
  rb('team-a', 'alice-pods', 'ClusterRole', 'pod-reader', users('alice')),
  rb('team-a', 'bob-deploys', 'ClusterRole', 'deploy-admin', users('bob')),
  rb('team-a', 'settings', 'ClusterRole', 'one-configmap', users('erin')),
  rb('team-a', 'logs', 'ClusterRole', 'log-reader', [{ kind: 'ServiceAccount', name: 'builder' }]),
  rb('team-b', 'alice-svc', 'Role', 'svc-editor', users('alice')),
  rb('team-b', 'missing-role', 'Role', 'nope', users('dave')),
];

const lister = rbacListerFrom((resource, ns) => {
  const pick = <T extends { metadata: { namespace?: string } }>(xs: T[]) => (ns === undefined ? xs : xs.filter((x) => x.metadata.namespace === ns));
  switch (resource) {
    case 'clusterroles': return clusterRoles;
    case 'clusterrolebindings': return clusterRoleBindings;
    case 'roles': return pick(roles);
    case 'rolebindings': return pick(roleBindings);
  }
});
const rbac = new RBACAuthorizer(lister);

const u = (name: string, ...groups: string[]): UserInfo => ({ name, groups: [...groups, 'system:authenticated'] });
const sa = (ns: string, name: string): UserInfo => ({ name: serviceAccountUsername(ns, name), groups: [...serviceAccountGroups(ns), 'system:authenticated'] });
const req = (method: string, url: string): Attributes => requestInfo({ method, url });

type Case = [string, UserInfo, Attributes, 'allow' | 'no-opinion'];
const cases: Case[] = [
  // Wildcards.
  ['group member of a * role deletes a node', u('olga', 'ops'), req('DELETE', '/api/v1/nodes/n1'), 'allow'],
  ['* resources cover subresources', u('olga', 'ops'), req('POST', '/api/v1/namespaces/x/pods/p/exec'), 'allow'],
  ['* covers any group', u('olga', 'ops'), req('GET', '/apis/example.com/v1/widgets'), 'allow'],
  ['* nonResourceURLs cover any path', u('olga', 'ops'), req('GET', '/debug/pprof'), 'allow'],
  ['non-members get nothing from the group binding', u('olga', 'dev'), req('DELETE', '/api/v1/nodes/n1'), 'no-opinion'],
  // Verbs.
  ['reader lists pods across namespaces', u('carol'), req('GET', '/api/v1/pods'), 'allow'],
  ['reader watches pods', u('carol'), req('GET', '/api/v1/namespaces/x/pods?watch=true'), 'allow'],
  ['reader gets a pod', u('carol'), req('GET', '/api/v1/namespaces/x/pods/p'), 'allow'],
  ['reader cannot delete a pod', u('carol'), req('DELETE', '/api/v1/namespaces/x/pods/p'), 'no-opinion'],
  ['reader cannot deletecollection', u('carol'), req('DELETE', '/api/v1/namespaces/x/pods'), 'no-opinion'],
  ['reader cannot read pod logs (a subresource is not the resource)', u('carol'), req('GET', '/api/v1/namespaces/x/pods/p/log'), 'no-opinion'],
  ['reader cannot read pods/status', u('carol'), req('GET', '/api/v1/namespaces/x/pods/p/status'), 'no-opinion'],
  ['reader is not granted the same plural in another group', u('carol'), req('GET', '/apis/example.com/v1/pods'), 'no-opinion'],
  // Subresource forms.
  ['*/status lets a service account update any status', sa('kube-system', 'controller'), req('PUT', '/apis/apps/v1/namespaces/x/deployments/d/status'), 'allow'],
  ['*/status patches node status', sa('kube-system', 'controller'), req('PATCH', '/api/v1/nodes/n1/status'), 'allow'],
  ['*/status does not cover the main resource', sa('kube-system', 'controller'), req('PUT', '/apis/apps/v1/namespaces/x/deployments/d'), 'no-opinion'],
  ['*/status does not cover */scale', sa('kube-system', 'controller'), req('PUT', '/apis/apps/v1/namespaces/x/deployments/d/scale'), 'no-opinion'],
  ['deployments/scale by name', u('bob'), req('PUT', '/apis/apps/v1/namespaces/team-a/deployments/d/scale'), 'allow'],
  ['deployments/status not listed', u('bob'), req('PUT', '/apis/apps/v1/namespaces/team-a/deployments/d/status'), 'no-opinion'],
  // RoleBindings: the namespace of the binding only.
  ['a RoleBinding to a ClusterRole grants in its namespace', u('bob'), req('DELETE', '/apis/apps/v1/namespaces/team-a/deployments/d'), 'allow'],
  ['…and nowhere else', u('bob'), req('DELETE', '/apis/apps/v1/namespaces/team-b/deployments/d'), 'no-opinion'],
  ['…and not cluster-wide', u('bob'), req('GET', '/apis/apps/v1/deployments'), 'no-opinion'],
  ['a RoleBinding to a Role uses that namespace\'s Role', u('alice'), req('POST', '/api/v1/namespaces/team-a/services'), 'allow'],
  ['the same-named Role in team-b grants only get', u('alice'), req('POST', '/api/v1/namespaces/team-b/services'), 'no-opinion'],
  ['…and get in team-b', u('alice'), req('GET', '/api/v1/namespaces/team-b/services/s'), 'allow'],
  ['alice lists pods in team-a', u('alice'), req('GET', '/api/v1/namespaces/team-a/pods'), 'allow'],
  ['alice cannot list pods in team-b', u('alice'), req('GET', '/api/v1/namespaces/team-b/pods'), 'no-opinion'],
  ['alice cannot list pods in all namespaces', u('alice'), req('GET', '/api/v1/pods'), 'no-opinion'],
  // resourceNames.
  ['resourceNames: get the named object', u('erin'), req('GET', '/api/v1/namespaces/team-a/configmaps/settings'), 'allow'],
  ['resourceNames: update the named object', u('erin'), req('PUT', '/api/v1/namespaces/team-a/configmaps/settings'), 'allow'],
  ['resourceNames: another name', u('erin'), req('GET', '/api/v1/namespaces/team-a/configmaps/other'), 'no-opinion'],
  ['resourceNames: a list has no name', u('erin'), req('GET', '/api/v1/namespaces/team-a/configmaps'), 'no-opinion'],
  ['resourceNames: a list narrowed to the name', u('erin'), req('GET', '/api/v1/namespaces/team-a/configmaps?fieldSelector=metadata.name%3Dsettings'), 'allow'],
  ['resourceNames: a watch narrowed to the name', u('erin'), req('GET', '/api/v1/namespaces/team-a/configmaps?watch=1&fieldSelector=metadata.name%3Dsettings'), 'allow'],
  ['resourceNames: create has no name', u('erin'), req('POST', '/api/v1/namespaces/team-a/configmaps'), 'no-opinion'],
  // Non-resource URLs.
  ['nonResourceURL exact', u('mon', 'system:monitoring'), req('GET', '/healthz'), 'allow'],
  ['nonResourceURL prefix with *', u('mon', 'system:monitoring'), req('GET', '/logs/kube-apiserver.log'), 'allow'],
  ['nonResourceURL prefix matches the bare prefix', u('mon', 'system:monitoring'), req('GET', '/logs/'), 'allow'],
  ['nonResourceURL exact does not match a longer path', u('mon', 'system:monitoring'), req('GET', '/healthz/etcd'), 'no-opinion'],
  ['nonResourceURL verb is the method', u('mon', 'system:monitoring'), req('POST', '/metrics'), 'no-opinion'],
  ['nonResourceURL rules never grant resources', u('mon', 'system:monitoring'), req('GET', '/api/v1/namespaces/x/pods'), 'no-opinion'],
  ['resource rules never grant non-resource paths', u('carol'), req('GET', '/healthz'), 'no-opinion'],
  // Service accounts.
  ['a ServiceAccount subject without namespace takes the RoleBinding\'s', sa('team-a', 'builder'), req('GET', '/api/v1/namespaces/team-a/pods/p/log'), 'allow'],
  ['…not a same-named account elsewhere', sa('team-b', 'builder'), req('GET', '/api/v1/namespaces/team-a/pods/p/log'), 'no-opinion'],
  ['a ServiceAccount subject is not a user name', u('builder'), req('GET', '/api/v1/namespaces/team-a/pods/p/log'), 'no-opinion'],
  ['the system:serviceaccounts:NS group matches every account there', sa('ci', 'runner'), req('GET', '/api/v1/namespaces/any/secrets/s'), 'allow'],
  ['…and none from another namespace', sa('cd', 'runner'), req('GET', '/api/v1/namespaces/any/secrets/s'), 'no-opinion'],
  ['* groups match the core group', sa('ci', 'runner'), req('GET', '/api/v1/namespaces/any/secrets/s'), 'allow'],
  // Aggregation.
  ['an aggregated role has the rules of the roles it selects', u('gina'), req('GET', '/apis/example.com/v1/widgets/w'), 'allow'],
  ['…all of them', u('gina'), req('GET', '/apis/example.com/v1/gadgets'), 'allow'],
  ['…and only those', u('gina'), req('DELETE', '/apis/example.com/v1/widgets/w'), 'no-opinion'],
  // Nobody.
  ['an unknown user', u('mallory'), req('GET', '/api/v1/namespaces/default/pods'), 'no-opinion'],
];

describe('RBACAuthorizer.authorize', () => {
  it('has at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)('%s', (_name, user, attrs, decision) => {
    expect(rbac.authorize(user, attrs).decision).toBe(decision);
  });
});

describe('reasons', () => {
  it('names the ClusterRoleBinding, role and subject that allowed', () => {
    expect(rbac.authorize(u('carol'), req('GET', '/api/v1/pods')).reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "pod-reader" to User "carol"',
    );
    expect(rbac.authorize(u('olga', 'ops'), req('GET', '/api/v1/pods')).reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "admins" of ClusterRole "cluster-admin" to Group "ops"',
    );
  });

  it('names a RoleBinding as name/namespace and a ServiceAccount as name/namespace', () => {
    expect(rbac.authorize(u('alice'), req('POST', '/api/v1/namespaces/team-a/services')).reason).toBe(
      'RBAC: allowed by RoleBinding "alice-svc/team-a" of Role "svc-editor" to User "alice"',
    );
    expect(rbac.authorize(sa('team-a', 'builder'), req('GET', '/api/v1/namespaces/team-a/pods/p/log')).reason).toBe(
      'RBAC: allowed by RoleBinding "logs/team-a" of ClusterRole "log-reader" to ServiceAccount "builder/team-a"',
    );
    expect(rbac.authorize(sa('kube-system', 'controller'), req('PATCH', '/api/v1/nodes/n/status')).reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "controllers" of ClusterRole "status-writer" to ServiceAccount "controller/kube-system"',
    );
  });

  it('reports roles that cannot be found, once each', () => {
    expect(rbac.authorize(u('dave'), req('GET', '/api/v1/nodes')).reason).toBe('RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found');
    expect(rbac.authorize(u('dave'), req('GET', '/api/v1/namespaces/team-b/pods')).reason).toBe(
      'RBAC: [clusterrole.rbac.authorization.k8s.io "no-such-role" not found, role.rbac.authorization.k8s.io "nope" not found]',
    );
  });

  it('gives no reason when nothing applies', () => {
    expect(rbac.authorize(u('mallory'), req('GET', '/api/v1/pods'))).toEqual({ decision: 'no-opinion', reason: '' });
  });
});

describe('rulesFor', () => {
  it('lists the rules that apply in a namespace, cluster-wide first', () => {
    const { rules, incomplete } = rbac.rulesFor(u('alice'), 'team-a');
    expect(incomplete).toBe(false);
    expect(rules.map((r) => r.resources)).toEqual([['services'], ['pods']]);
  });

  it('flags lookups that failed', () => {
    expect(rbac.rulesFor(u('dave'), 'team-b')).toMatchObject({ rules: [], incomplete: true });
  });
});

describe('aggregation', () => {
  it('follows nested aggregation and stops on cycles', () => {
    const world: ClusterRole[] = [
      { metadata: { name: 'a', labels: { agg: 'b' } }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { agg: 'a' } }] } },
      { metadata: { name: 'b', labels: { agg: 'a' } }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { agg: 'b' } }] } },
      { metadata: { name: 'leaf', labels: { agg: 'b' } }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['leaves'] }] },
    ];
    const l = rbacListerFrom((resource) => {
      if (resource === 'clusterroles') return world;
      if (resource === 'clusterrolebindings') return [crb('x', 'a', users('zed'))];
      return [];
    });
    expect(new RBACAuthorizer(l).authorize(u('zed'), req('GET', '/api/v1/leaves/l')).decision).toBe('allow');
  });

  it('selects with matchExpressions too', () => {
    const world: ClusterRole[] = [
      { metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['x', 'y'] }] }] } },
      { metadata: { name: 'x', labels: { tier: 'x' } }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['xs'] }] },
      { metadata: { name: 'z', labels: { tier: 'z' } }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['zs'] }] },
    ];
    const l = rbacListerFrom((resource) => (resource === 'clusterroles' ? world : resource === 'clusterrolebindings' ? [crb('b', 'agg', users('zed'))] : []));
    const a = new RBACAuthorizer(l);
    expect(a.authorize(u('zed'), req('GET', '/api/v1/xs/1')).decision).toBe('allow');
    expect(a.authorize(u('zed'), req('GET', '/api/v1/zs/1')).decision).toBe('no-opinion');
  });
});
