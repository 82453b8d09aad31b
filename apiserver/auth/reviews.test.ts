import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors.js';
import { defaultAuthorizer } from './authorizer.js';
import { bootstrapClusterRoleBindingObjects, bootstrapClusterRoleObjects } from './bootstrap-policy.js';
import { NodeAuthorizer } from './node-authorizer.js';
import { RBACAuthorizer, rbacListerFrom } from './rbac.js';
import {
  localSubjectAccessReview,
  selfSubjectAccessReview,
  selfSubjectReview,
  selfSubjectRulesReview,
  subjectAccessReview,
} from './reviews.js';

const G = 'rbac.authorization.k8s.io';
const roles = [...bootstrapClusterRoleObjects(), { metadata: { name: 'pod-reader' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] }];
const bindings = [...bootstrapClusterRoleBindingObjects()];
const roleBindings = [{ metadata: { name: 'alice', namespace: 'dev' }, roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'pod-reader' }, subjects: [{ kind: 'User', apiGroup: G, name: 'alice' }] }];
const rbac = new RBACAuthorizer(rbacListerFrom((r, ns) => {
  if (r === 'clusterroles') return roles;
  if (r === 'clusterrolebindings') return bindings;
  if (r === 'rolebindings') return roleBindings.filter((b) => b.metadata.namespace === ns);
  return [];
}));
const node = new NodeAuthorizer({ podsOnNode: () => [], getPod: () => undefined, getPersistentVolumeClaim: () => undefined });
const authz = defaultAuthorizer(node, rbac);
const alice = { name: 'alice', groups: ['system:authenticated'] };

function invalidCauses(fn: () => unknown): Array<[string | undefined, string | undefined]> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
    return ((err as ApiError).details?.causes ?? []).map((c) => [c.field, c.message]);
  }
  throw new Error('expected a 422');
}

describe('SelfSubjectAccessReview (kubectl auth can-i)', () => {
  const ssar = (spec: object) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec });

  it('answers for the requester', () => {
    expect(selfSubjectAccessReview(authz, alice, ssar({ resourceAttributes: { namespace: 'dev', verb: 'list', resource: 'pods' } })).status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "alice/dev" of ClusterRole "pod-reader" to User "alice"',
    });
    expect(selfSubjectAccessReview(authz, alice, ssar({ resourceAttributes: { namespace: 'prod', verb: 'list', resource: 'pods' } })).status).toEqual({ allowed: false });
    expect(selfSubjectAccessReview(authz, alice, ssar({ nonResourceAttributes: { path: '/version', verb: 'get' } })).status.allowed).toBe(true);
    expect(selfSubjectAccessReview(authz, { name: 'root', groups: ['system:masters'] }, ssar({ resourceAttributes: { verb: 'delete', resource: 'nodes' } })).status.allowed).toBe(true);
  });

  it('needs exactly one kind of attributes and empty metadata', () => {
    expect(invalidCauses(() => selfSubjectAccessReview(authz, alice, ssar({})))).toEqual([
      ['spec.resourceAttributes', 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified'],
    ]);
    expect(invalidCauses(() => selfSubjectAccessReview(authz, alice, ssar({ resourceAttributes: {}, nonResourceAttributes: {} }))).map((c) => c[0])).toEqual([
      'spec.nonResourceAttributes',
    ]);
    expect(invalidCauses(() => selfSubjectAccessReview(authz, alice, { metadata: { name: 'x' }, spec: { resourceAttributes: {} } })).map((c) => c[0])).toEqual(['metadata']);
  });
});

describe('SubjectAccessReview and LocalSubjectAccessReview', () => {
  it('answers for the user and groups in the spec', () => {
    const body = { spec: { user: 'alice', groups: ['system:authenticated'], resourceAttributes: { namespace: 'dev', verb: 'get', resource: 'pods', name: 'p' } } };
    expect(subjectAccessReview(authz, body).status.allowed).toBe(true);
    expect(subjectAccessReview(authz, { spec: { user: 'bob', resourceAttributes: { namespace: 'dev', verb: 'get', resource: 'pods' } } }).status.allowed).toBe(false);
    expect(subjectAccessReview(authz, { spec: { groups: ['system:unauthenticated'], nonResourceAttributes: { path: '/healthz', verb: 'get' } } }).status.allowed).toBe(true);
  });

  it('needs a user or a group', () => {
    expect(invalidCauses(() => subjectAccessReview(authz, { spec: { resourceAttributes: { verb: 'get' } } }))).toEqual([
      ['spec.user', 'Invalid value: "": at least one of user or group must be specified'],
    ]);
  });

  it('a local review stays in its namespace', () => {
    const ok = localSubjectAccessReview(authz, 'dev', { metadata: { namespace: 'dev' }, spec: { user: 'alice', resourceAttributes: { namespace: 'dev', verb: 'list', resource: 'pods' } } });
    expect(ok.status.allowed).toBe(true);
    expect(ok.metadata.namespace).toBe('dev');
    expect(invalidCauses(() => localSubjectAccessReview(authz, 'dev', { spec: { user: 'alice', resourceAttributes: { namespace: 'prod', verb: 'list' } } }))).toEqual([
      ['spec.resourceAttributes.namespace', 'Invalid value: "prod": must match metadata.namespace'],
    ]);
    expect(invalidCauses(() => localSubjectAccessReview(authz, 'dev', { spec: { user: 'alice', nonResourceAttributes: { path: '/x', verb: 'get' } } })).map((c) => c[0])).toEqual([
      'spec.nonResourceAttributes',
    ]);
  });
});

describe('SelfSubjectRulesReview (kubectl auth can-i --list)', () => {
  it('lists resource and non-resource rules apart', () => {
    const out = selfSubjectRulesReview(rbac, alice, { spec: { namespace: 'dev' } });
    expect(out.status.incomplete).toBe(false);
    expect(out.status.resourceRules).toContainEqual({ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] });
    expect(out.status.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    expect(out.status.nonResourceRules).toContainEqual({ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] });
  });

  it('system:masters may do everything; a namespace is required', () => {
    expect(selfSubjectRulesReview(rbac, { name: 'root', groups: ['system:masters'] }, { spec: { namespace: 'x' } }).status.resourceRules).toEqual([
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    ]);
    expect(() => selfSubjectRulesReview(rbac, alice, { spec: {} })).toThrow('no namespace on request');
  });
});

describe('SelfSubjectReview (kubectl auth whoami)', () => {
  it('returns the requester', () => {
    expect(selfSubjectReview({ name: 'alice', uid: 'u1', groups: ['devs'], extra: { scopes: ['a'] } }, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }).status).toEqual({
      userInfo: { username: 'alice', uid: 'u1', groups: ['devs'], extra: { scopes: ['a'] } },
    });
  });
});
