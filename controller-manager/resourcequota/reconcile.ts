// The resourcequota controller's sync (pkg/controller/resourcequota syncResourceQuota):
// status.hard is spec.hard, and status.used is what the namespace's objects really use,
// counted with the same evaluators the ResourceQuota admission plugin charges with.
//
// The quota and the objects are read live, quota first: the apiserver accepts an
// object's write before the quota charge that goes with it, so any charge this read
// sees belongs to an object the lists that follow include. The status is then written
// with the quota's resourceVersion, so a charge made meanwhile makes it conflict and
// the key is synced again, rather than the count going back under what was admitted.
// (Informer caches could lag the quota and drop a just-admitted pod from the count.)
import type { Client, ResourceRef } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { evaluatorFor, scopeSelectors, type Evaluator } from '../../apiserver/admission/quota/evaluators.js';
import { add, equals, fromJSON, mask, toJSON, type ResourceList } from '../../apiserver/admission/quota/resource-list.js';

export const RESOURCE_QUOTAS: ResourceRef = { group: '', version: 'v1', plural: 'resourcequotas', namespaced: true };

const core = (plural: string): ResourceRef => ({ group: '', version: 'v1', plural, namespaced: true });

/** The resources with evaluators of their own or legacy count names, always known. */
const KNOWN: Record<string, ResourceRef> = {
  '/pods': core('pods'),
  '/services': core('services'),
  '/persistentvolumeclaims': core('persistentvolumeclaims'),
  '/configmaps': core('configmaps'),
  '/secrets': core('secrets'),
  '/resourcequotas': core('resourcequotas'),
  '/replicationcontrollers': core('replicationcontrollers'),
};

export interface ResourceQuotaDeps {
  client: Client;
  now(): Date;
  /** The served resource of a group and plural (`count/deployments.apps`), from discovery. */
  resolve(group: string, plural: string): Promise<ResourceRef | undefined>;
}

/** The group/plural a quota resource name counts, if it names objects: `count/x.g`, or a legacy name. */
function countedResource(name: string): { group: string; plural: string } | undefined {
  if (name.startsWith('count/')) {
    const rest = name.slice('count/'.length);
    const dot = rest.indexOf('.');
    return dot < 0 ? { group: '', plural: rest } : { group: rest.slice(dot + 1), plural: rest.slice(0, dot) };
  }
  const legacy: Record<string, string> = { pods: 'pods', services: 'services', persistentvolumeclaims: 'persistentvolumeclaims', configmaps: 'configmaps', secrets: 'secrets', resourcequotas: 'resourcequotas', replicationcontrollers: 'replicationcontrollers' };
  if (legacy[name]) return { group: '', plural: legacy[name] };
  // Compute resources are the pods'; class-scoped storage is the claims'.
  if (name.includes('.storageclass.storage.k8s.io/') || name === 'requests.storage') return { group: '', plural: 'persistentvolumeclaims' };
  if (name.startsWith('services.')) return { group: '', plural: 'services' };
  return { group: '', plural: 'pods' };
}

/** The resources whose objects the quota's hard names need counted. */
export function resourcesToCount(hardNames: string[]): { group: string; plural: string }[] {
  const seen = new Map<string, { group: string; plural: string }>();
  for (const n of hardNames) {
    const r = countedResource(n);
    if (!r) continue;
    if (evaluatorFor(r.group, r.plural).matchingResources([n]).length === 0) continue;
    seen.set(`${r.group}/${r.plural}`, r);
  }
  return [...seen.values()];
}

/** What the objects use, as far as the quota's scopes select them and its hard names track. */
export function usageOf(e: Evaluator, quota: KubeObject, hardNames: string[], objects: KubeObject[], now: Date): ResourceList {
  const tracked = e.matchingResources(hardNames);
  const scopes = scopeSelectors(quota);
  let total: ResourceList = new Map(tracked.map((n) => [n, { milli: 0n, format: 'DecimalSI' as const }]));
  for (const o of objects) {
    if (!scopes.every((s) => e.matchesScope(s, o))) continue;
    total = add(total, mask(e.usage(o, now), tracked));
  }
  return total;
}

export async function reconcileResourceQuota(key: string, deps: ResourceQuotaDeps): Promise<void> {
  const [ns, name] = key.split('/') as [string, string];
  let quota: KubeObject;
  try {
    quota = await deps.client.get(RESOURCE_QUOTAS, ns, name);
  } catch (err) {
    if (isApiError(err) && err.code === 404) return;
    throw err;
  }
  const hard = fromJSON(quota.spec?.hard);
  const hardNames = [...hard.keys()];
  let used = fromJSON(quota.status?.used);
  const now = deps.now();
  for (const r of resourcesToCount(hardNames)) {
    const ref = KNOWN[`${r.group}/${r.plural}`] ?? (await deps.resolve(r.group, r.plural));
    if (!ref) continue;
    const items = (await deps.client.list(ref, ns)).items;
    for (const [k, v] of usageOf(evaluatorFor(r.group, r.plural), quota, hardNames, items, now)) used.set(k, v);
  }
  used = mask(used, hardNames);
  const dirty = !quota.status?.hard || !quota.status?.used || !equals(hard, fromJSON(quota.status.hard)) || !equals(used, fromJSON(quota.status.used));
  if (!dirty) return;
  const next: KubeObject = { ...quota, status: { hard: toJSON(hard), used: toJSON(used) } };
  await deps.client.update(RESOURCE_QUOTAS, next, 'status');
}
