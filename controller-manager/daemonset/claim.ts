// Claiming pods (pkg/controller's PodControllerRefManager): the four-row table.
//   owned by another controller            → ignore
//   ours and matching the selector         → keep
//   ours and no longer matching            → release (remove our controller ref)
//   orphan, matching, neither being deleted → adopt (add our controller ref)
// Adoption first re-reads the owner from the apiserver (canAdopt), so that a controller
// whose cached owner is stale never adopts pods for an owner that is already gone.
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import { matchesLabels, type LabelSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { controllerRefOf, newControllerRef } from './podutil.js';

export type PodWriter = Pick<Client, 'get' | 'create' | 'delete' | 'patch' | 'update'>;

export interface ClaimOptions {
  owner: KubeObject;
  gvk: { apiVersion: string; kind: string };
  selector: LabelSelector;
  client: PodWriter;
  /** Confirms, from the apiserver, that the owner still exists with this uid and is not being deleted. */
  canAdopt: () => Promise<boolean>;
  /** Extra condition a pod must meet to be ours (the StatefulSet's name/ordinal check). */
  filter?: (pod: KubeObject) => boolean;
  /** Finalizers an adopted pod gets (the Job's tracking finalizer). */
  finalizers?: string[];
}

/** Returns the pods that belong to the owner after adopting and releasing as needed. */
export async function claimPods(pods: KubeObject[], o: ClaimOptions): Promise<KubeObject[]> {
  const claimed: KubeObject[] = [];
  const ownerUID = o.owner.metadata.uid;
  const deleting = !!o.owner.metadata.deletionTimestamp;
  const match = (p: KubeObject) => matchesLabels(o.selector, p.metadata.labels) && (o.filter?.(p) ?? true);
  let adoptable: boolean | undefined;
  const errors: unknown[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== o.owner.metadata.namespace) continue;
    const ref = controllerRefOf(pod);
    if (ref) {
      if (ref.uid !== ownerUID) continue;
      if (match(pod)) {
        claimed.push(pod);
        continue;
      }
      if (deleting) continue;
      await ignoreNotFound(release(pod, o), errors);
      continue;
    }
    if (deleting || !match(pod) || pod.metadata.deletionTimestamp) continue;
    adoptable ??= await o.canAdopt();
    if (!adoptable) continue;
    const adopted = await ignoreNotFound(adopt(pod, o), errors);
    if (adopted) claimed.push(adopted);
  }
  if (errors.length) throw errors[0];
  return claimed;
}

function adopt(pod: KubeObject, o: ClaimOptions): Promise<KubeObject> {
  const refs = [...(pod.metadata.ownerReferences ?? []), newControllerRef(o.owner, o.gvk)];
  const metadata: Record<string, unknown> = { ownerReferences: refs, uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion };
  const missing = (o.finalizers ?? []).filter((f) => !pod.metadata.finalizers?.includes(f));
  if (missing.length) metadata.finalizers = [...(pod.metadata.finalizers ?? []), ...missing];
  return o.client.patch(R.pods, pod.metadata.namespace, pod.metadata.name!, { metadata });
}

function release(pod: KubeObject, o: ClaimOptions): Promise<KubeObject> {
  const refs = (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== o.owner.metadata.uid);
  return o.client.patch(R.pods, pod.metadata.namespace, pod.metadata.name!, {
    metadata: { ownerReferences: refs.length ? refs : null, uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion },
  });
}

async function ignoreNotFound<T>(p: Promise<T>, errors: unknown[]): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isApiError(err) && err.code === 404) return undefined;
    errors.push(err);
    return undefined;
  }
}

/** The canAdopt check (controller.RecheckDeletionTimestamp) against a fresh GET of the owner. */
export function recheckOwner(client: Pick<Client, 'get'>, r: Parameters<Client['get']>[0], owner: KubeObject): () => Promise<boolean> {
  return async () => {
    try {
      const fresh = await client.get(r, owner.metadata.namespace, owner.metadata.name!);
      return fresh.metadata.uid === owner.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (err) {
      if (isApiError(err) && err.code === 404) return false;
      throw err;
    }
  };
}
