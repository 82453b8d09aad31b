// The wire rules, through dns-packet as a client would see them: header bits, EDNS0,
// truncation with TC, malformed input, and the hand-off of outside names.
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import { beforeEach, describe, expect, it } from 'vitest';
import { ClusterIndex } from './index.js';
import { Responder, type Forwarder } from './responder.js';

let idx: ClusterIndex;
/** dns-packet decodes the rcode too; its types leave it out. */
type Reply = DecodedPacket & { rcode: string };
const decode = (b: Buffer) => dnsPacket.decode(b) as Reply;
const dataOf = (a: Answer) => (a as { data?: unknown }).data;
const ZONE = { domain: 'cluster.local', ttl: 30, localIPs: ['192.0.2.53'] };

beforeEach(() => {
  idx = new ClusterIndex(() => 0);
  idx.synced = true;
  idx.syncNamespace('default', { metadata: { name: 'default' } });
  idx.syncService('default/web', { metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] } });
  idx.syncService('default/big', { metadata: { namespace: 'default', name: 'big' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] } });
  const addresses = Array.from({ length: 40 }, (_, i) => ({ ip: `10.244.0.${i + 1}`, hostname: `big-${i}` }));
  idx.syncEndpoints('default/big', { metadata: { namespace: 'default', name: 'big' }, subsets: [{ addresses, ports: [{ name: 'http', port: 80 }] }] });
  idx.syncService('default/ext', { metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'www.example.com' } });
});

function query(name: string, type = 'A', extra: Partial<Packet> = {}): Buffer {
  return dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: type as 'A', name }], ...extra });
}
const edns = (udpPayloadSize: number, ednsVersion = 0): Partial<Packet> => ({
  additionals: [{ type: 'OPT', name: '.', udpPayloadSize, extendedRcode: 0, ednsVersion, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }],
});

async function ask(r: Responder, buf: Buffer, proto: 'udp' | 'tcp' = 'udp'): Promise<{ res: Reply; size: number; rcode: string }> {
  const reply = await r.respond(buf, proto);
  if (!reply) throw new Error('the query was dropped');
  return { res: decode(reply.buf), size: reply.buf.length, rcode: reply.rcode };
}

describe('header', () => {
  it('echoes id and question, sets QR and AA, and RA when RD was asked', async () => {
    const { res } = await ask(new Responder({ index: idx, zone: ZONE }), query('WEB.default.svc.cluster.local'));
    expect(res).toMatchObject({ id: 4242, type: 'response', flag_qr: true, flag_aa: true, flag_rd: true, flag_ra: true, flag_tc: false, rcode: 'NOERROR' });
    expect(res.questions).toEqual([{ name: 'WEB.default.svc.cluster.local', type: 'A', class: 'IN' }]);
    expect(res.answers).toEqual([{ name: 'WEB.default.svc.cluster.local', type: 'A', class: 'IN', ttl: 30, flush: false, data: '10.96.0.20' }]);
    const norec = await ask(new Responder({ index: idx, zone: ZONE }), dnsPacket.encode({ type: 'query', id: 7, questions: [{ type: 'A', name: 'web.default.svc.cluster.local' }] }));
    expect(norec.res).toMatchObject({ id: 7, flag_rd: false, flag_ra: false });
  });

  it('carries NXDOMAIN and the SOA in the authority section', async () => {
    const { res } = await ask(new Responder({ index: idx, zone: ZONE }), query('nope.default.svc.cluster.local'));
    expect(res.rcode).toBe('NXDOMAIN');
    expect(res.flag_aa).toBe(true);
    expect(res.authorities?.map((a) => [a.type, a.name])).toEqual([['SOA', 'cluster.local']]);
  });
});

describe('EDNS0 and truncation', () => {
  it('sets TC when a UDP answer passes 512 bytes, keeping what fits', async () => {
    const { res, size } = await ask(new Responder({ index: idx, zone: ZONE }), query('big.default.svc.cluster.local'));
    expect(res.flag_tc).toBe(true);
    expect(size).toBeLessThanOrEqual(512);
    expect(res.answers!.length).toBeGreaterThan(0);
    expect(res.answers!.length).toBeLessThan(40);
  });

  it('honours the client\'s EDNS UDP size and echoes an OPT record with its DO bit', async () => {
    const { res, size } = await ask(new Responder({ index: idx, zone: ZONE }), query('big.default.svc.cluster.local', 'A', edns(4096)));
    expect(res.flag_tc).toBe(false);
    expect(res.answers).toHaveLength(40);
    expect(size).toBeGreaterThan(512);
    const opt = res.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize: number; flag_do: boolean } | undefined;
    expect(opt).toMatchObject({ udpPayloadSize: 4096, flag_do: true });
  });

  it('truncates SRV extras first-come within the EDNS size, OPT kept last', async () => {
    const { res, size } = await ask(new Responder({ index: idx, zone: ZONE }), query('_http._tcp.big.default.svc.cluster.local', 'SRV', edns(1232)));
    expect(size).toBeLessThanOrEqual(1232);
    expect(res.flag_tc).toBe(true);
    expect(res.additionals!.at(-1)!.type).toBe('OPT');
  });

  it('sends the whole answer over TCP', async () => {
    const { res } = await ask(new Responder({ index: idx, zone: ZONE }), query('big.default.svc.cluster.local'), 'tcp');
    expect(res.flag_tc).toBe(false);
    expect(res.answers).toHaveLength(40);
  });

  it('answers BADVERS to an EDNS version it does not speak', async () => {
    const { res, rcode } = await ask(new Responder({ index: idx, zone: ZONE }), query('web.default.svc.cluster.local', 'A', edns(1232, 1)));
    expect(rcode).toBe('BADVERS');
    expect(res.answers).toEqual([]);
    expect((res.additionals?.[0] as { extendedRcode: number }).extendedRcode).toBe(1);
  });
});

describe('malformed input', () => {
  const r = () => new Responder({ index: idx, zone: ZONE });
  it('drops what is shorter than a header or is itself a response', async () => {
    expect(await r().respond(Buffer.from([1, 2, 3]), 'udp')).toBeUndefined();
    const response = dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'web.default.svc.cluster.local' }] });
    expect(await r().respond(response, 'udp')).toBeUndefined();
  });

  it('answers FORMERR, echoing the id, to a body that does not decode or holds two questions', async () => {
    const garbage = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]), Buffer.from([0x3f, 0x61])]);
    const bad = await ask(r(), garbage);
    expect(bad.res).toMatchObject({ id: 0x1234, rcode: 'FORMERR', flag_qr: true });
    const two = dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'a.cluster.local' }, { type: 'A', name: 'b.cluster.local' }] });
    expect((await ask(r(), two)).res).toMatchObject({ id: 9, rcode: 'FORMERR' });
  });

  it('answers NOTIMP to an opcode other than QUERY', async () => {
    const status = query('web.default.svc.cluster.local');
    status[2] = (status[2]! & 0x87) | (2 << 3); // opcode STATUS
    expect((await ask(r(), status)).res.rcode).toBe('NOTIMP');
  });

  it('refuses zone transfers', async () => {
    expect((await ask(r(), query('cluster.local', 'AXFR'), 'tcp')).res.rcode).toBe('REFUSED');
  });
});

describe('names outside the cluster', () => {
  it('answers SERVFAIL at once without an upstream, not authoritative', async () => {
    const { res } = await ask(new Responder({ index: idx, zone: ZONE }), query('example.com'));
    expect(res).toMatchObject({ id: 4242, rcode: 'SERVFAIL', flag_aa: false });
  });

  it('passes the query to the upstream and its answer back under the client\'s id; SERVFAIL when none comes', async () => {
    const seen: Buffer[] = [];
    const upstream: Forwarder = {
      forward: async (q) => {
        seen.push(q);
        const req = dnsPacket.decode(q);
        return dnsPacket.encode({ type: 'response', id: 999, flags: dnsPacket.RECURSION_AVAILABLE, questions: req.questions, answers: [{ type: 'A', name: req.questions![0]!.name, ttl: 60, data: '192.0.2.1' }] });
      },
    };
    const { res } = await ask(new Responder({ index: idx, zone: ZONE, forwarder: upstream }), query('Example.com'));
    expect(res).toMatchObject({ id: 4242, rcode: 'NOERROR', flag_ra: true, flag_aa: false });
    expect(res.answers!.map(dataOf)).toEqual(['192.0.2.1']);
    expect(dnsPacket.decode(seen[0]!).questions![0]!.name).toBe('Example.com');
    const silent: Forwarder = { forward: async () => undefined };
    expect((await ask(new Responder({ index: idx, zone: ZONE, forwarder: silent }), query('example.com'))).res.rcode).toBe('SERVFAIL');
  });

  it('resolves an ExternalName target through the upstream after the CNAME', async () => {
    const upstream: Forwarder = {
      forward: async (q) => {
        const req = dnsPacket.decode(q);
        return dnsPacket.encode({ type: 'response', id: req.id, questions: req.questions, answers: [{ type: 'A', name: 'www.example.com', ttl: 60, data: '192.0.2.80' }] });
      },
    };
    const { res } = await ask(new Responder({ index: idx, zone: ZONE, forwarder: upstream }), query('ext.default.svc.cluster.local'));
    expect(res.answers!.map((a) => [a.type, dataOf(a)])).toEqual([
      ['CNAME', 'www.example.com'],
      ['A', '192.0.2.80'],
    ]);
  });
});

it('shuffles address records (loadbalance) with the injected random source', async () => {
  let n = 0;
  const seq = [0.99, 0.01, 0.5, 0.3];
  const r = new Responder({ index: idx, zone: ZONE, random: () => seq[n++ % seq.length]! });
  const first = (await ask(r, query('big.default.svc.cluster.local', 'A', edns(4096)))).res.answers!.map(dataOf);
  expect(first).toHaveLength(40);
  expect(first).not.toEqual(Array.from({ length: 40 }, (_, i) => `10.244.0.${i + 1}`));
  expect([...first].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `10.244.0.${i + 1}`).sort());
});
