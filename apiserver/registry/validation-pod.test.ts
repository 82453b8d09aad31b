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

const meta = (name = 'web', extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', ...extra });
const container = (extra: Record<string, unknown> = {}) => ({ name: 'web', image: 'nginx:1.27', ...extra });
const pod = (spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = meta()) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata,
  spec: { containers: [container()], ...spec },
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
      ['an added toleration', { tolerations: [...(old.spec as any).tolerations, { key: 'x', operator: 'Exists' }] }, []],
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
