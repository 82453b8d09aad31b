// Which HPAs select which pods (upstream's hpa_selector_store.go): each HPA's selector is
// the one its target's Scale reported at its last sync, so that two HPAs driving the same
// pods are refused (AmbiguousSelector) instead of fighting over the replica count.
import { type LabelSelector, matchesLabels } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';

export class HPASelectors {
  /** HPA key (ns/name) → its selector; null until its first sync (selects nothing). */
  private readonly selectors = new Map<string, LabelSelector | null>();

  /** An HPA the informer knows; only registered HPAs take part. */
  register(key: string): void {
    if (!this.selectors.has(key)) this.selectors.set(key, null);
  }

  /** Records the selector of a registered HPA. */
  put(key: string, selector: LabelSelector): void {
    if (this.selectors.has(key)) this.selectors.set(key, selector);
  }

  remove(key: string): void {
    this.selectors.delete(key);
  }

  /** hpasControllingPodsUnderSelector: the HPAs of the pods' namespace whose selector matches any of them, sorted. */
  controlling(pods: KubeObject[]): string[] {
    const keys = new Set<string>();
    for (const [key, selector] of this.selectors) {
      if (!selector) continue;
      const ns = key.slice(0, key.indexOf('/'));
      if (pods.some((p) => p.metadata.namespace === ns && matchesLabels(selector, p.metadata.labels))) keys.add(key);
    }
    return [...keys].sort();
  }
}
