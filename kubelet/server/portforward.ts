// /portForward/{namespace}/{pod}: Kubernetes' portforward.k8s.io protocol over SPDY/3.1,
// carried either inside a WebSocket (subprotocol SPDY/3.1+portforward.k8s.io, kubectl
// 1.30+) or on the raw connection after an `Upgrade: SPDY/3.1` (the fallback). For each
// forwarded connection the client opens two streams with headers streamtype (error|data),
// port and requestid; the data stream is joined to a TCP connection to localhost:port
// inside the pod's network namespace, and failures are written on the error stream.
//
// The connection is made from a short-lived helper container joined to the pod sandbox's
// network (`--network container:<sandbox>`, running `nc 127.0.0.1 PORT`): it works for any
// Docker host, local or tcp://, where Kubernetes' dockershim entered the namespace with
// nsenter on the node itself.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { SpdySession, type SpdyStream } from './spdy.js';

export const PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
const RAW_PROTOCOL_HEADER = 'portforward.k8s.io';
/** The helper image: anything with a busybox `nc` (built by deploy/build-images.sh). */
export const DEFAULT_PORT_FORWARD_IMAGE = 'skiff/busybox:1.35';

export interface PortForwardTarget {
  docker: Docker;
  /** The container whose network namespace holds the pod's loopback (the sandbox). */
  sandboxId: string;
  image?: string;
  log: Logger;
}

/** SPDY inside the WebSocket's binary messages. */
export function servePortForward(ws: WebSocket, target: PortForwardTarget): void {
  const session = new SpdySession(
    (frame) => ws.send(frame),
    (s) => onStream(s),
    () => ws.close(1000),
  );
  const onStream = streamHandler(target);
  ws.on('message', (data: Buffer) => session.receive(data));
  ws.once('close', () => session.close());
}

/** SPDY on the raw connection: answer the upgrade, then speak it on the socket. */
export function servePortForwardSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardTarget): void {
  const offered = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((s) => s.trim());
  if (offered[0] !== '' && !offered.includes(RAW_PROTOCOL_HEADER)) {
    const msg = `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ["${RAW_PROTOCOL_HEADER}"]`;
    socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(msg)}\r\nConnection: close\r\n\r\n${msg}`);
    return;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${RAW_PROTOCOL_HEADER}\r\n\r\n`);
  const session = new SpdySession(
    (frame) => socket.write(frame),
    (s) => onStream(s),
    () => socket.end(),
  );
  const onStream = streamHandler(target);
  if (head.length) session.receive(head);
  socket.on('data', (d: Buffer) => session.receive(d));
  socket.once('close', () => session.close());
  socket.on('error', () => socket.destroy());
}

/** Pairs each request's error and data streams, then forwards. */
function streamHandler(t: PortForwardTarget): (s: SpdyStream) => void {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  return (s) => {
    const type = s.headers.streamtype;
    const requestId = s.headers.requestid ?? s.headers.port ?? '';
    if (type !== 'error' && type !== 'data') return s.reset();
    // The client writes nothing on the error stream; its early FIN needs no action.
    const pair = pairs.get(requestId) ?? {};
    pair[type] = s;
    pairs.set(requestId, pair);
    if (!pair.error || !pair.data) return;
    pairs.delete(requestId);
    const { error, data } = pair;
    const port = Number(data.headers.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      error.write(Buffer.from(`invalid port ${JSON.stringify(data.headers.port)}`));
      error.end();
      data.reset();
      return;
    }
    forward(t, port, data).then(
      () => error.end(),
      (err: unknown) => {
        const msg = `error forwarding port ${port} to pod ${t.sandboxId.slice(0, 12)}: ${(err as Error).message}`;
        t.log.info({ port }, msg);
        error.write(Buffer.from(msg));
        error.end();
        data.end();
      },
    );
  };
}

/** Joins the data stream to localhost:port in the pod through a helper container. */
async function forward(t: PortForwardTarget, port: number, data: SpdyStream): Promise<void> {
  // Bytes may arrive while the helper starts: keep them.
  const early: Buffer[] = [];
  let earlyEnd = false;
  data.onData = (b) => early.push(b);
  data.onEnd = () => (earlyEnd = true);
  const container = await t.docker.createContainer({
    Image: t.image ?? DEFAULT_PORT_FORWARD_IMAGE,
    Cmd: ['nc', '127.0.0.1', String(port)],
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Labels: { 'skiff.port-forward': 'true' },
    HostConfig: { NetworkMode: `container:${t.sandboxId}`, AutoRemove: true },
  });
  const io = (await container.attach({ stream: true, hijack: true, stdin: true, stdout: true, stderr: true })) as unknown as Duplex;
  const exited = container.wait({ condition: 'removed' }) as Promise<{ StatusCode: number }>;
  await container.start();
  const stderr: Buffer[] = [];
  let pendingOut: Buffer = Buffer.alloc(0);
  io.on('data', (chunk: Buffer) => {
    pendingOut = pendingOut.length ? Buffer.concat([pendingOut, chunk]) : chunk;
    while (pendingOut.length >= 8) {
      const size = pendingOut.readUInt32BE(4);
      if (pendingOut.length < 8 + size) break;
      const payload = pendingOut.subarray(8, 8 + size);
      if (pendingOut[0] === 2) stderr.push(Buffer.from(payload));
      else data.write(Buffer.from(payload));
      pendingOut = pendingOut.subarray(8 + size);
    }
  });
  for (const b of early.splice(0)) io.write(b);
  if (earlyEnd) io.end();
  data.onData = (b) => io.write(b);
  data.onEnd = () => io.end();
  data.onReset = () => {
    io.destroy();
    container.kill().catch(() => {});
  };
  await new Promise<void>((resolve) => {
    io.once('end', resolve);
    io.once('close', resolve);
    io.once('error', () => resolve());
  });
  const { StatusCode } = await exited.catch(() => ({ StatusCode: 0 }));
  if (StatusCode !== 0) {
    const why = Buffer.concat(stderr).toString().trim() || `nc exited with ${StatusCode}`;
    throw new Error(`failed to connect to localhost:${port} inside the pod: ${why}`);
  }
  data.end();
}
