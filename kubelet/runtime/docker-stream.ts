// Docker's multiplexed attach/logs stream: for a container without a TTY every frame is an
// 8-byte header (stream type 0 stdin, 1 stdout, 2 stderr; 3 bytes zero; big-endian uint32
// payload length) followed by the payload. These helpers take the payloads out, in order.
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';

export type StreamKind = 'stdout' | 'stderr';

/**
 * A Transform that turns Docker's frames into their payloads, stdout and stderr merged (or
 * one of them). A stream cut mid-frame ends with the whole frames that arrived.
 */
export class DockerDemuxer extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly only?: StreamKind) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      if (!this.only || this.only === kindOf(buf[0])) this.push(buf.subarray(8, 8 + size));
      buf = buf.subarray(8 + size);
    }
    this.pending = buf;
    done();
  }
}

function kindOf(streamType: number | undefined): StreamKind {
  return streamType === 2 ? 'stderr' : 'stdout';
}

/** Demultiplexes a whole buffer (Docker's answer to a logs call without follow). */
export function demuxBuffer(buf: Buffer, only?: StreamKind): Buffer {
  const out: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32BE(off + 4);
    if (off + 8 + size > buf.length) break; // a cut frame, as the stream drops it
    if (!only || only === kindOf(buf[off])) out.push(buf.subarray(off + 8, off + 8 + size));
    off += 8 + size;
  }
  return Buffer.concat(out);
}

/** A followed stream of payloads (tty: the bytes as they are). Destroying it closes the source. */
export function payloadStream(source: NodeJS.ReadableStream, tty: boolean): Readable {
  const out = tty ? new PassThrough() : new DockerDemuxer();
  const src = source as Readable;
  src.on('error', (err) => out.destroy(err));
  out.on('close', () => src.destroy());
  return src.pipe(out);
}
