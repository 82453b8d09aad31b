// The kubelet's own API (Kubernetes' pkg/kubelet/server): the apiserver proxies pods/log,
// pods/exec, pods/attach and pods/portforward here. Served over TLS only, every request
// (upgrades too) authenticated and authorized first (auth.ts), as upstream's kubelet on 10250.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { dockerOptions } from '../runtime/docker-convert.js';
import { authorizeRequest, type KubeletAuth } from './auth.js';
import { serveAttach, serveExec, type StreamOptions } from './exec.js';
import { HttpError, rejectUpgrade } from './http-error.js';
import { BadRequest, parseLogOptions, serveContainerLogs } from './logs.js';
import { PORT_FORWARD_PROTOCOL, servePortForward, servePortForwardSpdy } from './portforward.js';
import { chooseProtocol, parseProtocol } from './remotecommand.js';

export interface KubeletServerOptions {
  address: string;
  port: number;
  /** A dockerode client, or the Docker host (unix:///var/run/docker.sock, tcp://host:2375). */
  docker: Docker | string;
  /** The Docker container ID of a pod's container (its last terminated one if `previous`). */
  findContainer(namespace: string, pod: string, container: string, previous: boolean): Promise<string | undefined>;
  /** The Docker container ID of a pod's sandbox (port-forward dials inside its network). */
  findSandbox?(namespace: string, pod: string): Promise<string | undefined>;
  /** Image of port-forward's helper container (needs `nc`); default skiff/busybox:1.35. */
  portForwardImage?: string;
  /** /stats/summary: the Summary API object (pkg/kubelet/apis/stats/v1alpha1). */
  stats?: () => Promise<object>;
  /** TLS and auth (kubelet/server/options.ts builds them from the flags). */
  serving: KubeletServing;
  log: Logger;
}

/** How the API is served: its certificate, the client CA, and who may call it. */
export interface KubeletServing {
  /** PEM serving certificate (chain) and its key. */
  cert: Buffer;
  key: Buffer;
  /** PEM bundle of --client-ca-file: client certificates are requested (not required) and verified against it. */
  clientCA?: Buffer;
  auth: KubeletAuth;
}

export class KubeletServerError extends Error {
  override readonly name = 'KubeletServerError';
}

export interface KubeletServer {
  port: number;
  close(): Promise<void>;
}

interface Route {
  kind: 'containerLogs' | 'exec' | 'attach' | 'portForward' | 'healthz' | 'stats';
  namespace: string;
  pod: string;
  container: string;
}

export async function startKubeletServer(opts: KubeletServerOptions): Promise<KubeletServer> {
  const serving = opts.serving;
  const docker = typeof opts.docker === 'string' ? new Docker(dockerOptions(opts.docker)) : opts.docker;
  const log = opts.log.child({ component: 'kubelet-server' });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => chooseProtocol(offered) });
  // "SPDY/3.1+portforward.k8s.io" is not an RFC 7230 token ('/'), which ws refuses to parse:
  // the header is checked here, removed before ws sees it, and put back in the answer.
  const portForwardWss = new WebSocketServer({ noServer: true });
  portForwardWss.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_PROTOCOL}`));

  const container = async (r: Route, previous = false): Promise<string> => {
    const id = await opts.findContainer(r.namespace, r.pod, r.container, previous);
    if (id) return id;
    if (previous) throw new HttpError(400, `previous terminated container "${r.container}" in pod "${r.pod}" not found`);
    throw new HttpError(404, `container "${r.container}" in pod "${r.pod}" is not available`);
  };

  const authorize = (req: IncomingMessage, path: string, upgrade: boolean) =>
    authorizeRequest(serving.auth, { headers: req.headers, socket: req.socket, method: req.method ?? 'GET', path, upgrade });

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    await authorize(req, url.pathname, false);
    const r = route(url.pathname);
    if (r.kind === 'healthz') return text(res, 200, 'ok');
    if (r.kind === 'stats') {
      if (!opts.stats) throw new HttpError(503, 'stats are not available');
      const body = JSON.stringify(await opts.stats());
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(body);
    }
    if (r.kind !== 'containerLogs') throw new HttpError(400, 'Upgrade request required');
    if (req.method !== 'GET') throw new HttpError(405, `method ${req.method} not allowed`);
    const logOpts = parseLogOptions(url.searchParams);
    const id = await container(r, logOpts.previous);
    await serveContainerLogs(docker, id, logOpts, req, res);
  };

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    await authorize(req, url.pathname, true);
    const r = route(url.pathname);
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    log.debug({ url: req.url, upgrade, protocols: req.headers['sec-websocket-protocol'] }, 'upgrade');
    if (r.kind === 'portForward') {
      if (!opts.findSandbox) throw new HttpError(501, 'port-forward is not available on this kubelet');
      const sandboxId = await opts.findSandbox(r.namespace, r.pod);
      if (!sandboxId) throw new HttpError(404, `pod "${r.pod}" in namespace "${r.namespace}" is not running`);
      const target = { docker, sandboxId, image: opts.portForwardImage, log };
      if (upgrade.startsWith('spdy/')) return servePortForwardSpdy(req, socket, head, target);
      if (upgrade !== 'websocket') throw new HttpError(400, `unsupported upgrade ${JSON.stringify(upgrade)}`);
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!offered.includes(PORT_FORWARD_PROTOCOL)) throw new HttpError(400, `port-forward needs the WebSocket subprotocol ${PORT_FORWARD_PROTOCOL}`);
      delete req.headers['sec-websocket-protocol'];
      return portForwardWss.handleUpgrade(req, socket, head, (ws) => servePortForward(ws, target));
    }
    if (r.kind !== 'exec' && r.kind !== 'attach') throw new HttpError(400, 'this path does not accept an upgrade');
    if (upgrade !== 'websocket') throw new HttpError(400, `unsupported upgrade ${JSON.stringify(upgrade)}: exec and attach speak WebSocket (v5.channel.k8s.io)`);
    const q = url.searchParams;
    const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
    const streams: StreamOptions = { stdin: flag('stdin') || flag('input'), stdout: flag('stdout') || flag('output'), stderr: flag('stderr') || flag('error'), tty: flag('tty') };
    if (!streams.stdin && !streams.stdout && !streams.stderr) throw new HttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
    const command = q.getAll('command');
    if (r.kind === 'exec' && command.length === 0) throw new HttpError(400, 'you must specify at least one command for the container');
    const id = await container(r);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const proto = parseProtocol(ws.protocol || 'channel.k8s.io');
      const served = r.kind === 'exec' ? serveExec(ws, proto, docker, id, command, streams, log) : serveAttach(ws, proto, docker, id, streams, log);
      served.catch((err: unknown) => {
        log.warn({ err, pod: `${r.namespace}/${r.pod}` }, `${r.kind} failed`);
        ws.terminate();
      });
    });
  };

  const failed = (err: unknown, req: IncomingMessage, what: string): number => {
    const code = err instanceof HttpError ? err.code : err instanceof BadRequest ? 400 : dockerCode(err);
    if (code >= 500) log.error({ err, url: req.url }, `${what} failed`);
    else if (code === 401 || code === 403) log.info({ url: req.url, code, err: (err as Error).cause }, (err as Error).message);
    return code;
  };
  const tls = { cert: serving.cert, key: serving.key, ...(serving.clientCA ? { ca: serving.clientCA, requestCert: true, rejectUnauthorized: false } : {}) };
  const server = createServer(tls, (req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      const code = failed(err, req, 'request');
      if (res.headersSent) res.destroy();
      else text(res, code, (err as Error).message);
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    onUpgrade(req, socket, head).catch((err: unknown) => {
      rejectUpgrade(socket, failed(err, req, 'upgrade'), (err as Error).message);
    });
  });
  // Upgraded connections (exec, port-forward) leave the HTTP server's books: track them all.
  const sockets = new Set<Duplex>();
  server.on('connection', (socket: Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.address, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  log.info({ address: opts.address, port }, 'kubelet server listening (https)');
  return {
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const ws of [...wss.clients, ...portForwardWss.clients]) ws.terminate();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Kubernetes' kubelet paths; exec/attach also accept the form with the pod UID. */
function route(pathname: string): Route {
  const segs = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [head, ns = '', pod = '', ...rest] = segs;
  if (pathname === '/healthz') return { kind: 'healthz', namespace: '', pod: '', container: '' };
  if (pathname === '/stats/summary') return { kind: 'stats', namespace: '', pod: '', container: '' };
  const container = rest[rest.length - 1] ?? '';
  if (head === 'containerLogs' && segs.length === 4) return { kind: 'containerLogs', namespace: ns, pod, container };
  if ((head === 'exec' || head === 'attach') && (segs.length === 4 || segs.length === 5)) return { kind: head, namespace: ns, pod, container };
  if (head === 'portForward' && (segs.length === 3 || segs.length === 4)) return { kind: 'portForward', namespace: ns, pod, container: '' };
  throw new HttpError(404, `404 page not found: ${pathname}`);
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}

function dockerCode(err: unknown): number {
  const status = (err as { statusCode?: number }).statusCode;
  return status === 404 ? 404 : status === 409 ? 409 : 500;
}
