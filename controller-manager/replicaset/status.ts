// ReplicaSet status (pkg/controller/replicaset/replica_set_utils.go): counts from the
// claimed active pods, the ReplicaFailure condition, written through the status
// subresource only when something changed.
import { isDeepStrictEqual } from 'node:util';
import type { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import { matchesLabels } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { isPodAvailable, isPodReady } from './podutil.js';

export type StatusClient = Pick<Client, 'get' | 'update'>;

export interface ReplicaSetCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
  [key: string]: unknown;
}

export const REPLICA_FAILURE = 'ReplicaFailure';

/** metav1.Time as the apiserver writes it: RFC 3339 in seconds. */
export function metaTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The status the pods call for. `manageReplicasErr` sets ReplicaFailure (FailedCreate when
 * short of pods, FailedDelete when over); a sync without error clears it.
 */
export function calculateStatus(rs: KubeObject, pods: KubeObject[], manageReplicasErr: unknown, now: Date): ReplicaSetStatus {
  const status: ReplicaSetStatus = { ...(structuredClone(rs.status ?? {}) as ReplicaSetStatus) };
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const templateSelector = Object.entries(templateLabels).map(([key, v]) => ({ key, op: '=' as const, values: [v as string] }));
  const minReadySeconds: number = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (matchesLabels(templateSelector, pod.metadata.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  const failure = status.conditions?.find((c) => c.type === REPLICA_FAILURE);
  if (manageReplicasErr && !failure) {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const message = manageReplicasErr instanceof Error ? manageReplicasErr.message : String(manageReplicasErr);
    status.conditions = [...(status.conditions ?? []), { type: REPLICA_FAILURE, status: 'True', lastTransitionTime: metaTime(now), reason, message }];
  } else if (!manageReplicasErr && failure) {
    status.conditions = status.conditions!.filter((c) => c.type !== REPLICA_FAILURE);
    if (status.conditions.length === 0) delete status.conditions;
  }
  status.replicas = pods.length;
  status.fullyLabeledReplicas = fullyLabeled;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  return status;
}

/** Has anything the status subresource would show changed (including observedGeneration)? */
export function statusChanged(rs: KubeObject, next: ReplicaSetStatus): boolean {
  const cur: Partial<ReplicaSetStatus> = rs.status ?? {};
  const n = (v: number | undefined) => v ?? 0;
  return (
    n(cur.replicas) !== n(next.replicas) ||
    n(cur.fullyLabeledReplicas) !== n(next.fullyLabeledReplicas) ||
    n(cur.readyReplicas) !== n(next.readyReplicas) ||
    n(cur.availableReplicas) !== n(next.availableReplicas) ||
    n(cur.observedGeneration) !== n(rs.metadata.generation) ||
    !isDeepStrictEqual(cur.conditions ?? [], next.conditions ?? [])
  );
}

/** Retries after a conflict, with the ReplicaSet read again. */
const STATUS_UPDATE_RETRIES = 1;

/**
 * PUTs the status subresource when it changed; returns the ReplicaSet as written (or
 * the input unchanged). The cached object is never mutated.
 */
export async function updateReplicaSetStatus(client: StatusClient, rs: KubeObject, next: ReplicaSetStatus): Promise<KubeObject> {
  if (!statusChanged(rs, next)) return rs;
  const status = { ...next, observedGeneration: rs.metadata.generation };
  let cur = rs;
  for (let i = 0; ; i++) {
    try {
      return await client.update(R.replicasets, { ...cur, status }, 'status');
    } catch (err) {
      if (i >= STATUS_UPDATE_RETRIES) throw err;
      cur = await client.get(R.replicasets, rs.metadata.namespace, rs.metadata.name!);
      if (cur.metadata.uid !== rs.metadata.uid) throw err;
    }
  }
}
