// Wiring of the resourcequota controller: a ResourceQuota informer (indexed by namespace)
// and informers on the objects quotas count feed a queue of quota keys. A new or changed
// quota is synced at once; a deleted object, a pod that ended and a service or claim whose
// usage changed enqueue the quotas of their namespace (replenishment: creates are charged
// by admission already); every quota is recounted each resync period, as
// --resource-quota-sync-period does, which also catches `count/…` of other resources.
import { isDeepStrictEqual } from 'node:util';
import type { Client, ResourceRef } from '../../shared/client.js';
import { byNamespace, keyOf } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import { podCountsForQuota } from '../../apiserver/admission/quota/pods.js';
import type { Controller, ControllerContext } from '../context.js';
import { reconcileResourceQuota, RESOURCE_QUOTAS } from './reconcile.js';

export const NAMESPACE_INDEX = 'namespace';

export interface ResourceQuotaControllerOptions {
  /** How often every quota is recounted (kube-controller-manager's 5 minutes). */
  resyncPeriodMs?: number;
  /** Runs fn every ms until the returned function is called; injectable for tests. */
  every?: (ms: number, fn: () => void) => () => void;
}

const defaultEvery = (ms: number, fn: () => void) => {
  const t = setInterval(fn, ms);
  t.unref?.();
  return () => clearInterval(t);
};

/** Finds a namespaced resource of a group in discovery, at the group's preferred version. */
export function discoveryResolver(client: Client): (group: string, plural: string) => Promise<ResourceRef | undefined> {
  const cache = new Map<string, Promise<ResourceRef | undefined>>();
  const lookup = async (group: string, plural: string): Promise<ResourceRef | undefined> => {
    let groupVersion = 'v1';
    if (group) {
      const g = await client.request<{ preferredVersion?: { groupVersion: string } }>('GET', `/apis/${group}`);
      if (!g.preferredVersion) return undefined;
      groupVersion = g.preferredVersion.groupVersion;
    }
    const list = await client.request<{ resources: { name: string; namespaced: boolean }[] }>('GET', group ? `/apis/${groupVersion}` : '/api/v1');
    const found = list.resources.find((r) => r.name === plural && r.namespaced);
    return found ? { group, version: groupVersion.split('/').pop()!, plural, namespaced: true } : undefined;
  };
  return (group, plural) => {
    const key = `${group}/${plural}`;
    let p = cache.get(key);
    if (!p) {
      p = lookup(group, plural).catch((err: unknown) => {
        cache.delete(key);
        throw err;
      });
      cache.set(key, p);
    }
    return p;
  };
}

const serviceUsage = (s: KubeObject) => [s.spec?.type, s.spec?.ports?.length ?? 0, s.spec?.allocateLoadBalancerNodePorts];
const claimUsage = (c: KubeObject) => [c.spec?.resources?.requests?.storage, c.status?.allocatedResources?.storage, c.spec?.storageClassName];

export function resourceQuotaController(ctx: ControllerContext, opts: ResourceQuotaControllerOptions = {}): Controller {
  const log = ctx.log.child({ controller: 'resourcequota' });
  const quotas = ctx.informers.for<KubeObject>(RESOURCE_QUOTAS);
  quotas.addIndexer(NAMESPACE_INDEX, byNamespace);
  const queue = new WorkQueue({ delay: (n) => Math.min(5 * 2 ** (n - 1), 30_000) });

  const syncNamespace = (o: KubeObject) => {
    for (const q of quotas.byIndex(NAMESPACE_INDEX, o.metadata.namespace ?? '')) queue.add(keyOf(q));
  };
  quotas.addHandlers({
    onAdd: (q) => queue.add(keyOf(q)),
    // Its own status writes and admission's charges need no recount; a new spec does.
    onUpdate: (old, q) => {
      if (!isDeepStrictEqual(old.spec, q.spec) || !isDeepStrictEqual(q.spec?.hard ?? {}, q.status?.hard ?? {})) queue.add(keyOf(q));
    },
  });
  const replenish = (informer: ReturnType<typeof ctx.informers.for>, changed?: (old: KubeObject, o: KubeObject) => boolean) =>
    informer.addHandlers({
      onUpdate: (old, o) => changed?.(old, o) && syncNamespace(o),
      onDelete: syncNamespace,
    });
  replenish(ctx.informers.for(R.pods), (old, p) => {
    const now = ctx.now();
    return podCountsForQuota(old, now) && !podCountsForQuota(p, now);
  });
  replenish(ctx.informers.for(R.services), (old, s) => !isDeepStrictEqual(serviceUsage(old), serviceUsage(s)));
  replenish(ctx.informers.for(R.persistentvolumeclaims), (old, c) => !isDeepStrictEqual(claimUsage(old), claimUsage(c)));
  replenish(ctx.informers.for(R.configmaps));
  replenish(ctx.informers.for(R.secrets));

  const deps = { client: ctx.client, now: ctx.now, resolve: discoveryResolver(ctx.client) };
  const onError = (key: string, err: unknown) => log.info({ key, err }, 'resourcequota sync failed; requeueing');
  let stopResync = () => {};
  return {
    name: 'resourcequota',
    run: (workers) => {
      for (let i = 0; i < workers; i++) void runWorker(queue, (key) => reconcileResourceQuota(key, deps), onError);
      stopResync = (opts.every ?? defaultEvery)(opts.resyncPeriodMs ?? 5 * 60_000, () => {
        for (const q of quotas.list()) queue.add(keyOf(q));
      });
    },
    stop: () => {
      stopResync();
      queue.shutDown();
    },
  };
}
