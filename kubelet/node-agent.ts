// The node's side of the kubelet: registers the Node (or takes over the existing one),
// renews its Lease in kube-node-lease every leaseDuration/4 (10 s by default), and checks
// its status every --node-status-update-frequency, posting it when it changed or at least
// every --node-status-report-frequency (Kubernetes' nodeStatusReportFrequency).
import type { Logger } from 'pino';
import type { Client } from '../shared/client.js';
import { isApiError } from '../shared/errors.js';
import { R } from '../shared/resources.js';
import type { KubeObject } from '../shared/types.js';
import { leaseObject, microTime } from './hollow/node.js';
import { gatherFacts, nodeObject, nodeStatus, statusChanged } from './node-status.js';
import type { ContainerRuntime } from './runtime/runtime.js';

export interface NodeAgentOptions {
  client: Client;
  runtime: ContainerRuntime;
  log: Logger;
  nodeName: string;
  nodeIP: string;
  rootDir: string;
  maxPods: number;
  kubeletPort?: number;
  podCIDR?: string;
  leaseDurationSeconds: number;
  nodeStatusUpdateFrequencySeconds: number;
  nodeStatusReportFrequencySeconds: number;
  now: () => Date;
}

export class NodeAgent {
  private lease?: KubeObject;
  private lastStatus?: KubeObject['status'];
  private lastPosted = 0;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopping = false;

  constructor(private readonly o: NodeAgentOptions) {}

  private get cfg() {
    return { name: this.o.nodeName, nodeIP: this.o.nodeIP, maxPods: this.o.maxPods, kubeletPort: this.o.kubeletPort, podCIDR: this.o.podCIDR };
  }

  async start(): Promise<void> {
    await this.register();
    this.every('lease', this.o.leaseDurationSeconds * 250, () => this.renewLease());
    this.every('status', this.o.nodeStatusUpdateFrequencySeconds * 1000, () => this.updateStatus());
  }

  stop(): void {
    this.stopping = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private facts() {
    return gatherFacts(this.o.rootDir, () => this.o.runtime.version());
  }

  /** Creates the Node, or posts the existing one's status; then its Lease. Retries until it succeeds. */
  private async register(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        const facts = await this.facts();
        let node: KubeObject;
        try {
          node = await this.o.client.create(R.nodes, undefined, nodeObject(this.cfg, facts, this.o.now()));
        } catch (err) {
          if (!(isApiError(err) && err.code === 409)) throw err;
          node = await this.o.client.get(R.nodes, undefined, this.o.nodeName);
          const status = nodeStatus(this.cfg, facts, this.o.now(), node.status?.conditions);
          node = await this.o.client.patch(R.nodes, undefined, this.o.nodeName, { status }, 'merge', 'status');
        }
        this.lastStatus = node.status;
        this.lastPosted = Date.now();
        this.lease = leaseObject(node, this.o.leaseDurationSeconds, this.o.now());
        await this.renewLease();
        this.o.log.info({ node: this.o.nodeName, runtime: facts.runtimeVersion }, 'node registered');
        return;
      } catch (err) {
        const delay = Math.min(500 * 2 ** attempt, 10_000);
        this.o.log.warn({ node: this.o.nodeName, err, retryInMs: delay }, 'could not register node');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async renewLease(): Promise<void> {
    for (let attempt = 0; attempt < 2 && this.lease && !this.stopping; attempt++) {
      const lease = this.lease;
      const spec = { ...lease.spec, holderIdentity: this.o.nodeName, leaseDurationSeconds: this.o.leaseDurationSeconds, renewTime: microTime(this.o.now()) };
      try {
        this.lease = lease.metadata.resourceVersion
          ? await this.o.client.update(R.leases, { ...lease, spec })
          : await this.o.client.create(R.leases, lease.metadata.namespace, { ...lease, spec });
        return;
      } catch (err) {
        if (attempt === 0 && isApiError(err) && (err.code === 409 || err.code === 404)) {
          const live = await this.o.client.get(R.leases, lease.metadata.namespace, this.o.nodeName).catch(() => undefined);
          this.lease = live ?? { ...lease, metadata: { ...lease.metadata, resourceVersion: undefined } };
          continue;
        }
        this.o.log.warn({ err }, 'could not renew node lease');
        return;
      }
    }
  }

  private async updateStatus(): Promise<void> {
    const facts = await this.facts();
    const status = nodeStatus(this.cfg, facts, this.o.now(), this.lastStatus?.conditions);
    const due = Date.now() - this.lastPosted >= this.o.nodeStatusReportFrequencySeconds * 1000;
    if (!due && !statusChanged(status, this.lastStatus)) return;
    const node = await this.o.client.patch(R.nodes, undefined, this.o.nodeName, { status }, 'merge', 'status');
    this.lastStatus = node.status;
    this.lastPosted = Date.now();
  }

  private every(loop: string, ms: number, fn: () => Promise<void>): void {
    const tick = () => {
      if (this.stopping) return;
      void fn()
        .catch((err: unknown) => this.o.log.warn({ err }, 'node heartbeat failed'))
        .finally(() => {
          if (this.stopping) return;
          this.timers.set(loop, setTimeout(tick, ms));
        });
    };
    this.timers.set(loop, setTimeout(tick, ms));
  }
}
