// autoscaling/v1 HorizontalPodAutoscaler ↔ autoscaling/v2, the stored version, as
// pkg/apis/autoscaling/v1/conversion.go converts them. v1 has one metric, a CPU
// utilization target; whatever else v2 holds (other metrics, behavior, current metrics,
// conditions) rides in annotations on the v1 object and is restored from them on the way
// back, so a v1 client that reads, edits and writes an object loses nothing.
import type { KubeObject, ObjectMeta } from '../../../shared/types.js';
import {
  behaviorFromAnnotation,
  behaviorToAnnotation,
  conditionFromV1,
  conditionToV1,
  metricSpecFromV1,
  metricSpecToV1,
  metricStatusFromV1,
  metricStatusToV1,
} from './hpa-metrics.js';
import { compact, JsonReader, parseAnnotation, type Obj } from './json-reader.js';

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP_ANNOTATIONS = [METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];

/** autoscaling.DefaultCPUUtilization: the target of a v1 object that names none. */
const DEFAULT_CPU_UTILIZATION = 80;

type V2 = Record<string, any>;

/** The metric v1's targetCPUUtilizationPercentage stands for. */
function isCPUUtilization(m: V2): boolean {
  return m?.type === 'Resource' && m.resource?.name === 'cpu' && typeof m.resource.target?.averageUtilization === 'number';
}

function cpuUtilization(target: number): Obj {
  return { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } };
}

/** Metadata with the round-trip annotations dropped (DropRoundTripHorizontalPodAutoscalerAnnotations) and `add` set. */
function withAnnotations(meta: ObjectMeta, add: Record<string, string>): ObjectMeta {
  const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
  for (const k of ROUND_TRIP_ANNOTATIONS) delete annotations[k];
  Object.assign(annotations, add);
  const out: ObjectMeta = { ...meta, annotations };
  if (Object.keys(annotations).length === 0) delete out.annotations;
  return out;
}

/** A stored autoscaling/v2 object as autoscaling/v1 serves it. */
export function hpaToV1(v2: KubeObject): KubeObject {
  const spec: V2 = v2.spec ?? {};
  const status: V2 = v2.status ?? {};
  const metrics: V2[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const currentMetrics: V2[] = Array.isArray(status.currentMetrics) ? status.currentMetrics : [];
  const conditions: V2[] = Array.isArray(status.conditions) ? status.conditions : [];

  const annotations: Record<string, string> = {};
  const others = metrics.filter((m) => !isCPUUtilization(m)).map(metricSpecToV1);
  if (others.length) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(others);
  // Every current metric, the CPU one too: the annotation keeps its raw value as well.
  if (currentMetrics.length) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(currentMetrics.map(metricStatusToV1));
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(behaviorToAnnotation(spec.behavior));
  if (conditions.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(conditions.map(conditionToV1));

  const cpuTarget = metrics.find(isCPUUtilization)?.resource.target.averageUtilization;
  const cpuCurrent = currentMetrics.filter((m) => m?.type === 'Resource' && m.resource?.name === 'cpu' && typeof m.resource.current?.averageUtilization === 'number').pop();
  const out: KubeObject = { apiVersion: 'autoscaling/v1', kind: v2.kind, metadata: withAnnotations(v2.metadata, annotations) };
  if (v2.spec !== undefined) {
    out.spec = compact({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, targetCPUUtilizationPercentage: cpuTarget });
  }
  // currentReplicas and desiredReplicas have no omitempty in v1: a fresh object shows them as 0.
  out.status = compact({
    observedGeneration: status.observedGeneration,
    lastScaleTime: status.lastScaleTime,
    currentReplicas: status.currentReplicas ?? 0,
    desiredReplicas: status.desiredReplicas ?? 0,
    currentCPUUtilizationPercentage: cpuCurrent?.resource.current.averageUtilization,
  });
  return out;
}

/** An autoscaling/v1 object (already checked against the v1 schema) as autoscaling/v2 stores it. */
export function hpaFromV1(v1: KubeObject): KubeObject {
  const meta = v1.metadata ?? {};
  const annotation = (key: string) => parseAnnotation(meta.annotations?.[key]);
  /** A round-trip annotation read whole, or undefined when any part of it does not read. */
  const read = <T>(key: string, convert: (j: JsonReader, v: unknown) => T | undefined): T | undefined => {
    const j = new JsonReader();
    const value = convert(j, annotation(key));
    return j.invalid ? undefined : value;
  };
  const out: KubeObject = { apiVersion: 'autoscaling/v2', kind: v1.kind, metadata: withAnnotations(meta, {}) };

  if (v1.spec !== undefined && v1.spec !== null) {
    const spec: V2 = v1.spec;
    const metrics = read(METRIC_SPECS_ANNOTATION, (j, v) => j.array(v, (x) => metricSpecFromV1(j, x))) ?? [];
    if (typeof spec.targetCPUUtilizationPercentage === 'number') metrics.push(cpuUtilization(spec.targetCPUUtilizationPercentage));
    // v1 once had an implicit default in the controller; conversion makes it explicit.
    if (metrics.length === 0) metrics.push(cpuUtilization(DEFAULT_CPU_UTILIZATION));
    out.spec = compact({
      scaleTargetRef: spec.scaleTargetRef,
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      metrics,
      behavior: read(BEHAVIOR_ANNOTATION, behaviorFromAnnotation),
    });
  }

  const status: V2 = v1.status ?? {};
  // The annotation has every current metric with more detail than currentCPUUtilizationPercentage.
  let currentMetrics = read(METRIC_STATUSES_ANNOTATION, (j, v) => j.array(v, (x) => metricStatusFromV1(j, x)));
  if (currentMetrics === undefined && typeof status.currentCPUUtilizationPercentage === 'number') {
    currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
  }
  const converted = compact({
    observedGeneration: status.observedGeneration,
    lastScaleTime: status.lastScaleTime,
    currentReplicas: status.currentReplicas,
    desiredReplicas: status.desiredReplicas,
    currentMetrics,
    conditions: read(CONDITIONS_ANNOTATION, (j, v) => j.array(v, (x) => conditionFromV1(j, x))),
  });
  if (Object.keys(converted).length) out.status = converted;
  return out;
}
