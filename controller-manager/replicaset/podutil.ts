// Pod helpers the workload controllers share (k8s.io/kubernetes/pkg/api/v1/pod and
// pkg/controller): activeness, readiness, availability, controller references.
import type { KubeObject, OwnerReference } from '../../shared/types.js';

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  lastProbeTime?: string;
  reason?: string;
  message?: string;
}

/** "ns/name", the key the pod informer stores it under. */
export function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;
}

/** Neither terminal (Succeeded/Failed) nor being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function filterActivePods(pods: KubeObject[]): KubeObject[] {
  return pods.filter(isPodActive);
}

export function getPodReadyCondition(pod: KubeObject): PodCondition | undefined {
  return (pod.status?.conditions as PodCondition[] | undefined)?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: KubeObject): boolean {
  return getPodReadyCondition(pod)?.status === 'True';
}

/**
 * Ready for at least minReadySeconds: the Ready condition's lastTransitionTime plus
 * minReadySeconds is before now.
 */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: Date): boolean {
  const c = getPodReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const t = parseTime(c.lastTransitionTime);
  return t !== undefined && t + minReadySeconds * 1000 < now.getTime();
}

/** Milliseconds since the epoch, or undefined for an absent or unparsable timestamp. */
export function parseTime(ts: string | null | undefined): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/** The reference with controller: true, if any. */
export function getControllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** The group of an apiVersion: "apps" for "apps/v1", "" for "v1". */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** A controller reference to `owner` as controllers write it into their children. */
export function newControllerRef(owner: KubeObject, gvk: { apiVersion: string; kind: string }): OwnerReference {
  return { apiVersion: gvk.apiVersion, kind: gvk.kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}
