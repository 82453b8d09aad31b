// The replica calculation of upstream's pkg/controller/podautoscaler/replica_calculator.go:
// desired = ceil(current × usage / target) over the ready pods, no change within the
// tolerance, and the two corrections that keep a partial view from flapping the scale:
// pods without metrics count as using 100% of their request (or the target, if higher) on
// a scale-down and 0% on a scale-up; pods not yet ready are left out, and count as 0% on a
// scale-up. A correction that would flip the direction of the change cancels the change.
// Integer arithmetic (utilization percent, milli-values) is upstream's, truncations included.
import { parseCpuMillis } from '../../shared/quantity.js';
import type { LabelSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import type { MetricsClient, PodMetricsInfo } from './metrics.js';

export interface ReplicaCalculatorOptions {
  /** No scale change while |1 − usageRatio| ≤ tolerance (upstream default 0.1). */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (default 5 min). */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (default 30 s). */
  delayOfInitialReadinessStatusMs: number;
  now: () => Date;
}

export class ReplicaCalculationError extends Error {
  override readonly name = 'ReplicaCalculationError';
}

export interface ResourceReplicas {
  replicas: number;
  /** Percent of the requests in use. */
  utilization: number;
  /** Average usage per pod, milli-units. */
  rawUtilization: number;
  timestamp: Date;
}

export interface RawResourceReplicas {
  replicas: number;
  /** Average usage per pod, milli-units. */
  usage: number;
  timestamp: Date;
}

export interface PodGroups {
  readyPodCount: number;
  unreadyPods: Set<string>;
  missingPods: Set<string>;
  ignoredPods: Set<string>;
}

const time = (s: unknown) => (typeof s === 'string' ? Date.parse(s) : NaN);
/** Go's zero time.Time (0001-01-01T00:00:00Z), which an absent lastTransitionTime reads as upstream. */
const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

/** groupPods: which pods count, which are not ready yet, which lack metrics, which are ignored (deleted or failed). */
export function groupPods(pods: KubeObject[], metrics: PodMetricsInfo, resource: string, o: ReplicaCalculatorOptions): PodGroups {
  const g: PodGroups = { readyPodCount: 0, unreadyPods: new Set(), missingPods: new Set(), ignoredPods: new Set() };
  const now = o.now().getTime();
  for (const pod of pods) {
    const name = pod.metadata.name!;
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignoredPods.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unreadyPods.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missingPods.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = ((pod.status?.conditions ?? []) as { type: string; status: string; lastTransitionTime?: string }[]).find((c) => c.type === 'Ready');
      const start = time(pod.status?.startTime);
      let unready: boolean;
      if (!ready || Number.isNaN(start)) unready = true;
      else {
        const parsed = time(ready.lastTransitionTime);
        const transition = Number.isNaN(parsed) ? ZERO_TIME : parsed;
        if (start + o.cpuInitializationPeriodMs > now) {
          // Still initializing: ignore the sample if the pod is unready, or if a full window was not collected since it turned ready.
          unready = ready.status === 'False' || metric.timestamp.getTime() < transition + metric.windowMs;
        } else {
          // Ignore it if it is unready and has never been ready.
          unready = ready.status === 'False' && start + o.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        g.unreadyPods.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

interface ContainerSpec {
  name: string;
  restartPolicy?: string;
  resources?: { requests?: Record<string, string | number> };
}

/** calculatePodRequests: each pod's request of `resource` in milli-units (containers and sidecars; or just `container`). */
export function calculatePodRequests(pods: KubeObject[], container: string, resource: string): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    const containers: ContainerSpec[] = [
      ...((pod.spec?.containers ?? []) as ContainerSpec[]),
      ...((pod.spec?.initContainers ?? []) as ContainerSpec[]).filter((c) => c.restartPolicy === 'Always'),
    ];
    let sum = 0;
    for (const c of containers) {
      if (container && container !== c.name) continue;
      const request = c.resources?.requests?.[resource];
      if (request === undefined) throw new ReplicaCalculationError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
      sum += parseCpuMillis(request);
    }
    requests.set(pod.metadata.name!, sum);
  }
  return requests;
}

/** GetResourceUtilizationRatio: usage/target over the pods with both a metric and a request. */
export function getResourceUtilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number) {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [pod, m] of metrics) {
    const request = requests.get(pod);
    if (request === undefined) continue; // an extraneous metric
    metricsTotal += m.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) throw new ReplicaCalculationError('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { usageRatio: utilization / targetUtilization, utilization, rawAverageValue: Math.trunc(metricsTotal / entries) };
}

/** GetMetricUsageRatio: average usage per pod against a target average (milli-units). */
export function getMetricUsageRatio(metrics: PodMetricsInfo, targetUsage: number) {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { usageRatio: usage / targetUsage, usage };
}

export class ReplicaCalculator {
  constructor(
    private readonly metricsClient: MetricsClient,
    private readonly listPods: (namespace: string, selector: LabelSelector) => KubeObject[],
    private readonly o: ReplicaCalculatorOptions,
  ) {}

  private within(usageRatio: number): boolean {
    return Math.abs(1.0 - usageRatio) <= this.o.tolerance;
  }

  private async fetch(resource: string, namespace: string, selector: LabelSelector, container: string) {
    try {
      return await this.metricsClient.getResourceMetric(resource, namespace, selector, container);
    } catch (err) {
      throw new ReplicaCalculationError(`unable to get metrics for resource ${resource}: ${(err as Error).message ?? String(err)}`);
    }
  }

  private pods(namespace: string, selector: LabelSelector): KubeObject[] {
    const pods = this.listPods(namespace, selector);
    if (pods.length === 0) throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
    return pods;
  }

  /** GetResourceReplicas: replicas for a target utilization (percent of the requests). */
  async getResourceReplicas(currentReplicas: number, targetUtilization: number, resource: string, namespace: string, selector: LabelSelector, container = ''): Promise<ResourceReplicas> {
    const { metrics: fetched, timestamp } = await this.fetch(resource, namespace, selector, container);
    const metrics: PodMetricsInfo = new Map(fetched);
    const pods = this.pods(namespace, selector);
    const { readyPodCount, unreadyPods, missingPods, ignoredPods } = groupPods(pods, metrics, resource, this.o);
    for (const p of [...ignoredPods, ...unreadyPods]) metrics.delete(p);
    if (metrics.size === 0) throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');
    const requests = calculatePodRequests(pods, container, resource);
    const { usageRatio, utilization, rawAverageValue } = getResourceUtilizationRatio(metrics, requests, targetUtilization);
    const result = (replicas: number): ResourceReplicas => ({ replicas, utilization, rawUtilization: rawAverageValue, timestamp });

    const scaleUpWithUnready = unreadyPods.size > 0 && usageRatio > 1.0;
    if (!scaleUpWithUnready && missingPods.size === 0) {
      if (this.within(usageRatio)) return result(currentReplicas);
      return result(Math.ceil(usageRatio * readyPodCount));
    }
    if (missingPods.size > 0) {
      if (usageRatio < 1.0) {
        // Scale-down: a pod without metrics uses all of its request (or the target, above 100%).
        const fallback = Math.max(100, targetUtilization);
        for (const p of missingPods) metrics.set(p, { value: Math.trunc((requests.get(p)! * fallback) / 100), timestamp, windowMs: 0 });
      } else if (usageRatio > 1.0) {
        for (const p of missingPods) metrics.set(p, { value: 0, timestamp, windowMs: 0 });
      }
    }
    if (scaleUpWithUnready) for (const p of unreadyPods) metrics.set(p, { value: 0, timestamp, windowMs: 0 });

    const { usageRatio: newUsageRatio } = getResourceUtilizationRatio(metrics, requests, targetUtilization);
    if (this.within(newUsageRatio) || (usageRatio < 1.0 && newUsageRatio > 1.0) || (usageRatio > 1.0 && newUsageRatio < 1.0)) return result(currentReplicas);
    const newReplicas = Math.ceil(newUsageRatio * metrics.size);
    if ((newUsageRatio < 1.0 && newReplicas > currentReplicas) || (newUsageRatio > 1.0 && newReplicas < currentReplicas)) return result(currentReplicas);
    return result(newReplicas);
  }

  /** GetRawResourceReplicas: replicas for a target average usage per pod (milli-units). */
  async getRawResourceReplicas(currentReplicas: number, targetUsage: number, resource: string, namespace: string, selector: LabelSelector, container = ''): Promise<RawResourceReplicas> {
    const { metrics: fetched, timestamp } = await this.fetch(resource, namespace, selector, container);
    const metrics: PodMetricsInfo = new Map(fetched);
    const pods = this.pods(namespace, selector);
    const { readyPodCount, unreadyPods, missingPods, ignoredPods } = groupPods(pods, metrics, resource, this.o);
    for (const p of [...ignoredPods, ...unreadyPods]) metrics.delete(p);
    if (metrics.size === 0) throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');
    const { usageRatio, usage } = getMetricUsageRatio(metrics, targetUsage);
    const result = (replicas: number): RawResourceReplicas => ({ replicas, usage, timestamp });

    const scaleUpWithUnready = unreadyPods.size > 0 && usageRatio > 1.0;
    if (!scaleUpWithUnready && missingPods.size === 0) {
      if (this.within(usageRatio)) return result(currentReplicas);
      return result(Math.ceil(usageRatio * readyPodCount));
    }
    if (missingPods.size > 0) {
      // Scale-down: a pod without metrics uses exactly the target; scale-up: nothing.
      if (usageRatio < 1.0) for (const p of missingPods) metrics.set(p, { value: targetUsage, timestamp, windowMs: 0 });
      else if (usageRatio > 1.0) for (const p of missingPods) metrics.set(p, { value: 0, timestamp, windowMs: 0 });
    }
    if (scaleUpWithUnready) for (const p of unreadyPods) metrics.set(p, { value: 0, timestamp, windowMs: 0 });

    const { usageRatio: newUsageRatio } = getMetricUsageRatio(metrics, targetUsage);
    if (this.within(newUsageRatio) || (usageRatio < 1.0 && newUsageRatio > 1.0) || (usageRatio > 1.0 && newUsageRatio < 1.0)) return result(currentReplicas);
    const newReplicas = Math.ceil(newUsageRatio * metrics.size);
    if ((newUsageRatio < 1.0 && newReplicas > currentReplicas) || (newUsageRatio > 1.0 && newReplicas < currentReplicas)) return result(currentReplicas);
    return result(newReplicas);
  }
}
