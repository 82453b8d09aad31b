// rbac.authorization.k8s.io/v1 through the stock kubectl against a real apiserver: the
// typed `kubectl create role|clusterrole|rolebinding|clusterrolebinding` commands, the
// tables `kubectl get` prints, and the validation errors users see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiserver, type ApiserverProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const NS = 'rbac-it';

/** Splits kubectl's table output into rows of cells. */
function rows(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));
}

describe('RBAC kinds through kubectl', () => {
  let api: ApiserverProcess;
  let k: Kubectl;

  beforeAll(async () => {
    api = await startApiserver();
    k = new Kubectl(api.url);
    await k.ok(['create', 'namespace', NS]);
  });

  afterAll(async () => {
    await api?.cleanup();
  });

  it('discovery lists the four kinds with their scope', async () => {
    const out = await k.ok(['api-resources', '--api-group=rbac.authorization.k8s.io', '--no-headers']);
    const scope = Object.fromEntries(rows(out).map((r) => [r[0], r[r.length - 2]]));
    expect(scope).toEqual({ clusterrolebindings: 'false', clusterroles: 'false', rolebindings: 'true', roles: 'true' });
  });

  it('kubectl create role / clusterrole, and get them back', async () => {
    expect(await k.ok(['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods,pods/log', '-n', NS])).toBe(
      'role.rbac.authorization.k8s.io/pod-reader created\n',
    );
    await k.ok(['create', 'clusterrole', 'node-viewer', '--verb=get,list', '--resource=nodes', '--resource-name=n1']);
    await k.ok(['create', 'clusterrole', 'health', '--verb=get', '--non-resource-url=/healthz,/logs/*']);
    await k.ok(['create', 'clusterrole', 'widgets-agg', '--aggregation-rule=example.com/aggregate=true']);

    const roles = rows(await k.ok(['get', 'roles', '-n', NS]));
    expect(roles[0]).toEqual(['NAME', 'CREATED AT']);
    expect(roles[1]![0]).toBe('pod-reader');
    expect(roles[1]![1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const crs = rows(await k.ok(['get', 'clusterroles', 'node-viewer', 'health', 'widgets-agg']));
    expect(crs.map((r) => r[0])).toEqual(['NAME', 'node-viewer', 'health', 'widgets-agg']);
    expect(crs[0]).toEqual(['NAME', 'CREATED AT']);

    const role = JSON.parse(await k.ok(['get', 'role', 'pod-reader', '-n', NS, '-o', 'json']));
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] }]);
    const nodeViewer = JSON.parse(await k.ok(['get', 'clusterrole', 'node-viewer', '-o', 'json']));
    expect(nodeViewer.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], resourceNames: ['n1'], verbs: ['get', 'list'] }]);
    expect(nodeViewer.metadata.namespace).toBeUndefined();
    const health = JSON.parse(await k.ok(['get', 'clusterrole', 'health', '-o', 'json']));
    expect(health.rules).toEqual([{ nonResourceURLs: ['/healthz', '/logs/*'], verbs: ['get'] }]);
    const agg = JSON.parse(await k.ok(['get', 'clusterrole', 'widgets-agg', '-o', 'json']));
    expect(agg.aggregationRule).toEqual({ clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate': 'true' } }] });

    const described = await k.ok(['describe', 'role', 'pod-reader', '-n', NS]);
    expect(described).toMatch(/pods\s+\[\]\s+\[\]\s+\[get list watch\]/);
  });

  it('kubectl create rolebinding / clusterrolebinding, and the ROLE column', async () => {
    await k.ok(['create', 'rolebinding', 'readers', '--role=pod-reader', '--user=alice', '--group=devs', `--serviceaccount=${NS}:builder`, '-n', NS]);
    await k.ok(['create', 'rolebinding', 'viewers', '--clusterrole=view', '--user=bob', '-n', NS]);
    await k.ok(['create', 'clusterrolebinding', 'ops-nodes', '--clusterrole=node-viewer', '--group=ops', '--serviceaccount=kube-system:ctrl']);

    const rbs = rows(await k.ok(['get', 'rolebindings', '-n', NS]));
    expect(rbs[0]).toEqual(['NAME', 'ROLE', 'AGE']);
    expect(rbs.slice(1).map((r) => r.slice(0, 2))).toEqual([['readers', 'Role/pod-reader'], ['viewers', 'ClusterRole/view']]);
    expect(rbs[1]![2]).toMatch(/^\d+s$/);

    const wide = rows(await k.ok(['get', 'rolebinding', 'readers', '-n', NS, '-o', 'wide']));
    expect(wide[0]).toEqual(['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
    expect([wide[1]![0], wide[1]![1], ...wide[1]!.slice(3)]).toEqual(['readers', 'Role/pod-reader', 'alice', 'devs', `${NS}/builder`]);

    const crbs = rows(await k.ok(['get', 'clusterrolebinding', 'ops-nodes', '-o', 'wide']));
    expect(crbs[0]).toEqual(['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS']);
    expect([crbs[1]![0], crbs[1]![1], ...crbs[1]!.slice(3)]).toEqual(['ops-nodes', 'ClusterRole/node-viewer', 'ops', 'kube-system/ctrl']);

    const rb = JSON.parse(await k.ok(['get', 'rolebinding', 'readers', '-n', NS, '-o', 'json']));
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' });
    expect(rb.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'builder', namespace: NS },
    ]);
  });

  it('roleRef is immutable; subjects are not', async () => {
    const changed = await k.run(['patch', 'rolebinding', 'viewers', '-n', NS, '--type=merge', '-p', '{"roleRef":{"name":"edit"}}']);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain(
      'The RoleBinding "viewers" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
    );
    await k.ok(['patch', 'rolebinding', 'viewers', '-n', NS, '--type=merge', '-p', '{"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"carol"}]}']);
    expect(await k.ok(['get', 'rolebinding', 'viewers', '-n', NS, '-o', 'jsonpath={.subjects[0].name} {.roleRef.name}'])).toBe('carol view');
  });

  it.each([
    [
      'a rule without verbs',
      `kind: Role\nmetadata: {name: no-verbs, namespace: ${NS}}\nrules:\n- apiGroups: [""]\n  resources: [pods]`,
      'The Role "no-verbs" is invalid: rules[0].verbs: Required value: verbs must contain at least one value\n',
    ],
    [
      'a resource rule without groups or resources',
      `kind: ClusterRole\nmetadata: {name: no-resources}\nrules:\n- verbs: [get]`,
      'The ClusterRole "no-resources" is invalid: \n' +
        '* rules[0].apiGroups: Required value: resource rules must supply at least one api group\n' +
        '* rules[0].resources: Required value: resource rules must supply at least one resource\n',
    ],
    [
      'non-resource URLs in a namespaced Role',
      `kind: Role\nmetadata: {name: urls, namespace: ${NS}}\nrules:\n- verbs: [get]\n  nonResourceURLs: [/healthz]`,
      'The Role "urls" is invalid: rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
    ],
    [
      'a subject of an unknown kind',
      `kind: RoleBinding\nmetadata: {name: robot, namespace: ${NS}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}\nsubjects:\n- {kind: Robot, name: r2}`,
      'The RoleBinding "robot" is invalid: subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ],
    [
      'a ServiceAccount without namespace in a ClusterRoleBinding',
      `kind: ClusterRoleBinding\nmetadata: {name: sa-no-ns}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects:\n- {kind: ServiceAccount, name: builder}`,
      'The ClusterRoleBinding "sa-no-ns" is invalid: subjects[0].namespace: Required value\n',
    ],
    [
      'a ClusterRoleBinding to a Role',
      `kind: ClusterRoleBinding\nmetadata: {name: to-role}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}`,
      'The ClusterRoleBinding "to-role" is invalid: roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    ],
  ])('refuses %s with a 422 naming the field', async (_name, body, message) => {
    const r = await k.run(['create', '-f', '-'], { stdin: `apiVersion: rbac.authorization.k8s.io/v1\n${body}\n` });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(await k.run(['get', '-f', '-'], { stdin: `apiVersion: rbac.authorization.k8s.io/v1\n${body}\n` })).toMatchObject({ code: 1 });
  });

  it('a binding written without apiGroups gets them, as kube-apiserver defaults them', async () => {
    const yaml = `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: terse}\nroleRef: {kind: ClusterRole, name: view}\nsubjects:\n- {kind: User, name: dana}\n- {kind: Group, name: qa}\n- {kind: ServiceAccount, name: ci, namespace: ${NS}}\n`;
    await k.ok(['create', '-f', '-'], { stdin: yaml });
    const crb = JSON.parse(await k.ok(['get', 'clusterrolebinding', 'terse', '-o', 'json']));
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(crb.subjects).toEqual([
      { kind: 'User', name: 'dana', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'Group', name: 'qa', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'ci', namespace: NS },
    ]);
  });

  it('a ServiceAccount without namespace is fine in a RoleBinding; deletes work', async () => {
    const yaml = `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: local-sa, namespace: ${NS}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}\nsubjects:\n- {kind: ServiceAccount, name: builder}\n`;
    expect(await k.ok(['create', '-f', '-'], { stdin: yaml })).toBe('rolebinding.rbac.authorization.k8s.io/local-sa created\n');
    await k.ok(['delete', 'rolebinding', 'local-sa', '-n', NS]);
    await k.ok(['delete', 'clusterrole', 'health']);
    const gone = await k.run(['get', 'clusterrole', 'health']);
    expect(gone.stderr).toContain('clusterroles.rbac.authorization.k8s.io "health" not found');
  });
});
