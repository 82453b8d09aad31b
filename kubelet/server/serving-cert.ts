// The kubelet's serving certificate when none is given (--tls-cert-file): as upstream's
// kubelet (cmd/kubelet/app/server.go InitializeTLS with certutil.GenerateSelfSignedCertKey),
// generated once into <cert-dir>/kubelet.crt and kubelet.key and reused on every start
// after. A throwaway CA "<hostname>-ca@<unix time>" signs the leaf "<hostname>@<unix time>"
// (SANs: the hostname and the node IP), and the certificate file holds both, so that a
// caller may pin kubelet.crt as its CA bundle. The openssl CLI does the crypto, as
// apiserver/auth/pki.ts does.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createCA, subject, type CertPair } from '../../apiserver/auth/pki.js';

export class ServingCertError extends Error {
  override readonly name = 'ServingCertError';
}

/** <certDir>/kubelet.crt and kubelet.key, generated when absent; throws ServingCertError. */
export function ensureServingCert(certDir: string, hostname: string, nodeIPs: string[], now: () => Date = () => new Date()): CertPair & { generated: boolean } {
  const cert = join(certDir, 'kubelet.crt');
  const key = join(certDir, 'kubelet.key');
  const haveCert = existsSync(cert);
  if (haveCert !== existsSync(key)) throw new ServingCertError(`${haveCert ? cert : key} exists without ${haveCert ? key : cert}: remove it or give --tls-cert-file and --tls-private-key-file`);
  if (haveCert) return { cert, key, generated: false };
  mkdirSync(certDir, { recursive: true, mode: 0o700 });
  const work = mkdtempSync(join(certDir, '.generate-'));
  try {
    const stamp = Math.floor(now().getTime() / 1000);
    const ca = createCA(join(work, 'ca'), `${hostname}-ca@${stamp}`);
    const leaf = signLeaf(work, ca, `${hostname}@${stamp}`, [hostname, ...nodeIPs]);
    // The key first: a crash between the two writes leaves no certificate without its key.
    writeFileSync(key, readFileSync(leaf.key), { mode: 0o600 });
    writeFileSync(cert, Buffer.concat([readFileSync(leaf.cert), readFileSync(ca.cert)]), { mode: 0o644 });
  } catch (err) {
    rmSync(key, { force: true });
    throw new ServingCertError(`generating the kubelet's self-signed serving certificate in ${certDir}: ${(err as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { cert, key, generated: true };
}

/** A serverAuth leaf for `names` (IPs or DNS names), signed by `ca`. */
function signLeaf(dir: string, ca: CertPair, cn: string, names: string[]): CertPair {
  const sans = [...new Set(names.filter(Boolean).map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)))];
  const key = join(dir, 'leaf.key');
  const csr = join(dir, 'leaf.csr');
  const cert = join(dir, 'leaf.crt');
  const ext = join(dir, 'leaf.ext');
  writeFileSync(ext, ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', `subjectAltName=${sans.join(',')}`, ''].join('\n'));
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  openssl(['req', '-new', '-key', key, '-subj', subject(cn), '-out', csr]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '365', '-extfile', ext, '-out', cert]);
  return { cert, key };
}
