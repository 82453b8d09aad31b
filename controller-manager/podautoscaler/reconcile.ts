// One HPA sync (upstream horizontal.go, reconcileAutoscaler): read the target's Scale,
// compute the desired replicas from the metrics, stabilize and rate-limit them, write the
// Scale when it changes, and write the status (current/desired replicas, current metrics,
// lastScaleTime, conditions) through the status subresource only when it changed.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { ResourceRef } from '../../shared/client.js';
import type { EventRecorder } from '../../shared/events.js';
import type { LabelSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { type ScalingHistory, withDefaults } from './behavior.js';
import { computeReplicasForMetrics, type MetricSpec, type MetricStatus, type SyncRecorder } from './compute.js';
import { type Condition, rfc3339, setCondition } from './conditions.js';
import type { HPASelectors } from './hpa-selectors.js';
import type { MetricsClient } from './metrics.js';
import { ReplicaCalculator } from './replica-calculator.js';

/** autoscaling/v1 Scale, the view of a Deployment, ReplicaSet or StatefulSet the HPA drives. */
export interface Scale extends KubeObject {
  spec: { replicas?: number };
  status: { replicas?: number; selector?: string };
}

export interface HPAConfig {
  tolerance: number;
  cpuInitializationPeriodSeconds: number;
  initialReadinessDelaySeconds: number;
  downscaleStabilizationWindowSeconds: number;
}

/** Upstream's kube-controller-manager defaults (--horizontal-pod-autoscaler-*). */
export const DEFAULT_HPA_CONFIG: HPAConfig = {
  tolerance: 0.1,
  cpuInitializationPeriodSeconds: 300,
  initialReadinessDelaySeconds: 30,
  downscaleStabilizationWindowSeconds: 300,
};

export interface HPASyncDeps {
  getHPA: (key: string) => KubeObject | undefined;
  /** The REST mapper: the resource of scaleTargetRef's apiVersion and kind. */
  resourceFor: (apiVersion: string, kind: string) => Promise<ResourceRef>;
  getScale: (r: ResourceRef, namespace: string, name: string) => Promise<Scale>;
  updateScale: (r: ResourceRef, scale: Scale) => Promise<Scale>;
  /** PUT of the HPA to its status subresource. */
  updateStatus: (hpa: KubeObject) => Promise<void>;
  listPods: (namespace: string, selector: LabelSelector) => KubeObject[];
  /** A metrics client for this sync (it caches each node's stats for the sync's length). */
  metricsClient: () => MetricsClient;
  selectors: HPASelectors;
  history: ScalingHistory;
  recorder: EventRecorder;
  now: () => Date;
  log: Logger;
  config: HPAConfig;
}

/** Reconciles one HPA key; throws when the sync failed (the controller retries it at the next period). */
export async function reconcileAutoscaler(key: string, deps: HPASyncDeps): Promise<void> {
  const cached = deps.getHPA(key);
  if (!cached) {
    deps.history.forget(key);
    return;
  }
  const hpa: KubeObject = structuredClone(cached);
  hpa.apiVersion ??= 'autoscaling/v2';
  hpa.kind ??= 'HorizontalPodAutoscaler';
  hpa.status ??= {};
  const original = structuredClone(cached.status ?? {});
  const sync: SyncRecorder = {
    hpa,
    setCondition: (c: Condition) => (hpa.status.conditions = setCondition(hpa.status.conditions, c, deps.now())),
    event: (type, reason, message) => deps.recorder.event(hpa, type, reason, message),
  };
  const ns = hpa.metadata.namespace!;
  const ref = (hpa.spec?.scaleTargetRef ?? {}) as { apiVersion?: string; kind?: string; name?: string };
  const reference = `${ref.kind}/${ns}/${ref.name}`;
  const saveStatus = async () => {
    if (isDeepStrictEqual(normalize(original), normalize(hpa.status))) return;
    try {
      await deps.updateStatus(hpa);
    } catch (err) {
      sync.event('Warning', 'FailedUpdateStatus', (err as Error).message);
      throw new Error(`failed to update status for ${hpa.metadata.name}: ${(err as Error).message}`, { cause: err });
    }
  };
  const saveStatusAfterError = async () => {
    await saveStatus().catch((err: unknown) => deps.log.warn({ hpa: key, err }, 'could not update the HPA status'));
  };

  let resource: ResourceRef;
  let scale: Scale;
  try {
    resource = await deps.resourceFor(ref.apiVersion ?? '', ref.kind ?? '');
    scale = await deps.getScale(resource, ns, ref.name ?? '');
  } catch (err) {
    const message = (err as Error).message;
    sync.event('Warning', 'FailedGetScale', message);
    sync.setCondition({ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${message}` });
    await saveStatusAfterError();
    throw new Error(`failed to query scale subresource for ${reference}: ${message}`, { cause: err });
  }
  sync.setCondition({ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });
  const currentReplicas = scale.spec.replicas ?? 0;
  deps.history.recordInitialRecommendation(key, currentReplicas);

  const minReplicas: number = typeof hpa.spec.minReplicas === 'number' ? hpa.spec.minReplicas : 1;
  const maxReplicas: number = hpa.spec.maxReplicas;
  const behavior = withDefaults(hpa.spec.behavior, deps.config.downscaleStabilizationWindowSeconds);
  let desiredReplicas = 0;
  let rescaleReason = '';
  let rescale = true;
  let metricStatuses: MetricStatus[] | undefined;
  let partialError: Error | undefined;

  if (currentReplicas === 0 && minReplicas !== 0) {
    // Autoscaling is disabled for a target scaled to zero by hand.
    rescale = false;
    sync.setCondition({ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
  } else if (currentReplicas > maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    desiredReplicas = maxReplicas;
  } else if (currentReplicas < minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    desiredReplicas = minReplicas;
  } else {
    const calculator = new ReplicaCalculator(deps.metricsClient(), deps.listPods, {
      tolerance: deps.config.tolerance,
      cpuInitializationPeriodMs: deps.config.cpuInitializationPeriodSeconds * 1000,
      delayOfInitialReadinessStatusMs: deps.config.initialReadinessDelaySeconds * 1000,
      now: deps.now,
    });
    const specs = (hpa.spec.metrics ?? []) as MetricSpec[];
    const r = await computeReplicasForMetrics(sync, { key, calculator, listPods: deps.listPods, selectors: deps.selectors }, { spec: { replicas: currentReplicas }, status: scale.status }, specs);
    metricStatuses = r.statuses;
    if (r.replicas === -1) {
      setStatus(hpa, currentReplicas, hpa.status.desiredReplicas ?? 0, metricStatuses, false, deps.now());
      await saveStatusAfterError();
      const message = r.error?.message ?? 'no replica count';
      sync.event('Warning', 'FailedComputeMetricsReplicas', message);
      throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${message}`);
    }
    // Some metrics failed but the others scale up: act on them, and report the failure.
    partialError = r.error;
    desiredReplicas = r.replicas;
    if (desiredReplicas > currentReplicas) rescaleReason = `${r.metric} above target`;
    if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
    const n = deps.history.normalize({ key, behavior, minReplicas, maxReplicas, currentReplicas, desiredReplicas });
    sync.setCondition({ type: 'AbleToScale', status: 'True', ...n.ableToScale });
    sync.setCondition({ type: 'ScalingLimited', ...n.scalingLimited });
    desiredReplicas = n.desiredReplicas;
    rescale = desiredReplicas !== currentReplicas;
  }

  if (rescale) {
    try {
      await deps.updateScale(resource, { ...scale, spec: { ...scale.spec, replicas: desiredReplicas } });
    } catch (err) {
      const message = (err as Error).message;
      sync.event('Warning', 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${message}`);
      sync.setCondition({ type: 'AbleToScale', status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${message}` });
      setStatus(hpa, currentReplicas, hpa.status.desiredReplicas ?? 0, metricStatuses, false, deps.now());
      await saveStatusAfterError();
      throw new Error(`failed to rescale ${reference}: ${message}`, { cause: err });
    }
    sync.setCondition({ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${desiredReplicas}` });
    sync.event('Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
    deps.history.storeScaleEvent(key, behavior, currentReplicas, desiredReplicas);
    deps.log.info({ hpa: key, currentReplicas, desiredReplicas, reason: rescaleReason }, 'successfully rescaled');
  } else {
    desiredReplicas = currentReplicas;
  }
  setStatus(hpa, currentReplicas, desiredReplicas, metricStatuses, rescale, deps.now());
  await saveStatus();
  if (partialError) throw partialError;
}

/** setStatus: replicas and metrics, lastScaleTime moved on a rescale, conditions kept. */
function setStatus(hpa: KubeObject, currentReplicas: number, desiredReplicas: number, metrics: MetricStatus[] | undefined, rescale: boolean, now: Date): void {
  const prev = hpa.status ?? {};
  const status: Record<string, unknown> = { currentReplicas, desiredReplicas };
  const lastScaleTime = rescale ? rfc3339(now) : prev.lastScaleTime;
  if (lastScaleTime) status.lastScaleTime = lastScaleTime;
  if (metrics && metrics.length > 0) status.currentMetrics = metrics;
  if (prev.conditions) status.conditions = prev.conditions;
  if (prev.observedGeneration !== undefined) status.observedGeneration = prev.observedGeneration;
  hpa.status = status;
}

/** The JSON form (what the apiserver stores), so that a status read back compares equal. */
function normalize(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? {}));
}
