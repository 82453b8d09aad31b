// Namespace lifecycle: when a namespace is being deleted, delete everything in it, then
// remove the `kubernetes` finalizer so the apiserver removes the namespace itself.
import type { Client, ResourceRef } from '../../shared/client.js';
import type { KubeObject } from '../../shared/types.js';

export interface NamespaceDeps {
  client: Client;
  getNamespace(name: string): KubeObject | undefined;
  /** Namespaced resources that support deletecollection, from discovery. */
  namespacedResources(): Promise<ResourceRef[]>;
}

export class ContentRemainingError extends Error {}

export async function reconcileNamespace(name: string, deps: NamespaceDeps): Promise<void> {
  const ns = deps.getNamespace(name);
  if (!ns || !ns.metadata.deletionTimestamp) return;
  const finalizers: string[] = ns.spec?.finalizers ?? [];
  if (!finalizers.includes('kubernetes')) return;
  const remaining: string[] = [];
  for (const r of await deps.namespacedResources()) {
    const path = deps.client.path(r, name);
    await deps.client.request('DELETE', path, { propagationPolicy: 'Background' });
    const left = await deps.client.list(r, name, { limit: 1 });
    if (left.items.length) remaining.push(r.plural);
  }
  if (remaining.length) throw new ContentRemainingError(`namespace ${name} still has ${remaining.join(', ')}; waiting for them to be deleted`);
  const next = { ...ns, spec: { ...(ns.spec ?? {}), finalizers: finalizers.filter((f) => f !== 'kubernetes') } };
  await deps.client.request('PUT', `/api/v1/namespaces/${encodeURIComponent(name)}/finalize`, next);
}
