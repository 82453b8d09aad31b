import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors.js';
import { decodeK8sProtobuf, decodeValue, MAX_DEPTH } from './decode.js';
import { encodeK8sProtobuf, encodeMessage, envelope, wire } from './encode.test-helper.js';
import { MESSAGES, ROOTS, SCALAR_KINDS, WELL_KNOWN } from './schema.js';

type Obj = Record<string, unknown>;

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const KUBECTL = '/usr/bin/kubectl';
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The ApiError thrown by fn, or a failed expectation. */
function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

function roundTrip(obj: Obj): Obj {
  const decoded = decodeK8sProtobuf(encodeK8sProtobuf(obj));
  expect(decoded.apiVersion).toBe(obj.apiVersion);
  expect(decoded.kind).toBe(obj.kind);
  return decoded.object;
}

const at = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);

// ---------------------------------------------------------------------------------------------

describe('schema tables', () => {
  it('name only messages and scalars that exist', () => {
    for (const [name, table] of Object.entries(MESSAGES)) {
      for (const [num, f] of Object.entries(table)) {
        const kind = f.map ? f.map.value : f.kind;
        expect(SCALAR_KINDS.has(kind) || kind in MESSAGES, `${name}.${num} (${f.name}): ${kind}`).toBe(true);
        expect(Number(num) > 0 && Number.isInteger(Number(num))).toBe(true);
      }
    }
    for (const root of Object.values(ROOTS)) expect(MESSAGES[root], root).toBeDefined();
    for (const w of WELL_KNOWN) expect(MESSAGES[w], w).toBeDefined();
  });

  it('marks pointers and fields without omitempty as keeping their zero value, and only scalars', () => {
    expect(MESSAGES.DeploymentSpec[1]).toMatchObject({ name: 'replicas', pointer: true, keepZero: true });
    expect(MESSAGES.ContainerPort[3]).toMatchObject({ name: 'containerPort', noOmitEmpty: true, keepZero: true });
    expect(MESSAGES.ContainerPort[2].keepZero).toBeUndefined();
    expect(MESSAGES.ScaleSpec[1].keepZero).toBeUndefined();
    expect(MESSAGES.EphemeralContainerCommon[1]).toMatchObject({ name: 'name', noOmitEmpty: true });
    for (const [name, table] of Object.entries(MESSAGES)) {
      for (const f of Object.values(table)) {
        if (f.pointer || f.noOmitEmpty) {
          expect(SCALAR_KINDS.has(f.kind) && !f.repeated && !f.map, `${name}.${f.name}`).toBe(true);
          expect(f.keepZero, `${name}.${f.name}`).toBe(true);
        }
      }
    }
  });

  it('gives no two fields of a message the same JSON name', () => {
    for (const [name, table] of Object.entries(MESSAGES)) {
      const names = Object.values(table).map((f) => f.name);
      expect(new Set(names).size, name).toBe(names.length);
    }
  });
});

describe('round trips through the test encoder', () => {
  it('Namespace', () => {
    const ns = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns1', labels: { team: 'a', 'kubernetes.io/metadata.name': 'ns1' }, annotations: { note: 'x' }, creationTimestamp: null },
      spec: { finalizers: ['kubernetes'] },
    };
    expect(roundTrip(ns)).toEqual(ns);
  });

  it('ConfigMap with data and binaryData', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c1', namespace: 'default' },
      data: { 'app.conf': 'a=b\nc=d', empty: '', unicode: 'héllo ✓' },
      binaryData: { blob: Buffer.from([0, 1, 2, 254, 255]).toString('base64') },
      immutable: true,
    };
    expect(roundTrip(cm)).toEqual(cm);
  });

  it('Secret bytes become base64, including bytes that are not UTF-8', () => {
    const raw = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's1' },
      type: 'Opaque',
      data: { p: b64('q'), bin: raw.toString('base64'), empty: '' },
      stringData: { plain: 'text' },
    };
    const out = roundTrip(secret);
    expect(out).toEqual(secret);
    expect(Buffer.from(at(out, 'data', 'bin') as string, 'base64')).toEqual(raw);
  });

  it('Deployment with a full pod template', () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'prod',
        labels: { app: 'web' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Foo', name: 'owner', uid: 'u-1', controller: true, blockOwnerDeletion: false }],
        generation: 3,
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
        revisionHistoryLimit: 0,
        progressDeadlineSeconds: 600,
        template: {
          metadata: { labels: { app: 'web' }, annotations: { 'prometheus.io/scrape': 'true' } },
          spec: {
            terminationGracePeriodSeconds: 30,
            automountServiceAccountToken: false,
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            securityContext: { runAsUser: 1000, runAsNonRoot: true, fsGroup: 2000, supplementalGroups: [5, 6] },
            tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
                },
              },
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } },
                ],
              },
            },
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
            volumes: [
              { name: 'config', configMap: { name: 'web-config', items: [{ key: 'a', path: 'a.conf', mode: 0o644 }], defaultMode: 420, optional: false } },
              { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
              { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }, { secret: { name: 's', optional: true } }] } },
              { name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
              { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
            ],
            initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
            containers: [
              {
                name: 'web',
                image: 'nginx:1.25',
                args: ['-g', 'daemon off;'],
                ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
                env: [
                  { name: 'MODE', value: 'prod' },
                  { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
                  { name: 'PASS', valueFrom: { secretKeyRef: { name: 'db', key: 'password', optional: true } } },
                  { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
                ],
                envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'web-config' } }],
                resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi', 'nvidia.com/gpu': '1' } },
                volumeMounts: [{ name: 'config', mountPath: '/etc/web', readOnly: true }],
                livenessProbe: {
                  httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: '1' }] },
                  initialDelaySeconds: 5,
                  periodSeconds: 10,
                  failureThreshold: 3,
                },
                readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 1 },
                startupProbe: { exec: { command: ['cat', '/tmp/ready'] } },
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsUser: 0, privileged: false },
                imagePullPolicy: 'IfNotPresent',
              },
            ],
          },
        },
      },
    };
    const out = roundTrip(deploy);
    expect(out).toEqual(deploy);
    const c = at(out, 'spec', 'template', 'spec', 'containers', 0);
    expect(at(c, 'livenessProbe', 'httpGet', 'port')).toBe('http');
    expect(at(c, 'readinessProbe', 'tcpSocket', 'port')).toBe(80);
    expect(at(c, 'resources', 'requests', 'cpu')).toBe('250m');
    expect(at(out, 'spec', 'strategy', 'rollingUpdate', 'maxSurge')).toBe('25%');
    expect(at(out, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable')).toBe(1);
    // Inlined Go structs: LocalObjectReference and VolumeSource flatten into their parent.
    expect(at(out, 'spec', 'template', 'spec', 'volumes', 0, 'configMap', 'name')).toBe('web-config');
    expect(at(out, 'spec', 'template', 'spec', 'volumes', 1, 'emptyDir', 'sizeLimit')).toBe('64Mi');
  });

  it('Service', () => {
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: {
        type: 'NodePort',
        selector: { app: 'web' },
        clusterIP: '10.0.0.10',
        clusterIPs: ['10.0.0.10'],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 },
          { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 9090 },
        ],
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        externalTrafficPolicy: 'Local',
        allocateLoadBalancerNodePorts: false,
      },
    };
    expect(roundTrip(svc)).toEqual(svc);
    // Non-pointer omitempty fields holding zero values are dropped, as Go's JSON encoder drops them.
    const zeros = { publishNotReadyAddresses: false, healthCheckNodePort: 0, externalName: '', loadBalancerIP: '' };
    expect(roundTrip({ ...svc, spec: { ...svc.spec, ...zeros } })).toEqual(svc);
  });

  it('kinds with times, micro times, managed fields and negative numbers', () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'node-1',
        creationTimestamp: '2024-05-06T07:08:09Z',
        managedFields: [
          { manager: 'kubelet', operation: 'Update', apiVersion: 'coordination.k8s.io/v1', time: '2024-05-06T07:08:09Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:holderIdentity': {} } } },
        ],
      },
      spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2024-05-06T07:08:09.123456Z', acquireTime: '1999-12-31T23:59:59.000001Z' },
    };
    expect(roundTrip(lease)).toEqual(lease);

    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'default', uid: 'u' },
      reason: 'Started',
      count: -3,
      firstTimestamp: '1969-07-20T20:17:40Z',
      lastTimestamp: null,
      eventTime: '2024-01-01T00:00:00.500000Z',
      series: { count: 2, lastObservedTime: '2024-01-01T00:00:01.000000Z' },
      reportingComponent: 'kubelet',
    };
    expect(roundTrip(event)).toEqual(event);
  });

  it('Job, CronJob, HPA, TokenRequest, SelfSubjectAccessReview, Eviction', () => {
    const cases: Obj[] = [
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'cj' },
        spec: {
          schedule: '*/5 * * * *',
          concurrencyPolicy: 'Forbid',
          jobTemplate: {
            metadata: { name: 'cj' },
            spec: {
              backoffLimit: 0,
              podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 42] } }] },
              template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } },
            },
          },
        },
      },
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 1,
          maxReplicas: 5,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
            { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1k' } } },
          ],
          behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } },
        },
      },
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { name: 'default' },
        spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'u' } },
      },
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: {},
        spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
        status: { allowed: true, reason: 'rbac' },
      },
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        metadata: {},
        spec: { user: 'alice', groups: ['dev'], extra: { scopes: ['a', 'b'] }, nonResourceAttributes: { path: '/healthz', verb: 'get' } },
      },
      {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'p', namespace: 'default' },
        deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'u' }, propagationPolicy: 'Background', dryRun: ['All'] },
      },
      { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 5, propagationPolicy: 'Foreground' },
      { apiVersion: 'apps/v1', kind: 'DeleteOptions', orphanDependents: false },
      { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 4 }, status: { replicas: 0, selector: 'app=web' } },
      { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } },
    ];
    for (const obj of cases) expect(roundTrip(obj), `${obj.apiVersion}/${obj.kind}`).toEqual(obj);
  });
});

describe('decoding details', () => {
  it('turns a zero Time into null, keeps seconds for Time and microseconds for MicroTime', () => {
    expect(decodeValue('Time', Buffer.alloc(0))).toBeNull();
    expect(decodeValue('Time', encodeMessage('Time', { seconds: 0 }))).toBeNull();
    expect(decodeValue('Time', encodeMessage('Time', { seconds: 1700000000, nanos: 999_999_999 }))).toBe('2023-11-14T22:13:20Z');
    expect(decodeValue('MicroTime', encodeMessage('MicroTime', { seconds: 1700000000, nanos: 123_456_789 }))).toBe('2023-11-14T22:13:20.123456Z');
    expect(decodeValue('Time', encodeMessage('Time', { seconds: -62135596800 }))).toBe('0001-01-01T00:00:00Z');
    expect(thrown(() => decodeValue('Time', encodeMessage('Time', { seconds: 253402300800 }))).code).toBe(400);
  });

  it('decodes IntOrString, Quantity, Duration, FieldsV1 and RawExtension', () => {
    expect(decodeValue('IntOrString', encodeMessage('IntOrString', { type: 0, intVal: -7 }))).toBe(-7);
    expect(decodeValue('IntOrString', encodeMessage('IntOrString', { type: 1, strVal: '50%' }))).toBe('50%');
    expect(decodeValue('IntOrString', Buffer.alloc(0))).toBe(0);
    expect(decodeValue('Quantity', encodeMessage('Quantity', { string: '1.5Gi' }))).toBe('1.5Gi');
    expect(decodeValue('Quantity', Buffer.alloc(0))).toBe('0');
    expect(decodeValue('Duration', encodeMessage('Duration', { duration: 5_400_000_000_000 }))).toBe('1h30m0s');
    expect(decodeValue('Duration', encodeMessage('Duration', { duration: 1_500_000 }))).toBe('1.5ms');
    expect(decodeValue('Duration', encodeMessage('Duration', { duration: 0 }))).toBe('0s');
    expect(decodeValue('FieldsV1', encodeMessage('FieldsV1', { Raw: b64('{"f:a":{}}') }))).toEqual({ 'f:a': {} });
    expect(decodeValue('RawExtension', encodeMessage('RawExtension', { raw: b64('{"x":[1,2]}') }))).toEqual({ x: [1, 2] });
    // A RawExtension may hold a whole protobuf object, envelope included.
    const nested = encodeK8sProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'in' } });
    expect(decodeValue('RawExtension', encodeMessage('RawExtension', { raw: nested.toString('base64') }))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'in' },
    });
  });

  it('accepts packed repeated numbers and skips unknown fields of every wire type', () => {
    const packed = Buffer.concat([wire.varint(1), wire.varint(300), wire.varint(-1)]);
    const sc = Buffer.concat([
      wire.lengthDelimited(4, packed), // supplementalGroups, packed
      Buffer.concat([wire.tag(99, 0), wire.varint(12345)]),
      Buffer.concat([wire.tag(98, 1), Buffer.alloc(8)]),
      Buffer.concat([wire.tag(97, 5), Buffer.alloc(4)]),
      wire.lengthDelimited(96, Buffer.from('ignored')),
      wire.scalar(12, 'string', 'Merge'),
    ]);
    expect(decodeValue('PodSecurityContext', sc)).toEqual({ supplementalGroups: [1, 300, -1], supplementalGroupsPolicy: 'Merge' });
  });

  it('keeps a map key named __proto__ as an ordinary entry', () => {
    const entry = Buffer.concat([wire.scalar(1, 'string', '__proto__'), wire.scalar(2, 'string', 'x')]);
    const labels = decodeValue('ObjectMeta', wire.lengthDelimited(11, entry)) as { labels: Obj };
    expect(Object.keys(labels.labels)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(labels.labels)).toBe(Object.prototype);
    expect(JSON.stringify(labels)).toBe('{"labels":{"__proto__":"x"}}');
  });

  it('decodes negative int32 written as ten-byte varints', () => {
    expect(decodeValue('ContainerPort', Buffer.concat([wire.tag(3, 0), wire.varint(-5)]))).toEqual({ containerPort: -5 });
  });
});

describe('zero values, as kube-apiserver stores them', () => {
  it('drops zero non-pointer omitempty scalars and keeps zero pointers', () => {
    const raw = Buffer.concat([
      wire.lengthDelimited(1, encodeMessage('ObjectMeta', { name: 'd', namespace: '', generation: 0, deletionGracePeriodSeconds: 0 })),
      wire.lengthDelimited(2, encodeMessage('DeploymentSpec', {
        replicas: 0, paused: false, minReadySeconds: 0, revisionHistoryLimit: 0, progressDeadlineSeconds: 0,
      })),
    ]);
    const { object } = decodeK8sProtobuf(envelope('apps/v1', 'Deployment', raw));
    expect(object).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', deletionGracePeriodSeconds: 0 },
      spec: { replicas: 0, revisionHistoryLimit: 0, progressDeadlineSeconds: 0 },
    });
  });

  it('keeps zero scalars whose Go json tag has no omitempty', () => {
    expect(decodeValue('ContainerPort', encodeMessage('ContainerPort', { name: '', hostPort: 0, containerPort: 0, hostIP: '' })))
      .toEqual({ containerPort: 0 });
    expect(decodeValue('ServicePort', encodeMessage('ServicePort', { name: '', port: 0, nodePort: 0, targetPort: 0 })))
      .toEqual({ port: 0, targetPort: 0 });
    expect(decodeValue('ReplicaSetStatus', encodeMessage('ReplicaSetStatus', { replicas: 0, readyReplicas: 0, observedGeneration: 0 })))
      .toEqual({ replicas: 0 });
    expect(decodeValue('SubjectAccessReviewStatus', encodeMessage('SubjectAccessReviewStatus', { allowed: false, denied: false, reason: '' })))
      .toEqual({ allowed: false });
    expect(decodeValue('Condition', encodeMessage('Condition', { type: 'Ready', status: 'True', observedGeneration: 0, reason: '', message: '' })))
      .toEqual({ type: 'Ready', status: 'True', reason: '', message: '' });
    // autoscaling/v1 Scale.spec.replicas is a plain int32 with omitempty, unlike Deployment's *int32.
    expect(decodeValue('ScaleSpec', encodeMessage('ScaleSpec', { replicas: 0 }))).toEqual({});
    expect(decodeValue('ScaleStatus', encodeMessage('ScaleStatus', { replicas: 0, selector: '' }))).toEqual({ replicas: 0 });
  });

  it('keeps messages even when empty, a zero Time as null, and the zero of an IntOrString', () => {
    const spec = Buffer.concat([
      wire.lengthDelimited(3, Buffer.concat([wire.lengthDelimited(1, encodeMessage('ObjectMeta', { name: '' })), wire.lengthDelimited(2, Buffer.alloc(0))])),
      wire.lengthDelimited(4, wire.lengthDelimited(2, encodeMessage('RollingUpdateDeployment', { maxUnavailable: 0 }))),
    ]);
    expect(decodeValue('DeploymentSpec', spec)).toEqual({
      template: { metadata: {}, spec: {} },
      strategy: { rollingUpdate: { maxUnavailable: 0 } },
    });
    expect(decodeValue('ObjectMeta', wire.lengthDelimited(8, Buffer.alloc(0)))).toEqual({ creationTimestamp: null });
  });

  it('lets a later zero clear an earlier value and leaves out empty lists', () => {
    const meta = Buffer.concat([wire.scalar(3, 'string', 'a'), wire.scalar(3, 'string', '')]);
    expect(decodeValue('ObjectMeta', meta)).toEqual({});
    expect(decodeValue('PodSecurityContext', wire.lengthDelimited(4, Buffer.alloc(0)))).toEqual({});
  });

  it('gives back a Deployment that Go marshalled with every non-pointer zero written', () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'zero', namespace: 'default', labels: { app: 'zero' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'zero' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: { app: 'zero' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            automountServiceAccountToken: false,
            securityContext: { runAsUser: 0, runAsGroup: 0, fsGroup: 0, runAsNonRoot: false },
            volumes: [{ name: 'cfg', configMap: { name: 'cfg', optional: false } }],
            containers: [
              {
                name: 'app',
                image: 'busybox',
                ports: [{ containerPort: 8080 }],
                securityContext: { runAsUser: 0, privileged: false, allowPrivilegeEscalation: false },
                volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }],
              },
            ],
          },
        },
      },
    };
    const goBody = encodeK8sProtobuf(deploy, { goZeros: true });
    expect(goBody.length).toBeGreaterThan(encodeK8sProtobuf(deploy).length);
    const out = decodeK8sProtobuf(goBody).object;
    expect(out).toEqual(deploy);
    expect(at(out, 'spec', 'replicas')).toBe(0);
    expect(at(out, 'spec', 'template', 'spec', 'securityContext', 'runAsUser')).toBe(0);
    expect(at(out, 'spec', 'template', 'spec', 'containers', 0)).not.toHaveProperty('stdin');
  });
});

describe('malformed input', () => {
  const good = encodeK8sProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } });

  it('rejects a missing or wrong magic', () => {
    expect(thrown(() => decodeK8sProtobuf(Buffer.from('{"kind":"ConfigMap"}'))).message).toMatch(/magic/);
    expect(thrown(() => decodeK8sProtobuf(Buffer.from([0x6b, 0x38]))).code).toBe(400);
    expect(thrown(() => decodeK8sProtobuf(Buffer.alloc(0))).code).toBe(400);
  });

  it('rejects truncated varints and lengths', () => {
    expect(thrown(() => decodeK8sProtobuf(Buffer.concat([good.subarray(0, 4), Buffer.from([0x0a, 0xff])]))).message).toMatch(/truncated/);
    expect(thrown(() => decodeK8sProtobuf(good.subarray(0, good.length - 6))).message).toMatch(/truncated/);
    const tooLong = Buffer.concat([good.subarray(0, 4), Buffer.from([0x20, ...Array(11).fill(0xff)])]);
    expect(thrown(() => decodeK8sProtobuf(tooLong)).message).toMatch(/varint/);
  });

  it('rejects wrong wire types and unsupported ones', () => {
    const raw = Buffer.concat([wire.tag(1, 0), wire.varint(5)]); // ConfigMap.metadata as a varint
    expect(thrown(() => decodeK8sProtobuf(envelope('v1', 'ConfigMap', raw))).message).toMatch(/ConfigMap\.metadata: wire type 0, expected 2/);
    const group = Buffer.concat([wire.tag(50, 3)]);
    expect(thrown(() => decodeK8sProtobuf(envelope('v1', 'ConfigMap', group))).message).toMatch(/wire type 3/);
  });

  it('rejects unknown kinds, a missing type and content encodings', () => {
    expect(thrown(() => decodeK8sProtobuf(envelope('v1', 'Frobnicator', Buffer.alloc(0)))).message).toMatch(/Frobnicator/);
    expect(thrown(() => decodeK8sProtobuf(envelope('', '', Buffer.alloc(0)))).message).toMatch(/apiVersion and kind/);
    const gzip = Buffer.concat([good, wire.scalar(3, 'string', 'gzip')]);
    expect(thrown(() => decodeK8sProtobuf(gzip)).message).toMatch(/content encoding/);
  });

  it('rejects invalid JSON inside FieldsV1', () => {
    const meta = encodeMessage('ObjectMeta', {});
    const mf = wire.lengthDelimited(17, wire.lengthDelimited(7, wire.lengthDelimited(1, Buffer.from('{nope'))));
    const raw = wire.lengthDelimited(1, Buffer.concat([meta, mf]));
    expect(thrown(() => decodeK8sProtobuf(envelope('v1', 'ConfigMap', raw))).message).toMatch(/FieldsV1/);
  });

  it(`rejects nesting deeper than ${MAX_DEPTH} levels`, () => {
    // ControllerRevision.data is a RawExtension that may hold another protobuf object.
    let body = encodeK8sProtobuf({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'leaf' } });
    const wrap = (inner: Buffer) =>
      envelope('apps/v1', 'ControllerRevision', wire.lengthDelimited(2, wire.lengthDelimited(1, inner)));
    for (let i = 0; i < 10; i++) body = wrap(body);
    expect(decodeK8sProtobuf(body).object.data).toBeDefined();
    for (let i = 0; i < 40; i++) body = wrap(body);
    expect(thrown(() => decodeK8sProtobuf(body)).message).toMatch(/nested deeper/);
  });

  it('never throws anything but a 400 on random or mutated bodies, and always returns', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const samples = [good, ...fixtureBodies().map(([, b]) => b)];
    for (let i = 0; i < 3000; i++) {
      const base = samples[i % samples.length];
      const body = Buffer.from(i % 3 === 0 ? Buffer.concat([base.subarray(0, 4), Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)))]) : base);
      if (i % 3 !== 0) for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) body[4 + Math.floor(rand() * (body.length - 4))] = Math.floor(rand() * 256);
      try {
        decodeK8sProtobuf(body);
      } catch (err) {
        expect(err).toBeInstanceOf(ApiError);
        expect((err as ApiError).code).toBe(400);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Bodies the stock kubectl sends: recorded fixtures, and a live capture when kubectl is here.

const CAPTURES: { file: string; args: string[]; path: RegExp; output?: RegExp }[] = [
  { file: 'namespace.bin', args: ['create', 'namespace', 'ns1'], path: /\/api\/v1\/namespaces$/ },
  { file: 'configmap.bin', args: ['create', 'configmap', 'c1', '--from-literal=a=b'], path: /\/configmaps$/ },
  { file: 'secret.bin', args: ['create', 'secret', 'generic', 's1', '--from-literal=p=q'], path: /\/secrets$/ },
  {
    file: 'deployment.bin',
    args: ['create', 'deployment', 'd1', '--image=nginx:1.25', '--replicas=2', '--port=80'],
    path: /\/deployments$/,
  },
  { file: 'service.bin', args: ['create', 'service', 'clusterip', 'svc1', '--tcp=80:8080'], path: /\/services$/ },
  { file: 'resourcequota.bin', args: ['create', 'quota', 'q1', '--hard=cpu=2,memory=1Gi,pods=10'], path: /\/resourcequotas$/ },
  { file: 'job.bin', args: ['create', 'job', 'j1', '--image=busybox', '--', 'echo', 'hi'], path: /\/jobs$/ },
  { file: 'cronjob.bin', args: ['create', 'cronjob', 'cj1', '--image=busybox', '--schedule=*/5 * * * *'], path: /\/cronjobs$/ },
  { file: 'serviceaccount.bin', args: ['create', 'serviceaccount', 'sa1'], path: /\/serviceaccounts$/ },
  { file: 'tokenrequest.bin', args: ['create', 'token', 'sa1', '--duration=1h'], path: /\/serviceaccounts\/sa1\/token$/, output: /t0k3n/ },
  {
    file: 'selfsubjectaccessreview.bin',
    args: ['auth', 'can-i', 'list', 'pods', '-n', 'kube-system'],
    path: /\/selfsubjectaccessreviews$/,
    output: /yes/,
  },
  { file: 'poddisruptionbudget.bin', args: ['create', 'pdb', 'pdb1', '--selector=app=a', '--min-available=50%'], path: /\/poddisruptionbudgets$/ },
];

/** What each captured body must decode to. */
function checkCaptured(file: string, body: Buffer): void {
  const { apiVersion, kind, object } = decodeK8sProtobuf(body);
  switch (file) {
    case 'namespace.bin':
      expect([apiVersion, kind]).toEqual(['v1', 'Namespace']);
      expect(at(object, 'metadata', 'name')).toBe('ns1');
      expect(at(object, 'metadata', 'creationTimestamp')).toBeNull();
      // Go writes every non-pointer field; none of those zeros is left in the object.
      expect(object.metadata).toEqual({ name: 'ns1', creationTimestamp: null });
      expect(object.status).toEqual({});
      break;
    case 'configmap.bin':
      expect([apiVersion, kind]).toEqual(['v1', 'ConfigMap']);
      expect(at(object, 'metadata', 'name')).toBe('c1');
      expect(object.data).toEqual({ a: 'b' });
      break;
    case 'secret.bin':
      expect([apiVersion, kind]).toEqual(['v1', 'Secret']);
      expect(at(object, 'metadata', 'name')).toBe('s1');
      expect(object.data).toEqual({ p: b64('q') });
      expect(object).not.toHaveProperty('type');
      break;
    case 'deployment.bin': {
      expect([apiVersion, kind]).toEqual(['apps/v1', 'Deployment']);
      expect(at(object, 'metadata', 'name')).toBe('d1');
      expect(at(object, 'metadata', 'labels')).toEqual({ app: 'd1' });
      expect(at(object, 'spec', 'replicas')).toBe(2);
      expect(at(object, 'spec', 'selector', 'matchLabels')).toEqual({ app: 'd1' });
      expect(at(object, 'spec', 'template', 'metadata', 'labels')).toEqual({ app: 'd1' });
      const c = at(object, 'spec', 'template', 'spec', 'containers', 0);
      expect(at(c, 'name')).toBe('nginx');
      expect(at(c, 'image')).toBe('nginx:1.25');
      expect(at(c, 'ports', 0, 'containerPort')).toBe(80);
      expect(at(object, 'spec', 'template', 'spec', 'containers', 'length')).toBe(1);
      // What kube-apiserver stores before defaulting: no zero cruft from Go's marshaller.
      expect(object.metadata).toEqual({ name: 'd1', creationTimestamp: null, labels: { app: 'd1' } });
      for (const field of ['generateName', 'selfLink', 'namespace', 'uid', 'resourceVersion', 'generation']) {
        expect(object.metadata, field).not.toHaveProperty(field);
      }
      expect(c).toEqual({ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: {} });
      for (const field of ['workingDir', 'stdin', 'stdinOnce', 'tty', 'terminationMessagePath', 'imagePullPolicy']) {
        expect(c, field).not.toHaveProperty(field);
      }
      expect(at(c, 'ports', 0)).not.toHaveProperty('hostPort');
      const podSpec = at(object, 'spec', 'template', 'spec') as Obj;
      for (const field of ['nodeName', 'hostNetwork', 'restartPolicy', 'dnsPolicy', 'serviceAccountName', 'schedulerName']) {
        expect(podSpec, field).not.toHaveProperty(field);
      }
      expect(at(object, 'spec', 'template', 'metadata')).toEqual({ creationTimestamp: null, labels: { app: 'd1' } });
      expect(at(object, 'spec', 'strategy')).toEqual({});
      expect(object.spec).not.toHaveProperty('minReadySeconds');
      expect(object.spec).not.toHaveProperty('paused');
      expect(object.status).toEqual({});
      break;
    }
    case 'service.bin':
      expect([apiVersion, kind]).toEqual(['v1', 'Service']);
      expect(at(object, 'spec', 'type')).toBe('ClusterIP');
      expect(at(object, 'spec', 'selector')).toEqual({ app: 'svc1' });
      expect(at(object, 'spec', 'ports', 0, 'port')).toBe(80);
      expect(at(object, 'spec', 'ports', 0, 'targetPort')).toBe(8080);
      expect(at(object, 'spec', 'ports', 0)).toEqual({ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 });
      for (const field of ['healthCheckNodePort', 'externalName', 'loadBalancerIP', 'clusterIP', 'sessionAffinity', 'publishNotReadyAddresses']) {
        expect(object.spec, field).not.toHaveProperty(field);
      }
      expect(object.status).toEqual({ loadBalancer: {} });
      break;
    case 'resourcequota.bin':
      expect([apiVersion, kind]).toEqual(['v1', 'ResourceQuota']);
      expect(at(object, 'spec', 'hard')).toEqual({ cpu: '2', memory: '1Gi', pods: '10' });
      break;
    case 'cronjob.bin':
      expect([apiVersion, kind]).toEqual(['batch/v1', 'CronJob']);
      expect(at(object, 'spec', 'schedule')).toBe('*/5 * * * *');
      expect(at(object, 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe('busybox');
      break;
    case 'serviceaccount.bin':
      expect([apiVersion, kind]).toEqual(['v1', 'ServiceAccount']);
      expect(at(object, 'metadata', 'name')).toBe('sa1');
      break;
    case 'tokenrequest.bin':
      expect([apiVersion, kind]).toEqual(['authentication.k8s.io/v1', 'TokenRequest']);
      expect(at(object, 'spec', 'expirationSeconds')).toBe(3600);
      // TokenRequestStatus.token has no omitempty and expirationTimestamp is a non-pointer Time.
      expect(object.status).toEqual({ token: '', expirationTimestamp: null });
      break;
    case 'selfsubjectaccessreview.bin':
      expect([apiVersion, kind]).toEqual(['authorization.k8s.io/v1', 'SelfSubjectAccessReview']);
      expect(at(object, 'spec', 'resourceAttributes')).toEqual({ namespace: 'kube-system', verb: 'list', resource: 'pods' });
      // allowed has no omitempty; denied, reason and evaluationError do.
      expect(object.status).toEqual({ allowed: false });
      break;
    case 'poddisruptionbudget.bin':
      expect([apiVersion, kind]).toEqual(['policy/v1', 'PodDisruptionBudget']);
      expect(at(object, 'spec', 'minAvailable')).toBe('50%');
      expect(at(object, 'spec', 'selector', 'matchLabels')).toEqual({ app: 'a' });
      // The counters have no omitempty; observedGeneration has.
      expect(object.status).toEqual({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
      break;
    case 'job.bin':
      expect([apiVersion, kind]).toEqual(['batch/v1', 'Job']);
      expect(at(object, 'spec', 'template', 'spec', 'containers', 0, 'command')).toEqual(['echo', 'hi']);
      expect(at(object, 'spec', 'template', 'spec', 'restartPolicy')).toBe('Never');
      expect(object.status).toEqual({});
      break;
    default:
      throw new Error(`no expectations for ${file}`);
  }
}

function fixtureBodies(): [string, Buffer][] {
  return CAPTURES.filter((c) => existsSync(join(FIXTURES, c.file))).map((c) => [c.file, readFileSync(join(FIXTURES, c.file))]);
}

describe('bodies captured from kubectl v1.32 (fixtures)', () => {
  it('has the four fixtures the decoder is held to', () => {
    expect(fixtureBodies().map(([f]) => f)).toEqual(expect.arrayContaining(['namespace.bin', 'configmap.bin', 'secret.bin', 'deployment.bin']));
  });

  for (const c of CAPTURES) {
    it.skipIf(!existsSync(join(FIXTURES, c.file)))(`decodes ${c.file}`, () => checkCaptured(c.file, readFileSync(join(FIXTURES, c.file))));
  }
});

/** A fake apiserver that answers discovery and records the bodies of POSTs. */
async function captureServer(): Promise<{ url: string; posts: { path: string; contentType: string; body: Buffer }[]; close: () => Promise<void> }> {
  const posts: { path: string; contentType: string; body: Buffer }[] = [];
  const resource = (name: string, kind: string, namespaced: boolean) => ({
    name, singularName: kind.toLowerCase(), namespaced, kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  });
  const discovery: Record<string, unknown> = {
    '/version': { major: '1', minor: '32', gitVersion: 'v1.32.0' },
    '/api': { kind: 'APIVersions', versions: ['v1'] },
    '/apis': {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: ['apps', 'batch', 'policy'].map((g) => ({ name: g, versions: [{ groupVersion: `${g}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' } })),
    },
    '/api/v1': {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'v1',
      resources: [
        resource('namespaces', 'Namespace', false), resource('configmaps', 'ConfigMap', true), resource('secrets', 'Secret', true),
        resource('services', 'Service', true), resource('resourcequotas', 'ResourceQuota', true),
        resource('serviceaccounts', 'ServiceAccount', true), resource('pods', 'Pod', true),
      ],
    },
    '/apis/apps/v1': { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1', resources: [resource('deployments', 'Deployment', true)] },
    '/apis/batch/v1': {
      kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'batch/v1', resources: [resource('jobs', 'Job', true), resource('cronjobs', 'CronJob', true)],
    },
    '/apis/policy/v1': {
      kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'policy/v1', resources: [resource('poddisruptionbudgets', 'PodDisruptionBudget', true)],
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (code: number, obj: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.method === 'GET' && path in discovery) return send(200, discovery[path]);
      if (req.method === 'POST') {
        const body = Buffer.concat(chunks);
        posts.push({ path, contentType: String(req.headers['content-type'] ?? ''), body });
        try {
          // The echo kubectl prints from, with the status a real server would fill in.
          const { kind, object } = decodeK8sProtobuf(body);
          if (kind === 'TokenRequest') object.status = { token: 't0k3n', expirationTimestamp: '2030-01-01T00:00:00Z' };
          if (kind === 'SelfSubjectAccessReview') object.status = { allowed: true };
          return send(201, object);
        } catch (err) {
          return send(400, (err as ApiError).toStatus());
        }
      }
      send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, posts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function kubectl(dir: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), '--request-timeout=20s', ...args],
      { env: { ...process.env, HOME: dir }, timeout: 60_000, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe('kubectl live', () => {
  it.skipIf(!existsSync(KUBECTL))('sends protobuf bodies the decoder reads (UPDATE_FIXTURES=1 rewrites the fixtures)', async () => {
    const server = await captureServer();
    const dir = mkdtempSync(join(tmpdir(), 'skiff-pb-'));
    try {
      writeFileSync(
        join(dir, 'kubeconfig'),
        [
          'apiVersion: v1', 'kind: Config',
          'clusters:', '- name: c', '  cluster:', `    server: ${server.url}`,
          'users:', '- name: u', '  user: {}',
          'contexts:', '- name: x', '  context:', '    cluster: c', '    user: u', '    namespace: default',
          'current-context: x', '',
        ].join('\n'),
      );
      for (const c of CAPTURES) {
        const before = server.posts.length;
        const r = await kubectl(dir, c.args);
        expect(r.code, `kubectl ${c.args.join(' ')}: ${r.out}`).toBe(0);
        expect(r.out).toMatch(c.output ?? /created/);
        const post = server.posts.slice(before).find((p) => c.path.test(p.path));
        expect(post, `no POST for kubectl ${c.args.join(' ')}`).toBeDefined();
        expect(post!.contentType).toBe('application/vnd.kubernetes.protobuf');
        checkCaptured(c.file, post!.body);
        if (process.env.UPDATE_FIXTURES === '1') {
          mkdirSync(FIXTURES, { recursive: true });
          writeFileSync(join(FIXTURES, c.file), post!.body);
        }
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
