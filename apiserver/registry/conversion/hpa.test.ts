// autoscaling/v1 ↔ v2 HorizontalPodAutoscaler conversion, as pkg/apis/autoscaling/v1/conversion.go.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../shared/types.js';
import { lookupResource } from '../resources.js';
import {
  BEHAVIOR_ANNOTATION,
  CONDITIONS_ANNOTATION,
  hpaFromV1,
  hpaToV1,
  METRIC_SPECS_ANNOTATION,
  METRIC_STATUSES_ANNOTATION,
} from './hpa.js';
import { servedObject, servedStored, toStorageVersion, unconvertibleResources } from './scheme.js';

const meta = (annotations?: Record<string, string>) => ({ name: 'web', namespace: 'ns', uid: 'u1', resourceVersion: '7', generation: 2, ...(annotations ? { annotations } : {}) });
const ref = { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' };
const cpu = (n: number) => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: n } } });
const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } };
const T = '2026-11-22T05:00:00Z';

/** A v2 object with every kind of metric, behavior, current metrics and conditions; CPU last, as v1 round-trips it. */
function fullV2(): KubeObject {
  const selector = { matchLabels: { app: 'web' } };
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta({ team: 'a' }),
    spec: {
      scaleTargetRef: ref,
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Pods', pods: { metric: { name: 'qps', selector }, target: { type: 'AverageValue', averageValue: '10' } } },
        { type: 'Object', object: { describedObject: { kind: 'Ingress', name: 'main', apiVersion: 'networking.k8s.io/v1' }, target: { type: 'Value', value: '2k' }, metric: { name: 'rps' } } },
        { type: 'External', external: { metric: { name: 'queue', selector }, target: { type: 'AverageValue', averageValue: '30' } } },
        { type: 'ContainerResource', containerResource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 }, container: 'app' } },
        memory,
        cpu(50),
      ],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
      },
    },
    status: {
      observedGeneration: 2,
      lastScaleTime: T,
      currentReplicas: 3,
      desiredReplicas: 4,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'memory', current: { averageValue: '300Mi' } } },
        { type: 'Resource', resource: { name: 'cpu', current: { averageValue: '120m', averageUtilization: 60 } } },
      ],
      conditions: [{ type: 'AbleToScale', status: 'True', lastTransitionTime: T, reason: 'ReadyForNewScale', message: 'recommended size matches current size' }],
    },
  };
}

describe('autoscaling/v2 → v1', () => {
  it('keeps the CPU target in targetCPUUtilizationPercentage and the rest in annotations', () => {
    const v1 = hpaToV1(fullV2());
    expect(v1.apiVersion).toBe('autoscaling/v1');
    expect(v1.spec).toEqual({ scaleTargetRef: ref, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 50 });
    expect(v1.status).toEqual({ observedGeneration: 2, lastScaleTime: T, currentReplicas: 3, desiredReplicas: 4, currentCPUUtilizationPercentage: 60 });
    const a = v1.metadata.annotations!;
    expect(a.team).toBe('a');
    expect(JSON.parse(a[METRIC_SPECS_ANNOTATION]!)).toHaveLength(5);
    expect(JSON.parse(a[METRIC_SPECS_ANNOTATION]!)[4]).toEqual({ type: 'Resource', resource: { name: 'memory', targetAverageValue: '500Mi' } });
    expect(JSON.parse(a[METRIC_STATUSES_ANNOTATION]!)[1]).toEqual({ type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 60, currentAverageValue: '120m' } });
    expect(JSON.parse(a[CONDITIONS_ANNOTATION]!)[0]).toMatchObject({ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' });
  });

  it('writes the v1beta shapes Go writes, and behavior with Go field names', () => {
    const v2 = fullV2();
    v2.spec.metrics = [memory];
    v2.spec.behavior = { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] } };
    const a = hpaToV1(v2).metadata.annotations!;
    expect(a[METRIC_SPECS_ANNOTATION]).toBe('[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"500Mi"}}]');
    expect(a[BEHAVIOR_ANNOTATION]).toBe('{"ScaleDown":{"StabilizationWindowSeconds":60,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":1,"PeriodSeconds":30}]}}');
  });

  it('shows a fresh object with zero replicas and no annotations of its own', () => {
    const v1 = hpaToV1({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta(), spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 4, metrics: [cpu(80)] } });
    expect(v1.spec.targetCPUUtilizationPercentage).toBe(80);
    expect(v1.status).toEqual({ currentReplicas: 0, desiredReplicas: 0 });
    expect(v1.metadata.annotations).toBeUndefined();
  });

  it('replaces stale round-trip annotations a v2 writer left on the object', () => {
    const v2 = fullV2();
    v2.spec.metrics = [cpu(40)];
    delete v2.spec.behavior;
    delete v2.status;
    v2.metadata.annotations = { [METRIC_SPECS_ANNOTATION]: '[{"type":"Pods"}]', [BEHAVIOR_ANNOTATION]: '{}', keep: 'me' };
    expect(hpaToV1(v2).metadata.annotations).toEqual({ keep: 'me' });
  });
});

describe('autoscaling/v1 → v2', () => {
  const v1 = (spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta(annotations),
    spec: { scaleTargetRef: ref, maxReplicas: 4, ...spec },
  });

  it('turns targetCPUUtilizationPercentage into a CPU Utilization metric', () => {
    expect(hpaFromV1(v1({ minReplicas: 1, targetCPUUtilizationPercentage: 50 })).spec).toEqual({ scaleTargetRef: ref, minReplicas: 1, maxReplicas: 4, metrics: [cpu(50)] });
  });

  it('makes the default CPU target of 80% explicit when v1 names none', () => {
    expect(hpaFromV1(v1({})).spec.metrics).toEqual([cpu(80)]);
    // Other metrics from the annotation are targets enough.
    const other = hpaFromV1(v1({}, { [METRIC_SPECS_ANNOTATION]: '[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"500Mi"}}]' }));
    expect(other.spec.metrics).toEqual([memory]);
  });

  it('puts the annotation metrics first and the CPU target last, as upstream', () => {
    const v2 = fullV2();
    v2.spec.metrics = [cpu(50), memory];
    expect(hpaFromV1(hpaToV1(v2)).spec.metrics).toEqual([memory, cpu(50)]);
  });

  it('stores none of the round-trip annotations and keeps the user\'s', () => {
    const out = hpaFromV1(hpaToV1(fullV2()));
    expect(out.metadata.annotations).toEqual({ team: 'a' });
  });

  it('ignores an annotation that does not read as its type, as json.Unmarshal failing does', () => {
    for (const bad of ['not json', '{"type":"Pods"}', '[{"type":"Resource","resource":{"name":5}}]', '[null]']) {
      const out = hpaFromV1(v1({ targetCPUUtilizationPercentage: 60 }, { [METRIC_SPECS_ANNOTATION]: bad, [BEHAVIOR_ANNOTATION]: bad, x: 'y' }));
      expect(out.spec.metrics, bad).toEqual([cpu(60)]);
      expect(out.spec.behavior, bad).toBeUndefined();
      expect(out.metadata.annotations).toEqual({ x: 'y' });
    }
  });

  it('reads keys in any case, as encoding/json does', () => {
    const out = hpaFromV1(v1({}, { [BEHAVIOR_ANNOTATION]: '{"scaleUp":{"stabilizationWindowSeconds":30,"POLICIES":[{"type":"Pods","value":2,"periodSeconds":60}]}}' }));
    expect(out.spec.behavior).toEqual({ scaleUp: { stabilizationWindowSeconds: 30, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } });
  });

  it('takes the current CPU utilization when no current-metrics annotation says more', () => {
    const o = v1({}, { [CONDITIONS_ANNOTATION]: `[{"type":"ScalingActive","status":"False","lastTransitionTime":"${T}","reason":"FailedGetResourceMetric"}]` });
    o.status = { currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 35 };
    expect(hpaFromV1(o).status).toEqual({
      currentReplicas: 2,
      desiredReplicas: 2,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 35 } } }],
      conditions: [{ type: 'ScalingActive', status: 'False', lastTransitionTime: T, reason: 'FailedGetResourceMetric' }],
    });
  });
});

describe('round trips', () => {
  it('v2 → v1 → v2 gives back the stored object', () => {
    expect(hpaFromV1(hpaToV1(fullV2()))).toEqual(fullV2());
  });

  it('v1 → v2 → v1 gives back the v1 object with its annotations', () => {
    const v1 = hpaToV1(fullV2());
    expect(v1.metadata.annotations).toHaveProperty(METRIC_SPECS_ANNOTATION);
    expect(hpaToV1(hpaFromV1(v1))).toEqual(v1);
  });

  it('an edit through v1 changes only what it touched', () => {
    const v1 = hpaToV1(fullV2());
    v1.spec.maxReplicas = 12;
    v1.spec.targetCPUUtilizationPercentage = 65;
    const want = fullV2();
    want.spec.maxReplicas = 12;
    want.spec.metrics[5] = cpu(65);
    expect(hpaFromV1(v1)).toEqual(want);
  });
});

describe('the conversion scheme', () => {
  const v1 = lookupResource('autoscaling', 'v1', 'horizontalpodautoscalers')!;
  const v2 = lookupResource('autoscaling', 'v2', 'horizontalpodautoscalers')!;

  it('has a conversion for every version served from another one\'s storage', () => {
    expect(v1.storageVersion).toBe('v2');
    expect(unconvertibleResources()).toEqual([]);
  });

  it('converts stored objects for the v1 path only, and passes everything else through', () => {
    const stored = fullV2();
    expect(servedObject(v1, stored).apiVersion).toBe('autoscaling/v1');
    expect(servedObject(v2, stored)).toBe(stored);
    const status = { apiVersion: 'v1', kind: 'Status', metadata: {} } as KubeObject;
    expect(servedObject(v1, status)).toBe(status);
    const pods = lookupResource('', 'v1', 'pods')!;
    const pod = { obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } } as KubeObject, raw: '{"apiVersion":"v1"}' };
    expect(servedStored(pods, pod)).toBe(pod);
    expect(toStorageVersion(pods, pod.obj)).toBe(pod.obj);
    expect(toStorageVersion(v1, hpaToV1(stored)).apiVersion).toBe('autoscaling/v2');
  });
});
