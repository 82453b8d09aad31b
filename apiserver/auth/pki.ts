// A small PKI with the openssl CLI, as kubeadm's certs phase lays it out: a cluster CA,
// the apiserver's serving certificate (the SANs clients inside and outside the cluster
// dial) and client certificates whose CN is the user and whose O entries are its groups.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertPair {
  cert: string;
  key: string;
}

/** The SANs of the apiserver's serving certificate before any extra ones (kubeadm's). */
export const APISERVER_SANS = [
  'IP:127.0.0.1',
  'IP:10.96.0.1',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
  'DNS:localhost',
];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A subject for openssl's -subj: /O=g1/O=g2/CN=user, with / and \ escaped. */
export function subject(cn: string, orgs: string[] = []): string {
  const esc = (s: string) => s.replace(/[\\/]/g, (c) => `\\${c}`);
  return [...orgs.map((o) => `/O=${esc(o)}`), `/CN=${esc(cn)}`].join('');
}

/** Creates `<dir>/ca.crt` and `<dir>/ca.key` (a self-signed CA, EC P-256). */
export function createCA(dir: string, cn = 'kubernetes'): CertPair {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'ca.key');
  const cert = join(dir, 'ca.crt');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], dir);
  openssl(['req', '-x509', '-new', '-key', key, '-subj', subject(cn), '-days', '3650', '-out', cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], dir);
  return { cert, key };
}

function signed(dir: string, name: string, ca: CertPair, subj: string, ext: string[]): CertPair {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext.join('\n') + '\n');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], dir);
  openssl(['req', '-new', '-key', key, '-subj', subj, '-out', csr], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '365', '-extfile', extFile, '-out', cert], dir);
  return { cert, key };
}

/** The apiserver's serving certificate, signed by `ca`, for the default SANs plus `extraSANs` (IPs or DNS names). */
export function createServingCert(dir: string, ca: CertPair, extraSANs: string[] = [], name = 'apiserver'): CertPair {
  const extra = extraSANs.map((s) => (/^[\d.]+$|:/.test(s) ? `IP:${s}` : `DNS:${s}`));
  const sans = [...new Set([...APISERVER_SANS, ...extra])];
  return signed(dir, name, ca, subject('kube-apiserver'), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${sans.join(',')}`,
  ]);
}

/** A client certificate for `user` in `groups`, signed by `ca`; files named after `name`. */
export function createClientCert(dir: string, ca: CertPair, name: string, user: string, groups: string[] = []): CertPair {
  return signed(dir, name, ca, subject(user, groups), [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
  ]);
}
