// `skiff controller-manager`: runs the reconcile loops against the apiserver, as the
// leader of a Lease when --leader-elect is on, so that only one of several acts.
import { hostname } from 'node:os';
import { Client } from '../shared/client.js';
import { ApiEventRecorder } from '../shared/events.js';
import type { FlagSpec } from '../shared/flags.js';
import { connectionFlags, connectionOrExit } from '../shared/kubeconfig.js';
import { InformerFactory } from '../shared/informer-factory.js';
import { runLeaderElection } from '../shared/leaderelection.js';
import { rootLogger } from '../shared/log.js';
import type { Controller, ControllerContext, ControllerFactory } from './context.js';
import { daemonSetController } from './daemonset/controller.js';
import { deploymentController } from './deployment/controller.js';
import { endpointsController } from './endpoints/controller.js';
import { resourceQuotaController } from './resourcequota/controller.js';
import { readRootCA, rootCACertPublisher } from './rootcacertpublisher/controller.js';
import { serviceAccountsController } from './serviceaccount/controller.js';
import { serviceLBController } from './servicelb/controller.js';
import { poolAddresses } from './servicelb/reconcile.js';
import { garbageCollector } from './garbagecollector/controller.js';
import { jobController } from './job/controller.js';
import { namespaceController } from './namespace/controller.js';
import { nodeIpamController } from './nodeipam/controller.js';
import { nodeLifecycleController } from './nodelifecycle/controller.js';
import { horizontalPodAutoscaler } from './podautoscaler/controller.js';
import { replicaSetController } from './replicaset/controller.js';
import { statefulSetController } from './statefulset/controller.js';
import { persistentVolumeBinder } from './volume/controller.js';

export const summary = 'Runs the controllers that drive the cluster toward its desired state.';

export const CONTROLLERS: Record<string, ControllerFactory> = {
  namespace: namespaceController,
  garbagecollector: garbageCollector,
  replicaset: replicaSetController,
  deployment: deploymentController,
  daemonset: daemonSetController,
  statefulset: statefulSetController,
  job: jobController,
  endpoints: endpointsController,
  servicelb: serviceLBController,
  serviceaccount: serviceAccountsController,
  resourcequota: (ctx) => resourceQuotaController(ctx),
  'root-ca-cert-publisher': (ctx) => rootCACertPublisher(ctx, ctx.config.rootCA ?? ''),
  nodeipam: nodeIpamController,
  nodelifecycle: nodeLifecycleController,
  'persistentvolume-binder': persistentVolumeBinder,
  'horizontalpodautoscaling': horizontalPodAutoscaler,
};

export const flags: FlagSpec[] = [
  ...connectionFlags(),
  { name: 'controllers', help: `Comma-separated controllers to run (* for all); available: ${Object.keys(CONTROLLERS).join(', ')}`, default: '*' },
  { name: 'leader-elect', help: 'Act only while holding the kube-system/kube-controller-manager Lease', default: true, type: 'boolean' },
  { name: 'leader-elect-lease-duration', help: 'Seconds a lease is valid without renewal', default: 13 },
  { name: 'leader-elect-renew-deadline', help: 'Seconds the leader keeps trying to renew before giving up', default: 10 },
  { name: 'leader-elect-retry-period', help: 'Seconds between lease attempts', default: 2 },
  { name: 'cluster-cidr', help: 'CIDR of pod addresses; each node gets a slice of it', default: '10.244.0.0/16' },
  { name: 'node-cidr-mask-size', help: 'Prefix length of each node podCIDR', default: 24 },
  { name: 'node-monitor-grace-period', help: 'Seconds without a Lease renewal before a node is Unknown', default: 50 },
  { name: 'default-toleration-seconds', help: 'tolerationSeconds for the default not-ready/unreachable tolerations', default: 300 },
  { name: 'lb-ip-pool', help: 'Addresses (a CIDR or a comma list) the ServiceLB controller gives LoadBalancer Services; empty: the Ready nodes\' InternalIPs, as k3s\' ServiceLB', default: '' },
  { name: 'root-ca-file', help: 'PEM CA bundle published to every namespace as the kube-root-ca.crt ConfigMap (empty: ca.crt is published empty while the apiserver serves plain HTTP)', default: '' },
  { name: 'concurrent-syncs', help: 'Workers per controller', default: 5 },
  { name: 'v', help: 'Log level (error, warn, info, debug)', default: 'info' },
];

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const log = rootLogger('controller-manager', String(f.v));
  const client = new Client(connectionOrExit(f, 'controller-manager'), 'skiff-controller-manager');
  const wanted = String(f.controllers).split(',').map((s) => s.trim());
  const names = wanted.includes('*') ? Object.keys(CONTROLLERS) : wanted;
  const unknown = names.filter((n) => !CONTROLLERS[n]);
  if (unknown.length) {
    log.fatal(`unknown controllers: ${unknown.join(', ')} (available: ${Object.keys(CONTROLLERS).join(', ')})`);
    process.exit(2);
  }
  let rootCA = '';
  try {
    poolAddresses(String(f['lb-ip-pool']));
    rootCA = readRootCA(String(f['root-ca-file']));
  } catch (err) {
    console.error(`skiff controller-manager: ${(err as Error).message}`);
    process.exit(2);
  }
  const informers = new InformerFactory(client, log);
  const ctx: ControllerContext = {
    client,
    informers,
    recorder: new ApiEventRecorder(client, 'controller-manager', log),
    log,
    now: () => new Date(),
    config: {
      clusterCIDR: String(f['cluster-cidr']),
      nodeCIDRMaskSize: Number(f['node-cidr-mask-size']),
      nodeMonitorGracePeriodSeconds: Number(f['node-monitor-grace-period']),
      defaultTolerationSeconds: Number(f['default-toleration-seconds']),
      workers: Number(f['concurrent-syncs']),
      lbIPPool: String(f['lb-ip-pool']),
      rootCA,
    },
  };
  let controllers: Controller[] = [];
  const start = async () => {
    controllers = names.map((n) => CONTROLLERS[n]!(ctx));
    await informers.start();
    for (const c of controllers) c.run(ctx.config.workers);
    log.info({ controllers: names }, 'controllers running');
  };
  const abort = new AbortController();
  const stop = (signal: string, code = 0) => {
    log.info({ signal }, 'shutting down');
    abort.abort();
    for (const c of controllers) c.stop();
    informers.stop();
    process.exit(code);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  if (!f['leader-elect']) {
    await start();
    return;
  }
  const identity = `${hostname()}_${process.pid}`;
  void runLeaderElection(
    {
      client,
      namespace: 'kube-system',
      name: 'kube-controller-manager',
      identity,
      leaseDurationSeconds: Number(f['leader-elect-lease-duration']),
      renewDeadlineSeconds: Number(f['leader-elect-renew-deadline']),
      retryPeriodSeconds: Number(f['leader-elect-retry-period']),
      log,
      onStartedLeading: () => void start().catch((err: unknown) => {
        log.fatal({ err }, 'controllers failed to start');
        process.exit(1);
      }),
      // As Kubernetes does: a controller-manager that lost its lease exits and is restarted.
      onStoppedLeading: () => stop('lost leadership', 1),
    },
    abort.signal,
  );
}
