// `skiff certs`: the PKI and kubeconfigs of a cluster on VMs, as kubeadm's certs and
// kubeconfig phases make them (skiff up makes the same for its own cluster): in DIR, the
// CA and the apiserver's certificates under pki/, the admin kubeconfig, and one kubeconfig
// per component and per node under kubeconfigs/. Made once and kept; run it again with more
// --node names for new workers, then copy kubeconfigs/kubelet-NODE.conf and
// kubeconfigs/kube-proxy.conf and pki/ca.crt to each worker.
import { hostname } from 'node:os';
import type { FlagSpec } from '../../shared/flags.js';
import { SECURE_PORT } from './layout.js';
import { ensurePKI, identityKubeconfig, kubeletKubeconfig, type Identity } from './pki.js';

export const summary = 'Make a cluster CA, the apiserver\'s certificates and a kubeconfig per component and node (for VMs; skiff up makes its own)';

export const flags: FlagSpec[] = [
  { name: 'dir', help: 'Where the PKI and kubeconfigs go (the units read /etc/skiff)', default: '/etc/skiff' },
  { name: 'apiserver-address', help: 'The control plane\'s address on the VMs\' network (in the serving certificate and every kubeconfig)', type: 'string' },
  { name: 'san', help: 'More names or addresses of the apiserver (comma-separated)', default: '' },
  { name: 'node', help: 'Worker node names to make kubelet kubeconfigs for (comma-separated)', default: '' },
];

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const address = f['apiserver-address'] === undefined ? '' : String(f['apiserver-address']);
  if (!address) {
    console.error('skiff certs: --apiserver-address is required (the control plane VM\'s address the workers reach)');
    process.exit(2);
  }
  const dir = String(f.dir);
  const list = (v: unknown) => String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const server = `https://${address}:${SECURE_PORT}`;
  const pki = ensurePKI(dir, [address, hostname(), ...list(f.san)]);
  const made: string[] = [];
  for (const who of ['admin', 'controller-manager', 'scheduler', 'dns', 'kube-proxy'] as Identity[]) made.push(identityKubeconfig(dir, pki, who, server));
  for (const node of list(f.node)) made.push(kubeletKubeconfig(dir, pki, node, server));
  console.log(`CA ${pki.ca.cert}; apiserver ${pki.apiserver.cert} (SANs: ${address}, ${hostname()}${f.san ? `, ${list(f.san).join(', ')}` : ''}, kubernetes.default…)`);
  for (const m of made) console.log(`kubeconfig ${m}`);
  console.log(`\nOn each worker, put pki/ca.crt, kubeconfigs/kube-proxy.conf and its kubeconfigs/kubelet-NODE.conf under ${dir} (see deploy/GUIDE.md).`);
}
