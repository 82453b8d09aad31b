// Wiring of the namespace controller: a namespace informer feeding a queue of names.
import type { Client, ResourceRef } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { ContentRemainingError, reconcileNamespace } from './reconcile.js';

interface ApiResourceList {
  groupVersion: string;
  resources: { name: string; namespaced: boolean; verbs: string[] }[];
}

/** Every namespaced resource that supports deletecollection, read from discovery. */
export async function discoverNamespaced(client: Client): Promise<ResourceRef[]> {
  const out: ResourceRef[] = [];
  const core = await client.request<ApiResourceList>('GET', '/api/v1');
  const groups = await client.request<{ groups: { preferredVersion: { groupVersion: string } }[] }>('GET', '/apis');
  const lists = [core];
  for (const g of groups.groups) lists.push(await client.request<ApiResourceList>('GET', `/apis/${g.preferredVersion.groupVersion}`));
  for (const list of lists) {
    const [group, version] = list.groupVersion.includes('/') ? list.groupVersion.split('/') : ['', list.groupVersion];
    for (const r of list.resources) {
      if (r.name.includes('/') || !r.namespaced || !r.verbs.includes('deletecollection')) continue;
      out.push({ group: group!, version: version!, plural: r.name, namespaced: true });
    }
  }
  return out;
}

export function namespaceController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'namespace' });
  const informer = ctx.informers.for<KubeObject>(R.namespaces);
  const queue = new WorkQueue({ delay: (n) => Math.min(100 * 2 ** (n - 1), 10_000) });
  const enqueue = (o: KubeObject) => {
    if (o.metadata.deletionTimestamp) queue.add(o.metadata.name!);
  };
  informer.addHandlers({ onAdd: enqueue, onUpdate: (_old, o) => enqueue(o) });
  let resources: Promise<ResourceRef[]> | undefined;
  const deps = {
    client: ctx.client,
    getNamespace: (name: string) => informer.get(name),
    namespacedResources: () =>
      (resources ??= discoverNamespaced(ctx.client).catch((err: unknown) => {
        resources = undefined;
        throw err;
      })),
  };
  const onError = (key: string, err: unknown) => {
    if (err instanceof ContentRemainingError) log.info({ key }, err.message);
    else log.warn({ key, err }, 'namespace cleanup failed; retrying');
  };
  return {
    name: 'namespace',
    run: (workers) => {
      for (let i = 0; i < workers; i++) void runWorker(queue, (key) => reconcileNamespace(key, deps), onError);
    },
    stop: () => queue.shutDown(),
  };
}
