import { describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { reconcileServiceAccounts } from './reconcile.js';

function setup(namespaces: KubeObject[], accounts: string[], fail?: ApiError) {
  const created: { ns: string; obj: KubeObject }[] = [];
  const client = {
    async create(_r: unknown, ns: string, obj: KubeObject) {
      if (fail) throw fail;
      created.push({ ns, obj });
      return obj;
    },
  } as unknown as Client;
  const deps = {
    client,
    getNamespace: (name: string) => namespaces.find((n) => n.metadata.name === name),
    getServiceAccount: (key: string) => (accounts.includes(key) ? { metadata: { name: key.split('/')[1] } } : undefined),
  };
  return { deps, created };
}

const ns = (name: string, phase = 'Active'): KubeObject => ({ metadata: { name }, status: { phase } });

describe('serviceaccount reconcile', () => {
  it.each([
    ['an active namespace without one', [ns('a')], [], ['a']],
    ['an active namespace that has one', [ns('a')], ['a/default'], []],
    ['a terminating namespace', [ns('a', 'Terminating')], [], []],
    ['a namespace that is gone', [], [], []],
  ])('creates default in %s as needed', async (_name, namespaces, accounts, want) => {
    const { deps, created } = setup(namespaces, accounts);
    await reconcileServiceAccounts('a', deps);
    expect(created.map((c) => c.ns)).toEqual(want);
    for (const c of created) expect(c.obj.metadata.name).toBe('default');
  });

  it('is done when someone else made it first, or the namespace started terminating', async () => {
    await reconcileServiceAccounts('a', setup([ns('a')], [], new ApiError(409, 'AlreadyExists', 'serviceaccounts "default" already exists')).deps);
    const terminating = new ApiError(403, 'Forbidden', 'serviceaccounts "default" is forbidden: unable to create new content in namespace a because it is being terminated', {
      causes: [{ reason: 'NamespaceTerminating', message: 'namespace a is being terminated', field: 'metadata.namespace' }],
    });
    await reconcileServiceAccounts('a', setup([ns('a')], [], terminating).deps);
  });

  it('fails (and is retried) on anything else', async () => {
    await expect(reconcileServiceAccounts('a', setup([ns('a')], [], new ApiError(500, 'InternalError', 'boom')).deps)).rejects.toThrow('boom');
  });
});
