import { describe, expect, it } from 'vitest';
import { bearerToken, parseTokenFile, RequestAuthenticator, type SecretLike } from './authentication.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const NOW = new Date('2026-11-22T00:00:00Z');

function bootstrapSecret(data: Record<string, string>, type = 'bootstrap.kubernetes.io/token'): SecretLike {
  return { type, metadata: {}, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) };
}

function authenticator(secrets: Record<string, SecretLike> = {}, anonymous = true) {
  return new RequestAuthenticator({
    clientCertificates: false,
    tokens: parseTokenFile('static-token,alice,uid-1,"dev,ops"\n'),
    bootstrapSecret: (name) => secrets[name],
    anonymous,
    now: () => NOW,
  });
}

const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization }, socket: undefined });

describe('token file', () => {
  it('parses token,user,uid,"groups" lines, skipping comments and blank lines', () => {
    const tokens = parseTokenFile('# comment\n\nt1,bob,u1\nt2,carol,u2,"a,b"\n"t,3",dave,u3,c\n');
    expect(tokens).toEqual([
      { token: 't1', user: { name: 'bob', uid: 'u1', groups: [] } },
      { token: 't2', user: { name: 'carol', uid: 'u2', groups: ['a', 'b'] } },
      { token: 't,3', user: { name: 'dave', uid: 'u3', groups: ['c'] } },
    ]);
  });

  it('refuses a line with fewer than three fields', () => {
    expect(() => parseTokenFile('t1,bob\n')).toThrow('line 1: expected at least 3 fields');
  });
});

describe('bearer token parsing (bearertoken.Authenticator)', () => {
  it('reads "Bearer <token>" in any case and ignores other schemes and empty tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic YWxpY2U6cHc=')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('RequestAuthenticator', () => {
  it('authenticates a static token and adds system:authenticated', async () => {
    expect(await authenticator().authenticate(req('Bearer static-token'))).toEqual({ name: 'alice', uid: 'uid-1', groups: ['dev', 'ops', 'system:authenticated'] });
  });

  it('serves a request without credentials as system:anonymous, or refuses it with anonymous auth off', async () => {
    expect(await authenticator().authenticate(req())).toEqual({ name: 'system:anonymous', groups: ['system:unauthenticated'] });
    expect(await authenticator().authenticate(req('Basic Zm9vOmJhcg=='))).toEqual({ name: 'system:anonymous', groups: ['system:unauthenticated'] });
    await expect(authenticator({}, false).authenticate(req())).rejects.toMatchObject({ code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
  });

  it('refuses a bad token with 401 instead of falling through to anonymous', async () => {
    await expect(authenticator().authenticate(req('Bearer nope'))).rejects.toMatchObject({ code: 401 });
    await expect(authenticator().authenticate(req('Bearer a.b.c'))).rejects.toMatchObject({ code: 401 });
  });

  describe('bootstrap tokens', () => {
    const good = {
      'token-id': 'abcdef',
      'token-secret': '0123456789abcdef',
      'usage-bootstrap-authentication': 'true',
      expiration: '2026-11-23T00:00:00Z',
      'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
    };
    const token = 'Bearer abcdef.0123456789abcdef';

    it('authenticates as system:bootstrap:<id> with the bootstrappers groups', async () => {
      const user = await authenticator({ 'bootstrap-token-abcdef': bootstrapSecret(good) }).authenticate(req(token));
      expect(user).toEqual({ name: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'] });
    });

    const refusals: Array<[string, SecretLike]> = [
      ['expired', bootstrapSecret({ ...good, expiration: '2026-11-21T00:00:00Z' })],
      ['not for authentication', bootstrapSecret({ ...good, 'usage-bootstrap-authentication': 'false' })],
      ['of another type', bootstrapSecret(good, 'Opaque')],
      ['with another secret', bootstrapSecret({ ...good, 'token-secret': 'ffffffffffffffff' })],
      ['with an extra group outside system:bootstrappers:', bootstrapSecret({ ...good, 'auth-extra-groups': 'system:masters' })],
      ['being deleted', { ...bootstrapSecret(good), metadata: { deletionTimestamp: '2026-11-21T00:00:00Z' } }],
    ];
    for (const [what, secret] of refusals) {
      it(`refuses a token whose Secret is ${what}`, async () => {
        await expect(authenticator({ 'bootstrap-token-abcdef': secret }).authenticate(req(token))).rejects.toMatchObject({ code: 401 });
      });
    }
  });
});
