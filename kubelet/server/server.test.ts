// Unit tests of the kubelet API's protocols: remotecommand framing and status, log options,
// and the SPDY session that port-forward speaks (driven with client-side frames).
import { constants, createDeflate, createInflate } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BadRequest, parseLogOptions } from './logs.js';
import { chooseProtocol, decodeFrame, encodeFrame, parseProtocol, parseResize, statusMessage } from './remotecommand.js';
import { SPDY3_DICTIONARY, SpdySession, type SpdyStream } from './spdy.js';

describe('remotecommand', () => {
  it('prefers v5 and refuses unknown protocols', () => {
    expect(chooseProtocol(new Set(['v4.channel.k8s.io', 'v5.channel.k8s.io']))).toBe('v4.channel.k8s.io');
    expect(chooseProtocol(new Set(['v5.channel.k8s.io']))).toBe('v5.channel.k8s.io');
    expect(chooseProtocol(new Set())).toBe('channel.k8s.io');
    expect(chooseProtocol(new Set(['nope']))).toBe(false);
  });

  it('frames binary and base64 channels', () => {
    const v5 = parseProtocol('v5.channel.k8s.io');
    expect(encodeFrame(v5, 1, 'hi')).toEqual(Buffer.from([1, 104, 105]));
    expect(decodeFrame(v5, Buffer.from([255, 0]), true)).toEqual({ channel: 255, data: Buffer.from([0]) });
    const b64 = parseProtocol('v4.base64.channel.k8s.io');
    expect(encodeFrame(b64, 2, 'hi')).toBe('2aGk=');
    expect(decodeFrame(b64, Buffer.from('0aGk='), false)).toEqual({ channel: 0, data: Buffer.from('hi') });
    expect(parseResize(Buffer.from('{"Width":80,"Height":24}'))).toEqual({ width: 80, height: 24 });
    expect(parseResize(Buffer.from('junk'))).toBeUndefined();
  });

  it('reports exit codes as kubectl reads them', () => {
    const v5 = parseProtocol('v5.channel.k8s.io');
    expect(JSON.parse(statusMessage(v5, { exitCode: 0 })!)).toEqual({ metadata: {}, status: 'Success' });
    const failed = JSON.parse(statusMessage(v5, { exitCode: 3 })!);
    expect(failed.reason).toBe('NonZeroExitCode');
    expect(failed.details.causes).toEqual([{ reason: 'ExitCode', message: '3' }]);
    expect(statusMessage(parseProtocol('v2.channel.k8s.io'), { exitCode: 0 })).toBeUndefined();
  });
});

describe('parseLogOptions', () => {
  it('reads and validates PodLogOptions', () => {
    const o = parseLogOptions(new URLSearchParams('follow=true&tailLines=2&timestamps=true&sinceSeconds=10'), () => 100_000);
    expect(o).toEqual({ follow: true, previous: false, timestamps: true, tailLines: 2, limitBytes: undefined, since: 90 });
    expect(() => parseLogOptions(new URLSearchParams('tailLines=-1'))).toThrow(BadRequest);
    expect(() => parseLogOptions(new URLSearchParams('sinceSeconds=1&sinceTime=2024-01-01T00:00:00Z'))).toThrow(/at most one/);
    expect(() => parseLogOptions(new URLSearchParams('limitBytes=0'))).toThrow(/greater than 0/);
  });
});

describe('SpdySession', () => {
  /** A client: frames with headers compressed in one context, as spdystream sends them. */
  function client() {
    const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
    const out: Buffer[] = [];
    deflate.on('data', (c: Buffer) => out.push(c));
    const compress = (block: Buffer) =>
      new Promise<Buffer>((resolve) => {
        deflate.write(block);
        deflate.flush(constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out.splice(0))));
      });
    const headerBlock = (h: Record<string, string>) => {
      const parts = [u32(Object.keys(h).length)];
      for (const [k, v] of Object.entries(h)) parts.push(u32(k.length), Buffer.from(k), u32(v.length), Buffer.from(v));
      return compress(Buffer.concat(parts));
    };
    return {
      synStream: async (id: number, h: Record<string, string>) => control(1, 0, Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), await headerBlock(h)])),
    };
  }
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const control = (type: number, flags: number, payload: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(0x8003, 0);
    h.writeUInt16BE(type, 2);
    h[4] = flags;
    h.writeUIntBE(payload.length, 5, 3);
    return Buffer.concat([h, payload]);
  };
  const data = (id: number, flags: number, payload: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id, 0);
    h[4] = flags;
    h.writeUIntBE(payload.length, 5, 3);
    return Buffer.concat([h, payload]);
  };
  const tick = () => new Promise((r) => setTimeout(r, 10));

  it('accepts streams, carries data both ways, echoes pings, across split frames', async () => {
    const sent: Buffer[] = [];
    const streams: SpdyStream[] = [];
    const got: string[] = [];
    const session = new SpdySession(
      (f) => sent.push(f),
      (s) => {
        streams.push(s);
        s.onData = (d) => got.push(`${s.id}:${d.toString()}`);
        s.onEnd = () => got.push(`${s.id}:FIN`);
      },
    );
    const c = client();
    const all = Buffer.concat([
      await c.synStream(1, { streamtype: 'error', port: '80', requestid: '0' }),
      await c.synStream(3, { streamtype: 'data', port: '80', requestid: '0' }),
      data(3, 0, Buffer.from('GET /')),
      data(3, 1, Buffer.alloc(0)),
      control(6, 0, u32(1)),
    ]);
    for (let i = 0; i < all.length; i += 7) session.receive(all.subarray(i, i + 7)); // arbitrary boundaries
    await tick();
    expect(streams.map((s) => [s.id, s.headers])).toEqual([
      [1, { streamtype: 'error', port: '80', requestid: '0' }],
      [3, { streamtype: 'data', port: '80', requestid: '0' }],
    ]);
    expect(got).toEqual(['3:GET /', '3:FIN']);
    // Two SYN_REPLYs whose header blocks inflate (with the dictionary) to zero headers, then the PING echo.
    const inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
    const inflated: Buffer[] = [];
    inflate.on('data', (d: Buffer) => inflated.push(d));
    for (const f of sent.slice(0, 2)) {
      expect(f.readUInt16BE(2)).toBe(2);
      await new Promise<void>((r) => {
        inflate.write(f.subarray(12));
        inflate.flush(constants.Z_SYNC_FLUSH, () => r());
      });
    }
    expect(Buffer.concat(inflated)).toEqual(Buffer.concat([u32(0), u32(0)]));
    expect(sent[2]).toEqual(control(6, 0, u32(1)));
    streams[1]!.write(Buffer.from('200 OK'));
    streams[1]!.end();
    expect(sent[3]).toEqual(data(3, 0, Buffer.from('200 OK')));
    expect(sent[4]).toEqual(data(3, 1, Buffer.alloc(0)));
    session.close();
  });
});
