// A real one-node cluster on this machine for the network end-to-end tests: apiserver,
// controller-manager, scheduler, a Docker-backed kubelet, kube-proxy and the cluster DNS,
// each its own process. The node's InternalIP sits on a veth whose other end is a network
// namespace playing a caller outside the cluster (no default route there: DESIGN.md's
// safety rule). cleanup() removes what it made: pods' containers, rules, routes, links.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { NODE_LABEL } from '../../kubelet/container-spec.js';
import { run } from '../../shared/exec.js';
import { cleanupNodeNetwork } from '../../deploy/cluster/host.js';
import { startApiserver, startComponent, startControllerManager, type ApiserverProcess, type ComponentProcess } from './apiserver.js';
import { Kubectl } from './kubectl.js';
import { until } from './until.js';


export const CLUSTER_DNS = '10.96.0.10';

export interface ClusterOptions {
  /** Unique per test file: names the node, the client namespace and the veth. */
  name: string;
  /** The node's InternalIP (host side of the veth) and the outside caller's address. */
  nodeIP: string;
  clientIP: string;
  kubeProxyArgs?: string[];
}

/** A host command with a hard time bound; its stdout. */
export const sh = (cmd: string, args: string[], timeoutMs = 30_000): Promise<string> => run(cmd, args, { timeoutMs });

export class NodeCluster {
  api!: ApiserverProcess;
  kubectl!: Kubectl;
  controllers!: ComponentProcess;
  scheduler!: ComponentProcess;
  kubelet!: ComponentProcess;
  proxy!: ComponentProcess;
  dns!: ComponentProcess;
  readonly node: string;
  readonly netns: string;
  private readonly veth: string;
  private readonly rootDir = mkdtempSync(join(tmpdir(), 'skiff-node-'));

  constructor(readonly o: ClusterOptions) {
    this.node = `${o.name}-node`;
    this.netns = `skiff-${o.name}-client`;
    this.veth = `skf-${o.name}`.slice(0, 15);
  }

  /** Runs a command in the outside caller's network namespace. */
  inClient(args: string[], timeoutMs = 30_000): Promise<string> {
    return sh('nsenter', [`--net=/var/run/netns/${this.netns}`, ...args], timeoutMs);
  }

  async start(): Promise<void> {
    await this.removeLinks();
    await sh('ip', ['netns', 'add', this.netns]);
    await sh('ip', ['link', 'add', this.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.netns]);
    await sh('ip', ['addr', 'add', `${this.o.nodeIP}/30`, 'dev', this.veth]);
    await sh('ip', ['link', 'set', this.veth, 'up']);
    await this.inClient(['ip', 'addr', 'add', `${this.o.clientIP}/30`, 'dev', 'eth0']);
    await this.inClient(['ip', 'link', 'set', 'eth0', 'up']);
    await this.inClient(['ip', 'link', 'set', 'lo', 'up']);

    // As a real cluster: ServiceAccount admission on, its controllers running.
    this.api = await startApiserver(['--enable-admission-plugins=ServiceAccount']);
    this.kubectl = new Kubectl(this.api.url);
    const server = ['--server', this.api.url];
    this.controllers = await startControllerManager(this.api.url);
    this.scheduler = startComponent('scheduler', [...server, '--leader-elect=false', '--v', 'warn']);
    this.startProxy();
    this.dns = startComponent('dns', [...server, '--bind-address', this.o.nodeIP, '--port', '0', '--advertise-address', this.o.nodeIP, '--health-port', '0', '--v', 'warn']);
    this.kubelet = startComponent('kubelet', [
      ...server,
      '--hostname-override', this.node,
      '--root-dir', this.rootDir,
      '--node-ip', this.o.nodeIP,
      '--port', '0',
      '--cluster-dns', CLUSTER_DNS,
      '--v', 'warn',
    ]);
    await this.until('the node Ready with a podCIDR', async () => {
      const n = JSON.parse(await this.kubectl.ok(['get', 'node', this.node, '-o', 'json']));
      return n.spec?.podCIDR && n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    });
    await this.until('the kube-dns endpoints', async () => {
      const r = await this.kubectl.run(['get', 'endpoints', 'kube-dns', '-n', 'kube-system', '-o', 'jsonpath={.subsets[0].addresses[0].ip}']);
      return r.stdout === this.o.nodeIP;
    });
  }

  startProxy(): void {
    this.proxy = startComponent('kube-proxy', [
      '--server', this.api.url,
      '--hostname-override', this.node,
      '--healthz-bind-address', '127.0.0.1:0',
      '--metrics-bind-address', '127.0.0.1:0',
      ...(this.o.kubeProxyArgs ?? []),
    ]);
  }

  until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
    return until(what, fn, timeoutMs, () => this.logs());
  }

  logs(): string {
    const tail = (name: string, c?: ComponentProcess) => `--- ${name} ---\n${(c?.output() ?? '').slice(-3000)}`;
    return [tail('kubelet', this.kubelet), tail('kube-proxy', this.proxy), tail('dns', this.dns), tail('controller-manager', this.controllers)].join('\n');
  }

  /** Everything this cluster made on the machine goes. */
  async cleanup(): Promise<void> {
    await Promise.all([this.kubelet, this.proxy, this.dns, this.scheduler, this.controllers].map((c) => c?.stop()));
    const docker = new Docker();
    const mine = await docker.listContainers({ all: true, filters: { label: [`${NODE_LABEL}=${this.node}`] } });
    await Promise.all(mine.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    await cleanupNodeNetwork();
    await this.api?.cleanup();
    await this.removeLinks();
    rmSync(this.rootDir, { recursive: true, force: true });
  }

  private async removeLinks(): Promise<void> {
    await sh('ip', ['netns', 'del', this.netns]).catch(() => undefined);
    await sh('ip', ['link', 'del', this.veth]).catch(() => undefined);
  }
}

export { cleanupNodeNetwork } from '../../deploy/cluster/host.js';
