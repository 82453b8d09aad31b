// A StatefulSet pod's identity (pkg/controller/statefulset/stateful_set_utils.go): the
// name <set>-<ordinal>, its labels, hostname and subdomain, the claims from the
// volumeClaimTemplates named <template>-<set>-<ordinal>, and its revision.
import { GVK } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { isPodAvailable, isPodReady, podFromTemplate } from '../daemonset/podutil.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const REVISION_LABEL = 'controller-revision-hash';

const STATEFUL_POD = /^(.*)-([0-9]+)$/;

/** The parent set's name and the ordinal in a pod's name; ordinal -1 if it has none. */
export function parentAndOrdinal(pod: KubeObject): { parent: string; ordinal: number } {
  const m = STATEFUL_POD.exec(pod.metadata.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number.parseInt(m[2]!, 10);
  return { parent: m[1]!, ordinal: n <= 2147483647 ? n : -1 };
}

export function ordinalOf(pod: KubeObject): number {
  return parentAndOrdinal(pod).ordinal;
}

export function isMemberOf(set: KubeObject, pod: KubeObject): boolean {
  return parentAndOrdinal(pod).parent === set.metadata.name;
}

export function startOrdinal(set: KubeObject): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function replicaCount(set: KubeObject): number {
  return set.spec?.replicas ?? 1;
}

export function podInOrdinalRange(pod: KubeObject, set: KubeObject): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o < startOrdinal(set) + replicaCount(set);
}

export function podName(set: KubeObject, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function claimName(set: KubeObject, template: KubeObject, ordinal: number): string {
  return `${template.metadata.name}-${set.metadata.name}-${ordinal}`;
}

/** The claims a pod of the set uses, keyed by template (volume) name. */
export function claimsFor(set: KubeObject, ordinal: number): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const t of (set.spec?.volumeClaimTemplates ?? []) as KubeObject[]) {
    const claim = structuredClone(t);
    delete claim.status;
    claim.apiVersion = 'v1';
    claim.kind = 'PersistentVolumeClaim';
    claim.metadata = {
      ...(claim.metadata ?? {}),
      name: claimName(set, t, ordinal),
      namespace: set.metadata.namespace,
      labels: { ...(claim.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) },
    };
    out.set(t.metadata.name!, claim);
  }
  return out;
}

export function identityMatches(set: KubeObject, pod: KubeObject): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  const labels = pod.metadata.labels ?? {};
  return (
    ordinal >= 0 &&
    parent === set.metadata.name &&
    pod.metadata.namespace === set.metadata.namespace &&
    labels[POD_NAME_LABEL] === pod.metadata.name &&
    labels[POD_INDEX_LABEL] === String(ordinal)
  );
}

export function storageMatches(set: KubeObject, pod: KubeObject): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map(((pod.spec?.volumes ?? []) as { name: string; persistentVolumeClaim?: { claimName?: string } }[]).map((v) => [v.name, v]));
  for (const [name, claim] of claimsFor(set, ordinal)) {
    if (volumes.get(name)?.persistentVolumeClaim?.claimName !== claim.metadata.name) return false;
  }
  return true;
}

/** updateIdentity: the labels that name the pod and its index (mutates pod). */
export function updateIdentity(set: KubeObject, pod: KubeObject): void {
  const ordinal = ordinalOf(pod);
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata.namespace;
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [POD_NAME_LABEL]: pod.metadata.name, [POD_INDEX_LABEL]: String(ordinal) };
}

/** updateStorage: volumes named after the claim templates point at this pod's claims (mutates pod). */
export function updateStorage(set: KubeObject, pod: KubeObject): void {
  const claims = claimsFor(set, ordinalOf(pod));
  const volumes = [...claims].map(([name, c]) => ({ name, persistentVolumeClaim: { claimName: c.metadata.name } }));
  for (const v of (pod.spec?.volumes ?? []) as { name: string }[]) if (!claims.has(v.name)) volumes.push(v as never);
  pod.spec = { ...(pod.spec ?? {}), volumes };
  if (!volumes.length) delete pod.spec.volumes;
}

/** A new pod for the set at `ordinal` (not yet created: it has no status). */
export function newStatefulSetPod(set: KubeObject, ordinal: number): KubeObject {
  const pod = podFromTemplate(set.spec?.template, set, GVK.StatefulSet);
  delete pod.metadata.generateName;
  pod.metadata.name = podName(set, ordinal);
  updateIdentity(set, pod);
  // Set only on creation: they are immutable afterwards.
  pod.spec.hostname = pod.metadata.name;
  if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  updateStorage(set, pod);
  return pod;
}

export function podRevision(pod: KubeObject): string {
  return pod.metadata.labels?.[REVISION_LABEL] ?? '';
}

export interface Revisions {
  currentSet: KubeObject;
  updateSet: KubeObject;
  currentRevision: string;
  updateRevision: string;
}

/** newVersionedStatefulSetPod: below the partition, pods are made at the current revision. */
export function newVersionedPod(r: Revisions, ordinal: number): KubeObject {
  const s = r.currentSet;
  const ru = s.spec?.updateStrategy?.rollingUpdate;
  const rolling = (s.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const belowPartition = rolling && (ru ? ordinal < startOrdinal(s) + (ru.partition ?? 0) : ordinal < startOrdinal(s) + (s.status?.currentReplicas ?? 0));
  // Without the current revision's template (see revision.ts) the pod is made at the update revision.
  const current = belowPartition && r.currentSet !== r.updateSet;
  const pod = newStatefulSetPod(current ? r.currentSet : r.updateSet, ordinal);
  pod.metadata.labels![REVISION_LABEL] = current ? r.currentRevision : r.updateRevision;
  return pod;
}

export function isCreated(pod: KubeObject): boolean {
  return !!pod.status?.phase || !!pod.metadata.uid;
}

export function isTerminating(pod: KubeObject): boolean {
  return !!pod.metadata.deletionTimestamp;
}

export function isRunningAndReady(pod: KubeObject): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

export function isRunningAndAvailable(pod: KubeObject, minReadySeconds: number, now: Date): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
}

export function isHealthy(pod: KubeObject): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}

/** Not available for minReadySeconds, or terminating. */
export function isUnavailable(pod: KubeObject, minReadySeconds: number, now: Date): boolean {
  return !isPodAvailable(pod, minReadySeconds, now) || isTerminating(pod);
}
