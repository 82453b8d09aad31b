// One run of a probe's handler, as pkg/probe's http, tcp and exec probers: Success or
// Failure with the output upstream reports, or an error (the result is thrown away).
import http from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';

export type ProbeOutcome = { result: 'Success' | 'Failure'; output: string };

/** A probe that could not run at all (bad port, refused host…): upstream discards its result. */
export class ProbeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeError';
  }
}

/** exec resolves the command's exit code (and output, if it has it), or rejects. */
export type ExecFn = (containerId: string, cmd: string[], timeoutMs: number) => Promise<number | { exitCode: number; output?: string }>;

export interface ProbeTarget {
  podIP: string;
  /** The container's spec, for named ports. */
  container: any;
  containerId: string;
  exec: ExecFn;
  /** Hosts a probe may connect to (skiff's safety rule): the pod's own IP and loopback by default. */
  allowHost: (host: string) => boolean;
  /** Arms a timeout; returns its cancel (injected so tests never sleep). */
  setTimer: (fn: () => void, ms: number) => () => void;
}

export const USER_AGENT = 'kube-probe/1.32';
/** Upstream reads at most 10 KiB of a probe's response body. */
const MAX_BODY = 10 * 1024;

/** probe.ResolveContainerPort: a number, or a named port of the container. */
export function resolvePort(port: unknown, container: any): number {
  let n: number | undefined;
  if (typeof port === 'number') n = port;
  else if (typeof port === 'string') {
    n = (container?.ports ?? []).find((p: any) => p.name === port)?.containerPort;
    if (n === undefined) throw new ProbeError(`couldn't find port: ${port} in ${JSON.stringify(container?.ports ?? [])}`);
  }
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 65535) throw new ProbeError(`invalid port number: ${String(port)}`);
  return n;
}

export async function runHandler(probe: any, timeoutMs: number, t: ProbeTarget): Promise<ProbeOutcome> {
  if (probe.exec) return execProbe(probe.exec.command ?? [], timeoutMs, t);
  if (probe.httpGet) return httpProbe(probe.httpGet, timeoutMs, t);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket, timeoutMs, t);
  if (probe.grpc) throw new ProbeError('grpc probes are not supported by skiff');
  throw new ProbeError('missing probe handler');
}

function target(host: string | undefined, t: ProbeTarget): string {
  const h = host || t.podIP;
  if (!h) throw new ProbeError('the pod has no IP yet');
  if (!t.allowHost(h)) throw new ProbeError(`probe host ${h} refused: skiff only probes the pod's own IP or loopback`);
  return h;
}

const joinHostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

async function execProbe(command: string[], timeoutMs: number, t: ProbeTarget): Promise<ProbeOutcome> {
  let cancel = () => {};
  const timedOut = new Promise<'timeout'>((resolve) => (cancel = t.setTimer(() => resolve('timeout'), timeoutMs)));
  try {
    const r = await Promise.race([t.exec(t.containerId, command, timeoutMs), timedOut]);
    if (r === 'timeout') return { result: 'Failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
    const { exitCode, output = '' } = typeof r === 'number' ? { exitCode: r } : r;
    if (exitCode === 0) return { result: 'Success', output };
    return { result: 'Failure', output: output || `command ${JSON.stringify(command.join(' '))} exited with ${exitCode}` };
  } catch (err) {
    if ((err as { code?: string }).code === 'ProbeTimeout') return { result: 'Failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
    throw new ProbeError((err as Error).message);
  } finally {
    cancel();
  }
}

async function httpProbe(spec: any, timeoutMs: number, t: ProbeTarget): Promise<ProbeOutcome> {
  const scheme = String(spec.scheme ?? 'HTTP').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw new ProbeError(`unsupported scheme: ${spec.scheme}`);
  const host = target(spec.host, t);
  const port = resolvePort(spec.port, t.container);
  let path: string = spec.path ?? '/';
  if (!path.startsWith('/')) path = `/${path}`;
  const url = `${scheme}://${joinHostPort(host, port)}${path}`;
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: '*/*' };
  for (const h of spec.httpHeaders ?? []) headers[String(h.name).toLowerCase()] = String(h.value);
  const request = scheme === 'https' ? https.request : http.request;
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      cancel();
      req.destroy();
      resolve(o);
    };
    const req = request(url, { method: 'GET', headers, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
        size += c.length;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8');
        // Redirects are not followed: a 3xx counts as success, as upstream's non-local redirect does.
        if (status >= 200 && status < 400) done({ result: 'Success', output: body });
        else done({ result: 'Failure', output: `HTTP probe failed with statuscode: ${status}` });
      });
      res.on('error', (err) => done({ result: 'Failure', output: `Get "${url}": ${err.message}` }));
    });
    const cancel = t.setTimer(() => done({ result: 'Failure', output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done({ result: 'Failure', output: `Get "${url}": ${dialError(host, port, err)}` }));
    req.end();
  });
}

function dialError(host: string, port: number, err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${joinHostPort(host, port)}: connect: connection refused`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${joinHostPort(host, port)}: connect: no route to host`;
  return err.message;
}

async function tcpProbe(spec: any, timeoutMs: number, t: ProbeTarget): Promise<ProbeOutcome> {
  const host = target(spec.host, t);
  const port = resolvePort(spec.port, t.container);
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      cancel();
      socket.destroy();
      resolve(o);
    };
    const socket = connect({ host, port });
    const cancel = t.setTimer(() => done({ result: 'Failure', output: `dial tcp ${joinHostPort(host, port)}: i/o timeout` }), timeoutMs);
    socket.once('connect', () => done({ result: 'Success', output: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ result: 'Failure', output: dialError(host, port, err) }));
  });
}
