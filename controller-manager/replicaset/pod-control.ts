// Creating and deleting a controller's pods (pkg/controller PodControl and
// slowStartBatch), each recorded as an event on the controller object.
import type { Client } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import type { EventRecorder } from '../../shared/events.js';
import { R } from '../../shared/resources.js';
import type { KubeObject, OwnerReference } from '../../shared/types.js';

export type PodClient = Pick<Client, 'create' | 'delete'>;

/** The first batch of a slow start: 1, then 2, 4, 8 … */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  spec?: unknown;
}

/** A pod for `parent` from its template: generateName "<parent>-", template labels, annotations, finalizers and spec. */
export function getPodFromTemplate(template: PodTemplateSpec, parent: KubeObject, controllerRef?: OwnerReference): KubeObject {
  const meta = template.metadata ?? {};
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${parent.metadata.name}-`,
      namespace: parent.metadata.namespace,
      labels: { ...(meta.labels ?? {}) },
    },
    spec: structuredClone(template.spec ?? {}),
  };
  if (meta.annotations && Object.keys(meta.annotations).length) pod.metadata.annotations = { ...meta.annotations };
  if (meta.finalizers?.length) pod.metadata.finalizers = [...meta.finalizers];
  if (controllerRef) pod.metadata.ownerReferences = [{ ...controllerRef }];
  return pod;
}

export class PodControl {
  constructor(
    private readonly client: PodClient,
    private readonly recorder: EventRecorder,
  ) {}

  /** Creates a pod from the template; SuccessfulCreate / FailedCreate events on `parent`. */
  async createPod(template: PodTemplateSpec, parent: KubeObject, controllerRef: OwnerReference): Promise<KubeObject> {
    const pod = getPodFromTemplate(template, parent, controllerRef);
    if (Object.keys(pod.metadata.labels ?? {}).length === 0) {
      throw new ApiError(422, 'Invalid', 'unable to create pods, no labels');
    }
    try {
      const created = await this.client.create(R.pods, parent.metadata.namespace, pod);
      this.recorder.event(parent, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      return created;
    } catch (err) {
      this.recorder.event(parent, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }

  /** Deletes the pod (its UID as precondition); SuccessfulDelete / FailedDelete on `parent`. */
  async deletePod(pod: KubeObject, parent: KubeObject): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    try {
      await this.client.delete(R.pods, namespace, name!, { preconditions: { uid } });
      this.recorder.event(parent, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) {
        this.recorder.event(parent, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
      }
      throw err;
    }
  }
}

/**
 * Calls `fn` `count` times in batches of doubling size, starting with `initialBatchSize`,
 * running each batch in parallel. Stops after the first batch with a failure, so a
 * controller that cannot create (quota, admission) fails once, not `count` times.
 * Returns how many calls succeeded and the first error.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length) return { successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { successes };
}

/** The create failed only because the namespace is terminating: nothing to do about it. */
export function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof ApiError && err.code === 403 && /because it is being terminated/.test(err.message);
}
