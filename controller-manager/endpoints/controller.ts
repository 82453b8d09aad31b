// Wiring of the endpoints controller: services, pods and endpoints informers feeding a
// queue of service keys. A pod event enqueues the services whose selector matches the
// pod's old or new labels; an Endpoints that appears or vanishes enqueues its service
// (a leftover one, whose Service is gone, is then deleted). No batching delay: a pod's
// readiness change reaches its Endpoints as soon as the informer sees it.
import { byNamespace, keyOf } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { reconcileEndpoints, selects, serviceSelector } from './reconcile.js';
import { isPodReady } from './subsets.js';

export const NAMESPACE_INDEX = 'namespace';

/** What of a pod the Endpoints depend on; an update that changes none of it is ignored. */
function endpointsView(pod: KubeObject): string {
  return JSON.stringify([
    pod.metadata.labels ?? {},
    pod.metadata.deletionTimestamp ?? '',
    pod.status?.podIP ?? '',
    pod.status?.podIPs ?? [],
    pod.status?.phase ?? '',
    isPodReady(pod),
    pod.spec?.nodeName ?? '',
    pod.spec?.hostname ?? '',
    pod.spec?.subdomain ?? '',
  ]);
}

export function endpointsController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'endpoints' });
  const services = ctx.informers.for<KubeObject>(R.services);
  const pods = ctx.informers.for<KubeObject>(R.pods);
  const endpoints = ctx.informers.for<KubeObject>(R.endpoints);
  services.addIndexer(NAMESPACE_INDEX, byNamespace);
  pods.addIndexer(NAMESPACE_INDEX, byNamespace);
  const queue = new WorkQueue({ delay: (n) => Math.min(5 * 2 ** (n - 1), 30_000) });

  const enqueueServicesOf = (pod: KubeObject, keys = new Set<string>()) => {
    for (const svc of services.byIndex(NAMESPACE_INDEX, pod.metadata.namespace ?? '')) {
      const selector = serviceSelector(svc);
      if (selector && selects(selector, pod.metadata.labels)) keys.add(keyOf(svc));
    }
    return keys;
  };
  const enqueue = (keys: Set<string>) => {
    for (const k of keys) queue.add(k);
  };

  services.addHandlers({
    onAdd: (s) => queue.add(keyOf(s)),
    onUpdate: (_old, s) => queue.add(keyOf(s)),
    onDelete: (s) => queue.add(keyOf(s)),
  });
  pods.addHandlers({
    onAdd: (p) => enqueue(enqueueServicesOf(p)),
    onUpdate: (old, p) => {
      if (endpointsView(old) === endpointsView(p)) return;
      enqueue(enqueueServicesOf(p, enqueueServicesOf(old)));
    },
    onDelete: (p) => enqueue(enqueueServicesOf(p)),
  });
  endpoints.addHandlers({
    onAdd: (e) => queue.add(keyOf(e)),
    onDelete: (e) => queue.add(keyOf(e)),
  });

  const deps = {
    client: ctx.client,
    recorder: ctx.recorder,
    log,
    getService: (key: string) => services.get(key),
    getEndpoints: (key: string) => endpoints.get(key),
    podsInNamespace: (ns: string) => pods.byIndex(NAMESPACE_INDEX, ns),
  };
  const onError = (key: string, err: unknown) => log.info({ key, err }, 'endpoints sync failed; requeueing');
  return {
    name: 'endpoints',
    run: (workers) => {
      for (let i = 0; i < workers; i++) void runWorker(queue, (key) => reconcileEndpoints(key, deps), onError);
    },
    stop: () => queue.shutDown(),
  };
}
