import { describe, expect, it } from 'vitest';
import { applyDefaults, computePodQOS, imageTag } from './defaults.js';

const meta = (name = 'x', extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', creationTimestamp: null, ...extra });

function defaulted(resource: string, obj: any): any {
  const copy = structuredClone(obj);
  applyDefaults(resource, copy);
  return copy;
}

/** The pod spec fields every defaulted pod or template gets. */
const POD_SPEC_DEFAULTS = {
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  dnsPolicy: 'ClusterFirst',
  schedulerName: 'default-scheduler',
  securityContext: {},
};

const CONTAINER_DEFAULTS = {
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
  resources: {},
};

describe('imageTag and imagePullPolicy', () => {
  it.each([
    ['nginx', 'latest', 'Always'],
    ['nginx:latest', 'latest', 'Always'],
    ['nginx:1.27', '1.27', 'IfNotPresent'],
    ['registry.k8s.io/pause:3.10', '3.10', 'IfNotPresent'],
    ['localhost:5000/app', 'latest', 'Always'],
    ['localhost:5000/app:v2', 'v2', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', '', 'IfNotPresent'],
    ['nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', '1.27', 'IfNotPresent'],
    ['NGINX', '', 'IfNotPresent'],
    ['', '', 'IfNotPresent'],
  ])('%j → tag %j, %s', (image, tag, policy) => {
    expect(imageTag(image)).toBe(tag);
    const pod = defaulted('pods', { metadata: meta(), spec: { containers: [{ name: 'c', image }] } });
    expect(pod.spec.containers[0].imagePullPolicy).toBe(policy);
  });

  it('keeps an explicit policy', () => {
    const pod = defaulted('pods', { metadata: meta(), spec: { containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Never' }] } });
    expect(pod.spec.containers[0].imagePullPolicy).toBe('Never');
  });
});

describe('pods', () => {
  it('fills the pod, its containers and its status as kube-apiserver does', () => {
    const pod = defaulted('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('web'),
      spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {} }] },
      status: {},
    });
    expect(pod.spec).toEqual({
      ...POD_SPEC_DEFAULTS,
      enableServiceLinks: true,
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
      containers: [{ name: 'web', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, protocol: 'TCP' }], ...CONTAINER_DEFAULTS }],
    });
    expect(pod.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect(pod.metadata.creationTimestamp).toBeNull();
  });

  it('defaults probes, lifecycle hooks, env field refs and volumes', () => {
    const pod = defaulted('pods', {
      metadata: meta(),
      spec: {
        initContainers: [{ name: 'init', image: 'busybox' }],
        containers: [
          {
            name: 'c',
            image: 'app:v1',
            livenessProbe: { httpGet: { port: 8080 } },
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 },
            lifecycle: { preStop: { httpGet: { port: 80 } } },
            env: [
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
            ],
          },
        ],
        volumes: [
          { name: 'cfg', configMap: { name: 'cfg' } },
          { name: 'sec', secret: { secretName: 's' } },
          { name: 'scratch' },
          { name: 'host', hostPath: { path: '/var/log' } },
          { name: 'dapi', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        ],
      },
    });
    const c = pod.spec.containers[0];
    expect(c.livenessProbe).toEqual({ httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.readinessProbe.periodSeconds).toBe(5);
    expect(c.lifecycle.preStop.httpGet).toEqual({ port: 80, path: '/', scheme: 'HTTP' });
    expect(c.env[0].valueFrom.fieldRef).toEqual({ apiVersion: 'v1', fieldPath: 'metadata.name' });
    expect(c.env[1].valueFrom.resourceFieldRef).toEqual({ resource: 'limits.cpu', divisor: '0' });
    expect(pod.spec.initContainers[0]).toMatchObject({ imagePullPolicy: 'Always', ...CONTAINER_DEFAULTS });
    expect(pod.spec.volumes).toEqual([
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 420 } },
      { name: 'scratch', emptyDir: {} },
      { name: 'host', hostPath: { path: '/var/log', type: '' } },
      { name: 'dapi', downwardAPI: { defaultMode: 420, items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } },
    ]);
  });

  it.each([
    ['no resources', [{}], 'BestEffort'],
    ['requests only', [{ requests: { cpu: '100m' } }], 'Burstable'],
    ['limits default the requests', [{ limits: { cpu: '1', memory: '1Gi' } }], 'Guaranteed'],
    ['equal requests and limits', [{ requests: { cpu: '1000m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }], 'Guaranteed'],
    ['requests below limits', [{ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }], 'Burstable'],
    ['cpu limit only', [{ limits: { cpu: '1' } }], 'Burstable'],
    ['one guaranteed, one best effort', [{ limits: { cpu: '1', memory: '1Gi' } }, {}], 'Burstable'],
    ['only extended resources', [{ limits: { 'example.com/gpu': '1' } }], 'BestEffort'],
  ])('QoS class: %s', (_name, resources, want) => {
    const containers = resources.map((r, i) => ({ name: `c${i}`, image: 'x:1', resources: r }));
    const pod = defaulted('pods', { metadata: meta(), spec: { containers } });
    expect(pod.status.qosClass).toBe(want);
    expect(computePodQOS(pod.spec)).toBe(want);
  });

  it('copies limits into missing requests', () => {
    const pod = defaulted('pods', { metadata: meta(), spec: { containers: [{ name: 'c', image: 'x:1', resources: { limits: { cpu: '1' }, requests: { memory: '1Gi' } } }] } });
    expect(pod.spec.containers[0].resources).toEqual({ limits: { cpu: '1' }, requests: { cpu: '1', memory: '1Gi' } });
  });

  it('keeps the status of an existing pod and defaults hostPort under hostNetwork', () => {
    const pod = defaulted('pods', {
      metadata: meta(),
      spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 9100 }] }] },
      status: { phase: 'Running', qosClass: 'Burstable' },
    });
    expect(pod.status).toEqual({ phase: 'Running', qosClass: 'Burstable' });
    expect(pod.spec.containers[0].ports[0]).toEqual({ containerPort: 9100, hostPort: 9100, protocol: 'TCP' });
  });

  it('resolves the priority of built-in priority classes', () => {
    const pod = defaulted('pods', { metadata: meta(), spec: { priorityClassName: 'system-node-critical', containers: [] } });
    expect(pod.spec.priority).toBe(2000001000);
  });

  it.each([
    ['a number spec', { metadata: meta(), spec: 5 }],
    ['a string container list', { metadata: meta(), spec: { containers: 'nginx' } }],
    ['odd containers', { metadata: meta(), spec: { containers: [null, 3, { name: 'c', ports: 'x', env: [1], resources: 'big' }] } }],
    ['a null status', { metadata: meta(), spec: {}, status: null }],
  ])('never throws on %s', (_name, obj) => {
    expect(() => defaulted('pods', obj)).not.toThrow();
  });
});

describe('workloads', () => {
  const template = { metadata: { labels: { app: 'web' }, creationTimestamp: null }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };

  it('defaults a deployment and its pod template (without pod status)', () => {
    const d = defaulted('deployments', { metadata: meta('web'), spec: { selector: { matchLabels: { app: 'web' } }, template }, status: {} });
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec.template.spec).toMatchObject(POD_SPEC_DEFAULTS);
    expect(d.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'Always', ...CONTAINER_DEFAULTS });
    expect(d.spec.template.spec.enableServiceLinks).toBeUndefined();
    expect(d.spec.template.status).toBeUndefined();
    expect(d.status).toEqual({});
  });

  it('leaves a Recreate deployment without rollingUpdate and keeps replicas 0', () => {
    const d = defaulted('deployments', { metadata: meta(), spec: { replicas: 0, strategy: { type: 'Recreate' }, template } });
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.replicas).toBe(0);
  });

  it.each([
    ['replicasets', { replicas: 1 }],
    [
      'statefulsets',
      {
        replicas: 1,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        revisionHistoryLimit: 10,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      },
    ],
    ['daemonsets', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 }],
  ])('defaults %s', (resource, want) => {
    const o = defaulted(resource, { metadata: meta(), spec: { selector: { matchLabels: { app: 'web' } }, template } });
    expect(o.spec).toMatchObject(want);
    expect(o.spec.template.spec).toMatchObject(POD_SPEC_DEFAULTS);
  });

  it('defaults stateful set claim templates as claims', () => {
    const sts = defaulted('statefulsets', { metadata: meta(), spec: { template, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] } });
    expect(sts.spec.volumeClaimTemplates[0]).toEqual({ metadata: { name: 'data' }, spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  });

  it('defaults a job, and its selector once it has a uid', () => {
    const job = { metadata: meta('pi'), spec: { template: { metadata: { creationTimestamp: null }, spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5' }] } } } };
    const before = defaulted('jobs', job);
    expect(before.spec).toMatchObject({ parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, manualSelector: false, podReplacementPolicy: 'TerminatingOrFailed' });
    expect(before.spec.selector).toBeUndefined();
    const after = defaulted('jobs', { ...job, metadata: meta('pi', { uid: 'u-1' }) });
    expect(after.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
    expect(after.spec.template.metadata.labels).toEqual({
      'batch.kubernetes.io/controller-uid': 'u-1',
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': 'u-1',
      'job-name': 'pi',
    });
    expect(after.spec.template.spec.restartPolicy).toBe('Never');
  });

  it.each([
    [{ parallelism: 3 }, { parallelism: 3 }],
    [{ completions: 5 }, { completions: 5, parallelism: 1 }],
  ])('keeps the job parallelism of %j', (spec, want) => {
    const job = defaulted('jobs', { metadata: meta(), spec: { ...spec, template } });
    expect(job.spec).toMatchObject(want);
    if (!('completions' in want)) expect(job.spec.completions).toBeUndefined();
  });

  it('leaves a manual job selector alone and gives the job its template labels', () => {
    const job = defaulted('jobs', { metadata: meta('j', { uid: 'u' }), spec: { manualSelector: true, selector: { matchLabels: { app: 'web' } }, template } });
    expect(job.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(job.metadata.labels).toEqual({ app: 'web' });
  });
});

describe('services', () => {
  it.each([
    [
      'a ClusterIP service',
      { selector: { app: 'web' }, ports: [{ port: 80 }] },
      {
        type: 'ClusterIP',
        sessionAffinity: 'None',
        internalTrafficPolicy: 'Cluster',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      },
    ],
    [
      'a NodePort service',
      { type: 'NodePort', ports: [{ port: 80, targetPort: 'http', protocol: 'UDP' }] },
      { externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', ports: [{ port: 80, targetPort: 'http', protocol: 'UDP' }] },
    ],
    ['a LoadBalancer service', { type: 'LoadBalancer', ports: [{ port: 443 }] }, { externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true }],
    ['a headless service without selector', { clusterIP: 'None', ports: [{ port: 80 }] }, { ipFamilyPolicy: 'RequireDualStack' }],
    ['a ClientIP affinity', { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }, { sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } }],
  ])('defaults %s', (_name, spec, want) => {
    expect(defaulted('services', { metadata: meta(), spec }).spec).toMatchObject(want);
  });

  it('gives ExternalName services no traffic policies or families', () => {
    const svc = defaulted('services', { metadata: meta(), spec: { type: 'ExternalName', externalName: 'example.com' } });
    expect(svc.spec).toEqual({ type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' });
  });
});

describe('other kinds', () => {
  it('defaults a namespace', () => {
    const ns = defaulted('namespaces', { metadata: { name: 'team' }, spec: {}, status: {} });
    expect(ns).toEqual({
      metadata: { name: 'team', labels: { 'kubernetes.io/metadata.name': 'team' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });

  it('keeps the finalizers a namespace already has', () => {
    const ns = defaulted('namespaces', { metadata: { name: 'team' }, spec: { finalizers: [] }, status: { phase: 'Terminating' } });
    expect(ns.spec.finalizers).toEqual([]);
    expect(ns.status.phase).toBe('Terminating');
  });

  it.each([
    ['secrets', { metadata: meta(), data: {} }, { type: 'Opaque' }],
    ['secrets', { metadata: meta(), type: 'kubernetes.io/tls' }, { type: 'kubernetes.io/tls' }],
    ['persistentvolumes', { metadata: { name: 'pv' }, spec: {} }, { spec: { persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }],
    ['persistentvolumeclaims', { metadata: meta(), spec: {} }, { spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }],
    ['horizontalpodautoscalers', { apiVersion: 'autoscaling/v2', metadata: meta(), spec: { maxReplicas: 5 } }, { spec: { minReplicas: 1, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] } }],
    ['nodes', { metadata: { name: 'n' }, status: { capacity: { cpu: '4' } } }, { status: { capacity: { cpu: '4' }, allocatable: { cpu: '4' } } }],
    ['endpoints', { metadata: meta(), subsets: [{ ports: [{ port: 80 }] }] }, { subsets: [{ ports: [{ port: 80, protocol: 'TCP' }] }] }],
    ['configmaps', { metadata: meta(), data: { a: 'b' } }, { data: { a: 'b' } }],
    ['events', { metadata: meta(), reason: 'X' }, { reason: 'X' }],
  ])('defaults %s', (resource, obj, want) => {
    expect(defaulted(resource, obj)).toMatchObject(want);
  });

  it('fills HPA behavior rules that are left out', () => {
    const hpa = defaulted('horizontalpodautoscalers', { metadata: meta(), spec: { maxReplicas: 3, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } });
    expect(hpa.spec.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    expect(hpa.spec.behavior.scaleUp.policies).toHaveLength(2);
  });

  it.each([null, 5, 'x', [], { spec: [] }, { metadata: 'x', spec: { template: 3 } }])('ignores malformed bodies: %j', (obj) => {
    for (const r of ['pods', 'deployments', 'jobs', 'services', 'namespaces', 'statefulsets', 'daemonsets', 'horizontalpodautoscalers', 'unknown']) {
      expect(() => applyDefaults(r, structuredClone(obj))).not.toThrow();
    }
  });
});
