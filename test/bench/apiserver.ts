// `npm run bench:apiserver [-- --quick] [-- --seconds S --watchers N --watch-rate R --watch-seconds S]`
//
// Drives a real `skiff apiserver` (temp data dir, 127.0.0.1) with closed-loop keep-alive HTTP clients:
// create / get / list-of-1,000 / update at 1, 10 and 50 clients, then watch fan-out to 100 watchers.
// References measured in the same run, at the same concurrency: raw LevelDB doing the same durable
// writes (sync put one at a time; group commit = one synced batch per flush), and a bare Node `http`
// server on loopback answering a small fixed JSON (also used as the watch fan-out floor).
// Everything is bounded in time and count; the server and temp dirs are removed at the end.
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

const argv = process.argv.slice(2);
const num = (name: string, def: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && Number.isFinite(Number(argv[i + 1])) ? Number(argv[i + 1]) : def;
};
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

// One monotonic clock shared by the main thread and the watcher worker.
const BASE: bigint = isMainThread ? process.hrtime.bigint() : (workerData as { base: bigint }).base;
const now = (): number => Number(process.hrtime.bigint() - BASE) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cmBody = (name: string, seq: number, rv?: string): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(rv ? { resourceVersion: rv } : {}) }, data: { payload: PAYLOAD, seq: String(seq) } });

interface Res { status: number; body: string }
function request(agent: http.Agent | false, port: number, method: string, path: string, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    req.end(body);
  });
}
const ok = (r: Res): boolean => r.status >= 200 && r.status < 300;

// ---------------------------------------------------------------- closed-loop cells
interface Cell { label: string; clients: number; ops: number; errors: number; secs: number; p50: number; p99: number; firstError?: string }

function pct(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** `clients` loops, each issuing `op` back to back until the time or count bound. */
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
  const secs = (now() - start) / 1000;
  const sorted = Float64Array.from(lat).sort();
  return { label, clients, ops: lat.length, errors, secs, p50: pct(sorted, 0.5), p99: pct(sorted, 0.99), firstError };
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
function printRow(c: Cell): void {
  const err = c.errors ? `  errors ${c.errors}${c.firstError ? ` (${c.firstError.slice(0, 60)})` : ''}` : '';
  console.log(`${c.label.padEnd(44)}${String(c.clients).padStart(4)}${f(c.ops / c.secs, 0).padStart(10)}${f(c.p50, 2).padStart(9)}${f(c.p99, 2).padStart(9)}${err}`);
}

// ---------------------------------------------------------------- LevelDB reference
/** The group commit the apiserver's storage does: everything queued goes out as one synced batch. */
function groupCommitter(db: Level<string, string>): (key: string, value: string) => Promise<void> {
  let queue: { key: string; value: string; done: () => void; fail: (e: unknown) => void }[] = [];
  let flushing = false;
  const flush = async () => {
    flushing = true;
    while (queue.length) {
      const batch = queue;
      queue = [];
      try {
        await db.batch(batch.map(({ key, value }) => ({ type: 'put' as const, key, value })), { sync: true });
        for (const b of batch) b.done();
      } catch (err) { for (const b of batch) b.fail(err); }
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
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      watchers.add(res);
      res.on('close', () => watchers.delete(res));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/emit') { // fan the posted object out as a watch event, then answer
        const line = `{"type":"ADDED","object":${Buffer.concat(chunks).toString()}}\n`;
        for (const w of watchers) w.write(line);
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(small) });
      res.end(small);
    });
  });
  srv.listen(0, '127.0.0.1', () => process.stdout.write(`${(srv.address() as AddressInfo).port}\n`));
  process.stdin.on('end', () => process.exit(0)).resume(); // the parent went away
}

async function startRefServer(): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--http-ref-server'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    proc.once('exit', (code) => reject(new Error(`reference server exited with ${code}`)));
  });
  return { proc, port };
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
      res.on('error', () => {}); // the collect step destroys the stream
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const ev = JSON.parse(buf.slice(0, nl)) as { type: string; object?: { metadata?: { name?: string } } };
          const t = now(); // the event line is parsed
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

interface WatchResult { label: string; pairsAck: Float64Array; pairsSend: Float64Array; allAck: Float64Array; delivered: number; expected: number; fanout: number; writeErrors: number; busy: number }

/** 100 watchers (worker thread) on `watchPath`; the main thread writes `events` objects at `rate`/s to `writePath`. */
async function watchRun(label: string, port: number, watchPath: string, writePath: string): Promise<WatchResult> {
  const events = Math.max(1, Math.round(WATCH_RATE * WATCH_SECONDS));
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { base: BASE, port, path: watchPath, watchers: WATCHERS, events } satisfies WatchJob });
  try {
    let onAll = () => {};
    let onResult: (r: { recv: Float64Array[]; busy: number }) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: { type: string; msg?: string; recv: Float64Array[]; busy: number }) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'all') onAll();
        else if (m.type === 'result') onResult(m);
        else reject(new Error(m.msg));
      });
      worker.on('error', reject);
      setTimeout(() => reject(new Error('watchers did not connect within 15 s')), 15_000).unref();
    });
    await ready;
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
    const { recv, busy } = await new Promise<{ recv: Float64Array[]; busy: number }>((r) => { onResult = r; worker.postMessage('collect'); });
    const pairsAck: number[] = [], pairsSend: number[] = [], allAck: number[] = [];
    let delivered = 0, last = 0;
    for (let i = 0; i < events; i++) {
      let max = -Infinity;
      for (const w of recv) {
        const t = w[i]!;
        if (Number.isNaN(t)) { max = NaN; continue; }
        delivered++;
        last = Math.max(last, t);
        pairsSend.push(t - sendT[i]!);
        if (!Number.isNaN(ackT[i]!)) pairsAck.push(t - ackT[i]!);
        max = Math.max(max, t);
      }
      if (!Number.isNaN(max) && !Number.isNaN(ackT[i]!)) allAck.push(max - ackT[i]!);
    }
    const sort = (a: number[]) => Float64Array.from(a).sort();
    return { label, pairsAck: sort(pairsAck), pairsSend: sort(pairsSend), allAck: sort(allAck), delivered, expected: events * WATCHERS, fanout: delivered / ((last - start) / 1000), writeErrors, busy };
  } finally {
    await worker.terminate();
  }
}

function printWatch(r: WatchResult): void {
  const line = (what: string, a: Float64Array) =>
    console.log(`${r.label.padEnd(20)}${what.padEnd(36)}${f(pct(a, 0.5), 2).padStart(8)}${f(pct(a, 0.99), 2).padStart(9)}${f(a[a.length - 1] ?? NaN, 2).padStart(9)}`);
  line('each watcher, from writer 2xx', r.pairsAck);
  line('each watcher, from writer send', r.pairsSend);
  line('all watchers of an event, from 2xx', r.allAck);
  console.log(`${''.padEnd(20)}delivered ${r.delivered}/${r.expected} (watcher, event) pairs, fan-out ${f(r.fanout, 0)} events/s, watcher thread ${f(r.busy * 100, 0)}% busy${r.writeErrors ? `, ${r.writeErrors} write errors` : ''}`);
}

// ---------------------------------------------------------------- the apiserver process
// (test/support's startApiserver resolves the CLI relative to the .ts tree, so it cannot run from dist/.)
const CLI = fileURLToPath(new URL('../../shared/cli.js', import.meta.url));
interface Server { port: number; dir: string; proc?: ChildProcess; out: string }
async function launch(s: Server): Promise<void> {
  const proc = spawn(process.execPath, [CLI, 'apiserver', '--data-dir', s.dir, '--port', String(s.port), '--bind-address', '127.0.0.1', '--v', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  s.proc = proc;
  proc.stdout!.on('data', (d) => (s.out += d));
  proc.stderr!.on('data', (d) => (s.out += d));
  for (const deadline = now() + 30_000; now() < deadline; await sleep(20)) {
    if (proc.exitCode !== null) throw new Error(`apiserver exited with ${proc.exitCode}:\n${s.out}`);
    // Ready once the bootstrap objects (the default namespace) are served.
    if ((await request(false, s.port, 'GET', '/api/v1/namespaces/default').catch(() => undefined))?.status === 200) return;
  }
  throw new Error(`apiserver not ready within 30 s:\n${s.out}`);
}
async function halt(s: Server, signal: NodeJS.Signals): Promise<void> {
  const p = s.proc;
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await exited;
}

// ---------------------------------------------------------------- main
function fsTypeOf(path: string): string {
  const real = realpathSync(path);
  let best = { mnt: '', type: '?' };
  for (const l of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mnt, type] = l.split(' ');
    if (mnt && type && (real === mnt || real.startsWith(mnt.endsWith('/') ? mnt : mnt + '/')) && mnt.length > best.mnt.length) best = { mnt, type };
  }
  return best.type;
}
const rssOf = (pid: number, field = 'VmRSS') => readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1];

const cleanups: (() => unknown)[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) { try { await cleanups.pop()!(); } catch { /* keep cleaning */ } }
}

async function main(): Promise<void> {
  const t0 = now();
  const cpus = os.cpus();
  console.log(`skiff apiserver benchmark${QUICK ? ' (--quick)' : ''}: ${SECONDS} s per cell, closed-loop keep-alive clients (node:http, maxSockets = clients)`);
  console.log(`machine: ${cpus.length} cores, ${cpus[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}`);

  const api: Server = { port: await freePort(), dir: mkdtempSync(join(os.tmpdir(), 'skiff-bench-apiserver-')), out: '' };
  cleanups.push(() => rmSync(api.dir, { recursive: true, force: true }));
  cleanups.push(() => halt(api, 'SIGTERM'));
  await launch(api);
  const port = api.port, pid = api.proc!.pid!;
  console.log(`apiserver pid ${pid}, data dir on ${fsTypeOf(api.dir)}; clients, watchers and server share the cores above`);
  const setup = new http.Agent({ keepAlive: true, maxSockets: 50 });
  cleanups.push(() => setup.destroy());
  for (const ns of ['bench-warm', 'bench-list', 'bench-create', 'bench-update', 'bench-watch']) {
    const r = await request(setup, port, 'POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
    if (!ok(r)) throw new Error(`create namespace ${ns}: ${r.status} ${r.body}`);
  }
  const cms = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
  const fill = async (ns: string, prefix: string, n: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: 50 }, async () => {
      for (let i = next++; i < n; i = next++) {
        const r = await request(setup, port, 'POST', cms(ns), cmBody(`${prefix}${i}`, i));
        if (!ok(r)) throw new Error(`create ${ns}/${prefix}${i}: ${r.status} ${r.body}`);
      }
    }));
  };
  await fill('bench-list', 'l-', LIST_SIZE);
  await fill('bench-update', 'u-', 50);
  const listed = JSON.parse((await request(setup, port, 'GET', cms('bench-list'))).body) as { items: unknown[] };
  if (listed.items.length !== LIST_SIZE) throw new Error(`bench-list holds ${listed.items.length} objects, not ${LIST_SIZE}`);
  const rvs: string[] = [];
  for (let c = 0; c < 50; c++) rvs[c] = (JSON.parse((await request(setup, port, 'GET', `${cms('bench-update')}/u-${c}`)).body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const listBytes = (await request(setup, port, 'GET', cms('bench-list'))).body.length;

  const levelDir = mkdtempSync(join(os.tmpdir(), 'skiff-bench-level-'));
  cleanups.push(() => rmSync(levelDir, { recursive: true, force: true }));
  const db = new Level<string, string>(levelDir, { valueEncoding: 'utf8' });
  await db.open();
  cleanups.push(() => db.close());
  const commit = groupCommitter(db);
  const ref = await startRefServer();
  cleanups.push(() => ref.proc.kill());

  const acked: string[] = [];
  const updated = new Map<string, string>();
  let cell = 0;
  const ops = {
    create: (a: http.Agent, c: number) => async (_: number, i: number) => {
      const name = `c-${c}-${i}`;
      const good = ok(await request(a, port, 'POST', cms('bench-create'), cmBody(name, i)));
      if (good) acked.push(name);
      return good;
    },
    get: (a: http.Agent) => async () => ok(await request(a, port, 'GET', `${cms('bench-list')}/l-${Math.floor(Math.random() * LIST_SIZE)}`)),
    list: (a: http.Agent) => async () => ok(await request(a, port, 'GET', cms('bench-list'))),
    update: (a: http.Agent) => async (c: number, i: number) => {
      const r = await request(a, port, 'PUT', `${cms('bench-update')}/u-${c}`, cmBody(`u-${c}`, i, rvs[c]));
      if (!ok(r)) return false;
      rvs[c] = (JSON.parse(r.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      updated.set(`u-${c}`, rvs[c]!);
      return true;
    },
  };
  const withAgent = async (clients: number, fn: (a: http.Agent) => Promise<Cell>): Promise<Cell> => {
    const a = new http.Agent({ keepAlive: true, maxSockets: clients });
    try { return await fn(a); } finally { a.destroy(); }
  };
  // Warm-up (not reported): lets the JIT and the caches settle before the first measured cell.
  await withAgent(10, (a) => closedLoop('warm-up', 10, Math.min(1, SECONDS), async (_c, i) => ok(await request(a, port, 'POST', cms('bench-warm'), cmBody(`w-${i}`, i)))));

  console.log(`\n${'operation'.padEnd(44)}${'clients'.padStart(4)}${'ops/s'.padStart(7)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`);
  const results = new Map<string, Cell>();
  for (const clients of CLIENTS) {
    const run = async (key: string, label: string, fn: (a: http.Agent) => (c: number, i: number) => Promise<boolean>) => {
      const c = await withAgent(clients, (a) => closedLoop(label, clients, SECONDS, fn(a)));
      results.set(`${key}@${clients}`, c);
      printRow(c);
    };
    cell++;
    await run('create', 'skiff create ConfigMap (1 KB, durable)', (a) => ops.create(a, cell));
    await run('get', 'skiff get ConfigMap (random of 1,000)', ops.get);
    await run('list', `skiff list 1,000 ConfigMaps (${(listBytes / 2 ** 20).toFixed(1)} MiB JSON)`, ops.list);
    await run('update', 'skiff update ConfigMap (PUT with its RV)', ops.update);
    printRow(await closedLoop('  ref: LevelDB put {sync:true}, 1 KB', clients, SECONDS, async (_c, i) => (await db.put(`s${clients}-${i}`, cmBody(`s-${i}`, i), { sync: true }), true)));
    printRow(await closedLoop('  ref: LevelDB group commit (synced batch)', clients, SECONDS, async (_c, i) => (await commit(`g${clients}-${i}`, cmBody(`g-${i}`, i)), true)));
    printRow(await withAgent(clients, (a) => closedLoop('  ref: bare node:http POST 1 KB -> 80 B JSON', clients, SECONDS, async (_c, i) => ok(await request(a, ref.port, 'POST', '/', cmBody(`h-${i}`, i))))));
    console.log('');
  }

  console.log(`watch: ${WATCHERS} watchers, one socket each, in a worker_thread (their parse time is the receive time);`);
  console.log(`       the writer (main thread) creates ${Math.round(WATCH_RATE * WATCH_SECONDS)} ConfigMaps at ${WATCH_RATE}/s; latency = watcher parse - writer's 2xx (or send)`);
  console.log(`${''.padEnd(56)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}`);
  const rv = (JSON.parse((await request(setup, port, 'GET', cms('bench-watch'))).body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const w = await watchRun('skiff', port, `${cms('bench-watch')}?watch=true&resourceVersion=${rv}`, cms('bench-watch'));
  printWatch(w);
  printWatch(await watchRun('  ref: bare node:http', ref.port, '/watch', '/emit'));

  const rss = rssOf(pid), hwm = rssOf(pid, 'VmHWM');
  console.log(`\napiserver RSS ${f(Number(rss) / 1024, 0)} MiB (peak ${f(Number(hwm) / 1024, 0)} MiB) with ${LIST_SIZE + 50 + acked.length + Math.round(WATCH_RATE * WATCH_SECONDS)}+ objects stored`);

  // Durability: kill -9, restart, and every acknowledged write sampled must be there.
  await halt(api, 'SIGKILL');
  const tr = now();
  await launch(api);
  const restartS = (now() - tr) / 1000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  cleanups.push(() => agent.destroy());
  const sample = [...acked.slice(-100), ...Array.from({ length: 100 }, () => acked[Math.floor(Math.random() * acked.length)]!)].filter(Boolean);
  let found = 0, updatesOk = 0;
  for (const n of sample) if ((await request(agent, port, 'GET', `${cms('bench-create')}/${n}`)).status === 200) found++;
  for (const [n, want] of updated) {
    const r = await request(agent, port, 'GET', `${cms('bench-update')}/${n}`);
    if (ok(r) && (JSON.parse(r.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion === want) updatesOk++;
  }
  console.log(`durability: after kill -9 and restart (ready in ${f(restartS, 2)} s): ${found}/${sample.length} sampled acknowledged creates and ${updatesOk}/${updated.size} last acknowledged updates present`);

  const c50 = results.get('create@50')!;
  const target = (text: string, met: boolean) => console.log(`  ${met ? 'MET    ' : 'NOT MET'}  ${text}`);
  console.log('\ntargets:');
  target(`create at 50 clients >= 2,000/s with p99 < 50 ms: ${f(c50.ops / c50.secs, 0)}/s, p99 ${f(c50.p99, 2)} ms`, c50.ops / c50.secs >= 2000 && c50.p99 < 50);
  const allP99 = pct(w.allAck, 0.99);
  target(`event reaches all ${WATCHERS} watchers within 20 ms p99 (from writer's 2xx): ${f(allP99, 2)} ms (each-watcher p99 ${f(pct(w.pairsAck, 0.99), 2)} ms)`, allP99 <= 20 && w.delivered === w.expected);
  target(`durable: every sampled acknowledged write survives kill -9`, found === sample.length && updatesOk === updated.size);
  console.log(`\ntotal ${f((now() - t0) / 1000, 0)} s`);
}

if (!isMainThread) watcherWorker(workerData as WatchJob);
else if (argv.includes('--http-ref-server')) refServer();
else {
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  main()
    .catch((err: unknown) => { console.error(err); process.exitCode = 1; })
    .finally(() => cleanup().then(() => process.exit()));
}
