// `npm run bench:kubelet [-- --pods N --idle-seconds S]`
//
// Issue 3's benchmark: pod start-up latency on one node. A real apiserver and a real Docker-backed
// `skiff kubelet` (unique node name, --port 0), both from dist/shared/cli.js on 127.0.0.1.
// Pods are pause + one busybox container (`sleep 3600`, images present) with spec.nodeName set
// (no scheduler); latency = the benchmark's watch event showing Ready=True minus the client's POST
// send time. The reference, in the same run on the same engine: the same pairs started by dockerode
// as `docker run -d` does (create + start the pause on the bridge, then create + start busybox with
// --network/--ipc container:<pause>), from the first create call to the app's Docker `start` event.
// Both in two modes: one at a time (each waits for the previous one) and N at once. Then, with N pods
// running, the kubelet idles and its CPU (utime+stime from /proc/PID/stat) and VmRSS are read.
// Every container (skiff's by the node label, the reference's by a run label), process and temp dir
// goes at the end and on errors; every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { NODE_LABEL } from '../../kubelet/container-spec.js';
import { dockerOptions } from '../../kubelet/runtime/docker.js';
import { LABELS } from '../../kubelet/runtime/runtime.js';
import { freePort } from '../support/apiserver.js';
import { ok, request as benchRequest, type Res } from './http.js';

const argv = process.argv.slice(2);
const num = (name: string, def: number): number => (argv.includes(`--${name}`) && Number(argv[argv.indexOf(`--${name}`) + 1]) > 0 ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def);
const PODS = num('pods', 30);
const IDLE_S = num('idle-seconds', 20);
const ROUND_S = 180; // bound of one round
const TOTAL_S = 900; // bound of the whole run
const PAUSE = 'skiff/pause:3.10', BUSYBOX = 'skiff/busybox:1.35';
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const NODE = `bench-kubelet-${RUN}`, NS = 'bench-kubelet', RAW_LABEL = 'skiff.bench.raw';
const CLI = fileURLToPath(new URL('../../shared/cli.js', import.meta.url));

const BASE = process.hrtime.bigint();
const now = (): number => Number(process.hrtime.bigint() - BASE) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const pct = (a: number[], p: number): number => {
  const s = a.filter(Number.isFinite).sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]! : NaN;
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const request = (port: number, method: string, path: string, body?: string): Promise<Res> => benchRequest(agent, port, method, path, body);

// ---------------------------------------------------------------- processes and cleanup
interface Proc { name: string; proc: ChildProcess; tail: string; warnings: Map<string, number> }
const procs: Proc[] = [];
function startProc(name: string, args: string[]): Proc {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { name, proc, tail: '', warnings: new Map() };
  for (const s of [proc.stdout!, proc.stderr!]) {
    let buf = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      p.tail = (p.tail + d).slice(-20_000);
      const lines = (buf + d).split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        let o: { level?: number; msg?: string; err?: unknown; error?: unknown };
        try { o = JSON.parse(line) as typeof o; } catch { o = { level: 50, msg: `(not JSON) ${line.slice(0, 160)}` }; }
        if (Number(o.level) < 40) continue;
        const key = `${o.msg}${o.err ?? o.error ? ` ${JSON.stringify(o.err ?? o.error).slice(0, 200)}` : ''}`;
        p.warnings.set(key, (p.warnings.get(key) ?? 0) + 1);
      }
    });
  }
  procs.push(p);
  cleanups.push(() => halt(proc));
  return p;
}
const alive = (p: Proc) => p.proc.exitCode === null && p.proc.signalCode === null;
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
const abort = new AbortController(); // the pod watch and Docker's event stream: closed first
async function cleanup(): Promise<void> {
  abort.abort();
  while (cleanups.length) { try { await cleanups.pop()!(); } catch (err) { console.error(`cleanup: ${String(err)}`); } }
}
const statusKiB = (pid: number, field: string) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1]);
/** utime + stime of a process in seconds (fields 14 and 15 of /proc/PID/stat; USER_HZ = 100 on Linux). */
const cpuS = (pid: number): number => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8'), fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const waitUntil = async (cond: () => boolean | Promise<boolean>, seconds: number, every = 20): Promise<boolean> => {
  for (const deadline = now() + seconds * 1000; ; await sleep(every)) {
    assertAlive();
    if (await cond()) return true;
    if (now() > deadline) return false;
  }
};

// ---------------------------------------------------------------- Docker
const docker = new Docker(dockerOptions());
/** Removes every container carrying `label` (k=v); returns how many. */
async function removeAll(label: string): Promise<number> {
  const found = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(found.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  return found.length;
}
/** When the benchmark saw Docker's `start` event, by key (raw: "raw/<pair>/<role>"; skiff: "skiff/<pod>/<container>"). */
const started = new Map<string, number>();
async function dockerEvents(signal: AbortSignal): Promise<void> {
  const stream = (await docker.getEvents({ filters: { type: ['container'], event: ['start'] } })) as Readable;
  signal.addEventListener('abort', () => stream.destroy(), { once: true });
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    const t = now();
    if (!line.trim()) continue;
    const l = (JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } }).Actor?.Attributes ?? {};
    if (l[RAW_LABEL] === RUN) started.set(`raw/${l['bench.pair']}/${l['bench.role']}`, t);
    else if (l[NODE_LABEL] === NODE) started.set(`skiff/${l[LABELS.podName]}/${l[LABELS.containerName]}`, t);
  }
}

/** One pod's pair by hand, as `docker run -d` twice; resolves when the app's start call returns. */
async function rawPair(id: string): Promise<{ send: number; returned: number }> {
  const labels = (role: string) => ({ [RAW_LABEL]: RUN, 'bench.pair': id, 'bench.role': role });
  const send = now();
  const pause = await docker.createContainer({ name: `bench-raw-${RUN}-${id}-pause`, Image: PAUSE, Hostname: id, Labels: labels('pause'), HostConfig: { NetworkMode: 'bridge', IpcMode: 'shareable' } });
  await pause.start();
  const join = `container:${pause.id}`;
  const app = await docker.createContainer({ name: `bench-raw-${RUN}-${id}-app`, Image: BUSYBOX, Cmd: ['sleep', '3600'], Labels: labels('app'), HostConfig: { NetworkMode: join, IpcMode: join } });
  await app.start();
  return { send, returned: now() };
}

// ---------------------------------------------------------------- the pod watch
const ready = new Map<string, number>(); // pod name → when the watch showed Ready=True
const gone = new Set<string>();
let watchReconnects = 0;
function watchPods(port: number, rv: string, signal: AbortSignal): void {
  type Pod = { metadata: { name: string; resourceVersion?: string }; status?: { conditions?: { type: string; status: string }[] } };
  const connect = () => {
    if (signal.aborted) return;
    const req = http.get({ host: '127.0.0.1', port, path: `/api/v1/namespaces/${NS}/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`, agent: false }, (res) => {
      let buf = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const t = now(), line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { type: string; object: Pod };
          if (ev.type === 'ERROR') { console.log(`watch ERROR: ${line.slice(0, 300)}`); continue; }
          rv = ev.object.metadata.resourceVersion ?? rv;
          const name = ev.object.metadata.name;
          if (ev.type === 'DELETED') gone.add(name);
          else if (!ready.has(name) && ev.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready.set(name, t);
        }
      });
      res.on('end', () => again('ended')).on('error', (e) => again(String(e)));
    });
    let done = false;
    const onAbort = () => req.destroy();
    const again = (why: string) => {
      if (done || signal.aborted) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      watchReconnects++;
      if (watchReconnects <= 3) console.log(`(not fatal) the pod watch ${why} after ${f((now() - t0) / 1000, 1)} s open; resuming from resourceVersion ${rv}`);
      setTimeout(connect, 100);
    };
    const t0 = now();
    req.on('error', (e) => again(String(e)));
    signal.addEventListener('abort', onAbort, { once: true });
  };
  connect();
}

// ---------------------------------------------------------------- main
interface Row { label: string; lat: number[]; n: number; wall: number; note: string[] }
async function main(): Promise<void> {
  const tStart = now(), cpus = os.cpus();
  const overall = setTimeout(() => { console.error(`benchmark exceeded ${TOTAL_S} s: cleaning up`); void cleanup().then(() => process.exit(1)); }, TOTAL_S * 1000);
  cleanups.push(() => clearTimeout(overall), () => agent.destroy());
  const ver = await docker.version();
  console.log(`skiff kubelet benchmark: pod start-up latency on one node, ${PODS} pods (pause + busybox \`sleep 3600\`, images present), one at a time and ${PODS} at once; idle ${IDLE_S} s with ${PODS} pods`);
  console.log(`machine: ${cpus.length} cores, ${cpus[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}, Docker ${ver.Version} (${ver.Os}/${ver.Arch}), load average ${os.loadavg().map((l) => f(l, 2)).join(' ')}`);
  for (const image of [PAUSE, BUSYBOX]) await docker.getImage(image).inspect().catch(() => { throw new Error(`image ${image} is not present: run deploy/build-images.sh`); });

  cleanups.push(async () => { const n = await removeAll(`${RAW_LABEL}=${RUN}`); if (n) console.log(`cleanup: removed ${n} reference containers`); });
  cleanups.push(async () => { const n = await removeAll(`${NODE_LABEL}=${NODE}`); if (n) console.log(`cleanup: removed ${n} containers of node ${NODE}`); });
  void dockerEvents(abort.signal).catch((err: unknown) => { if (!abort.signal.aborted) console.log(`docker events ended: ${String(err)}`); });

  const dir = mkdtempSync(join(os.tmpdir(), 'skiff-bench-kubelet-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort(), server = `http://127.0.0.1:${port}`;
  const api = startProc('apiserver', ['apiserver', '--data-dir', join(dir, 'data'), '--port', String(port), '--bind-address', '127.0.0.1', '--disable-admission-plugins=ServiceAccount', '--v', 'warn']);
  if (!(await waitUntil(async () => (await request(port, 'GET', '/api/v1/namespaces/default').catch(() => undefined))?.status === 200, 30, 50))) throw new Error(`apiserver not ready within 30 s:\n${api.tail}`);
  const must = async (method: string, path: string, body?: string) => {
    const r = await request(port, method, path, body);
    if (!ok(r)) throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as Record<string, any>;
  };
  await must('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
  const rv = String((await must('GET', `/api/v1/namespaces/${NS}/pods`)).metadata.resourceVersion);
  watchPods(port, rv, abort.signal);

  const tK = now();
  const kubelet = startProc('kubelet', ['kubelet', '--server', server, '--hostname-override', NODE, '--root-dir', join(dir, 'kubelet'), '--node-ip', '127.0.0.1', '--port', '0', '--pod-cidr', '10.244.0.0/24', '--v', 'warn']);
  const kpid = kubelet.proc.pid!;
  const nodeReady = await waitUntil(async () => {
    const r = await request(port, 'GET', `/api/v1/nodes/${NODE}`);
    return ok(r) && (JSON.parse(r.body).status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
  }, 30, 100);
  if (!nodeReady) throw new Error(`node ${NODE} not Ready within 30 s:\n${kubelet.tail}`);
  console.log(`apiserver pid ${api.proc.pid}, kubelet pid ${kpid} (node ${NODE} Ready ${f((now() - tK) / 1000, 2)} s after its start), temp dir ${dir}; all share these cores with Docker and the benchmark\n`);

  const podBody = (name: string) => JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  });
  const send = new Map<string, number>();
  const skiffOne = async (name: string): Promise<void> => {
    send.set(name, now());
    await must('POST', `/api/v1/namespaces/${NS}/pods`, podBody(name));
  };
  /**
   * A skiff round: pods prefix-0…n-1, created one at a time (each waits for the previous Ready) or all
   * at once. One at a time, `between(i)` runs after pod i is Ready (the interleaved reference pair);
   * its time is not counted in the round's wall time.
   */
  const skiffRound = async (label: string, prefix: string, n: number, concurrent: boolean, between?: (i: number) => Promise<void>): Promise<Row> => {
    const names = Array.from({ length: n }, (_, i) => `${prefix}-${i}`), t0 = now(), note: string[] = [];
    const deadline = t0 + ROUND_S * 1000;
    let cpu = -cpuS(kpid), other = 0;
    if (concurrent) {
      await Promise.all(names.map(skiffOne));
      if (!(await waitUntil(() => names.every((x) => ready.has(x)), Math.max(1, (deadline - now()) / 1000)))) note.push(`TIMED OUT: ${names.filter((x) => ready.has(x)).length}/${n} Ready`);
    } else {
      for (const [i, name] of names.entries()) {
        await skiffOne(name);
        if (!(await waitUntil(() => ready.has(name), Math.max(1, (deadline - now()) / 1000), 5))) { note.push(`TIMED OUT at ${name}`); break; }
        if (!between) continue;
        const tb = now();
        cpu += cpuS(kpid);
        await between(i);
        cpu -= cpuS(kpid);
        other += now() - tb;
      }
    }
    cpu += cpuS(kpid);
    const wall = now() - t0 - other, lat = names.map((x) => (ready.get(x) ?? NaN) - send.get(x)!);
    const at = (x: string, c: string) => (started.get(`skiff/${x}/${c}`) ?? NaN) - send.get(x)!;
    const sandbox = names.map((x) => at(x, 'POD')), app = names.map((x) => at(x, 'app')), toReady = names.map((x) => (ready.get(x) ?? NaN) - (started.get(`skiff/${x}/app`) ?? NaN));
    note.push(`breakdown p50/p99 ms: POST send → pause start event ${f(pct(sandbox, 0.5), 0)}/${f(pct(sandbox, 0.99), 0)}, → app start event ${f(pct(app, 0.5), 0)}/${f(pct(app, 0.99), 0)}, ` +
      `app start event → Ready in the watch ${f(pct(toReady, 0.5), 0)}/${f(pct(toReady, 0.99), 0)}; kubelet CPU ${f(cpu, 2)} s over the round`);
    return { label, lat, n: lat.filter(Number.isFinite).length, wall, note };
  };
  /** Raw pairs prefix-0…n-1 all at once, or (concurrent false) the i-th pair through the returned `step`, one at a time. */
  const rawRound = (label: string, prefix: string, n: number) => {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    const res = new Map<string, { send: number; returned: number }>(), errors: string[] = [];
    let wall = 0;
    const one = async (id: string) => { try { res.set(id, await rawPair(id)); } catch (err) { errors.push(String(err)); } };
    const step = async (i: number) => {
      const t0 = now();
      await one(ids[i]!);
      await waitUntil(() => !res.has(ids[i]!) || started.has(`raw/${ids[i]}/app`), 10, 2);
      wall += now() - t0;
    };
    const all = async () => {
      const t0 = now();
      await Promise.all(ids.map(one));
      await waitUntil(() => ids.every((id) => !res.has(id) || started.has(`raw/${id}/app`)), 10);
      wall += now() - t0;
    };
    return { step, all, row: () => rawRow(label, ids, res, errors, wall) };
  };
  const rawRow = async (label: string, ids: string[], res: Map<string, { send: number; returned: number }>, errors: string[], wall: number): Promise<Row> => {
    const n = ids.length, note: string[] = [];
    const lat = ids.map((id) => (started.get(`raw/${id}/app`) ?? NaN) - (res.get(id)?.send ?? NaN));
    const ret = ids.map((id) => (res.get(id)?.returned ?? NaN) - (res.get(id)?.send ?? NaN));
    const running = (await docker.listContainers({ filters: { label: [`${RAW_LABEL}=${RUN}`, 'bench.role=app'], status: ['running'] } })).filter((c) => ids.includes(c.Labels['bench.pair']!)).length;
    note.push(`app's start call returned p50/p99 ${f(pct(ret, 0.5), 0)}/${f(pct(ret, 0.99), 0)} ms; ${running}/${n} app containers Running (inspected by list)${errors.length ? `; ${errors.length} errors, first: ${errors[0]!.slice(0, 200)}` : ''}`);
    return { label, lat, n: lat.filter(Number.isFinite).length, wall, note };
  };
  const print = (r: Row) => {
    console.log(`${r.label.padEnd(44)}${`${r.n}/${r.lat.length}`.padStart(7)}${f(pct(r.lat, 0.5), 0).padStart(8)}${f(pct(r.lat, 0.99), 0).padStart(8)}${f(Math.max(...r.lat.filter(Number.isFinite)), 0).padStart(8)}${f(r.wall / 1000, 2).padStart(8)}`);
    for (const n of r.note) console.log(`      ${n}`);
  };
  const header = () => console.log(`${'round'.padEnd(44)}${'ok'.padStart(7)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'max ms'.padStart(8)}${'wall s'.padStart(8)}`);

  // Warm-up, not counted: one pod each way (first use of the images, the bridge, the kubelet's paths).
  await rawRound('warm-up', 'warm', 1).all();
  await removeAll(`${RAW_LABEL}=${RUN}`);
  await skiffRound('warm-up', 'warm', 1, false);
  await must('DELETE', `/api/v1/namespaces/${NS}/pods/warm-0?gracePeriodSeconds=0`);
  await waitUntil(() => gone.has('warm-0'), 30);

  // One at a time, interleaved so that drift in the machine's load falls on both alike: after
  // skiff pod i is Ready, reference pair i; the reference containers are removed at the end.
  header();
  const rawSeqRun = rawRound('ref: raw docker run pairs, one at a time', 'seq', PODS);
  const skSeq = await skiffRound('skiff: pods one at a time', 'seq', PODS, false, rawSeqRun.step);
  const rawSeq = await rawSeqRun.row();
  print(rawSeq);
  print(skSeq);
  console.log('      (interleaved: skiff pod i, then reference pair i; wall = each side\'s own time)');
  await removeAll(`${RAW_LABEL}=${RUN}`);

  // Idle with PODS pods running.
  const reqTotal = async () => [...(await request(port, 'GET', '/metrics')).body.matchAll(/^apiserver_request_total\{([^}]*)\} (\d+)/gm)]
    .filter(([, l]) => !/verb="WATCH"/.test(l!)).reduce((s, [, , v]) => s + Number(v), 0);
  await sleep(2_000); // let the last status writes settle
  const running = (await docker.listContainers({ filters: { label: [`${NODE_LABEL}=${NODE}`], status: ['running'] } })).length;
  const cpu0 = cpuS(kpid), req0 = await reqTotal().catch(() => NaN), ti = now();
  await sleep(IDLE_S * 1000);
  assertAlive();
  const idleCpu = cpuS(kpid) - cpu0, idleWall = (now() - ti) / 1000, req1 = await reqTotal().catch(() => NaN);
  const rss = statusKiB(kpid, 'VmRSS') / 1024, hwm = statusKiB(kpid, 'VmHWM') / 1024;
  const cpuPct = (idleCpu / idleWall) * 100;
  console.log(`\nidle ${f(idleWall)} s with ${PODS} pods (${running} running containers of the node): kubelet CPU ${f(idleCpu, 2)} s = ${f(cpuPct, 2)}% of one core, ` +
    `RSS ${f(rss, 0)} MiB (peak ${f(hwm, 0)} MiB), ${f(req1 - req0, 0)} non-watch API requests served meanwhile (all clients; the benchmark made 1)\n`);

  // Delete the first round through the API, then the concurrent rounds on an empty node.
  const td = now();
  const seqNames = Array.from({ length: PODS }, (_, i) => `seq-${i}`);
  await Promise.all(seqNames.map((x) => must('DELETE', `/api/v1/namespaces/${NS}/pods/${x}?gracePeriodSeconds=0`)));
  const deleted = await waitUntil(async () => seqNames.every((x) => gone.has(x)) &&
    (await docker.listContainers({ all: true, filters: { label: [`${NODE_LABEL}=${NODE}`] } })).length === 0, 60, 100);
  const delNote = `deleting the ${PODS} pods (grace 0) until gone from the API and Docker: ${f((now() - td) / 1000, 2)} s${deleted ? '' : ' (TIMED OUT after 60 s)'}`;
  console.log(delNote + '\n');

  header();
  const rawParRun = rawRound(`ref: raw docker run pairs, ${PODS} at once`, 'par', PODS);
  await rawParRun.all();
  const rawPar = await rawParRun.row();
  print(rawPar);
  await removeAll(`${RAW_LABEL}=${RUN}`); // the skiff round starts on an engine as empty as the reference's did
  const skPar = await skiffRound(`skiff: ${PODS} pods at once`, 'par', PODS, true);
  print(skPar);

  // Ratios and targets.
  console.log('\nskiff / raw docker (the same pairs, same engine, same run):');
  const ratios: [string, number, number][] = [];
  for (const [mode, sk, raw] of [['one at a time', skSeq, rawSeq], [`${PODS} at once`, skPar, rawPar]] as const) {
    const r50 = pct(sk.lat, 0.5) / pct(raw.lat, 0.5), r99 = pct(sk.lat, 0.99) / pct(raw.lat, 0.99);
    ratios.push([mode, r50, r99]);
    console.log(`  ${mode.padEnd(16)} p50 ${f(pct(sk.lat, 0.5), 0)} / ${f(pct(raw.lat, 0.5), 0)} ms = ${f(r50, 2)}x   p99 ${f(pct(sk.lat, 0.99), 0)} / ${f(pct(raw.lat, 0.99), 0)} ms = ${f(r99, 2)}x`);
  }
  console.log('  upstream, NOT measured here: Kubernetes\' SLO is pod start-up p99 <= 5 s (stateless pods, images present, clusterloader2 density);');
  console.log('  its node e2e "density" test reports create→running p50/p99 per kubelet with pods created at a fixed interval.');

  console.log(`\nthe pod watch reconnected ${watchReconnects} times`);
  console.log('\nwarnings and errors logged (count x message):');
  let any = false;
  for (const p of procs) for (const [msg, c] of p.warnings) { any = true; console.log(`  ${p.name}: ${c} x ${msg.slice(0, 300)}`); }
  if (!any) console.log('  none');

  const target = (text: string, met: boolean) => console.log(`  ${met ? 'MET   ' : 'MISSED'}  ${text}`);
  console.log('\ntargets:');
  for (const [mode, sk] of [['one at a time', skSeq], [`${PODS} at once`, skPar]] as const) {
    const complete = sk.n === sk.lat.length;
    target(`p50 < 600 ms, ${mode}: ${f(pct(sk.lat, 0.5), 0)} ms${complete ? '' : ` (only ${sk.n}/${sk.lat.length} Ready)`}`, complete && pct(sk.lat, 0.5) < 600);
    target(`p99 < 1500 ms, ${mode}: ${f(pct(sk.lat, 0.99), 0)} ms`, complete && pct(sk.lat, 0.99) < 1500);
  }
  for (const [mode, r50, r99] of ratios) target(`within 1.5x raw Docker, ${mode}: p50 ${f(r50, 2)}x, p99 ${f(r99, 2)}x`, r50 <= 1.5 && r99 <= 1.5);
  target(`kubelet idle CPU < 1% of one core with ${PODS} pods: ${f(cpuPct, 2)}%`, cpuPct < 1);
  target(`kubelet RSS < 80 MB with ${PODS} pods: ${f(rss, 0)} MiB = ${f((rss * 2 ** 20) / 1e6, 0)} MB`, (rss * 2 ** 20) / 1e6 < 80);
  console.log(`\ntotal ${f((now() - tStart) / 1000, 0)} s; load average now ${os.loadavg().map((l) => f(l, 2)).join(' ')}`);
}

let interrupted = false;
process.once('SIGINT', () => { interrupted = true; console.error('interrupted: cleaning up'); void cleanup().then(() => process.exit(130)); });
main()
  .catch((err: unknown) => { if (!interrupted) console.error(err); process.exitCode = interrupted ? 130 : 1; })
  .finally(() => cleanup().then(() => process.exit()));
