// HTTPS requests to an apiserver's secure port with a chosen credential (client
// certificate, bearer token, raw headers), and a kubeconfig for the stock kubectl
// carrying the cluster CA and a client certificate.
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import type { CertPair } from '../../apiserver/auth/pki.js';

export interface SecureCall {
  cert?: CertPair;
  token?: string;
  headers?: Record<string, string | string[]>;
  body?: unknown;
  contentType?: string;
  /** Resolve on the response headers and drop the connection (watches). */
  headersOnly?: boolean;
}

export interface SecureResponse {
  status: number;
  body: any;
  text: string;
}

export function secureRequest(url: string, ca: string, method: string, path: string, o: SecureCall = {}): Promise<SecureResponse> {
  const u = new URL(path, url);
  const headers: Record<string, string | string[]> = { accept: 'application/json', ...(o.headers ?? {}) };
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  if (payload !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers,
        ca: readFileSync(ca), agent: false, rejectUnauthorized: true,
        ...(o.cert ? { cert: readFileSync(o.cert.cert), key: readFileSync(o.cert.key) } : {}),
      },
      (res) => {
        if (o.headersOnly && res.statusCode! < 300) {
          res.destroy();
          return resolve({ status: res.statusCode!, body: undefined, text: '' });
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let body: any;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode!, body, text });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A kubeconfig with the CA and, optionally, a client certificate or a token. */
export function writeSecureKubeconfig(dir: string, name: string, url: string, ca: string, user: { cert?: CertPair; token?: string }): string {
  const path = join(dir, `${name}.kubeconfig`);
  const u = user.cert ? [`    client-certificate: ${user.cert.cert}`, `    client-key: ${user.cert.key}`] : user.token ? [`    token: ${user.token}`] : ['    {}'];
  writeFileSync(path, [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: skiff', '  cluster:', `    server: ${url}`, `    certificate-authority: ${ca}`,
    'users:', `- name: ${name}`, '  user:', ...u,
    'contexts:', '- name: skiff', '  context:', '    cluster: skiff', `    user: ${name}`,
    'current-context: skiff', '',
  ].join('\n'));
  return path;
}
