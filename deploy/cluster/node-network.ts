// The nodes of a several-node cluster on one host: each a network namespace linked to the
// cluster bridge by a veth pair, with the node's address and no default route (a packet for
// anything but the cluster's ranges fails in the node, never leaves the host). The host
// routes each node's pod range to it, keeps every cluster range local (`unreachable`
// beneath), and lets the bridge forward between nodes despite Docker's FORWARD policy.
import { existsSync } from 'node:fs';
import { run as sh } from '../../shared/exec.js';
import { CLUSTER_BRIDGE, CLUSTER_CIDR, NODE_CIDR, SERVICE_CIDR, type NodeSpec } from './layout.js';

/** Routes skiff's `up` adds on the host (`ip route flush proto 78` removes them all). */
const ROUTE_PROTO = '78';
const FORWARD_CHAIN = 'SKIFF-CLUSTER-BRIDGE';
const FORWARD_COMMENT = 'skiff cluster bridge';

/** The host end of a node's veth pair (interface names are at most 15 characters). */
export const hostVeth = (node: NodeSpec) => `skv-${node.name.replace(/^skiff-node-/, '')}`;

const inNode = (node: NodeSpec, args: string[]) => sh('ip', ['-n', node.netns!, ...args]);

/** The node's namespace, link and address; idempotent. */
export async function ensureNodeNamespace(node: NodeSpec): Promise<void> {
  const ns = node.netns!;
  if (!existsSync(`/var/run/netns/${ns}`)) await sh('ip', ['netns', 'add', ns]);
  const veth = hostVeth(node);
  const links = await sh('ip', ['-o', 'link', 'show']);
  if (!new RegExp(`^\\d+: ${veth}[:@]`, 'm').test(links)) {
    // A leftover eth0 in the namespace (its peer gone) would block the new pair.
    await inNode(node, ['link', 'del', 'eth0']).catch(() => undefined);
    await sh('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  }
  await sh('ip', ['link', 'set', veth, 'master', CLUSTER_BRIDGE, 'up']);
  await inNode(node, ['link', 'set', 'lo', 'up']);
  const addrs = await inNode(node, ['-o', '-4', 'addr', 'show', 'dev', 'eth0']);
  if (!addrs.includes(`${node.ip}/`)) await inNode(node, ['addr', 'add', `${node.ip}/${NODE_CIDR.split('/')[1]}`, 'dev', 'eth0']);
  await inNode(node, ['link', 'set', 'eth0', 'up']);
  // Nothing but the cluster: no default route, ever.
  await inNode(node, ['route', 'del', 'default']).catch(() => undefined);
  for (const [key, value] of [['net.ipv4.ip_forward', '1'], ['net.ipv4.conf.all.rp_filter', '0'], ['net.ipv4.conf.default.rp_filter', '0']]) {
    await sh('nsenter', [`--net=/var/run/netns/${ns}`, 'sysctl', '-qw', `${key}=${value}`]);
  }
}

/** The host side: pod ranges routed to their nodes, the cluster ranges unreachable beneath, bridged traffic forwarded. */
export async function ensureHostRoutes(nodes: NodeSpec[]): Promise<void> {
  for (const cidr of [CLUSTER_CIDR, SERVICE_CIDR]) {
    await sh('ip', ['route', 'replace', 'unreachable', cidr, 'metric', '4000', 'proto', ROUTE_PROTO]);
  }
  for (const n of nodes) await sh('ip', ['route', 'replace', n.podCIDR!, 'via', n.ip, 'dev', CLUSTER_BRIDGE, 'proto', ROUTE_PROTO]);
  // br_netfilter sends bridged frames through FORWARD, where Docker's policy is DROP.
  const ipt = (args: string[]) => sh('iptables', ['-w', '5', ...args]);
  await ipt(['-N', FORWARD_CHAIN]).catch(() => undefined);
  await ipt(['-F', FORWARD_CHAIN]);
  await ipt(['-A', FORWARD_CHAIN, '-i', CLUSTER_BRIDGE, '-o', CLUSTER_BRIDGE, '-j', 'ACCEPT']);
  const jump = ['FORWARD', '-m', 'comment', '--comment', FORWARD_COMMENT, '-j', FORWARD_CHAIN];
  const present = await ipt(['-C', ...jump]).then(() => true, () => false);
  if (!present) await ipt(['-I', ...jump]);
}

export async function removeHostRoutes(): Promise<void> {
  await sh('ip', ['route', 'flush', 'proto', ROUTE_PROTO]).catch(() => undefined);
  const ipt = (args: string[]) => sh('iptables', ['-w', '5', ...args]).catch(() => undefined);
  await ipt(['-D', 'FORWARD', '-m', 'comment', '--comment', FORWARD_COMMENT, '-j', FORWARD_CHAIN]);
  await ipt(['-F', FORWARD_CHAIN]);
  await ipt(['-X', FORWARD_CHAIN]);
}

/** Cuts (or restores) the node's link to the cluster: a partition, as a failure drill. */
export async function setNodeLink(node: NodeSpec, up: boolean): Promise<void> {
  await sh('ip', ['link', 'set', hostVeth(node), up ? 'up' : 'down']);
}

/** Removes the node's namespace (and with it its end of the link, which takes the host's end too). */
export async function removeNodeNamespace(node: NodeSpec): Promise<void> {
  await sh('ip', ['link', 'del', hostVeth(node)]).catch(() => undefined);
  if (existsSync(`/var/run/netns/${node.netns}`)) await sh('ip', ['netns', 'del', node.netns!]).catch(() => undefined);
}
