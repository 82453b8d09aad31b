// Where a cluster started by `skiff up` keeps its things, and what it runs: one directory
// (default /var/lib/skiff) with the components' data, PKI, kubeconfigs, logs and pid files,
// and the addresses of the cluster on this host.
//
// One node (the default): the node is this host, its kubelet and kube-proxy beside the
// control plane, pods in the host's Docker engine. Several nodes (`--nodes N`, N > 1): each
// node is a network namespace `skiff-node-I` at 10.250.0.(10+I) on the cluster bridge, with
// a Docker engine, kubelet and kube-proxy of its own and no default route; the control
// plane runs on the host at 10.250.0.1, and the nodes pull images from the cluster's registry.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_DATA_DIR = '/var/lib/skiff';

/** The host's side of the cluster network: a bridge of its own, so the node's address is skiff's, not the uplink's. */
export const CLUSTER_BRIDGE = 'skiff-br0';
export const NODE_CIDR = '10.250.0.0/24';
export const NODE_IP = '10.250.0.1';
export const CLUSTER_DNS = '10.96.0.10';
/** The components' defaults for the ClusterIP range (the apiserver's, kube-proxy's, the kubelet's). */
export const SERVICE_CIDR = '10.96.0.0/16';
export const CLUSTER_CIDR = '10.244.0.0/16';
/** The apiserver's secure port (it serves no plain port in a cluster `skiff up` starts). */
export const SECURE_PORT = 6443;
/** The cluster registry, on the host's cluster address: the nodes' engines use it as their mirror. */
export const REGISTRY_PORT = 5000;
export const REGISTRY = `${NODE_IP}:${REGISTRY_PORT}`;
export const REGISTRY_CONTAINER = 'skiff-registry';

export interface Layout {
  dataDir: string;
  logs: string;
  run: string;
  kubeconfig: string;
  apiserverData: string;
  kubeletRoot: string;
  /** What `skiff up` was asked for, so that status, down and node find the nodes again. */
  settings: string;
}

export function layout(dataDir: string): Layout {
  return {
    dataDir,
    logs: join(dataDir, 'logs'),
    run: join(dataDir, 'run'),
    kubeconfig: join(dataDir, 'kubeconfig'),
    apiserverData: join(dataDir, 'apiserver'),
    kubeletRoot: join(dataDir, 'kubelet'),
    settings: join(dataDir, 'cluster.json'),
  };
}

export type ControlPlaneName = 'apiserver' | 'controller-manager' | 'scheduler' | 'dns';
export type NodeComponentName = 'dockerd' | 'kube-proxy' | 'kubelet';
export type ComponentName = ControlPlaneName | NodeComponentName;

/** In start order; `down` stops them in the reverse order. */
export const CONTROL_PLANE: ControlPlaneName[] = ['apiserver', 'controller-manager', 'scheduler', 'dns'];

export interface ClusterSettings {
  dataDir: string;
  /** 1: this host is the node. More: that many node namespaces. */
  nodes: number;
  /** The name of the node in the one-node cluster (the host's name). */
  nodeName: string;
  /** The controller-manager's --node-monitor-grace-period, in seconds. */
  nodeMonitorGracePeriod: number;
}

export interface NodeSpec {
  name: string;
  ip: string;
  /** The node's network namespace; absent: the host. */
  netns?: string;
  /** The node's pods' range (routed to it from the host and the other nodes). */
  podCIDR?: string;
  /** Its Docker engine. */
  dockerHost: string;
  /** Its directory: the engine's data, the kubelet's root. */
  dir: string;
}

export const nodeName = (i: number) => `skiff-node-${i}`;

export function clusterNodes(s: ClusterSettings): NodeSpec[] {
  if (s.nodes <= 1) return [{ name: s.nodeName, ip: NODE_IP, dockerHost: 'unix:///var/run/docker.sock', dir: s.dataDir }];
  return Array.from({ length: s.nodes }, (_, k) => {
    const name = nodeName(k + 1);
    const dir = join(s.dataDir, 'nodes', name);
    return { name, ip: `10.250.0.${11 + k}`, netns: name, podCIDR: `10.244.${k + 1}.0/24`, dockerHost: `unix://${join(dir, 'docker.sock')}`, dir };
  });
}

/** A process of the cluster: a control-plane component, or a node's component (`NODE/NAME`). */
export interface Proc {
  name: ComponentName;
  node?: NodeSpec;
}

export const procId = (p: Proc) => (p.node?.netns ? `${p.node.name}/${p.name}` : p.name);

/** Every process, in start order. */
export function clusterProcs(s: ClusterSettings): Proc[] {
  const nodes = clusterNodes(s);
  const nodeProcs = nodes.flatMap((node): Proc[] =>
    node.netns ? [{ name: 'dockerd', node }, { name: 'kube-proxy', node }, { name: 'kubelet', node }] : [{ name: 'kube-proxy', node }, { name: 'kubelet', node }],
  );
  return [...CONTROL_PLANE.map((name): Proc => ({ name })), ...nodeProcs];
}

export const apiserverURL = () => `https://${NODE_IP}:${SECURE_PORT}`;

/** The settings `skiff up` last ran with, else `fallback`, else one node named after the host. */
export function savedSettings(dataDir: string, fallback: Partial<Omit<ClusterSettings, 'dataDir'>> = {}): ClusterSettings {
  const defaults = { nodes: 1, nodeName: hostname(), nodeMonitorGracePeriod: 40, ...fallback };
  const file = layout(dataDir).settings;
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<ClusterSettings>) : {};
  return { ...defaults, ...saved, dataDir };
}

export function saveSettings(s: ClusterSettings): void {
  writeFileSync(layout(s.dataDir).settings, `${JSON.stringify({ nodes: s.nodes, nodeName: s.nodeName, nodeMonitorGracePeriod: s.nodeMonitorGracePeriod }, null, 2)}\n`);
}
