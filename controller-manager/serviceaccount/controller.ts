// Wiring of the ServiceAccount controller: namespace and ServiceAccount informers feeding
// a queue of namespace names. A namespace that appears or changes is checked, and so is
// the namespace of a deleted `default` account, which is then made again.
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { DEFAULT_SERVICE_ACCOUNT, reconcileServiceAccounts } from './reconcile.js';

export function serviceAccountsController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'serviceaccount' });
  const namespaces = ctx.informers.for<KubeObject>(R.namespaces);
  const accounts = ctx.informers.for<KubeObject>(R.serviceaccounts);
  const queue = new WorkQueue({ delay: (n) => Math.min(5 * 2 ** (n - 1), 30_000) });
  namespaces.addHandlers({ onAdd: (ns) => queue.add(ns.metadata.name!), onUpdate: (_old, ns) => queue.add(ns.metadata.name!) });
  accounts.addHandlers({
    onDelete: (sa) => {
      if (sa.metadata.name === DEFAULT_SERVICE_ACCOUNT && sa.metadata.namespace) queue.add(sa.metadata.namespace);
    },
  });
  const deps = {
    client: ctx.client,
    getNamespace: (name: string) => namespaces.get(name),
    getServiceAccount: (key: string) => accounts.get(key),
  };
  const onError = (key: string, err: unknown) => log.info({ key, err }, 'serviceaccount sync failed; requeueing');
  return {
    name: 'serviceaccount',
    run: (workers) => {
      for (let i = 0; i < workers; i++) void runWorker(queue, (key) => reconcileServiceAccounts(key, deps), onError);
    },
    stop: () => queue.shutDown(),
  };
}
