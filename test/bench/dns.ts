// `npm run bench:dns [-- --services N --queries Q --window W]`
//
// Cluster DNS throughput and latency. A real apiserver with N Services (default 1,000) and a real
// `skiff dns` (dist/shared/cli.js), both on 127.0.0.1; one client process sends Q A queries (default 10,000) for those Services' names, drawn
// at random, over UDP: first one at a time (sequential p50/p99), then W in flight (throughput).
// The reference, in the same run, with the same names and the same client: Debian's dnsmasq
// serving the N names from a hosts file (--addn-hosts), authoritative from memory as skiff is.
// dnsmasq is installed (Debian's dnsmasq-base: the binary without a daemon started by the package)
// when missing. Every process and the temp dir go at the end and on errors; every wait is bounded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import { CLI, freePort, startApiserver, type ApiserverProcess } from '../support/apiserver.js';

const argv = process.argv.slice(2);
const num = (name: string, def: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && Number(argv[i + 1]) > 0 ? Number(argv[i + 1]) : def;
};
const SERVICES = num('services', 1000);
const QUERIES = num('queries', 10_000);
const WINDOW = num('window', 16);
const TOTAL_S = 600; // bound of the whole run
const QUERY_TIMEOUT_MS = 1000;
const NS = 'bench-dns';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (a: number[], p: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]! : NaN;
};
const cleanups: (() => unknown)[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      console.error(`cleanup: ${String(err)}`);
    }
  }
}
async function halt(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) return;
  p.kill('SIGKILL');
  await exited;
}
function startProc(cmd: string, args: string[]): { proc: ChildProcess; out: () => string } {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  proc.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  cleanups.push(() => halt(proc));
  return { proc, out: () => out };
}
/** utime + stime of a process, in ms (from /proc, clock ticks of 10 ms). */
const cpuMs = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

/** One A query's answer, read from the header alone so the client costs both servers the same. */
function udpClient(port: number) {
  const sock = dgram.createSocket('udp4');
  const waiting = new Map<number, { sent: bigint; done: (ms: number | undefined) => void; timer: NodeJS.Timeout }>();
  sock.on('message', (m) => {
    const w = waiting.get(m.readUInt16BE(0));
    if (!w) return;
    waiting.delete(m.readUInt16BE(0));
    clearTimeout(w.timer);
    const ok = (m[3]! & 0xf) === 0 && m.readUInt16BE(6) >= 1;
    w.done(ok ? Number(process.hrtime.bigint() - w.sent) / 1e6 : undefined);
  });
  const ask = (query: Buffer): Promise<number | undefined> =>
    new Promise((done) => {
      const id = query.readUInt16BE(0);
      const timer = setTimeout(() => (waiting.delete(id), done(undefined)), QUERY_TIMEOUT_MS);
      waiting.set(id, { sent: process.hrtime.bigint(), done, timer });
      sock.send(query, port, '127.0.0.1');
    });
  return { ask, close: () => sock.close() };
}

interface Result { qps: number; p50: number; p99: number; failed: number; cpuPerKq: number }

async function run(port: number, pid: number, names: string[], window: number): Promise<Result> {
  const client = udpClient(port);
  const queries = Array.from({ length: QUERIES }, (_, i) => dnsPacket.encode({ type: 'query', id: i & 0xffff, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: names[(i * 7919) % names.length]! }] }));
  for (let i = 0; i < 500; i++) await client.ask(queries[i]!); // warm-up (JIT, caches)
  const latencies: number[] = [];
  let failed = 0, next = 0;
  const cpu0 = cpuMs(pid);
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < queries.length) {
        const ms = await client.ask(queries[next++]!);
        if (ms === undefined) failed++;
        else latencies.push(ms);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuMs(pid) - cpu0;
  client.close();
  return { qps: QUERIES / seconds, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), failed, cpuPerKq: cpu / (QUERIES / 1000) };
}

function ensureDnsmasq(): string {
  const which = () => spawnSync('sh', ['-c', 'command -v dnsmasq'], { encoding: 'utf8' }).stdout.trim();
  if (which()) return which();
  console.log('dnsmasq missing: installing Debian\'s dnsmasq-base (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'dnsmasq-base'], { encoding: 'utf8', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8', env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'dnsmasq-base'], { encoding: 'utf8', env });
  }
  if (r.status !== 0 || !which()) throw new Error(`installing dnsmasq-base failed:\n${r.stdout}\n${r.stderr}`);
  return which();
}

async function answers(port: number, name: string): Promise<boolean> {
  const c = udpClient(port);
  try {
    return (await c.ask(dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name }] }))) !== undefined;
  } finally {
    c.close();
  }
}

async function until(what: string, fn: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main(): Promise<void> {
  const dnsmasqBin = ensureDnsmasq();
  const dnsmasqVersion = spawnSync(dnsmasqBin, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]!.replace(/^Dnsmasq version (\S+).*/, '$1');
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-dns-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const api: ApiserverProcess = await startApiserver();
  cleanups.push(() => api.cleanup());
  const client = new Client(api.url, 'bench-dns');
  await client.create(R.namespaces, undefined, { metadata: { name: NS } });
  const ips: string[] = new Array(SERVICES);
  let made = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = made++; i < SERVICES; i = made++) {
        const svc = await client.create(R.services, NS, { metadata: { name: `svc-${String(i).padStart(4, '0')}` }, spec: { ports: [{ name: 'http', port: 80 }] } });
        ips[i] = svc.spec.clusterIP as string;
      }
    }),
  );
  console.log(`created ${SERVICES} Services in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const names = ips.map((_, i) => `svc-${String(i).padStart(4, '0')}.${NS}.svc.cluster.local`);

  const dnsPort = await freePort();
  const dns = startProc(process.execPath, [CLI, 'dns', '--server', api.url, '--bind-address', '127.0.0.1', '--port', String(dnsPort), '--health-port', '0', '--register-service=false', '--v', 'warn']);
  await until('skiff dns to answer the last Service', () => answers(dnsPort, names.at(-1)!));

  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, names.map((n, i) => `${ips[i]} ${n}`).join('\n') + '\n', { mode: 0o644 });
  const masqPort = await freePort();
  const masq = startProc(dnsmasqBin, ['--no-resolv', '--no-hosts', `--addn-hosts=${hosts}`, `--port=${masqPort}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--keep-in-foreground', '--conf-file=/dev/null', '--pid-file=', '--user=root']);
  await until('dnsmasq to answer', () => answers(masqPort, names.at(-1)!)).catch((err: Error) => {
    throw new Error(`${err.message}\n${masq.out()}`);
  });

  const rows: [string, Result, Result][] = [];
  for (const [label, port, pid] of [['skiff dns', dnsPort, dns.proc.pid!], [`dnsmasq ${dnsmasqVersion} (hosts file)`, masqPort, masq.proc.pid!]] as const) {
    const seq = await run(port, pid, names, 1);
    const win = await run(port, pid, names, WINDOW);
    rows.push([label, seq, win]);
  }
  const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(`\nDNS: ${QUERIES} A queries over UDP to 127.0.0.1 for ${SERVICES} Service names (random), one client; server CPU in ms per 1,000 queries`);
  console.log(`${''.padEnd(30)}| sequential (1 in flight)                 | window ${WINDOW}`);
  console.log(`${'server'.padEnd(30)}| ${'q/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU'.padStart(6)} ${'lost'.padStart(5)}   | ${'q/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU'.padStart(6)} ${'lost'.padStart(5)}`);
  for (const [label, s, w] of rows) {
    const cols = (r: Result) => `${f(r.qps, 0).padStart(7)} ${f(r.p50, 3).padStart(7)} ${f(r.p99, 3).padStart(7)} ${f(r.cpuPerKq, 0).padStart(6)} ${String(r.failed).padStart(5)}`;
    console.log(`${label.padEnd(30)}| ${cols(s)}   | ${cols(w)}`);
  }
  const skiff = rows[0]![2];
  console.log(`\naim: 10,000 q/s with p99 under 5 ms (window ${WINDOW}): ${skiff.qps >= 10_000 && skiff.p99 < 5 ? 'met' : 'NOT met'}`);
}

const deadline = setTimeout(() => {
  console.error(`bench:dns: still running after ${TOTAL_S} s; stopping`);
  void cleanup().finally(() => process.exit(1));
}, TOTAL_S * 1000);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)));
main()
  .then(async () => {
    clearTimeout(deadline);
    await cleanup();
  })
  .catch(async (err: unknown) => {
    console.error(`bench:dns failed: ${(err as Error).stack ?? String(err)}`);
    clearTimeout(deadline);
    await cleanup();
    process.exit(1);
  });
