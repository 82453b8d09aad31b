// The DNS listeners: UDP and TCP on one port (TCP messages framed by a 2-byte length, any
// number of queries per connection, closed after 10 s idle as CoreDNS's read timeout), each
// query answered by the Responder and counted in the metrics. A query that makes the
// responder throw is logged and dropped; the listener never goes down with it.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import type { DnsMetrics } from './metrics.js';
import type { Reply, Responder } from './responder.js';

const TCP_IDLE_MS = 10_000;

export class DnsServer {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly connections = new Set<net.Socket>();

  constructor(
    private readonly responder: Responder,
    private readonly metrics: DnsMetrics | undefined,
    private readonly log: Logger,
  ) {}

  /** Binds UDP and TCP to the same port (0: a free one for both) and returns it. */
  async listen(address: string, port: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const udp = await this.bindUdp(address, port);
      const bound = udp.address().port;
      try {
        this.tcp = await this.bindTcp(address, bound);
        this.udp = udp;
        return bound;
      } catch (err) {
        udp.close();
        // A free UDP port whose TCP twin is taken: pick again, a few times.
        if (port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
      }
    }
  }

  private bindUdp(address: string, port: number): Promise<dgram.Socket> {
    const sock = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, address, () => {
        sock.off('error', reject);
        sock.on('error', (err) => this.log.error({ err }, 'UDP listener error'));
        sock.on('message', (msg, rinfo) => {
          void this.handle(msg, 'udp', rinfo.family).then((reply) => {
            if (reply) sock.send(reply.buf, rinfo.port, rinfo.address, (err) => err && this.log.debug({ err, client: rinfo.address }, 'UDP send failed'));
          });
        });
        resolve(sock);
      });
    });
  }

  private bindTcp(address: string, port: number): Promise<net.Server> {
    const server = net.createServer((conn) => this.serveConnection(conn));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error({ err }, 'TCP listener error'));
        resolve(server);
      });
    });
  }

  private serveConnection(conn: net.Socket): void {
    this.connections.add(conn);
    conn.setNoDelay(true);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('close', () => this.connections.delete(conn));
    conn.on('error', (err) => this.log.debug({ err, client: conn.remoteAddress }, 'TCP connection error'));
    const family = conn.remoteFamily ?? 'IPv4';
    let pending: Buffer = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        if (len === 0) {
          conn.destroy(); // an empty message frames nothing: the stream is not DNS
          return;
        }
        void this.handle(msg, 'tcp', family).then((reply) => {
          if (!reply || conn.destroyed) return;
          const framed = Buffer.allocUnsafe(2 + reply.buf.length);
          framed.writeUInt16BE(reply.buf.length, 0);
          reply.buf.copy(framed, 2);
          // A client that sends without reading is not read from until it catches up.
          if (!conn.write(framed) && !conn.isPaused()) {
            conn.pause();
            conn.once('drain', () => conn.resume());
          }
        });
      }
    });
  }

  private async handle(msg: Buffer, proto: 'udp' | 'tcp', family: string): Promise<Reply | undefined> {
    const start = process.hrtime.bigint();
    let reply: Reply | undefined;
    try {
      reply = await this.responder.respond(msg, proto);
    } catch (err) {
      this.log.error({ err, proto, bytes: msg.length }, 'answering a query failed; dropped it');
      return undefined;
    }
    if (reply) this.metrics?.observe(proto, family, reply.qtype, reply.rcode, reply.plugin, Number(process.hrtime.bigint() - start) / 1e9);
    return reply;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
  }
}
