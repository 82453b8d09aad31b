// Taint-based eviction (pkg/controller/tainteviction, the NoExecute taint manager), per
// pod: a pod on a node with a NoExecute taint it does not tolerate is deleted at once;
// one that tolerates every such taint for a limited tolerationSeconds is deleted when the
// first of them runs out, counted from the taint's timeAdded (so a restarted controller
// keeps the same deadline); tolerating forever cancels any scheduled deletion. Returns
// after how many ms the pod must be looked at again.
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import type { EventRecorder } from '../../shared/events.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { timestamp } from './health.js';
import { matchingTolerations, type Taint, type Toleration } from './taints.js';

export interface EvictionDeps {
  client: Client;
  recorder: EventRecorder;
  log: Logger;
  now: () => Date;
  getPod(key: string): KubeObject | undefined;
  getNode(name: string): KubeObject | undefined;
  /** Pods with a deletion scheduled, by key, at that time (ms): the taint manager's timed queue. */
  scheduled: Map<string, number>;
  /** When a NoExecute taint without timeAdded was first seen, by node/key/effect (ms). */
  firstSeen: Map<string, number>;
}

export function noExecuteTaints(node: KubeObject | undefined): Taint[] {
  return ((node?.spec?.taints ?? []) as Taint[]).filter((t) => t.effect === 'NoExecute');
}

/** The time the pod must be deleted at (ms), Infinity when it tolerates the taints forever. */
export function evictionTime(nodeName: string, taints: Taint[], tolerations: Toleration[], deps: Pick<EvictionDeps, 'firstSeen'>, now: number): number {
  const { allTolerated, used } = matchingTolerations(taints, tolerations);
  if (!allTolerated) return now;
  let at = Infinity;
  taints.forEach((taint, i) => {
    const seconds = used[i]!.tolerationSeconds;
    if (seconds === undefined || seconds === null) return;
    let added = Date.parse(taint.timeAdded ?? '');
    if (Number.isNaN(added)) {
      const seenKey = `${nodeName}/${taint.key}/${taint.effect}`;
      added = deps.firstSeen.get(seenKey) ?? now;
      deps.firstSeen.set(seenKey, added);
    }
    at = Math.min(at, added + Math.max(0, seconds) * 1000);
  });
  return at;
}

function cancel(key: string, pod: KubeObject | undefined, deps: EvictionDeps): void {
  if (!deps.scheduled.delete(key)) return;
  if (pod) deps.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
}

export async function reconcilePodEviction(key: string, deps: EvictionDeps): Promise<number | undefined> {
  const pod = deps.getPod(key);
  const nodeName: string | undefined = pod?.spec?.nodeName;
  const phase = pod?.status?.phase;
  // Gone, unbound, already terminating, or finished: nothing runs there to evict.
  if (!pod || !nodeName || pod.metadata.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed') {
    deps.scheduled.delete(key);
    return undefined;
  }
  const taints = noExecuteTaints(deps.getNode(nodeName));
  if (taints.length === 0) {
    cancel(key, pod, deps);
    return undefined;
  }
  const now = deps.now().getTime();
  const at = evictionTime(nodeName, taints, pod.spec?.tolerations ?? [], deps, now);
  if (at === Infinity) {
    cancel(key, pod, deps);
    return undefined;
  }
  if (at > now) {
    deps.scheduled.set(key, at);
    return at - now;
  }
  deps.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
  await deletePod(pod, now, deps);
  deps.scheduled.delete(key);
  deps.log.info({ pod: key, node: nodeName }, 'evicted pod from a NoExecute-tainted node');
  return undefined;
}

/** addConditionAndDeletePod: a DisruptionTarget condition, then a graceful delete of that very pod. */
async function deletePod(cached: KubeObject, now: number, deps: EvictionDeps): Promise<void> {
  const { namespace, name, uid } = cached.metadata;
  try {
    const pod = await deps.client.get(R.pods, namespace, name!);
    if (pod.metadata.uid !== uid || pod.metadata.deletionTimestamp) return;
    const conditions: { type: string; status: string }[] = pod.status?.conditions ?? [];
    if (!conditions.some((c) => c.type === 'DisruptionTarget' && c.status === 'True')) {
      const condition = {
        type: 'DisruptionTarget',
        status: 'True',
        lastTransitionTime: timestamp(now),
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
      };
      const next = [...conditions.filter((c) => c.type !== 'DisruptionTarget'), condition];
      await deps.client.update(R.pods, { ...pod, status: { ...pod.status, conditions: next } }, 'status');
    }
    await deps.client.delete(R.pods, namespace, name!, { preconditions: { uid } });
  } catch (err) {
    if (isApiError(err) && err.code === 404) return;
    throw err;
  }
}
