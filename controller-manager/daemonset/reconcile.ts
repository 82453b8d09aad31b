// The DaemonSet sync (pkg/controller/daemon/daemon_controller.go syncDaemonSet): one pod
// on every node that should run one, none elsewhere, then the rolling update, then status.
// Daemon pods are created unbound with a required node affinity on metadata.name, so that
// the default scheduler binds them (as Kubernetes does since 1.12).
import { isApiError } from '../../shared/errors.js';
import type { EventRecorder } from '../../shared/events.js';
import { GVK, R } from '../../shared/resources.js';
import { fromMetaSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { claimPods, recheckOwner, type PodWriter } from './claim.js';
import type { Expectations } from './expectations.js';
import type { Lister } from './lister.js';
import type { FailedPodBackoff } from './backoff.js';
import { templateHash } from './history.js';
import { addOrUpdateTolerations, daemonPodTolerations, nodeShouldRunDaemonPod, targetNodeName, withNodeNameAffinity } from './nodes.js';
import { byCreation, isPodAvailable, isPodReady, podFromTemplate } from './podutil.js';
import { createPod, deletePod, isNamespaceTerminating, slowStartBatch } from './podcontrol.js';
import { allowsSurge, isPodUpdated, type NodeToPods, REVISION_HASH_LABEL, rollingUpdate, TEMPLATE_GENERATION_ANNOTATION, TEMPLATE_GENERATION_LABEL } from './update.js';

/** At most this many creates or deletes per sync (BurstReplicas). */
export const BURST_REPLICAS = 250;

export interface DaemonSetDeps {
  client: PodWriter;
  recorder: EventRecorder;
  daemonSets: Lister;
  /** Pods, with a `namespace` index. */
  pods: Lister;
  nodes: Lister;
  expectations: Expectations;
  failedPodsBackoff: FailedPodBackoff;
  now: () => Date;
}

/** What a sync asks of its worker: come back after this many milliseconds. */
export interface SyncResult {
  requeueAfterMs?: number;
}

export async function syncDaemonSet(key: string, deps: DaemonSetDeps): Promise<SyncResult> {
  const ds = deps.daemonSets.get(key);
  if (!ds) {
    deps.expectations.forget(key);
    return {};
  }
  const selector = fromMetaSelector(ds.spec?.selector);
  if (!selector.length) {
    deps.recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
    return {};
  }
  // Don't process a DaemonSet being deleted: the garbage collector removes its pods.
  if (ds.metadata.deletionTimestamp) return {};
  const hash = templateHash(ds.spec?.template, ds.status?.collisionCount);
  const nodes = deps.nodes.list();
  const result: SyncResult = {};
  if (!deps.expectations.satisfied(key)) {
    await updateStatus(ds, nodes, await nodesToDaemonPods(ds, deps), hash, false, deps, result);
    return result;
  }
  const nodeToPods = await nodesToDaemonPods(ds, deps);
  let failure: unknown;
  try {
    await manage(key, ds, nodes, nodeToPods, hash, deps, result);
    // The rolling update only acts once what manage did has been observed.
    if (deps.expectations.satisfied(key) && ds.spec?.updateStrategy?.type !== 'OnDelete') {
      const { toDelete, toCreate } = rollingUpdate(ds, nodes, nodeToPods, hash, deps.now());
      await syncNodes(key, ds, toDelete, toCreate, hash, deps);
    }
  } catch (err) {
    failure = err;
  }
  await updateStatus(ds, nodes, nodeToPods, hash, true, deps, result);
  if (failure) throw failure;
  return result;
}

/** Claims the DaemonSet's pods and groups them by the node they run on (or are meant for). */
export async function nodesToDaemonPods(ds: KubeObject, deps: DaemonSetDeps): Promise<NodeToPods> {
  const candidates = deps.pods.byIndex('namespace', ds.metadata.namespace ?? '');
  const claimed = await claimPods(candidates, {
    owner: ds,
    gvk: GVK.DaemonSet,
    selector: fromMetaSelector(ds.spec?.selector),
    client: deps.client,
    canAdopt: recheckOwner(deps.client, R.daemonsets, ds),
  });
  const out: NodeToPods = new Map();
  for (const pod of claimed) {
    // A pod that finished and is being deleted no longer occupies its node.
    if (pod.metadata.deletionTimestamp && ['Succeeded', 'Failed'].includes(pod.status?.phase)) continue;
    const node = targetNodeName(pod);
    if (node === undefined) continue;
    out.set(node, [...(out.get(node) ?? []), pod]);
  }
  return out;
}

async function manage(key: string, ds: KubeObject, nodes: KubeObject[], nodeToPods: NodeToPods, hash: string, deps: DaemonSetDeps, result: SyncResult): Promise<void> {
  const toCreate: string[] = [];
  const toDelete: KubeObject[] = [];
  const now = deps.now();
  for (const node of nodes) {
    const name = node.metadata.name!;
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodeToPods.get(name);
    if (shouldRun && !pods) {
      toCreate.push(name);
    } else if (shouldContinueRunning && pods) {
      const running: KubeObject[] = [];
      for (const pod of pods) {
        if (pod.metadata.deletionTimestamp) continue;
        if (pod.status?.phase === 'Failed') {
          // Kubelets may reject a pod over and over: back off before replacing it again.
          const backoffKey = `${ds.metadata.uid}/${name}`;
          const wait = deps.failedPodsBackoff.remaining(backoffKey, now);
          if (wait > 0) {
            requeueAfter(result, wait);
            continue;
          }
          deps.failedPodsBackoff.next(backoffKey, now);
          deps.recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${name}, will try to kill it`);
          toDelete.push(pod);
        } else if (pod.status?.phase === 'Succeeded') {
          toDelete.push(pod);
        } else running.push(pod);
      }
      toDelete.push(...excessPods(ds, running, hash, now));
    } else if (!shouldContinueRunning && pods) {
      toDelete.push(...pods.filter((p) => !p.metadata.deletionTimestamp));
    }
  }
  // Pods meant for nodes that no longer exist. Kubernetes leaves bound ones to the pod
  // garbage collector; skiff has none, so they are deleted here too.
  const known = new Set(nodes.map((n) => n.metadata.name));
  for (const [node, pods] of nodeToPods) {
    if (!known.has(node)) toDelete.push(...pods.filter((p) => !p.metadata.deletionTimestamp || p.spec?.nodeName));
  }
  await syncNodes(key, ds, toDelete, toCreate, hash, deps);
}

/** Running pods beyond the one a node should have (with surge: one old and one new at most). */
function excessPods(ds: KubeObject, running: KubeObject[], hash: string, now: Date): KubeObject[] {
  if (running.length <= 1) return [];
  const sorted = [...running].sort(byScheduledThenCreation);
  if (!allowsSurge(ds)) return sorted.slice(1);
  const out: KubeObject[] = [];
  let oldestNew: KubeObject | undefined;
  let oldestOld: KubeObject | undefined;
  for (const pod of sorted) {
    if (pod.metadata.labels?.[REVISION_HASH_LABEL] === hash) {
      if (!oldestNew) oldestNew = pod;
      else out.push(pod);
    } else if (!oldestOld) oldestOld = pod;
    else out.push(pod);
  }
  if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, now))) out.push(oldestOld);
  return out;
}

/** podByCreationTimestampAndPhase: bound pods first, then oldest first. */
export function byScheduledThenCreation(a: KubeObject, b: KubeObject): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  return sa - sb || byCreation(a, b);
}

/** The pod template a daemon pod is made from (util.CreatePodTemplate). */
export function daemonPodTemplate(ds: KubeObject, hash: string): KubeObject {
  const t = structuredClone(ds.spec?.template ?? {}) as KubeObject;
  t.metadata = { ...(t.metadata ?? {}), labels: { ...(t.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash } };
  const generation = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (generation) t.metadata.labels![TEMPLATE_GENERATION_LABEL] = generation;
  t.spec = { ...(t.spec ?? {}) };
  t.spec.tolerations = addOrUpdateTolerations(t.spec.tolerations, daemonPodTolerations(!!t.spec.hostNetwork));
  return t;
}

/** Creates pods for `nodesNeeding` and deletes `toDelete`, under expectations. */
export async function syncNodes(key: string, ds: KubeObject, toDelete: KubeObject[], nodesNeeding: string[], hash: string, deps: DaemonSetDeps): Promise<void> {
  if (!toDelete.length && !nodesNeeding.length) return;
  const creates = nodesNeeding.slice(0, BURST_REPLICAS);
  const deletes = toDelete.slice(0, BURST_REPLICAS);
  deps.expectations.expect(key, creates.length, deletes.map((p) => p.metadata.uid!));
  const template = daemonPodTemplate(ds, hash);
  const pc = { client: deps.client, recorder: deps.recorder };
  const errors: unknown[] = [];
  let attempted = 0;
  const { error } = await slowStartBatch(creates.length, async (i) => {
    attempted++;
    const pod = podFromTemplate(template, ds, GVK.DaemonSet);
    pod.spec.affinity = withNodeNameAffinity(pod.spec.affinity, creates[i]!);
    try {
      await createPod(pc, ds, pod);
    } catch (err) {
      deps.expectations.creationFailed(key);
      if (!isNamespaceTerminating(err)) throw err;
    }
  });
  if (error) {
    errors.push(error);
    // Creates never attempted will never be observed either.
    for (let i = attempted; i < creates.length; i++) deps.expectations.creationFailed(key);
  }
  await Promise.all(
    deletes.map(async (pod) => {
      // A bound pod on a vanished node has no kubelet to finish it: delete it at once.
      const gone = !deps.nodes.get(pod.spec?.nodeName ?? targetNodeName(pod) ?? '');
      try {
        const deleted = await deletePod(pc, ds, pod, gone ? { gracePeriodSeconds: 0 } : {});
        if (!deleted) deps.expectations.deletionObserved(key, pod.metadata.uid);
      } catch (err) {
        deps.expectations.deletionFailed(key, pod.metadata.uid);
        errors.push(err);
      }
    }),
  );
  if (errors.length) throw errors[0];
}

async function updateStatus(ds: KubeObject, nodes: KubeObject[], nodeToPods: NodeToPods, hash: string, observed: boolean, deps: DaemonSetDeps, result: SyncResult): Promise<void> {
  const now = deps.now();
  const minReady = ds.spec?.minReadySeconds ?? 0;
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  for (const node of nodes) {
    const pods = nodeToPods.get(node.metadata.name!) ?? [];
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) {
      if (pods.length) misscheduled++;
      continue;
    }
    desired++;
    if (!pods.length) continue;
    current++;
    const pod = [...pods].sort(byScheduledThenCreation)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
    if (isPodUpdated(ds, pod, hash)) updated++;
  }
  const counts: Record<string, number> = {
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    numberUnavailable: desired - available,
    updatedNumberScheduled: updated,
    observedGeneration: observed ? (ds.metadata.generation ?? 0) : (ds.status?.observedGeneration ?? 0),
  };
  if (minReady > 0 && ready !== available) requeueAfter(result, minReady * 1000);
  const old = ds.status ?? {};
  if (Object.entries(counts).every(([k, v]) => (old[k] ?? 0) === v)) return;
  const status = { ...old, ...counts };
  if (!status.numberUnavailable) delete status.numberUnavailable;
  try {
    await deps.client.update(R.daemonsets, { ...ds, status }, 'status');
  } catch (err) {
    // As storeDaemonSetStatus does: on a conflict, retry once against a fresh read.
    if (!isApiError(err) || err.code !== 409) throw err;
    const fresh = await deps.client.get(R.daemonsets, ds.metadata.namespace, ds.metadata.name!);
    await deps.client.update(R.daemonsets, { ...fresh, status: { ...(fresh.status ?? {}), ...status } }, 'status');
  }
}

export function requeueAfter(result: SyncResult, ms: number): void {
  result.requeueAfterMs = result.requeueAfterMs === undefined ? ms : Math.min(result.requeueAfterMs, ms);
}
