// ReplicaSet reconcile (pkg/controller/replicaset syncReplicaSet/manageReplicas): claim
// the matching active pods, create or delete pods toward spec.replicas unless earlier
// creates/deletes are still unobserved (expectations), then write status.
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { GVK, R } from '../../shared/resources.js';
import { fromMetaSelector, matchesLabels, type LabelSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { claimObjects, recheckDeletionTimestamp } from './claim.js';
import type { UIDTrackingControllerExpectations } from './expectations.js';
import { isNamespaceTerminating, type PodControl, SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from './pod-control.js';
import { filterActivePods, getControllerOf, newControllerRef, podKey } from './podutil.js';
import { getPodsToDelete } from './ranking.js';
import { calculateStatus, updateReplicaSetStatus } from './status.js';

export type ApiClient = Pick<Client, 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete'>;

/** At most this many creates or deletes per sync (Kubernetes' BurstReplicas). */
export const BURST_REPLICAS = 500;

export interface ReplicaSetSyncDeps {
  client: ApiClient;
  podControl: PodControl;
  expectations: UIDTrackingControllerExpectations;
  /** Lister reads from the informer caches; the objects must not be mutated. */
  getReplicaSet(key: string): KubeObject | undefined;
  listReplicaSets(namespace: string): KubeObject[];
  listPods(namespace: string): KubeObject[];
  enqueueAfter(key: string, ms: number): void;
  now(): Date;
  log: Logger;
  burstReplicas?: number;
}

/** The selector of a ReplicaSet; a missing selector selects nothing. */
export function replicaSetSelector(rs: KubeObject): ((labels: Record<string, string> | undefined) => boolean) {
  if (!rs.spec?.selector) return () => false;
  const sel: LabelSelector = fromMetaSelector(rs.spec.selector);
  return (labels) => matchesLabels(sel, labels);
}

export async function syncReplicaSet(key: string, deps: ReplicaSetSyncDeps): Promise<void> {
  const rs = deps.getReplicaSet(key);
  if (!rs) {
    deps.expectations.delete(key);
    return;
  }
  const needsSync = deps.expectations.satisfied(key);
  const matches = replicaSetSelector(rs);
  const namespace = rs.metadata.namespace!;
  const active = filterActivePods(deps.listPods(namespace));
  const { claimed, error } = await claimObjects(active, {
    client: deps.client,
    resource: R.pods,
    controller: rs,
    controllerRef: newControllerRef(rs, GVK.ReplicaSet),
    match: (pod) => matches(pod.metadata.labels),
    canAdopt: recheckDeletionTimestamp(() => deps.client.get(R.replicasets, namespace, rs.metadata.name!), rs),
  });
  if (error) throw error;

  let manageErr: unknown;
  if (needsSync && !rs.metadata.deletionTimestamp) {
    try {
      await manageReplicas(key, rs, claimed, deps);
    } catch (err) {
      manageErr = err;
    }
  }

  const status = calculateStatus(rs, claimed, manageErr, deps.now());
  let updated: KubeObject;
  try {
    updated = await updateReplicaSetStatus(deps.client, rs, status);
  } catch (err) {
    if (isApiError(err) && err.code === 404) return; // deleted meanwhile: its delete event ends the story
    throw err;
  }
  const replicas: number = updated.spec?.replicas ?? 1;
  const minReadySeconds: number = updated.spec?.minReadySeconds ?? 0;
  if (!manageErr && minReadySeconds > 0 && (updated.status?.readyReplicas ?? 0) === replicas && (updated.status?.availableReplicas ?? 0) !== replicas) {
    // Pods become available by the passing of time, which no event announces.
    deps.enqueueAfter(key, minReadySeconds * 1000);
  }
  if (manageErr) {
    // An invalid pod template stays invalid until the ReplicaSet changes, which requeues it.
    if (isApiError(manageErr) && manageErr.code === 422) {
      deps.log.info({ key, err: manageErr.message }, 'pod template rejected as invalid; waiting for the ReplicaSet to change');
      return;
    }
    throw manageErr;
  }
}

/** Creates or deletes pods so that `pods` (the claimed active ones) number spec.replicas. */
async function manageReplicas(key: string, rs: KubeObject, pods: KubeObject[], deps: ReplicaSetSyncDeps): Promise<void> {
  const burst = deps.burstReplicas ?? BURST_REPLICAS;
  const diff = pods.length - (rs.spec?.replicas ?? 1);
  if (diff < 0) {
    const count = Math.min(-diff, burst);
    // Record the creates before issuing any: their watch events may come back before
    // the calls return, and a sync in between must not create them again.
    deps.expectations.expectCreations(key, count);
    deps.log.debug({ key, need: count }, 'too few replicas; creating');
    const ref = newControllerRef(rs, GVK.ReplicaSet);
    const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      try {
        await deps.podControl.createPod(rs.spec.template, rs, ref);
      } catch (err) {
        if (isNamespaceTerminating(err)) return; // every create would fail; the namespace is going away
        throw err;
      }
    });
    // Creates that failed or were never attempted will never be observed.
    for (let i = successes; i < count; i++) deps.expectations.creationObserved(key);
    if (error) throw error;
    return;
  }
  if (diff > 0) {
    const count = Math.min(diff, burst);
    const victims = getPodsToDelete(pods, relatedPods(rs, deps), count, deps.now());
    deps.expectations.expectDeletions(key, victims.map(podKey));
    deps.log.debug({ key, delete: count }, 'too many replicas; deleting');
    const results = await Promise.allSettled(
      victims.map(async (pod) => {
        try {
          await deps.podControl.deletePod(pod, rs);
        } catch (err) {
          // The informer will not observe a delete that did not happen.
          deps.expectations.deletionObserved(key, podKey(pod));
          if (!(isApiError(err) && err.code === 404)) throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * Pods of every ReplicaSet with the same controller as `rs` (the ReplicaSets of one
 * Deployment), used to rank pods by how crowded their node is with siblings.
 */
function relatedPods(rs: KubeObject, deps: ReplicaSetSyncDeps): KubeObject[] {
  const namespace = rs.metadata.namespace!;
  const owner = getControllerOf(rs);
  const sets = owner ? deps.listReplicaSets(namespace).filter((x) => getControllerOf(x)?.uid === owner.uid) : [rs];
  const pods = deps.listPods(namespace);
  const seen = new Set<string>();
  const out: KubeObject[] = [];
  for (const set of sets) {
    const matches = replicaSetSelector(set);
    for (const pod of pods) {
      if (!matches(pod.metadata.labels) || seen.has(pod.metadata.uid!)) continue;
      seen.add(pod.metadata.uid!);
      out.push(pod);
    }
  }
  return out;
}
