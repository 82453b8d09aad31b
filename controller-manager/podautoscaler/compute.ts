// The metrics half of an HPA sync (upstream horizontal.go, computeReplicasForMetrics):
// the target's selector is checked (present, parsable, not shared with another HPA), each
// metric proposes a replica count with its current value, and the largest proposal wins.
// Resource and ContainerResource metrics come from the kubelets' stats; Pods, Object and
// External metrics need a custom or external metrics API, which skiff does not serve, so
// they fail as they do on a Kubernetes cluster without a metrics adapter.
import { formatQuantity, parseCpuMillis } from '../../shared/quantity.js';
import { type LabelSelector, parseLabelSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import type { Condition } from './conditions.js';
import type { HPASelectors } from './hpa-selectors.js';
import type { ReplicaCalculator } from './replica-calculator.js';

export interface MetricSpec {
  type: string;
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; container: string; target: MetricTarget };
  pods?: { metric: { name: string } };
  object?: { metric: { name: string }; describedObject?: { kind?: string; name?: string } };
  external?: { metric: { name: string } };
}

export interface MetricTarget {
  type?: string;
  averageUtilization?: number;
  averageValue?: string | number;
  value?: string | number;
}

export interface MetricValueStatus {
  averageUtilization?: number;
  averageValue?: string;
}

/** A metric's current value as the status reports it; `{type: ''}` when it could not be read, as upstream leaves it. */
export type MetricStatus = Record<string, unknown> & { type: string };

/** What a sync step needs to say about the HPA. */
export interface SyncRecorder {
  hpa: KubeObject;
  setCondition(c: Condition): void;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface ComputeDeps {
  key: string;
  calculator: ReplicaCalculator;
  listPods: (namespace: string, selector: LabelSelector) => KubeObject[];
  selectors: HPASelectors;
}

export interface MetricsResult {
  /** -1 when no usable proposal came out (upstream's sentinel). */
  replicas: number;
  metric: string;
  statuses: MetricStatus[] | undefined;
  timestamp?: Date;
  error?: Error;
}

class MetricError extends Error {
  constructor(
    message: string,
    readonly condition?: Condition,
  ) {
    super(message);
  }
}

/** validateAndParseSelector: a selector that exists, parses and selects pods of this HPA only. */
function validateAndParseSelector(sync: SyncRecorder, deps: ComputeDeps, selector: string | undefined): LabelSelector {
  const fail = (reason: string, eventReason: string, message: string, conditionMessage = message): never => {
    sync.event('Warning', eventReason, message);
    sync.setCondition({ type: 'ScalingActive', status: 'False', reason, message: conditionMessage });
    throw new Error(message);
  };
  if (!selector) return fail('InvalidSelector', 'SelectorRequired', 'selector is required', "the HPA target's scale is missing a selector");
  let parsed: LabelSelector;
  try {
    parsed = parseLabelSelector(selector);
  } catch (err) {
    const m = `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`;
    return fail('InvalidSelector', 'InvalidSelector', m);
  }
  deps.selectors.put(deps.key, parsed);
  const pods = deps.listPods(sync.hpa.metadata.namespace!, parsed);
  const selecting = deps.selectors.controlling(pods);
  if (selecting.length > 1) {
    const m = `pods by selector ${selector} are controlled by multiple HPAs: [${selecting.join(' ')}]`;
    return fail('AmbiguousSelector', 'AmbiguousSelector', m);
  }
  return parsed;
}

/** computeReplicasForMetrics: the largest proposal of the metrics, and every metric's status. */
export async function computeReplicasForMetrics(sync: SyncRecorder, deps: ComputeDeps, scale: { spec: { replicas: number }; status: { selector?: string } }, specs: MetricSpec[]): Promise<MetricsResult> {
  let selector: LabelSelector;
  try {
    selector = validateAndParseSelector(sync, deps, scale.status.selector);
  } catch (err) {
    return { replicas: -1, metric: '', statuses: undefined, error: err as Error };
  }
  const specReplicas = scale.spec.replicas;
  const statuses: MetricStatus[] = specs.map(() => ({ type: '' }));
  let replicas = 0;
  let metric = '';
  let timestamp: Date | undefined;
  let invalid = 0;
  let firstError: MetricError | undefined;
  for (const [i, spec] of specs.entries()) {
    try {
      const p = await computeReplicasForMetric(sync, deps, spec, specReplicas, selector);
      statuses[i] = p.status;
      if (replicas === 0 || p.replicas > replicas) {
        replicas = p.replicas;
        metric = p.metric;
        timestamp = p.timestamp;
      }
    } catch (err) {
      const e = err instanceof MetricError ? err : new MetricError((err as Error).message ?? String(err));
      if (invalid === 0) firstError = e;
      invalid++;
    }
  }
  const error = firstError ? new Error(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}`) : undefined;
  // All metrics failed, or some did and the rest would scale down: don't act on a partial view.
  if (invalid >= specs.length || (invalid > 0 && replicas < specReplicas)) {
    if (firstError?.condition) sync.setCondition(firstError.condition);
    return { replicas: -1, metric: '', statuses, error: error ?? new Error('no metrics to compute a replica count from') };
  }
  sync.setCondition({ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${metric}` });
  return { replicas, metric, statuses, timestamp, error };
}

interface Proposal {
  replicas: number;
  metric: string;
  timestamp: Date;
  status: MetricStatus;
}

/** The ScalingActive=False condition of a metric that failed, and its Warning event (getUnableComputeReplicaCountCondition). */
function unable(sync: SyncRecorder, reason: string, message: string): MetricError {
  sync.event('Warning', reason, message);
  return new MetricError(message, { type: 'ScalingActive', status: 'False', reason, message: `the HPA was unable to compute the replica count: ${message}` });
}

async function computeReplicasForMetric(sync: SyncRecorder, deps: ComputeDeps, spec: MetricSpec, specReplicas: number, selector: LabelSelector): Promise<Proposal> {
  switch (spec.type) {
    case 'Resource':
    case 'ContainerResource': {
      const container = spec.type === 'ContainerResource';
      const source = container ? spec.containerResource : spec.resource;
      const reason = container ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
      if (!source) throw unable(sync, reason, `invalid ${container ? 'container resource' : 'resource'} metric source: missing ${container ? 'containerResource' : 'resource'}`);
      let p: { replicas: number; metric: string; timestamp: Date; current: MetricValueStatus };
      try {
        p = await resourceProposal(deps, sync.hpa.metadata.namespace!, specReplicas, source.name, container ? spec.containerResource!.container : '', source.target ?? {}, selector, container);
      } catch (err) {
        throw unable(sync, reason, (err as Error).message);
      }
      const status: MetricStatus = container
        ? { type: 'ContainerResource', containerResource: { name: source.name, container: spec.containerResource!.container, current: p.current } }
        : { type: 'Resource', resource: { name: source.name, current: p.current } };
      return { replicas: p.replicas, metric: p.metric, timestamp: p.timestamp, status };
    }
    case 'Pods':
      throw unable(sync, 'FailedGetPodsMetric', `unable to get metric ${spec.pods?.metric?.name ?? ''}: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered`);
    case 'Object': {
      const o = spec.object?.describedObject;
      throw unable(
        sync,
        'FailedGetObjectMetric',
        `unable to get metric ${spec.object?.metric?.name ?? ''}: ${o?.kind ?? ''} on ${sync.hpa.metadata.namespace}/${o?.name ?? ''}: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered`,
      );
    }
    case 'External':
      throw unable(sync, 'FailedGetExternalMetric', `unable to get external metric ${sync.hpa.metadata.namespace}/${spec.external?.metric?.name ?? ''}: unable to fetch metrics from external metrics API: no external metrics API (external.metrics.k8s.io) registered`);
    default:
      throw unable(sync, 'InvalidMetricSourceType', `unknown metric source type ${JSON.stringify(spec.type)}`);
  }
}

/** computeStatusForResourceMetricGeneric: an average value (usage per pod) or an average utilization (percent of requests). */
async function resourceProposal(deps: ComputeDeps, namespace: string, currentReplicas: number, resource: string, container: string, target: MetricTarget, selector: LabelSelector, isContainer: boolean) {
  const milliQuantity = (milli: number) => formatQuantity(milli / 1000);
  if (target.averageValue !== undefined && target.averageValue !== null) {
    let targetMilli: number;
    try {
      targetMilli = parseCpuMillis(target.averageValue);
    } catch {
      throw new Error(`invalid average value target ${JSON.stringify(target.averageValue)}`);
    }
    try {
      const r = await deps.calculator.getRawResourceReplicas(currentReplicas, targetMilli, resource, namespace, selector, container);
      return { replicas: r.replicas, metric: `${resource} resource`, timestamp: r.timestamp, current: { averageValue: milliQuantity(r.usage) } };
    } catch (err) {
      throw new Error(`failed to get ${resource} usage: ${(err as Error).message}`);
    }
  }
  if (typeof target.averageUtilization !== 'number') {
    throw new Error('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
  }
  try {
    const r = await deps.calculator.getResourceReplicas(currentReplicas, target.averageUtilization, resource, namespace, selector, container);
    const metric = `${resource} ${isContainer ? 'container ' : ''}resource utilization (percentage of request)`;
    return { replicas: r.replicas, metric, timestamp: r.timestamp, current: { averageUtilization: r.utilization, averageValue: milliQuantity(r.rawUtilization) } };
  } catch (err) {
    throw new Error(`failed to get ${resource} utilization: ${(err as Error).message}`);
  }
}
