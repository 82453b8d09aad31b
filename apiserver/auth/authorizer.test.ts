import { describe, expect, it } from 'vitest';
import { defaultAuthorizer, forbiddenError, forbiddenMessage, privilegedGroups, union, type Authorizer } from './authorizer.js';
import { requestInfo } from './request-info.js';

const alice = { name: 'alice', groups: ['system:authenticated'] };
const req = (method: string, url: string) => requestInfo({ method, url });

describe('forbiddenMessage', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/pods', 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"'],
    ['GET', '/api/v1/namespaces/default/pods/web', 'pods "web" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "default"'],
    ['GET', '/api/v1/nodes', 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope'],
    ['POST', '/apis/apps/v1/namespaces/ns/deployments', 'deployments.apps is forbidden: User "alice" cannot create resource "deployments" in API group "apps" in the namespace "ns"'],
    ['PUT', '/apis/apps/v1/namespaces/ns/deployments/web/scale', 'deployments.apps "web" is forbidden: User "alice" cannot update resource "deployments/scale" in API group "apps" in the namespace "ns"'],
    ['GET', '/api/v1/namespaces/ns/pods?watch=true', 'pods is forbidden: User "alice" cannot watch resource "pods" in API group "" in the namespace "ns"'],
    ['DELETE', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view', 'clusterroles.rbac.authorization.k8s.io "view" is forbidden: User "alice" cannot delete resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope'],
    ['GET', '/healthz', 'forbidden: User "alice" cannot get path "/healthz"'],
    ['POST', '/metrics', 'forbidden: User "alice" cannot post path "/metrics"'],
  ])('%s %s', (method, url, message) => {
    expect(forbiddenMessage(alice, req(method, url))).toBe(message);
  });

  it('appends the reason and escapes HTML in what the user sent', () => {
    expect(forbiddenMessage({ name: '<b>&', groups: [] }, req('GET', '/healthz'), 'RBAC: nope')).toBe(
      'forbidden: User "&lt;b&gt;&amp;" cannot get path "/healthz": RBAC: nope',
    );
  });

  it('is a 403 Status with the resource in its details', () => {
    const status = forbiddenError(alice, req('GET', '/apis/apps/v1/namespaces/ns/deployments/web')).toStatus();
    expect(status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      status: 'Failure',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
  });
});

const fixed = (decision: 'allow' | 'deny' | 'no-opinion', reason = ''): Authorizer => ({ authorize: () => ({ decision, reason }) });

describe('union', () => {
  it('the first allow or deny wins', () => {
    expect(union(fixed('no-opinion'), fixed('deny', 'no'), fixed('allow')).authorize(alice, req('GET', '/x'))).toEqual({ decision: 'deny', reason: 'no' });
    expect(union(fixed('no-opinion'), fixed('allow', 'yes'), fixed('deny')).authorize(alice, req('GET', '/x'))).toEqual({ decision: 'allow', reason: 'yes' });
  });

  it('joins the reasons of no-opinions', () => {
    expect(union(fixed('no-opinion', 'a'), fixed('no-opinion'), fixed('no-opinion', 'b')).authorize(alice, req('GET', '/x'))).toEqual({
      decision: 'no-opinion',
      reason: 'a\nb',
    });
  });
});

describe('privileged groups', () => {
  it('system:masters may do anything before the other authorizers are asked', () => {
    const a = defaultAuthorizer(fixed('deny', 'node says no'), fixed('no-opinion'));
    expect(a.authorize({ name: 'root', groups: ['system:masters'] }, req('DELETE', '/api/v1/nodes/n')).decision).toBe('allow');
    expect(a.authorize(alice, req('DELETE', '/api/v1/nodes/n'))).toEqual({ decision: 'deny', reason: 'node says no' });
    expect(privilegedGroups('x').authorize(alice, req('GET', '/')).decision).toBe('no-opinion');
  });
});
