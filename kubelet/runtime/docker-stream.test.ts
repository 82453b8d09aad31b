import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DockerDemuxer, demuxBuffer, payloadStream } from './docker-stream.js';

function frame(kind: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function collect(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += (chunk as Buffer).toString();
  return out;
}

describe("Docker's multiplexed stream", () => {
  const wire = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, ''), frame(1, 'out two\n')]);

  it('merges stdout and stderr payloads in order, whatever the chunking', async () => {
    for (const size of [1, 3, 7, 8, 9, 64]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < wire.length; i += size) chunks.push(wire.subarray(i, i + size));
      expect(await collect(Readable.from(chunks).pipe(new DockerDemuxer()))).toBe('out one\nerr\nout two\n');
    }
  });

  it('keeps one stream when asked', async () => {
    expect(await collect(Readable.from([wire]).pipe(new DockerDemuxer('stderr')))).toBe('err\n');
    expect(demuxBuffer(wire, 'stdout').toString()).toBe('out one\nout two\n');
    expect(demuxBuffer(wire).toString()).toBe('out one\nerr\nout two\n');
  });

  it('a stream cut inside a frame ends with the whole frames', async () => {
    const cut = wire.subarray(0, wire.length - 3);
    expect(await collect(Readable.from([cut]).pipe(new DockerDemuxer()))).toBe('out one\nerr\n');
    expect(demuxBuffer(cut).toString()).toBe('out one\nerr\n');
  });

  it('passes a TTY stream through unchanged, and destroying the result closes the source', async () => {
    expect(await collect(payloadStream(Readable.from([Buffer.from('raw tty bytes')]), true))).toBe('raw tty bytes');
    const source = new Readable({ read() {} });
    const out = payloadStream(source, false);
    out.destroy();
    await new Promise((r) => setImmediate(r));
    expect(source.destroyed).toBe(true);
  });
});
