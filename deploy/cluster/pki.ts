// The cluster's PKI and kubeconfigs, as kubeadm lays them out (certs phase, kubeconfig
// phase): a CA, the apiserver's serving certificate and its kubelet client certificate, and
// for the admin and every component a client certificate of its own identity inside a
// kubeconfig. Made once with openssl (apiserver/auth/pki.ts) and kept: `skiff up` again
// reuses them, and a node added later gets its own.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createCA, createClientCert, createServingCert, type CertPair } from '../../apiserver/auth/pki.js';
import { Client } from '../../shared/client.js';
import { loadKubeconfig, renderKubeconfig } from '../../shared/kubeconfig.js';
import { apiserverURL, layout, NODE_IP } from './layout.js';

/** Users of the control plane's components, as upstream's bootstrap policy names them. */
export const IDENTITIES = {
  admin: { user: 'kubernetes-admin', groups: ['system:masters'] },
  'controller-manager': { user: 'system:kube-controller-manager', groups: [] },
  scheduler: { user: 'system:kube-scheduler', groups: [] },
  'kube-proxy': { user: 'system:kube-proxy', groups: [] },
  dns: { user: 'system:skiff-dns', groups: [] },
  // kubeadm's apiserver-kubelet-client: the apiserver's identity at the kubelets' API.
  'apiserver-kubelet-client': { user: 'kube-apiserver-kubelet-client', groups: ['system:masters'] },
} as const;

export type Identity = keyof typeof IDENTITIES;

export interface ClusterPKI {
  dir: string;
  ca: CertPair;
  apiserver: CertPair;
  kubeletClient: CertPair;
  /** AuthenticationConfiguration: anonymous only on the health and version paths. */
  authenticationConfig: string;
}

const pair = (dir: string, name: string): CertPair => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) });
const have = (p: CertPair) => existsSync(p.cert) && existsSync(p.key);

/** The CA and the apiserver's certificates (for `sans` besides kubeadm's), made when missing. */
export function ensurePKI(dataDir: string, sans: string[] = [NODE_IP, hostname()]): ClusterPKI {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = have(pair(dir, 'ca')) ? pair(dir, 'ca') : createCA(dir, 'skiff-ca');
  const apiserver = have(pair(dir, 'apiserver')) ? pair(dir, 'apiserver') : createServingCert(dir, ca, sans);
  const kc = IDENTITIES['apiserver-kubelet-client'];
  const kubeletClient = have(pair(dir, 'apiserver-kubelet-client')) ? pair(dir, 'apiserver-kubelet-client') : createClientCert(dir, ca, 'apiserver-kubelet-client', kc.user, [...kc.groups]);
  const authenticationConfig = join(dir, 'authentication-config.yaml');
  writeFileSync(
    authenticationConfig,
    [
      'apiVersion: apiserver.config.k8s.io/v1beta1',
      'kind: AuthenticationConfiguration',
      'anonymous:',
      '  enabled: true',
      '  conditions: [{path: /healthz}, {path: /livez}, {path: /readyz}, {path: /version}]',
      '',
    ].join('\n'),
  );
  return { dir, ca, apiserver, kubeletClient, authenticationConfig };
}

/**
 * The kubeconfig of `name` (a component, `admin`, or `kubelet-NODE` for a node's kubelet):
 * a client certificate for its user, the CA, the apiserver's URL. Kept when present.
 */
export function ensureKubeconfig(dataDir: string, pki: ClusterPKI, name: string, user: string, groups: string[], server: string): string {
  const l = layout(dataDir);
  const path = name === 'admin' ? l.kubeconfig : join(l.dataDir, 'kubeconfigs', `${name}.conf`);
  if (existsSync(path) && readFileSync(path, 'utf8').includes(`server: ${server}`)) return path;
  const certs = join(pki.dir, 'clients');
  const p = have(pair(certs, name)) ? pair(certs, name) : createClientCert(certs, pki.ca, name, user, groups);
  mkdirSync(join(l.dataDir, 'kubeconfigs'), { recursive: true, mode: 0o700 });
  const read = (f: string) => readFileSync(f, 'utf8');
  writeFileSync(path, renderKubeconfig({ server, ca: read(pki.ca.cert), cert: read(p.cert), key: read(p.key) }, user), { mode: 0o600 });
  return path;
}

/** The kubeconfig of an identity of IDENTITIES. */
export function identityKubeconfig(dataDir: string, pki: ClusterPKI, who: Identity, server: string): string {
  const id = IDENTITIES[who];
  return ensureKubeconfig(dataDir, pki, who, id.user, [...id.groups], server);
}

/** A node's kubelet: system:node:NAME in system:nodes (the Node authorizer's subject). */
export function kubeletKubeconfig(dataDir: string, pki: ClusterPKI, node: string, server: string): string {
  return ensureKubeconfig(dataDir, pki, `kubelet-${node}`, `system:node:${node}`, ['system:nodes'], server);
}

/** A client acting as the cluster's admin (its kubeconfig). */
export function adminClient(dataDir: string, userAgent: string): Client {
  return new Client(loadKubeconfig(layout(dataDir).kubeconfig), userAgent);
}

/** GET `path` of the apiserver anonymously (/healthz, /readyz, /version), trusting the cluster CA. */
export function anonymousGet(dataDir: string, path: string, timeoutMs = 2000): Promise<number> {
  const ca = readFileSync(join(dataDir, 'pki', 'ca.crt'));
  return new Promise((resolve, reject) => {
    const req = https.get(`${apiserverURL()}${path}`, { ca, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
