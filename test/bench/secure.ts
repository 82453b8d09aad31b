// `npm run bench:secure [-- --seconds S]`
//
// The cost of security (issue 7): the apiserver benchmark's operations (create, get, list of
// 1,000, update of ~1 KB ConfigMaps) at 1, 10 and 50 closed-loop keep-alive clients, against
// one real `skiff apiserver` serving both ports: the plain port (no TLS, no authentication,
// everyone system:masters) and the secure port (TLS 1.3, a bearer token from
// --token-auth-file, Node,RBAC authorization through a RoleBinding to `edit`). Same process,
// same data, cells alternating plain/secure so drift hits both alike. Bounded in time and count.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, createServingCert } from '../../apiserver/auth/pki.js';
import { CLI } from '../../deploy/cluster/processes.js';
import { freePort } from '../support/apiserver.js';
import { request, type Res } from './http.js';

const argv = process.argv.slice(2);
const SECONDS = argv.includes('--seconds') ? Number(argv[argv.indexOf('--seconds') + 1]) : 5;
const CLIENTS = [1, 10, 50];
const MAX_OPS = 300_000;
const NS = 'bench';
const TOKEN = randomBytes(24).toString('hex');
const PAYLOAD = randomBytes(675).toString('base64');
const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-secure-'));

interface Target {
  name: string;
  request(method: string, path: string, body?: string): Promise<Res>;
}

function target(name: string, secure: boolean, port: number, ca?: Buffer): Target {
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 64, ca }) : new http.Agent({ keepAlive: true, maxSockets: 64 });
  const headers: Record<string, string> = secure ? { authorization: `Bearer ${TOKEN}` } : {};
  return { name, request: (method, path, body) => request(agent, port, method, path, body, { headers, tls: secure }) };
}

const cm = (name: string, seq: number, rv?: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(rv ? { resourceVersion: rv } : {}) }, data: { payload: PAYLOAD, seq: String(seq) } });
const base = `/api/v1/namespaces/${NS}/configmaps`;
/** Creates go to a namespace of their own, so that the list stays 1,000 objects. */
const CREATE_NS = 'bench-create';
const createBase = `/api/v1/namespaces/${CREATE_NS}/configmaps`;

/** Ops per second of `op` at `clients` closed-loop clients for SECONDS (an error ends the run). */
async function closedLoop(clients: number, op: (client: number, seq: number) => Promise<boolean>): Promise<number> {
  let ops = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < deadline && ops < MAX_OPS; i++) {
        if (!(await op(c, i))) throw new Error(`request failed (client ${c}, op ${i})`);
        ops++;
      }
    }),
  );
  return ops / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const ca = createCA(join(dir, 'pki'));
  const serving = createServingCert(join(dir, 'pki'), ca);
  writeFileSync(join(dir, 'tokens.csv'), `${TOKEN},bencher,uid-bench\n`);
  const [port, securePort] = [await freePort(), await freePort()];
  const api = spawn(process.execPath, [...(process.env.PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.PROF_DIR] : []), CLI, 'apiserver', '--data-dir', join(dir, 'data'), '--bind-address', '127.0.0.1', '--port', String(port),
    '--secure-port', String(securePort), '--tls-cert-file', serving.cert, '--tls-private-key-file', serving.key, '--token-auth-file', join(dir, 'tokens.csv'),
    '--authorization-mode', process.env.BENCH_AUTHZ ?? 'Node,RBAC', '--disable-admission-plugins=ServiceAccount', '--v', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const plain = target('plain HTTP, no authentication', false, port);
    const secure = target('HTTPS + bearer token + RBAC', true, securePort, readFileSync(ca.cert));
    for (let i = 0; i < 100; i++) {
      if ((await plain.request('GET', '/healthz').catch(() => ({ status: 0 }))).status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const ns of [NS, CREATE_NS]) {
      await plain.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
      await plain.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'bencher-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bencher' }],
      }));
    }
    // The list: 1,000 ConfigMaps, written through the plain port.
    for (let i = 0; i < 1000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => plain.request('POST', base, cm(`l-${i + k}`, 0))));
    const check = await secure.request('GET', `${base}/l-0`);
    if (check.status !== 200) throw new Error(`the secure port refused the bench user: ${check.status} ${check.body}`);
    const denied = await secure.request('GET', '/api/v1/namespaces/kube-system/secrets');
    if (denied.status !== 403 && !process.env.BENCH_AUTHZ) throw new Error(`RBAC did not deny the bench user kube-system's secrets: ${denied.status}`);

    console.log(`# apiserver: plain vs secure port (same process; ${SECONDS} s per cell; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
    console.log('');
    console.log('| operation | clients | plain, ops/s | secure, ops/s | secure / plain |');
    console.log('|---|---|---|---|---|');
    let run = 0;
    for (const clients of CLIENTS) {
      const rvs = new Map<string, string>();
      const ops: [string, (t: Target) => (c: number, i: number) => Promise<boolean>][] = [
        ['create', (t) => async (c, i) => (await t.request('POST', createBase, cm(`c-${run}-${t === plain ? 'p' : 's'}-${c}-${i}`, i))).status === 201],
        ['get', (t) => async (c, i) => (await t.request('GET', `${base}/l-${(c * 31 + i) % 1000}`)).status === 200],
        ['list (1,000)', (t) => async () => (await t.request('GET', base + '?labelSelector=')).status === 200],
        ['update', (t) => async (c, i) => {
          const name = `l-${c}`;
          const key = `${t.name}/${name}`;
          let rv = rvs.get(key);
          if (!rv) rv = (JSON.parse((await t.request('GET', `${base}/${name}`)).body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
          const r = await t.request('PUT', `${base}/${name}`, cm(name, i, rv));
          if (r.status === 409) return rvs.delete(key), true;
          rvs.set(key, (JSON.parse(r.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
          return r.status === 200;
        }],
      ];
      for (const [label, op] of ops) {
        if (process.env.BENCH_ONLY && label !== process.env.BENCH_ONLY) continue;
        run++;
        const p = process.env.BENCH_SKIP_PLAIN ? NaN : await closedLoop(clients, op(plain));
        const s = await closedLoop(clients, op(secure));
        console.log(`| ${label} | ${clients} | ${p.toFixed(0)} | ${s.toFixed(0)} | ${(s / p).toFixed(2)} |`);
      }
    }
  } finally {
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
});
