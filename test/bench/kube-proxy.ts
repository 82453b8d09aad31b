// `npm run bench:kube-proxy [-- --services N --large M --changes C]`
//
// Issue 5's benchmark, in a network namespace of its own (so the host's netfilter never
// holds these rules): a real apiserver and a real `skiff kube-proxy` inside it.
//  1. N Services (default 1,000) × 5 endpoints: kube-proxy's first full sync (its own
//     kubeproxy_sync_full_proxy_rules_duration_seconds), next to the same rules loaded by one
//     plain `iptables-restore` into an empty namespace.
//  2. C Endpoints changes (default 200) of one Service among them: from the write's 2xx to
//     the rule being live, seen by real traffic: the Service flips between two local servers
//     and the benchmark connects to its ClusterIP until the other one answers.
//  3. M Services (default 10,000): the full sync of a restarted kube-proxy, and the plain
//     `iptables-restore` of the same rules.
// Everything it starts and the namespaces go at the end; every wait is bounded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';

const argv = process.argv.slice(2);
const num = (name: string, def: number): number => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def);
const SERVICES = num('services', 1000);
const LARGE = num('large', 10_000);
const CHANGES = num('changes', 200);
const NETNS = 'skiff-bench-kp';
const REF_NETNS = 'skiff-bench-kp-ref';
const CLI = fileURLToPath(new URL('../../shared/cli.js', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const API_PORT = 18_401;
const METRICS = '127.0.0.1:18402';
const SERVER_A = '10.244.255.1';
const SERVER_B = '10.244.255.2';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const pct = (a: number[], p: number) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]! : NaN;
};
const say = (s: string) => console.log(s);

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** The outer process: makes the namespace, re-runs itself inside it, removes it afterwards. */
function outer(): void {
  spawnSync('ip', ['netns', 'del', NETNS]);
  spawnSync('ip', ['netns', 'del', REF_NETNS]);
  run('ip', ['netns', 'add', NETNS]);
  run('ip', ['netns', 'add', REF_NETNS]);
  try {
    const r = spawnSync('nsenter', [`--net=/var/run/netns/${NETNS}`, process.execPath, SELF, '--inside', ...argv], { stdio: 'inherit', timeout: 1_800_000 });
    process.exitCode = r.status ?? 1;
  } finally {
    spawnSync('ip', ['netns', 'del', NETNS]);
    spawnSync('ip', ['netns', 'del', REF_NETNS]);
  }
}

const procs: ChildProcess[] = [];
function start(args: string[]): { proc: ChildProcess; out: () => string } {
  let out = '';
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => {
    out = (out + d).slice(-20_000);
    if (process.env.KP_LOG) appendFileSync(process.env.KP_LOG, d);
  });
  proc.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  procs.push(proc);
  return { proc, out: () => out };
}

async function metric(name: string): Promise<{ sum: number; count: number }> {
  const text = await new Promise<string>((resolve, reject) => {
    http.get(`http://${METRICS}/metrics`, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  const get = (suffix: string) => Number(new RegExp(`^${name}_${suffix} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { sum: get('sum'), count: get('count') };
}

async function waitFor(what: string, cond: () => Promise<boolean>, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
    } catch {
      // not yet
    }
    await sleep(50);
  }
  throw new Error(`timed out (${seconds} s) waiting for ${what}`);
}

const svcObj = (i: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: 'bench' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
const epsObj = (name: string, ips: string[], rv?: string) => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name, namespace: 'bench', ...(rv ? { resourceVersion: rv } : {}) },
  subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
});
const fakeIPs = (i: number) => Array.from({ length: 5 }, (_, j) => `10.244.${Math.floor(i / 50) % 250}.${(i % 50) * 5 + j + 1}`);

async function createServices(client: Client, from: number, to: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      await client.create(R.services, 'bench', svcObj(i));
      await client.create(R.endpoints, 'bench', epsObj(`s${i}`, fakeIPs(i)));
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

/** The same rules loaded by one plain iptables-restore into an empty namespace, in ms. */
function plainRestore(dump: string): number {
  spawnSync('ip', ['netns', 'del', REF_NETNS]);
  run('ip', ['netns', 'add', REF_NETNS]);
  const t0 = performance.now();
  run('nsenter', [`--net=/var/run/netns/${REF_NETNS}`, 'iptables-restore', '-w', '5'], dump);
  return performance.now() - t0;
}

/** One connection to the probe Service's ClusterIP: the answering server's letter, or the error. */
let nextPort = 20_000;
function probe(ip: string): Promise<string> {
  // A source port of its own per connection: a reused one can meet its old conntrack entry
  // (TIME_WAIT, NATed to the previous endpoint), which costs a SYN retransmit (1 s) that
  // would be the benchmark's own doing, not kube-proxy's.
  const localPort = nextPort++;
  if (nextPort > 60_000) nextPort = 20_000;
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: 80, path: '/', agent: false, timeout: 1000, localPort }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(`error ${e.message}`));
  });
}

async function inner(): Promise<void> {
  run('ip', ['link', 'set', 'lo', 'up']);
  run('ip', ['link', 'add', 'ep0', 'type', 'bridge']);
  run('ip', ['link', 'set', 'ep0', 'up']);
  for (const a of [SERVER_A, SERVER_B]) run('ip', ['addr', 'add', `${a}/32`, 'dev', 'ep0']);
  const servers = [SERVER_A, SERVER_B].map((addr, i) => {
    const s = http.createServer((_req, res) => res.end(i === 0 ? 'A' : 'B'));
    s.listen(8080, addr);
    return s;
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-kp-'));
  try {
    start(['apiserver', '--bind-address', '127.0.0.1', '--port', String(API_PORT), '--data-dir', dataDir, '--v', 'warn']);
    const client = new Client(`http://127.0.0.1:${API_PORT}`, 'bench-kube-proxy');
    await waitFor('the apiserver', async () => Boolean(await client.list(R.namespaces)), 30);
    await client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    say(`# kube-proxy benchmark (in network namespace ${NETNS}; iptables ${run('iptables', ['--version']).trim()})`);

    // 1. N services, first full sync
    let t0 = performance.now();
    await createServices(client, 0, SERVICES);
    const probeSvc = await client.create(R.services, 'bench', { ...svcObj(0), metadata: { name: 'probe', namespace: 'bench' } });
    let probeEps = await client.create(R.endpoints, 'bench', epsObj('probe', [SERVER_A]));
    say(`created ${SERVICES} Services × 5 endpoints in ${f((performance.now() - t0) / 1000)} s`);
    const proxyArgs = ['kube-proxy', '--server', `http://127.0.0.1:${API_PORT}`, '--hostname-override', 'bench', '--min-sync-period', '0', '--healthz-bind-address', '127.0.0.1:0', '--metrics-bind-address', METRICS, '--v', process.env.KP_V ?? 'warn'];
    let proxy = start(proxyArgs);
    await waitFor('the first full sync', async () => (await metric('kubeproxy_sync_full_proxy_rules_duration_seconds')).count >= 1, 120);
    const full1k = (await metric('kubeproxy_sync_full_proxy_rules_duration_seconds')).sum * 1000;
    const dump1k = run('iptables-save', []);
    const rules1k = dump1k.split('\n').filter((l) => l.startsWith('-A SKIFF-')).length;
    const plain1k = plainRestore(dump1k);
    say('');
    say(`## ${SERVICES} Services × 5 endpoints (${rules1k} rules)`);
    say(`| what | ms |`);
    say(`|---|---|`);
    say(`| skiff kube-proxy full sync (first, including the one iptables-save for leftovers) | ${f(full1k)} |`);
    say(`| reference: the same rules by one plain iptables-restore into an empty namespace | ${f(plain1k)} |`);

    // 2. endpoint changes → live
    const cip = String(probeSvc.spec.clusterIP);
    await waitFor('the probe Service answering A', async () => (await probe(cip)) === 'A', 30);
    const latencies: number[] = [];
    const partialBefore = await metric('kubeproxy_sync_partial_proxy_rules_duration_seconds');
    for (let i = 0; i < CHANGES; i++) {
      const want = i % 2 === 0 ? 'B' : 'A';
      const body = epsObj('probe', [want === 'A' ? SERVER_A : SERVER_B], String(probeEps.metadata.resourceVersion));
      const sent = performance.now();
      probeEps = await client.update(R.endpoints, body);
      const acked = performance.now();
      let seen = '';
      while (performance.now() - acked < 10_000) {
        seen = await probe(cip);
        if (seen === want) break;
      }
      if (seen !== want) throw new Error(`change ${i}: still ${seen} 10 s after the write`);
      latencies.push(performance.now() - acked);
      void sent;
      await sleep(5);
    }
    const partialAfter = await metric('kubeproxy_sync_partial_proxy_rules_duration_seconds');
    const partialMean = ((partialAfter.sum - partialBefore.sum) / Math.max(1, partialAfter.count - partialBefore.count)) * 1000;
    say('');
    say(`## ${CHANGES} Endpoints changes of one Service among ${SERVICES}: write acknowledged → new endpoint answering`);
    say(`| p50 ms | p99 ms | max ms | kube-proxy partial sync, mean ms |`);
    say(`|---|---|---|---|`);
    say(`| ${f(pct(latencies, 0.5))} | ${f(pct(latencies, 0.99))} | ${f(Math.max(...latencies))} | ${f(partialMean)} |`);

    // 3. LARGE services, full sync of a restarted kube-proxy
    if (LARGE > SERVICES) {
      t0 = performance.now();
      await createServices(client, SERVICES, LARGE);
      say('');
      say(`created ${LARGE - SERVICES} more Services in ${f((performance.now() - t0) / 1000)} s`);
      proxy.proc.kill('SIGKILL');
      await new Promise((r) => proxy.proc.once('exit', r));
      proxy = start(proxyArgs);
      await waitFor('the full sync at the large size', async () => (await metric('kubeproxy_sync_full_proxy_rules_duration_seconds')).count >= 1, 300);
      const fullLarge = (await metric('kubeproxy_sync_full_proxy_rules_duration_seconds')).sum * 1000;
      const dump = run('iptables-save', []);
      const rules = dump.split('\n').filter((l) => l.startsWith('-A SKIFF-')).length;
      const plain = plainRestore(dump);
      say(`## ${LARGE} Services × 5 endpoints (${rules} rules)`);
      say(`| what | ms |`);
      say(`|---|---|`);
      say(`| skiff kube-proxy full sync (restarted over the previous rules) | ${f(fullLarge)} |`);
      say(`| reference: the same rules by one plain iptables-restore into an empty namespace | ${f(plain)} |`);
    }
    writeFileSync(join(dataDir, 'done'), '');
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    for (const s of servers) s.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (argv.includes('--inside')) {
  inner().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    },
  );
} else outer();
