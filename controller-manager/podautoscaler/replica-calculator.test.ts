// Upstream's replica_calculator_test.go tables, on in-memory pods and a fake metrics
// source that behaves as upstream's resource metrics client (pod usage = sum of its
// containers; a pod missing a container's usage has no metric).
import { describe, expect, it } from 'vitest';
import { matchesLabels, parseLabelSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { MetricsError, type MetricsClient, type PodMetricsInfo } from './metrics.js';
import { groupPods, ReplicaCalculator } from './replica-calculator.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const ZERO = '0001-01-01T00:00:00Z';
const hot = () => new Date(NOW.getTime()).toISOString();
const cool = () => new Date(NOW.getTime() - 3 * 60_000).toISOString();
const opts = { tolerance: 0.1, cpuInitializationPeriodMs: 2 * 60_000, delayOfInitialReadinessStatusMs: 10_000, now: () => NOW };

interface Case {
  currentReplicas: number;
  expectedReplicas?: number;
  expectedError?: string;
  podReadiness?: ('True' | 'False')[];
  podStartTime?: string[];
  podPhase?: string[];
  podDeletionTimestamp?: boolean[];
  container?: string;
  timestamp?: string;
  resource: {
    name?: string;
    requests: string[];
    levels: number[][];
    podNames?: string[];
    target: number;
    expectedUtilization?: number;
    expectedValue?: number;
  };
}

const levels = (...perContainer: number[]) => perContainer.map((v) => [v, v]);

function pods(tc: Case): KubeObject[] {
  const n = Math.max(tc.currentReplicas, tc.podPhase?.length ?? 0);
  return Array.from({ length: n }, (_, i) => {
    const request = tc.resource.requests[i];
    const resources = request !== undefined ? { requests: { [tc.resource.name ?? 'cpu']: request } } : {};
    return {
      metadata: { name: `test-pod-${i}`, namespace: 'test-namespace', labels: { name: 'test-pod' }, ...(tc.podDeletionTimestamp?.[i] ? { deletionTimestamp: NOW.toISOString() } : {}) },
      spec: { containers: [{ name: 'container1', resources }, { name: 'container2', resources }] },
      status: { phase: tc.podPhase?.[i] ?? 'Running', startTime: tc.podStartTime?.[i] ?? ZERO, conditions: [{ type: 'Ready', status: tc.podReadiness?.[i] ?? 'True' }] },
    };
  });
}

/** Upstream's resource metrics client over the case's levels. */
function metricsClient(tc: Case): MetricsClient {
  return {
    getResourceMetric: async (_resource, _ns, _selector, container) => {
      if (tc.resource.levels.length === 0) throw new MetricsError('no metrics returned from resource metrics API');
      const timestamp = new Date(tc.timestamp ?? ZERO);
      const metrics: PodMetricsInfo = new Map();
      tc.resource.levels.forEach((containers, i) => {
        const name = tc.resource.podNames?.[i] ?? `test-pod-${i}`;
        const value = container ? containers[Number(container.slice(-1)) - 1] : containers.reduce((a, b) => a + b, 0);
        if (value !== undefined) metrics.set(name, { value, timestamp, windowMs: 60_000 });
      });
      return { metrics, timestamp };
    },
  };
}

async function run(tc: Case) {
  const all = pods(tc);
  const calc = new ReplicaCalculator(metricsClient(tc), (_ns, sel) => all.filter((p) => matchesLabels(sel, p.metadata.labels)), opts);
  return calc.getResourceReplicas(tc.currentReplicas, tc.resource.target, tc.resource.name ?? 'cpu', 'test-namespace', parseLabelSelector('name=test-pod'), tc.container ?? '');
}

async function check(tc: Case) {
  if (tc.expectedError) {
    await expect(run(tc)).rejects.toThrow(tc.expectedError);
    return;
  }
  const r = await run(tc);
  expect({ replicas: r.replicas, utilization: r.utilization, raw: r.rawUtilization }).toEqual({
    replicas: tc.expectedReplicas,
    utilization: tc.resource.expectedUtilization,
    raw: tc.resource.expectedValue,
  });
}

const ones = (n: number) => Array.from({ length: n }, () => '1.0');

const CASES: Record<string, Case> = {
  ScaleUp: { currentReplicas: 3, expectedReplicas: 5, resource: { requests: ones(3), levels: levels(300, 500, 700), target: 30, expectedUtilization: 50, expectedValue: 1000 } },
  ContainerScaleUp: { currentReplicas: 3, expectedReplicas: 5, container: 'container2', resource: { requests: ones(3), levels: [[1000, 300], [1000, 500], [1000, 700]], target: 30, expectedUtilization: 50, expectedValue: 500 } },
  ScaleUpUnreadyLessScale: { currentReplicas: 3, expectedReplicas: 4, podReadiness: ['False', 'True', 'True'], resource: { requests: ones(3), levels: levels(300, 500, 700), target: 30, expectedUtilization: 60, expectedValue: 1200 } },
  ScaleUpHotCpuLessScale: { currentReplicas: 3, expectedReplicas: 4, podStartTime: [hot(), cool(), cool()], resource: { requests: ones(3), levels: levels(300, 500, 700), target: 30, expectedUtilization: 60, expectedValue: 1200 } },
  ScaleUpUnreadyNoScale: { currentReplicas: 3, expectedReplicas: 3, podReadiness: ['True', 'False', 'False'], resource: { requests: ones(3), levels: levels(400, 500, 700), target: 30, expectedUtilization: 40, expectedValue: 800 } },
  ScaleHotCpuNoScale: {
    currentReplicas: 3,
    expectedReplicas: 3,
    podReadiness: ['True', 'False', 'False'],
    podStartTime: [cool(), hot(), hot()],
    resource: { requests: ones(3), levels: levels(400, 500, 700), target: 30, expectedUtilization: 40, expectedValue: 800 },
  },
  ScaleUpIgnoresFailedPods: {
    currentReplicas: 2,
    expectedReplicas: 4,
    podReadiness: ['True', 'True', 'False', 'False'],
    podPhase: ['Running', 'Running', 'Failed', 'Failed'],
    resource: { requests: ones(4), levels: levels(500, 700), target: 30, expectedUtilization: 60, expectedValue: 1200 },
  },
  ScaleUpIgnoresDeletionPods: {
    currentReplicas: 2,
    expectedReplicas: 4,
    podReadiness: ['True', 'True', 'False', 'False'],
    podPhase: ['Running', 'Running', 'Running', 'Running'],
    podDeletionTimestamp: [false, false, true, true],
    resource: { requests: ones(4), levels: levels(500, 700), target: 30, expectedUtilization: 60, expectedValue: 1200 },
  },
  ScaleDown: { currentReplicas: 5, expectedReplicas: 3, resource: { requests: ones(5), levels: levels(100, 300, 500, 250, 250), target: 50, expectedUtilization: 28, expectedValue: 560 } },
  ContainerScaleDown: {
    currentReplicas: 5,
    expectedReplicas: 3,
    container: 'container2',
    resource: { requests: ones(5), levels: [[1000, 100], [1000, 300], [1000, 500], [1000, 250], [1000, 250]], target: 50, expectedUtilization: 28, expectedValue: 280 },
  },
  ScaleDownExcludeUnreadyPods: {
    currentReplicas: 5,
    expectedReplicas: 2,
    podReadiness: ['True', 'True', 'True', 'False', 'False'],
    resource: { requests: ones(5), levels: levels(100, 300, 500, 250, 250), target: 50, expectedUtilization: 30, expectedValue: 600 },
  },
  ScaleDownExcludeUnscheduledPods: {
    currentReplicas: 5,
    expectedReplicas: 1,
    podReadiness: ['True', 'False', 'False', 'False', 'False'],
    podPhase: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'],
    resource: { requests: ones(5), levels: levels(100), target: 50, expectedUtilization: 10, expectedValue: 200 },
  },
  ScaleDownIgnoreHotCpuPods: {
    currentReplicas: 5,
    expectedReplicas: 2,
    podStartTime: [cool(), cool(), cool(), hot(), hot()],
    resource: { requests: ones(5), levels: levels(100, 300, 500, 250, 250), target: 50, expectedUtilization: 30, expectedValue: 600 },
  },
  ScaleDownIgnoresFailedPods: {
    currentReplicas: 5,
    expectedReplicas: 3,
    podReadiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'],
    podPhase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'],
    resource: { requests: ones(7), levels: levels(100, 300, 500, 250, 250), target: 50, expectedUtilization: 28, expectedValue: 560 },
  },
  ScaleDownIgnoresDeletionPods: {
    currentReplicas: 5,
    expectedReplicas: 3,
    podReadiness: ['True', 'True', 'True', 'True', 'True', 'False', 'False'],
    podPhase: Array.from({ length: 7 }, () => 'Running'),
    podDeletionTimestamp: [false, false, false, false, false, true, true],
    resource: { requests: ones(7), levels: levels(100, 300, 500, 250, 250), target: 50, expectedUtilization: 28, expectedValue: 560 },
  },
  Tolerance: { currentReplicas: 3, expectedReplicas: 3, resource: { requests: ['0.9', '1.0', '1.1'], levels: levels(1010, 1030, 1020), target: 100, expectedUtilization: 102, expectedValue: 2040 } },
  SuperfluousMetrics: {
    currentReplicas: 4,
    expectedReplicas: 24,
    resource: { requests: ones(4), levels: levels(4000, 9500, 3000, 7000, 3200, 2000), target: 100, expectedUtilization: 587, expectedValue: 11750 },
  },
  MissingMetrics: { currentReplicas: 4, expectedReplicas: 3, resource: { requests: ones(4), levels: levels(400, 95), target: 100, expectedUtilization: 24, expectedValue: 495 } },
  EmptyMetrics: { currentReplicas: 4, expectedError: 'unable to get metrics for resource cpu: no metrics returned from resource metrics API', resource: { requests: ones(3), levels: [], target: 100 } },
  EmptyCPURequest: { currentReplicas: 1, expectedError: 'missing request for', resource: { requests: [], levels: levels(200), target: 100 } },
  DisjointResourcesMetrics: { currentReplicas: 1, expectedError: 'no metrics returned matched known pods', resource: { requests: ones(1), levels: levels(100), podNames: ['an-older-pod-name'], target: 100 } },
  MissingMetricsNoChangeEq: { currentReplicas: 2, expectedReplicas: 2, resource: { requests: ones(2), levels: levels(1000), target: 100, expectedUtilization: 100, expectedValue: 2000 } },
  MissingMetricsNoChangeGt: { currentReplicas: 2, expectedReplicas: 2, resource: { requests: ones(2), levels: levels(1900), target: 100, expectedUtilization: 190, expectedValue: 3800 } },
  MissingMetricsNoChangeLt: { currentReplicas: 2, expectedReplicas: 2, resource: { requests: ones(2), levels: levels(600), target: 100, expectedUtilization: 60, expectedValue: 1200 } },
  MissingMetricsUnreadyChange: { currentReplicas: 3, expectedReplicas: 3, podReadiness: ['False', 'True', 'True'], resource: { requests: ones(3), levels: levels(100, 450), target: 50, expectedUtilization: 45, expectedValue: 900 } },
  MissingMetricsHotCpuNoChange: { currentReplicas: 3, expectedReplicas: 3, podStartTime: [hot(), cool(), cool()], resource: { requests: ones(3), levels: levels(100, 450), target: 50, expectedUtilization: 45, expectedValue: 900 } },
  MissingMetricsUnreadyScaleUp: { currentReplicas: 3, expectedReplicas: 4, podReadiness: ['False', 'True', 'True'], resource: { requests: ones(3), levels: levels(100, 2000), target: 50, expectedUtilization: 200, expectedValue: 4000 } },
  MissingMetricsHotCpuScaleUp: {
    currentReplicas: 3,
    expectedReplicas: 4,
    podReadiness: ['False', 'True', 'True'],
    podStartTime: [hot(), cool(), cool()],
    resource: { requests: ones(3), levels: levels(100, 2000), target: 50, expectedUtilization: 200, expectedValue: 4000 },
  },
  MissingMetricsUnreadyScaleDown: { currentReplicas: 4, expectedReplicas: 3, podReadiness: ['False', 'True', 'True', 'True'], resource: { requests: ones(4), levels: levels(100, 100, 100), target: 50, expectedUtilization: 10, expectedValue: 200 } },
  MissingMetricsScaleDownTargetOver100: {
    currentReplicas: 4,
    expectedReplicas: 2,
    podReadiness: ['False', 'True', 'True', 'True'],
    resource: { requests: ['1.0', '1.0', '2.0', '2.0'], levels: levels(200, 100, 100), target: 300, expectedUtilization: 6, expectedValue: 200 },
  },
  DuringRollingUpdateWithMaxSurge: { currentReplicas: 2, expectedReplicas: 2, podPhase: ['Running', 'Running', 'Running'], resource: { requests: ones(3), levels: levels(100, 100), target: 50, expectedUtilization: 10, expectedValue: 200 } },
};

describe('ReplicaCalculator.getResourceReplicas (upstream tables)', () => {
  for (const [name, tc] of Object.entries(CASES)) it(name, () => check(tc));

  it('ComputedToleranceAlgImplementation: scales just past the tolerance, not just inside it', async () => {
    const startPods = 10;
    const used = startPods * 150;
    const requested = 2 * used;
    const perPod = requested / startPods;
    const requests = [perPod + 100, perPod - 100, perPod + 10, perPod - 10, perPod + 2, perPod - 2, perPod + 1, perPod - 1, perPod, perPod].map((m) => `${m}m`);
    const outside = Math.abs(1 / (2 * (1 - 0.1))) + 0.01;
    const finalPods = Math.ceil((used / (requested * outside)) * startPods);
    const base = { requests, levels: levels(...Array.from({ length: 10 }, () => used / 10)), expectedUtilization: Math.trunc((used * 100) / requested), expectedValue: (2 * used) / 10 };
    await check({ currentReplicas: startPods, expectedReplicas: finalPods, resource: { ...base, target: Math.trunc(outside * 100) } });
    const inside = Math.abs(1 / (2 * (1 - 0.1))) + 0.004;
    await check({ currentReplicas: startPods, expectedReplicas: startPods, resource: { ...base, target: Math.trunc(inside * 100) } });
  });
});

/** Upstream's custom-metric (plain average) tables, through the AverageValue path. */
describe('ReplicaCalculator.getRawResourceReplicas (upstream plain-metric tables)', () => {
  const raw = async (current: number, values: number[], target: number, extra: Partial<Case> = {}) => {
    const tc: Case = { currentReplicas: current, ...extra, resource: { name: 'qps', requests: [], levels: values.map((v) => [v]), target } };
    const all = pods(tc);
    const calc = new ReplicaCalculator(metricsClient(tc), (_ns, sel) => all.filter((p) => matchesLabels(sel, p.metadata.labels)), opts);
    return calc.getRawResourceReplicas(current, target, 'qps', 'test-namespace', parseLabelSelector('name=test-pod'));
  };
  it('ScaleUpCM', async () => expect(await raw(3, [20000, 10000, 30000], 15000)).toMatchObject({ replicas: 4, usage: 20000 }));
  it('ScaleUpCMUnreadyHotCpuNoLessScale (readiness counts for cpu only)', async () =>
    expect(await raw(3, [50000, 10000, 30000], 15000, { podReadiness: ['True', 'True', 'False'], podStartTime: [cool(), cool(), hot()] })).toMatchObject({ replicas: 6, usage: 30000 }));
  it('ScaleUpCMUnreadyHotCpuScaleWouldScaleDown', async () =>
    expect(await raw(3, [50000, 15000, 30000], 15000, { podReadiness: ['False', 'True', 'False'], podStartTime: [hot(), cool(), hot()] })).toMatchObject({ replicas: 7, usage: 31666 }));
  it('ScaleDownCM', async () => expect(await raw(5, [12000, 12000, 12000, 12000, 12000], 20000)).toMatchObject({ replicas: 3, usage: 12000 }));
  it('ToleranceCM', async () => expect(await raw(3, [20000, 21000, 21000], 20000)).toMatchObject({ replicas: 3, usage: 20666 }));
  it('MissingMetricsNoChangeEq', async () => expect(await raw(5, [20000, 19000, 21000], 20000)).toMatchObject({ replicas: 5, usage: 20000 }));
  it('DuringRollingUpdateWithMaxSurgeCM', async () => expect(await raw(2, [10000, 10000], 17000, { podPhase: ['Running', 'Running', 'Running'] })).toMatchObject({ replicas: 2, usage: 10000 }));
});

describe('groupPods (upstream TestGroupPods)', () => {
  const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
  const pod = (name: string, status: Record<string, unknown>): KubeObject => ({ metadata: { name }, status: { phase: 'Succeeded', ...status } });
  const group = (p: KubeObject, metric: { value: number; timestamp?: Date; windowMs?: number } | undefined, resource = 'cpu') => {
    const metrics: PodMetricsInfo = new Map(metric ? [[p.metadata.name!, { value: metric.value, timestamp: metric.timestamp ?? new Date(ZERO), windowMs: metric.windowMs ?? 0 }]] : []);
    const g = groupPods([p], metrics, resource, opts);
    return { ready: g.readyPodCount, unready: [...g.unreadyPods], missing: [...g.missingPods], ignored: [...g.ignoredPods] };
  };
  const ready = (status: 'True' | 'False', at: number) => [{ type: 'Ready', status, lastTransitionTime: ago(at) }];

  it('counts a pod with a memory metric whatever its readiness', () => expect(group(pod('bentham', {}), { value: 1, timestamp: NOW, windowMs: 60_000 }, 'memory').ready).toBe(1));
  it('unreadies a pod without a Ready condition', () => expect(group(pod('lucretius', { startTime: NOW.toISOString() }), { value: 1 }).unready).toEqual(['lucretius']));
  it('counts a ready pod with a fresh sample during initialization', () =>
    expect(group(pod('bentham', { startTime: ago(60_000), conditions: ready('True', 30_000) }), { value: 1, timestamp: NOW, windowMs: 30_000 }).ready).toBe(1));
  it('unreadies a ready pod whose sample does not cover a window since it became ready', () =>
    expect(group(pod('bentham', { startTime: ago(60_000), conditions: ready('True', 30_000) }), { value: 1, timestamp: NOW, windowMs: 60_000 }).unready).toEqual(['bentham']));
  it('counts a ready pod without a fresh sample after initialization', () =>
    expect(group(pod('bentham', { startTime: ago(180_000), conditions: ready('True', 180_000) }), { value: 1, timestamp: new Date(NOW.getTime() - 120_000), windowMs: 60_000 }).ready).toBe(1));
  it('counts an unready pod that had been ready after initialization', () => expect(group(pod('lucretius', { startTime: ago(600_000), conditions: ready('False', 540_000) }), { value: 1 }).ready).toBe(1));
  it('unreadies a pod that has never been ready', () => expect(group(pod('lucretius', { startTime: ago(600_000), conditions: ready('False', 596_000) }), { value: 1 }).unready).toEqual(['lucretius']));
  it('reports a pod without a metric missing, and ignores deleted and failed pods', () => {
    expect(group(pod('epicurus', { startTime: ago(180_000) }), undefined).missing).toEqual(['epicurus']);
    expect(group(pod('failed', { phase: 'Failed' }), { value: 1 }).ignored).toEqual(['failed']);
    expect(group({ metadata: { name: 'gone', deletionTimestamp: NOW.toISOString() }, status: { phase: 'Running' } }, { value: 1 }).ignored).toEqual(['gone']);
    expect(group(pod('pending', { phase: 'Pending' }), undefined).unready).toEqual(['pending']);
  });
});
