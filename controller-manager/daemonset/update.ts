// The DaemonSet rolling update (pkg/controller/daemon/update.go rollingUpdate). Without
// surge: delete old pods, at most maxUnavailable nodes unavailable at once (an old pod that
// is already unavailable may always be replaced); the manage step then creates the new pod.
// With maxSurge: create the new pod beside the old one on up to maxSurge nodes, and delete
// the old pod once the new one is available.
import type { KubeObject } from '../../shared/types.js';
import { nodeShouldRunDaemonPod } from './nodes.js';
import { isPodAvailable } from './podutil.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** Pods grouped by the node they run on or are meant for. */
export type NodeToPods = Map<string, KubeObject[]>;

/** util.IsPodUpdated: the pod carries the current hash (or the current template generation). */
export function isPodUpdated(ds: KubeObject, pod: KubeObject, hash: string): boolean {
  const gen = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  const labels = pod.metadata.labels ?? {};
  return labels[REVISION_HASH_LABEL] === hash || (!!gen && labels[TEMPLATE_GENERATION_LABEL] === gen);
}

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.parseInt(v, 10) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

function rolling(ds: KubeObject): { maxUnavailable?: number | string; maxSurge?: number | string } | undefined {
  const s = ds.spec?.updateStrategy;
  if (s?.type !== undefined && s.type !== 'RollingUpdate') return undefined;
  return s?.rollingUpdate ?? { maxUnavailable: 1 };
}

export function allowsSurge(ds: KubeObject): boolean {
  return scaledValue(rolling(ds)?.maxSurge, 1, true) !== 0;
}

/** The pod at the current hash and the one at an older hash on a node; ok=false if more than one of either. */
function updatedPodsOnNode(ds: KubeObject, pods: KubeObject[], hash: string): { newPod?: KubeObject; oldPod?: KubeObject; ok: boolean } {
  let newPod: KubeObject | undefined;
  let oldPod: KubeObject | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    if (isPodUpdated(ds, pod, hash)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { newPod, oldPod, ok: true };
}

export function rollingUpdate(ds: KubeObject, nodes: KubeObject[], nodeToPods: NodeToPods, hash: string, now: Date): { toDelete: KubeObject[]; toCreate: string[] } {
  const ru = rolling(ds);
  if (!ru) return { toDelete: [], toCreate: [] };
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const byNode = new Map(nodeToPods);
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
    desired++;
    if (!byNode.has(node.metadata.name!)) byNode.set(node.metadata.name!, []);
  }
  let maxUnavailable = scaledValue(ru.maxUnavailable, desired, true);
  const maxSurge = scaledValue(ru.maxSurge, desired, true);
  // An impossible configuration (both zero) falls back to one unavailable, as Kubernetes does.
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowed: KubeObject[] = [];
    const candidates: KubeObject[] = [];
    for (const pods of byNode.values()) {
      const { newPod, oldPod, ok } = updatedPodsOnNode(ds, pods, hash);
      if (!ok || (!oldPod && !newPod) || (oldPod && newPod)) {
        // The manage step creates or deletes here; count the node as unavailable.
        numUnavailable++;
      } else if (newPod) {
        if (!isPodAvailable(newPod, minReady, now)) numUnavailable++;
      } else if (!isPodAvailable(oldPod!, minReady, now)) {
        allowed.push(oldPod!);
        numUnavailable++;
      } else if (numUnavailable < maxUnavailable) {
        candidates.push(oldPod!);
      }
    }
    const remaining = Math.min(Math.max(maxUnavailable - numUnavailable, 0), candidates.length);
    return { toDelete: [...allowed, ...candidates.slice(0, remaining)], toCreate: [] };
  }

  const toDelete: KubeObject[] = [];
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  let numSurge = 0;
  const nodesByName = new Map(nodes.map((n) => [n.metadata.name!, n]));
  for (const [nodeName, pods] of byNode) {
    const { newPod, oldPod, ok } = updatedPodsOnNode(ds, pods, hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (isPodAvailable(oldPod, minReady, now)) candidateNew.push(nodeName);
      else {
        const node = nodesByName.get(nodeName);
        // An unavailable old pod on a node it no longer belongs on is simply removed.
        if (!node || !nodeShouldRunDaemonPod(node, ds).shouldRun) toDelete.push(oldPod);
        else allowedNew.push(nodeName);
      }
    } else if (!isPodAvailable(newPod, minReady, now)) {
      numSurge++;
    } else toDelete.push(oldPod);
  }
  const remainingSurge = Math.min(Math.max(maxSurge - numSurge, 0), candidateNew.length);
  return { toDelete, toCreate: [...allowedNew, ...candidateNew.slice(0, remainingSurge)] };
}
