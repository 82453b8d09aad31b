// `npm run bench:apiserver [-- --quick] [-- --seconds S --watchers N --watch-rate R --watch-seconds S]`
//
// Drives a real `skiff apiserver` (temp data dir, 127.0.0.1) with closed-loop keep-alive HTTP clients:
// create / get / list-of-1,000 / update at 1, 10 and 50 clients, then watch fan-out to 100 watchers.
// References measured in the same run, at the same concurrency: raw LevelDB doing the same durable
// writes (sync put one at a time; group commit = one synced batch per flush, as skiff's storage does),
// and a bare Node `http` server (child process) answering a small fixed JSON, which also serves as the
// watch fan-out floor. Everything is bounded in time and count; server and temp dirs go at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Level } from 'level';
import { freePort } from '../support/apiserver.js';
import { ok, request, type Res } from './http.js';

const argv = process.argv.slice(2);
const num = (name: string, def: number): number => (argv.includes(`--${name}`) && Number(argv[argv.indexOf(`--${name}`) + 1]) > 0 ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def);
const QUICK = argv.includes('--quick');
const SECONDS = num('seconds', QUICK ? 0.4 : 5);
const WATCHERS = num('watchers', 100);
const WATCH_RATE = num('watch-rate', 200);
const WATCH_SECONDS = num('watch-seconds', QUICK ? 1.5 : 5);
const CLIENTS = [1, 10, 50];
const MAX_OPS = 500_000; // per cell, on top of the time bound
const MAX_ERRORS = 1_000; // per cell: a broken server ends the cell early
const LIST_SIZE = 1_000;
const PAYLOAD = randomBytes(675).toString('base64'); // 900 chars: a ~1 KB ConfigMap
const THIS_FILE = fileURLToPath(import.meta.url);

// One monotonic clock shared by the main thread and the watcher worker.
const BASE: bigint = isMainThread ? process.hrtime.bigint() : (workerData as { base: bigint }).base;
const now = (): number => Number(process.hrtime.bigint() - BASE) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

const cmBody = (name: string, seq: number, rv?: string): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(rv ? { resourceVersion: rv } : {}) }, data: { payload: PAYLOAD, seq: String(seq) } });
const rvOf = (body: string): string => (JSON.parse(body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;



// ---------------------------------------------------------------- closed-loop cells
interface Cell { label: string; clients: number; rate: number; p50: number; p99: number; errors: number; firstError?: string }
const pct = (sorted: Float64Array, p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]! : NaN;

/** `clients` loops, each issuing `op` back to back until the time or count bound; prints its row. */
async function closedLoop(label: string, clients: number, seconds: number, op: (client: number, seq: number) => Promise<boolean>): Promise<Cell> {
  const lat: number[] = [];
  let errors = 0, issued = 0, firstError: string | undefined;
  const start = now(), deadline = start + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    while (now() < deadline && issued < MAX_OPS && errors < MAX_ERRORS) {
      const seq = issued++, t = now();
      let good = false;
      try { good = await op(c, seq); } catch (err) { firstError ??= String(err); }
      if (good) lat.push(now() - t);
      else errors++;
    }
  }));
  const sorted = Float64Array.from(lat).sort();
  const cell = { label, clients, rate: lat.length / ((now() - start) / 1000), p50: pct(sorted, 0.5), p99: pct(sorted, 0.99), errors, firstError };
  const err = errors ? `  errors ${errors}${firstError ? ` (${firstError.slice(0, 60)})` : ''}` : '';
  if (label) console.log(`${label.padEnd(46)}${String(clients).padStart(4)}${f(cell.rate, 0).padStart(9)}${f(cell.p50, 2).padStart(9)}${f(cell.p99, 2).padStart(9)}${err}`);
  return cell;
}

/** The group commit skiff's storage does: whatever queued up while the last batch synced goes out as one synced batch. */
function groupCommitter(db: Level<string, string>): (key: string, value: string) => Promise<void> {
  const queue: { key: string; value: string; done: () => void; fail: (e: unknown) => void }[] = [];
  let flushing = false;
  const flush = async () => {
    for (flushing = true; queue.length; ) {
      const batch = queue.splice(0);
      await db.batch(batch.map(({ key, value }) => ({ type: 'put' as const, key, value })), { sync: true })
        .then(() => batch.forEach((b) => b.done()), (err: unknown) => batch.forEach((b) => b.fail(err)));
    }
    flushing = false;
  };
  return (key, value) => new Promise<void>((done, fail) => {
    queue.push({ key, value, done, fail });
    if (!flushing) void flush();
  });
}

// ---------------------------------------------------------------- bare HTTP reference (child process)
function refServer(): void {
  const small = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 });
  const watchers = new Set<http.ServerResponse>();
  const srv = http.createServer((req, res) => {
    if (req.url === '/watch') {
      res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
      watchers.add(res);
      return void res.on('close', () => watchers.delete(res));
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      if (req.url === '/emit') { // fan the posted object out as a watch event line, then answer
        const line = `{"type":"ADDED","object":${Buffer.concat(chunks).toString()}}\n`;
        for (const w of watchers) w.write(line);
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(small) }).end(small);
    });
  });
  srv.listen(0, '127.0.0.1', () => process.stdout.write(`${(srv.address() as AddressInfo).port}\n`));
  process.stdin.on('end', () => process.exit(0)).resume(); // the parent went away
}

// ---------------------------------------------------------------- watch: watchers in a worker thread
interface WatchJob { base: bigint; port: number; path: string; watchers: number; events: number }
function watcherWorker(job: WatchJob): void {
  const recv = Array.from({ length: job.watchers }, () => new Float64Array(job.events).fill(NaN));
  let connected = 0, received = 0;
  const reqs: http.ClientRequest[] = [];
  for (let w = 0; w < job.watchers; w++) {
    const req = http.get({ host: '127.0.0.1', port: job.port, path: job.path, agent: false }, (res) => {
      if (res.statusCode !== 200) return parentPort!.postMessage({ type: 'error', msg: `watch answered ${res.statusCode}` });
      if (++connected === job.watchers) parentPort!.postMessage({ type: 'ready' });
      let buf = '';
      res.on('error', () => {}); // the collect step destroys the streams
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const ev = JSON.parse(buf.slice(0, nl)) as { type: string; object?: { metadata?: { name?: string } } };
          const t = now(); // the event line is parsed: this is its delivery time
          buf = buf.slice(nl + 1);
          const i = Number(ev.object?.metadata?.name?.slice(2));
          if (ev.type === 'ADDED' && i >= 0 && i < job.events && Number.isNaN(recv[w]![i])) {
            recv[w]![i] = t;
            if (++received === job.watchers * job.events) parentPort!.postMessage({ type: 'all' });
          }
        }
      });
    });
    req.on('error', (err) => parentPort!.postMessage({ type: 'error', msg: String(err) }));
    reqs.push(req);
  }
  let elu = performance.eventLoopUtilization();
  parentPort!.on('message', (m: string) => {
    if (m === 'start') return void (elu = performance.eventLoopUtilization());
    const busy = performance.eventLoopUtilization(elu).utilization;
    for (const r of reqs) r.destroy();
    parentPort!.postMessage({ type: 'result', recv, busy }, recv.map((a) => a.buffer));
  });
}

interface WatchResult { pairsAck: Float64Array; pairsSend: Float64Array; allAck: Float64Array; delivered: number; expected: number }

/** WATCHERS watchers (worker thread) on `watchPath`; the main thread POSTs objects w-<i> at WATCH_RATE/s to `writePath`. */
async function watchRun(label: string, port: number, watchPath: string, writePath: string): Promise<WatchResult> {
  const events = Math.max(1, Math.round(WATCH_RATE * WATCH_SECONDS));
  const worker = new Worker(THIS_FILE, { workerData: { base: BASE, port, path: watchPath, watchers: WATCHERS, events } satisfies WatchJob });
  type Msg = { type: string; msg?: string; recv: Float64Array[]; busy: number };
  let onAll = () => {}, onResult = (_: Msg) => {};
  try {
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: Msg) => (m.type === 'ready' ? resolve() : m.type === 'all' ? onAll() : m.type === 'result' ? onResult(m) : reject(new Error(m.msg))));
      worker.on('error', reject);
      setTimeout(() => reject(new Error('watchers did not connect within 15 s')), 15_000).unref();
    });
    worker.postMessage('start');
    const allIn = new Promise<void>((r) => (onAll = r));
    const sendT = new Float64Array(events).fill(NaN), ackT = new Float64Array(events).fill(NaN);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    let writeErrors = 0;
    const start = now(), writes: Promise<void>[] = [];
    for (let i = 0; i < events; i++) { // open loop, paced
      const wait = start + (i * 1000) / WATCH_RATE - now();
      if (wait > 0) await sleep(wait);
      sendT[i] = now();
      writes.push(request(agent, port, 'POST', writePath, cmBody(`w-${i}`, i)).then(
        (r) => { if (ok(r)) ackT[i] = now(); else writeErrors++; },
        () => void writeErrors++,
      ));
    }
    await Promise.all(writes);
    agent.destroy();
    await Promise.race([allIn, sleep(3_000)]);
    const { recv, busy } = await new Promise<Msg>((r) => { onResult = r; worker.postMessage('collect'); });
    const pairsAck: number[] = [], pairsSend: number[] = [], allAck: number[] = [];
    let delivered = 0, last = 0;
    for (let i = 0; i < events; i++) {
      let max = -Infinity; // becomes NaN if any watcher missed event i
      for (const w of recv) {
        const t = w[i]!;
        max = Math.max(max, t);
        if (Number.isNaN(t)) continue;
        delivered++;
        last = Math.max(last, t);
        pairsSend.push(t - sendT[i]!);
        if (!Number.isNaN(ackT[i]!)) pairsAck.push(t - ackT[i]!);
      }
      if (!Number.isNaN(max) && !Number.isNaN(ackT[i]!)) allAck.push(max - ackT[i]!);
    }
    const sort = (a: number[]) => Float64Array.from(a).sort();
    const r = { pairsAck: sort(pairsAck), pairsSend: sort(pairsSend), allAck: sort(allAck), delivered, expected: events * WATCHERS };
    const line = (what: string, a: Float64Array) =>
      console.log(`${label.padEnd(22)}${what.padEnd(36)}${f(pct(a, 0.5), 2).padStart(8)}${f(pct(a, 0.99), 2).padStart(9)}${f(a[a.length - 1] ?? NaN, 2).padStart(9)}`);
    line('each watcher, from writer 2xx', r.pairsAck);
    line('each watcher, from writer send', r.pairsSend);
    line('all watchers of an event, from 2xx', r.allAck);
    console.log(`${''.padEnd(22)}delivered ${delivered}/${r.expected} (watcher, event) pairs, fan-out ${f(delivered / ((last - start) / 1000), 0)} events/s, ` +
      `watcher thread ${f(busy * 100, 0)}% busy${writeErrors ? `, ${writeErrors} write errors` : ''}`);
    return r;
  } finally {
    await worker.terminate();
  }
}

// ---------------------------------------------------------------- processes and cleanup
// (test/support's startApiserver resolves the CLI relative to the .ts tree, so it cannot run from dist/.)
const CLI = fileURLToPath(new URL('../../shared/cli.js', import.meta.url));
interface Server { port: number; dir: string; proc?: ChildProcess; out: string }
async function launch(s: Server): Promise<void> {
  const proc = (s.proc = spawn(process.execPath, [CLI, 'apiserver', '--data-dir', s.dir, '--port', String(s.port), '--bind-address', '127.0.0.1', '--v', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  for (const stream of [proc.stdout!, proc.stderr!]) stream.on('data', (d) => (s.out += d));
  for (const deadline = now() + 30_000; now() < deadline; await sleep(20)) {
    if (proc.exitCode !== null) throw new Error(`apiserver exited with ${proc.exitCode}:\n${s.out}`);
    // Ready once the bootstrap objects (the default namespace) are served.
    if ((await request(false, s.port, 'GET', '/api/v1/namespaces/default').catch(() => undefined))?.status === 200) return;
  }
  throw new Error(`apiserver not ready within 30 s:\n${s.out}`);
}
async function halt(p: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await exited;
}
function fsTypeOf(path: string): string {
  const real = realpathSync(path);
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter(([, m]) => m && (real + '/').startsWith(m === '/' ? m : m + '/'));
  return mounts.sort((a, b) => b[1]!.length - a[1]!.length)[0]?.[2] ?? '?';
}
const rssMiB = (pid: number, field: string) => f(Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1]) / 1024, 0);
const cleanups: (() => unknown)[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) { try { await cleanups.pop()!(); } catch { /* keep cleaning */ } }
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  const t0 = now(), cpus = os.cpus();
  console.log(`skiff apiserver benchmark${QUICK ? ' (--quick)' : ''}: ${SECONDS} s per cell, closed-loop clients (node:http keep-alive Agent, maxSockets = clients)`);
  console.log(`machine: ${cpus.length} cores, ${cpus[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}, load average ${os.loadavg().map((l) => f(l, 2)).join(' ')}`);
  const api: Server = { port: await freePort(), dir: mkdtempSync(join(os.tmpdir(), 'skiff-bench-apiserver-')), out: '' };
  cleanups.push(() => rmSync(api.dir, { recursive: true, force: true }), () => halt(api.proc, 'SIGTERM'));
  await launch(api);
  const port = api.port, pid = api.proc!.pid!;
  console.log(`apiserver pid ${pid}, data dir on ${fsTypeOf(api.dir)}; the clients, the watchers and the server share these cores`);

  const setup = new http.Agent({ keepAlive: true, maxSockets: 50 });
  cleanups.push(() => setup.destroy());
  const must = async (method: string, path: string, body?: string) => {
    const r = await request(setup, port, method, path, body);
    if (!ok(r)) throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    return r.body;
  };
  const cms = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
  for (const ns of ['bench-warm', 'bench-list', 'bench-create', 'bench-update', 'bench-watch'])
    await must('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
  const fill = async (ns: string, prefix: string, n: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: 50 }, async () => { for (let i = next++; i < n; i = next++) await must('POST', cms(ns), cmBody(`${prefix}${i}`, i)); }));
  };
  await fill('bench-list', 'l-', LIST_SIZE);
  await fill('bench-update', 'u-', 50);
  const listBody = await must('GET', cms('bench-list'));
  const listed = (JSON.parse(listBody) as { items: unknown[] }).items.length;
  if (listed !== LIST_SIZE) throw new Error(`bench-list holds ${listed} objects, not ${LIST_SIZE}`);
  const rvs = await Promise.all(Array.from({ length: 50 }, async (_, c) => rvOf(await must('GET', `${cms('bench-update')}/u-${c}`))));

  // A fresh LevelDB per reference cell, closed (which waits for its compactions) and deleted
  // afterwards, so no background compaction of ours competes with the apiserver's later cells.
  const levelCell = async (label: string, clients: number, op: (db: Level<string, string>) => (c: number, i: number) => Promise<unknown>) => {
    const dir = mkdtempSync(join(os.tmpdir(), 'skiff-bench-level-'));
    const db = new Level<string, string>(dir, { valueEncoding: 'utf8' });
    const cleanupDb = async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); };
    cleanups.push(cleanupDb);
    await db.open();
    const run = op(db);
    await closedLoop(label, clients, SECONDS, async (c, i) => (await run(c, i), true));
    await cleanups.splice(cleanups.indexOf(cleanupDb), 1)[0]!();
  };
  const ref = spawn(process.execPath, [THIS_FILE, '--http-ref-server'], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanups.push(() => halt(ref, 'SIGTERM'));
  const refPort = await new Promise<number>((resolve, reject) => {
    ref.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    ref.once('exit', (code) => reject(new Error(`reference server exited with ${code}`)));
  });

  const acked: string[] = [], updated = new Map<string, string>();
  type Op = (client: number, seq: number) => Promise<boolean>;
  const cell = async (label: string, clients: number, op: (a: http.Agent) => Op, seconds = SECONDS): Promise<Cell> => {
    const a = new http.Agent({ keepAlive: true, maxSockets: clients });
    try { return await closedLoop(label, clients, seconds, op(a)); } finally {
      a.destroy();
      if (api.proc!.exitCode !== null || api.proc!.signalCode !== null) throw new Error(`apiserver exited mid-run (code ${api.proc!.exitCode}, signal ${api.proc!.signalCode}; code 0 = it got SIGTERM/SIGINT):\n${api.out.slice(-3000)}`);
    }
  };
  const create = (ns: string, prefix: string) => (a: http.Agent): Op => async (_c, i) => {
    const good = ok(await request(a, port, 'POST', cms(ns), cmBody(`${prefix}${i}`, i)));
    if (good && ns === 'bench-create') acked.push(`${prefix}${i}`);
    return good;
  };
  const update = (a: http.Agent): Op => async (c, i) => {
    const r = await request(a, port, 'PUT', `${cms('bench-update')}/u-${c}`, cmBody(`u-${c}`, i, rvs[c]));
    if (ok(r)) updated.set(`u-${c}`, (rvs[c] = rvOf(r.body)));
    return ok(r);
  };
  // Warm-up, not reported: lets the JIT and the caches settle before the first measured cell.
  await cell('', 10, create('bench-warm', 'w-'), Math.min(1, SECONDS));

  console.log(`\n${'operation'.padEnd(46)}${'clients'.padStart(4)}${'ops/s'.padStart(7)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`);
  let create50: Cell | undefined;
  for (const clients of CLIENTS) {
    const c = await cell('skiff create ConfigMap (1 KB, durable)', clients, create('bench-create', `c${clients}-`));
    if (clients === 50) create50 = c;
    await cell('skiff get ConfigMap (random one of 1,000)', clients, (a) => async () => ok(await request(a, port, 'GET', `${cms('bench-list')}/l-${Math.floor(Math.random() * LIST_SIZE)}`)));
    await cell(`skiff list 1,000 ConfigMaps (${f(listBody.length / 2 ** 20)} MiB JSON)`, clients, (a) => async () => ok(await request(a, port, 'GET', cms('bench-list'))));
    await cell('skiff update ConfigMap (PUT with its RV)', clients, update);
    await levelCell('  ref: LevelDB put {sync:true} 1 KB, each', clients, (db) => (_c, i) => db.put(`s-${i}`, cmBody(`s-${i}`, i), { sync: true }));
    await levelCell('  ref: LevelDB group commit (synced batches)', clients, (db) => {
      const commit = groupCommitter(db);
      return (_c, i) => commit(`g-${i}`, cmBody(`g-${i}`, i));
    });
    await cell('  ref: bare node:http POST 1 KB -> 80 B JSON', clients, (a) => async (_c, i) => ok(await request(a, refPort, 'POST', '/', cmBody(`h-${i}`, i))));
    console.log('');
  }

  console.log(`watch: ${WATCHERS} watchers, one socket each, run in a worker_thread (so the measuring thread is not their bottleneck);`);
  console.log(`  the main thread creates ${Math.round(WATCH_RATE * WATCH_SECONDS)} ConfigMaps at ${WATCH_RATE}/s (open loop). Latency = time the watcher parsed`);
  console.log(`  the event line minus the time the writer got its 2xx (can be < 0: skiff fans out before it answers), or minus its send time.`);
  console.log(`${''.padEnd(58)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}`);
  const rv = rvOf(await must('GET', cms('bench-watch')));
  const w = await watchRun('skiff', port, `${cms('bench-watch')}?watch=true&resourceVersion=${rv}`, cms('bench-watch'));
  await watchRun('  ref: bare node:http', refPort, '/watch', '/emit');

  const stored = LIST_SIZE + 50 + acked.length + Math.round(WATCH_RATE * WATCH_SECONDS);
  console.log(`\napiserver RSS ${rssMiB(pid, 'VmRSS')} MiB (peak ${rssMiB(pid, 'VmHWM')} MiB) with more than ${stored} objects stored`);

  // Durability: kill -9, restart, and every sampled acknowledged write must be there.
  await halt(api.proc, 'SIGKILL');
  const tr = now();
  await launch(api);
  const restartS = (now() - tr) / 1000;
  const sample = [...acked.slice(-100), ...Array.from({ length: 100 }, () => acked[Math.floor(Math.random() * acked.length)]!)].filter(Boolean);
  let found = 0, updatesOk = 0;
  for (const n of sample) if ((await request(false, port, 'GET', `${cms('bench-create')}/${n}`)).status === 200) found++;
  for (const [n, want] of updated) {
    const r = await request(false, port, 'GET', `${cms('bench-update')}/${n}`);
    if (ok(r) && rvOf(r.body) === want) updatesOk++;
  }
  console.log(`durability: after kill -9 and a restart (ready in ${f(restartS, 2)} s): ${found}/${sample.length} sampled acknowledged creates and ` +
    `${updatesOk}/${updated.size} last acknowledged updates are there`);

  const target = (text: string, met: boolean) => console.log(`  ${met ? 'MET    ' : 'NOT MET'}  ${text}`);
  const allP99 = pct(w.allAck, 0.99);
  console.log('\ntargets:');
  target(`create at 50 clients >= 2,000/s with p99 < 50 ms: ${f(create50!.rate, 0)}/s, p99 ${f(create50!.p99, 2)} ms`, create50!.rate >= 2000 && create50!.p99 < 50);
  target(`an event reaches all ${WATCHERS} watchers within 20 ms p99 (from the writer's 2xx): ${f(allP99, 2)} ms ` +
    `(each watcher: p99 ${f(pct(w.pairsAck, 0.99), 2)} ms; ${w.delivered}/${w.expected} delivered)`, allP99 <= 20 && w.delivered === w.expected);
  target('durable: every sampled acknowledged write survives kill -9', found === sample.length && updatesOk === updated.size);
  console.log(`\ntotal ${f((now() - t0) / 1000, 0)} s; load average now ${os.loadavg().map((l) => f(l, 2)).join(' ')}`);
}

if (!isMainThread) watcherWorker(workerData as WatchJob);
else if (argv.includes('--http-ref-server')) refServer();
else {
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  main()
    .catch((err: unknown) => { console.error(err); process.exitCode = 1; })
    .finally(() => cleanup().then(() => process.exit()));
}
