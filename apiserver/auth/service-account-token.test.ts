// ServiceAccount tokens without a server: the signing key kept in the data dir, the claims
// as upstream writes them, and the verifier's answer for every way a token can be wrong.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serviceAccountClaims, signToken, type ClaimsInput } from './service-account-claims.js';
import { keyID, loadOrCreateSigningKey, loadVerificationKeys, readSigningKey, readVerificationKeys, type SigningKey } from './service-account-keys.js';
import { verifyServiceAccountToken, type LookedUp, type LookupResource, type VerifyOptions } from './service-account-token.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const T0 = new Date('2026-01-01T00:00:00Z');
const sa = { metadata: { name: 'builder', namespace: 'ci', uid: 'sa-uid' } };
const pod = { metadata: { name: 'web-0', namespace: 'ci', uid: 'pod-uid' } };
const node = { metadata: { name: 'node-a', uid: 'node-uid' } };
const secret = { metadata: { name: 'tok', namespace: 'ci', uid: 'secret-uid' } };

describe('ServiceAccount signing keys', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-sa-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates <data-dir>/sa.key with mode 0600 on first start and reuses it afterwards', () => {
    const first = loadOrCreateSigningKey(undefined, dir);
    const path = join(dir, 'sa.key');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(first.alg).toBe('RS256');
    const again = loadOrCreateSigningKey(undefined, dir);
    expect(again.kid).toBe(first.kid);
  });

  it('names a key by the base64url SHA-256 of its SPKI DER, and picks ES256 for a P-256 key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const file = join(dir, 'ec.key');
    writeFileSync(file, privateKey.export({ type: 'sec1', format: 'pem' }));
    const k = readSigningKey(file);
    expect(k.alg).toBe('ES256');
    expect(k.kid).toBe(keyID(publicKey));
    expect(k.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('reads every key of a verification file (public and private blocks), skipping other blocks', () => {
    const a = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const file = join(dir, 'keys.pem');
    writeFileSync(file, [a.publicKey.export({ type: 'spki', format: 'pem' }), '-----BEGIN GARBAGE-----\nAAAA\n-----END GARBAGE-----\n', b.privateKey.export({ type: 'pkcs8', format: 'pem' })].join(''));
    expect(readVerificationKeys(file).map((k) => k.kid)).toEqual([keyID(a.publicKey), keyID(b.publicKey)]);
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, 'nothing here\n');
    expect(() => readVerificationKeys(empty)).toThrow(/data does not contain any valid RSA or ECDSA public keys/);
    expect(() => readSigningKey(empty)).toThrow(/no PEM private key found/);
  });

  it('verifies with the signing key\'s public half when no key file is given', () => {
    const signing = loadOrCreateSigningKey(undefined, dir);
    const [k] = loadVerificationKeys([], signing);
    expect(k!.kid).toBe(signing.kid);
    expect(k!.key.type).toBe('public');
  });
});

describe('ServiceAccount token claims', () => {
  it('are upstream\'s: iss, sub, aud, exp, iat, nbf, jti and kubernetes.io, keys sorted', () => {
    const c = serviceAccountClaims({ issuer: ISSUER, serviceAccount: sa, pod, node, expirationSeconds: 3600, audiences: ['api'], now: T0, jti: 'j-1' });
    const t = T0.getTime() / 1000;
    expect(JSON.stringify(c)).toBe(
      JSON.stringify({
        aud: ['api'],
        exp: t + 3600,
        iat: t,
        iss: ISSUER,
        jti: 'j-1',
        'kubernetes.io': { namespace: 'ci', node: { name: 'node-a', uid: 'node-uid' }, pod: { name: 'web-0', uid: 'pod-uid' }, serviceaccount: { name: 'builder', uid: 'sa-uid' } },
        nbf: t,
        sub: 'system:serviceaccount:ci:builder',
      }),
    );
  });

  it('carry warnafter for an extended token, and refuse a secret bound together with a pod', () => {
    const c = serviceAccountClaims({ issuer: ISSUER, serviceAccount: sa, pod, expirationSeconds: 31536000, warnAfterSeconds: 3607, audiences: ['api'], now: T0 });
    expect(c['kubernetes.io'].warnafter).toBe(T0.getTime() / 1000 + 3607);
    expect(c.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => serviceAccountClaims({ issuer: ISSUER, serviceAccount: sa, pod, secret, expirationSeconds: 600, audiences: [], now: T0 })).toThrow(/only be bound to one object type/);
  });
});

describe('verifyServiceAccountToken', () => {
  let dir: string;
  let signing: SigningKey;
  let objects: Map<string, LookedUp>;
  let now: Date;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-sa-verify-'));
    signing = loadOrCreateSigningKey(undefined, dir);
    now = T0;
    objects = new Map<string, LookedUp>([
      ['serviceaccounts/ci/builder', sa],
      ['pods/ci/web-0', pod],
      ['secrets/ci/tok', secret],
      ['nodes//node-a', node],
    ]);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const issue = (extra: Partial<ClaimsInput> = {}, key = signing) =>
    signToken(serviceAccountClaims({ issuer: ISSUER, serviceAccount: sa, expirationSeconds: 3600, audiences: [ISSUER], now: T0, jti: 'j-1', ...extra }), key);
  const opts = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
    keys: loadVerificationKeys([], signing),
    issuer: ISSUER,
    audiences: [ISSUER],
    lookup: (r: LookupResource, ns: string | undefined, name: string) => objects.get(`${r}/${ns ?? ''}/${name}`),
    now: () => now,
    ...extra,
  });
  const reason = async (token: string, o = opts()) => {
    const r = await verifyServiceAccountToken(token, o);
    return r.authenticated ? 'authenticated' : r.reason;
  };

  it('authenticates a pod-bound token as the account, with the pod, node and credential id as extra', async () => {
    const token = await issue({ pod, node });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: signing.kid });
    expect(decodeJwt(token).sub).toBe('system:serviceaccount:ci:builder');
    expect(await verifyServiceAccountToken(token, opts())).toEqual({
      authenticated: true,
      audiences: [ISSUER],
      user: {
        name: 'system:serviceaccount:ci:builder',
        uid: 'sa-uid',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
        extra: {
          'authentication.kubernetes.io/pod-name': ['web-0'],
          'authentication.kubernetes.io/pod-uid': ['pod-uid'],
          'authentication.kubernetes.io/credential-id': ['JTI=j-1'],
          'authentication.kubernetes.io/node-name': ['node-a'],
          'authentication.kubernetes.io/node-uid': ['node-uid'],
        },
      },
    });
  });

  it('refuses a token signed by another key, and accepts it once that key is trusted', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other: SigningKey = { key: privateKey, alg: 'ES256', kid: keyID(createPublicKey(privateKey)) };
    const token = await issue({}, other);
    expect(await reason(token)).toBe('token signature verification failed: no verification key matches');
    const keys = [...loadVerificationKeys([], signing), { key: createPublicKey(privateKey), kid: other.kid }];
    expect(await reason(token, opts({ keys }))).toBe('authenticated');
  });

  it('refuses what is not a JWT, another issuer, and audiences the target does not accept', async () => {
    expect(await reason('not-a-token')).toBe('token is not a JWS in compact serialization');
    const [h, , sig] = (await issue()).split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(await issue()), sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url');
    expect(await reason(`${h}.${forged}.${sig}`)).toBe('token signature verification failed: no verification key matches');
    expect(await reason(await issue({ issuer: 'https://elsewhere' }))).toBe('token issuer "https://elsewhere" is invalid');
    expect(await reason(await issue({ issuer: 'https://elsewhere' }), opts({ issuer: [ISSUER, 'https://elsewhere'] }))).toBe('authenticated');
    expect(await reason(await issue({ audiences: ['vault', 'other'] }))).toBe(
      `token audiences ["vault" "other"] is invalid for the target audiences ["${ISSUER}"]`,
    );
    expect(await reason(await issue({ audiences: ['vault'] }), opts({ audiences: ['vault'] }))).toBe('authenticated');
  });

  it('checks exp, nbf and iat with a minute of leeway', async () => {
    const token = await issue({ expirationSeconds: 600 });
    now = new Date(T0.getTime() + 659_000);
    expect(await reason(token)).toBe('authenticated');
    now = new Date(T0.getTime() + 660_000);
    expect(await reason(token)).toBe('service account token has expired');
    const future = await issue({ now: new Date(T0.getTime() + 120_000) });
    now = T0;
    expect(await reason(future)).toBe('service account token is not valid yet');
  });

  it('refuses a token whose account or bound object is gone or was recreated', async () => {
    const podToken = await issue({ pod });
    objects.set('pods/ci/web-0', { metadata: { uid: 'pod-uid-2' } });
    expect(await reason(podToken)).toBe('pod UID (pod-uid-2) does not match service account pod ref claim (pod-uid)');
    objects.delete('pods/ci/web-0');
    expect(await reason(podToken)).toBe('service account token has been invalidated');
    objects.set('pods/ci/web-0', { metadata: { uid: 'pod-uid', deletionTimestamp: '2025-12-31T23:58:00Z' } });
    expect(await reason(podToken)).toBe('service account token has been invalidated');
    objects.set('pods/ci/web-0', { metadata: { uid: 'pod-uid', deletionTimestamp: '2025-12-31T23:59:30Z' } });
    expect(await reason(podToken)).toBe('authenticated');

    const secretToken = await issue({ secret });
    expect(await reason(secretToken)).toBe('authenticated');
    objects.set('secrets/ci/tok', { metadata: { uid: 'other' } });
    expect(await reason(secretToken)).toBe('secret UID (other) does not match service account secret ref claim (secret-uid)');

    const nodeToken = await issue({ node });
    expect(await verifyServiceAccountToken(nodeToken, opts())).toMatchObject({ authenticated: true, user: { extra: { 'authentication.kubernetes.io/node-name': ['node-a'] } } });
    objects.delete('nodes//node-a');
    expect(await reason(nodeToken)).toBe('service account token has been invalidated');

    objects.set('serviceaccounts/ci/builder', { metadata: { uid: 'new-uid' } });
    expect(await reason(await issue())).toBe('service account UID (new-uid) does not match claim (sa-uid)');
    objects.delete('serviceaccounts/ci/builder');
    expect(await reason(await issue())).toBe('serviceaccounts "builder" not found');
  });
});
