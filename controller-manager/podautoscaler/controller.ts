// Wiring of the HorizontalPodAutoscaler controller (upstream pkg/controller/podautoscaler):
// HPA, pod and node informers; a queue of HPA keys in which every HPA comes back once per
// sync period (15 s; SKIFF_HPA_SYNC_PERIOD_SECONDS overrides it, for tests), as upstream's
// fixed-interval rate limiter makes it: an added or updated HPA is synced at its next
// period, not at once, and a failed sync is retried at the next period too (its error is
// logged and shown in the HPA's conditions and events). Usage comes from the kubelets'
// Summary API (metrics.ts); the target is read and scaled through its scale subresource.
import { R } from '../../shared/resources.js';
import { byNamespace, keyOf } from '../../shared/informer.js';
import { type LabelSelector, matchesLabels } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { RestMapper } from '../garbagecollector/restmapper.js';
import { ScalingHistory } from './behavior.js';
import { HPASelectors } from './hpa-selectors.js';
import { fetchSummary, SummaryMetricsSession } from './metrics.js';
import { DEFAULT_HPA_CONFIG, type HPASyncDeps, reconcileAutoscaler, type Scale } from './reconcile.js';

export const SYNC_PERIOD_ENV = 'SKIFF_HPA_SYNC_PERIOD_SECONDS';
/** --horizontal-pod-autoscaler-sync-period's default. */
export const DEFAULT_SYNC_PERIOD_SECONDS = 15;
const NAMESPACE_INDEX = 'namespace';

/** The sync period: SKIFF_HPA_SYNC_PERIOD_SECONDS when it is a positive number, else 15 s. */
export function syncPeriodSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env[SYNC_PERIOD_ENV]);
  return env[SYNC_PERIOD_ENV] && Number.isFinite(v) && v > 0 ? v : DEFAULT_SYNC_PERIOD_SECONDS;
}

/** Runs `fn` once after `ms` for each key, however often it is asked while one is pending (a delaying queue's AddAfter). */
export class Resync {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  constructor(
    private readonly ms: number,
    private readonly fn: (key: string) => void,
  ) {}

  after(key: string): void {
    if (this.pending.has(key)) return;
    const t = setTimeout(() => {
      this.pending.delete(key);
      this.fn(key);
    }, this.ms);
    t.unref();
    this.pending.set(key, t);
  }

  cancel(key: string): void {
    clearTimeout(this.pending.get(key));
    this.pending.delete(key);
  }

  stop(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }
}

export function horizontalPodAutoscaler(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'horizontalpodautoscaling' });
  const hpas = ctx.informers.for<KubeObject>(R.horizontalpodautoscalers);
  const pods = ctx.informers.for<KubeObject>(R.pods);
  const nodes = ctx.informers.for<KubeObject>(R.nodes);
  pods.addIndexer(NAMESPACE_INDEX, byNamespace);
  const periodMs = syncPeriodSeconds() * 1000;
  const queue = new WorkQueue();
  const resync = new Resync(periodMs, (key) => queue.add(key));
  const selectors = new HPASelectors();

  hpas.addHandlers({
    onAdd: (h) => {
      selectors.register(keyOf(h));
      resync.after(keyOf(h));
    },
    onUpdate: (_old, h) => resync.after(keyOf(h)),
    onDelete: (h) => {
      resync.cancel(keyOf(h));
      selectors.remove(keyOf(h));
      queue.add(keyOf(h)); // the sync finds it gone and forgets its recommendations
    },
  });

  const listPods = (namespace: string, selector: LabelSelector) =>
    pods.byIndex(NAMESPACE_INDEX, namespace).filter((p) => matchesLabels(selector, p.metadata.labels));
  const mapper = new RestMapper(ctx.client, [
    { apiVersion: 'apps/v1', kind: 'Deployment', ref: R.deployments },
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', ref: R.replicasets },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', ref: R.statefulsets },
  ]);
  const deps: HPASyncDeps = {
    getHPA: (key) => hpas.get(key),
    resourceFor: async (apiVersion, kind) => (await mapper.resourceFor(apiVersion, kind)).ref,
    getScale: (r, ns, name) => ctx.client.request<Scale>('GET', ctx.client.path(r, ns, name, 'scale')),
    updateScale: (r, scale) => ctx.client.request<Scale>('PUT', ctx.client.path(r, scale.metadata.namespace, scale.metadata.name!, 'scale'), scale),
    updateStatus: async (hpa) => void (await ctx.client.update(R.horizontalpodautoscalers, hpa, 'status')),
    listPods,
    metricsClient: () =>
      new SummaryMetricsSession({
        listPods,
        getNode: (name) => nodes.get(name),
        fetchSummary: (url) => fetchSummary(url, ctx.client.credentials),
        now: ctx.now,
        // Each sync reads the kubelets afresh: a sample covers one sync period, as
        // metrics-server's resolution (15 s) matches the HPA's default period.
        windowMs: periodMs,
        log,
      }),
    selectors,
    history: new ScalingHistory(ctx.now),
    recorder: ctx.recorder,
    now: ctx.now,
    log,
    config: DEFAULT_HPA_CONFIG,
  };

  const sync = async (key: string) => {
    try {
      await reconcileAutoscaler(key, deps);
    } catch (err) {
      log.info({ hpa: key, err: (err as Error).message }, 'HPA sync failed; retrying at the next period');
    } finally {
      if (hpas.get(key)) resync.after(key);
    }
  };
  return {
    name: 'horizontalpodautoscaling',
    run: (workers) => {
      // Informers have synced: HPAs listed before the handlers ran are all registered.
      for (let i = 0; i < workers; i++) void runWorker(queue, sync, (key, err) => log.warn({ hpa: key, err }, 'HPA sync failed'));
    },
    stop: () => {
      resync.stop();
      queue.shutDown();
    },
  };
}
