// Wiring of the PersistentVolume binder (pv_controller_base.go): a volume informer and
// a claim informer feed two queues of keys, each drained by one worker as upstream
// does, since two concurrent claim syncs could pick the same volume. A deleted claim
// enqueues its volume (to release it) and a deleted volume its claim (to mark it Lost).
// Every 15 s (upstream's resync period) every volume and claim is synced again, which
// is how a claim waiting for a volume that does not exist yet gets retried.
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { ControllerCache, OncePerChange } from './cache.js';
import { type BinderDeps, syncClaim, syncVolume } from './reconcile.js';
import { claimKey, claimRefKey, type PersistentVolume, type PersistentVolumeClaim } from './types.js';

export const RESYNC_PERIOD_MS = 15_000;

export interface BinderOptions {
  /** Calls fn every ms until the returned stop function runs; tests drive it by hand. */
  every?: (fn: () => void, ms: number) => () => void;
}

const everyInterval = (fn: () => void, ms: number): (() => void) => {
  const timer = setInterval(fn, ms);
  timer.unref?.();
  return () => clearInterval(timer);
};

export function persistentVolumeBinder(ctx: ControllerContext, opts: BinderOptions = {}): Controller {
  const log = ctx.log.child({ controller: 'persistentvolume-binder' });
  const volumeInformer = ctx.informers.for<PersistentVolume>(R.persistentvolumes);
  const claimInformer = ctx.informers.for<PersistentVolumeClaim>(R.persistentvolumeclaims);
  const backoff = { delay: (n: number) => Math.min(100 * 2 ** (n - 1), RESYNC_PERIOD_MS) };
  const volumeQueue = new WorkQueue(backoff);
  const claimQueue = new WorkQueue(backoff);
  const once = new OncePerChange(ctx.recorder);

  volumeInformer.addHandlers({
    onAdd: (pv) => volumeQueue.add(pv.metadata.name!),
    onUpdate: (_old, pv) => volumeQueue.add(pv.metadata.name!),
    onDelete: (pv) => {
      once.forget(pv.metadata.uid);
      volumeQueue.add(pv.metadata.name!);
      // Sync the claim now rather than at the next resync: it becomes Lost.
      if (pv.spec?.claimRef) claimQueue.add(claimRefKey(pv.spec.claimRef));
    },
  });
  claimInformer.addHandlers({
    onAdd: (pvc) => claimQueue.add(claimKey(pvc)),
    onUpdate: (_old, pvc) => claimQueue.add(claimKey(pvc)),
    onDelete: (pvc) => {
      once.forget(pvc.metadata.uid);
      claimQueue.add(claimKey(pvc));
      // Sync the volume now rather than at the next resync: it becomes Released.
      if (pvc.spec?.volumeName) volumeQueue.add(pvc.spec.volumeName);
    },
  });

  const deps: BinderDeps = {
    client: ctx.client,
    recorder: ctx.recorder,
    once,
    log,
    volumes: new ControllerCache(volumeInformer),
    claims: new ControllerCache(claimInformer),
    enqueueClaim: (key) => claimQueue.add(key),
  };
  const onError = (kind: 'volume' | 'claim') => (key: string, err: unknown) => {
    // Version conflicts are routine (the informer lags behind a write); retry quietly.
    if (isApiError(err) && err.code === 409) log.info({ [kind]: key, err: err.message }, `could not sync ${kind}; retrying`);
    else log.warn({ [kind]: key, err }, `could not sync ${kind}; retrying`);
  };
  const resync = () => {
    for (const pvc of claimInformer.list()) claimQueue.add(claimKey(pvc));
    for (const pv of volumeInformer.list()) volumeQueue.add(pv.metadata.name!);
  };
  let stopResync: (() => void) | undefined;
  return {
    name: 'persistentvolume-binder',
    run: () => {
      void runWorker(volumeQueue, (key) => syncVolume(key, deps), onError('volume'));
      void runWorker(claimQueue, (key) => syncClaim(key, deps), onError('claim'));
      stopResync = (opts.every ?? everyInterval)(resync, RESYNC_PERIOD_MS);
    },
    stop: () => {
      stopResync?.();
      volumeQueue.shutDown();
      claimQueue.shutDown();
    },
  };
}
