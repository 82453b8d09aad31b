// Unit tests of the kubelet API's authentication (x509, webhook tokens with their cache,
// anonymous), its request attributes (upstream's path → nodes/<subresource> mapping) and
// the webhook authorizer's cache; reviews come from a fake client, time from a fake clock.
import { describe, expect, it } from 'vitest';
import type { UserInfo } from '../../apiserver/auth/authorizer.js';
import type { ResourceRef } from '../../shared/client.js';
import type { KubeObject } from '../../shared/types.js';
import { authorizeRequest } from './auth.js';
import { KubeletAuthenticator, tokenReviewer, type TokenReviewer } from './authn.js';
import { alwaysAllow, forbiddenMessage, nodeRequestAttributes, webhookAuthorizer, type KubeletAuthorizer } from './authz.js';
import { HttpError } from './http-error.js';

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

/** A TLS socket as node:tls shows a client certificate. */
const tlsSocket = (authorized: boolean, subject: Record<string, string | string[]>) => ({ authorized, getPeerCertificate: () => ({ subject }) });
const noCert = { authorized: false, getPeerCertificate: () => ({}) };

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (err) {
    if (err instanceof HttpError) return err.code;
    throw err;
  }
}

describe('KubeletAuthenticator', () => {
  const reviewer = (valid: Record<string, UserInfo>) => {
    const calls: string[] = [];
    const review: TokenReviewer = async (token) => {
      calls.push(token);
      if (token === 'boom') throw new Error('connection refused');
      return valid[token];
    };
    return { review, calls };
  };
  const alice: UserInfo = { name: 'alice', groups: ['team-a'] };

  it('takes a verified client certificate: CN user, O groups, plus system:authenticated', async () => {
    const a = new KubeletAuthenticator({ clientCertificates: true, tokenCacheTTLMs: 0, anonymous: false });
    const user = await a.authenticate({ headers: {}, socket: tlsSocket(true, { CN: 'kube-apiserver-kubelet-client', O: ['g1', 'g2'] }) });
    expect(user).toEqual({ name: 'kube-apiserver-kubelet-client', groups: ['g1', 'g2', 'system:authenticated'] });
  });

  it('answers 401 to a certificate of another CA, even with anonymous auth on', async () => {
    const a = new KubeletAuthenticator({ clientCertificates: true, tokenCacheTTLMs: 0, anonymous: true });
    expect(await code(a.authenticate({ headers: {}, socket: tlsSocket(false, { CN: 'admin', O: 'system:masters' }) }))).toBe(401);
  });

  it('is anonymous without credentials when allowed, 401 when --anonymous-auth=false', async () => {
    const on = new KubeletAuthenticator({ clientCertificates: true, tokenCacheTTLMs: 0, anonymous: true });
    expect(await on.authenticate({ headers: {}, socket: noCert })).toEqual({ name: 'system:anonymous', groups: ['system:unauthenticated'] });
    const off = new KubeletAuthenticator({ clientCertificates: true, tokenCacheTTLMs: 0, anonymous: false });
    expect(await code(off.authenticate({ headers: {}, socket: noCert }))).toBe(401);
  });

  it('reviews bearer tokens and reuses the answer, valid or not, for the cache TTL', async () => {
    const c = clock();
    const { review, calls } = reviewer({ 'good-token': alice });
    const a = new KubeletAuthenticator({ clientCertificates: false, tokenReviewer: review, tokenCacheTTLMs: 120_000, anonymous: true, now: c.now });
    const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` }, socket: noCert });
    expect(await a.authenticate(bearer('good-token'))).toEqual({ name: 'alice', groups: ['team-a', 'system:authenticated'] });
    expect(await a.authenticate(bearer('good-token'))).toEqual({ name: 'alice', groups: ['team-a', 'system:authenticated'] });
    // An invalid token is a 401, never anonymous.
    expect(await code(a.authenticate(bearer('bad-token')))).toBe(401);
    expect(await code(a.authenticate(bearer('bad-token')))).toBe(401);
    expect(calls).toEqual(['good-token', 'bad-token']);
    c.advance(120_001);
    await a.authenticate(bearer('good-token'));
    expect(calls).toEqual(['good-token', 'bad-token', 'good-token']);
  });

  it('answers 401 when the apiserver cannot review a token, and asks again next time', async () => {
    const { review, calls } = reviewer({});
    const a = new KubeletAuthenticator({ clientCertificates: false, tokenReviewer: review, tokenCacheTTLMs: 120_000, anonymous: true });
    const req = { headers: { authorization: 'Bearer boom' }, socket: noCert };
    expect(await code(a.authenticate(req))).toBe(401);
    expect(await code(a.authenticate(req))).toBe(401);
    expect(calls).toEqual(['boom', 'boom']);
  });

  it('ignores a bearer token without --authentication-token-webhook, as upstream', async () => {
    const a = new KubeletAuthenticator({ clientCertificates: false, tokenCacheTTLMs: 0, anonymous: true });
    expect((await a.authenticate({ headers: { authorization: 'Bearer x' }, socket: noCert })).name).toBe('system:anonymous');
  });

  it('sends authentication.k8s.io/v1 TokenReviews and reads their status', async () => {
    const sent: { ref: ResourceRef; obj: KubeObject }[] = [];
    const client = {
      create: async <T>(ref: ResourceRef, _ns: string | undefined, obj: KubeObject) => {
        sent.push({ ref, obj });
        const ok = obj.spec.token === 't1';
        return { ...obj, status: ok ? { authenticated: true, user: { username: 'bob', uid: 'u1', groups: ['g'] } } : { authenticated: false } } as T;
      },
    };
    const review = tokenReviewer(client);
    expect(await review('t1')).toEqual({ name: 'bob', uid: 'u1', groups: ['g'] });
    expect(await review('t2')).toBeUndefined();
    expect(sent[0]!.ref).toMatchObject({ group: 'authentication.k8s.io', version: 'v1', plural: 'tokenreviews' });
    expect(sent[0]!.obj).toMatchObject({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 't1' } });
  });
});

describe('nodeRequestAttributes', () => {
  const sub = (method: string, path: string, upgrade = false) => nodeRequestAttributes(method, path, upgrade, 'n1').map((a) => `${a.verb} ${a.subresource}`);

  it('maps paths to nodes subresources and methods to verbs, as upstream', () => {
    expect(sub('GET', '/stats/summary')).toEqual(['get stats']);
    expect(sub('GET', '/stats')).toEqual(['get stats']);
    expect(sub('GET', '/metrics/cadvisor')).toEqual(['get metrics']);
    expect(sub('GET', '/logs/syslog')).toEqual(['get log']);
    expect(sub('GET', '/spec/')).toEqual(['get spec']);
    expect(sub('GET', '/containerLogs/ns/p/c')).toEqual(['get proxy']);
    expect(sub('POST', '/exec/ns/p/c')).toEqual(['create proxy']);
    expect(sub('POST', '/run/ns/p/c')).toEqual(['create proxy']);
    expect(sub('PUT', '/x')).toEqual(['update proxy']);
    expect(sub('PATCH', '/x')).toEqual(['patch proxy']);
    expect(sub('DELETE', '/x')).toEqual(['delete proxy']);
    // Not a prefix match on the name: /statsfoo is not /stats.
    expect(sub('GET', '/statsfoo')).toEqual(['get proxy']);
  });

  it('makes every upgrade (exec, attach, port-forward over WebSocket or SPDY) a create', () => {
    expect(sub('GET', '/exec/ns/p/c', true)).toEqual(['create proxy']);
    expect(sub('GET', '/attach/ns/p/c', true)).toEqual(['create proxy']);
    expect(sub('GET', '/portForward/ns/p', true)).toEqual(['create proxy']);
  });

  it('tries /healthz, /pods and /configz as their own subresource, then proxy (fine-grained kubelet authz)', () => {
    expect(sub('GET', '/healthz')).toEqual(['get healthz', 'get proxy']);
    expect(sub('GET', '/pods')).toEqual(['get pods', 'get proxy']);
    expect(nodeRequestAttributes('GET', '/stats/summary', false, 'n1')).toEqual([{ verb: 'get', namespace: '', group: '', version: 'v1', resource: 'nodes', subresource: 'stats', name: 'n1' }]);
  });

  it('words the 403 as upstream', () => {
    const u = { name: 'viewer', groups: [] };
    expect(forbiddenMessage(u, nodeRequestAttributes('GET', '/containerLogs/a/b/c', false, 'n1'))).toBe('Forbidden (user=viewer, verb=get, resource=nodes, subresource=proxy)');
    expect(forbiddenMessage(u, nodeRequestAttributes('GET', '/healthz', false, 'n1'))).toBe('Forbidden (user=viewer, verb=get, resource=nodes, subresource(s)=[healthz proxy])');
  });
});

describe('webhookAuthorizer', () => {
  it('asks with a SubjectAccessReview for nodes/<sub> of the node and caches allow 5 min, deny 30 s', async () => {
    const c = clock();
    const sent: KubeObject[] = [];
    let allow = new Set(['get stats']);
    const client = {
      create: async <T>(_ref: ResourceRef, _ns: string | undefined, obj: KubeObject) => {
        sent.push(obj);
        const a = obj.spec.resourceAttributes;
        return { ...obj, status: { allowed: allow.has(`${a.verb} ${a.subresource}`) } } as T;
      },
    };
    const authz = webhookAuthorizer(client, { authorizedTTLMs: 300_000, unauthorizedTTLMs: 30_000, now: c.now });
    const user: UserInfo = { name: 'alice', uid: 'u', groups: ['g', 'system:authenticated'] };
    const [stats] = nodeRequestAttributes('GET', '/stats/summary', false, 'n1');
    const [exec] = nodeRequestAttributes('GET', '/exec/a/b/c', true, 'n1');
    expect(await authz(user, stats!)).toEqual({ allowed: true });
    expect(await authz(user, exec!)).toEqual({ allowed: false });
    expect(sent[0]).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        resourceAttributes: { verb: 'get', namespace: '', group: '', version: 'v1', resource: 'nodes', subresource: 'stats', name: 'n1' },
        user: 'alice',
        uid: 'u',
        groups: ['g', 'system:authenticated'],
      },
    });
    allow = new Set(['create proxy']);
    c.advance(29_000);
    expect(await authz(user, exec!)).toEqual({ allowed: false }); // the denial is still cached
    c.advance(2_000);
    expect(await authz(user, exec!)).toEqual({ allowed: true });
    expect(await authz(user, stats!)).toEqual({ allowed: true }); // the allowance is cached for 5 min
    expect(sent).toHaveLength(3);
    c.advance(300_000);
    expect(await authz(user, stats!)).toEqual({ allowed: false });
  });
});

describe('authorizeRequest', () => {
  const anonymousOn = new KubeletAuthenticator({ clientCertificates: false, tokenCacheTTLMs: 0, anonymous: true });
  const req = (method: string, path: string, upgrade = false) => ({ method, path, upgrade, headers: {}, socket: noCert });

  it('lets anyone through with AlwaysAllow', async () => {
    const user = await authorizeRequest({ authenticator: anonymousOn, authorizer: alwaysAllow, nodeName: 'n1' }, req('GET', '/healthz'));
    expect(user.name).toBe('system:anonymous');
  });

  it('answers 403 with upstream\'s words, 500 when the review fails, and admits /healthz on either subresource', async () => {
    const asked: string[] = [];
    const authorizer: KubeletAuthorizer = async (_u, a) => {
      asked.push(a.subresource);
      if (a.subresource === 'stats') throw new Error('apiserver down');
      return { allowed: a.subresource === 'proxy' && a.verb === 'get' };
    };
    const auth = { authenticator: anonymousOn, authorizer, nodeName: 'n1' };
    await expect(authorizeRequest(auth, req('GET', '/exec/a/b/c', true))).rejects.toMatchObject({ code: 403, message: 'Forbidden (user=system:anonymous, verb=create, resource=nodes, subresource=proxy)' });
    await expect(authorizeRequest(auth, req('GET', '/stats/summary'))).rejects.toMatchObject({ code: 500, message: 'Authorization error (user=system:anonymous, verb=get, resource=nodes, subresource=stats)' });
    asked.length = 0;
    expect((await authorizeRequest(auth, req('GET', '/healthz'))).name).toBe('system:anonymous');
    expect(asked).toEqual(['healthz', 'proxy']);
  });
});
