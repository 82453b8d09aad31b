import { describe, expect, it } from 'vitest';
import { nameFromFieldSelector, requestInfo } from './request-info.js';

type Row = [method: string, url: string, verb: string, group: string, version: string, namespace: string, resource: string, subresource: string, name: string];

// The cases of upstream's TestGetAPIRequestInfo, plus skiff's own resources.
const RESOURCE_CASES: Row[] = [
  ['GET', '/api/v1/namespaces', 'list', '', 'v1', '', 'namespaces', '', ''],
  ['GET', '/api/v1/namespaces/other', 'get', '', 'v1', 'other', 'namespaces', '', 'other'],
  ['GET', '/api/v1/namespaces/other/pods', 'list', '', 'v1', 'other', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/other/pods/foo', 'get', '', 'v1', 'other', 'pods', '', 'foo'],
  ['HEAD', '/api/v1/namespaces/other/pods/foo', 'get', '', 'v1', 'other', 'pods', '', 'foo'],
  ['GET', '/api/v1/pods', 'list', '', 'v1', '', 'pods', '', ''],
  ['GET', '/api/v1/namespaces/other/pods/foo/status', 'get', '', 'v1', 'other', 'pods', 'status', 'foo'],
  ['PUT', '/api/v1/namespaces/other/pods/foo/status', 'update', '', 'v1', 'other', 'pods', 'status', 'foo'],
  ['PATCH', '/api/v1/namespaces/other/pods/foo/status', 'patch', '', 'v1', 'other', 'pods', 'status', 'foo'],
  ['POST', '/api/v1/namespaces/other/pods', 'create', '', 'v1', 'other', 'pods', '', ''],
  ['PUT', '/api/v1/namespaces/other/pods/foo', 'update', '', 'v1', 'other', 'pods', '', 'foo'],
  ['PATCH', '/api/v1/namespaces/other/pods/foo', 'patch', '', 'v1', 'other', 'pods', '', 'foo'],
  ['DELETE', '/api/v1/namespaces/other/pods/foo', 'delete', '', 'v1', 'other', 'pods', '', 'foo'],
  ['DELETE', '/api/v1/namespaces/other/pods', 'deletecollection', '', 'v1', 'other', 'pods', '', ''],
  ['POST', '/api/v1/namespaces/other/pods/foo/binding', 'create', '', 'v1', 'other', 'pods', 'binding', 'foo'],
  ['POST', '/api/v1/namespaces/other/pods/foo/eviction', 'create', '', 'v1', 'other', 'pods', 'eviction', 'foo'],
  ['GET', '/api/v1/namespaces/other/pods/foo/log', 'get', '', 'v1', 'other', 'pods', 'log', 'foo'],
  ['POST', '/api/v1/namespaces/other/pods/foo/exec', 'create', '', 'v1', 'other', 'pods', 'exec', 'foo'],
  ['GET', '/api/v1/namespaces/other/pods/foo/exec', 'get', '', 'v1', 'other', 'pods', 'exec', 'foo'],
  ['POST', '/api/v1/namespaces/other/pods/foo/portforward', 'create', '', 'v1', 'other', 'pods', 'portforward', 'foo'],
  ['GET', '/api/v1/namespaces/other/pods/foo/proxy/some/path', 'get', '', 'v1', 'other', 'pods', 'proxy', 'foo'],
  // Legacy /watch/ and /proxy/ verbs in the path.
  ['GET', '/api/v1/watch/pods', 'watch', '', 'v1', '', 'pods', '', ''],
  ['GET', '/api/v1/watch/namespaces/other/pods', 'watch', '', 'v1', 'other', 'pods', '', ''],
  ['GET', '/api/v1/watch/namespaces/other/pods/foo', 'watch', '', 'v1', 'other', 'pods', '', 'foo'],
  ['GET', '/api/v1/proxy/nodes/node-1/stats', 'proxy', '', 'v1', '', 'nodes', '', 'node-1'],
  ['GET', '/api/v1/proxy/namespaces/other/services/web:80/x', 'proxy', '', 'v1', 'other', 'services', '', 'web:80'],
  // Namespaces and their own subresources.
  ['PUT', '/api/v1/namespaces/other/finalize', 'update', '', 'v1', 'other', 'namespaces', 'finalize', 'other'],
  ['PUT', '/api/v1/namespaces/other/status', 'update', '', 'v1', 'other', 'namespaces', 'status', 'other'],
  ['DELETE', '/api/v1/namespaces/other', 'delete', '', 'v1', 'other', 'namespaces', '', 'other'],
  // Cluster-scoped.
  ['GET', '/api/v1/nodes', 'list', '', 'v1', '', 'nodes', '', ''],
  ['PATCH', '/api/v1/nodes/node-1/status', 'patch', '', 'v1', '', 'nodes', 'status', 'node-1'],
  ['GET', '/api/v1/persistentvolumes/pv-1', 'get', '', 'v1', '', 'persistentvolumes', '', 'pv-1'],
  // Named groups.
  ['GET', '/apis/apps/v1/namespaces/other/deployments', 'list', 'apps', 'v1', 'other', 'deployments', '', ''],
  ['GET', '/apis/apps/v1/deployments', 'list', 'apps', 'v1', '', 'deployments', '', ''],
  ['PUT', '/apis/apps/v1/namespaces/other/deployments/web/scale', 'update', 'apps', 'v1', 'other', 'deployments', 'scale', 'web'],
  ['GET', '/apis/apps/v1/watch/namespaces/other/replicasets', 'watch', 'apps', 'v1', 'other', 'replicasets', '', ''],
  ['POST', '/apis/batch/v1/namespaces/other/jobs', 'create', 'batch', 'v1', 'other', 'jobs', '', ''],
  ['PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1', 'update', 'coordination.k8s.io', 'v1', 'kube-node-lease', 'leases', '', 'node-1'],
  ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/view', 'get', 'rbac.authorization.k8s.io', 'v1', '', 'clusterroles', '', 'view'],
  ['POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/ns/rolebindings', 'create', 'rbac.authorization.k8s.io', 'v1', 'ns', 'rolebindings', '', ''],
  ['POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', 'create', 'authorization.k8s.io', 'v1', '', 'selfsubjectaccessreviews', '', ''],
  ['POST', '/api/v1/namespaces/ns/serviceaccounts/default/token', 'create', '', 'v1', 'ns', 'serviceaccounts', 'token', 'default'],
  // Trailing slashes, unknown methods, paths the server does not serve.
  ['GET', '/api/v1/namespaces/other/pods/', 'list', '', 'v1', 'other', 'pods', '', ''],
  ['OPTIONS', '/api/v1/namespaces/other/pods/foo', '', '', 'v1', 'other', 'pods', '', 'foo'],
  ['GET', '/apis/example.com/v1/widgets/w', 'get', 'example.com', 'v1', '', 'widgets', '', 'w'],
  ['GET', '/api/v1/namespaces/other/pods/foo/status/extra', 'get', '', 'v1', 'other', 'pods', 'status', 'foo'],
];

describe('requestInfo: resource requests', () => {
  it.each(RESOURCE_CASES)('%s %s → %s', (method, url, verb, group, version, namespace, resource, subresource, name) => {
    const info = requestInfo({ method, url });
    expect(info).toMatchObject({ isResourceRequest: true, verb, apiGroup: group, apiVersion: version, namespace, resource, subresource, name });
  });

  it('keeps the path and the parts from the resource on', () => {
    const info = requestInfo({ method: 'GET', url: '/api/v1/namespaces/other/pods/foo/proxy/a/b?x=1' });
    expect(info.path).toBe('/api/v1/namespaces/other/pods/foo/proxy/a/b');
    expect(info.parts).toEqual(['pods', 'foo', 'proxy', 'a', 'b']);
    expect(info.apiPrefix).toBe('api');
  });
});

describe('requestInfo: list or watch from the query', () => {
  it.each([
    ['watch=true', 'watch'],
    ['watch=1', 'watch'],
    ['watch=TRUE', 'watch'],
    ['watch=yes', 'watch'],
    ['watch=', 'watch'],
    ['watch=false', 'list'],
    ['watch=False', 'list'],
    ['watch=0', 'list'],
    ['labelSelector=app%3Dweb', 'list'],
    ['watch=true&watch=false', 'watch'],
  ])('?%s → %s', (query, verb) => {
    expect(requestInfo({ method: 'GET', url: `/api/v1/namespaces/ns/pods?${query}` }).verb).toBe(verb);
  });

  it('takes the name from a metadata.name field selector, as kubelets watch single secrets', () => {
    const info = requestInfo({ method: 'GET', url: '/api/v1/namespaces/ns/secrets?fieldSelector=metadata.name%3Dtoken&watch=true' });
    expect(info).toMatchObject({ verb: 'watch', resource: 'secrets', name: 'token' });
    expect(requestInfo({ method: 'GET', url: '/api/v1/nodes?fieldSelector=metadata.name%3D%3Dn1' })).toMatchObject({ verb: 'list', name: 'n1' });
  });

  it('reads an already parsed query over the URL', () => {
    const info = requestInfo({ method: 'GET', url: '/api/v1/pods', query: { watch: 'true', fieldSelector: 'spec.nodeName=n1' } });
    expect(info).toMatchObject({ verb: 'watch', name: '' });
  });

  it('ignores names that cannot be path segments, and other selectors', () => {
    expect(nameFromFieldSelector('metadata.name=a/b')).toBe('a/b');
    expect(requestInfo({ method: 'GET', url: '/api/v1/pods?fieldSelector=metadata.name%3Da%2Fb' }).name).toBe('');
    expect(nameFromFieldSelector('metadata.name!=x')).toBeUndefined();
    expect(nameFromFieldSelector('spec.nodeName=n1,metadata.name=p')).toBe('p');
    expect(nameFromFieldSelector('metadata.namespace=x')).toBeUndefined();
    expect(nameFromFieldSelector(undefined)).toBeUndefined();
  });

  it('a named delete stays delete; a collection delete is deletecollection', () => {
    expect(requestInfo({ method: 'DELETE', url: '/apis/apps/v1/namespaces/ns/deployments' }).verb).toBe('deletecollection');
    expect(requestInfo({ method: 'DELETE', url: '/apis/apps/v1/namespaces/ns/deployments/web' }).verb).toBe('delete');
  });
});

describe('requestInfo: streaming into pods', () => {
  const ws = { connection: 'Upgrade', upgrade: 'websocket' };
  it.each(['exec', 'attach', 'portforward'])('a WebSocket GET on pods/%s is authorized as create', (sub) => {
    const info = requestInfo({ method: 'GET', url: `/api/v1/namespaces/ns/pods/p/${sub}?command=sh`, headers: ws });
    expect(info).toMatchObject({ verb: 'create', resource: 'pods', subresource: sub, name: 'p' });
  });

  it('pods/log over a WebSocket stays get; a plain GET on exec stays get', () => {
    expect(requestInfo({ method: 'GET', url: '/api/v1/namespaces/ns/pods/p/log', headers: ws }).verb).toBe('get');
    expect(requestInfo({ method: 'GET', url: '/api/v1/namespaces/ns/pods/p/exec', headers: {} }).verb).toBe('get');
    expect(requestInfo({ method: 'GET', url: '/api/v1/namespaces/ns/pods/p/exec', headers: { connection: 'keep-alive, Upgrade', upgrade: 'WebSocket' } }).verb).toBe('create');
  });
});

describe('requestInfo: non-resource requests', () => {
  it.each([
    ['GET', '/healthz', 'get'],
    ['GET', '/readyz?verbose', 'get'],
    ['GET', '/version/', 'get'],
    ['GET', '/api', 'get'],
    ['GET', '/api/v1', 'get'],
    ['GET', '/apis', 'get'],
    ['GET', '/apis/apps', 'get'],
    ['GET', '/apis/apps/v1', 'get'],
    ['GET', '/openapi/v3/apis/apps/v1', 'get'],
    ['POST', '/metrics', 'post'],
    ['PUT', '/foo/bar/baz', 'put'],
    ['HEAD', '/', 'head'],
  ])('%s %s is a non-resource %s', (method, url, verb) => {
    const info = requestInfo({ method, url });
    expect(info).toMatchObject({ isResourceRequest: false, verb, resource: '', namespace: '', apiGroup: '' });
    expect(info.path).toBe(url.split('?')[0]);
  });
});
