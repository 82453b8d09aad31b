// An apiserver process with a secure port, certificates from the openssl PKI for a few
// users (and one from another CA), and a static token file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, createClientCert, createServingCert, type CertPair } from '../../apiserver/auth/pki.js';
import { freePort, startApiserver, type ApiserverProcess } from './apiserver.js';
import { secureRequest, type SecureCall } from './https.js';

export interface SecureCluster {
  api: ApiserverProcess;
  url: string;
  dir: string;
  ca: CertPair;
  certs: Record<string, CertPair>;
  call(method: string, path: string, o?: SecureCall): ReturnType<typeof secureRequest>;
  insecure(method: string, path: string, body?: unknown): Promise<any>;
}

/** An apiserver with a secure port, client certificates for a few users and a static token. */
export async function startSecureCluster(): Promise<SecureCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-secure-'));
  const ca = createCA(join(dir, 'pki'));
  const serving = createServingCert(join(dir, 'pki'), ca);
  const other = createCA(join(dir, 'other'), 'not-the-cluster');
  const certs: Record<string, CertPair> = {
    admin: createClientCert(join(dir, 'pki'), ca, 'admin', 'kubernetes-admin', ['system:masters']),
    viewer: createClientCert(join(dir, 'pki'), ca, 'viewer', 'viewer'),
    roler: createClientCert(join(dir, 'pki'), ca, 'roler', 'roler', ['team-a']),
    node: createClientCert(join(dir, 'pki'), ca, 'node-n1', 'system:node:n1', ['system:nodes']),
    imp: createClientCert(join(dir, 'pki'), ca, 'imp', 'impersonator'),
    foreign: createClientCert(join(dir, 'other'), other, 'foreign', 'kubernetes-admin', ['system:masters']),
  };
  writeFileSync(join(dir, 'tokens.csv'), 'editor-token-0123456789,editor,uid-editor,"editors,team-b"\n');
  const port = await freePort();
  const api = await startApiserver([
    '--secure-port', String(port), '--tls-cert-file', serving.cert, '--tls-private-key-file', serving.key,
    '--client-ca-file', ca.cert, '--token-auth-file', join(dir, 'tokens.csv'),
  ]);
  const url = `https://127.0.0.1:${port}`;
  const insecure = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(api.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const out = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(out)}`);
    return out;
  };
  const call = (m: string, p: string, o?: SecureCall) => secureRequest(url, ca.cert, m, p, o);
  // The secure port opens after the bootstrap policy is reconciled, just after the plain one.
  for (let i = 0; ; i++) {
    try {
      if ((await call('GET', '/readyz')).status === 200) break;
    } catch (err) {
      if (i > 200) throw err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { api, url, dir, ca, certs, call, insecure };
}

