// The StatefulSet control loop (stateful_set_control.go updateStatefulSet): bring replicas
// x-0…x-N-1 into being and keep them healthy, remove condemned pods (ordinal ≥ N) from the
// highest ordinal down, then roll pods to the update revision from the highest ordinal
// down to the partition. Under OrderedReady each step waits for the ones before it to be
// Running and Ready; under Parallel nothing waits.
import type { EventRecorder } from '../../shared/events.js';
import type { KubeObject } from '../../shared/types.js';
import { slowStartBatch } from '../daemonset/podcontrol.js';
import {
  isCreated,
  isHealthy,
  isRunningAndAvailable,
  isRunningAndReady,
  isTerminating,
  isUnavailable,
  newVersionedPod,
  ordinalOf,
  podRevision,
  replicaCount,
  startOrdinal,
  storageMatches,
  identityMatches,
  type Revisions,
} from './identity.js';
import type { StatefulPodControl } from './podcontrol.js';

export interface ControlDeps {
  podControl: StatefulPodControl;
  recorder: EventRecorder;
  now: () => Date;
}

export interface ReplicaStatus {
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
}

/** computeReplicaStatus over the set's pods as they were at the start of the sync. */
export function replicaStatus(pods: KubeObject[], r: Revisions, minReadySeconds: number, now: Date): ReplicaStatus {
  const s: ReplicaStatus = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const pod of pods) {
    if (isCreated(pod)) s.replicas++;
    if (isRunningAndReady(pod)) {
      s.readyReplicas++;
      if (isRunningAndAvailable(pod, minReadySeconds, now)) s.availableReplicas++;
    }
    if (isCreated(pod) && !isTerminating(pod)) {
      if (podRevision(pod) === r.currentRevision) s.currentReplicas++;
      if (podRevision(pod) === r.updateRevision) s.updatedReplicas++;
    }
  }
  return s;
}

/**
 * runForAll: in order, stopping at the first step that asks to (OrderedReady) — or all at
 * once in growing batches (Parallel). A step returns true when the loop must stop here.
 */
async function runForAll(items: KubeObject[], fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < items.length; i++) if (await fn(i)) return true;
    return false;
  }
  const { error } = await slowStartBatch(items.length, async (i) => void (await fn(i)));
  if (error) throw error;
  return false;
}

/** Acts on the set's pods: creates, repairs, scales down or updates one step at a time. */
export async function updateStatefulSet(set: KubeObject, pods: KubeObject[], r: Revisions, deps: ControlDeps): Promise<void> {
  const now = deps.now();
  const minReady = set.spec?.minReadySeconds ?? 0;
  const start = startOrdinal(set);
  const count = replicaCount(set);
  const replicas: KubeObject[] = [];
  const condemned: KubeObject[] = [];
  for (const pod of pods) {
    const o = ordinalOf(pod);
    if (o >= start && o < start + count) replicas[o - start] = pod;
    else if (o >= 0) condemned.push(pod);
  }
  for (let i = 0; i < count; i++) replicas[i] ??= newVersionedPod(r, i + start);
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
  const firstUnhealthy = replicas.find((p) => isUnavailable(p, minReady, now)) ?? [...condemned].reverse().find((p) => isUnavailable(p, minReady, now));

  // A set being deleted only has its status updated.
  if (set.metadata.deletionTimestamp) return;
  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const pc = deps.podControl;

  const processReplica = async (i: number): Promise<boolean> => {
    const pod = replicas[i]!;
    // A finished pod is deleted, and made again once it is gone.
    if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
      if (!isTerminating(pod)) {
        const failed = pod.status.phase === 'Failed';
        deps.recorder.event(set, 'Warning', failed ? 'RecreatingFailedPod' : 'RecreatingTerminatedPod', `StatefulSet ${set.metadata.namespace}/${set.metadata.name} is recreating ${failed ? 'failed' : 'terminated'} Pod ${pod.metadata.name}`);
        await pc.deletePod(set, pod);
      }
      return true;
    }
    if (!isCreated(pod)) {
      // A claim still owned by the pod's previous incarnation: wait for the garbage collector.
      if (pc.podClaimIsStale(set, pod)) return true;
      await pc.createPod(set, pod);
      return monotonic;
    }
    if (pod.status?.phase === 'Pending') await pc.createMissingClaims(set, pod);
    if (isTerminating(pod) && monotonic) return true;
    // Every predecessor of a pod must be Running and Ready (and available) before it is made.
    if (!isRunningAndReady(pod) && monotonic) return true;
    if (!isRunningAndAvailable(pod, minReady, now) && monotonic) return true;
    if (identityMatches(set, pod) && storageMatches(set, pod) && pc.claimsMatchRetentionPolicy(r.updateSet, pod)) return false;
    await pc.updatePod(r.updateSet, pod);
    return false;
  };
  if (await runForAll(replicas, processReplica, monotonic)) return;

  // Condemned pods' claims take the pod as owner first when the policy deletes them on scale-down.
  const fixClaims = async (i: number) => {
    if (!pc.claimsMatchRetentionPolicy(r.updateSet, condemned[i]!)) await pc.updateClaimsForRetentionPolicy(r.updateSet, condemned[i]!);
    return false;
  };
  if (await runForAll(condemned, fixClaims, monotonic)) return;

  // Scale down from the highest ordinal, one at a time under OrderedReady, each waiting for
  // the previous to be gone, and only while all the others are healthy.
  const processCondemned = async (i: number): Promise<boolean> => {
    const pod = condemned[i]!;
    if (isTerminating(pod)) return monotonic;
    if (monotonic && pod !== firstUnhealthy && (!isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return true;
    await pc.deletePod(set, pod);
    return true;
  };
  if (await runForAll(condemned, processCondemned, monotonic)) return;

  if (set.spec?.updateStrategy?.type === 'OnDelete') return;
  // Rolling update: delete the highest-ordinal pod not at the update revision, down to the
  // partition, waiting for each replacement to be healthy.
  const partition = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let target = replicas.length - 1; target >= partition; target--) {
    const pod = replicas[target]!;
    if (podRevision(pod) !== r.updateRevision && !isTerminating(pod)) {
      await pc.deletePod(set, pod);
      return;
    }
    if (!isHealthy(pod)) return;
  }
}
