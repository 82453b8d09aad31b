// Wiring of node IPAM: a node informer feeding a queue of node names. The used set is
// rebuilt from the synced cache before any worker allocates, so a restarted
// controller-manager never hands out a subnet a node already has.
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { occupyExisting, podCIDRsOf, RangeAllocator, reconcileNodeCIDR } from './reconcile.js';

export function nodeIpamController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'nodeipam' });
  const nodes = ctx.informers.for<KubeObject>(R.nodes);
  const allocator = new RangeAllocator(ctx.config.clusterCIDR, ctx.config.nodeCIDRMaskSize);
  const queue = new WorkQueue({ delay: (n) => Math.min(10 * 2 ** (n - 1), 30_000) });
  nodes.addHandlers({
    onAdd: (n) => queue.add(n.metadata.name!),
    // Heartbeats change only status; only a podCIDR change matters here.
    onUpdate: (old, n) => {
      if (podCIDRsOf(old).join() !== podCIDRsOf(n).join() || podCIDRsOf(n).length === 0) queue.add(n.metadata.name!);
    },
    onDelete: (n) => queue.add(n.metadata.name!),
  });
  const deps = { client: ctx.client, recorder: ctx.recorder, log, allocator, getNode: (name: string) => nodes.get(name) };
  const onError = (key: string, err: unknown) => log.warn({ node: key, err }, 'podCIDR allocation failed; requeueing');
  return {
    name: 'nodeipam',
    run: (workers) => {
      occupyExisting(nodes.list(), deps);
      for (let i = 0; i < workers; i++) void runWorker(queue, (key) => reconcileNodeCIDR(key, deps), onError);
    },
    stop: () => queue.shutDown(),
  };
}
