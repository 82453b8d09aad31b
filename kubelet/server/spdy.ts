// The server side of a SPDY/3.1 session, as much as Kubernetes' port-forward uses
// (moby/spdystream on the client): SYN_STREAM in, SYN_REPLY out, DATA both ways with FIN
// as a half-close, RST_STREAM, PING echoed, GOAWAY. Header blocks are zlib streams with the
// SPDY/3 dictionary, one inflate and one deflate context per session. No flow control:
// spdystream neither sends nor enforces WINDOW_UPDATE, so none are sent and they are ignored.
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

const VERSION = 3;
const TYPE = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goaway: 7, headers: 8, windowUpdate: 9 } as const;
const FLAG_FIN = 0x01;
/** RST_STREAM status codes used here. */
export const RST = { protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5, internalError: 6 } as const;
const MAX_DATA = 64 * 1024;

export interface SpdyStream {
  readonly id: number;
  readonly headers: Record<string, string>;
  /** The client half-closed (FIN) or reset the stream. */
  clientClosed: boolean;
  onData?: (data: Buffer) => void;
  onEnd?: () => void;
  onReset?: () => void;
  write(data: Buffer): void;
  /** Half-closes our side (an empty DATA frame with FIN). */
  end(): void;
  reset(status?: number): void;
}

/** One SPDY session over any byte transport (a socket, or a WebSocket's binary messages). */
export class SpdySession {
  private pending: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, StreamState>();
  private readonly inflate = new ZlibContext(createInflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly deflate = new ZlibContext(createDeflate({ dictionary: SPDY3_DICTIONARY }));
  private closed = false;
  /** Frames are handled one after the other: header blocks inflate asynchronously. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (frame: Buffer) => void,
    private readonly onStream: (s: SpdyStream) => void,
    private readonly onGoaway: () => void = () => {},
  ) {}

  /** Feeds bytes from the transport; frames may be split or joined arbitrarily. */
  receive(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (!this.closed && this.pending.length >= 8) {
      const length = this.pending.readUIntBE(5, 3);
      if (this.pending.length < 8 + length) break;
      const frame = this.pending.subarray(0, 8 + length);
      this.pending = this.pending.subarray(8 + length);
      this.chain = this.chain.then(() => this.frame(frame)).catch(() => this.goaway(RST.internalError));
    }
  }

  /** Resets every open stream (the transport is gone). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.onReset?.();
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
  }

  private async frame(f: Buffer): Promise<void> {
    if (this.closed) return;
    const flags = f[4]!;
    const payload = f.subarray(8);
    if ((f[0]! & 0x80) === 0) {
      const s = this.streams.get(f.readUInt32BE(0) & 0x7fffffff);
      if (!s) return;
      if (payload.length) s.onData?.(Buffer.from(payload));
      if (flags & FLAG_FIN) this.clientFin(s);
      return;
    }
    const version = f.readUInt16BE(0) & 0x7fff;
    if (version !== VERSION) return this.goaway(RST.protocolError);
    switch (f.readUInt16BE(2)) {
      case TYPE.synStream:
        return this.synStream(payload, flags);
      case TYPE.rstStream: {
        const s = this.streams.get(payload.readUInt32BE(0) & 0x7fffffff);
        if (!s) return;
        this.streams.delete(s.id);
        s.clientClosed = true;
        s.onReset?.();
        return;
      }
      case TYPE.ping:
        return this.send(Buffer.from(f)); // echo: the client's ping ID comes back unchanged
      case TYPE.goaway:
        this.close();
        return this.onGoaway();
      case TYPE.headers:
        // Header blocks share the compression context: inflate to keep it in step.
        await this.headerBlock(payload.subarray(4));
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE: nothing to do without flow control
    }
  }

  private async synStream(payload: Buffer, flags: number): Promise<void> {
    const id = payload.readUInt32BE(0) & 0x7fffffff;
    const headers = await this.headerBlock(payload.subarray(10));
    if (!headers) return this.goaway(RST.protocolError);
    const s: StreamState = {
      id,
      headers,
      clientClosed: false,
      localClosed: false,
      write: (data) => {
        if (s.localClosed || this.closed) return;
        for (let off = 0; off < data.length; off += MAX_DATA) this.send(dataFrame(id, 0, data.subarray(off, off + MAX_DATA)));
      },
      end: () => {
        if (s.localClosed || this.closed) return;
        s.localClosed = true;
        this.send(dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
        if (s.clientClosed) this.streams.delete(id);
      },
      reset: (status = RST.cancel) => {
        if (this.closed || !this.streams.has(id)) return;
        this.streams.delete(id);
        s.localClosed = s.clientClosed = true;
        const body = Buffer.alloc(8);
        body.writeUInt32BE(id, 0);
        body.writeUInt32BE(status, 4);
        this.send(controlFrame(TYPE.rstStream, 0, body));
      },
    };
    if (this.streams.has(id)) return s.reset(RST.protocolError);
    this.streams.set(id, s);
    // Accept it: SYN_REPLY with an empty header block.
    const reply = Buffer.concat([u32(id), await this.deflate.run(u32(0))]);
    if (this.closed) return;
    this.send(controlFrame(TYPE.synReply, 0, reply));
    this.onStream(s);
    if (flags & FLAG_FIN) this.clientFin(s);
  }

  private clientFin(s: StreamState): void {
    if (s.clientClosed) return;
    s.clientClosed = true;
    if (s.localClosed) this.streams.delete(s.id);
    s.onEnd?.();
  }

  private async headerBlock(block: Buffer): Promise<Record<string, string> | undefined> {
    let raw: Buffer;
    try {
      raw = await this.inflate.run(block);
    } catch {
      return undefined;
    }
    const headers: Record<string, string> = {};
    let off = 4;
    const n = raw.length >= 4 ? raw.readUInt32BE(0) : 0;
    for (let i = 0; i < n && off + 4 <= raw.length; i++) {
      const kl = raw.readUInt32BE(off);
      const k = raw.toString('utf8', off + 4, off + 4 + kl);
      off += 4 + kl;
      const vl = raw.readUInt32BE(off);
      // Several values of one name are NUL-separated; port-forward's headers have one.
      headers[k.toLowerCase()] = raw.toString('utf8', off + 4, off + 4 + vl).split('\0')[0]!;
      off += 4 + vl;
    }
    return headers;
  }

  private goaway(status: number): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(0, 0);
    body.writeUInt32BE(status, 4);
    this.send(controlFrame(TYPE.goaway, 0, body));
    this.close();
    this.onGoaway();
  }
}

interface StreamState extends SpdyStream {
  localClosed: boolean;
}

/**
 * One zlib stream used block by block: each block is written and sync-flushed, and what
 * came out is its result. Calls must not overlap (the session's chain sees to it).
 * (zlib's synchronous helpers close the context after one block, so they cannot be used.)
 */
class ZlibContext {
  private out: Buffer[] = [];
  private failed?: Error;

  constructor(private readonly z: Inflate | Deflate) {
    z.on('data', (c: Buffer) => this.out.push(c));
    z.on('error', (err: Error) => (this.failed = err));
  }

  run(block: Buffer): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.z.write(block);
      this.z.flush(constants.Z_SYNC_FLUSH, () => {
        if (this.failed) return reject(this.failed);
        const result = Buffer.concat(this.out);
        this.out = [];
        resolve(result);
      });
    });
  }

  close(): void {
    this.z.close();
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt8(flags, 4);
  h.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([h, payload]);
}

function dataFrame(id: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id & 0x7fffffff, 0);
  h.writeUInt8(flags, 4);
  h.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([h, payload]);
}

/** The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1). */
export const SPDY3_DICTIONARY: Buffer = (() => {
  const words = [
    'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
    'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
    'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
    'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
    'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
    'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
    'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie',
    'keep-alive', 'origin',
  ];
  const tail =
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
    '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
    '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
    'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
    'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
    'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  return Buffer.concat([...words.map((w) => Buffer.concat([u32(w.length), Buffer.from(w)])), Buffer.from(tail)]);
})();
