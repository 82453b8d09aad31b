// reconcileAutoscaler against in-memory HPAs, Scales, pods and usage, with a fake clock.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors.js';
import { FakeRecorder } from '../../shared/events.js';
import { R } from '../../shared/resources.js';
import { matchesLabels } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { ScalingHistory } from './behavior.js';
import { HPASelectors } from './hpa-selectors.js';
import { MetricsError, type PodMetricsInfo } from './metrics.js';
import { DEFAULT_HPA_CONFIG, type HPASyncDeps, reconcileAutoscaler, type Scale } from './reconcile.js';

const T0 = Date.parse('2024-05-01T12:00:00Z');
const KEY = 'ns/web';

const cpuUtilization = (target: number) => [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }];

function hpaObject(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'ns', uid: 'hpa-uid', resourceVersion: '1' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: cpuUtilization(50), ...spec },
  };
}

/** A running, long-ready pod requesting 100m. */
function pod(name: string): KubeObject {
  return {
    metadata: { name, namespace: 'ns', labels: { app: 'web' } },
    spec: { nodeName: 'n1', containers: [{ name: 'app', resources: { requests: { cpu: '100m' } } }] },
    status: { phase: 'Running', startTime: '2024-05-01T11:00:00Z', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T11:00:00Z' }] },
  };
}

interface World {
  hpa?: KubeObject;
  replicas: number;
  selector?: string;
  pods: KubeObject[];
  /** Millicores used by each pod; absent: no metric. */
  usage: Record<string, number>;
  metricsError?: Error;
  scaleError?: Error;
  getScaleError?: Error;
}

function harness(w: World) {
  let t = T0;
  const now = () => new Date(t);
  const recorder = new FakeRecorder();
  const statusWrites: KubeObject[] = [];
  const scaleWrites: number[] = [];
  const selectors = new HPASelectors();
  selectors.register(KEY);
  const deps: HPASyncDeps = {
    getHPA: () => w.hpa,
    resourceFor: async (apiVersion, kind) => {
      if (apiVersion === 'apps/v1' && kind === 'Deployment') return R.deployments;
      throw new Error(`unable to map ${apiVersion}/${kind} to a resource: no kind ${kind} in ${apiVersion}`);
    },
    getScale: async (_r, ns, name) => {
      if (w.getScaleError) throw w.getScaleError;
      return { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name, namespace: ns, resourceVersion: '7' }, spec: { replicas: w.replicas }, status: { replicas: w.replicas, selector: w.selector ?? 'app=web' } };
    },
    updateScale: async (_r, scale: Scale) => {
      if (w.scaleError) throw w.scaleError;
      scaleWrites.push(scale.spec.replicas!);
      w.replicas = scale.spec.replicas!;
      return scale;
    },
    updateStatus: async (hpa) => {
      statusWrites.push(structuredClone(hpa));
      w.hpa = { ...structuredClone(hpa), metadata: { ...hpa.metadata, resourceVersion: String(Number(hpa.metadata.resourceVersion) + 1) } };
    },
    listPods: (_ns, sel) => w.pods.filter((p) => matchesLabels(sel, p.metadata.labels)),
    metricsClient: () => ({
      getResourceMetric: async (_res, _ns, sel) => {
        if (w.metricsError) throw w.metricsError;
        const metrics: PodMetricsInfo = new Map();
        for (const p of w.pods) {
          const v = w.usage[p.metadata.name!];
          if (v !== undefined && matchesLabels(sel, p.metadata.labels)) metrics.set(p.metadata.name!, { value: v, timestamp: now(), windowMs: 15_000 });
        }
        if (metrics.size === 0) throw new MetricsError("no metrics returned from the kubelets' stats summary");
        return { metrics, timestamp: now() };
      },
    }),
    selectors,
    history: new ScalingHistory(now),
    recorder,
    now,
    log: pino({ level: 'silent' }),
    config: DEFAULT_HPA_CONFIG,
  };
  return {
    deps,
    recorder,
    statusWrites,
    scaleWrites,
    selectors,
    advance: (s: number) => (t += s * 1000),
    sync: () => reconcileAutoscaler(KEY, deps),
    condition: (type: string) => (w.hpa!.status?.conditions ?? []).find((c: { type: string }) => c.type === type),
  };
}

const pods = (n: number) => Array.from({ length: n }, (_, i) => pod(`web-${i}`));
const usage = (n: number, milli: number) => Object.fromEntries(pods(n).map((p) => [p.metadata.name!, milli]));

describe('reconcileAutoscaler', () => {
  it('scales up on high cpu utilization and reports it in status, conditions and an event', async () => {
    const w: World = { hpa: hpaObject(), replicas: 1, pods: pods(1), usage: usage(1, 200) };
    const h = harness(w);
    await h.sync();
    expect(h.scaleWrites).toEqual([4]);
    expect(h.recorder.events).toEqual([
      { reason: 'SuccessfulRescale', type: 'Normal', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target', object: 'HorizontalPodAutoscaler/ns/web' },
    ]);
    expect(w.hpa!.status).toMatchObject({
      currentReplicas: 1,
      desiredReplicas: 4,
      lastScaleTime: '2024-05-01T12:00:00Z',
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m' } } }],
    });
    expect(w.hpa!.status.conditions.map((c: { type: string; status: string; reason: string }) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'AbleToScale=True/SucceededRescale',
      'ScalingActive=True/ValidMetricFound',
      'ScalingLimited=False/DesiredWithinRange',
    ]);
    expect(h.condition('ScalingActive').message).toBe('the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
    expect(h.statusWrites).toHaveLength(1);
  });

  it('writes the status only when it changed', async () => {
    const w: World = { hpa: hpaObject(), replicas: 2, pods: pods(2), usage: usage(2, 50) };
    const h = harness(w);
    await h.sync();
    h.advance(15);
    await h.sync();
    expect(h.scaleWrites).toEqual([]);
    expect(h.statusWrites).toHaveLength(1);
    expect(w.hpa!.status).toMatchObject({ currentReplicas: 2, desiredReplicas: 2 });
    expect(h.condition('AbleToScale')).toMatchObject({ reason: 'ReadyForNewScale', lastTransitionTime: '2024-05-01T12:00:00Z' });
  });

  it('holds a scale-down for the stabilization window, then scales down to minReplicas', async () => {
    const w: World = { hpa: hpaObject({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } }), replicas: 4, pods: pods(4), usage: usage(4, 10) };
    const h = harness(w);
    await h.sync();
    expect(h.scaleWrites).toEqual([]);
    expect(h.condition('AbleToScale')).toMatchObject({ status: 'True', reason: 'ScaleDownStabilized' });
    expect(w.hpa!.status).toMatchObject({ currentReplicas: 4, desiredReplicas: 4 });
    h.advance(61);
    await h.sync();
    expect(h.scaleWrites).toEqual([1]);
    expect(h.recorder.events.at(-1)!.message).toBe('New size: 1; reason: All metrics below target');
  });

  it('brings the target within minReplicas/maxReplicas without reading metrics', async () => {
    const w: World = { hpa: hpaObject(), replicas: 8, pods: pods(8), usage: {}, metricsError: new Error('not consulted') };
    const h = harness(w);
    await h.sync();
    expect(h.scaleWrites).toEqual([5]);
    expect(h.recorder.events[0]!.message).toBe('New size: 5; reason: Current number of replicas above Spec.MaxReplicas');
    expect(w.hpa!.status.currentMetrics).toBeUndefined();
    w.replicas = 0;
    w.hpa = hpaObject({ minReplicas: 2 });
    await h.sync();
    expect(h.scaleWrites).toEqual([5]);
    expect(h.condition('ScalingActive')).toMatchObject({ status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
  });

  it('reports a target it cannot read', async () => {
    const w: World = { hpa: hpaObject(), replicas: 1, pods: [], usage: {}, getScaleError: new ApiError(404, 'NotFound', 'deployments.apps "web" not found') };
    const h = harness(w);
    await expect(h.sync()).rejects.toThrow('failed to query scale subresource for Deployment/ns/web: deployments.apps "web" not found');
    expect(h.condition('AbleToScale')).toMatchObject({ status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: deployments.apps "web" not found` });
    expect(h.recorder.events.map((e) => e.reason)).toEqual(['FailedGetScale']);
  });

  it('reports missing metrics and keeps the replica count', async () => {
    const w: World = { hpa: hpaObject(), replicas: 2, pods: pods(2), usage: {} };
    const h = harness(w);
    await expect(h.sync()).rejects.toThrow('failed to compute desired number of replicas based on listed metrics for Deployment/ns/web: invalid metrics (1 invalid out of 1)');
    expect(h.scaleWrites).toEqual([]);
    expect(h.recorder.events.map((e) => e.reason)).toEqual(['FailedGetResourceMetric', 'FailedComputeMetricsReplicas']);
    expect(h.condition('ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'FailedGetResourceMetric',
      message: "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from the kubelets' stats summary",
    });
    expect(w.hpa!.status).toMatchObject({ currentReplicas: 2, desiredReplicas: 0, currentMetrics: [{ type: '' }] });
  });

  it('refuses a target without a selector, and pods that another HPA also drives', async () => {
    const w: World = { hpa: hpaObject(), replicas: 2, selector: '', pods: pods(2), usage: usage(2, 50) };
    const h = harness(w);
    await expect(h.sync()).rejects.toThrow('selector is required');
    expect(h.condition('ScalingActive')).toMatchObject({ reason: 'InvalidSelector', message: "the HPA target's scale is missing a selector" });
    w.selector = 'app=web';
    h.selectors.register('ns/other');
    h.selectors.put('ns/other', [{ key: 'app', op: '=', values: ['web'] }]);
    await expect(h.sync()).rejects.toThrow('pods by selector app=web are controlled by multiple HPAs: [ns/other ns/web]');
    expect(h.condition('ScalingActive')!.reason).toBe('AmbiguousSelector');
  });

  it('scales up on the metrics that work when another fails, but never down', async () => {
    const metrics = [{ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } }, ...cpuUtilization(50)];
    const w: World = { hpa: hpaObject({ metrics }), replicas: 2, pods: pods(2), usage: usage(2, 100) };
    const h = harness(w);
    await expect(h.sync()).rejects.toThrow('invalid metrics (1 invalid out of 2), first error is: unable to get metric qps');
    expect(h.scaleWrites).toEqual([4]);
    expect(w.hpa!.status.currentMetrics).toEqual([{ type: '' }, { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 100, averageValue: '100m' } } }]);
    w.usage = usage(4, 5);
    w.pods = pods(4);
    h.advance(400);
    await expect(h.sync()).rejects.toThrow('failed to compute desired number of replicas');
    expect(h.scaleWrites).toEqual([4]);
    expect(h.condition('ScalingActive')).toMatchObject({ status: 'False', reason: 'FailedGetPodsMetric' });
  });

  it('scales on an average value target and reports the average usage', async () => {
    const metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '100m' } } }];
    const w: World = { hpa: hpaObject({ metrics }), replicas: 2, pods: pods(2), usage: usage(2, 200) };
    const h = harness(w);
    await h.sync();
    expect(h.scaleWrites).toEqual([4]);
    expect(h.recorder.events[0]!.message).toBe('New size: 4; reason: cpu resource above target');
    expect(w.hpa!.status.currentMetrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '200m' } } }]);
  });

  it('reports a failed rescale', async () => {
    const w: World = { hpa: hpaObject(), replicas: 1, pods: pods(1), usage: usage(1, 200), scaleError: new ApiError(409, 'Conflict', 'the object has been modified') };
    const h = harness(w);
    await expect(h.sync()).rejects.toThrow('failed to rescale Deployment/ns/web: the object has been modified');
    expect(h.recorder.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'FailedRescale', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target; error: the object has been modified' });
    expect(h.condition('AbleToScale')).toMatchObject({ status: 'False', reason: 'FailedUpdateScale' });
    expect(w.hpa!.status).toMatchObject({ currentReplicas: 1, desiredReplicas: 0 });
    expect(w.hpa!.status.lastScaleTime).toBeUndefined();
  });

  it('forgets a deleted HPA', async () => {
    const w: World = { hpa: hpaObject(), replicas: 1, pods: pods(1), usage: usage(1, 200) };
    const h = harness(w);
    await h.sync();
    w.hpa = undefined;
    await h.sync();
    expect((h.deps.history as unknown as { recommendations: Map<string, unknown> }).recommendations.has(KEY)).toBe(false);
  });
});
