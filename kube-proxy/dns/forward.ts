// --upstream: names outside the cluster domain go to one resolver over UDP (CoreDNS's
// `forward . IP`), each under an id of our own so that concurrent clients' ids never collide,
// and give up after a short timeout (the responder then answers SERVFAIL).
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Forwarder } from './responder.js';

export interface Upstream {
  host: string;
  port: number;
}

/** `IP`, `IP:port`, `[IPv6]:port` or a bare IPv6 address; undefined when it is none of those. */
export function parseUpstream(text: string): Upstream | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? withPort(bracketed[1]!, bracketed[2]) : undefined;
  if (isIP(text) === 6) return { host: text, port: 53 };
  const [host, port, ...rest] = text.split(':');
  if (rest.length > 0 || isIP(host ?? '') !== 4) return undefined;
  return withPort(host!, port);
}

function withPort(host: string, port: string | undefined): Upstream | undefined {
  const n = port === undefined ? 53 : Number(port);
  return Number.isInteger(n) && n > 0 && n < 65536 ? { host, port: n } : undefined;
}

interface Pending {
  resolve(buf: Buffer | undefined): void;
  timer: NodeJS.Timeout;
}

export class UdpForwarder implements Forwarder {
  private socket: dgram.Socket | undefined;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly upstream: Upstream,
    private readonly log: Logger,
    private readonly timeoutMs = 2000,
    private readonly random: () => number = Math.random,
  ) {}

  private open(): dgram.Socket {
    if (this.socket) return this.socket;
    const s = dgram.createSocket(isIP(this.upstream.host) === 6 ? 'udp6' : 'udp4');
    s.on('message', (msg, rinfo) => {
      if (msg.length < 12 || rinfo.port !== this.upstream.port) return;
      const p = this.pending.get(msg.readUInt16BE(0));
      if (!p) return; // late or foreign: its query already timed out
      this.pending.delete(msg.readUInt16BE(0));
      clearTimeout(p.timer);
      p.resolve(msg);
    });
    s.on('error', (err) => this.log.warn({ err, upstream: this.upstream }, 'upstream socket error'));
    s.unref();
    return (this.socket = s);
  }

  forward(query: Buffer): Promise<Buffer | undefined> {
    if (this.pending.size >= 65536) return Promise.resolve(undefined);
    const socket = this.open();
    let id = Math.floor(this.random() * 65536);
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    const out = Buffer.from(query);
    out.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer });
      socket.send(out, this.upstream.port, this.upstream.host, (err) => {
        if (!err) return;
        this.log.debug({ err, upstream: this.upstream }, 'sending to the upstream failed');
        this.pending.delete(id);
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }

  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    this.socket?.close();
    this.socket = undefined;
  }
}
