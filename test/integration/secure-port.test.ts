// The apiserver's secure port, as a real process with certificates from the openssl PKI:
// the stock kubectl with an admin client certificate, an access matrix of users × verbs
// answered exactly 401 / 403 / 2xx as Kubernetes, `kubectl auth can-i` / `whoami`,
// `kubectl --as`, bootstrap tokens, and ServiceAccount tokens from TokenRequest.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceAccountClaims, signToken } from '../../apiserver/auth/service-account-claims.js';
import { readSigningKey } from '../../apiserver/auth/service-account-keys.js';
import { writeSecureKubeconfig, type SecureCall } from '../support/https.js';
import { Kubectl } from '../support/kubectl.js';
import { startSecureCluster, type SecureCluster } from '../support/secure-cluster.js';

const NS = 'sec';

const pod = (name: string, nodeName = 'n2') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } });
const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, role: { kind: string; name: string }, subject: object) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...role }, subjects: [subject],
});
const user = (name: string) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });

describe('secure port: TLS, authentication, authorization', () => {
  let c: SecureCluster;
  let kubectl: Kubectl;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    c = await startSecureCluster();
    kubectl = new Kubectl(c.api.url);
    await c.insecure('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (const p of [pod('pod-a', 'n1'), pod('pod-b'), pod('del-editor')]) await c.insecure('POST', `/api/v1/namespaces/${NS}/pods`, p);
    await c.insecure('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } });
    const rb = `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`;
    await c.insecure('POST', rb, binding('RoleBinding', 'viewer-view', { kind: 'ClusterRole', name: 'view' }, user('viewer')));
    await c.insecure('POST', rb, binding('RoleBinding', 'editor-edit', { kind: 'ClusterRole', name: 'edit' }, user('editor')));
    await c.insecure('POST', rb, binding('RoleBinding', 'robot-view', { kind: 'ClusterRole', name: 'view' }, { kind: 'ServiceAccount', name: 'robot', namespace: NS }));
    await c.insecure('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    });
    await c.insecure('POST', rb, binding('RoleBinding', 'roler-reader', { kind: 'Role', name: 'pod-reader' }, { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'team-a' }));
    await c.insecure('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'impersonate-viewer' },
      rules: [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['viewer'] }],
    });
    await c.insecure('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding('ClusterRoleBinding', 'imp', { kind: 'ClusterRole', name: 'impersonate-viewer' }, user('impersonator')));
    const tr = `/api/v1/namespaces/${NS}/serviceaccounts/robot/token`;
    tokens.robot = (await c.insecure('POST', tr, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} })).status.token;
    tokens.wrongAudience = (await c.insecure('POST', tr, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['vault'] } })).status.token;
    const sa = await c.insecure('GET', `/api/v1/namespaces/${NS}/serviceaccounts/robot`);
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    tokens.expired = await signToken(
      serviceAccountClaims({ issuer: 'https://kubernetes.default.svc.cluster.local', serviceAccount: sa, expirationSeconds: 3600, audiences: ['https://kubernetes.default.svc.cluster.local'], now: hourAgo }),
      readSigningKey(join(c.api.dataDir, 'sa.key')),
    );
  }, 60_000);

  afterAll(async () => {
    await c?.api.cleanup();
    if (c) rmSync(c.dir, { recursive: true, force: true });
  });

  it('serves /healthz and /version to anonymous users and refuses them the API with upstream\'s 403', async () => {
    expect((await c.call('GET', '/healthz')).text).toBe('ok');
    expect((await c.call('GET', '/version')).status).toBe(200);
    const res = await c.call('GET', `/api/v1/namespaces/${NS}/pods`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(res.body.message).toBe('pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "sec"');
    expect((await c.call('GET', '/api/v1/namespaces', { token: 'nope' })).body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized', code: 401 });
  });

  it('the stock kubectl with the CA and an admin client certificate gets and creates', async () => {
    const cfg = writeSecureKubeconfig(c.dir, 'admin', c.url, c.ca.cert, { cert: c.certs.admin });
    expect(await kubectl.ok(['--kubeconfig', cfg, 'get', 'pods', '-n', NS, '-o', 'name'])).toContain('pod/pod-a');
    await kubectl.ok(['--kubeconfig', cfg, 'create', 'configmap', 'made-by-admin', '-n', NS, '--from-literal=a=b']);
    expect(await kubectl.ok(['--kubeconfig', cfg, 'get', 'configmap', 'made-by-admin', '-n', NS, '-o', 'jsonpath={.data.a}'])).toBe('b');
    const who = await kubectl.ok(['--kubeconfig', cfg, 'auth', 'whoami', '-o', 'json']);
    expect(JSON.parse(who).status.userInfo).toEqual({ username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
  });

  it('a client certificate from another CA is refused with 401, not served as anonymous', async () => {
    expect((await c.call('GET', '/healthz', { cert: c.certs.foreign })).status).toBe(401);
  });

  describe('access matrix', () => {
    type Who = { name: string; o: () => SecureCall };
    const subjects: Who[] = [
      { name: 'anonymous', o: () => ({}) },
      { name: 'bad token', o: () => ({ token: 'not-a-real-token' }) },
      { name: 'expired ServiceAccount token', o: () => ({ token: tokens.expired }) },
      { name: 'wrong-audience ServiceAccount token', o: () => ({ token: tokens.wrongAudience }) },
      { name: 'viewer (client cert, view)', o: () => ({ cert: c.certs.viewer }) },
      { name: 'robot (ServiceAccount, view)', o: () => ({ token: tokens.robot }) },
      { name: 'editor (static token, edit)', o: () => ({ token: 'editor-token-0123456789' }) },
      { name: 'roler (group bound to a Role)', o: () => ({ cert: c.certs.roler }) },
      { name: 'node n1', o: () => ({ cert: c.certs.node }) },
    ];
    const base = `/api/v1/namespaces/${NS}/pods`;
    const verbs: Record<string, (who: string) => [string, string, Partial<SecureCall>]> = {
      get: () => ['GET', `${base}/pod-b`, {}],
      list: () => ['GET', base, {}],
      watch: () => ['GET', `${base}?watch=true&timeoutSeconds=5`, { headersOnly: true }],
      create: (who) => ['POST', base, { body: pod(`new-${who.replace(/\W+/g, '-').replace(/-+$/, '')}`) }],
      patch: () => ['PATCH', `${base}/pod-b`, { body: { metadata: { labels: { touched: 'yes' } } }, contentType: 'application/merge-patch+json' }],
      delete: (who) => ['DELETE', `${base}/${who.startsWith('editor') ? 'del-editor' : 'pod-b'}`, {}],
      exec: () => ['POST', `${base}/pod-b/exec?command=ls&stdout=true`, {}],
    };
    const all = (code: number) => ({ get: code, list: code, watch: code, create: code, patch: code, delete: code, exec: code });
    const reader = { get: 200, list: 200, watch: 200, create: 403, patch: 403, delete: 403, exec: 403 };
    // -1: allowed through authorization (exec then fails for want of a kubelet, never with 401/403).
    const expected: Record<string, Record<string, number>> = {
      anonymous: all(403),
      'bad token': all(401),
      'expired ServiceAccount token': all(401),
      'wrong-audience ServiceAccount token': all(401),
      'viewer (client cert, view)': reader,
      'robot (ServiceAccount, view)': reader,
      'editor (static token, edit)': { get: 200, list: 200, watch: 200, create: 201, patch: 200, delete: 200, exec: -1 },
      'roler (group bound to a Role)': { ...reader, watch: 403 },
      'node n1': { ...reader, create: 403 },
    };
    for (const s of subjects) {
      for (const [verb, req] of Object.entries(verbs)) {
        it(`${s.name} × ${verb} → ${expected[s.name]![verb] === -1 ? 'allowed' : expected[s.name]![verb]}`, async () => {
          const [method, path, extra] = req(s.name);
          const res = await c.call(method, path, { ...s.o(), ...extra });
          const want = expected[s.name]![verb]!;
          if (want === -1) expect([401, 403]).not.toContain(res.status);
          else expect(res.status, res.text).toBe(want);
        });
      }
    }

    it('node n1 may update the status of its own pod but not of another node\'s', async () => {
      const patch = { body: { status: { message: 'hi' } }, contentType: 'application/merge-patch+json' };
      expect((await c.call('PATCH', `${base}/pod-a/status`, { cert: c.certs.node, ...patch })).status).toBe(200);
      const other = await c.call('PATCH', `${base}/pod-b/status`, { cert: c.certs.node, ...patch });
      expect(other.status).toBe(403);
      expect(other.body.message).toBe(
        'pods "pod-b" is forbidden: User "system:node:n1" cannot patch resource "pods/status" in API group "" in the namespace "sec": node "n1" can only modify pods bound to itself',
      );
    });
  });

  it('a kubelet reads only the secrets and configmaps its own pods use, and cannot touch another node\'s pods', async () => {
    const node = { cert: c.certs.node };
    for (const [kind, name] of [['secrets', 'n1-secret'], ['secrets', 'n2-secret'], ['secrets', 'unused-secret'], ['configmaps', 'n1-config']]) {
      const body = kind === 'secrets' ? { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { k: 'v' } } : { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } };
      await c.insecure('POST', `/api/v1/namespaces/${NS}/${kind}`, body);
    }
    const using = (name: string, nodeName: string, secret: string, configMap?: string) => ({
      ...pod(name, nodeName),
      spec: {
        nodeName,
        volumes: [{ name: 's', secret: { secretName: secret } }],
        containers: [{ name: 'c', image: 'busybox', ...(configMap ? { envFrom: [{ configMapRef: { name: configMap } }] } : {}) }],
      },
    });
    await c.insecure('POST', `/api/v1/namespaces/${NS}/pods`, using('uses-n1', 'n1', 'n1-secret', 'n1-config'));
    await c.insecure('POST', `/api/v1/namespaces/${NS}/pods`, using('uses-n2', 'n2', 'n2-secret'));
    const get = async (path: string) => (await c.call('GET', `/api/v1/namespaces/${NS}/${path}`, node)).status;
    expect(await get('secrets/n1-secret')).toBe(200);
    expect(await get('configmaps/n1-config')).toBe(200);
    expect(await get('secrets/n2-secret')).toBe(403);
    expect(await get('secrets/unused-secret')).toBe(403);
    expect(await get('secrets')).toBe(403);
    const other = await c.call('DELETE', `/api/v1/namespaces/${NS}/pods/uses-n2`, node);
    expect(other.status, other.text).toBe(403);
    const relabel = await c.call('PATCH', `/api/v1/namespaces/${NS}/pods/uses-n2`, { ...node, body: { metadata: { labels: { x: 'y' } } }, contentType: 'application/merge-patch+json' });
    expect(relabel.status, relabel.text).toBe(403);
    const create = await c.call('POST', `/api/v1/namespaces/${NS}/pods`, { ...node, body: pod('forged', 'n2') });
    expect(create.status, create.text).toBe(403);
  });

  it('a ClusterRole labelled to aggregate into view widens what view grants at once', async () => {
    await c.insecure('POST', `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'agg-secret' }, stringData: { k: 'v' } });
    const read = async () => (await c.call('GET', `/api/v1/namespaces/${NS}/secrets/agg-secret`, { cert: c.certs.viewer })).status;
    expect(await read()).toBe(403);
    await c.insecure('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
      metadata: { name: 'view-secrets', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    });
    expect(await read()).toBe(200);
    await c.insecure('DELETE', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view-secrets');
    expect(await read()).toBe(403);
  });

  it('kubectl auth can-i answers yes and no as RBAC decides', async () => {
    const cfg = writeSecureKubeconfig(c.dir, 'viewer', c.url, c.ca.cert, { cert: c.certs.viewer });
    expect((await kubectl.run(['--kubeconfig', cfg, 'auth', 'can-i', 'list', 'pods', '-n', NS])).stdout.trim()).toBe('yes');
    const no = await kubectl.run(['--kubeconfig', cfg, 'auth', 'can-i', 'create', 'pods', '-n', NS]);
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
    expect((await kubectl.run(['--kubeconfig', cfg, 'auth', 'can-i', 'list', 'pods', '-n', 'default'])).stdout.trim()).toBe('no');
    const list = await kubectl.ok(['--kubeconfig', cfg, 'auth', 'can-i', '--list', '-n', NS]);
    expect(list).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]/m);
    const admin = writeSecureKubeconfig(c.dir, 'admin2', c.url, c.ca.cert, { cert: c.certs.admin });
    expect((await kubectl.run(['--kubeconfig', admin, 'auth', 'can-i', 'delete', 'nodes'])).stdout.trim()).toBe('yes');
  });

  it('kubectl --as works for a user allowed to impersonate and is refused otherwise', async () => {
    const cfg = writeSecureKubeconfig(c.dir, 'imp', c.url, c.ca.cert, { cert: c.certs.imp });
    expect(await kubectl.ok(['--kubeconfig', cfg, '--as', 'viewer', 'get', 'pods', '-n', NS, '-o', 'name'])).toContain('pod/pod-a');
    const who = JSON.parse(await kubectl.ok(['--kubeconfig', cfg, '--as', 'viewer', 'auth', 'whoami', '-o', 'json']));
    expect(who.status.userInfo).toEqual({ username: 'viewer', groups: ['system:authenticated'] });
    const denied = await kubectl.run(['--kubeconfig', cfg, '--as', 'editor', 'get', 'pods', '-n', NS]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('users "editor" is forbidden: User "impersonator" cannot impersonate resource "users" in API group "" at the cluster scope');
    const viewerCfg = writeSecureKubeconfig(c.dir, 'viewer2', c.url, c.ca.cert, { cert: c.certs.viewer });
    expect((await kubectl.run(['--kubeconfig', viewerCfg, '--as', 'kubernetes-admin', 'get', 'pods', '-n', NS])).stderr).toContain('cannot impersonate resource "users"');
  });

  it('answers TokenReview, SubjectAccessReview and LocalSubjectAccessReview, listed in discovery as create-only', async () => {
    const admin = { cert: c.certs.admin };
    const tr = await c.call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { ...admin, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: tokens.robot } } });
    expect(tr.status).toBe(201);
    expect(tr.body.status).toMatchObject({ authenticated: true, user: { username: `system:serviceaccount:${NS}:robot`, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'] } });
    const bad = await c.call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { ...admin, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: tokens.expired } } });
    expect(bad.body.status.authenticated).toBe(false);
    const sar = (verb: string) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'viewer', resourceAttributes: { namespace: NS, verb, resource: 'pods' } } });
    expect((await c.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { ...admin, body: sar('list') })).body.status.allowed).toBe(true);
    expect((await c.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { ...admin, body: sar('delete') })).body.status.allowed).toBe(false);
    const local = await c.call('POST', `/apis/authorization.k8s.io/v1/namespaces/${NS}/localsubjectaccessreviews`, { ...admin, body: { ...sar('get'), kind: 'LocalSubjectAccessReview' } });
    expect([local.status, local.body.status.allowed]).toEqual([201, true]);
    // The viewer may not ask about others.
    expect((await c.call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { cert: c.certs.viewer, body: sar('list') })).status).toBe(403);
    const disc = await c.call('GET', '/apis/authorization.k8s.io/v1', admin);
    expect(disc.body.resources).toContainEqual(expect.objectContaining({ name: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', verbs: ['create'] }));
    const authn = await c.call('GET', '/apis/authentication.k8s.io/v1', admin);
    expect(authn.body.resources.map((r: { name: string }) => r.name).sort()).toEqual(['selfsubjectreviews', 'tokenreviews']);
  });

  it('bootstrap tokens authenticate as system:bootstrap:<id> until they expire', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const secret = (id: string, expiration: string) => ({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' }, type: 'bootstrap.kubernetes.io/token',
      data: { 'token-id': b64(id), 'token-secret': b64('0123456789abcdef'), 'usage-bootstrap-authentication': b64('true'), expiration: b64(expiration), 'auth-extra-groups': b64('system:bootstrappers:kubeadm:default-node-token') },
    });
    await c.insecure('POST', '/api/v1/namespaces/kube-system/secrets', secret('abcdef', new Date(Date.now() + 3600_000).toISOString()));
    await c.insecure('POST', '/api/v1/namespaces/kube-system/secrets', secret('zyxwvu', new Date(Date.now() - 1000).toISOString()));
    const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
    const ok = await c.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { token: 'abcdef.0123456789abcdef', body: review });
    expect(ok.status).toBe(201);
    expect(ok.body.status.userInfo).toEqual({ username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'] });
    expect((await c.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { token: 'zyxwvu.0123456789abcdef', body: review })).status).toBe(401);
    expect((await c.call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { token: 'abcdef.0123456789abcdeX', body: review })).status).toBe(401);
  });
});
