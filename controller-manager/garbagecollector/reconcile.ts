// The garbage collector's two reconcilers (pkg/controller/garbagecollector
// attemptToDeleteItem / attemptToOrphanWorker), keyed by object UID:
//  - attemptToDelete: an object whose owners may be gone (or wait for their dependents
//    in the foreground) is deleted once a live read confirms every owner is absent or
//    waiting; an owner in foreground deletion loses its finalizer once no blocking
//    dependent is left.
//  - attemptToOrphan: an owner deleted with orphan propagation has its reference
//    removed from every dependent, then loses its `orphan` finalizer.
import type { Logger } from 'pino';
import { isApiError } from '../../shared/errors.js';
import type { KubeObject, OwnerReference } from '../../shared/types.js';
import {
  describeNode,
  FINALIZER_DELETING_DEPENDENTS,
  FINALIZER_ORPHAN_DEPENDENTS,
  type GraphNode,
  hasFinalizer,
  isDeletingDependents,
  isOrphaningDependents,
  type ObjectGraph,
} from './graph.js';
import { deleteObject, type GCClient, type PropagationPolicy, removeFinalizer, removeOwnerReferences, unblockOwnerReferences } from './operations.js';
import type { ResourceMapping } from './restmapper.js';

export interface GCDeps {
  client: GCClient;
  graph: ObjectGraph;
  mapper: { resourceFor(apiVersion: string, kind: string): Promise<ResourceMapping> };
  absentOwners: AbsentOwnerCache;
  /** Enqueues a UID for attemptToDelete. */
  enqueueDelete(uid: string): void;
  log: Logger;
}

/** A cluster-scoped object cannot have a namespaced owner; retrying will not help. */
export class NamespacedOwnerOfClusterScopedError extends Error {
  override name = 'NamespacedOwnerOfClusterScopedError';
}

/** Owners known not to exist (a UID never comes back), so their many dependents cost one GET. */
export class AbsentOwnerCache {
  private readonly keys = new Map<string, true>();
  constructor(private readonly max = 500) {}
  static key(ref: OwnerReference, namespace: string | undefined): string {
    return [ref.apiVersion, ref.kind, ref.name, ref.uid, namespace ?? ''].join('|');
  }
  has(key: string): boolean {
    if (!this.keys.has(key)) return false;
    this.keys.delete(key);
    this.keys.set(key, true);
    return true;
  }
  add(key: string): void {
    this.keys.delete(key);
    this.keys.set(key, true);
    if (this.keys.size > this.max) this.keys.delete(this.keys.keys().next().value!);
  }
}

const notFound = (err: unknown) => isApiError(err) && err.code === 404;

export async function attemptToDeleteItem(uid: string, deps: GCDeps): Promise<void> {
  const node = deps.graph.find(uid);
  if (!node) return; // gone from the cache: its delete event enqueued whatever depends on it
  const cached = node.obj;
  // "Being deleted" is a one-way trip: wait for the final delete, then handle its dependents.
  if (cached.metadata.deletionTimestamp && !isDeletingDependents(cached)) return;
  if (!isDeletingDependents(cached) && allOwnersPresent(cached, deps.graph)) return;

  const { namespace, name } = cached.metadata;
  let latest: KubeObject;
  try {
    latest = await deps.client.get(node.resource.ref, namespace, name!);
  } catch (err) {
    if (notFound(err)) return;
    throw err;
  }
  if (latest.metadata.uid !== uid) return;
  if (isDeletingDependents(latest)) return processDeletingDependents({ resource: node.resource, obj: latest }, deps);
  if (latest.metadata.deletionTimestamp) return;
  const refs = latest.metadata.ownerReferences ?? [];
  if (!refs.length) return;

  const { solid, dangling, waiting } = await classifyReferences(latest, refs, deps);
  if (solid.length) {
    if (!dangling.length && !waiting.length) return;
    // Not garbage, but references to absent owners (and to owners waiting on their
    // dependents, which would otherwise wait forever) go.
    deps.log.debug({ object: describeNode(node), remove: [...dangling, ...waiting].map((r) => r.uid) }, 'removing dangling and waiting owner references');
    return removeOwnerReferences(deps.client, node.resource.ref, latest, [...dangling, ...waiting].map((r) => r.uid));
  }
  const dependents = deps.graph.dependents(uid);
  if (waiting.length && dependents.length) {
    if (dependents.some((d) => isDeletingDependents(d.obj))) {
      // A possible cycle of foreground deletions: make our own references non-blocking.
      await unblockOwnerReferences(deps.client, node.resource.ref, latest);
    }
    deps.log.info({ object: describeNode(node) }, 'owner waits for its dependents and this object has dependents: deleting in the foreground');
    return deleteObject(deps.client, node.resource.ref, latest, 'Foreground');
  }
  const policy: PropagationPolicy = hasFinalizer(latest, FINALIZER_ORPHAN_DEPENDENTS) ? 'Orphan' : hasFinalizer(latest, FINALIZER_DELETING_DEPENDENTS) ? 'Foreground' : 'Background';
  deps.log.debug({ object: describeNode(node), policy, dangling: dangling.map((r) => r.uid), waiting: waiting.map((r) => r.uid) }, 'deleting garbage: no owner keeps it');
  return deleteObject(deps.client, node.resource.ref, latest, policy);
}

/** Every owner is in the cache as that very object and none waits for its dependents. */
function allOwnersPresent(obj: KubeObject, graph: ObjectGraph): boolean {
  return (obj.metadata.ownerReferences ?? []).every((ref) => {
    const owner = graph.owner(ref);
    return owner !== undefined && !isDeletingDependents(owner.obj);
  });
}

/** An owner in foreground deletion: delete its blocking dependents, then let it go. */
async function processDeletingDependents(node: GraphNode, deps: GCDeps): Promise<void> {
  const blocking = deps.graph.blockingDependents(node.obj.metadata.uid!);
  if (!blocking.length) {
    deps.log.info({ object: describeNode(node) }, 'no blocking dependents left: removing the foregroundDeletion finalizer');
    return removeFinalizer(deps.client, node.resource.ref, node.obj, FINALIZER_DELETING_DEPENDENTS);
  }
  for (const d of blocking) if (!isDeletingDependents(d.obj)) deps.enqueueDelete(d.obj.metadata.uid!);
}

/**
 * Sorts the references, each verified against the apiserver (never the cache alone):
 * solid (owner exists), dangling (owner absent, or another object under its name),
 * waiting (owner exists and deletes its dependents in the foreground).
 */
async function classifyReferences(item: KubeObject, refs: OwnerReference[], deps: GCDeps) {
  const solid: OwnerReference[] = [];
  const dangling: OwnerReference[] = [];
  const waiting: OwnerReference[] = [];
  const namespace = item.metadata.namespace;
  for (const ref of refs) {
    if (deps.absentOwners.has(AbsentOwnerCache.key(ref, undefined)) || deps.absentOwners.has(AbsentOwnerCache.key(ref, namespace))) {
      dangling.push(ref);
      continue;
    }
    const mapping = await deps.mapper.resourceFor(ref.apiVersion, ref.kind);
    if (!namespace && mapping.namespaced) {
      throw new NamespacedOwnerOfClusterScopedError(`${item.kind ?? 'object'} ${item.metadata.name} is cluster-scoped but refers to a namespaced owner ${ref.kind} ${ref.name}`);
    }
    const ownerNamespace = mapping.namespaced ? namespace : undefined;
    let owner: KubeObject;
    try {
      owner = await deps.client.get(mapping.ref, ownerNamespace, ref.name);
    } catch (err) {
      if (!notFound(err)) throw err;
      deps.absentOwners.add(AbsentOwnerCache.key(ref, ownerNamespace));
      dangling.push(ref);
      continue;
    }
    if (owner.metadata.uid !== ref.uid) {
      deps.absentOwners.add(AbsentOwnerCache.key(ref, ownerNamespace));
      dangling.push(ref);
    } else if (isDeletingDependents(owner)) waiting.push(ref);
    else solid.push(ref);
  }
  return { solid, dangling, waiting };
}

export async function attemptToOrphanItem(uid: string, deps: GCDeps): Promise<void> {
  const node = deps.graph.find(uid);
  if (!node || !isOrphaningDependents(node.obj)) return;
  const dependents = deps.graph.dependents(uid);
  const results = await Promise.allSettled(dependents.map((d) => removeOwnerReferences(deps.client, d.resource.ref, d.obj, [uid])));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (dependents.length) deps.log.info({ object: describeNode(node), dependents: dependents.length }, 'orphaned dependents');
  try {
    await removeFinalizer(deps.client, node.resource.ref, node.obj, FINALIZER_ORPHAN_DEPENDENTS);
  } catch (err) {
    if (!notFound(err)) throw err;
  }
}
