// What a cluster puts on the host besides processes: the cluster bridge (the node's
// address), and what kube-proxy and the kubelet's pod network leave by design (rules,
// routes, the pod bridge, the service device), removed again by `skiff down`.
import Docker from 'dockerode';
import { ensureDevice, removeServiceRoute } from '../../kube-proxy/host-network.js';
import { run as sh } from '../../shared/exec.js';
import { CLUSTER_BRIDGE, NODE_CIDR, NODE_IP, SERVICE_CIDR } from './layout.js';
import { CLI } from './processes.js';

/** The cluster bridge with the node's address (a bridge with no ports: nothing leaves through it). */
export async function ensureClusterBridge(): Promise<void> {
  await ensureDevice(CLUSTER_BRIDGE);
  const addrs = await sh('ip', ['-o', '-4', 'addr', 'show', 'dev', CLUSTER_BRIDGE]);
  if (!addrs.includes(`${NODE_IP}/`)) await sh('ip', ['addr', 'add', `${NODE_IP}/${NODE_CIDR.split('/')[1]}`, 'dev', CLUSTER_BRIDGE]);
}

export async function removeClusterBridge(): Promise<void> {
  await sh('ip', ['link', 'del', CLUSTER_BRIDGE]).catch(() => undefined);
}

/** Removes every container a node's kubelet made (they carry the node's name). */
export async function removeNodeContainers(nodeName: string): Promise<number> {
  const docker = new Docker();
  const mine = await docker.listContainers({ all: true, filters: { label: [`skiff.node.name=${nodeName}`] } });
  await Promise.all(mine.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  return mine.length;
}

/** Removes every container of a node's own engine (unix:///…/docker.sock). */
export async function removeEngineContainers(dockerHost: string): Promise<number> {
  const ids = (await sh('docker', ['-H', dockerHost, 'ps', '-aq'])).split('\n').filter(Boolean);
  if (ids.length) await sh('docker', ['-H', dockerHost, 'rm', '-f', '-v', ...ids], { timeoutMs: 120_000 });
  return ids.length;
}

/** kube-proxy's rules (its --cleanup), the pod network's chains, routes and bridge, the service device. */
export async function cleanupNodeNetwork(): Promise<void> {
  await sh(process.execPath, [CLI, 'kube-proxy', '--cleanup', '--v', 'warn']).catch(() => undefined);
  for (const [table, chain, target] of [['filter', 'FORWARD', 'SKIFFNET-FORWARD'], ['nat', 'POSTROUTING', 'SKIFFNET-POSTROUTING']] as const) {
    await sh('iptables', ['-w', '5', '-t', table, '-D', chain, '-m', 'comment', '--comment', 'skiff pod network', '-j', target]).catch(() => undefined);
    await sh('iptables', ['-w', '5', '-t', table, '-F', target]).catch(() => undefined);
    await sh('iptables', ['-w', '5', '-t', table, '-X', target]).catch(() => undefined);
  }
  const docker = new Docker();
  const networks = await docker.listNetworks({ filters: { label: ['skiff.pod-network'] } }).catch(() => []);
  for (const n of networks) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  await sh('ip', ['route', 'flush', 'proto', '77']).catch(() => undefined);
  await removeServiceRoute({ serviceCIDR: SERVICE_CIDR, device: 'skiff-svc0' });
  await sh('ip', ['link', 'del', 'skiff-lb0']).catch(() => undefined);
}
