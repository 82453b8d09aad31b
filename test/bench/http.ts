// The benchmarks' one HTTP(S) request: keep-alive through the caller's agent, the whole
// body as a string, a timeout that destroys the request rather than waiting forever.
import http from 'node:http';
import https from 'node:https';

export interface Res {
  status: number;
  body: string;
}

export interface RequestOptions {
  /** Default 30 s. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** HTTPS (the agent must then be an https.Agent, which carries the CA). */
  tls?: boolean;
}

export function request(agent: http.Agent | false, port: number, method: string, path: string, body?: string, o: RequestOptions = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers = { ...o.headers, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) };
    const req = (o.tls ? https : http).request({ host: '127.0.0.1', port, method, path, agent, headers, timeout: o.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

export const ok = (r: Res): boolean => r.status >= 200 && r.status < 300;
