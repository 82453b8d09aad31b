// `skiff dns` against a real apiserver: objects made with the stock kubectl, answers read over
// UDP and TCP with dns-packet and with Node's c-ares resolver (a DNS client that is not ours),
// updates followed, and kube-system/kube-dns kept registered.
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiserver, startComponent, type ApiserverProcess, type ComponentProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

interface DnsProcess extends ComponentProcess { port: number; healthPort: number }

/** `skiff dns` on 127.0.0.1 with free ports (--port 0, read back from its log), ready. */
async function startDns(apiserver: string[], extra: string[] = []): Promise<DnsProcess> {
  const c = startComponent('dns', [...apiserver, '--bind-address', '127.0.0.1', '--port', '0', '--health-port', '0', '--advertise-address', '127.0.0.1', ...extra]);
  const serving = await until('the DNS server to log its ports', async () => {
    if (c.proc.exitCode !== null) throw new Error(`dns exited with ${c.proc.exitCode}:\n${c.output()}`);
    const line = c.output().split('\n').find((l) => l.includes('"serving cluster DNS"'));
    return line ? (JSON.parse(line) as { port: number; healthPort: number }) : undefined;
  });
  await until('/ready', async () => (await fetch(`http://127.0.0.1:${serving.healthPort}/ready`)).ok);
  return { ...c, port: serving.port, healthPort: serving.healthPort };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
      if (String(err).includes('exited with')) throw err;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** dns-packet decodes the rcode too; its types leave it out. */
type Reply = DecodedPacket & { rcode: string };
const decode = (b: Buffer) => dnsPacket.decode(b) as Reply;
const dataOf = (a: Answer) => (a as { data?: unknown }).data;
const encodeQuery = (name: string, type: string, id: number) => dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: type as 'A', name }] });

function udp(port: number, name: string, type = 'A'): Promise<Reply & { size: number }> {
  const sock = dgram.createSocket('udp4');
  const id = Math.floor(Math.random() * 65536);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (sock.close(), reject(new Error(`no UDP answer to ${name} ${type}`))), 2000);
    sock.on('message', (m) => (clearTimeout(timer), sock.close(), resolve({ ...decode(m), size: m.length })));
    sock.send(encodeQuery(name, type, id), port, '127.0.0.1');
  });
}

function tcp(port: number, name: string, type = 'A'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(port, '127.0.0.1', () => conn.write(dnsPacket.streamEncode(dnsPacket.decode(encodeQuery(name, type, 77)))));
    let buf = Buffer.alloc(0);
    conn.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) (conn.destroy(), resolve(decode(buf.subarray(2, 2 + buf.readUInt16BE(0)))));
    });
    conn.on('error', reject);
  });
}

const values = (p: DecodedPacket) => (p.answers ?? []).map(dataOf).sort();
const NS = 'dns-test';
let api: ApiserverProcess;
let dns: DnsProcess;
let kubectl: Kubectl;
const name = (svc: string) => `${svc}.${NS}.svc.cluster.local`;

beforeAll(async () => {
  api = await startApiserver();
  kubectl = new Kubectl(api.url);
  dns = await startDns(['--server', api.url]);
  await kubectl.ok(['create', 'namespace', NS]);
});

afterAll(async () => {
  await dns?.stop();
  await api?.cleanup();
});

function endpointsYaml(svc: string, ready: string[], notReady: string[] = [], hostnames = true): string {
  const addr = (ip: string, i: number) => `{ip: ${ip}${hostnames ? `, hostname: ${svc}-${i}` : ''}}`;
  return `apiVersion: v1\nkind: Endpoints\nmetadata: {name: ${svc}, namespace: ${NS}}\nsubsets:\n- addresses: [${ready.map(addr).join(', ')}]\n${notReady.length ? `  notReadyAddresses: [${notReady.map((ip, i) => addr(ip, 100 + i)).join(', ')}]\n` : ''}  ports: [{name: pg, port: 5432, protocol: TCP}]\n`;
}
const headlessYaml = (svc: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${svc}, namespace: ${NS}}\nspec: {clusterIP: None, ports: [{name: pg, port: 5432}]}\n`;

describe('skiff dns', () => {
  it('registers kube-system/kube-dns at --service-ip with its actual ports, and puts it back when changed or deleted', async () => {
    const svc = JSON.parse(await until('the kube-dns Service', () => kubectl.ok(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'json']))) as { metadata: { labels: Record<string, string> }; spec: { clusterIP: string; selector?: unknown; ports: { name: string; port: number; protocol: string; targetPort: number }[] } };
    expect(svc.spec.clusterIP).toBe('10.96.0.10');
    expect(svc.spec.selector).toBeUndefined();
    expect(svc.metadata.labels).toMatchObject({ 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' });
    expect(svc.spec.ports.map((p) => [p.name, p.port, p.protocol, p.targetPort])).toEqual([['dns', 53, 'UDP', dns.port], ['dns-tcp', 53, 'TCP', dns.port], ['metrics', 9153, 'TCP', dns.healthPort]]);
    const eps = () => kubectl.ok(['get', 'endpoints', 'kube-dns', '-n', 'kube-system', '-o', 'jsonpath={.subsets[0].addresses[0].ip} {.subsets[0].ports[*].port}']);
    await until('the kube-dns Endpoints', async () => (await eps()) === `127.0.0.1 ${dns.port} ${dns.port} ${dns.healthPort}`);

    await kubectl.ok(['delete', 'endpoints', 'kube-dns', '-n', 'kube-system']);
    await until('the Endpoints recreated', async () => (await eps()) === `127.0.0.1 ${dns.port} ${dns.port} ${dns.healthPort}`);
    await kubectl.ok(['patch', 'service', 'kube-dns', '-n', 'kube-system', '--type=json', '-p', '[{"op":"replace","path":"/spec/ports/0/targetPort","value":5353}]']);
    const target = () => kubectl.ok(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'jsonpath={.spec.ports[0].targetPort}']);
    await until('the targetPort restored', async () => (await target()) === String(dns.port));
    await kubectl.ok(['delete', 'service', 'kube-dns', '-n', 'kube-system']);
    await until('the Service recreated at 10.96.0.10', async () => (await kubectl.ok(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'jsonpath={.spec.clusterIP}'])) === '10.96.0.10');
    expect(values(await udp(dns.port, 'kube-dns.kube-system.svc.cluster.local'))).toEqual(['10.96.0.10']);
  });

  it('answers a Service made with kubectl over UDP and TCP (A, SRV, PTR), and NXDOMAIN once it is deleted', async () => {
    await kubectl.ok(['create', 'service', 'clusterip', 'web', '--tcp=80:8080', '-n', NS]);
    const ip = await kubectl.ok(['get', 'service', 'web', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}']);
    const a = await until('web to resolve', async () => ((await udp(dns.port, name('web'))).rcode === 'NOERROR' ? udp(dns.port, name('WEB')) : undefined));
    expect(a).toMatchObject({ rcode: 'NOERROR', flag_aa: true, flag_qr: true });
    expect(a.answers).toEqual([{ name: `WEB.${NS}.svc.cluster.local`, type: 'A', class: 'IN', ttl: 30, flush: false, data: ip }]);
    expect(values(await tcp(dns.port, name('web')))).toEqual([ip]);
    const srv = await tcp(dns.port, `_80-8080._tcp.${name('web')}`, 'SRV');
    expect(srv.answers!.map(dataOf)).toEqual([{ priority: 0, weight: 100, port: 80, target: name('web') }]);
    expect(srv.additionals!.map((x) => [x.name, dataOf(x)])).toEqual([[name('web'), ip]]);
    expect(values(await udp(dns.port, `${ip.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR'))).toEqual([name('web')]);
    await kubectl.ok(['delete', 'service', 'web', '-n', NS]);
    await until('web to be gone', async () => (await udp(dns.port, name('web'))).rcode === 'NXDOMAIN');
  });

  it('answers a headless Service with its ready endpoints, SRV per endpoint and hostnames, following Endpoints changes', async () => {
    await kubectl.ok(['apply', '-f', '-'], { stdin: headlessYaml('db') + '---\n' + endpointsYaml('db', ['10.244.1.10', '10.244.1.11'], ['10.244.1.12']) });
    await until('db to resolve', async () => (await udp(dns.port, name('db'))).answers?.length === 2);
    expect(values(await udp(dns.port, name('db')))).toEqual(['10.244.1.10', '10.244.1.11']);
    expect(values(await udp(dns.port, `db-1.${name('db')}`))).toEqual(['10.244.1.11']);
    const srv = await udp(dns.port, `_pg._tcp.${name('db')}`, 'SRV');
    expect(srv.answers!.map(dataOf)).toEqual([
      { priority: 0, weight: 50, port: 5432, target: `db-0.${name('db')}` },
      { priority: 0, weight: 50, port: 5432, target: `db-1.${name('db')}` },
    ]);
    expect(srv.additionals!.map((x) => [x.name, dataOf(x)])).toEqual([[`db-0.${name('db')}`, '10.244.1.10'], [`db-1.${name('db')}`, '10.244.1.11']]);

    await kubectl.ok(['apply', '-f', '-'], { stdin: endpointsYaml('db', ['10.244.1.10', '10.244.1.11', '10.244.1.13'], [], false) });
    await until('the added endpoint', async () => (await udp(dns.port, name('db'))).answers?.length === 3);
    expect(values(await udp(dns.port, `10-244-1-13.${name('db')}`))).toEqual(['10.244.1.13']);
    await kubectl.ok(['apply', '-f', '-'], { stdin: endpointsYaml('db', ['10.244.1.13'], [], false) });
    await until('the removed endpoints', async () => (await udp(dns.port, name('db'))).answers?.length === 1);
    expect((await udp(dns.port, `10-244-1-10.${name('db')}`)).rcode).toBe('NXDOMAIN');
  });

  it('answers an ExternalName Service with a CNAME, and pods by their dashed address', async () => {
    await kubectl.ok(['create', 'service', 'externalname', 'search', '--external-name', 'search.example.com', '-n', NS]);
    const cname = await until('search to resolve', async () => ((await udp(dns.port, name('search'))).rcode === 'NOERROR' ? udp(dns.port, name('search')) : undefined));
    expect(cname.answers!.map((x) => [x.type, dataOf(x)])).toEqual([['CNAME', 'search.example.com']]);
    expect(values(await udp(dns.port, `10-244-7-9.${NS}.pod.cluster.local`))).toEqual(['10.244.7.9']);
  });

  it('gives correct negative answers, and SERVFAIL at once outside the cluster without --upstream', async () => {
    const nx = await udp(dns.port, name('nope'));
    expect(nx).toMatchObject({ rcode: 'NXDOMAIN', flag_aa: true });
    expect(nx.authorities!.map((x) => [x.type, x.name])).toEqual([['SOA', 'cluster.local']]);
    await until('db', async () => (await udp(dns.port, name('db'))).rcode === 'NOERROR');
    for (const [q, type] of [[name('db'), 'AAAA'], [`${NS}.svc.cluster.local`, 'A'], ['cluster.local', 'A']]) {
      const r = await udp(dns.port, q!, type);
      expect([q, r.rcode, r.answers, r.authorities!.map((x) => x.type)]).toEqual([q, 'NOERROR', [], ['SOA']]);
    }
    expect((await udp(dns.port, `nosuch.svc.cluster.local`)).rcode).toBe('NXDOMAIN');
    expect((await udp(dns.port, `${name('db')}.${NS}.svc.cluster.local`)).rcode).toBe('NXDOMAIN');
    const t0 = Date.now();
    expect((await udp(dns.port, 'example.com')).rcode).toBe('SERVFAIL');
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it('sets TC on a UDP answer over 512 bytes, answers it whole over TCP, and a stock resolver (c-ares) reads it all', async () => {
    const ips = Array.from({ length: 40 }, (_, i) => `10.244.9.${i + 1}`);
    await kubectl.ok(['apply', '-f', '-'], { stdin: headlessYaml('big') + '---\n' + endpointsYaml('big', ips, [], false) });
    await until('big to resolve', async () => (await tcp(dns.port, name('big'))).answers?.length === 40);
    const small = await udp(dns.port, name('big'));
    expect(small.flag_tc).toBe(true);
    expect(small.size).toBeLessThanOrEqual(512);
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dns.port}`]);
    expect((await resolver.resolve4(name('big'))).sort()).toEqual([...ips].sort());
    expect(await resolver.resolve4(name('db'))).toEqual(['10.244.1.13']);
    expect(await resolver.resolveSrv(`_pg._tcp.${name('db')}`)).toEqual([{ name: `10-244-1-13.${name('db')}`, port: 5432, priority: 0, weight: 100 }]);
    expect(await resolver.resolveCname(name('search'))).toEqual(['search.example.com']);
    expect(await resolver.reverse('10.96.0.10')).toEqual(['kube-dns.kube-system.svc.cluster.local']);
    await expect(resolver.resolve4(name('nope'))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve6(name('db'))).rejects.toMatchObject({ code: 'ENODATA' });
  });

  // dig is the stock tool of choice; these machines have none, and it is not installed for this.
  const dig = spawnSync('sh', ['-c', 'command -v dig'], { encoding: 'utf8' }).stdout.trim();
  if (dig) {
    it('answers dig', async () => {
      const out = spawnSync(dig, ['@127.0.0.1', '-p', String(dns.port), '+short', 'kube-dns.kube-system.svc.cluster.local'], { encoding: 'utf8' }).stdout;
      expect(out.trim()).toBe('10.96.0.10');
    });
  }

  it('serves /health, /ready and /metrics with CoreDNS\'s metric names', async () => {
    const base = `http://127.0.0.1:${dns.healthPort}`;
    expect(await (await fetch(`${base}/health`)).text()).toBe('OK');
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/coredns_dns_requests_total\{[^}]*proto="udp"[^}]*type="A"\} \d+/);
    expect(metrics).toMatch(/coredns_dns_responses_total\{[^}]*rcode="NXDOMAIN",plugin="kubernetes"\} \d+/);
    expect(metrics).toMatch(/coredns_dns_request_duration_seconds_count\{[^}]*type="SRV"\} \d+/);
  });
});

describe('skiff dns when --service-ip is taken', () => {
  it('logs a clear error, serves DNS anyway, and registers kube-dns once the address is freed (apiserver from --kubeconfig)', async () => {
    const api2 = await startApiserver();
    const k = new Kubectl(api2.url);
    const dns2Box: { p?: DnsProcess } = {};
    try {
      await k.ok(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: Service\nmetadata: {name: squatter, namespace: default}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}\n' });
      const dns2 = (dns2Box.p = await startDns(['--kubeconfig', k.kubeconfig]));
      await until('the error', async () => dns2.output().includes('already allocated to another Service'));
      const line = JSON.parse(dns2.output().split('\n').find((l) => l.includes('already allocated to another Service'))!) as { level: number; msg: string };
      expect(line.level).toBe(50);
      expect(line.msg).toBe('cannot create Service kube-system/kube-dns: its ClusterIP 10.96.0.10 (--service-ip) is already allocated to another Service; pods whose resolv.conf names 10.96.0.10 will not reach cluster DNS until that Service is deleted');
      expect(values(await udp(dns2.port, 'squatter.default.svc.cluster.local'))).toEqual(['10.96.0.10']);
      await k.ok(['delete', 'service', 'squatter']);
      await until('kube-dns registered', async () => (await k.ok(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'jsonpath={.spec.clusterIP}'])) === '10.96.0.10');
    } finally {
      await dns2Box.p?.stop();
      await api2.cleanup();
    }
  });
});
