// The StatefulSet sync (stateful_set.go sync): claim the set's pods, run the control loop,
// then write status — replicas, readyReplicas, availableReplicas, currentReplicas,
// updatedReplicas, the current and update revisions and observedGeneration.
import { isApiError } from '../../shared/errors.js';
import type { EventRecorder } from '../../shared/events.js';
import { GVK, R } from '../../shared/resources.js';
import { fromMetaSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { claimPods, recheckOwner, type PodWriter } from '../daemonset/claim.js';
import type { Lister } from '../daemonset/lister.js';
import { replicaStatus, updateStatefulSet, type ReplicaStatus } from './control.js';
import { isMemberOf, type Revisions } from './identity.js';
import { StatefulPodControl } from './podcontrol.js';
import { revisionsOf } from './revision.js';

export interface StatefulSetDeps {
  client: PodWriter;
  recorder: EventRecorder;
  statefulSets: Lister;
  /** Pods, with a `namespace` index. */
  pods: Lister;
  claims: Lister;
  now: () => Date;
}

export interface SyncResult {
  requeueAfterMs?: number;
}

export async function syncStatefulSet(key: string, deps: StatefulSetDeps): Promise<SyncResult> {
  const set = deps.statefulSets.get(key);
  if (!set) return {};
  const selector = fromMetaSelector(set.spec?.selector);
  // An empty selector would claim every pod in the namespace; validation forbids it.
  if (!selector.length) return {};
  const pods = await claimPods(deps.pods.byIndex('namespace', set.metadata.namespace ?? ''), {
    owner: set,
    gvk: GVK.StatefulSet,
    selector,
    client: deps.client,
    canAdopt: recheckOwner(deps.client, R.statefulsets, set),
    filter: (pod) => isMemberOf(set, pod),
  });
  const revisions = revisionsOf(set, pods);
  const minReady = set.spec?.minReadySeconds ?? 0;
  const status = replicaStatus(pods, revisions, minReady, deps.now());
  const podControl = new StatefulPodControl({ client: deps.client, recorder: deps.recorder, claims: deps.claims });
  let failure: unknown;
  try {
    await updateStatefulSet(set, pods, revisions, { podControl, recorder: deps.recorder, now: deps.now });
  } catch (err) {
    failure = err;
  }
  await writeStatus(set, status, revisions, deps);
  if (failure) throw failure;
  return minReady > 0 && status.readyReplicas !== status.availableReplicas ? { requeueAfterMs: minReady * 1000 } : {};
}

/** The status Kubernetes writes, with completeRollingUpdate applied. */
export function nextStatus(set: KubeObject, s: ReplicaStatus, r: Revisions): Record<string, unknown> {
  const status: Record<string, unknown> = {
    ...(set.status ?? {}),
    observedGeneration: set.metadata.generation ?? 0,
    ...s,
    currentRevision: r.currentRevision,
    updateRevision: r.updateRevision,
    collisionCount: set.status?.collisionCount ?? 0,
  };
  const rolling = (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  if (rolling && s.updatedReplicas === s.replicas && s.readyReplicas === s.replicas) {
    status.currentReplicas = s.updatedReplicas;
    status.currentRevision = r.updateRevision;
  }
  return status;
}

const COMPARED = ['observedGeneration', 'replicas', 'readyReplicas', 'availableReplicas', 'currentReplicas', 'updatedReplicas', 'currentRevision', 'updateRevision', 'collisionCount'];

async function writeStatus(set: KubeObject, s: ReplicaStatus, r: Revisions, deps: StatefulSetDeps): Promise<void> {
  const status = nextStatus(set, s, r);
  const old = set.status ?? {};
  if (COMPARED.every((k) => (old[k] ?? 0) === (status[k] ?? 0))) return;
  try {
    await deps.client.update(R.statefulsets, { ...set, status }, 'status');
  } catch (err) {
    // Retry once against a fresh read, as the status updater does on a conflict.
    if (!isApiError(err) || err.code !== 409) throw err;
    const fresh = await deps.client.get(R.statefulsets, set.metadata.namespace, set.metadata.name!);
    if (fresh.metadata.uid !== set.metadata.uid) return;
    await deps.client.update(R.statefulsets, { ...fresh, status: { ...(fresh.status ?? {}), ...status, observedGeneration: set.metadata.generation } }, 'status');
  }
}
