// What every controller gets from the controller-manager, and the shape it returns.
// A controller registers its informer handlers and indexes when built; the manager then
// starts the shared informers, waits for them to sync, and only then runs the workers.
import type { Logger } from 'pino';
import type { Client } from '../shared/client.js';
import type { EventRecorder } from '../shared/events.js';
import type { InformerFactory } from '../shared/informer-factory.js';

export interface ControllerContext {
  client: Client;
  informers: InformerFactory;
  recorder: EventRecorder;
  log: Logger;
  /** Injectable so control-loop tests are deterministic. */
  now: () => Date;
  /** Settings from flags, e.g. node-monitor-grace-period, cluster-cidr. */
  config: ControllerConfig;
}

export interface ControllerConfig {
  clusterCIDR: string;
  nodeCIDRMaskSize: number;
  nodeMonitorGracePeriodSeconds: number;
  /** tolerationSeconds given to pods by default for not-ready/unreachable taints. */
  defaultTolerationSeconds: number;
  workers: number;
  /** --lb-ip-pool of the ServiceLB controller (a CIDR or a list; empty: node addresses). */
  lbIPPool?: string;
  /** --root-ca-file's PEM bundle, published as kube-root-ca.crt ('' without one). */
  rootCA?: string;
}

export interface Controller {
  name: string;
  /** Starts the workers; informers have synced by now. */
  run(workers: number): void;
  stop(): void;
}

export type ControllerFactory = (ctx: ControllerContext) => Controller;
