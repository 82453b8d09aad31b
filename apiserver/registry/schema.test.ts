import { describe, expect, it } from 'vitest';
import { checkSchema, hasSchema, MAX_DEPTH, openapiV3Document, openapiV3Hash, openapiV3Root, pruneUnknown } from './schema.js';

function pod(): Record<string, any> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web' },
      creationTimestamp: '2024-05-01T10:00:00Z',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true }],
      managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:containers': {} } } }],
    },
    spec: {
      containers: [
        {
          name: 'nginx',
          image: 'nginx:1.27',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          env: [{ name: 'A', value: '1' }],
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: 0.25, memory: 134217728 } },
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
          livenessProbe: { tcpSocket: { port: 80 } },
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
      nodeSelector: { disk: 'ssd' },
      terminationGracePeriodSeconds: 30,
    },
    status: { phase: 'Running', startTime: '2024-05-01T10:00:01.123456Z', conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null }] },
  };
}

function deployment(): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
}

describe('checkSchema', () => {
  it('accepts a valid pod and a valid deployment', () => {
    expect(checkSchema('', 'v1', 'Pod', pod(), true)).toEqual({ unknownFields: [], causes: [] });
    expect(checkSchema('apps', 'v1', 'Deployment', deployment(), true)).toEqual({ unknownFields: [], causes: [] });
  });

  it('knows every root kind', () => {
    for (const [g, v, k] of [
      ['', 'v1', 'Namespace'], ['', 'v1', 'Service'], ['', 'v1', 'Endpoints'], ['', 'v1', 'Node'], ['', 'v1', 'Event'],
      ['', 'v1', 'ConfigMap'], ['', 'v1', 'Secret'], ['', 'v1', 'ServiceAccount'], ['', 'v1', 'PersistentVolume'],
      ['', 'v1', 'PersistentVolumeClaim'], ['', 'v1', 'ResourceQuota'], ['', 'v1', 'LimitRange'], ['', 'v1', 'Binding'],
      ['apps', 'v1', 'ReplicaSet'], ['apps', 'v1', 'StatefulSet'], ['apps', 'v1', 'DaemonSet'], ['batch', 'v1', 'Job'],
      ['autoscaling', 'v2', 'HorizontalPodAutoscaler'], ['coordination.k8s.io', 'v1', 'Lease'], ['autoscaling', 'v1', 'Scale'],
      ['policy', 'v1', 'Eviction'],
    ]) {
      expect(hasSchema(g, v, k), `${g}/${v}/${k}`).toBe(true);
    }
    expect(hasSchema('example.com', 'v1', 'Widget')).toBe(false);
    expect(checkSchema('example.com', 'v1', 'Widget', { spec: { anything: 1 } }, true)).toEqual({ unknownFields: [], causes: [] });
  });

  it('reports unknown fields with list indexes and map keys, only when strict', () => {
    const d = deployment();
    d.spec.foo = 1;
    d.spec.template.spec.containers[0].imagee = 'nginx';
    d.metadata.labelz = {};
    d.bogus = true;
    const strict = checkSchema('apps', 'v1', 'Deployment', d, true);
    expect(strict.causes).toEqual([]);
    expect(strict.unknownFields.sort()).toEqual(['bogus', 'metadata.labelz', 'spec.foo', 'spec.template.spec.containers[0].imagee']);
    expect(checkSchema('apps', 'v1', 'Deployment', d, false).unknownFields).toEqual([]);

    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50, extra: 1 } } }] },
    };
    expect(checkSchema('autoscaling', 'v2', 'HorizontalPodAutoscaler', hpa, true).unknownFields).toEqual(['spec.metrics[0].resource.target.extra']);
  });

  it('treats inherited object properties as unknown fields', () => {
    const p = JSON.parse('{"metadata":{"name":"a","__proto__":{"x":1},"constructor":1,"toString":"s"}}');
    expect(checkSchema('', 'v1', 'Pod', p, true).unknownFields.sort()).toEqual(['metadata.__proto__', 'metadata.constructor', 'metadata.toString']);
  });

  it('reports wrong types as causes naming the field', () => {
    const d = deployment();
    d.spec.replicas = 'three';
    d.spec.template.spec.containers[0].ports = [{ containerPort: 1.5 }];
    d.spec.template.spec.containers[1] = 'nginx';
    d.metadata.labels = ['a'];
    d.spec.paused = 'yes';
    const { causes } = checkSchema('apps', 'v1', 'Deployment', d, true);
    expect(causes).toContainEqual({
      reason: 'FieldValueTypeInvalid',
      field: 'spec.replicas',
      message: 'Invalid value: "three": spec.replicas in body must be of type integer: "string"',
    });
    expect(causes.map((c) => c.field).sort()).toEqual([
      'metadata.labels',
      'spec.paused',
      'spec.replicas',
      'spec.template.spec.containers[0].ports[0].containerPort',
      'spec.template.spec.containers[1]',
    ]);
    expect(causes.every((c) => c.reason === 'FieldValueTypeInvalid')).toBe(true);
    expect(causes.find((c) => c.field === 'metadata.labels')?.message).toBe(
      'Invalid value: "array": metadata.labels in body must be of type object: "array"',
    );
  });

  it('checks apiVersion, kind and metadata too', () => {
    const p = pod();
    p.apiVersion = 1;
    p.kind = ['Pod'];
    p.metadata.name = 7;
    p.metadata.creationTimestamp = 'yesterday';
    const fields = checkSchema('', 'v1', 'Pod', p, true).causes.map((c) => c.field).sort();
    expect(fields).toEqual(['apiVersion', 'kind', 'metadata.creationTimestamp', 'metadata.name']);
  });

  it('accepts null for any field, as Go decoding does', () => {
    const d = deployment();
    d.spec.replicas = null;
    d.spec.template.spec.containers = null;
    d.metadata.labels = { app: null };
    expect(checkSchema('apps', 'v1', 'Deployment', d, true)).toEqual({ unknownFields: [], causes: [] });
  });

  it('accepts both numbers and strings for IntOrString and Quantity', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 81, targetPort: 'http' }] } };
    expect(checkSchema('', 'v1', 'Service', svc, true).causes).toEqual([]);
    const d = deployment();
    d.spec.strategy.rollingUpdate = { maxSurge: 1, maxUnavailable: '50%' };
    expect(checkSchema('apps', 'v1', 'Deployment', d, true).causes).toEqual([]);

    const bad = { spec: { ports: [{ port: 80, targetPort: 1.5 }, { port: 81, targetPort: true }] } };
    expect(checkSchema('', 'v1', 'Service', bad, true).causes.map((c) => c.field)).toEqual(['spec.ports[0].targetPort', 'spec.ports[1].targetPort']);

    const quota = { spec: { hard: { pods: 10, 'requests.cpu': '2', 'limits.memory': '1Gi', cpu: 0.5 } } };
    expect(checkSchema('', 'v1', 'ResourceQuota', quota, true).causes).toEqual([]);
    const badQuota = { spec: { hard: { pods: 'ten', cpu: false } } };
    const causes = checkSchema('', 'v1', 'ResourceQuota', badQuota, true).causes;
    expect(causes.map((c) => c.field)).toEqual(['spec.hard[pods]', 'spec.hard[cpu]']);
    expect(causes[0].message).toContain('quantities must match the regular expression');
  });

  it('checks base64 secret data without echoing it', () => {
    const ok = { apiVersion: 'v1', kind: 'Secret', data: { password: Buffer.from('s3cr3t').toString('base64') }, stringData: { plain: 'x' } };
    expect(checkSchema('', 'v1', 'Secret', ok, true).causes).toEqual([]);
    const causes = checkSchema('', 'v1', 'Secret', { data: { password: 'not base64!' } }, true).causes;
    expect(causes).toHaveLength(1);
    expect(causes[0].field).toBe('data[password]');
    expect(causes[0].message).not.toContain('not base64!');
  });

  it('never throws on garbage input', () => {
    const cyclic: Record<string, unknown> = { metadata: {} };
    (cyclic.metadata as Record<string, unknown>).managedFields = [{ fieldsV1: cyclic }];
    cyclic.spec = cyclic;
    const throwing = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
    const inputs: unknown[] = [null, undefined, 0, 'pod', true, [], [1, 2], {}, { spec: [] }, { spec: { containers: {} } }, { metadata: null },
      { spec: { containers: [null, 1, 'x', [], { ports: 'all' }] } }, cyclic, throwing, Object.create(null), new Date(), { spec: { volumes: [{ emptyDir: { sizeLimit: {} } }] } }];
    for (const input of inputs) {
      for (const kind of ['Pod', 'Secret', 'Node']) {
        expect(() => checkSchema('', 'v1', kind, input, true)).not.toThrow();
        expect(() => checkSchema('', 'v1', kind, input, false)).not.toThrow();
        expect(() => pruneUnknown('', 'v1', kind, input)).not.toThrow();
      }
    }
    expect(checkSchema('', 'v1', 'Pod', null, true).causes[0]).toMatchObject({ reason: 'FieldValueTypeInvalid', field: '<root>' });
    expect(checkSchema('', 'v1', 'Pod', [], true).causes[0]).toMatchObject({ reason: 'FieldValueTypeInvalid', field: '<root>' });
    expect(checkSchema('', 'v1', 'Pod', throwing, true).causes).toHaveLength(1);
  });

  it('caps nesting depth and reports it as a cause', () => {
    let deep: Record<string, unknown> = {};
    const fieldsV1 = deep;
    for (let i = 0; i < 10_000; i++) {
      const next = {};
      deep[`f:${i}`] = next;
      deep = next;
    }
    const p = pod();
    p.metadata.managedFields[0].fieldsV1 = fieldsV1;
    const { causes } = checkSchema('', 'v1', 'Pod', p, true);
    expect(causes).toHaveLength(1);
    expect(causes[0].message).toContain(`maximum depth of ${MAX_DEPTH}`);
    expect(causes[0].field.startsWith('metadata.managedFields[0].fieldsV1.f:0.f:1')).toBe(true);

    const cyclic: Record<string, unknown> = {};
    cyclic.spec = { template: { spec: { containers: [] } } };
    let cur = cyclic;
    for (let i = 0; i < 40; i++) {
      const inner = { spec: { template: cur } };
      cur = inner;
    }
    expect(() => checkSchema('apps', 'v1', 'Deployment', cur, true)).not.toThrow();
  });
});

describe('pruneUnknown', () => {
  it('removes unknown fields in place and returns their paths', () => {
    const d = deployment();
    d.spec.foo = 1;
    d.spec.template.spec.containers[0].imagee = 'x';
    const removed = pruneUnknown('apps', 'v1', 'Deployment', d);
    expect(removed.sort()).toEqual(['spec.foo', 'spec.template.spec.containers[0].imagee']);
    expect(d).toEqual(deployment());
    expect(pruneUnknown('apps', 'v1', 'Deployment', d)).toEqual([]);
  });

  it('skips frozen objects without throwing', () => {
    const p = Object.freeze({ metadata: Object.freeze({ name: 'a', extra: 1 }) });
    expect(pruneUnknown('', 'v1', 'Pod', p)).toEqual([]);
    expect(p.metadata.extra).toBe(1);
  });
});

describe('openapi v3', () => {
  const core = [
    { kind: 'Pod', plural: 'pods', namespaced: true },
    { kind: 'Node', plural: 'nodes', namespaced: false },
    { kind: 'Namespace', plural: 'namespaces', namespaced: false },
  ];
  const apps = [
    { kind: 'Deployment', plural: 'deployments', namespaced: true },
    { kind: 'ReplicaSet', plural: 'replicasets', namespaced: true },
  ];

  it('lists every group version with a stable hash', () => {
    const root = openapiV3Root(['v1', 'apps/v1', 'coordination.k8s.io/v1']) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(root.paths)).toEqual(['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1']);
    expect(root.paths['apis/apps/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    expect(openapiV3Root(['v1', 'apps/v1', 'coordination.k8s.io/v1'])).toEqual(root);
    const withKinds = openapiV3Root(['apps/v1'], { 'apps/v1': apps }) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(withKinds.paths['apis/apps/v1'].serverRelativeURL).toBe(`/openapi/v3/apis/apps/v1?hash=${openapiV3Hash('apps/v1', apps)}`);
    expect(openapiV3Hash('apps/v1', apps)).not.toBe(openapiV3Hash('apps/v1', apps.slice(0, 1)));
  });

  it('gives every kind a path with the GVK extension and the fieldValidation parameter', () => {
    for (const [group, version, kinds] of [['', 'v1', core], ['apps', 'v1', apps]] as const) {
      const doc = openapiV3Document(group, version, [...kinds]) as any;
      expect(doc.openapi).toBe('3.0.0');
      for (const k of kinds) {
        const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
        const item = k.namespaced ? `${prefix}/namespaces/{namespace}/${k.plural}/{name}` : `${prefix}/${k.plural}/{name}`;
        const path = doc.paths[item];
        expect(path, item).toBeDefined();
        for (const verb of ['get', 'put', 'patch']) {
          expect(path[verb]['x-kubernetes-group-version-kind']).toEqual({ group, version, kind: k.kind });
        }
        for (const verb of ['put', 'patch']) {
          expect(path[verb].parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
        }
        const list = doc.paths[item.replace('/{name}', '')];
        expect(list.post.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
        const roots = Object.values(doc.components.schemas).filter((s: any) =>
          (s['x-kubernetes-group-version-kind'] ?? []).some((g: any) => g.group === group && g.version === version && g.kind === k.kind),
        );
        expect(roots).toHaveLength(1);
      }
    }
  });

  it('carries real property schemas for explain', () => {
    const doc = openapiV3Document('', 'v1', core) as any;
    const schemas = doc.components.schemas;
    const podSchema = schemas['io.k8s.api.core.v1.Pod'];
    expect(podSchema['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    // client-node keeps no description for fields that are references: a bare $ref then
    expect(podSchema.properties.spec).toEqual({ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' });
    expect(podSchema.properties.metadata.$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.creationTimestamp).toMatchObject({
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time' }],
    });
    const spec = schemas['io.k8s.api.core.v1.PodSpec'];
    expect(spec.required).toEqual(['containers']);
    expect(spec.properties.containers.type).toBe('array');
    expect(spec.properties.containers.items).toEqual({ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' });
    expect(typeof spec.properties.containers.description).toBe('string');
    const container = schemas['io.k8s.api.core.v1.Container'];
    expect(container.properties.image.type).toBe('string');
    expect(schemas['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties).toEqual({
      $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity',
    });
    expect(schemas['io.k8s.apimachinery.pkg.api.resource.Quantity']).toBeDefined();
    // every $ref resolves inside the document
    const text = JSON.stringify(doc);
    for (const [, id] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) expect(schemas[id], id).toBeDefined();
    // apps types stay out of the core document
    expect(Object.keys(schemas).some((id) => id.startsWith('io.k8s.api.apps.'))).toBe(false);
  });

  it('still lists kinds it has no schema for', () => {
    const doc = openapiV3Document('example.com', 'v1', [{ kind: 'Widget', plural: 'widgets', namespaced: true }]) as any;
    const path = doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'];
    expect(path.patch['x-kubernetes-group-version-kind']).toEqual({ group: 'example.com', version: 'v1', kind: 'Widget' });
    expect(doc.components.schemas['io.k8s.api.example.v1.Widget']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'example.com', kind: 'Widget', version: 'v1' },
    ]);
  });
});
