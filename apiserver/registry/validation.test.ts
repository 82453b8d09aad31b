import { describe, expect, it } from 'vitest';
import type { StatusCause } from '../../shared/errors.js';
import { applyDefaults } from './defaults.js';
import { validateObject } from './validation.js';

// Objects go through applyDefaults first, as the store does before validating.
function check(resource: string, obj: any, old?: any): StatusCause[] {
  const copy = structuredClone(obj);
  applyDefaults(resource, copy);
  let prev: any;
  if (old !== undefined) {
    prev = structuredClone(old);
    applyDefaults(resource, prev);
  }
  return validateObject(resource, copy, prev);
}

/** [field, reason] pairs, the shape a user reads in `kubectl` errors. */
const fields = (causes: StatusCause[]) => causes.map((c) => [c.field, c.reason]);

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const meta = (name = 'web', extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', ...extra });
const container = (extra: Record<string, unknown> = {}) => ({ name: 'web', image: 'nginx:1.27', ...extra });
const pod = (spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = meta()) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec: { containers: [container()], ...spec },
});
describe('metadata', () => {
  it.each([
    ['pods', { name: 'web' }, []],
    ['pods', { name: 'web.v1' }, []],
    ['pods', {}, [['metadata.name', 'FieldValueRequired']]],
    ['pods', { name: 'Web' }, [['metadata.name', 'FieldValueInvalid']]],
    ['pods', { name: 'web', generateName: 'web-' }, []],
    ['pods', { name: 'web', generateName: 'Web-' }, [['metadata.generateName', 'FieldValueInvalid']]],
    ['services', { name: 'web.v1' }, [['metadata.name', 'FieldValueInvalid']]],
    ['services', { name: '1web' }, [['metadata.name', 'FieldValueInvalid']]],
    ['configmaps', { name: 'a.b.c' }, []],
    ['statefulsets', { name: 'db.v1' }, [['metadata.name', 'FieldValueInvalid']]],
    ['clusterroles', { name: 'system:node' }, []],
    ['pods', { name: 'web', labels: { 'app.kubernetes.io/name': 'web', tier: '' } }, []],
    ['pods', { name: 'web', labels: { '-bad': 'x' } }, [['metadata.labels', 'FieldValueInvalid']]],
    ['pods', { name: 'web', labels: { app: 'a b' } }, [['metadata.labels', 'FieldValueInvalid']]],
    ['pods', { name: 'web', labels: { app: 5 } }, [['metadata.labels[app]', 'FieldValueTypeInvalid']]],
    ['pods', { name: 'web', annotations: { 'Example.com/Note': 'ok' } }, []],
    ['pods', { name: 'web', annotations: { 'a/b/c': 'x' } }, [['metadata.annotations', 'FieldValueInvalid']]],
    ['pods', { name: 'web', annotations: { big: 'x'.repeat(256 * 1024) } }, [['metadata.annotations', 'FieldValueTooLong']]],
    ['pods', { name: 'web', namespace: 'Bad_NS' }, [['metadata.namespace', 'FieldValueInvalid']]],
    ['pods', { name: 'web', finalizers: ['example.com/cleanup', 'bad/final/izer'] }, [['metadata.finalizers', 'FieldValueInvalid']]],
    ['pods', { name: 'web', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '' }] }, [['metadata.ownerReferences.uid', 'FieldValueInvalid']]],
    ['pods', { name: 42 }, [['metadata.name', 'FieldValueTypeInvalid']]],
  ])('%s metadata %#', (resource, metadata, want) => {
    const namespace = resource === 'clusterroles' ? {} : { namespace: 'default' };
    const obj = resource === 'pods' ? pod({}, { ...namespace, ...metadata }) : { metadata: { ...namespace, ...metadata }, spec: {} };
    const causes = check(resource, obj).filter((c) => c.field?.startsWith('metadata'));
    expect(fields(causes)).toEqual(want);
  });

  it('words a name error as upstream does', () => {
    expect(check('namespaces', { metadata: { name: 'My_NS' } })).toEqual([
      { reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "My_NS": ${LABEL_MSG}` },
    ]);
    expect(check('pods', pod({}, { namespace: 'default' }))).toEqual([
      { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' },
    ]);
  });

  it('rejects bodies that are not objects', () => {
    expect(fields(validateObject('pods', 5))).toEqual([['<root>', 'FieldValueTypeInvalid']]);
    expect(fields(validateObject('pods', { metadata: [], spec: { containers: [container()] } }))).toEqual([
      ['metadata', 'FieldValueTypeInvalid'],
      ['metadata.name', 'FieldValueRequired'],
      ['metadata.namespace', 'FieldValueRequired'],
    ]);
  });

  it('keeps identity fields on update', () => {
    const old = pod({}, meta('web', { uid: 'u1' }));
    expect(fields(check('pods', pod({}, meta('web', { uid: 'u1' })), old))).toEqual([]);
    expect(fields(check('pods', pod({}, meta('other', { uid: 'u1' })), old))).toEqual([['metadata.name', 'FieldValueInvalid']]);
    const deleting = pod({}, meta('web', { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['a.io/x'] }));
    const causes = check('pods', pod({}, meta('web', { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['a.io/x', 'b.io/y'] })), deleting);
    expect(causes).toEqual([
      { reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}' },
    ]);
  });
});

describe('services', () => {
  const svc = (spec: Record<string, unknown>, name = 'web') => ({ metadata: meta(name), spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec } });

  it.each([
    ['a ClusterIP service', {}, []],
    ['a headless service without ports', { clusterIP: 'None', ports: [] }, []],
    ['an ExternalName service', { type: 'ExternalName', externalName: 'db.example.com.', ports: [] }, []],
    ['no ports', { ports: [] }, [['spec.ports', 'FieldValueRequired']]],
    ['type Public', { type: 'Public' }, [['spec.type', 'FieldValueNotSupported']]],
    ['port 0 (and the targetPort defaulted from it)', { ports: [{ port: 0 }] }, [['spec.ports[0].port', 'FieldValueInvalid'], ['spec.ports[0].targetPort', 'FieldValueInvalid']]],
    ['protocol HTTP', { ports: [{ port: 80, protocol: 'HTTP' }] }, [['spec.ports[0].protocol', 'FieldValueNotSupported']]],
    ['two unnamed ports', { ports: [{ port: 80 }, { port: 443 }] }, [['spec.ports[0].name', 'FieldValueRequired'], ['spec.ports[1].name', 'FieldValueRequired']]],
    ['duplicate port names', { ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }, [['spec.ports[1].name', 'FieldValueDuplicate']]],
    ['duplicate ports', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }, [['spec.ports[1]', 'FieldValueDuplicate']]],
    ['a bad port name', { ports: [{ name: 'HTTP', port: 80 }] }, [['spec.ports[0].name', 'FieldValueInvalid']]],
    ['a bad targetPort', { ports: [{ port: 80, targetPort: 'Web_Port' }] }, [['spec.ports[0].targetPort', 'FieldValueInvalid']]],
    ['a bad clusterIP', { clusterIP: '10.0.0.300' }, [['spec.clusterIPs[0]', 'FieldValueInvalid']]],
    ['a bad selector', { selector: { app: 'a b' } }, [['spec.selector', 'FieldValueInvalid']]],
    ['ExternalName without a name', { type: 'ExternalName', ports: [] }, [['spec.externalName', 'FieldValueRequired']]],
    ['ExternalName with a clusterIP', { type: 'ExternalName', externalName: 'x.com', clusterIP: '10.0.0.1' }, [['spec.clusterIPs', 'FieldValueForbidden']]],
    ['sessionAffinity Sticky', { sessionAffinity: 'Sticky' }, [['spec.sessionAffinity', 'FieldValueNotSupported']]],
    ['externalTrafficPolicy Global', { type: 'NodePort', externalTrafficPolicy: 'Global' }, [['spec.externalTrafficPolicy', 'FieldValueNotSupported']]],
  ])('%s', (_name, spec, want) => {
    expect(fields(check('services', svc(spec)))).toEqual(want);
  });

  it('words the missing ports error', () => {
    expect(check('services', svc({ ports: [] }))).toEqual([{ reason: 'FieldValueRequired', field: 'spec.ports', message: 'Required value' }]);
  });

  it.each([
    ['the same clusterIP', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] }, []],
    ['no clusterIP in the body', {}, []],
    ['a new clusterIP', { clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'] }, [['spec.clusterIPs[0]', 'FieldValueInvalid']]],
    ['a change to ExternalName', { type: 'ExternalName', externalName: 'x.com', clusterIP: '10.96.0.10', ports: [] }, []],
  ])('update with %s', (_name, spec, want) => {
    const old = svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] });
    expect(fields(check('services', svc(spec), old))).toEqual(want);
  });
});

describe('config maps and secrets', () => {
  it.each([
    ['configmaps', { data: { 'app.properties': 'x', KEY_1: 'y' } }, []],
    ['configmaps', { data: { 'a/b': 'x' } }, [['data[a/b]', 'FieldValueInvalid']]],
    ['configmaps', { data: { '..x': 'x' } }, [['data[..x]', 'FieldValueInvalid']]],
    ['configmaps', { data: { a: 1 } }, [['data[a]', 'FieldValueTypeInvalid']]],
    ['configmaps', { data: { a: 'x' }, binaryData: { a: 'eA==' } }, [['data[a]', 'FieldValueInvalid']]],
    ['configmaps', { binaryData: { b: 'not base64!' } }, [['binaryData[b]', 'FieldValueInvalid']]],
    ['configmaps', { data: { big: 'x'.repeat(1024 * 1024 + 1) } }, [['', 'FieldValueTooLong']]],
    ['secrets', { data: { password: 'cGFzcw==' } }, []],
    ['secrets', { data: { password: 'cGFzcw' } }, [['data[password]', 'FieldValueInvalid']]],
    ['secrets', { data: { 'a b': 'eA==' } }, [['data[a b]', 'FieldValueInvalid']]],
    ['secrets', { stringData: { token: 'plain' } }, []],
    ['secrets', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }, [['data[tls.key]', 'FieldValueRequired']]],
    ['secrets', { type: 'kubernetes.io/dockerconfigjson', data: {} }, [['data[.dockerconfigjson]', 'FieldValueRequired']]],
    ['secrets', { type: 'kubernetes.io/service-account-token' }, [['metadata.annotations[kubernetes.io/service-account.name]', 'FieldValueRequired']]],
  ])('%s %j', (resource, body, want) => {
    expect(fields(check(resource, { metadata: meta('cfg'), ...body }))).toEqual(want);
  });

  it('redacts secret contents and reports the byte', () => {
    expect(check('secrets', { metadata: meta(), data: { password: 'ab$d' } })).toEqual([
      { reason: 'FieldValueInvalid', field: 'data[password]', message: 'Invalid value: "<secret contents redacted>": illegal base64 data at input byte 2' },
    ]);
  });

  it.each([
    ['configmaps', { data: { a: 'x' } }, { data: { a: 'y' } }, []],
    ['configmaps', { immutable: true, data: { a: 'x' } }, { immutable: true, data: { a: 'x' } }, []],
    ['configmaps', { immutable: true, data: { a: 'x' } }, { immutable: true, data: { a: 'y' } }, [['data', 'FieldValueForbidden']]],
    ['configmaps', { immutable: true, data: { a: 'x' } }, { immutable: false, data: { a: 'x' } }, [['immutable', 'FieldValueForbidden']]],
    ['secrets', { immutable: true, data: { a: 'eA==' } }, { immutable: true, data: { a: 'eQ==' } }, [['data', 'FieldValueForbidden']]],
    ['secrets', { type: 'Opaque' }, { type: 'kubernetes.io/basic-auth', data: { username: 'eA==' } }, [['type', 'FieldValueInvalid']]],
  ])('%s update %j → %j', (resource, before, after, want) => {
    expect(fields(check(resource, { metadata: meta('c'), ...after }, { metadata: meta('c'), ...before }))).toEqual(want);
  });
});

describe('cluster objects', () => {
  it.each([
    ['namespaces', { metadata: { name: 'team-a' } }, []],
    ['namespaces', { metadata: { name: 'team.a' } }, [['metadata.name', 'FieldValueInvalid']]],
    ['namespaces', { metadata: { name: 'team' }, spec: { finalizers: ['custom'] } }, [['spec.finalizers', 'FieldValueInvalid']]],
    ['nodes', { metadata: { name: 'node-1.example.com' }, spec: { podCIDR: '10.244.1.0/24' } }, []],
    ['nodes', { metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0' } }, [['spec.podCIDR', 'FieldValueInvalid']]],
    ['nodes', { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'Never' }] } }, [['spec.taints[0].effect', 'FieldValueNotSupported']]],
    ['nodes', { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'k', value: 'v', effect: 'NoSchedule' }] } }, [['spec.taints[1]', 'FieldValueDuplicate']]],
    ['persistentvolumes', { metadata: { name: 'pv1' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' } } }, []],
    [
      'persistentvolumes',
      { metadata: { name: 'pv1' }, spec: {} },
      [
        ['spec.accessModes', 'FieldValueRequired'],
        ['spec.capacity', 'FieldValueRequired'],
        ['spec', 'FieldValueRequired'],
      ],
    ],
    ['persistentvolumes', { metadata: { name: 'pv1' }, spec: { capacity: { storage: 'big' }, accessModes: ['ReadWriteSometimes'], nfs: { server: 'x' } } }, [['spec.accessModes', 'FieldValueNotSupported'], ['spec.capacity[storage]', 'FieldValueInvalid'], ['spec.nfs.path', 'FieldValueRequired']]],
    ['persistentvolumes', { metadata: { name: 'pv1' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], local: { path: '/mnt' } } }, [['spec.nodeAffinity', 'FieldValueRequired']]],
  ])('%s %j', (resource, obj, want) => {
    expect(fields(check(resource, obj))).toEqual(want);
  });

  it('keeps pod CIDRs and volume sources on update', () => {
    const node = { metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0/24' } };
    expect(fields(check('nodes', { metadata: { name: 'n' }, spec: { podCIDR: '10.244.2.0/24' } }, node))).toEqual([['spec.podCIDRs', 'FieldValueForbidden']]);
    expect(fields(check('nodes', { metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0/24', unschedulable: true } }, node))).toEqual([]);
    const pv = (path: string) => ({ metadata: { name: 'pv' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path } } });
    expect(fields(check('persistentvolumes', pv('/b'), pv('/a')))).toEqual([['spec.persistentvolumesource', 'FieldValueForbidden']]);
  });
});

describe('claims', () => {
  const pvc = (spec: Record<string, unknown> = {}, status?: Record<string, unknown>) => ({
    metadata: meta('data'),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
    ...(status ? { status } : {}),
  });

  it.each([
    ['a typical claim', {}, []],
    ['no access modes', { accessModes: [] }, [['spec.accessModes', 'FieldValueRequired']]],
    ['no storage request', { resources: {} }, [['spec.resources[storage]', 'FieldValueRequired']]],
    ['zero storage', { resources: { requests: { storage: '0' } } }, [['spec.resources[storage]', 'FieldValueInvalid']]],
    ['a bad class', { storageClassName: 'Fast_SSD' }, [['spec.storageClassName', 'FieldValueInvalid']]],
  ])('%s', (_name, spec, want) => {
    expect(fields(check('persistentvolumeclaims', pvc(spec)))).toEqual(want);
  });

  it('words the access mode error', () => {
    expect(check('persistentvolumeclaims', pvc({ accessModes: [] }))[0]!.message).toBe('Required value: at least 1 access mode is required');
  });

  it.each([
    ['binding to a volume', pvc({ volumeName: 'pv-1' }), pvc(), []],
    ['resizing a bound claim', pvc({ resources: { requests: { storage: '2Gi' } } }, { phase: 'Bound' }), pvc({}, { phase: 'Bound' }), []],
    ['resizing an unbound claim', pvc({ resources: { requests: { storage: '2Gi' } } }), pvc(), [['spec', 'FieldValueForbidden']]],
    ['changing access modes', pvc({ accessModes: ['ReadWriteMany'] }), pvc(), [['spec', 'FieldValueForbidden']]],
  ])('update: %s', (_name, next, old, want) => {
    expect(fields(check('persistentvolumeclaims', next, old))).toEqual(want);
  });
});

describe('autoscalers, leases and events', () => {
  const hpa = (spec: Record<string, unknown>) => ({
    apiVersion: 'autoscaling/v2',
    metadata: meta(),
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec },
  });

  it.each([
    ['a typical autoscaler', {}, []],
    ['minReplicas 0', { minReplicas: 0 }, [['spec.minReplicas', 'FieldValueInvalid']]],
    ['maxReplicas below minReplicas', { minReplicas: 3, maxReplicas: 2 }, [['spec.maxReplicas', 'FieldValueInvalid']]],
    ['maxReplicas 0', { maxReplicas: 0 }, [['spec.maxReplicas', 'FieldValueInvalid'], ['spec.maxReplicas', 'FieldValueInvalid']]],
    ['no target', { scaleTargetRef: undefined }, [['spec.scaleTargetRef.kind', 'FieldValueRequired'], ['spec.scaleTargetRef.name', 'FieldValueRequired']]],
    ['a metric without source', { metrics: [{ type: 'Resource' }] }, [['spec.metrics[0].resource', 'FieldValueRequired']]],
    ['a metric of a bad type', { metrics: [{ type: 'Cpu' }] }, [['spec.metrics[0].type', 'FieldValueNotSupported']]],
    [
      'a zero utilization target',
      { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }] },
      [['spec.metrics[0].resource.target.averageUtilization', 'FieldValueInvalid']],
    ],
  ])('%s', (_name, spec, want) => {
    expect(fields(check('horizontalpodautoscalers', hpa(spec)))).toEqual(want);
  });

  it('words the replica bounds as upstream', () => {
    expect(check('horizontalpodautoscalers', hpa({ minReplicas: 3, maxReplicas: 2 }))[0]!.message).toBe('Invalid value: 2: must be greater than or equal to `minReplicas`');
  });

  it.each([
    ['a lease', { spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } }, []],
    ['a zero duration', { spec: { leaseDurationSeconds: 0 } }, [['spec.leaseDurationSeconds', 'FieldValueInvalid']]],
    ['negative transitions', { spec: { leaseTransitions: -1 } }, [['spec.leaseTransitions', 'FieldValueInvalid']]],
  ])('leases: %s', (_name, body, want) => {
    expect(fields(check('leases', { metadata: meta('lock'), ...body }))).toEqual(want);
  });

  it.each([
    ['a pod event', { involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Scheduled' }, []],
    ['a node event in default', { involvedObject: { kind: 'Node', name: 'n1' }, reason: 'Ready' }, []],
    ['no involved object', { reason: 'X' }, [['involvedObject', 'FieldValueRequired']]],
    ['another namespace', { involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } }, [['involvedObject.namespace', 'FieldValueInvalid']]],
  ])('events: %s', (_name, body, want) => {
    expect(fields(check('events', { metadata: meta('web.1'), ...body }))).toEqual(want);
  });
});

describe('robustness', () => {
  const junk = [null, 0, 'x', true, [], [1, 'a', null], { a: { b: [] } }];
  const resources = [
    'pods', 'services', 'configmaps', 'secrets', 'namespaces', 'nodes', 'endpoints', 'events', 'leases', 'persistentvolumes',
    'persistentvolumeclaims', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'horizontalpodautoscalers', 'serviceaccounts',
  ];
  const keys = ['spec', 'data', 'binaryData', 'stringData', 'type', 'status', 'subsets', 'involvedObject', 'immutable'];

  it.each(resources)('%s never throws on junk in any top-level field, on create or update', (resource) => {
    for (const value of junk) {
      for (const key of keys) {
        const obj = { metadata: meta('x'), [key]: value };
        expect(() => applyDefaults(resource, structuredClone(obj))).not.toThrow();
        const causes = [...validateObject(resource, obj), ...validateObject(resource, obj, { metadata: meta('x'), [key]: junk[6] })];
        expect(causes.some((c) => c.message?.startsWith('Internal error'))).toBe(false);
      }
    }
  });

  it.each(resources)('%s never throws on junk nested in the spec', (resource) => {
    const nested = [
      { template: { metadata: 5, spec: { containers: [{ name: 1, ports: [{ containerPort: {} }], resources: { limits: [] } }] } } },
      { selector: { matchLabels: [], matchExpressions: [{ operator: 5, values: 'x' }] }, strategy: 'x', updateStrategy: { rollingUpdate: 'x' } },
      { ports: [{ port: 'x', targetPort: {} }], clusterIP: 5, clusterIPs: 'x', ipFamilies: [1], selector: 'x' },
      { capacity: 'x', accessModes: 'x', resources: { requests: [] }, metrics: [{ type: 'Resource', resource: 'x' }], scaleTargetRef: 'x' },
      { taints: [null, { key: 1 }], podCIDRs: [1], finalizers: 'x', containers: 'x', volumes: [{ name: 'v', secret: 'x' }] },
    ];
    for (const spec of nested) {
      const obj = { metadata: meta('x', { uid: 'u' }), spec };
      const causes = [...validateObject(resource, obj), ...validateObject(resource, obj, { metadata: meta('x'), spec: {} })];
      expect(causes.some((c) => c.message?.startsWith('Internal error'))).toBe(false);
    }
  });
});
