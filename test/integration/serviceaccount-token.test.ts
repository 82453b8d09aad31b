// ServiceAccount tokens from a real apiserver, asked for by the stock kubectl (`kubectl
// create token` sends its TokenRequest as protobuf): the claims upstream writes, a signature
// that verifies with the apiserver's key, the refusals kube-apiserver answers with, and a key
// that survives a restart on the same data dir.
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVerificationKeys, readSigningKey } from '../../apiserver/auth/service-account-keys.js';
import { verifyServiceAccountToken, type LookupResource } from '../../apiserver/auth/service-account-token.js';
import { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import { startApiserver, type ApiserverProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const NS = `sa-token-${process.pid}`;

describe('ServiceAccount tokens (TokenRequest API)', () => {
  let api: ApiserverProcess;
  let client: Client;
  let kubectl: Kubectl;
  let podUid: string;
  let nodeUid: string;

  beforeAll(async () => {
    api = await startApiserver();
    client = new Client(api.url, 'sa-token-test');
    kubectl = new Kubectl(api.url);
    await client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (const name of ['default', 'builder']) await client.create(R.serviceaccounts, NS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
    nodeUid = (await client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${process.pid}` } })).metadata.uid!;
    const pod = await client.create(R.pods, NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: { serviceAccountName: 'builder', nodeName: `node-${process.pid}`, containers: [{ name: 'c', image: 'busybox' }] },
    });
    podUid = pod.metadata.uid!;
  });
  afterAll(async () => {
    await api?.cleanup();
  });

  const verify = (token: string, audiences = [ISSUER]) => {
    const keys = loadVerificationKeys([], readSigningKey(join(api.dataDir, 'sa.key')));
    const lookup = async (r: LookupResource, ns: string | undefined, name: string) => {
      try {
        return await client.get(R[r], ns, name);
      } catch (err) {
        if (isApiError(err) && err.code === 404) return undefined;
        throw err;
      }
    };
    return verifyServiceAccountToken(token, { keys, issuer: ISSUER, audiences, lookup });
  };
  const uidOf = async (name: string) => (await client.get(R.serviceaccounts, NS, name)).metadata.uid!;
  /** The Status the apiserver answers a raw TokenRequest with. */
  const post = async (name: string, spec: Record<string, unknown>) => {
    const res = await fetch(`${api.url}/api/v1/namespaces/${NS}/serviceaccounts/${name}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('kubectl create token prints a JWT with upstream\'s claims, signed by the apiserver\'s key', async () => {
    const token = (await kubectl.ok(['create', 'token', 'default', '-n', NS])).trim();
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: 'RS256', kid: readSigningKey(join(api.dataDir, 'sa.key')).kid });
    const claims = decodeJwt(token);
    expect(Object.keys(claims)).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
    expect(claims).toMatchObject({
      aud: [ISSUER],
      iss: ISSUER,
      sub: `system:serviceaccount:${NS}:default`,
      'kubernetes.io': { namespace: NS, serviceaccount: { name: 'default', uid: await uidOf('default') } },
    });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.nbf).toBe(claims.iat);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(60);
    expect(await verify(token)).toMatchObject({
      authenticated: true,
      user: { name: `system:serviceaccount:${NS}:default`, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'] },
    });
  });

  it('kubectl create token with an audience, a duration and a bound pod', async () => {
    const token = (await kubectl.ok(['create', 'token', 'builder', '-n', NS, '--audience', 'x', '--duration', '10m', '--bound-object-kind', 'Pod', '--bound-object-name', 'web'])).trim();
    const claims = decodeJwt(token);
    expect(claims.aud).toEqual(['x']);
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(claims['kubernetes.io']).toEqual({
      namespace: NS,
      node: { name: `node-${process.pid}`, uid: nodeUid },
      pod: { name: 'web', uid: podUid },
      serviceaccount: { name: 'builder', uid: await uidOf('builder') },
    });
    expect(await verify(token)).toMatchObject({ authenticated: false, reason: `token audiences ["x"] is invalid for the target audiences ["${ISSUER}"]` });
    const ok = await verify(token, ['x']);
    expect(ok).toMatchObject({ authenticated: true, user: { extra: { 'authentication.kubernetes.io/pod-name': ['web'], 'authentication.kubernetes.io/pod-uid': [podUid] } } });
  });

  it('answers a TokenRequest with 201 and the token in its status', async () => {
    const { status, body } = await post('builder', { expirationSeconds: 1200 });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: 'builder', namespace: NS },
      spec: { audiences: [ISSUER], expirationSeconds: 1200, boundObjectRef: null },
      status: { token: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/), expirationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) },
    });
  });

  it('refuses bad requests with kube-apiserver\'s Status', async () => {
    expect(await post('builder', { expirationSeconds: 10 })).toMatchObject({
      status: 422,
      body: { kind: 'Status', code: 422, reason: 'Invalid', message: 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes' },
    });
    expect(await post('nobody', {})).toMatchObject({ status: 404, body: { code: 404, reason: 'NotFound', message: 'serviceaccounts "nobody" not found' } });
    expect(await post('builder', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'not-the-uid' } })).toMatchObject({
      status: 409,
      body: {
        code: 409,
        reason: 'Conflict',
        message: 'Operation cannot be fulfilled on Pod "web": the UID in the bound object reference (not-the-uid) does not match the UID in record. The object might have been deleted and then recreated',
      },
    });
    const tooShort = await kubectl.run(['create', 'token', 'builder', '-n', NS, '--duration', '10s']);
    expect(tooShort.code).not.toBe(0);
    expect(tooShort.stderr).toContain('may not specify a duration less than 10 minutes');
    const missing = await kubectl.run(['create', 'token', 'nobody', '-n', NS]);
    expect(missing.stderr).toContain('serviceaccounts "nobody" not found');
    const mismatch = await kubectl.run(['create', 'token', 'builder', '-n', NS, '--bound-object-kind', 'Pod', '--bound-object-name', 'web', '--bound-object-uid', 'stale']);
    expect(mismatch.stderr).toContain('the UID in the bound object reference (stale) does not match the UID in record');
    const res = await fetch(`${api.url}/api/v1/namespaces/${NS}/serviceaccounts/builder/token`);
    expect(res.status).toBe(405);
  });

  it('lists serviceaccounts/token in discovery as upstream does', async () => {
    const list = (await (await fetch(`${api.url}/api/v1`)).json()) as { resources: Record<string, unknown>[] };
    expect(list.resources.find((r) => r.name === 'serviceaccounts/token')).toEqual({
      name: 'serviceaccounts/token',
      singularName: '',
      namespaced: true,
      group: 'authentication.k8s.io',
      version: 'v1',
      kind: 'TokenRequest',
      verbs: ['create'],
    });
  });

  it('keeps its signing key across a restart: tokens issued before still verify', async () => {
    const before = (await kubectl.ok(['create', 'token', 'builder', '-n', NS])).trim();
    await api.restart();
    const after = (await kubectl.ok(['create', 'token', 'builder', '-n', NS])).trim();
    expect(decodeProtectedHeader(after).kid).toBe(decodeProtectedHeader(before).kid);
    expect(await verify(before)).toMatchObject({ authenticated: true });
    expect(await verify(after)).toMatchObject({ authenticated: true });
  });
});
