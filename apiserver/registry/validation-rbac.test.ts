import { describe, expect, it } from 'vitest';
import type { StatusCause } from '../../shared/errors.js';
import { applyRbacDefaults } from './validation-rbac.js';
import { validateObject } from './validation.js';

const G = 'rbac.authorization.k8s.io';
const fields = (causes: StatusCause[]) => causes.map((c) => [c.field, c.reason]);

function check(resource: string, obj: any, old?: any): StatusCause[] {
  const copy = structuredClone(obj);
  applyRbacDefaults(resource, copy);
  return validateObject(resource, copy, old);
}

const role = (rules: unknown[], meta: Record<string, unknown> = { name: 'r', namespace: 'ns' }) => ({ apiVersion: `${G}/v1`, kind: 'Role', metadata: meta, rules });
const clusterRole = (extra: Record<string, unknown>) => ({ apiVersion: `${G}/v1`, kind: 'ClusterRole', metadata: { name: 'cr' }, ...extra });
const binding = (roleRef: unknown, subjects: unknown[] = [], meta: Record<string, unknown> = { name: 'b', namespace: 'ns' }) => ({ metadata: meta, roleRef, subjects });
const ref = (kind = 'ClusterRole', name = 'view', apiGroup: string | undefined = G) => ({ apiGroup, kind, name });

describe('roles and cluster roles', () => {
  it.each([
    ['a resource rule', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], []],
    ['wildcards and subresources', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*', 'pods/log', '*/scale'], resourceNames: ['x'] }], []],
    ['no rules at all', [], []],
    ['a rule without verbs', [{ apiGroups: [''], resources: ['pods'] }], [['rules[0].verbs', 'FieldValueRequired']]],
    ['a rule without groups', [{ verbs: ['get'], resources: ['pods'] }], [['rules[0].apiGroups', 'FieldValueRequired']]],
    ['a rule without resources', [{ verbs: ['get'], apiGroups: [''] }], [['rules[0].resources', 'FieldValueRequired']]],
    ['an empty rule', [{}], [['rules[0].verbs', 'FieldValueRequired'], ['rules[0].apiGroups', 'FieldValueRequired'], ['rules[0].resources', 'FieldValueRequired']]],
    ['non-resource URLs in a Role', [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }], [['rules[0].nonResourceURLs', 'FieldValueInvalid']]],
    ['a string where a list belongs', [{ verbs: 'get', apiGroups: [''], resources: ['pods'] }], [['rules[0].verbs', 'FieldValueTypeInvalid'], ['rules[0].verbs', 'FieldValueRequired']]],
  ])('Role with %s', (_name, rules, expected) => {
    expect(fields(check('roles', role(rules)))).toEqual(expected);
  });

  it('words the errors as kube-apiserver does', () => {
    expect(check('roles', role([{ apiGroups: [''], resources: ['pods'] }]))[0]!.message).toBe('Required value: verbs must contain at least one value');
    expect(check('roles', role([{ verbs: ['get'], nonResourceURLs: ['/healthz', '/livez'] }]))[0]!.message).toBe(
      'Invalid value: []string{"/healthz", "/livez"}: namespaced rules cannot apply to non-resource URLs',
    );
  });

  it.each([
    ['non-resource URLs', { rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/logs/*'] }] }, []],
    ['non-resource URLs with resources', { rules: [{ verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }] }, [['rules[0].nonResourceURLs', 'FieldValueInvalid']]],
    ['an aggregation rule', { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'example.com/agg': 'true' } }] } }, []],
    ['an aggregation rule without selectors', { aggregationRule: { clusterRoleSelectors: [] } }, [['aggregationRule.clusterRoleSelectors', 'FieldValueRequired']]],
    ['a broken selector', { aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [{ key: 'a', operator: 'Within' }] }] } },
      [['aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator', 'FieldValueInvalid']]],
  ])('ClusterRole with %s', (_name, extra, expected) => {
    expect(fields(check('clusterroles', clusterRole(extra)))).toEqual(expected);
  });

  it('a ClusterRole has no namespace; names are path segments', () => {
    expect(fields(check('clusterroles', clusterRole({ metadata: { name: 'cr', namespace: 'ns' } })))).toEqual([['metadata.namespace', 'FieldValueForbidden']]);
    expect(fields(check('clusterroles', clusterRole({ metadata: { name: 'system:controller:x' } })))).toEqual([]);
    expect(fields(check('clusterroles', clusterRole({ metadata: { name: 'a/b' } })))).toEqual([['metadata.name', 'FieldValueInvalid']]);
  });
});

describe('role bindings and cluster role bindings', () => {
  it.each([
    ['a User', [{ kind: 'User', name: 'alice' }], []],
    ['a Group', [{ kind: 'Group', name: 'system:authenticated' }], []],
    ['a ServiceAccount without namespace', [{ kind: 'ServiceAccount', name: 'builder' }], []],
    ['a ServiceAccount with an apiGroup', [{ kind: 'ServiceAccount', name: 'builder', apiGroup: G }], [['subjects[0].apiGroup', 'FieldValueNotSupported']]],
    ['a ServiceAccount with a bad name', [{ kind: 'ServiceAccount', name: 'Builder' }], [['subjects[0].name', 'FieldValueInvalid']]],
    ['a User in another group', [{ kind: 'User', name: 'alice', apiGroup: 'example.com' }], [['subjects[0].apiGroup', 'FieldValueNotSupported']]],
    ['an unknown kind', [{ kind: 'Robot', name: 'r2' }], [['subjects[0].kind', 'FieldValueNotSupported']]],
    ['a subject without name', [{ kind: 'User' }], [['subjects[0].name', 'FieldValueRequired']]],
  ])('RoleBinding to %s', (_name, subjects, expected) => {
    expect(fields(check('rolebindings', binding(ref(), subjects)))).toEqual(expected);
  });

  it.each([
    ['a Role', ref('Role', 'editor'), []],
    ['a roleRef without apiGroup (defaulted)', ref('ClusterRole', 'view', undefined), []],
    ['a roleRef in another group', ref('ClusterRole', 'view', 'example.com'), [['roleRef.apiGroup', 'FieldValueNotSupported']]],
    ['a roleRef of another kind', ref('Deployment', 'web'), [['roleRef.kind', 'FieldValueNotSupported']]],
    ['a roleRef without name', ref('Role', ''), [['roleRef.name', 'FieldValueRequired']]],
    ['no roleRef', undefined, [['roleRef.apiGroup', 'FieldValueNotSupported'], ['roleRef.kind', 'FieldValueNotSupported'], ['roleRef.name', 'FieldValueRequired']]],
  ])('RoleBinding with %s', (_name, roleRef, expected) => {
    expect(fields(check('rolebindings', binding(roleRef, [{ kind: 'User', name: 'a' }])))).toEqual(expected);
  });

  it('a ClusterRoleBinding binds only ClusterRoles, and its ServiceAccounts need a namespace', () => {
    const meta = { name: 'crb' };
    expect(fields(check('clusterrolebindings', binding(ref('Role', 'r'), [], meta)))).toEqual([['roleRef.kind', 'FieldValueNotSupported']]);
    expect(check('clusterrolebindings', binding(ref('Role', 'r'), [], meta))[0]!.message).toBe('Unsupported value: "Role": supported values: "ClusterRole"');
    expect(fields(check('clusterrolebindings', binding(ref(), [{ kind: 'ServiceAccount', name: 'sa' }], meta)))).toEqual([['subjects[0].namespace', 'FieldValueRequired']]);
    expect(fields(check('clusterrolebindings', binding(ref(), [{ kind: 'ServiceAccount', name: 'sa', namespace: 'ci' }], meta)))).toEqual([]);
  });

  it('roleRef cannot change; subjects can', () => {
    const old = binding(ref('ClusterRole', 'view'), [{ kind: 'User', name: 'a', apiGroup: G }]);
    applyRbacDefaults('rolebindings', old);
    const moreSubjects = binding(ref('ClusterRole', 'view'), [{ kind: 'User', name: 'a' }, { kind: 'User', name: 'b' }]);
    expect(check('rolebindings', moreSubjects, old)).toEqual([]);
    const changed = check('rolebindings', binding(ref('ClusterRole', 'edit'), [{ kind: 'User', name: 'a' }]), old);
    expect(changed).toEqual([
      { reason: 'FieldValueInvalid', field: 'roleRef', message: `Invalid value: rbac.RoleRef{APIGroup:"${G}", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef` },
    ]);
  });
});

describe('applyRbacDefaults', () => {
  it('fills roleRef.apiGroup and the apiGroup of User and Group subjects', () => {
    const b = binding({ kind: 'ClusterRole', name: 'view' }, [{ kind: 'User', name: 'a' }, { kind: 'Group', name: 'g' }, { kind: 'ServiceAccount', name: 's' }]);
    applyRbacDefaults('rolebindings', b);
    expect(b.roleRef).toEqual({ apiGroup: G, kind: 'ClusterRole', name: 'view' });
    expect(b.subjects).toEqual([
      { kind: 'User', name: 'a', apiGroup: G },
      { kind: 'Group', name: 'g', apiGroup: G },
      { kind: 'ServiceAccount', name: 's' },
    ]);
  });

  it('leaves other kinds and explicit groups alone', () => {
    const b = binding(ref('ClusterRole', 'v', 'example.com'), [{ kind: 'User', name: 'a', apiGroup: 'example.com' }]);
    applyRbacDefaults('clusterrolebindings', b);
    expect(b.roleRef).toEqual({ apiGroup: 'example.com', kind: 'ClusterRole', name: 'v' });
    expect(b.subjects).toEqual([{ kind: 'User', name: 'a', apiGroup: 'example.com' }]);
    const r = role([]);
    applyRbacDefaults('roles', r);
    expect(r).toEqual(role([]));
  });
});
