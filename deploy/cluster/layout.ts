// Where a cluster started by `skiff up` keeps its things, and what it runs: one directory
// (default /var/lib/skiff) with the components' data, logs and pid files, and the
// addresses of the one-node cluster on this host.
import { join } from 'node:path';

export const DEFAULT_DATA_DIR = '/var/lib/skiff';

/** The host's side of the cluster network: a bridge of its own, so the node's address is skiff's, not the uplink's. */
export const CLUSTER_BRIDGE = 'skiff-br0';
export const NODE_CIDR = '10.250.0.0/24';
export const NODE_IP = '10.250.0.1';
export const CLUSTER_DNS = '10.96.0.10';
/** The components' defaults for the ClusterIP range (the apiserver's, kube-proxy's, the kubelet's). */
export const SERVICE_CIDR = '10.96.0.0/16';

export interface Layout {
  dataDir: string;
  logs: string;
  run: string;
  kubeconfig: string;
  apiserverData: string;
  kubeletRoot: string;
}

export function layout(dataDir: string): Layout {
  return {
    dataDir,
    logs: join(dataDir, 'logs'),
    run: join(dataDir, 'run'),
    kubeconfig: join(dataDir, 'kubeconfig'),
    apiserverData: join(dataDir, 'apiserver'),
    kubeletRoot: join(dataDir, 'kubelet'),
  };
}

export type ComponentName = 'apiserver' | 'controller-manager' | 'scheduler' | 'kubelet' | 'kube-proxy' | 'dns';

/** In start order; `down` stops them in the reverse order. */
export const COMPONENTS: ComponentName[] = ['apiserver', 'controller-manager', 'scheduler', 'dns', 'kube-proxy', 'kubelet'];

export interface ClusterSettings {
  dataDir: string;
  apiserverPort: number;
  nodeName: string;
}

export const apiserverURL = (s: ClusterSettings) => `http://127.0.0.1:${s.apiserverPort}`;

/** The command line of each component (after `skiff`). */
export function componentArgs(name: ComponentName, s: ClusterSettings): string[] {
  const l = layout(s.dataDir);
  const server = ['--server', apiserverURL(s)];
  switch (name) {
    case 'apiserver':
      return ['apiserver', '--data-dir', l.apiserverData, '--bind-address', '127.0.0.1', '--port', String(s.apiserverPort)];
    case 'controller-manager':
      return ['controller-manager', ...server];
    case 'scheduler':
      return ['scheduler', ...server];
    case 'dns':
      return ['dns', ...server, '--bind-address', NODE_IP, '--port', '53', '--advertise-address', NODE_IP, '--health-port', '8080'];
    case 'kube-proxy':
      return ['kube-proxy', ...server, '--hostname-override', s.nodeName, '--healthz-bind-address', '127.0.0.1:10256'];
    case 'kubelet':
      return ['kubelet', ...server, '--hostname-override', s.nodeName, '--node-ip', NODE_IP, '--root-dir', l.kubeletRoot, '--cluster-dns', CLUSTER_DNS];
  }
}
