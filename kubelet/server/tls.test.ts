// The kubelet API's server over real TLS on loopback (no Docker: only /healthz, /stats and
// refusals are exercised): the self-signed serving certificate, client certificates from
// the client CA or another one, anonymous requests, and 401/403 on plain and upgrade requests.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, createClientCert, type CertPair } from '../../apiserver/auth/pki.js';
import { KubeletAuthenticator } from './authn.js';
import type { KubeletAuthorizer } from './authz.js';
import { startKubeletServer, type KubeletServer } from './server.js';
import { ensureServingCert, ServingCertError } from './serving-cert.js';

interface Answer {
  status: number;
  body: string;
}

describe('kubelet API over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kubelet-tls-'));
  const ca = createCA(join(dir, 'ca'));
  const other = createCA(join(dir, 'other'), 'not-the-cluster');
  const certs: Record<string, CertPair> = {
    apiserver: createClientCert(join(dir, 'ca'), ca, 'apiserver', 'kube-apiserver-kubelet-client', ['kubeadm:cluster-admins']),
    viewer: createClientCert(join(dir, 'ca'), ca, 'viewer', 'viewer', ['team-a']),
    foreign: createClientCert(join(dir, 'other'), other, 'foreign', 'kube-apiserver-kubelet-client'),
  };
  const serving = ensureServingCert(join(dir, 'pki'), 'node-a', ['127.0.0.1'], () => new Date(1_700_000_000_000));
  const asked: string[] = [];
  // Only the apiserver's client may do anything; anyone else may read /healthz.
  const authorizer: KubeletAuthorizer = async (user, a) => {
    asked.push(`${user.name} ${a.verb} ${a.subresource} ${a.name}`);
    return { allowed: user.name === 'kube-apiserver-kubelet-client' || a.subresource === 'healthz' };
  };
  let server: KubeletServer;

  const call = (path: string, o: { cert?: CertPair; verifyWith?: string; upgrade?: boolean } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string> = o.upgrade ? { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } : {};
      const req = https.request(
        {
          host: '127.0.0.1', port: server.port, path, headers, agent: false,
          ...(o.verifyWith ? { ca: readFileSync(o.verifyWith), rejectUnauthorized: true } : { rejectUnauthorized: false }),
          ...(o.cert ? { cert: readFileSync(o.cert.cert), key: readFileSync(o.cert.key) } : {}),
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode!, body: '' });
      });
      req.setTimeout(10_000, () => req.destroy(new Error(`${path}: timeout`)));
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    server = await startKubeletServer({
      address: '127.0.0.1',
      port: 0,
      docker: 'unix:///nonexistent/docker.sock',
      findContainer: async () => undefined,
      stats: async () => ({ node: { nodeName: 'node-a' }, pods: [] }),
      log: pino({ level: 'silent' }),
      serving: {
        cert: readFileSync(serving.cert),
        key: readFileSync(serving.key),
        clientCA: readFileSync(ca.cert),
        auth: { authenticator: new KubeletAuthenticator({ clientCertificates: true, tokenCacheTTLMs: 0, anonymous: false }), authorizer, nodeName: 'node-a' },
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates a self-signed certificate once: <host>@<time> for the host and node IP, signed by <host>-ca@<time>', () => {
    expect(serving.generated).toBe(true);
    const pem = readFileSync(serving.cert, 'utf8');
    const [leafPem, caPem] = pem.split(/(?<=-----END CERTIFICATE-----\n)/);
    const leaf = new X509Certificate(leafPem!);
    const issuer = new X509Certificate(caPem!);
    expect(leaf.subject).toBe('CN=node-a@1700000000');
    expect(issuer.subject).toBe('CN=node-a-ca@1700000000');
    expect(leaf.verify(issuer.publicKey)).toBe(true);
    expect(leaf.checkHost('node-a')).toBe('node-a');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.ca).toBe(false);
    const again = ensureServingCert(join(dir, 'pki'), 'node-a', ['127.0.0.1']);
    expect(again.generated).toBe(false);
    expect(readFileSync(again.cert, 'utf8')).toBe(pem);
  });

  it('refuses a key without its certificate', () => {
    const half = join(dir, 'half');
    ensureServingCert(half, 'node-b', []);
    rmSync(join(half, 'kubelet.crt'));
    expect(() => ensureServingCert(half, 'node-b', [])).toThrow(ServingCertError);
    writeFileSync(join(half, 'kubelet.crt'), readFileSync(serving.cert));
  });

  it('speaks TLS only, with a certificate that kubelet.crt verifies for the node IP', async () => {
    await expect(new Promise((resolve, reject) => http.get(`http://127.0.0.1:${server.port}/healthz`, resolve).on('error', reject))).rejects.toThrow();
    expect(await call('/stats/summary', { cert: certs.apiserver, verifyWith: serving.cert })).toEqual({ status: 200, body: '{"node":{"nodeName":"node-a"},"pods":[]}' });
  });

  it('answers 401 without credentials (--anonymous-auth=false) and to a certificate of another CA', async () => {
    asked.length = 0;
    expect(await call('/containerLogs/ns/p/c')).toEqual({ status: 401, body: 'Unauthorized' });
    expect(await call('/exec/ns/p/c?command=sh&stdout=1', { upgrade: true })).toEqual({ status: 401, body: 'Unauthorized' });
    expect(await call('/healthz', { cert: certs.foreign })).toEqual({ status: 401, body: 'Unauthorized' });
    expect(asked).toEqual([]);
  });

  it('authorizes the certificate\'s user for nodes/<sub> of this node', async () => {
    asked.length = 0;
    expect(await call('/healthz', { cert: certs.apiserver })).toEqual({ status: 200, body: 'ok' });
    // Authorized, then the kubelet's own answer: no such container.
    expect(await call('/containerLogs/ns/p/c', { cert: certs.apiserver })).toEqual({ status: 404, body: 'container "c" in pod "p" is not available' });
    expect(await call('/exec/ns/p/c?command=sh&stdout=1', { cert: certs.apiserver, upgrade: true })).toEqual({ status: 404, body: 'container "c" in pod "p" is not available' });
    expect(asked).toEqual([
      'kube-apiserver-kubelet-client get healthz node-a',
      'kube-apiserver-kubelet-client get proxy node-a',
      'kube-apiserver-kubelet-client create proxy node-a',
    ]);
  });

  it('answers 403 with upstream\'s words to a user the authorizer denies, on plain and upgrade requests', async () => {
    asked.length = 0;
    expect(await call('/containerLogs/ns/p/c', { cert: certs.viewer })).toEqual({ status: 403, body: 'Forbidden (user=viewer, verb=get, resource=nodes, subresource=proxy)' });
    expect(await call('/exec/ns/p/c?command=sh&stdout=1', { cert: certs.viewer, upgrade: true })).toEqual({ status: 403, body: 'Forbidden (user=viewer, verb=create, resource=nodes, subresource=proxy)' });
    expect(await call('/stats/summary', { cert: certs.viewer })).toEqual({ status: 403, body: 'Forbidden (user=viewer, verb=get, resource=nodes, subresource=stats)' });
    expect(await call('/healthz', { cert: certs.viewer })).toEqual({ status: 200, body: 'ok' });
    expect(asked[0]).toBe('viewer get proxy node-a');
  });
});
