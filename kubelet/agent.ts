// The Docker-backed kubelet, wired: registers its Node and heartbeats its Lease, watches
// the pods bound to it (fieldSelector spec.nodeName) into a work queue of pod keys (one
// sync of a pod at a time), and reacts to Docker's event stream (die, oom, destroy) rather
// than polling, with a periodic resync and housekeeping (containers of vanished pods).
// The prober (kubelet/prober) runs the containers' probes; a changed result resyncs the pod.
// With --pod-manifest-path, static pods (kubelet/static-pods.ts) join the API's pods: a key
// with a static pod runs that pod, and its mirror pod in the apiserver is never run itself.
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Client } from '../shared/client.js';
import { ApiEventRecorder, type EventRecorder } from '../shared/events.js';
import { Informer, keyOf } from '../shared/informer.js';
import { R } from '../shared/resources.js';
import type { KubeObject } from '../shared/types.js';
import { runWorker, WorkQueue } from '../shared/workqueue.js';
import { removeOrphans } from './adopt.js';
import { resolveEnv } from './env.js';
import { prepareVolumes, removePodVolumes } from './volumes/index.js';
import { tokenManagerFor } from './volumes/token-manager.js';
import { Backoff } from './backoff.js';
import { NODE_LABEL } from './container-spec.js';
import { podHostsFile, podResolvConf, type DnsSettings } from './network/dns.js';
import type { PodNetwork } from './network/pod-network.js';
import { NodeAgent } from './node-agent.js';
import { canonical, PodWorker, type WorkerPlugins } from './pod-worker.js';
import { ProbeManager, type ExecFn } from './prober/index.js';
import { dockerExec } from './prober/exec.js';
import { DockerRuntime } from './runtime/docker.js';
import { LABELS, type ContainerRuntime } from './runtime/runtime.js';
import { isMirrorPod, StaticPods } from './static-pods.js';

export interface KubeletOptions {
  client: Client;
  runtime: ContainerRuntime;
  log: Logger;
  nodeName: string;
  nodeIP: string;
  rootDir: string;
  maxPods: number;
  leaseDurationSeconds: number;
  nodeStatusUpdateFrequencySeconds: number;
  nodeStatusReportFrequencySeconds: number;
  /** Seconds between full resyncs of every pod (and housekeeping). */
  syncFrequencySeconds: number;
  crashLoopBackoffBaseSeconds: number;
  crashLoopBackoffMaxSeconds: number;
  podWorkers?: number;
  kubeletPort?: number;
  /** Replaces every default plugin (volumes, env, probes); without it the kubelet wires its own. */
  plugins?: WorkerPlugins;
  /** Runs exec probes (default: `docker exec` on the runtime's engine). */
  probeExec?: ExecFn;
  recorder?: EventRecorder;
  now?: () => Date;
  /** Directory of static pod manifests (--pod-manifest-path); unset: no static pods. */
  podManifestPath?: string;
  /** Seconds between reads of podManifestPath besides its change notifications (default 5). */
  fileCheckFrequencySeconds?: number;
  /** The pod network (bridge on the podCIDR, routes to other nodes); without it sandboxes use the runtime's default network. */
  network?: PodNetwork;
  /** --pod-cidr: written into the Node at registration, so that node IPAM keeps it. */
  podCIDR?: string;
  /** The pods' resolv.conf settings (--cluster-dns, --cluster-domain, --resolv-conf). */
  dns?: DnsSettings;
}

export class Kubelet {
  readonly pods: Informer<KubeObject>;
  private readonly queue = new WorkQueue({ delay: (n) => Math.min(200 * 2 ** (n - 1), 30_000) });
  private readonly worker: PodWorker;
  private readonly node: NodeAgent;
  private readonly probes: ProbeManager;
  private readonly staticPods?: StaticPods;
  private readonly abort = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopping = false;

  constructor(private readonly o: KubeletOptions) {
    const now = o.now ?? (() => new Date());
    this.pods = new Informer(o.client, R.pods, o.log.child({ informer: 'pods' }), { fieldSelector: `spec.nodeName=${o.nodeName}` });
    this.pods.addHandlers({
      onAdd: (p) => this.queue.add(keyOf(p)),
      // As the kubelet's pod config: a change of the status alone (often our own write) is no reason to sync.
      onUpdate: (old, p) => {
        if (syncRelevant(old) !== syncRelevant(p)) this.queue.add(keyOf(p));
      },
      onDelete: (p) => this.queue.add(keyOf(p)),
    });
    const crashMax = o.crashLoopBackoffMaxSeconds * 1000;
    const recorder = o.recorder ?? new ApiEventRecorder(o.client, 'kubelet', o.log, now);
    this.probes = new ProbeManager({
      exec: o.probeExec ?? dockerExec(o.runtime instanceof DockerRuntime ? o.runtime.host : undefined),
      log: o.log.child({ component: 'prober' }),
      now: () => now().getTime(),
      recorder,
    });
    // A probe result changed: the pod's readiness (or a restart) is due now, not at the next resync.
    this.probes.onChange((uid) => {
      const p = this.pods.list().find((x) => x.metadata.uid === uid);
      if (p) this.queue.add(keyOf(p));
      const s = this.staticPods?.keys().find((k) => this.staticPods!.podFor(k)?.metadata.uid === uid);
      if (s) this.queue.add(s);
    });
    const exec = o.probeExec ?? dockerExec(o.runtime instanceof DockerRuntime ? o.runtime.host : undefined);
    if (o.podManifestPath) {
      this.staticPods = new StaticPods({
        client: o.client,
        log: o.log.child({ component: 'static-pods' }),
        nodeName: o.nodeName,
        path: o.podManifestPath,
        pollSeconds: o.fileCheckFrequencySeconds ?? 5,
        onChange: (key) => this.queue.add(key),
        mirrorFor: (key) => {
          const p = this.pods.get(key);
          return isMirrorPod(p) ? p : undefined;
        },
        now,
      });
    }
    this.worker = new PodWorker({
      exec,
      mirrorFor: (pod) => {
        const p = this.pods.get(keyOf(pod));
        return isMirrorPod(p) ? p : undefined;
      },
      onTerminated: async (pod) => this.staticPods?.terminated(pod),
      runtime: o.runtime,
      client: o.client,
      recorder,
      log: o.log,
      nodeName: o.nodeName,
      hostIP: o.nodeIP,
      crashBackoff: new Backoff(o.crashLoopBackoffBaseSeconds * 1000, crashMax),
      imageBackoff: new Backoff(o.crashLoopBackoffBaseSeconds * 1000, crashMax),
      now,
      requeueAfter: (key, ms) => this.after(ms, () => this.queue.add(key)),
      plugins: o.plugins ?? defaultPlugins(o, this.probes),
    });
    this.node = new NodeAgent({ ...o, now });
  }

  async start(): Promise<void> {
    await mkdir(this.o.rootDir, { recursive: true });
    if (this.o.network) {
      await this.o.network.start();
      // A podCIDR arriving (node IPAM) unblocks every pod waiting for the network.
      this.o.network.nodes.addHandlers({
        onUpdate: (old, n) => {
          if (n.metadata.name === this.o.nodeName && old.spec?.podCIDR !== n.spec?.podCIDR) for (const p of this.pods.list()) this.queue.add(keyOf(p));
        },
      });
    }
    await this.node.start();
    await this.pods.start();
    await this.staticPods?.start();
    // Adopt: every pod's sync reads its containers back; what belongs to no pod goes.
    await this.housekeeping();
    for (let i = 0; i < (this.o.podWorkers ?? 16); i++) {
      void runWorker(
        this.queue,
        (key) => this.syncPod(key),
        (key, err) => this.o.log.warn({ pod: key, err }, 'pod sync failed; requeueing'),
      );
    }
    void this.watchRuntime();
    const resync = () => {
      for (const p of this.pods.list()) this.queue.add(keyOf(p));
      for (const k of this.staticPods?.keys() ?? []) this.queue.add(k);
      void this.housekeeping().catch((err: unknown) => this.o.log.warn({ err }, 'housekeeping failed'));
      this.after(this.o.syncFrequencySeconds * 1000, resync);
    };
    this.after(this.o.syncFrequencySeconds * 1000, resync);
    this.o.log.info({ node: this.o.nodeName, pods: this.pods.list().length }, 'kubelet started');
  }

  stop(): void {
    this.stopping = true;
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const p of this.pods.list()) this.probes.removePod(p.metadata.uid!);
    this.queue.shutDown();
    this.pods.stop();
    this.staticPods?.stop();
    this.node.stop();
    this.o.network?.stop();
  }

  /**
   * One sync of a pod key. A static pod has its mirror pod converged first (created,
   * recreated after a deletion through the API, or deleted once the file went); a mirror
   * pod without a static pod is only deleted; any other pod is the API's.
   */
  private async syncPod(key: string): Promise<void> {
    const apiPod = this.pods.get(key);
    const staticPod = this.staticPods?.podFor(key);
    if (this.staticPods && (staticPod || isMirrorPod(apiPod))) {
      await this.staticPods.syncMirror(key);
      return this.worker.sync(key, this.staticPods.podFor(key));
    }
    // Without a static pod source a mirror pod is left alone and never run.
    if (isMirrorPod(apiPod)) return;
    return this.worker.sync(key, apiPod);
  }

  private after(ms: number, fn: () => void): void {
    if (this.stopping) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopping) fn();
    }, ms);
    this.timers.add(t);
  }

  private async housekeeping(): Promise<void> {
    const known = new Set([...this.pods.list().map((p) => p.metadata.uid!), ...(this.staticPods?.uids() ?? [])]);
    for (const key of await removeOrphans(this.o.runtime, this.o.nodeName, known, this.o.log)) this.queue.add(key);
  }

  /** Docker's events for this node's containers → syncs of their pods; resubscribes when the stream ends. */
  private async watchRuntime(): Promise<void> {
    let since: Date | undefined;
    let failures = 0;
    while (!this.stopping) {
      try {
        for await (const ev of this.o.runtime.events({ since, signal: this.abort.signal })) {
          failures = 0;
          since = ev.time;
          if (ev.labels[NODE_LABEL] !== this.o.nodeName) continue;
          if (!['die', 'oom', 'destroy', 'stop'].includes(ev.action)) continue;
          const ns = ev.labels[LABELS.podNamespace];
          const name = ev.labels[LABELS.podName];
          if (ns && name) this.queue.add(`${ns}/${name}`);
        }
      } catch (err) {
        if (this.stopping) return;
        failures++;
        this.o.log.warn({ err }, 'Docker event stream failed; resubscribing');
      }
      if (this.stopping) return;
      // The stream ended (engine restart?): resync everything, then resubscribe.
      for (const p of this.pods.list()) this.queue.add(keyOf(p));
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** failures, 10_000)));
    }
  }
}

/** What of a pod makes the kubelet sync it again: everything but its status and bookkeeping. */
function syncRelevant(p: KubeObject): string {
  const m = p.metadata;
  return canonical([m.uid, m.labels, m.annotations, m.deletionTimestamp, m.deletionGracePeriodSeconds, p.spec]);
}

/** Volumes (kubelet/volumes), env resolution (kubelet/env.ts) and the prober (kubelet/prober). */
function defaultPlugins(o: KubeletOptions, probes: ProbeManager): WorkerPlugins {
  return {
    probes,
    volumes: {
      prepare: (pod) => prepareVolumes(pod, { client: o.client, rootDir: o.rootDir, log: o.log }),
      remove: (uid) => removePodVolumes(uid, o.rootDir, tokenManagerFor(o.client)),
    },
    env: { resolve: (pod, c, podIP) => resolveEnv(pod, c, { client: o.client, nodeName: o.nodeName, hostIP: o.nodeIP, podIP }) },
    ...(o.network
      ? {
          network: {
            ready: () => o.network!.ready(),
            resolvConf: (pod: KubeObject) => podResolvConf(pod, o.dns ?? { clusterDNS: [], clusterDomain: 'cluster.local', hostResolvConf: '' }),
            hostsFile: (pod: KubeObject, ip: string) => podHostsFile(pod, ip, o.dns?.clusterDomain ?? 'cluster.local'),
            sandboxCreated: () => o.network!.setHairpin(),
          },
        }
      : {}),
  };
}
