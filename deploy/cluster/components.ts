// The command line of each process of a cluster `skiff up` starts, secure as kubeadm sets
// a cluster up: the apiserver serves only HTTPS (client CA, anonymous only on the health
// paths, Node and RBAC authorization) on the cluster address, every component connects with
// a kubeconfig of its own identity, and each kubelet's API takes only authenticated,
// authorized callers. A node in a namespace runs under `nsenter --net`, with its own engine.
import { join } from 'node:path';
import { apiserverURL, CLUSTER_CIDR, CLUSTER_DNS, layout, NODE_IP, REGISTRY, SECURE_PORT, SERVICE_CIDR, type ClusterSettings, type NodeSpec, type Proc } from './layout.js';
import { identityKubeconfig, kubeletKubeconfig, type ClusterPKI } from './pki.js';
import { CLI } from './processes.js';

/**
 * V8's young generation kept small (semi-spaces of 1 MiB instead of up to 16): these are
 * long-lived processes with small, steady allocation, and each would otherwise hold tens
 * of MiB of nursery it rarely needs (measured with `npm run bench:up`).
 */
export const NODE_FLAGS = ['--max-semi-space-size=1'];

/** Where each node's engine keeps its runtime state (short: containerd's socket paths are bounded). */
export const nodeExecRoot = (node: NodeSpec) => `/run/skiff/${node.name}`;

/** The full argv of a process. `storageDriver`: the host engine's, for the nodes' engines. */
export function commandLine(p: Proc, s: ClusterSettings, pki: ClusterPKI, storageDriver: string): string[] {
  const l = layout(s.dataDir);
  const server = apiserverURL();
  const skiff = (...args: string[]) => [process.execPath, ...NODE_FLAGS, CLI, ...args];
  const kubeconfig = (who: 'controller-manager' | 'scheduler' | 'dns' | 'kube-proxy') => ['--kubeconfig', identityKubeconfig(s.dataDir, pki, who, server)];
  switch (p.name) {
    case 'apiserver':
      return skiff('apiserver', '--data-dir', l.apiserverData,
        '--port', '0', '--secure-port', String(SECURE_PORT), '--bind-address', NODE_IP, '--advertise-address', NODE_IP,
        '--tls-cert-file', pki.apiserver.cert, '--tls-private-key-file', pki.apiserver.key, '--client-ca-file', pki.ca.cert,
        '--authentication-config', pki.authenticationConfig, '--authorization-mode', 'Node,RBAC',
        '--kubelet-client-certificate', pki.kubeletClient.cert, '--kubelet-client-key', pki.kubeletClient.key,
        '--service-cluster-ip-range', SERVICE_CIDR);
    case 'controller-manager':
      return skiff('controller-manager', ...kubeconfig('controller-manager'), '--root-ca-file', pki.ca.cert,
        '--cluster-cidr', CLUSTER_CIDR, '--node-monitor-grace-period', String(s.nodeMonitorGracePeriod));
    case 'scheduler':
      return skiff('scheduler', ...kubeconfig('scheduler'));
    case 'dns':
      return skiff('dns', ...kubeconfig('dns'), '--bind-address', NODE_IP, '--port', '53', '--advertise-address', NODE_IP, '--health-port', '8080');
  }
  const node = p.node!;
  const inNode = (argv: string[]) => (node.netns ? ['nsenter', `--net=/var/run/netns/${node.netns}`, ...argv] : argv);
  switch (p.name) {
    case 'dockerd':
      return inNode(['dockerd', '--host', node.dockerHost, '--data-root', join(node.dir, 'docker'), '--exec-root', nodeExecRoot(node),
        '--pidfile', join(node.dir, 'docker.pid'), '--storage-driver', storageDriver, '--bridge=none', '--iptables=true', '--ip-masq=false',
        '--exec-opt', 'native.cgroupdriver=cgroupfs', '--log-driver', 'json-file', '--log-opt', 'max-size=10m',
        '--registry-mirror', `http://${REGISTRY}`, '--insecure-registry', REGISTRY, '--log-level', 'warn']);
    case 'kube-proxy':
      return inNode(skiff('kube-proxy', ...kubeconfig('kube-proxy'), '--hostname-override', node.name, '--healthz-bind-address', '127.0.0.1:10256',
        '--cluster-cidr', CLUSTER_CIDR, '--service-cluster-ip-range', SERVICE_CIDR));
    case 'kubelet':
      return inNode(skiff('kubelet', '--kubeconfig', kubeletKubeconfig(s.dataDir, pki, node.name, server), '--hostname-override', node.name,
        '--node-ip', node.ip, '--root-dir', node.netns ? join(node.dir, 'kubelet') : l.kubeletRoot, '--cluster-dns', CLUSTER_DNS,
        '--cluster-cidr', CLUSTER_CIDR, '--service-cluster-ip-range', SERVICE_CIDR,
        '--client-ca-file', pki.ca.cert, '--anonymous-auth=false', '--authentication-token-webhook', '--authorization-mode', 'Webhook',
        ...(node.netns ? ['--docker-host', node.dockerHost, '--pod-cidr', node.podCIDR!, '--pull-images'] : [])));
  }
}
