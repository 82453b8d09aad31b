// The ControllerRefManager (pkg/controller/controller_ref_manager.go): a controller
// claims the children it should own. For each candidate:
//   owned by another controller          → ignore
//   owned by us, selector matches        → keep
//   owned by us, selector doesn't match  → release (patch our ownerReference out),
//                                          unless we are being deleted
//   orphan, matches, not being deleted   → adopt (patch our controllerRef in), unless
//                                          we are being deleted (checked live, once)
import type { Client, ResourceRef } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import type { KubeObject, OwnerReference } from '../../shared/types.js';
import { getControllerOf } from './podutil.js';

export type ClaimClient = Pick<Client, 'patch'>;

export interface ClaimOptions {
  client: ClaimClient;
  /** The resource of the children (pods for a ReplicaSet). */
  resource: ResourceRef;
  /** The claiming controller object, from the cache. */
  controller: KubeObject;
  controllerRef: OwnerReference;
  /** Does the child belong to this controller (selector match and any other filter)? */
  match(child: KubeObject): boolean;
  /**
   * Re-reads the controller from the apiserver before the first adoption; throws if it
   * is gone, was replaced (other UID), or is being deleted (RecheckDeletionTimestamp).
   */
  canAdopt(): Promise<void>;
}

export class ClaimError extends Error {
  constructor(readonly errors: unknown[]) {
    super(errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; '));
    this.name = 'ClaimError';
  }
}

/**
 * Returns the children this controller owns after adopting and releasing. Errors of
 * individual adoptions/releases are collected; if any occurred, the claimed list is
 * still returned along with them so the caller can act on what it owns and retry later.
 */
export async function claimObjects(children: KubeObject[], o: ClaimOptions): Promise<{ claimed: KubeObject[]; error?: ClaimError }> {
  const claimed: KubeObject[] = [];
  const errors: unknown[] = [];
  let adoptable: Promise<void> | undefined;
  const uid = o.controller.metadata.uid!;
  const beingDeleted = !!o.controller.metadata.deletionTimestamp;
  for (const child of children) {
    const ref = getControllerOf(child);
    try {
      if (ref) {
        if (ref.uid !== uid) continue;
        if (o.match(child)) {
          claimed.push(child);
          continue;
        }
        if (beingDeleted) continue;
        await ignoreNotFound(release(child, o));
        continue;
      }
      if (beingDeleted || !o.match(child) || child.metadata.deletionTimestamp) continue;
      if (child.metadata.namespace !== o.controller.metadata.namespace) continue;
      adoptable ??= o.canAdopt();
      await adoptable;
      if (await ignoreNotFound(adopt(child, o))) claimed.push(child);
    } catch (err) {
      errors.push(err);
    }
  }
  return errors.length ? { claimed, error: new ClaimError(errors) } : { claimed };
}

/** Strategic merge patch adding our controllerRef; metadata.uid is a precondition. */
function adopt(child: KubeObject, o: ClaimOptions): Promise<unknown> {
  const patch = { metadata: { ownerReferences: [o.controllerRef], uid: child.metadata.uid } };
  return o.client.patch(o.resource, child.metadata.namespace, child.metadata.name!, patch, 'strategic');
}

/** Strategic merge patch deleting our ownerReference by its uid. */
function release(child: KubeObject, o: ClaimOptions): Promise<unknown> {
  const patch = { metadata: { ownerReferences: [{ $patch: 'delete', uid: o.controller.metadata.uid }], uid: child.metadata.uid } };
  return o.client.patch(o.resource, child.metadata.namespace, child.metadata.name!, patch, 'strategic');
}

/** Resolves true on success, false if the child is gone. */
async function ignoreNotFound(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return true;
  } catch (err) {
    if (isApiError(err) && err.code === 404) return false;
    throw err;
  }
}

/** canAdopt for a controller read live through `get`. */
export function recheckDeletionTimestamp(get: () => Promise<KubeObject>, controller: KubeObject): () => Promise<void> {
  return async () => {
    const fresh = await get();
    const m = controller.metadata;
    if (fresh.metadata.uid !== m.uid) {
      throw new Error(`original ${controller.kind ?? 'controller'} ${m.namespace}/${m.name} is gone: got uid ${fresh.metadata.uid}, wanted ${m.uid}`);
    }
    if (fresh.metadata.deletionTimestamp) {
      throw new Error(`${controller.kind ?? 'controller'} ${m.namespace}/${m.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    }
  };
}
