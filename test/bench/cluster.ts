// `npm run bench:cluster [-- --quick] [-- --nodes N --pods N --floor-pods N --phase-timeout S]`
//
// Issue 4's benchmark: a real apiserver, controller-manager, scheduler and one hollow kubelet
// process playing N nodes (kubemark / KWOK style: Ready nodes, renewed leases, bound pods
// reported Running without Docker), all started from dist/shared/cli.js on 127.0.0.1.
// Phases: (1) N nodes Ready with a podCIDR; (2) bare pods created by 50 clients; (3) one
// Deployment of the other half; (4) the binding floor, the reference measured in the same run:
// pods the scheduler ignores (schedulerName bench-none) bound by the benchmark itself through
// POST pods/X/binding at the scheduler's bind parallelism with no scheduling logic, once
// pipelined with the creates as in phase 2 and once on pods created beforehand.
// Everything is measured from one watch of the benchmark's pods, parsed in a worker_thread.
// Each phase has a hard time bound; processes and the temp dir go at the end and on errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { freePort } from '../support/apiserver.js';
import { ok, request as benchRequest, type Res } from './http.js';

const argv = process.argv.slice(2);
const num = (name: string, def: number): number => (argv.includes(`--${name}`) && Number(argv[argv.indexOf(`--${name}`) + 1]) > 0 ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def);
const QUICK = argv.includes('--quick');
const NODES = num('nodes', QUICK ? 50 : 500);
const PODS = num('pods', QUICK ? 1_000 : 10_000);
const BARE = Math.floor(PODS / 2), DEPLOY = PODS - BARE;
const FLOOR = num('floor-pods', QUICK ? 200 : 2_000);
const PHASE_S = num('phase-timeout', 300);
const CREATORS = 50; // clients creating pods
const BINDERS = 64; // = the scheduler's --bind-parallelism, passed to it explicitly
const LABEL = 'skiff-bench';
const THIS_FILE = fileURLToPath(import.meta.url);
const CLI = fileURLToPath(new URL('../../shared/cli.js', import.meta.url));

const BASE: bigint = isMainThread ? process.hrtime.bigint() : (workerData as { base: bigint }).base;
const now = (): number => Number(process.hrtime.bigint() - BASE) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

const request = (agent: http.Agent | false, port: number, method: string, path: string, body?: string): Promise<Res> => benchRequest(agent, port, method, path, body, { timeoutMs: 60_000 });

// ---------------------------------------------------------------- the pod watch (worker thread)
/** What the watch saw of one pod (times in ms on the shared clock; NaN = not seen). */
interface Rec { ns: string; name: string; added: number; bound: number; running: number; deleted: number; node: string; rebinds: string[] }
interface WatchJob { base: bigint; port: number; rv: string }
type Counts = Record<string, [added: number, bound: number, running: number, deleted: number]>;
type WatchMsg =
  | { type: 'ready' }
  | { type: 'error'; msg: string }
  | { type: 'progress'; counts: Counts; rebinds: number }
  | { type: 'result'; recs: Rec[]; events: number; reconnects: number; busy: number };

function watchWorker(job: WatchJob): void {
  const post = (m: WatchMsg) => parentPort!.postMessage(m);
  const pods = new Map<string, Rec>(); // by uid
  const counts: Counts = {};
  let rv = job.rv, events = 0, reconnects = 0, rebinds = 0, closing = false, req: http.ClientRequest | undefined;
  const bump = (ns: string, i: 0 | 1 | 2 | 3) => void (counts[ns] ??= [0, 0, 0, 0])[i]++;
  type Pod = { metadata: { uid: string; name: string; namespace: string; resourceVersion?: string }; spec?: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } };
  const onLine = (line: string) => {
    const t = now(); // parsed: this is when the benchmark learns of it
    const ev = JSON.parse(line) as { type: string; object: Pod };
    if (ev.type === 'ERROR') return post({ type: 'error', msg: `watch ERROR event: ${line.slice(0, 300)}` });
    rv = ev.object.metadata.resourceVersion ?? rv;
    if (ev.type === 'BOOKMARK') return;
    events++;
    const o = ev.object, m = o.metadata;
    let r = pods.get(m.uid);
    if (!r) {
      pods.set(m.uid, (r = { ns: m.namespace, name: m.name, added: t, bound: NaN, running: NaN, deleted: NaN, node: '', rebinds: [] }));
      bump(r.ns, 0);
    }
    const node = o.spec?.nodeName ?? '';
    if (!r.node && node) { r.node = node; r.bound = t; bump(r.ns, 1); }
    else if (r.node && node !== r.node && !r.rebinds.includes(node)) { r.rebinds.push(node || '(cleared)'); rebinds++; }
    if (ev.type === 'DELETED') {
      if (Number.isNaN(r.deleted)) { r.deleted = t; bump(r.ns, 3); }
    } else if (Number.isNaN(r.running) && o.status?.phase === 'Running' && o.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
      r.running = t;
      bump(r.ns, 2);
    }
  };
  const connect = () => {
    let done = false;
    const again = (why: string) => {
      if (done || closing) return;
      done = true;
      reconnects++;
      post({ type: 'error', msg: `(not fatal) watch ended (${why}); resuming from resourceVersion ${rv}` });
      setTimeout(connect, 100);
    };
    const path = `/api/v1/pods?watch=true&allowWatchBookmarks=true&labelSelector=${LABEL}&resourceVersion=${rv}`;
    req = http.get({ host: '127.0.0.1', port: job.port, path, agent: false }, (res) => {
      if (res.statusCode !== 200) return post({ type: 'error', msg: `watch answered ${res.statusCode}` });
      if (reconnects === 0) post({ type: 'ready' });
      let buf = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        let start = 0;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
          if (nl > start) onLine(buf.slice(start, nl));
          start = nl + 1;
        }
        buf = buf.slice(start);
      });
      res.on('end', () => again('stream ended')).on('error', (e) => again(String(e)));
    });
    req.on('error', (e) => again(String(e)));
  };
  connect();
  const tick = setInterval(() => post({ type: 'progress', counts, rebinds }), 100);
  const elu = performance.eventLoopUtilization();
  parentPort!.on('message', () => { // 'collect'
    closing = true;
    clearInterval(tick);
    req?.destroy();
    post({ type: 'result', recs: [...pods.values()], events, reconnects, busy: performance.eventLoopUtilization(elu).utilization });
  });
}

// ---------------------------------------------------------------- processes
interface LogCount { count: number; level: number; first: Record<string, unknown> }
interface Proc { name: string; proc: ChildProcess; tail: string; logs: Map<string, LogCount> }
const procs: Proc[] = [];
function startProc(name: string, args: string[]): Proc {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { name, proc, tail: '', logs: new Map() };
  for (const stream of [proc.stdout!, proc.stderr!]) {
    let buf = '';
    stream.setEncoding('utf8').on('data', (d: string) => {
      p.tail = (p.tail + d).slice(-20_000);
      const lines = (buf + d).split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        let o: Record<string, unknown>;
        try { o = JSON.parse(line) as Record<string, unknown>; } catch { o = { level: 50, msg: `(not JSON) ${line.slice(0, 160)}` }; }
        const key = String(o.msg);
        const c = p.logs.get(key) ?? { count: 0, level: Number(o.level), first: o };
        c.count++;
        p.logs.set(key, c);
      }
    });
  }
  procs.push(p);
  cleanups.push(() => halt(proc));
  return p;
}
const alive = (p: Proc) => p.proc.exitCode === null && p.proc.signalCode === null;
const logCount = (p: Proc, msg: string) => p.logs.get(msg)?.count ?? 0;
function assertAlive(): void {
  for (const p of procs) if (!alive(p)) throw new Error(`${p.name} exited (code ${p.proc.exitCode}, signal ${p.proc.signalCode}):\n${p.tail.slice(-3000)}`);
}
async function halt(p: ChildProcess, ms = 10_000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(ms).then(() => false)])) return;
  p.kill('SIGKILL');
  await exited;
}
const cleanups: (() => unknown)[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) { try { await cleanups.pop()!(); } catch { /* keep cleaning */ } }
}
const statusKiB = (pid: number, field: string) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1]);
/** utime + stime of a process in seconds (fields 14 and 15 of /proc/PID/stat; USER_HZ = 100 on Linux). */
const cpuS = (pid: number): number => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8'), fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const cpuNow = (): number[] => [...procs.map((p) => (alive(p) ? cpuS(p.proc.pid!) : NaN)), (process.cpuUsage().user + process.cpuUsage().system) / 1e6];

// ---------------------------------------------------------------- pods and phases
const podBody = (name: string, phase: string, schedulerName?: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { [LABEL]: phase } },
  spec: { ...(schedulerName ? { schedulerName } : {}), terminationGracePeriodSeconds: 0, containers: [podContainer] },
});
const podContainer = { name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } };
const bindBody = (name: string, node: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node } });

/** A queue of pod indexes from the creators to the binders. */
class Feed {
  private items: number[] = [];
  private waiters: ((i: number | undefined) => void)[] = [];
  private closed = false;
  push(i: number): void { const w = this.waiters.shift(); if (w) w(i); else this.items.push(i); }
  close(): void { this.closed = true; for (const w of this.waiters.splice(0)) w(undefined); }
  next(): Promise<number | undefined> {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return this.closed ? Promise.resolve(undefined) : new Promise((r) => this.waiters.push(r));
  }
}

interface Phase { label: string; ns: string; expected: number; t0: number; t1: number; timedOut: boolean; cpu: number[]; sendT?: Map<string, number>; createFrom: 'send' | 'watch' | 'none'; note: string[] }
const pct = (a: number[], p: number): number => {
  const s = a.filter(Number.isFinite).sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]! : NaN;
};

async function main(): Promise<void> {
  const tStart = now(), cpus = os.cpus();
  console.log(`skiff cluster benchmark${QUICK ? ' (--quick)' : ''}: ${NODES} hollow nodes, ${BARE} bare pods + a Deployment of ${DEPLOY}, binding floor ${FLOOR} + ${FLOOR} pods; ` +
    `${CREATORS} creating clients, ${BINDERS} binds in flight; each pod requests cpu 10m, memory 16Mi; ${PHASE_S} s bound per phase`);
  console.log(`machine: ${cpus.length} cores, ${cpus[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}, load average ${os.loadavg().map((l) => f(l, 2)).join(' ')}`);
  if (2 * FLOOR + PODS > NODES * 110) console.log(`warning: ${PODS + 2 * FLOOR} pods exceed ${NODES} nodes x 110 pods`);

  const dir = mkdtempSync(join(os.tmpdir(), 'skiff-bench-cluster-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort(), server = `http://127.0.0.1:${port}`;
  const api = startProc('apiserver', ['apiserver', '--data-dir', dir, '--port', String(port), '--bind-address', '127.0.0.1', '--disable-admission-plugins=ServiceAccount', '--v', 'warn']);
  for (const deadline = now() + 30_000; ; await sleep(50)) {
    assertAlive();
    if ((await request(false, port, 'GET', '/api/v1/namespaces/default').catch(() => undefined))?.status === 200) break;
    if (now() > deadline) throw new Error(`apiserver not ready within 30 s:\n${api.tail}`);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: CREATORS });
  const bindAgent = new http.Agent({ keepAlive: true, maxSockets: BINDERS });
  cleanups.push(() => { agent.destroy(); bindAgent.destroy(); });
  const must = async (method: string, path: string, body?: string) => {
    const r = await request(agent, port, method, path, body);
    if (!ok(r)) throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as Record<string, any>;
  };
  const NS = { bare: 'bench-bare', deploy: 'bench-deploy', floor: 'bench-floor', floorBind: 'bench-floor-bind' };
  for (const ns of Object.values(NS)) await must('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));

  // The watch, from the resourceVersion of a list.
  const rv = String((await must('GET', `/api/v1/pods?labelSelector=${LABEL}`)).metadata.resourceVersion);
  const worker = new Worker(THIS_FILE, { workerData: { base: BASE, port, rv } satisfies WatchJob });
  cleanups.push(() => worker.terminate());
  let counts: Counts = {}, rebinds = 0, onResult: (m: WatchMsg & { type: 'result' }) => void = () => {};
  const watchNotes: string[] = [];
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: WatchMsg) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'progress') ({ counts, rebinds } = m);
      else if (m.type === 'result') onResult(m);
      else { watchNotes.push(m.msg); if (!m.msg.startsWith('(not fatal)')) reject(new Error(m.msg)); }
    });
    worker.on('error', reject);
    setTimeout(() => reject(new Error('the pod watch did not open within 15 s')), 15_000).unref();
  });
  const seen = (ns: string, i: 0 | 1 | 2 | 3) => counts[ns]?.[i] ?? 0;

  const cm = startProc('controller-manager', ['controller-manager', '--server', server, '--leader-elect=false', '--controllers', 'replicaset,deployment,nodeipam,garbagecollector', '--node-cidr-mask-size', '25', '--v', 'warn']);
  const sched = startProc('scheduler', ['scheduler', '--server', server, '--leader-elect=false', '--bind-parallelism', String(BINDERS), '--v', 'info']);
  for (const deadline = now() + 30_000; !logCount(sched, 'caches synced; scheduling'); await sleep(50)) {
    assertAlive();
    if (now() > deadline) throw new Error(`the scheduler did not sync within 30 s:\n${sched.tail}`);
  }
  const tKubelet = now();
  const kubelet = startProc('hollow kubelet', ['kubelet', '--server', server, '--hollow', '--nodes', String(NODES), '--node-name', 'hollow', '--v', 'warn']);
  console.log(`pids: apiserver ${api.proc.pid}, controller-manager ${cm.proc.pid}, scheduler ${sched.proc.pid}, hollow kubelet ${kubelet.proc.pid}; data dir ${dir}; all share these cores with the benchmark\n`);

  /** Waits for `cond`, checking the processes; false after the phase bound. */
  const waitUntil = async (cond: () => boolean | Promise<boolean>, seconds = PHASE_S, every = 50): Promise<boolean> => {
    for (const deadline = now() + seconds * 1000; ; await sleep(every)) {
      assertAlive();
      if (await cond()) return true;
      if (now() > deadline) return false;
    }
  };

  // (1) nodes
  let ready = 0, cidrs = 0;
  const nodesOk = await waitUntil(async () => {
    const items = (await must('GET', '/api/v1/nodes')).items as { spec?: { podCIDR?: string }; status?: { conditions?: { type: string; status: string }[] } }[];
    ready = items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    cidrs = items.filter((n) => n.spec?.podCIDR).length;
    return ready >= NODES && cidrs >= NODES;
  }, PHASE_S, 500);
  console.log(`(1) ${ready}/${NODES} nodes Ready, ${cidrs} with a podCIDR, ${f((now() - tKubelet) / 1000)} s after the hollow kubelet started`);
  if (!nodesOk) throw new Error(`nodes not Ready with a podCIDR within ${PHASE_S} s`);
  await sleep(2_000); // let the registration burst settle

  const phases: Phase[] = [];
  const begin = (label: string, ns: string, expected: number, createFrom: Phase['createFrom']): Phase => {
    const p: Phase = { label, ns, expected, t0: now(), t1: NaN, timedOut: false, cpu: cpuNow(), createFrom, note: [] };
    phases.push(p);
    return p;
  };
  const end = async (p: Phase) => {
    p.timedOut = !(await waitUntil(() => seen(p.ns, 2) >= p.expected));
    p.t1 = now();
    p.cpu = cpuNow().map((c, i) => c - p.cpu[i]!);
    console.log(`    ${seen(p.ns, 0)} seen, ${seen(p.ns, 1)} bound, ${seen(p.ns, 2)} Running after ${f((p.t1 - p.t0) / 1000)} s${p.timedOut ? `: TIMED OUT after ${PHASE_S} s` : ''}`);
  };
  /** `clients` loops over indexes 0…n-1; returns the errors. */
  const pool = async (clients: number, n: number, fn: (i: number) => Promise<Res>): Promise<string[]> => {
    const errors: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: clients }, async () => {
      for (let i = next++; i < n; i = next++) {
        const r = await fn(i).catch((e: unknown) => ({ status: 0, body: String(e) }));
        if (!ok(r)) errors.push(`${r.status} ${r.body.slice(0, 200)}`);
      }
    }));
    return errors;
  };
  const createPods = async (p: Phase, prefix: string, n: number, schedulerName?: string, onCreated?: (i: number) => void) => {
    p.sendT = new Map();
    const t = now();
    const errors = await pool(CREATORS, n, async (i) => {
      const name = `${prefix}-${i}`;
      p.sendT!.set(name, now());
      const r = await request(agent, port, 'POST', `/api/v1/namespaces/${p.ns}/pods`, podBody(name, p.ns, schedulerName));
      if (ok(r)) onCreated?.(i);
      return r;
    });
    p.note.push(`${n - errors.length} created in ${f((now() - t) / 1000, 2)} s (${f(((n - errors.length) * 1000) / (now() - t), 0)}/s)${errors.length ? `, ${errors.length} create errors, first: ${errors[0]}` : ''}`);
    return errors.length;
  };
  const bindPods = async (p: Phase, prefix: string, feed: Feed) => {
    const errors: string[] = [];
    let k = 0;
    await Promise.all(Array.from({ length: BINDERS }, async () => {
      for (let i = await feed.next(); i !== undefined; i = await feed.next()) {
        const name = `${prefix}-${i}`;
        const r = await request(bindAgent, port, 'POST', `/api/v1/namespaces/${p.ns}/pods/${name}/binding`, bindBody(name, `hollow-${k++ % NODES}`))
          .catch((e: unknown) => ({ status: 0, body: String(e) }));
        if (!ok(r)) errors.push(`${r.status} ${r.body.slice(0, 200)}`);
      }
    }));
    if (errors.length) p.note.push(`${errors.length} binding errors, first: ${errors[0]}`);
  };

  // (2) bare pods through the scheduler
  console.log(`(2) ${BARE} bare pods, created by ${CREATORS} clients, scheduled by skiff's scheduler`);
  const bare = begin('skiff scheduler: bare pods', NS.bare, BARE, 'send');
  await createPods(bare, 'bare', BARE);
  await end(bare);

  // (3) a Deployment
  console.log(`(3) a Deployment of ${DEPLOY} replicas (controller-manager creates the pods)`);
  const dep = begin('skiff scheduler: Deployment pods', NS.deploy, DEPLOY, 'watch');
  await must('POST', `/apis/apps/v1/namespaces/${NS.deploy}/deployments`, JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
    spec: { replicas: DEPLOY, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', [LABEL]: NS.deploy } }, spec: { terminationGracePeriodSeconds: 0, containers: [podContainer] } } },
  }));
  await end(dep);
  let depStatus: Record<string, unknown> = {};
  const depAvailable = await waitUntil(async () => {
    const d = await must('GET', `/apis/apps/v1/namespaces/${NS.deploy}/deployments/web`);
    depStatus = d.status ?? {};
    return d.status?.observedGeneration >= d.metadata.generation && d.status?.availableReplicas === DEPLOY && d.status?.updatedReplicas === DEPLOY && d.status?.replicas === DEPLOY;
  }, 60, 250);
  dep.note.push(`Deployment status ${depAvailable ? '' : 'NOT '}converged ${f((now() - dep.t0) / 1000)} s after its create: replicas ${depStatus.replicas}, updated ${depStatus.updatedReplicas}, ready ${depStatus.readyReplicas}, available ${depStatus.availableReplicas}`);

  // (4) the binding floor: no scheduler, the benchmark binds (round robin over the nodes)
  console.log(`(4a) ref: ${FLOOR} pods (schedulerName bench-none) created by ${CREATORS} clients, each bound by the benchmark as soon as its create returns (${BINDERS} binds in flight)`);
  const floor = begin('  ref: binding floor, create+bind pipelined', NS.floor, FLOOR, 'send');
  const feed = new Feed();
  const binding = bindPods(floor, 'floor', feed);
  await createPods(floor, 'floor', FLOOR, 'bench-none', (i) => feed.push(i));
  feed.close();
  await binding;
  await end(floor);
  console.log(`(4b) ref: ${FLOOR} pods (schedulerName bench-none) created first, then bound by the benchmark (${BINDERS} binds in flight)`);
  const pre = begin('  ref: binding floor, bind only (pre-created)', NS.floorBind, FLOOR, 'none');
  await createPods(pre, 'pre', FLOOR, 'bench-none');
  await waitUntil(() => seen(NS.floorBind, 0) >= FLOOR, 30);
  pre.t0 = now();
  pre.cpu = cpuNow();
  const feed2 = new Feed();
  for (let i = 0; i < FLOOR; i++) feed2.push(i);
  feed2.close();
  await bindPods(pre, 'pre', feed2);
  await end(pre);

  // Final state, straight from the apiserver.
  const listed = (await must('GET', `/api/v1/pods?labelSelector=${LABEL}`)).items as { metadata: { namespace: string }; spec: { nodeName?: string }; status?: { phase?: string } }[];
  const events = (await must('GET', '/api/v1/events')).items as { type?: string; reason?: string; message?: string; count?: number; metadata: { namespace: string } }[];
  const metrics = (await request(false, port, 'GET', '/metrics')).body;
  const rss = procs.map((p) => ({ p, hwm: statusKiB(p.proc.pid!, 'VmHWM') / 1024, now: statusKiB(p.proc.pid!, 'VmRSS') / 1024, cpu: cpuS(p.proc.pid!) }));
  const result = await new Promise<WatchMsg & { type: 'result' }>((r) => { onResult = r; worker.postMessage('collect'); });
  await halt(sched.proc); // its shutdown line carries its count of successful binds
  const schedBinds = Number(sched.logs.get('shutting down')?.first.scheduled);

  // ---------------------------------------------------------------- report
  const byNs = new Map<string, Rec[]>();
  for (const r of result.recs) byNs.set(r.ns, [...(byNs.get(r.ns) ?? []), r]);
  const rows = phases.map((p) => {
    const recs = (byNs.get(p.ns) ?? []).filter((r) => Number.isNaN(r.deleted));
    const created = (r: Rec) => (p.createFrom === 'send' ? p.sendT!.get(r.name) ?? NaN : p.createFrom === 'watch' ? r.added : NaN);
    const bound = recs.map((r) => r.bound).filter(Number.isFinite);
    const span = (Math.max(...bound) - Math.min(...bound)) / 1000;
    return {
      p, recs, bound: bound.length, running: recs.filter((r) => Number.isFinite(r.running)).length, rate: bound.length / span,
      c2b: recs.map((r) => r.bound - created(r)), c2r: recs.map((r) => r.running - created(r)), b2r: recs.map((r) => r.running - r.bound),
    };
  });
  const depAdded = (byNs.get(NS.deploy) ?? []).map((r) => r.added), addSpan = (Math.max(...depAdded) - Math.min(...depAdded)) / 1000;
  dep.note.unshift(`first pod ADDED ${f(Math.min(...depAdded) - dep.t0, 0)} ms after the Deployment POST; ${depAdded.length} ADDED over ${f(addSpan, 2)} s ` +
    `(${f(depAdded.length / addSpan, 0)} pods/s created by the ReplicaSet controller: the bound on this row's pods/s)`);
  console.log(`\nwatch: ${result.events} events of ${result.recs.length} pods, ${result.reconnects} reconnects, watch thread ${f(result.busy * 100, 0)}% busy. ` +
    'Times are when the benchmark parsed the event. create = the client\'s send time (bare and floor pods) or the watch ADDED time (Deployment pods, whose creationTimestamp has 1 s resolution).');
  console.log(`pods/s = pods bound / (last bind - first bind), binds as seen in the watch. Latencies in ms.\n`);
  console.log(`${'phase'.padEnd(46)}${'pods'.padStart(6)}${'bound'.padStart(7)}${'Running'.padStart(8)}${'pods/s'.padStart(8)}` +
    `${'c→bound'.padStart(9)}${'p99'.padStart(8)}${'c→Running'.padStart(10)}${'p99'.padStart(8)}${'bound→R'.padStart(9)}${'p99'.padStart(8)}${'wall s'.padStart(8)}`);
  for (const r of rows) {
    console.log(`${r.p.label.padEnd(46)}${String(r.recs.length).padStart(6)}${String(r.bound).padStart(7)}${String(r.running).padStart(8)}${f(r.rate, 0).padStart(8)}` +
      `${f(pct(r.c2b, 0.5), 0).padStart(9)}${f(pct(r.c2b, 0.99), 0).padStart(8)}${f(pct(r.c2r, 0.5), 0).padStart(10)}${f(pct(r.c2r, 0.99), 0).padStart(8)}` +
      `${f(pct(r.b2r, 0.5), 0).padStart(9)}${f(pct(r.b2r, 0.99), 0).padStart(8)}${f((r.p.t1 - r.p.t0) / 1000).padStart(8)}${r.p.timedOut ? '  TIMED OUT' : ''}`);
    for (const n of r.p.note) console.log(`${''.padEnd(6)}${n}`);
  }
  console.log('  upstream, NOT measured here (from shared/research/perf-anchors.md §2): kube-scheduler_perf SchedulingBasic regression floor 680 pods/s');
  console.log('    (10k pods, 5,000 fake nodes, in-process apiserver + etcd, large CI machines); clusterloader2 scheduler-throughput passes at 400 pods/s;');
  console.log('    KWOK creates 20 nodes or pods/s; a real 30k-node cluster about 300 pods/s.');

  const names = [...procs.map((p) => p.name), 'benchmark (+watch)'];
  console.log(`\n${'CPU seconds per phase (2 cores: at most 2 x wall)'.padEnd(50)}${'wall s'.padStart(8)}${names.map((n) => n.padStart(20)).join('')}`);
  for (const r of rows) console.log(`${r.p.label.trim().padEnd(50)}${f((r.p.t1 - r.p.t0) / 1000).padStart(8)}${r.p.cpu.map((c) => f(c).padStart(20)).join('')}`);
  console.log(`\n${'process'.padEnd(22)}${'pid'.padStart(8)}${'peak RSS MiB'.padStart(14)}${'RSS MiB'.padStart(10)}${'CPU s'.padStart(9)}   (peak = VmHWM, read at the end)`);
  for (const { p, hwm, now: cur, cpu } of rss) console.log(`${p.name.padEnd(22)}${String(p.proc.pid).padStart(8)}${f(hwm, 0).padStart(14)}${f(cur, 0).padStart(10)}${f(cpu).padStart(9)}`);

  // Placement and the API's own account.
  const nsOf = (ns: string) => listed.filter((p) => p.metadata.namespace === ns);
  const scheduledNs = [NS.bare, NS.deploy];
  const perNode = new Map<string, number>();
  for (const ns of scheduledNs) for (const p of nsOf(ns)) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const unbound = listed.filter((p) => !p.spec.nodeName).length, notRunning = listed.filter((p) => p.status?.phase !== 'Running').length;
  console.log(`\nfinal LIST: ${listed.length} benchmark pods, ${unbound} without a nodeName, ${notRunning} not Running; the scheduler's pods on ${perNode.size}/${NODES} nodes, ` +
    `${Math.min(...perNode.values())}..${Math.max(...perNode.values())} per node`);
  const reasons = new Map<string, number>();
  for (const e of events) if (Object.values(NS).includes(e.metadata.namespace)) reasons.set(e.reason ?? '?', (reasons.get(e.reason ?? '?') ?? 0) + (e.count ?? 1));
  console.log(`events in the benchmark namespaces by reason (with counts): ${[...reasons].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  const warnings = new Map<string, string>();
  for (const e of events) if (e.type === 'Warning' && Object.values(NS).includes(e.metadata.namespace) && !warnings.has(e.reason ?? '?')) warnings.set(e.reason ?? '?', e.message ?? '');
  for (const [reason, message] of warnings) console.log(`  first Warning ${reason}: ${message.slice(0, 300)}`);
  const postPods = [...metrics.matchAll(/^apiserver_request_total\{([^}]*)\} (\d+)/gm)].filter(([, l]) => /verb="POST"/.test(l!) && /resource="pods"/.test(l!))
    .map(([, l, v]) => `${l!.match(/code="(\d+)"/)?.[1]} x${v}`);
  console.log(`apiserver POST pods (creates and bindings) by code: ${postPods.join(', ')}`);
  const rejected = logCount(sched, 'binding rejected; leaving the pod to its current state');
  console.log(`scheduler: ${schedBinds} successful binds by its own count, ${rejected} bindings rejected (409/404), ${logCount(sched, 'binding failed; retrying after backoff')} failed and retried`);
  for (const note of watchNotes) console.log(`watch: ${note}`);
  console.log('\nwarnings and errors logged (count x message, first instance):');
  let any = false;
  for (const p of procs) for (const [msg, c] of p.logs) {
    if (c.level < 40) continue;
    any = true;
    const { level: _l, time: _t, pid: _p, hostname: _h, component: _c, msg: _m, ...rest } = c.first;
    console.log(`  ${p.name}: ${c.count} x ${msg} ${JSON.stringify(rest).slice(0, 300)}`);
  }
  if (!any) console.log('  none');

  // Targets.
  const doubles = result.recs.filter((r) => r.rebinds.length);
  const sRows = rows.slice(0, 2);
  const expectedPods = PODS + 2 * FLOOR;
  const target = (text: string, met: boolean) => { console.log(`  ${met ? 'MET   ' : 'MISSED'}  ${text}`); return met; };
  console.log('\ntargets:');
  for (const r of sRows) {
    const offered = r.p === dep ? `; the ReplicaSet controller created them at ${f(depAdded.length / addSpan, 0)}/s` : '';
    target(`>= 500 pods/s scheduled, ${r.p.label.replace('skiff scheduler: ', '')}: ${f(r.rate, 0)} pods/s (binding floor here: pipelined ${f(rows[2]!.rate, 0)}, bind only ${f(rows[3]!.rate, 0)}${offered})`, r.rate >= 500);
  }
  const once = target(`every pod bound exactly once: ${doubles.length} pods changed node in the watch${doubles.length ? ` (e.g. ${doubles[0]!.ns}/${doubles[0]!.name}: ${doubles[0]!.node} -> ${doubles[0]!.rebinds.join(', ')})` : ''}, ` +
    `${unbound} of ${listed.length} without a nodeName (want ${expectedPods}), scheduler binds ${schedBinds} (want ${PODS}), ${rejected} rejected`,
    !doubles.length && !unbound && listed.length === expectedPods && schedBinds === PODS && rejected === 0);
  const running = target(`every pod Running and Ready: ${rows.reduce((s, r) => s + r.running, 0)}/${expectedPods} (watch), ${listed.length - notRunning} (LIST); ` +
    `Deployment created exactly ${DEPLOY} pods: ${(byNs.get(NS.deploy) ?? []).length} seen, ${seen(NS.deploy, 3)} deleted`,
    !notRunning && rows.every((r) => r.running === r.p.expected && !r.p.timedOut) && (byNs.get(NS.deploy) ?? []).length === DEPLOY && depAvailable);
  console.log(`\ntotal ${f((now() - tStart) / 1000, 0)} s; load average now ${os.loadavg().map((l) => f(l, 2)).join(' ')}`);
  if (!once || !running) process.exitCode = 1;
}

if (!isMainThread) watchWorker(workerData as WatchJob);
else {
  let interrupted = false;
  process.once('SIGINT', () => { interrupted = true; console.error('interrupted: stopping the processes'); void cleanup().then(() => process.exit(130)); });
  main()
    .catch((err: unknown) => { if (!interrupted) console.error(err); process.exitCode = interrupted ? 130 : 1; })
    .finally(() => cleanup().then(() => process.exit()));
}
