// Housekeeping of what the kubelet finds in Docker (restart safety): nothing is recreated
// on start-up — each pod's sync reads its containers back from their labels — but
// containers of this node whose pod no longer exists are stopped and removed, as the
// kubelet's HandlePodCleanups and container GC do.
import type { Logger } from 'pino';
import { NODE_LABEL } from './container-spec.js';
import { CONTAINER_TYPE_SANDBOX, LABELS, type ContainerRuntime } from './runtime/runtime.js';

/** Grace given to the processes of a pod that is gone (kubelet's minimumGracePeriodInSeconds). */
export const ORPHAN_GRACE_SECONDS = 2;

/**
 * Removes the containers of pods that are not in `known` (pod uids bound to this node).
 * Returns the pod keys (namespace/name) whose containers were removed.
 */
export async function removeOrphans(runtime: ContainerRuntime, nodeName: string, known: Set<string>, log: Logger): Promise<string[]> {
  const all = await runtime.list({ [NODE_LABEL]: nodeName });
  const orphans = all.filter((c) => !known.has(c.labels[LABELS.podUid] ?? ''));
  if (!orphans.length) return [];
  const keys = [...new Set(orphans.map((c) => `${c.labels[LABELS.podNamespace]}/${c.labels[LABELS.podName]}`))];
  log.info({ pods: keys, containers: orphans.length }, 'removing containers of pods that no longer exist');
  const sandbox = (t?: string) => t === CONTAINER_TYPE_SANDBOX;
  const running = orphans.filter((c) => c.state === 'running');
  await Promise.all(running.filter((c) => !sandbox(c.labels[LABELS.type])).map((c) => runtime.stop(c.id, ORPHAN_GRACE_SECONDS)));
  await Promise.all(orphans.map((c) => runtime.remove(c.id)));
  return keys;
}
