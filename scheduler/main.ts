// `skiff scheduler`: binds pending pods to nodes, as the leader of the
// kube-system/kube-scheduler Lease when --leader-elect is on, so that only one of
// several schedulers acts.
import { hostname } from 'node:os';
import { Client } from '../shared/client.js';
import { ApiEventRecorder } from '../shared/events.js';
import type { FlagSpec } from '../shared/flags.js';
import { connectionFlags, connectionOrExit } from '../shared/kubeconfig.js';
import { Informer } from '../shared/informer.js';
import { runLeaderElection } from '../shared/leaderelection.js';
import { rootLogger } from '../shared/log.js';
import { R } from '../shared/resources.js';
import { addAllEventHandlers } from './event-handlers.js';
import { ApiPodWriter, RateLimitedRecorder } from './pod-writer.js';
import { Scheduler } from './scheduler.js';

export const summary = 'Binds pending pods to nodes (filter, then score).';

export const flags: FlagSpec[] = [
  ...connectionFlags(),
  { name: 'scheduler-name', help: 'Schedule the pods whose spec.schedulerName is this', default: 'default-scheduler' },
  { name: 'leader-elect', help: 'Act only while holding the kube-system/kube-scheduler Lease', default: true, type: 'boolean' },
  { name: 'leader-elect-lease-duration', help: 'Seconds a lease is valid without renewal', default: 13 },
  { name: 'leader-elect-renew-deadline', help: 'Seconds the leader keeps trying to renew before giving up', default: 10 },
  { name: 'leader-elect-retry-period', help: 'Seconds between lease attempts', default: 2 },
  { name: 'percentage-of-nodes-to-score', help: 'Share of nodes to find feasible before scoring (0: adaptive, as Kubernetes)', default: 0 },
  { name: 'bind-parallelism', help: 'Bindings in flight at once', default: 64 },
  { name: 'v', help: 'Log level (error, warn, info, debug)', default: 'info' },
];

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const log = rootLogger('scheduler', String(f.v));
  const schedulerName = String(f['scheduler-name']);
  const connection = connectionOrExit(f, 'scheduler');
  const client = new Client(connection, 'skiff-scheduler');
  // As kube-scheduler: terminal pods hold no resources, so they are not even watched.
  const pods = new Informer(client, R.pods, log.child({ informer: 'pods' }), { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' });
  const nodes = new Informer(client, R.nodes, log.child({ informer: 'nodes' }));
  const sched = new Scheduler({
    schedulerName,
    writer: new ApiPodWriter(client, Date.now, new Client(connection, 'skiff-scheduler')),
    recorder: new RateLimitedRecorder(new ApiEventRecorder(client, schedulerName, log), 100, 500),
    log,
    pods,
    bindParallelism: Number(f['bind-parallelism']),
    percentageOfNodesToScore: Number(f['percentage-of-nodes-to-score']),
  });
  addAllEventHandlers(sched, pods, nodes);

  const start = async () => {
    await Promise.all([nodes.start(), pods.start()]);
    log.info({ nodes: sched.cache.stats.nodes, pending: sched.queue.lengths }, 'caches synced; scheduling');
    void sched.run().catch((err: unknown) => {
      log.fatal({ err }, 'scheduling loop failed');
      process.exit(1);
    });
  };
  const abort = new AbortController();
  const stop = (signal: string, code = 0) => {
    log.info({ signal, scheduled: sched.scheduled }, 'shutting down');
    abort.abort();
    sched.stop();
    pods.stop();
    nodes.stop();
    process.exit(code);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  if (!f['leader-elect']) {
    await start();
    return;
  }
  void runLeaderElection(
    {
      client,
      namespace: 'kube-system',
      name: 'kube-scheduler',
      identity: `${hostname()}_${process.pid}`,
      leaseDurationSeconds: Number(f['leader-elect-lease-duration']),
      renewDeadlineSeconds: Number(f['leader-elect-renew-deadline']),
      retryPeriodSeconds: Number(f['leader-elect-retry-period']),
      log,
      onStartedLeading: () =>
        void start().catch((err: unknown) => {
          log.fatal({ err }, 'scheduler failed to start');
          process.exit(1);
        }),
      // As Kubernetes does: a scheduler that lost its lease exits and is restarted.
      onStoppedLeading: () => stop('lost leadership', 1),
    },
    abort.signal,
  );
}
