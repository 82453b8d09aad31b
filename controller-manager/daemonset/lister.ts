// The read side of an informer that reconcile functions take: shared/informer.ts's Informer
// satisfies it, and so does the in-memory FakeLister of the unit tests.
import type { KubeObject } from '../../shared/types.js';

export interface Lister<T extends KubeObject = KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
  byIndex(name: string, value: string): T[];
}
