// Creating and deleting pods on behalf of an owner, with the events Kubernetes' RealPodControl
// records (SuccessfulCreate / FailedCreate, SuccessfulDelete / FailedDelete), and the
// slow-start batching its controllers use so that a failing create (quota, admission)
// costs one request rather than hundreds.
import { isApiError } from '../../shared/errors.js';
import type { EventRecorder } from '../../shared/events.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import type { PodWriter } from './claim.js';

export const SLOW_START_INITIAL_BATCH_SIZE = 1;

export interface PodControl {
  client: PodWriter;
  recorder: EventRecorder;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True for the 403 a create gets in a namespace being deleted: nothing to retry. */
export function isNamespaceTerminating(err: unknown): boolean {
  return isApiError(err) && err.code === 403 && err.message.includes('because it is being terminated');
}

export async function createPod(pc: PodControl, owner: KubeObject, pod: KubeObject): Promise<KubeObject> {
  try {
    const created = await pc.client.create(R.pods, owner.metadata.namespace, pod);
    pc.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    return created;
  } catch (err) {
    if (!isNamespaceTerminating(err)) pc.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${messageOf(err)}`);
    throw err;
  }
}

/** Deletes a pod; a pod already gone counts as deleted (returns false). */
export async function deletePod(pc: PodControl, owner: KubeObject, pod: KubeObject, options: Record<string, unknown> = {}): Promise<boolean> {
  try {
    await pc.client.delete(R.pods, pod.metadata.namespace, pod.metadata.name!, { ...options, preconditions: { uid: pod.metadata.uid } });
    pc.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    return true;
  } catch (err) {
    if (isApiError(err) && err.code === 404) return false;
    pc.recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${messageOf(err)}`);
    throw err;
  }
}

/**
 * Runs fn `count` times in batches of 1, 2, 4, … and stops after the first batch with a
 * failure. Returns how many calls succeeded and the first error.
 */
export async function slowStartBatch(count: number, fn: (i: number) => Promise<void>, initial = SLOW_START_INITIAL_BATCH_SIZE): Promise<{ successes: number; error?: unknown }> {
  let successes = 0;
  let pos = 0;
  for (let batch = Math.min(count, initial); batch > 0; batch = Math.min(2 * batch, count - pos)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, j) => fn(pos + j)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    pos += batch;
    if (failed.length) return { successes, error: failed[0]!.reason };
  }
  return { successes };
}
