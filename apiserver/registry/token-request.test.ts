// TokenRequest (serviceaccounts/token) over a real registry on LevelDB: defaults, the
// validation and errors kube-apiserver answers with, bound objects, and the expiration rules.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiError } from '../../shared/errors.js';
import { verifyServiceAccountToken } from '../auth/service-account-token.js';
import { LevelStorage } from '../storage/level.js';
import { ClusterIPAllocator, NodePortAllocator } from './allocator.js';
import { lookupResource } from './resources.js';
import { ServiceAllocations } from './services.js';
import { Registry, type WriteOptions } from './store.js';
import { createToken, serviceAccountTokenConfig, type ServiceAccountTokenConfig } from './token-request.js';

const log = pino({ level: 'silent' });
const R = (plural: string) => lookupResource('', 'v1', plural)!;
const opts = (): WriteOptions => ({ dryRun: false, fieldValidation: 'Strict', fieldManager: 'test', warnings: [] });
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const NOW = new Date('2026-03-01T12:00:00Z');
const T = NOW.getTime() / 1000;

describe('TokenRequest', () => {
  let dir: string;
  let storage: LevelStorage;
  let reg: Registry;
  let config: ServiceAccountTokenConfig;
  let podUid: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-tokenrequest-'));
    storage = await LevelStorage.open({ dir, log });
    reg = new Registry(storage, new ServiceAllocations(new ClusterIPAllocator('10.96.0.0/28'), new NodePortAllocator('30000-30002')), log, () => NOW, {
      config: { serviceAccount: { delay: async () => {} } },
    });
    config = serviceAccountTokenConfig({}, dir, () => NOW);
    await reg.create(R('namespaces'), undefined, { metadata: { name: 'ci' } }, opts());
    for (const name of ['default', 'builder']) await reg.create(R('serviceaccounts'), 'ci', { metadata: { name } }, opts());
    await reg.create(R('nodes'), undefined, { metadata: { name: 'node-a' } }, opts());
    const pod = await reg.create(R('pods'), 'ci', { metadata: { name: 'web' }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox' }] } }, opts());
    podUid = pod.obj.metadata.uid!;
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const uid = (plural: string, ns: string | undefined, name: string) => reg.get(R(plural), ns, name).obj.metadata.uid!;
  const refusal = async (name: string, body: unknown) => {
    const err = (await createToken(reg, config, 'ci', name, body).then(
      () => undefined,
      (e: unknown) => e,
    )) as ApiError | undefined;
    if (!err) throw new Error('expected the TokenRequest to be refused');
    return { code: err.code, reason: err.reason, message: err.message };
  };

  it('issues an hour-long token for the API audiences by default', async () => {
    const { tokenRequest, warnings } = await createToken(reg, config, 'ci', 'builder', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: {} });
    expect(warnings).toEqual([]);
    expect(tokenRequest).toMatchObject({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: 'builder', namespace: 'ci', creationTimestamp: '2026-03-01T12:00:00Z' },
      spec: { audiences: [ISSUER], expirationSeconds: 3600, boundObjectRef: null },
      status: { expirationTimestamp: '2026-03-01T13:00:00Z' },
    });
    const claims = decodeJwt(tokenRequest.status.token);
    expect(claims).toEqual({
      aud: [ISSUER],
      exp: T + 3600,
      iat: T,
      iss: ISSUER,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'kubernetes.io': { namespace: 'ci', serviceaccount: { name: 'builder', uid: uid('serviceaccounts', 'ci', 'builder') } },
      nbf: T,
      sub: 'system:serviceaccount:ci:builder',
    });
    const lookup = (r: string, ns: string | undefined, name: string) => reg.get(R(r), ns, name).obj;
    const verified = await verifyServiceAccountToken(tokenRequest.status.token, { keys: config.verificationKeys, issuer: ISSUER, audiences: [ISSUER], lookup, now: () => NOW });
    expect(verified).toMatchObject({ authenticated: true, user: { name: 'system:serviceaccount:ci:builder' } });
  });

  it('binds a token to a pod, with the pod\'s node in the claims', async () => {
    const body = { spec: { audiences: ['vault'], expirationSeconds: 600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: podUid } } };
    const { tokenRequest } = await createToken(reg, config, 'ci', 'default', body);
    expect(tokenRequest.spec).toEqual({ audiences: ['vault'], expirationSeconds: 600, boundObjectRef: body.spec.boundObjectRef });
    const claims = decodeJwt(tokenRequest.status.token);
    expect(claims.aud).toEqual(['vault']);
    expect(claims.exp).toBe(T + 600);
    expect(claims['kubernetes.io']).toEqual({
      namespace: 'ci',
      node: { name: 'node-a', uid: uid('nodes', undefined, 'node-a') },
      pod: { name: 'web', uid: podUid },
      serviceaccount: { name: 'default', uid: uid('serviceaccounts', 'ci', 'default') },
    });
  });

  it('gives the kubelet\'s 3607 s pod-bound API tokens a year, warning after the hour, unless turned off', async () => {
    const body = { spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: podUid } } };
    const { tokenRequest } = await createToken(reg, config, 'ci', 'default', body);
    const claims = decodeJwt(tokenRequest.status.token);
    expect(claims.exp).toBe(T + 365 * 24 * 3600);
    expect((claims['kubernetes.io'] as { warnafter: number }).warnafter).toBe(T + 3607);
    expect(tokenRequest.status.expirationTimestamp).toBe('2026-03-01T13:00:07Z');
    const plain = await createToken(reg, { ...config, extendExpiration: false }, 'ci', 'default', body);
    expect(decodeJwt(plain.tokenRequest.status.token).exp).toBe(T + 3607);
    // Another audience than the API's: not extended.
    const vault = await createToken(reg, config, 'ci', 'default', { spec: { ...body.spec, audiences: ['vault'] } });
    expect(decodeJwt(vault.tokenRequest.status.token).exp).toBe(T + 3607);
  });

  it('shortens a request past --service-account-max-token-expiration, with a warning', async () => {
    const { tokenRequest, warnings } = await createToken(reg, { ...config, maxExpirationSeconds: 7200 }, 'ci', 'builder', { spec: { expirationSeconds: 86400 } });
    expect(warnings).toEqual(['requested expiration of 86400 seconds shortened to 7200 seconds']);
    expect(tokenRequest.spec.expirationSeconds).toBe(7200);
    expect(decodeJwt(tokenRequest.status.token).exp).toBe(T + 7200);
  });

  it('binds to a secret or a node by uid', async () => {
    await reg.create(R('secrets'), 'ci', { metadata: { name: 's' } }, opts());
    const s = await createToken(reg, config, 'ci', 'builder', { spec: { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 's' } } });
    expect(decodeJwt(s.tokenRequest.status.token)['kubernetes.io']).toMatchObject({ secret: { name: 's', uid: uid('secrets', 'ci', 's') } });
    const n = await createToken(reg, config, 'ci', 'builder', { spec: { boundObjectRef: { kind: 'Node', apiVersion: 'v1', name: 'node-a' } } });
    expect(decodeJwt(n.tokenRequest.status.token)['kubernetes.io']).toMatchObject({ node: { name: 'node-a', uid: uid('nodes', undefined, 'node-a') } });
  });

  it('answers bad requests as kube-apiserver does', async () => {
    expect(await refusal('nobody', { spec: {} })).toEqual({ code: 404, reason: 'NotFound', message: 'serviceaccounts "nobody" not found' });
    expect(await refusal('builder', { spec: { expirationSeconds: 10 } })).toEqual({
      code: 422,
      reason: 'Invalid',
      message: 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes',
    });
    expect(await refusal('builder', { metadata: { name: 'other' }, spec: {} })).toMatchObject({ code: 422, message: expect.stringContaining('metadata.name: Invalid value: "other": must match the service account name if specified') });
    expect(await refusal('default', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'stale' } } })).toEqual({
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on Pod "web": the UID in the bound object reference (stale) does not match the UID in record. The object might have been deleted and then recreated`,
    });
    expect(await refusal('default', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'gone' } } })).toEqual({ code: 404, reason: 'NotFound', message: 'pods "gone" not found' });
    expect(await refusal('builder', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } } })).toEqual({
      code: 400,
      reason: 'BadRequest',
      message: 'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.',
    });
    expect(await refusal('builder', { spec: { boundObjectRef: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'd' } } })).toEqual({
      code: 400,
      reason: 'BadRequest',
      message: 'cannot bind token to object of type apps/v1, Kind=Deployment',
    });
    expect(await refusal('builder', { kind: 'Pod', spec: {} })).toMatchObject({ code: 400 });
  });
});
