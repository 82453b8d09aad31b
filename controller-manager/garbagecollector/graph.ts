// The dependency graph of the garbage collector (pkg/controller/garbagecollector
// GraphBuilder's uidToNode), kept as two indexes on the shared informers rather than a
// copy: uid → object, and owner uid → dependents (from every ownerReference).
import type { ResourceRef } from '../../shared/client.js';
import type { Informer } from '../../shared/informer.js';
import type { KubeObject, OwnerReference } from '../../shared/types.js';

export type InformerLike<T extends KubeObject = KubeObject> = Pick<Informer<T>, 'addHandlers' | 'addIndexer' | 'byIndex' | 'get' | 'list'>;

/** A resource the collector watches. */
export interface WatchedResource {
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  informer: InformerLike;
}

export interface GraphNode {
  resource: WatchedResource;
  obj: KubeObject;
}

export const FINALIZER_DELETING_DEPENDENTS = 'foregroundDeletion';
export const FINALIZER_ORPHAN_DEPENDENTS = 'orphan';

export const UID_INDEX = 'garbagecollector/uid';
export const OWNER_UID_INDEX = 'garbagecollector/owner-uid';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

/** Being deleted in the foreground: waits for its blocking dependents to go first. */
export function isDeletingDependents(obj: KubeObject): boolean {
  return !!obj.metadata.deletionTimestamp && hasFinalizer(obj, FINALIZER_DELETING_DEPENDENTS);
}

/** Being deleted with orphan propagation: its dependents lose their reference to it. */
export function isOrphaningDependents(obj: KubeObject): boolean {
  return !!obj.metadata.deletionTimestamp && hasFinalizer(obj, FINALIZER_ORPHAN_DEPENDENTS);
}

export function describeNode(n: GraphNode | { obj: KubeObject; resource: { kind: string } }): string {
  const m = n.obj.metadata;
  return `${n.resource.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name} (uid ${m.uid})`;
}

export class ObjectGraph {
  constructor(readonly resources: WatchedResource[]) {
    for (const r of resources) {
      r.informer.addIndexer(UID_INDEX, (o) => (o.metadata.uid ? [o.metadata.uid] : []));
      r.informer.addIndexer(OWNER_UID_INDEX, (o) => (o.metadata.ownerReferences ?? []).map((ref) => ref.uid));
    }
  }

  /** The object with this uid in any watched cache. */
  find(uid: string): GraphNode | undefined {
    for (const resource of this.resources) {
      const obj = resource.informer.byIndex(UID_INDEX, uid)[0];
      if (obj) return { resource, obj };
    }
    return undefined;
  }

  /** Every cached object with an ownerReference to `uid`. */
  dependents(uid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const resource of this.resources) for (const obj of resource.informer.byIndex(OWNER_UID_INDEX, uid)) out.push({ resource, obj });
    return out;
  }

  /** Dependents whose reference to `uid` has blockOwnerDeletion: true. */
  blockingDependents(uid: string): GraphNode[] {
    return this.dependents(uid).filter((d) => d.obj.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion === true));
  }

  /** The cached owner a reference points to, if the cache holds that very object. */
  owner(ref: OwnerReference): GraphNode | undefined {
    const n = this.find(ref.uid);
    return n && n.obj.metadata.name === ref.name && n.resource.kind === ref.kind ? n : undefined;
  }
}
