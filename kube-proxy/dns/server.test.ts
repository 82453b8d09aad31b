// The listeners on real loopback sockets: UDP, TCP with several queries per connection
// (written in pieces), garbage that must not take the server down, the UDP forwarder against
// a stub upstream, and /health, /ready, /metrics.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUpstream, UdpForwarder } from './forward.js';
import { startHealthServer } from './health.js';
import { ClusterIndex } from './index.js';
import { DnsMetrics } from './metrics.js';
import { Responder } from './responder.js';
import { DnsServer } from './server.js';

const log = pino({ level: 'silent' });
/** dns-packet decodes the rcode too; its types leave it out. */
type Reply = DecodedPacket & { rcode: string };
const decode = (b: Buffer) => dnsPacket.decode(b) as Reply;
const dataOf = (a: Answer) => (a as { data?: unknown }).data;
const ZONE = { domain: 'cluster.local', ttl: 30, localIPs: ['127.0.0.1'] };
let idx: ClusterIndex;
let port: number;
let server: DnsServer;
let metrics: DnsMetrics;
let upstream: dgram.Socket;
let upstreamPort: number;
let forwarder: UdpForwarder;

beforeAll(async () => {
  idx = new ClusterIndex();
  idx.syncNamespace('default', { metadata: { name: 'default' } });
  idx.syncService('default/web', { metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] } });
  idx.synced = true;
  // A stub upstream: answers *.example with 192.0.2.1, never answers slow.example.
  upstream = dgram.createSocket('udp4');
  upstream.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    const name = q.questions![0]!.name;
    if (name === 'slow.example') return;
    upstream.send(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name, ttl: 5, data: '192.0.2.1' }] }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
  upstreamPort = upstream.address().port;
  forwarder = new UdpForwarder(parseUpstream(`127.0.0.1:${upstreamPort}`)!, log, 200);
  metrics = new DnsMetrics('dns://:0');
  server = new DnsServer(new Responder({ index: idx, zone: ZONE, forwarder }), metrics, log);
  port = await server.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await server?.close();
  forwarder?.close();
  upstream?.close();
});

function udpQuery(buf: Buffer, timeoutMs = 2000): Promise<Reply> {
  const sock = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('no UDP answer'));
    }, timeoutMs);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(decode(msg));
    });
    sock.send(buf, port, '127.0.0.1');
  });
}

const q = (name: string, id = 1, type: 'A' | 'SRV' = 'A') => dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] });

describe('DnsServer', () => {
  it('answers over UDP', async () => {
    const res = await udpQuery(q('web.default.svc.cluster.local', 11));
    expect(res).toMatchObject({ id: 11, rcode: 'NOERROR', flag_aa: true });
    expect(res.answers!.map(dataOf)).toEqual(['10.96.0.20']);
  });

  it('answers several queries on one TCP connection, framed by length and written in pieces', async () => {
    const conn = net.connect(port, '127.0.0.1');
    await new Promise((r) => conn.once('connect', r));
    const answers: Reply[] = [];
    let buf = Buffer.alloc(0);
    const done = new Promise<void>((resolve) =>
      conn.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          answers.push(decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (answers.length === 3) resolve();
      }),
    );
    const stream = Buffer.concat([dnsPacket.streamEncode(dnsPacket.decode(q('web.default.svc.cluster.local', 21))), dnsPacket.streamEncode(dnsPacket.decode(q('nope.default.svc.cluster.local', 22))), dnsPacket.streamEncode(dnsPacket.decode(q('example.org', 23)))]);
    conn.write(stream.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 20));
    conn.write(stream.subarray(1, 40));
    conn.write(stream.subarray(40));
    await done;
    conn.destroy();
    expect(answers.map((a) => [a.id, a.rcode]).sort()).toEqual([
      [21, 'NOERROR'],
      [22, 'NXDOMAIN'],
      [23, 'NOERROR'],
    ]);
  });

  it('survives garbage on both transports and goes on answering', async () => {
    const sock = dgram.createSocket('udp4');
    for (const junk of [Buffer.alloc(0), Buffer.from([1]), Buffer.alloc(600, 0xff), Buffer.from('GET / HTTP/1.1\r\n\r\n')]) sock.send(junk, port, '127.0.0.1');
    sock.close();
    const conn = net.connect(port, '127.0.0.1');
    conn.on('error', () => undefined); // the server may close it: that is the point
    conn.write(Buffer.from([0x00, 0x05, 1, 2, 3, 4, 5, 0x00, 0x00]));
    await new Promise((r) => setTimeout(r, 50));
    conn.destroy();
    expect((await udpQuery(q('web.default.svc.cluster.local', 31))).rcode).toBe('NOERROR');
  });

  it('forwards outside names to the upstream, and answers SERVFAIL when it stays silent', async () => {
    const ok = await udpQuery(q('www.example', 41));
    expect(ok).toMatchObject({ id: 41, rcode: 'NOERROR', flag_aa: false });
    expect(ok.answers!.map(dataOf)).toEqual(['192.0.2.1']);
    const started = Date.now();
    const slow = await udpQuery(q('slow.example', 42));
    expect(slow).toMatchObject({ id: 42, rcode: 'SERVFAIL' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('counts requests and responses as CoreDNS names them', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/coredns_dns_requests_total\{server="dns:\/\/:0",zone="\.",view="",proto="udp",family="1",type="A"\} \d+/);
    expect(text).toMatch(/coredns_dns_responses_total\{server="dns:\/\/:0",zone="\.",view="",rcode="NXDOMAIN",plugin="kubernetes"\} 1/);
    expect(text).toMatch(/coredns_dns_responses_total\{[^}]*rcode="SERVFAIL",plugin="forward"\} 1/);
    expect(text).toMatch(/coredns_dns_request_duration_seconds_bucket\{[^}]*type="A"[^}]*\} \d+/);
  });
});

describe('parseUpstream', () => {
  it('reads IP, IP:port and [IPv6]:port, and rejects names', () => {
    expect(parseUpstream('192.0.2.1')).toEqual({ host: '192.0.2.1', port: 53 });
    expect(parseUpstream('192.0.2.1:5353')).toEqual({ host: '192.0.2.1', port: 5353 });
    expect(parseUpstream('[fd00::1]:54')).toEqual({ host: 'fd00::1', port: 54 });
    expect(parseUpstream('fd00::1')).toEqual({ host: 'fd00::1', port: 53 });
    for (const bad of ['dns.google', '192.0.2.1:0', '192.0.2.1:x', '1.2.3']) expect(parseUpstream(bad)).toBeUndefined();
  });
});

describe('health server', () => {
  it('serves /health at once, /ready once synced, and /metrics', async () => {
    const index = new ClusterIndex();
    const http = await startHealthServer('127.0.0.1', 0, () => index.synced, new DnsMetrics('dns://:53'));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/ready`)).status).toBe(503);
      index.synced = true;
      expect(await (await fetch(`${base}/ready`)).text()).toBe('OK');
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('# TYPE coredns_dns_requests_total counter');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      http.close();
    }
  });
});
