// Wiring of the ServiceLB controller: Services and Nodes feed a queue of Service keys;
// a node's readiness or address change requeues every LoadBalancer Service.
import { keyOf } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { isReadyNode, poolAddresses, reconcileServiceLB } from './reconcile.js';

export function serviceLBController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'servicelb' });
  const services = ctx.informers.for<KubeObject>(R.services);
  const nodes = ctx.informers.for<KubeObject>(R.nodes);
  const queue = new WorkQueue({ delay: (n) => Math.min(5 * 2 ** (n - 1), 30_000) });
  const pool = poolAddresses(ctx.config.lbIPPool ?? '');
  const lbServices = () => services.list().filter((s) => s.spec?.type === 'LoadBalancer' || (s.status?.loadBalancer?.ingress ?? []).length);
  services.addHandlers({
    onAdd: (s) => queue.add(keyOf(s)),
    onUpdate: (_o, s) => queue.add(keyOf(s)),
    // A deleted Service frees its pool address: the pending ones may now get it.
    onDelete: () => {
      if (pool.length) for (const s of lbServices()) queue.add(keyOf(s));
    },
  });
  const view = (n: KubeObject) => JSON.stringify([isReadyNode(n), n.status?.addresses]);
  const all = () => {
    if (!pool.length) for (const s of lbServices()) queue.add(keyOf(s));
  };
  nodes.addHandlers({ onAdd: all, onUpdate: (o, n) => view(o) !== view(n) && all(), onDelete: all });
  const deps = { client: ctx.client, log, getService: (k: string) => services.get(k), services: () => services.list(), nodes: () => nodes.list(), pool };
  return {
    name: 'servicelb',
    // One worker: pool addresses are handed out one at a time, never twice.
    run: () => void runWorker(queue, (key) => reconcileServiceLB(key, deps), (key, err) => log.info({ key, err }, 'servicelb sync failed; requeueing')),
    stop: () => queue.shutDown(),
  };
}
