// The HTTP side of the DNS server, on --health-port: /health (CoreDNS's health plugin: the
// process is up), /ready (its ready plugin: the caches have listed, so answers are whole)
// and /metrics (Prometheus text).
import http from 'node:http';
import type { DnsMetrics } from './metrics.js';

export function startHealthServer(address: string, port: number, ready: () => boolean, metrics: DnsMetrics): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const text = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'method not allowed\n');
    if (path === '/health') return text(200, 'OK');
    if (path === '/ready') return ready() ? text(200, 'OK') : text(503, 'caches not synced\n');
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (body) => text(200, body, metrics.registry.contentType),
        (err: unknown) => text(500, `collecting metrics failed: ${String(err)}\n`),
      );
      return;
    }
    text(404, '404 page not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
