// The hollow kubelet (kubemark's hollow node, KWOK): one process plays the kubelet of
// one or many nodes without running a container. Each node is registered, renews its
// Lease every leaseDuration/4 and posts its conditions every node-status-update-frequency;
// the pods bound to it are reconciled like a kubelet's pod workers do, from an informer
// (one pod watch for all the process's nodes) into a queue of pod keys: Running and Ready
// with a pod IP from the node's podCIDR, terminated when `skiff.dev/hollow-exit` says so,
// and removed for good (grace 0, uid precondition) once the apiserver marks them deleted.
// Each node serves its kubelet API (the Summary API, with usage simulated from the pods'
// `skiff.dev/hollow-cpu` / `skiff.dev/hollow-memory` annotations) on 127.0.0.1, one port
// per node from --kubelet-port-base, advertised in the Node's daemonEndpoints.
//
// A node can be made to "die" (for node lifecycle tests): while stopped it renews nothing,
// posts nothing and leaves its pods as they are, as a kubelet cut off from the apiserver
// would; once resumed it posts a fresh status and re-syncs its pods. See setStopped().
import type { Logger } from 'pino';
import type { Client } from '../shared/client.js';
import { isApiError } from '../shared/errors.js';
import { Informer, keyOf } from '../shared/informer.js';
import { R } from '../shared/resources.js';
import type { KubeObject } from '../shared/types.js';
import { runWorker, WorkQueue } from '../shared/workqueue.js';
import { HollowIPAM } from './hollow/ipam.js';
import { HOLLOW_NODE_IP, healthyConditions, type HollowNodeConfig, leaseObject, microTime, nodeObject, nodeStatus } from './hollow/node.js';
import { desiredPodStatus, isTerminal } from './hollow/pod-status.js';
import { type KubeletServer, nodeSummary, serveKubeletAPI } from './hollow/stats.js';

export interface HollowKubeletOptions extends HollowNodeConfig {
  client: Client;
  log: Logger;
  nodeNames: string[];
  leaseDurationSeconds: number;
  nodeStatusUpdateFrequencySeconds: number;
  /** Pool for pod IPs of a node that has no podCIDR yet. */
  fallbackPodCIDR: string;
  podWorkers?: number;
  /**
   * The first node's kubelet API port; node i listens on base+i (a port in use falls back
   * to a free one). 0: every node on a free port. Undefined: no kubelet API served.
   */
  kubeletPortBase?: number;
  now?: () => Date;
}

const NODE_INDEX = 'spec.nodeName';

export class HollowKubelet {
  private readonly client: Client;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly ourNodes: Set<string>;
  private readonly nodes: Informer<KubeObject>;
  private readonly pods: Informer<KubeObject>;
  private readonly queue = new WorkQueue({ delay: (n) => Math.min(20 * 2 ** (n - 1), 10_000) });
  private readonly ipam: HollowIPAM;
  /** The uid whose IP each pod key holds, to release it when the pod goes away. */
  private readonly podUIDs = new Map<string, string>();
  private readonly leases = new Map<string, KubeObject>();
  /** The pending timer of each periodic loop (lease/NAME, status/NAME). */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly stoppedNodes = new Set<string>();
  private readonly servers = new Map<string, KubeletServer>();
  private readonly startTime: Date;
  private stopping = false;

  constructor(private readonly opts: HollowKubeletOptions) {
    this.client = opts.client;
    this.log = opts.log;
    this.now = opts.now ?? (() => new Date());
    this.ourNodes = new Set(opts.nodeNames);
    this.ipam = new HollowIPAM(opts.fallbackPodCIDR);
    this.startTime = this.now();
    const single = opts.nodeNames.length === 1 ? opts.nodeNames[0] : undefined;
    // One node: watch only it and its pods. Many: one watch of all nodes and of every bound pod.
    this.nodes = new Informer(this.client, R.nodes, this.log.child({ informer: 'nodes' }), single ? { fieldSelector: `metadata.name=${single}` } : {});
    this.pods = new Informer(this.client, R.pods, this.log.child({ informer: 'pods' }), { fieldSelector: single ? `spec.nodeName=${single}` : 'spec.nodeName!=' });
    this.pods.addIndexer(NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName as string] : []));
    const enqueue = (p: KubeObject) => {
      if (this.ourNodes.has(p.spec?.nodeName)) this.queue.add(keyOf(p));
    };
    this.pods.addHandlers({ onAdd: enqueue, onUpdate: (_old, p) => enqueue(p), onDelete: (p) => this.queue.add(keyOf(p)) });
  }

  async start(): Promise<void> {
    await this.serveKubeletAPIs();
    await forEachLimit(this.opts.nodeNames, 16, (name) => this.register(name));
    await Promise.all([this.nodes.start(), this.pods.start()]);
    for (const pod of this.pods.list()) {
      const ip = pod.status?.podIP;
      if (ip && this.ourNodes.has(pod.spec?.nodeName) && !isTerminal(pod)) {
        this.ipam.occupy(pod.metadata.uid!, ip, this.podCIDR(pod.spec.nodeName));
        this.podUIDs.set(keyOf(pod), pod.metadata.uid!);
      }
    }
    for (let i = 0; i < (this.opts.podWorkers ?? 16); i++) {
      void runWorker(this.queue, (key) => this.syncPod(key), (key, err) => this.log.info({ pod: key, err }, 'pod sync failed; requeueing'));
    }
    const renewEvery = (this.opts.leaseDurationSeconds * 1000) / 4;
    const statusEvery = this.opts.nodeStatusUpdateFrequencySeconds * 1000;
    for (const name of this.opts.nodeNames) {
      // Spread the nodes' heartbeats over the interval instead of sending them in bursts.
      this.every(`lease/${name}`, renewEvery, () => this.renewLease(name));
      this.every(`status/${name}`, statusEvery, () => this.postStatus(name));
    }
    this.log.info({ nodes: this.opts.nodeNames.length }, 'hollow nodes registered');
  }

  stop(): void {
    this.stopping = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.shutDown();
    this.nodes.stop();
    this.pods.stop();
    for (const s of this.servers.values()) void s.close();
    this.servers.clear();
  }

  /** The port each node's kubelet API listens on (after start()). */
  kubeletPort(name: string): number | undefined {
    return this.servers.get(name)?.port;
  }

  private async serveKubeletAPIs(): Promise<void> {
    const base = this.opts.kubeletPortBase;
    if (base === undefined) return;
    const names = this.opts.nodeNames;
    await forEachLimit(
      names.map((name, i) => ({ name, port: base === 0 ? 0 : base + i })),
      64,
      async ({ name, port }) => {
        const summary = () => nodeSummary(name, this.pods.byIndex(NODE_INDEX, name), this.opts.memory, this.startTime, this.now());
        this.servers.set(name, await serveKubeletAPI(name, port, summary, this.log));
      },
    );
  }

  /**
   * Marks nodes dead (no lease, status or pod sync) or alive again; a node coming back
   * renews and posts at once and re-syncs every pod bound to it.
   */
  setStopped(names: Iterable<string>): void {
    const next = new Set([...names].filter((n) => this.ourNodes.has(n)));
    const resumed = [...this.stoppedNodes].filter((n) => !next.has(n));
    for (const n of next) if (!this.stoppedNodes.has(n)) this.log.warn({ node: n }, 'node stopped: no more lease renewals, status or pod updates');
    this.stoppedNodes.clear();
    for (const n of next) this.stoppedNodes.add(n);
    for (const n of resumed) {
      this.log.warn({ node: n }, 'node resumed');
      void this.renewLease(n).then(() => this.postStatus(n));
      for (const p of this.pods.byIndex(NODE_INDEX, n)) this.queue.add(keyOf(p));
    }
  }

  /** Runs `fn` every `ms` (from the end of the previous run), first after a random part of it. */
  private every(loop: string, ms: number, fn: () => Promise<void>): void {
    const tick = () => {
      if (this.stopping) return;
      void fn()
        .catch((err: unknown) => this.log.warn({ loop, err }, 'periodic update failed'))
        .finally(() => {
          if (!this.stopping) this.timers.set(loop, setTimeout(tick, ms));
        });
    };
    this.timers.set(loop, setTimeout(tick, Math.random() * ms));
  }

  private podCIDR(nodeName: string): string | undefined {
    return this.nodes.get(nodeName)?.spec?.podCIDR || undefined;
  }

  /** Creates the Node, or takes over an existing one and posts its status; then its Lease. */
  private async register(name: string): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        let node: KubeObject;
        try {
          node = await this.client.create(R.nodes, undefined, nodeObject(name, this.opts, this.now(), this.kubeletPort(name)));
        } catch (err) {
          if (!(isApiError(err) && err.code === 409)) throw err;
          node = await this.client.get(R.nodes, undefined, name);
          const status = nodeStatus(name, this.opts, this.now(), node.status?.conditions, this.kubeletPort(name));
          node = await this.client.patch(R.nodes, undefined, name, { status }, 'merge', 'status');
        }
        this.leases.set(name, leaseObject(node, this.opts.leaseDurationSeconds, this.now()));
        await this.renewLease(name);
        return;
      } catch (err) {
        const delay = Math.min(500 * 2 ** attempt, 10_000);
        this.log.warn({ node: name, err, retryInMs: delay }, 'could not register node');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Renews the node's Lease (guarded by resourceVersion); after a conflict, once more from the live object. */
  private async renewLease(name: string): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.stoppedNodes.has(name) || this.stopping) return;
      const lease = this.leases.get(name);
      if (!lease) return;
      const spec = { ...lease.spec, holderIdentity: name, leaseDurationSeconds: this.opts.leaseDurationSeconds, renewTime: microTime(this.now()) };
      try {
        const next = lease.metadata.resourceVersion
          ? await this.client.update(R.leases, { ...lease, spec })
          : await this.client.create(R.leases, lease.metadata.namespace, { ...lease, spec });
        this.leases.set(name, next);
        return;
      } catch (err) {
        if (attempt === 0 && isApiError(err) && (err.code === 409 || err.code === 404)) {
          const live = await this.client.get(R.leases, lease.metadata.namespace, name).catch(() => undefined);
          this.leases.set(name, live ?? { ...lease, metadata: { ...lease.metadata, resourceVersion: undefined } });
          continue;
        }
        this.log.warn({ node: name, err }, 'could not renew node lease');
        return;
      }
    }
  }

  /** Posts the node's conditions with a fresh heartbeat (merge patch of the status subresource). */
  private async postStatus(name: string): Promise<void> {
    if (this.stoppedNodes.has(name) || this.stopping) return;
    const conditions = healthyConditions(this.now(), this.nodes.get(name)?.status?.conditions);
    try {
      await this.client.patch(R.nodes, undefined, name, { status: { conditions } }, 'merge', 'status');
    } catch (err) {
      this.log.warn({ node: name, err }, 'could not update node status');
    }
  }

  private async syncPod(key: string): Promise<void> {
    const pod = this.pods.get(key);
    const held = this.podUIDs.get(key);
    if (held && held !== pod?.metadata.uid) this.releaseIP(key);
    if (!pod) return;
    const nodeName: string | undefined = pod.spec?.nodeName;
    if (!nodeName || !this.ourNodes.has(nodeName) || this.stoppedNodes.has(nodeName)) return;
    const uid = pod.metadata.uid!;
    try {
      if (pod.metadata.deletionTimestamp) {
        await this.client.delete(R.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid } });
        this.releaseIP(key);
        return;
      }
      if (isTerminal(pod)) {
        this.releaseIP(key);
        return;
      }
      const status = desiredPodStatus(pod, {
        now: this.now(),
        hostIP: HOLLOW_NODE_IP,
        podIP: () => {
          const ip = this.ipam.allocate(uid, this.podCIDR(nodeName));
          this.podUIDs.set(key, uid);
          return ip;
        },
      });
      if (!status) return;
      await this.client.update(R.pods, { ...pod, status }, 'status');
      if (status.phase === 'Succeeded' || status.phase === 'Failed') this.releaseIP(key);
    } catch (err) {
      // Gone, or replaced by a pod of the same name: the informer brings the new state.
      if (isApiError(err) && (err.code === 404 || (err.code === 409 && pod.metadata.deletionTimestamp))) return;
      throw err;
    }
  }

  private releaseIP(key: string): void {
    const uid = this.podUIDs.get(key);
    if (uid) this.ipam.release(uid);
    this.podUIDs.delete(key);
  }
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
