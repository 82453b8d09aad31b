// The pod network of this node, what a CNI bridge plugin plus flannel's host-gw backend do:
// - a Docker bridge network on the node's spec.podCIDR (gateway .1), created when missing,
//   without Docker's masquerade: pod-to-pod traffic is never NATed;
// - routes to every other node's podCIDR via that node's InternalIP, kept in step with the
//   Node objects, and the whole cluster CIDR otherwise unreachable, so a packet to a pod IP
//   that no node holds fails here instead of following the default route;
// - filter rules accepting forwarded traffic to and from the cluster CIDR (Docker's FORWARD
//   chain would drop what arrives for a pod from another node), and a masquerade of pod
//   traffic leaving the cluster ranges.
// The routes and rules are the host's: they are written only when the engine is local.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import Docker from 'dockerode';
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import { run } from '../../shared/exec.js';
import { Informer } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { dockerOptions } from '../runtime/docker-convert.js';
import { RuntimeError } from '../runtime/runtime.js';


/** Routes this kubelet wrote carry this protocol number, so that it can find and prune them. */
export const ROUTE_PROTO = '77';
const LABEL = 'skiff.pod-network';
const FORWARD_CHAIN = 'SKIFFNET-FORWARD';
const NAT_CHAIN = 'SKIFFNET-POSTROUTING';

export interface PodNetworkOptions {
  client: Client;
  log: Logger;
  nodeName: string;
  dockerHost?: string;
  /** --cluster-cidr: every node's podCIDR lies in it. */
  clusterCIDR: string;
  /** --service-cluster-ip-range: pod traffic to it is not masqueraded either. */
  serviceCIDR: string;
  /** The Linux bridge of the pods (Docker network option com.docker.network.bridge.name). */
  bridge: string;
  /** --pod-cidr: used until (or unless) the Node has a spec.podCIDR. */
  podCIDR?: string;
  /** Write routes and iptables rules on this host (false when Docker runs elsewhere). */
  manageHost: boolean;
}

export class PodNetwork {
  readonly nodes: Informer<KubeObject>;
  private readonly docker: Docker;
  private ensured?: { cidr: string; name: string };
  private ensuring?: Promise<void>;
  private routesTimer?: NodeJS.Timeout;
  private hostRulesDone = false;

  constructor(private readonly o: PodNetworkOptions) {
    this.docker = new Docker(dockerOptions(o.dockerHost));
    this.nodes = new Informer(o.client, R.nodes, o.log.child({ informer: 'nodes' }));
    const changed = () => this.scheduleRoutes();
    this.nodes.addHandlers({ onAdd: changed, onUpdate: (a, b) => routeRelevant(a) !== routeRelevant(b) && changed(), onDelete: changed });
  }

  get networkName(): string {
    return this.o.bridge === 'skiff0' ? 'skiff-pods' : `skiff-pods-${this.o.bridge}`;
  }

  async start(): Promise<void> {
    if (this.o.manageHost) {
      // Before any pod runs: nothing sent to the cluster CIDR may leave through the default route.
      await ip(['route', 'replace', 'unreachable', this.o.clusterCIDR, 'proto', ROUTE_PROTO]);
      await this.ensureHostRules();
    }
    await this.nodes.start();
    this.scheduleRoutes();
  }

  stop(): void {
    this.nodes.stop();
    clearTimeout(this.routesTimer);
  }

  /** The node's podCIDR: the Node's spec.podCIDR, else --pod-cidr. */
  podCIDR(): string | undefined {
    const node = this.nodes.get(this.o.nodeName);
    return (node?.spec?.podCIDR as string | undefined) || this.o.podCIDR;
  }

  /** The Docker network sandboxes join, created for the current podCIDR when missing. */
  async ready(): Promise<string> {
    const cidr = this.podCIDR();
    if (!cidr) {
      throw new RuntimeError('NetworkNotReady', `network is not ready: node ${this.o.nodeName} has no spec.podCIDR yet (the controller-manager's node IPAM assigns one; or start the kubelet with --pod-cidr)`);
    }
    if (this.ensured?.cidr === cidr) return this.ensured.name;
    // Pods sync in parallel: one creation of the network at a time, the others wait for it.
    this.ensuring ??= (async () => {
      await this.ensureNetwork(cidr);
      if (this.o.manageHost) await this.ensureHostRules(true);
      this.ensured = { cidr, name: this.networkName };
    })().finally(() => (this.ensuring = undefined));
    await this.ensuring;
    return this.ready();
  }

  /**
   * Hairpin mode on every port of the pod bridge (the kubelet's hairpin-veth): a pod reaching
   * itself through its Service has its packet DNATed back to the port it came in on, which a
   * bridge forwards only with hairpin on.
   */
  async setHairpin(): Promise<void> {
    if (!this.o.manageHost) return;
    const dir = `/sys/class/net/${this.o.bridge}/brif`;
    for (const port of await readdir(dir).catch(() => [] as string[])) {
      const file = `${dir}/${port}/hairpin_mode`;
      if ((await readFile(file, 'utf8').catch(() => '1')).trim() !== '1') {
        await writeFile(file, '1').catch((err: unknown) => this.o.log.warn({ port, err }, 'cannot set hairpin mode: a pod reaching itself through its Service will time out'));
      }
    }
  }

  private async ensureNetwork(cidr: string): Promise<void> {
    const mine = (await this.docker.listNetworks({ filters: { label: [LABEL] } })).filter((n) => n.Options?.['com.docker.network.bridge.name'] === this.o.bridge || n.Name === this.networkName);
    for (const n of mine) {
      const subnet = n.IPAM?.Config?.[0]?.Subnet;
      if (subnet === cidr && n.Name === this.networkName) return;
      const info = await this.docker.getNetwork(n.Id).inspect();
      if (Object.keys(info.Containers ?? {}).length) {
        throw new RuntimeError('NetworkNotReady', `network is not ready: the pod bridge ${this.o.bridge} (Docker network ${n.Name}) has subnet ${subnet} and running containers, but this node's podCIDR is ${cidr}; stop those containers or give this node its old podCIDR`);
      }
      this.o.log.info({ network: n.Name, subnet, podCIDR: cidr }, 'removing the pod network of another podCIDR');
      await this.docker.getNetwork(n.Id).remove();
    }
    this.o.log.info({ network: this.networkName, bridge: this.o.bridge, podCIDR: cidr }, 'creating the pod network');
    await this.docker.createNetwork({
      Name: this.networkName,
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: cidr, Gateway: gatewayOf(cidr) }] },
      Options: {
        'com.docker.network.bridge.name': this.o.bridge,
        'com.docker.network.bridge.enable_ip_masquerade': 'false',
        'com.docker.network.bridge.enable_icc': 'true',
      },
      Labels: { [LABEL]: 'true', 'skiff.node.name': this.o.nodeName },
    });
  }

  /** SKIFFNET chains: accept forwarded cluster traffic; masquerade pods' traffic leaving the cluster ranges. */
  private async ensureHostRules(force = false): Promise<void> {
    if (this.hostRulesDone && !force) return;
    const cidr = this.podCIDR();
    const c = this.o.clusterCIDR;
    const payload = [
      '*filter',
      `:${FORWARD_CHAIN} - [0:0]`,
      `-A ${FORWARD_CHAIN} -s ${c} -m comment --comment "skiff pod network: from pods" -j ACCEPT`,
      `-A ${FORWARD_CHAIN} -d ${c} -m comment --comment "skiff pod network: to pods" -j ACCEPT`,
      'COMMIT',
      '*nat',
      `:${NAT_CHAIN} - [0:0]`,
      `-A ${NAT_CHAIN} -d ${c} -m comment --comment "skiff pod network: pod to pod, never NATed" -j RETURN`,
      `-A ${NAT_CHAIN} -d ${this.o.serviceCIDR} -j RETURN`,
      ...(cidr ? [`-A ${NAT_CHAIN} -s ${cidr} -m comment --comment "skiff pod network: leaving the cluster" -j MASQUERADE`] : []),
      'COMMIT',
      '',
    ].join('\n');
    await run('iptables-restore', ['-w', '5', '--noflush'], { input: payload });
    await ensureRule('filter', 'FORWARD', ['-m', 'comment', '--comment', 'skiff pod network', '-j', FORWARD_CHAIN]);
    await ensureRule('nat', 'POSTROUTING', ['-m', 'comment', '--comment', 'skiff pod network', '-j', NAT_CHAIN]);
    this.hostRulesDone = true;
  }

  private scheduleRoutes(): void {
    if (!this.o.manageHost || this.routesTimer) return;
    this.routesTimer = setTimeout(() => {
      this.routesTimer = undefined;
      this.syncRoutes().catch((err: unknown) => {
        this.o.log.warn({ err }, 'syncing the routes to other nodes failed; retrying');
        setTimeout(() => this.scheduleRoutes(), 2000).unref();
      });
    }, 50);
  }

  /** host-gw: a route per other node's podCIDR via its InternalIP; routes of nodes gone are removed. */
  async syncRoutes(): Promise<void> {
    const local = new Set((await ip(['-o', '-4', 'addr', 'show'])).split('\n').map((l) => /inet (\S+)\//.exec(l)?.[1]).filter(Boolean) as string[]);
    const want = new Map<string, string>();
    for (const n of this.nodes.list()) {
      if (n.metadata.name === this.o.nodeName) continue;
      const cidr = n.spec?.podCIDR as string | undefined;
      const addr = ((n.status?.addresses ?? []) as { type: string; address: string }[]).find((a) => a.type === 'InternalIP')?.address;
      if (!cidr || !addr || local.has(addr) || addr.startsWith('127.')) continue;
      want.set(cidr, addr);
    }
    const have = new Map<string, string>();
    for (const line of (await ip(['-o', '-4', 'route', 'show', 'proto', ROUTE_PROTO])).split('\n')) {
      const m = /^(\S+) via (\S+)/.exec(line.trim());
      if (m) have.set(m[1]!, m[2]!);
    }
    for (const [cidr, via] of want) {
      if (have.get(cidr) === via) continue;
      try {
        await ip(['route', 'replace', cidr, 'via', via, 'proto', ROUTE_PROTO]);
        this.o.log.info({ podCIDR: cidr, via }, 'route to a node\'s pods');
      } catch (err) {
        this.o.log.warn({ podCIDR: cidr, via, err }, 'cannot route to that node\'s pods (is its InternalIP reachable from here?)');
      }
    }
    for (const cidr of have.keys()) {
      if (want.has(cidr)) continue;
      await ip(['route', 'del', cidr, 'proto', ROUTE_PROTO]).catch(() => undefined);
      this.o.log.info({ podCIDR: cidr }, 'removed the route of a node gone');
    }
  }
}

function routeRelevant(n: KubeObject): string {
  return JSON.stringify([n.spec?.podCIDR, n.status?.addresses]);
}

/** The first address of a CIDR (the bridge's own, the pods' gateway). */
export function gatewayOf(cidr: string): string {
  const [base] = cidr.split('/');
  const parts = base!.split('.').map(Number);
  parts[3] = parts[3]! + 1;
  return parts.join('.');
}

const ip = (args: string[]) => run('ip', args);

/**
 * Appends the rule when missing. Last, as a CNI plugin's: kube-proxy's service rules (which
 * reject traffic to a Service without endpoints) and Docker's own come first.
 */
async function ensureRule(table: string, chain: string, rule: string[]): Promise<void> {
  try {
    await run('iptables', ['-w', '5', '-t', table, '-C', chain, ...rule]);
  } catch {
    // -C exits 1 when the rule is missing.
    await run('iptables', ['-w', '5', '-t', table, '-A', chain, ...rule]);
  }
}
