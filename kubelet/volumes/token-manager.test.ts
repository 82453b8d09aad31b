// The kubelet's token cache: when a token is due for a refresh, what a failed refresh does,
// what tells two tokens apart, and what it asks the apiserver.
import { describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import { clientTokenRequester, TokenManager, type TokenRequest, type TokenRequestSpec } from './token-manager.js';

const T0 = Date.parse('2026-05-01T00:00:00Z');
const bound = (uid: string) => ({ apiVersion: 'v1', kind: 'Pod', name: 'p', uid });

function setup(random = 0) {
  const clock = { now: T0 };
  const calls: TokenRequestSpec[] = [];
  let fail: Error | undefined;
  const m = new TokenManager({
    now: () => new Date(clock.now),
    random: () => random,
    requestToken: async (_ns, _name, spec) => {
      if (fail) throw fail;
      calls.push(spec);
      const exp = spec.expirationSeconds ?? 3600;
      return { spec: { ...spec, expirationSeconds: exp }, status: { token: `t${calls.length}`, expirationTimestamp: new Date(clock.now + exp * 1000).toISOString() } };
    },
  });
  const get = async (spec: TokenRequestSpec = { expirationSeconds: 3600, boundObjectRef: bound('u1') }) => (await m.getServiceAccountToken('ns', 'default', spec)).status.token;
  return { m, clock, calls, get, failWith: (e: Error | undefined) => (fail = e) };
}

describe('TokenManager', () => {
  it('answers from its cache until 80% of the lifetime has passed', async () => {
    const { clock, calls, get } = setup();
    expect(await get()).toBe('t1');
    clock.now = T0 + 2880_000;
    expect(await get()).toBe('t1');
    clock.now = T0 + 2881_000; // past exp - 720 s
    expect(await get()).toBe('t2');
    expect(calls).toHaveLength(2);
  });

  it('refreshes a long-lived token once it is 24 hours old, and up to 10 s early with the jitter', async () => {
    const { clock, get } = setup(0.99);
    const spec = { expirationSeconds: 7 * 24 * 3600, boundObjectRef: bound('u1') };
    expect(await get(spec)).toBe('t1');
    clock.now = T0 + 24 * 3600_000 - 10_000; // 24 h less 9 s of jitter: not yet
    expect(await get(spec)).toBe('t1');
    clock.now = T0 + 24 * 3600_000 - 8_000;
    expect(await get(spec)).toBe('t2');
  });

  it('keeps a still-valid token when its refresh fails, and fails once it has expired', async () => {
    const { clock, get, failWith } = setup();
    await get();
    failWith(new Error('connection refused'));
    clock.now = T0 + 3000_000;
    expect(await get()).toBe('t1');
    clock.now = T0 + 3601_000; // expired (and dropped from the cache): the failure is the caller's
    await expect(get()).rejects.toThrow('failed to fetch token: connection refused');
  });

  it('says "failed to fetch token" with the apiserver\'s message when it has none', async () => {
    const { get, failWith, m } = setup();
    failWith(new Error('serviceaccounts "default" not found'));
    await expect(get()).rejects.toThrow('failed to fetch token: serviceaccounts "default" not found');
    await expect(m.getServiceAccountToken('ns', '', {})).rejects.toThrow('failed to fetch token: resource name may not be empty');
  });

  it('caches per audiences, expiration and bound pod; forgets a pod\'s tokens and expired ones', async () => {
    const { m, clock, calls, get } = setup();
    await get({ expirationSeconds: 3600, boundObjectRef: bound('u1') });
    await get({ expirationSeconds: 3600, boundObjectRef: bound('u2') });
    await get({ audiences: ['vault'], expirationSeconds: 3600, boundObjectRef: bound('u1') });
    await get({ expirationSeconds: 7200, boundObjectRef: bound('u1') });
    await get({ expirationSeconds: 3600, boundObjectRef: bound('u1') });
    expect(calls).toHaveLength(4);
    m.deleteServiceAccountToken('u2');
    expect(m.size).toBe(3);
    clock.now = T0 + 3601_000; // the 1 h tokens expired; the next call drops them
    await get({ expirationSeconds: 7200, boundObjectRef: bound('u1') });
    expect(m.size).toBe(1);
  });

  it('asks the apiserver with a TokenRequest on serviceaccounts/NAME/token', async () => {
    const sent: unknown[] = [];
    const client = {
      path: (_r: unknown, ns: string, name: string, sub: string) => `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`.replace('/token', sub ? `/${sub}` : ''),
      request: async (...args: unknown[]) => {
        sent.push(args);
        return { spec: {}, status: { token: 'x', expirationTimestamp: '2026-01-01T00:00:00Z' } } as TokenRequest;
      },
    } as unknown as Client;
    await clientTokenRequester(client)('ns', 'sa', { expirationSeconds: 600 });
    expect(sent).toEqual([
      ['POST', '/api/v1/namespaces/ns/serviceaccounts/sa/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { expirationSeconds: 600 } }],
    ]);
  });
});
