// The admission plugins' view of other objects, backed by the apiserver's own storage:
// reads see the latest state, writes accepted but not yet on disk included, so that a
// decision taken inside a write's transaction is taken against what will be committed.
import type { KubeObject } from '../../shared/types.js';
import { storageKey, storagePrefix, type ResourceInfo } from '../registry/resources.js';
import type { Storage } from '../storage/interface.js';
import type { AdmissionContext } from './interface.js';

export type StatusWriter = (r: ResourceInfo, namespace: string, name: string, change: (copy: KubeObject) => KubeObject) => Promise<unknown>;

export class StorageAdmissionContext implements AdmissionContext {
  constructor(
    private readonly storage: Storage,
    private readonly writeStatus: StatusWriter,
  ) {}

  get(r: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.storage.peek(storageKey(r, namespace, name))?.obj;
  }

  list(r: ResourceInfo, namespace: string): KubeObject[] {
    if (r.namespaced && !namespace) return [];
    const out: KubeObject[] = [];
    for (const o of this.storage.list(storagePrefix(r, namespace))) {
      const latest = this.storage.peek(o.key);
      if (latest) out.push(latest.obj);
    }
    return out;
  }

  updateStatus(r: ResourceInfo, namespace: string, name: string, change: (copy: KubeObject) => KubeObject): Promise<unknown> {
    return this.writeStatus(r, namespace, name, change);
  }
}
