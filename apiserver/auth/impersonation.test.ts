import { describe, expect, it } from 'vitest';
import type { Attributes, Authorizer, UserInfo } from './authorizer.js';
import { impersonate } from './impersonation.js';

const alice: UserInfo = { name: 'alice', groups: ['system:authenticated'] };

/** Allows impersonating exactly the listed resource/name pairs and records every question. */
function allowing(...allowed: string[]): Authorizer & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    authorize(_u, a: Attributes) {
      const key = `${a.apiGroup}/${a.resource}${a.subresource ? `/${a.subresource}` : ''}/${a.namespace ? `${a.namespace}/` : ''}${a.name}`;
      asked.push(`${a.verb} ${key}`);
      return allowed.includes(key) ? { decision: 'allow', reason: '' } : { decision: 'no-opinion', reason: '' };
    },
  };
}

describe('impersonation', () => {
  it('returns undefined when no Impersonate-User is given', () => {
    expect(impersonate({}, alice, allowing())).toBeUndefined();
  });

  it('impersonates a user with groups, uid and extras, each authorized as verb impersonate', () => {
    const authz = allowing('/users/bob', '/groups/devs', 'authentication.k8s.io/uids/u-1', 'authentication.k8s.io/userextras/scopes/view');
    const user = impersonate(
      { 'impersonate-user': 'bob', 'impersonate-group': 'devs', 'impersonate-uid': 'u-1', 'impersonate-extra-scopes': 'view' },
      alice,
      authz,
    );
    expect(user).toEqual({ name: 'bob', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['view'] } });
    expect(authz.asked).toEqual([
      'impersonate /users/bob',
      'impersonate /groups/devs',
      'impersonate authentication.k8s.io/uids/u-1',
      'impersonate authentication.k8s.io/userextras/scopes/view',
    ]);
  });

  it('impersonates a ServiceAccount as serviceaccounts in its namespace, with the account\'s groups', () => {
    const user = impersonate({ 'impersonate-user': 'system:serviceaccount:ns1:robot' }, alice, allowing('/serviceaccounts/ns1/robot'));
    expect(user).toEqual({ name: 'system:serviceaccount:ns1:robot', groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated'] });
  });

  it('puts an impersonated system:anonymous in system:unauthenticated', () => {
    expect(impersonate({ 'impersonate-user': 'system:anonymous' }, alice, allowing('/users/system:anonymous'))?.groups).toEqual(['system:unauthenticated']);
  });

  it('refuses what is not allowed with upstream\'s 403', () => {
    expect(() => impersonate({ 'impersonate-user': 'bob' }, alice, allowing())).toThrow(
      'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    expect(() => impersonate({ 'impersonate-user': 'bob', 'impersonate-group': 'system:masters' }, alice, allowing('/users/bob'))).toThrow(
      'groups "system:masters" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope',
    );
  });

  it('answers 400 to groups, uid or extras without a user, and to a malformed extra key', () => {
    for (const headers of [{ 'impersonate-group': 'g' }, { 'impersonate-uid': 'u' }, { 'impersonate-extra-k': 'v' }, { 'impersonate-user': 'bob', 'impersonate-extra-%zz': 'v' }]) {
      let code = 0;
      try {
        impersonate(headers, alice, allowing('/users/bob'));
      } catch (err) {
        code = (err as { code: number }).code;
      }
      expect(code).toBe(400);
    }
  });
});
