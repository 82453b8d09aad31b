// pods/log, pods/exec, pods/attach and pods/portforward: the apiserver finds the pod's node
// and proxies to that node's kubelet (Kubernetes' pkg/registry/core/pod/rest and
// pod/strategy.go LogLocation/ExecLocation/PortForwardLocation). Logs stream through;
// upgrades (WebSocket, or the raw SPDY/3.1 fallback) are tunnelled byte for byte, as
// Kubernetes' UpgradeAwareHandler does, so the kubelet's own 101 or error reaches the client.
// The kubelet is dialled over TLS, presenting --kubelet-client-certificate/--kubelet-client-key
// and verifying the kubelet's certificate against --kubelet-certificate-authority when given
// (without verification otherwise, as kube-apiserver).
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect, type ConnectionOptions } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errors } from '../../shared/errors.js';
import { lookupResource } from '../registry/resources.js';
import type { Registry } from '../registry/store.js';

/** The pods subresources served by proxying to the kubelet. */
export const PROXY_SUBRESOURCES = ['log', 'exec', 'attach', 'portforward'] as const;

const LOG_PARAMS = ['follow', 'previous', 'sinceSeconds', 'sinceTime', 'timestamps', 'tailLines', 'limitBytes'];
const STREAM_PARAMS = ['stdin', 'stdout', 'stderr', 'tty', 'command'];
const DEFAULT_KUBELET_PORT = 10250;

interface PodLike {
  metadata: { name: string; namespace?: string; uid?: string };
  spec?: { nodeName?: string; containers?: { name: string }[]; initContainers?: { name: string }[]; ephemeralContainers?: { name: string }[] };
  status?: { phase?: string };
}
interface NodeLike {
  status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}
type Params = { namespace: string; name: string };
type Query = Record<string, string | string[] | undefined>;

/** How the apiserver dials kubelets (kube-apiserver's --kubelet-* flags): PEM contents. */
export interface KubeletClientConfig {
  /** Client certificate and key presented to the kubelet (upstream user kube-apiserver-kubelet-client). */
  cert?: Buffer;
  key?: Buffer;
  /** CA bundle verifying the kubelet's serving certificate; absent: not verified. */
  ca?: Buffer;
}

export function registerPodProxy(app: FastifyInstance, registry: Registry, kubelet: KubeletClientConfig): void {
  const base = '/api/v1/namespaces/:namespace/pods/:name';
  app.route({ method: 'GET', url: `${base}/log`, handler: (req, reply) => proxyLog(registry, kubelet, req, reply) });
  for (const sub of ['exec', 'attach', 'portforward'] as const) {
    app.route({
      method: ['GET', 'POST'],
      url: `${base}/${sub}`,
      // Upgrades are taken over here, before @fastify/websocket would answer them itself.
      preHandler: async (req, reply) => {
        if (!(req as FastifyRequest & { ws?: boolean }).ws) return;
        const target = kubeletTarget(registry, req.params as Params, sub, req.query as Query);
        tunnel(req, reply, target, kubelet);
        return reply;
      },
      handler: () => {
        throw errors.badRequest('Upgrade request required');
      },
    });
  }
  for (const sub of PROXY_SUBRESOURCES) {
    app.route({
      method: ['PUT', 'PATCH', 'DELETE'],
      url: `${base}/${sub}`,
      handler: () => {
        throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      },
    });
  }
}

interface Target {
  host: string;
  port: number;
  path: string;
  /** pods/log and the pod's name, for the messages of the kubelet's refusals. */
  resource: string;
  name: string;
}

/** TLS options dialling the kubelet at `host` (bare, no brackets). */
function tlsOptions(kubelet: KubeletClientConfig, host: string, port: number): ConnectionOptions {
  return {
    host,
    port,
    // SNI only for names (an IP is not a valid server name).
    ...(isIP(host) ? {} : { servername: host }),
    ...(kubelet.cert && kubelet.key ? { cert: kubelet.cert, key: kubelet.key } : {}),
    ...(kubelet.ca ? { ca: kubelet.ca, rejectUnauthorized: true } : { rejectUnauthorized: false }),
  };
}

/** The kubelet URL for a pod's subresource, with Kubernetes' checks and messages. */
function kubeletTarget(registry: Registry, p: Params, sub: (typeof PROXY_SUBRESOURCES)[number], q: Query): Target {
  const pods = lookupResource('', 'v1', 'pods')!;
  const pod = registry.get(pods, p.namespace, p.name).obj as unknown as PodLike;
  const name = pod.metadata.name;
  let container = '';
  if (sub !== 'portforward') container = containerFor(pod, first(q, 'container'));
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const phase = pod.status?.phase;
  if (sub !== 'log' && (phase === 'Succeeded' || phase === 'Failed')) {
    throw errors.badRequest(`cannot exec into or attach to a container in a completed pod; current phase is ${phase}`);
  }
  let node: NodeLike;
  try {
    node = registry.get(lookupResource('', 'v1', 'nodes')!, undefined, nodeName).obj as unknown as NodeLike;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) throw errors.internal(`node "${nodeName}" of pod ${name} not found`);
    throw err;
  }
  const addrs = node.status?.addresses ?? [];
  const host = ['InternalIP', 'Hostname', 'ExternalIP'].map((t) => addrs.find((a) => a.type === t)?.address).find(Boolean);
  if (!host) throw errors.internal(`node "${nodeName}" has no address`);
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT;
  const qs = new URLSearchParams();
  for (const k of sub === 'log' ? LOG_PARAMS : sub === 'portforward' ? [] : STREAM_PARAMS) {
    const v = q[k];
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) qs.append(k, x);
  }
  const e = encodeURIComponent;
  const path =
    sub === 'log' ? `/containerLogs/${e(p.namespace)}/${e(name)}/${e(container)}`
    : sub === 'portforward' ? `/portForward/${e(p.namespace)}/${e(name)}`
    : `/${sub}/${e(p.namespace)}/${e(name)}/${e(container)}`;
  const query = qs.toString();
  return { host: host.includes(':') ? `[${host}]` : host, port, path: query ? `${path}?${query}` : path, resource: `pods/${sub}`, name };
}

/** The named container, or the only one; Kubernetes' messages otherwise. */
function containerFor(pod: PodLike, requested: string | undefined): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const ephemeral = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name);
  const name = pod.metadata.name;
  if (!requested) {
    if (names.length === 1) return names[0]!;
    let msg = `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`;
    if (init.length) msg += ` or one of the init containers: [${init.join(' ')}]`;
    if (ephemeral.length) msg += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
    throw errors.badRequest(msg);
  }
  if (![...names, ...init, ...ephemeral].includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

async function proxyLog(registry: Registry, kubelet: KubeletClientConfig, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const t = kubeletTarget(registry, req.params as Params, 'log', req.query as Query);
  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const r = httpsRequest({ ...tlsOptions(kubelet, bare(t.host), t.port), path: t.path, method: 'GET', agent: false }, resolve);
    r.once('error', (err) => reject(errors.internal(`error dialing backend: ${err.message}`)));
    req.raw.once('close', () => r.destroy());
    r.end();
  });
  if (upstream.statusCode !== 200) throw kubeletError(upstream.statusCode ?? 500, await readAll(upstream), t);
  req.raw.once('close', () => upstream.destroy());
  return reply.code(200).header('content-type', upstream.headers['content-type'] ?? 'text/plain').send(upstream);
}

/**
 * The kubelet's plain-text refusal as a Status kubectl prints ("Error from server (BadRequest): …").
 * The kubelet's 401 and 403 keep their codes, with the resource and name appended as
 * upstream's NewGenericServerResponse does: "Forbidden (user=…, …) ( pods/log NAME)".
 */
function kubeletError(code: number, body: string, t: Target): ApiError {
  const message = body.trim() || `the kubelet answered ${code}`;
  if (code === 400) return errors.badRequest(message);
  if (code === 404) return new ApiError(404, 'NotFound', message);
  if (code === 401) return new ApiError(401, 'Unauthorized', `the server has asked for the client to provide credentials ( ${t.resource} ${t.name})`);
  if (code === 403) return errors.forbidden(`${message} ( ${t.resource} ${t.name})`);
  return errors.internal(message);
}

function readAll(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      if (s.length < 64 * 1024) s += d;
    });
    stream.once('end', () => resolve(s));
    stream.once('error', () => resolve(s));
  });
}

/** Replays the upgrade request to the kubelet over TLS and splices the two connections. */
function tunnel(req: FastifyRequest, reply: FastifyReply, t: Target, kubelet: KubeletClientConfig): void {
  const raw = req.raw;
  const client = raw.socket as Duplex;
  const headSym = Object.getOwnPropertySymbols(raw).find((s) => s.description === 'ws-head');
  const head = (headSym ? (raw as unknown as Record<symbol, Buffer>)[headSym] : undefined) ?? Buffer.alloc(0);
  reply.hijack();
  const lines = [`${raw.method} ${t.path} HTTP/1.1`, `Host: ${t.host}:${t.port}`];
  for (let i = 0; i < raw.rawHeaders.length; i += 2) {
    const k = raw.rawHeaders[i]!;
    if (/^(host|authorization|impersonate-.*)$/i.test(k)) continue;
    lines.push(`${k}: ${raw.rawHeaders[i + 1]}`);
  }
  const upstream = connect(tlsOptions(kubelet, bare(t.host), t.port));
  let connected = false;
  upstream.once('secureConnect', () => {
    connected = true;
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', (err) => {
    if (connected) return void client.destroy();
    const status = JSON.stringify(errors.internal(`error dialing backend: ${err.message}`).toStatus());
    client.end(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(status)}\r\nConnection: close\r\n\r\n${status}`);
  });
  upstream.once('close', () => client.destroy());
  client.on('error', () => upstream.destroy());
  client.once('close', () => upstream.destroy());
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '');

function first(q: Query, k: string): string | undefined {
  const v = q[k];
  return Array.isArray(v) ? v[0] : v;
}
