// The writes of the garbage collector, each guarded so it never touches a different
// object that happens to carry the same name: deletes carry a UID (and resourceVersion)
// precondition, patches carry metadata.uid, finalizer removal carries the resourceVersion.
import { isDeepStrictEqual } from 'node:util';
import type { Client, ResourceRef } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';

export type GCClient = Pick<Client, 'get' | 'patch' | 'delete'>;

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

const is = (err: unknown, code: number) => isApiError(err) && err.code === code;

/**
 * Deletes `latest` (as read just before) with the given propagation. If it changed since
 * (resourceVersion conflict) but still has the same owners, deletes it anyway by UID;
 * if its owners changed, throws so the caller looks at it again.
 */
export async function deleteObject(client: GCClient, ref: ResourceRef, latest: KubeObject, policy: PropagationPolicy): Promise<void> {
  const { namespace, name, uid, resourceVersion } = latest.metadata;
  const options = (preconditions: Record<string, string | undefined>) => ({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy, preconditions });
  try {
    await client.delete(ref, namespace, name!, options({ uid, resourceVersion }));
    return;
  } catch (err) {
    if (is(err, 404)) return;
    if (!is(err, 409) || !resourceVersion) throw err;
    let live: KubeObject;
    try {
      live = await client.get(ref, namespace, name!);
    } catch (getErr) {
      if (is(getErr, 404)) return;
      throw getErr;
    }
    if (live.metadata.uid !== uid) return; // ours is gone; this is another object
    if (!isDeepStrictEqual(live.metadata.ownerReferences ?? [], latest.metadata.ownerReferences ?? [])) throw err;
  }
  try {
    await client.delete(ref, namespace, name!, options({ uid }));
  } catch (err) {
    if (!is(err, 404)) throw err;
  }
}

/** Strategic merge patch removing the references to `ownerUIDs`; a vanished object is fine. */
export async function removeOwnerReferences(client: GCClient, ref: ResourceRef, obj: KubeObject, ownerUIDs: string[]): Promise<void> {
  const patch = { metadata: { ownerReferences: ownerUIDs.map((uid) => ({ $patch: 'delete', uid })), uid: obj.metadata.uid } };
  try {
    await client.patch(ref, obj.metadata.namespace, obj.metadata.name!, patch, 'strategic');
  } catch (err) {
    if (!is(err, 404)) throw err;
  }
}

/** Sets blockOwnerDeletion: false on every blocking reference of `obj` (breaks foreground cycles). */
export async function unblockOwnerReferences(client: GCClient, ref: ResourceRef, obj: KubeObject): Promise<void> {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.blockOwnerDeletion === true).map((r) => ({ uid: r.uid, blockOwnerDeletion: false }));
  if (!refs.length) return;
  await client.patch(ref, obj.metadata.namespace, obj.metadata.name!, { metadata: { ownerReferences: refs, uid: obj.metadata.uid } }, 'strategic');
}

const FINALIZER_RETRIES = 5;

/**
 * Removes `finalizer` from the object, re-reading it on conflicts. The apiserver removes
 * an object being deleted once its last finalizer is gone.
 */
export async function removeFinalizer(client: GCClient, ref: ResourceRef, obj: KubeObject, finalizer: string): Promise<void> {
  const { namespace, name, uid } = obj.metadata;
  let cur = obj;
  for (let attempt = 0; ; attempt++) {
    if (cur.metadata.uid !== uid || !cur.metadata.finalizers?.includes(finalizer)) return;
    const finalizers = cur.metadata.finalizers.filter((f) => f !== finalizer);
    try {
      await client.patch(ref, namespace, name!, { metadata: { finalizers, resourceVersion: cur.metadata.resourceVersion, uid } }, 'merge');
      return;
    } catch (err) {
      if (is(err, 404)) return;
      if (!is(err, 409) || attempt >= FINALIZER_RETRIES) throw err;
    }
    try {
      cur = await client.get(ref, namespace, name!);
    } catch (err) {
      if (is(err, 404)) return;
      throw err;
    }
  }
}
