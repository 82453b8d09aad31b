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
const template = (labels: Record<string, string> | undefined = { app: 'web' }, spec: Record<string, unknown> = {}) => ({
  metadata: { labels, creationTimestamp: null },
  spec: { containers: [container()], ...spec },
});
const deployment = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: meta(),
  spec: { selector: { matchLabels: { app: 'web' } }, template: template(), ...spec },
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

describe('pods', () => {
  it('accepts a typical pod', () => {
    const p = pod({
      initContainers: [{ name: 'init', image: 'busybox:1', command: ['sh', '-c', 'true'] }],
      containers: [
        container({
          ports: [{ name: 'http', containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
          env: [{ name: 'A', value: '1' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: '1relaxed', value: 'x' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
          volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }],
          livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
          readinessProbe: { exec: { command: ['true'] }, successThreshold: 2 },
        }),
      ],
      volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
    });
    expect(check('pods', p)).toEqual([]);
  });

  it.each([
    ['no containers', { containers: [] }, [['spec.containers', 'FieldValueRequired']]],
    ['containers not a list', { containers: { name: 'x' } }, [['spec.containers', 'FieldValueTypeInvalid']]],
    ['a container name in capitals', { containers: [container({ name: 'Web' })] }, [['spec.containers[0].name', 'FieldValueInvalid']]],
    ['a missing container name', { containers: [container({ name: undefined })] }, [['spec.containers[0].name', 'FieldValueRequired']]],
    ['a missing image', { containers: [container({ image: '' })] }, [['spec.containers[0].image', 'FieldValueRequired']]],
    ['an image that is a number', { containers: [container({ image: 7 })] }, [['spec.containers[0].image', 'FieldValueTypeInvalid'], ['spec.containers[0].image', 'FieldValueRequired']]],
    [
      'a name shared by an init container',
      { initContainers: [{ name: 'web', image: 'busybox' }] },
      [['spec.initContainers[0].name', 'FieldValueDuplicate']],
    ],
    ['duplicate containers', { containers: [container(), container()] }, [['spec.containers[1].name', 'FieldValueDuplicate']]],
    ['port 0', { containers: [container({ ports: [{ containerPort: 0 }] })] }, [['spec.containers[0].ports[0].containerPort', 'FieldValueRequired']]],
    ['port 70000', { containers: [container({ ports: [{ containerPort: 70000 }] })] }, [['spec.containers[0].ports[0].containerPort', 'FieldValueInvalid']]],
    ['port as a string', { containers: [container({ ports: [{ containerPort: '80' }] })] }, [['spec.containers[0].ports[0].containerPort', 'FieldValueTypeInvalid']]],
    ['protocol HTTP', { containers: [container({ ports: [{ containerPort: 80, protocol: 'HTTP' }] })] }, [['spec.containers[0].ports[0].protocol', 'FieldValueNotSupported']]],
    [
      'duplicate port names',
      { containers: [container({ ports: [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }] })] },
      [['spec.containers[0].ports[1].name', 'FieldValueDuplicate']],
    ],
    [
      'a bad quantity (copied into requests by defaulting)',
      { containers: [container({ resources: { limits: { cpu: 'lots' } } })] },
      [
        ['spec.containers[0].resources.limits[cpu]', 'FieldValueInvalid'],
        ['spec.containers[0].resources.requests[cpu]', 'FieldValueInvalid'],
      ],
    ],
    ['a negative request', { containers: [container({ resources: { requests: { memory: '-1Gi' } } })] }, [['spec.containers[0].resources.requests[memory]', 'FieldValueInvalid']]],
    ['an unknown resource', { containers: [container({ resources: { requests: { gpu: '1' } } })] }, [['spec.containers[0].resources.requests[gpu]', 'FieldValueInvalid']]],
    [
      'requests above limits',
      { containers: [container({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } })] },
      [['spec.containers[0].resources.requests', 'FieldValueInvalid']],
    ],
    ['restartPolicy Sometimes', { restartPolicy: 'Sometimes' }, [['spec.restartPolicy', 'FieldValueNotSupported']]],
    ['dnsPolicy Bad', { dnsPolicy: 'Bad' }, [['spec.dnsPolicy', 'FieldValueNotSupported']]],
    ['imagePullPolicy Sometimes', { containers: [container({ imagePullPolicy: 'Sometimes' })] }, [['spec.containers[0].imagePullPolicy', 'FieldValueNotSupported']]],
    [
      'duplicate volumes',
      { volumes: [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }] },
      [['spec.volumes[1].name', 'FieldValueDuplicate']],
    ],
    ['a volume with two sources', { volumes: [{ name: 'v', emptyDir: {}, configMap: { name: 'c' } }] }, [['spec.volumes[0].configMap', 'FieldValueForbidden']]],
    ['a volume name in capitals', { volumes: [{ name: 'V', emptyDir: {} }] }, [['spec.volumes[0].name', 'FieldValueInvalid']]],
    ['a configMap volume without name', { volumes: [{ name: 'v', configMap: {} }] }, [['spec.volumes[0].configMap.name', 'FieldValueRequired']]],
    ['a secret volume without secretName', { volumes: [{ name: 'v', secret: {} }] }, [['spec.volumes[0].secret.secretName', 'FieldValueRequired']]],
    ['a bad defaultMode', { volumes: [{ name: 'v', secret: { secretName: 's', defaultMode: 1000 } }] }, [['spec.volumes[0].secret.defaultMode', 'FieldValueInvalid']]],
    ['a claim volume without claimName', { volumes: [{ name: 'v', persistentVolumeClaim: {} }] }, [['spec.volumes[0].persistentVolumeClaim.claimName', 'FieldValueRequired']]],
    ['a mount of an unknown volume', { containers: [container({ volumeMounts: [{ name: 'data', mountPath: '/data' }] })] }, [['spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound']]],
    [
      'a mount without path',
      { volumes: [{ name: 'v', emptyDir: {} }], containers: [container({ volumeMounts: [{ name: 'v' }] })] },
      [['spec.containers[0].volumeMounts[0].mountPath', 'FieldValueRequired']],
    ],
    [
      'a mount of an invalid volume',
      { volumes: [{ name: 'v', configMap: {} }], containers: [container({ volumeMounts: [{ name: 'v', mountPath: '/v' }] })] },
      [['spec.volumes[0].configMap.name', 'FieldValueRequired'], ['spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound']],
    ],
    ['an env name with =', { containers: [container({ env: [{ name: 'A=B', value: '1' }] })] }, [['spec.containers[0].env[0].name', 'FieldValueInvalid']]],
    ['an env without name', { containers: [container({ env: [{ value: '1' }] })] }, [['spec.containers[0].env[0].name', 'FieldValueRequired']]],
    ['an empty valueFrom', { containers: [container({ env: [{ name: 'A', valueFrom: {} }] })] }, [['spec.containers[0].env[0].valueFrom', 'FieldValueInvalid']]],
    [
      'a bad fieldRef path',
      { containers: [container({ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] })] },
      [['spec.containers[0].env[0].valueFrom.fieldRef.fieldPath', 'FieldValueNotSupported']],
    ],
    ['a probe without handler', { containers: [container({ livenessProbe: { periodSeconds: 5 } })] }, [['spec.containers[0].livenessProbe', 'FieldValueRequired']]],
    [
      'a probe with two handlers',
      { containers: [container({ readinessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } } })] },
      [['spec.containers[0].readinessProbe.tcpSocket', 'FieldValueForbidden']],
    ],
    [
      'a liveness successThreshold of 2',
      { containers: [container({ livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } })] },
      [['spec.containers[0].livenessProbe.successThreshold', 'FieldValueInvalid']],
    ],
    [
      'a probe on an init container',
      { initContainers: [{ name: 'init', image: 'busybox', readinessProbe: { exec: { command: ['true'] } } }] },
      [['spec.initContainers[0].readinessProbe', 'FieldValueForbidden']],
    ],
    ['a negative deadline', { activeDeadlineSeconds: 0 }, [['spec.activeDeadlineSeconds', 'FieldValueInvalid']]],
    [
      'a toleration without key and with Equal',
      { tolerations: [{ operator: 'Equal', value: 'x' }] },
      [['spec.tolerations[0].operator', 'FieldValueInvalid']],
    ],
    ['a toleration effect Sometimes', { tolerations: [{ key: 'k', operator: 'Exists', effect: 'Sometimes' }] }, [['spec.tolerations[0].effect', 'FieldValueNotSupported']]],
    ['a bad node selector', { nodeSelector: { 'bad key': 'x' } }, [['spec.nodeSelector', 'FieldValueInvalid']]],
    ['a bad nodeName', { nodeName: 'Node_1' }, [['spec.nodeName', 'FieldValueInvalid']]],
  ])('rejects %s', (_name, spec, want) => {
    expect(fields(check('pods', pod(spec)))).toEqual(want);
  });

  it('words the common pod errors as kubectl shows them', () => {
    const causes = check('pods', pod({ containers: [container({ resources: { requests: { cpu: '2000m' }, limits: { cpu: '1' } }, ports: [{ containerPort: 70000 }] })] }));
    expect(causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.containers[0].ports[0].containerPort', message: 'Invalid value: 70000: must be between 1 and 65535, inclusive' },
      { reason: 'FieldValueInvalid', field: 'spec.containers[0].resources.requests', message: 'Invalid value: "2": must be less than or equal to cpu limit of 1' },
    ]);
    expect(check('pods', pod({ restartPolicy: 'Sometimes' }))[0]!.message).toBe('Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
    expect(check('pods', pod({ containers: [container({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })] }))[0]!.message).toBe('Not found: "data"');
  });

  it.each([
    null,
    5,
    'spec',
    [],
    { containers: [null, 'x', 5] },
    { containers: [container({ ports: 'x', env: { a: 1 }, resources: [], volumeMounts: [1], livenessProbe: 'x' })] },
    { containers: [container({ resources: { limits: 'x', requests: { cpu: {} } } })], volumes: 'x', tolerations: [[]] },
    { containers: [container({ livenessProbe: { httpGet: 'x' }, env: [{ name: 'A', valueFrom: { fieldRef: 'x' } }] })] },
  ])('reports and never throws on a malformed spec %#', (spec) => {
    const causes = validateObject('pods', { metadata: meta(), spec });
    expect(causes.length).toBeGreaterThan(0);
    expect(causes.every((c) => c.reason && c.field && c.message)).toBe(true);
    expect(causes.some((c) => c.message?.startsWith('Internal error'))).toBe(false);
  });

  describe('updates', () => {
    const old = pod({
      containers: [container({ ports: [{ containerPort: 80 }] })],
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }],
      activeDeadlineSeconds: 600,
    });
    const withSpec = (spec: Record<string, unknown>) => ({ ...old, spec: { ...old.spec, ...spec } });

    it.each([
      ['a new image', { containers: [container({ image: 'nginx:1.28', ports: [{ containerPort: 80 }] })] }, []],
      ['a shorter deadline', { activeDeadlineSeconds: 300 }, []],
      ['an added toleration', { tolerations: [...old.spec.tolerations, { key: 'x', operator: 'Exists' }] }, []],
      ['a changed tolerationSeconds', { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }] }, []],
      ['a longer deadline', { activeDeadlineSeconds: 900 }, [['spec.activeDeadlineSeconds', 'FieldValueInvalid']]],
      ['a removed toleration', { tolerations: [] }, [['spec.tolerations', 'FieldValueForbidden']]],
      ['a new port', { containers: [container({ ports: [{ containerPort: 8080 }] })] }, [['spec', 'FieldValueForbidden']]],
      ['a new container', { containers: [container({ ports: [{ containerPort: 80 }] }), container({ name: 'b' })] }, [['spec.containers', 'FieldValueForbidden']]],
      ['a node name', { nodeName: 'node-1' }, [['spec', 'FieldValueForbidden']]],
    ])('%s', (_name, spec, want) => {
      expect(fields(check('pods', withSpec(spec), old))).toEqual(want);
    });

    it('words the forbidden update as upstream', () => {
      const [c] = check('pods', withSpec({ restartPolicy: 'Never' }), old);
      expect(c!.message).toMatch(
        /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/,
      );
      expect(c!.message).toContain('spec.restartPolicy: "Always" -> "Never"');
    });

    it('allows status-only writes and quantity spellings', () => {
      const p = pod({ containers: [container({ resources: { limits: { cpu: '1' } } })] });
      const same = pod({ containers: [container({ resources: { limits: { cpu: '1000m' } } })] });
      expect(check('pods', { ...same, status: { phase: 'Running' } }, p)).toEqual([]);
    });
  });
});

describe('workloads', () => {
  it('accepts a typical deployment', () => {
    expect(check('deployments', deployment())).toEqual([]);
  });

  it.each([
    ['negative replicas', { replicas: -1 }, [['spec.replicas', 'FieldValueInvalid']]],
    [
      'a missing selector',
      { selector: undefined },
      [
        ['spec.selector', 'FieldValueRequired'],
        ['spec.template.metadata.labels', 'FieldValueInvalid'],
      ],
    ],
    ['an empty selector', { selector: {} }, [['spec.selector', 'FieldValueInvalid']]],
    ['a mismatched selector', { selector: { matchLabels: { app: 'db' } } }, [['spec.template.metadata.labels', 'FieldValueInvalid']]],
    [
      'a bad selector operator',
      { selector: { matchExpressions: [{ key: 'app', operator: 'Is', values: ['web'] }] } },
      [
        ['spec.selector.matchExpressions[0].operator', 'FieldValueInvalid'],
        ['spec.selector', 'FieldValueInvalid'],
      ],
    ],
    ['a matching expression selector', { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } }, []],
    ['a bad template container', { template: template({ app: 'web' }, { containers: [container({ name: 'Web' })] }) }, [['spec.template.spec.containers[0].name', 'FieldValueInvalid']]],
    ['restartPolicy Never', { template: template({ app: 'web' }, { restartPolicy: 'Never' }) }, [['spec.template.spec.restartPolicy', 'FieldValueNotSupported']]],
    ['activeDeadlineSeconds', { template: template({ app: 'web' }, { activeDeadlineSeconds: 5 }) }, [['spec.template.spec.activeDeadlineSeconds', 'FieldValueForbidden']]],
    ['strategy Blue', { strategy: { type: 'Blue' } }, [['spec.strategy', 'FieldValueNotSupported']]],
    ['maxSurge 0 and maxUnavailable 0', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }, [['spec.strategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid']]],
    ['maxUnavailable 120%', { strategy: { rollingUpdate: { maxUnavailable: '120%' } } }, [['spec.strategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid']]],
    ['maxSurge "lots"', { strategy: { rollingUpdate: { maxSurge: 'lots' } } }, [['spec.strategy.rollingUpdate.maxSurge', 'FieldValueInvalid']]],
    ['rollingUpdate with Recreate', { strategy: { type: 'Recreate', rollingUpdate: {} } }, [['spec.strategy.rollingUpdate', 'FieldValueForbidden']]],
    ['a progress deadline below minReadySeconds', { minReadySeconds: 30, progressDeadlineSeconds: 10 }, [['spec.progressDeadlineSeconds', 'FieldValueInvalid']]],
    ['a template that is a string', { template: 'web' }, [['spec.template', 'FieldValueTypeInvalid']]],
  ])('deployment with %s', (_name, spec, want) => {
    expect(fields(check('deployments', deployment(spec)))).toEqual(want);
  });

  it('words selector errors as kubectl shows them', () => {
    expect(check('deployments', deployment({ selector: { matchLabels: { app: 'db' } } }))).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.metadata.labels',
        message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      },
    ]);
    expect(check('deployments', deployment({ selector: {} }))[0]!.message).toBe(
      'Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    );
  });

  it.each([
    ['replicasets', { selector: { matchLabels: { app: 'web' } }, template: template() }, []],
    ['replicasets', { selector: {}, template: template() }, [['spec.selector', 'FieldValueInvalid']]],
    ['daemonsets', { selector: { matchLabels: { app: 'web' } }, template: template() }, []],
    ['daemonsets', { template: template() }, [['spec.template.metadata.labels', 'FieldValueInvalid']]],
    [
      'daemonsets',
      { selector: { matchLabels: { app: 'web' } }, template: template(), updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } },
      [['spec.updateStrategy.rollingUpdate.maxUnavailable', 'FieldValueRequired']],
    ],
    ['statefulsets', { selector: { matchLabels: { app: 'web' } }, serviceName: 'web', template: template() }, []],
    [
      'statefulsets',
      {
        selector: { matchLabels: { app: 'web' } },
        template: template({ app: 'web' }, { containers: [container({ volumeMounts: [{ name: 'data', mountPath: '/data' }] })] }),
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
      [],
    ],
    ['statefulsets', { selector: { matchLabels: { app: 'web' } }, template: template(), podManagementPolicy: 'Random' }, [['spec.podManagementPolicy', 'FieldValueInvalid']]],
    ['statefulsets', { selector: {}, template: template() }, [['spec.selector', 'FieldValueInvalid']]],
  ])('%s %#', (resource, spec, want) => {
    expect(fields(check(resource, { metadata: meta(), spec }))).toEqual(want);
  });

  describe('jobs', () => {
    const job = (spec: Record<string, unknown> = {}, uid = 'uid-1') => ({
      metadata: meta('pi', { uid }),
      spec: { template: { metadata: {}, spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5' }] } }, ...spec },
    });

    it.each([
      ['a generated selector', job(), []],
      ['no uid yet', job({}, ''), []],
      ['restartPolicy Always', job({ template: { spec: { restartPolicy: 'Always', containers: [{ name: 'pi', image: 'perl' }] } } }), [['spec.template.spec.restartPolicy', 'FieldValueNotSupported']]],
      ['no restartPolicy', job({ template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } }), [['spec.template.spec.restartPolicy', 'FieldValueNotSupported']]],
      ['a user selector without manualSelector', job({ selector: { matchLabels: { app: 'pi' } } }), [['spec.template.metadata.labels', 'FieldValueInvalid'], ['spec.selector', 'FieldValueInvalid']]],
      [
        'a manual selector',
        job({ manualSelector: true, selector: { matchLabels: { app: 'pi' } }, template: { metadata: { labels: { app: 'pi' } }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'pi', image: 'perl' }] } } }),
        [],
      ],
      ['a manual job without selector', job({ manualSelector: true }), [['spec.selector', 'FieldValueRequired'], ['spec.template.metadata.labels', 'FieldValueInvalid']]],
      ['negative backoffLimit', job({ backoffLimit: -1 }), [['spec.backoffLimit', 'FieldValueInvalid']]],
      ['Indexed without completions', job({ completionMode: 'Indexed', parallelism: 2 }), [['spec.completions', 'FieldValueRequired']]],
    ])('%s', (_name, obj, want) => {
      expect(fields(check('jobs', obj))).toEqual(want);
    });

    it('words the restartPolicy error as kubectl shows it', () => {
      const causes = check('jobs', job({ template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } }));
      expect(causes[0]!.message).toBe('Unsupported value: "Always": supported values: "OnFailure", "Never"');
    });

    it('keeps selector and template on update', () => {
      const old = job();
      expect(fields(check('jobs', job({ parallelism: 2, completions: 1 }), old))).toEqual([]);
      expect(fields(check('jobs', job({ completions: 3 }), old))).toEqual([['spec.completions', 'FieldValueInvalid']]);
      const changed = job({ template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:6' }] } } });
      expect(fields(check('jobs', changed, old))).toEqual([['spec.template', 'FieldValueInvalid']]);
      const selectorChanged = check('jobs', job({}, 'uid-1'), job({}, 'uid-0'));
      expect(fields(selectorChanged)).toContainEqual(['spec.selector', 'FieldValueInvalid']);
    });
  });

  describe('updates', () => {
    it('keeps a deployment selector', () => {
      const old = deployment();
      expect(check('deployments', deployment({ replicas: 3 }), old)).toEqual([]);
      const changed = deployment({ selector: { matchLabels: { app: 'web', v: '2' } }, template: template({ app: 'web', v: '2' }) });
      expect(check('deployments', changed, old)).toEqual([
        {
          reason: 'FieldValueInvalid',
          field: 'spec.selector',
          message:
            'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
        },
      ]);
    });

    it.each(['replicasets', 'daemonsets'])('keeps a %s selector', (resource) => {
      const old = { metadata: meta(), spec: { selector: { matchLabels: { app: 'web' } }, template: template() } };
      const next = { metadata: meta(), spec: { selector: { matchLabels: { app: 'web', v: '2' } }, template: template({ app: 'web', v: '2' }) } };
      expect(fields(check(resource, next, old))).toEqual([['spec.selector', 'FieldValueInvalid']]);
    });

    it('allows only some stateful set spec changes', () => {
      const spec = { selector: { matchLabels: { app: 'web' } }, serviceName: 'web', template: template() };
      const old = { metadata: meta(), spec };
      expect(check('statefulsets', { metadata: meta(), spec: { ...spec, replicas: 5, template: template({ app: 'web' }, { containers: [container({ image: 'nginx:2' })] }) } }, old)).toEqual([]);
      expect(fields(check('statefulsets', { metadata: meta(), spec: { ...spec, serviceName: 'other' } }, old))).toEqual([['spec', 'FieldValueForbidden']]);
    });
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
