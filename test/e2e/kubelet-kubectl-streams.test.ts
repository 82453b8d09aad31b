// The stock kubectl's streaming commands through the apiserver to the real kubelet:
// logs -f, exec -it under a pseudo-terminal, port-forward then a request through it, cp
// both ways; and the kubelet's Summary API from Docker's stats. Real Docker; isolated by a
// unique node name (a label on every container) and namespace; traffic stays on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_LABEL } from '../../kubelet/container-spec.js';
import { cleanupNodeNetwork } from '../../deploy/cluster/host.js';
import { DockerRuntime } from '../../kubelet/runtime/docker.js';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import { CLI, freePort, startApiserver, type ApiserverProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const suffix = `${process.pid}-${Date.now().toString(36)}`;
const NODE = `e2e-streams-${suffix}`;
const NS = `kubectl-streams-${suffix}`;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** GET over http, or over https without verifying the kubelet's self-signed certificate. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? (u: string, o: https.RequestOptions, cb: (res: http.IncomingMessage) => void) => https.get(u, { ...o, rejectUnauthorized: false }, cb) : http.get;
    const req = send(url, { timeout: 5_000, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
  });
}

/** Single-quotes `s` for sh. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('kubectl logs -f, exec -it, port-forward, cp and stats/summary against real containers', () => {
  let api: ApiserverProcess;
  let client: Client;
  let k: Kubectl;
  let kubelet: ChildProcess;
  let kubeletPort = 0;
  let out = '';
  const children: ChildProcess[] = [];
  const rootDir = mkdtempSync(join(tmpdir(), 'skiff-kubelet-'));
  const work = mkdtempSync(join(tmpdir(), 'skiff-streams-'));
  const docker = new DockerRuntime();

  /** Starts a long-running kubectl (killed in afterAll if the test does not). */
  const kubectl = (args: string[]) => {
    const p = spawn('kubectl', ['--kubeconfig', k.kubeconfig, '--cache-dir', k.cacheDir, ...args], { env: { ...process.env, HOME: k.dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(p);
    return p;
  };
  const running = (pod: string, container: string) =>
    until(`${pod}/${container} running`, async () => {
      const p = await client.get(R.pods, NS, pod);
      return p.status?.containerStatuses?.find((c: any) => c.name === container)?.state?.running ? p : undefined;
    });

  beforeAll(async () => {
    api = await startApiserver();
    client = new Client(api.url);
    k = new Kubectl(api.url);
    await client.create(R.namespaces, undefined, { metadata: { name: NS } });
    kubelet = spawn(process.execPath, [CLI, 'kubelet', '--server', api.url, '--hostname-override', NODE, '--root-dir', rootDir, '--node-ip', '127.0.0.1', '--port', '0', '--pod-cidr', '10.244.0.0/24'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    kubelet.stdout!.on('data', (d) => (out += d));
    kubelet.stderr!.on('data', (d) => (out += d));
    const node = await until('the node with its kubelet port', async () => {
      const n = await client.get(R.nodes, undefined, NODE);
      return n.status?.daemonEndpoints?.kubeletEndpoint?.Port ? n : undefined;
    });
    kubeletPort = node.status.daemonEndpoints.kubeletEndpoint.Port;
    const busybox = (name: string, script: string) => ({ name, image: 'skiff/busybox:1.35', command: ['sh', '-c', script] });
    await client.create(R.pods, NS, {
      metadata: { name: 'ticker' },
      spec: { nodeName: NODE, containers: [busybox('main', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done')] },
    });
    await client.create(R.pods, NS, { metadata: { name: 'shell' }, spec: { nodeName: NODE, containers: [busybox('main', 'sleep 3600')] } });
    await client.create(R.pods, NS, {
      metadata: { name: 'web' },
      spec: { nodeName: NODE, containers: [{ name: 'hello', image: 'skiff/hello-node:1.0', ports: [{ containerPort: 8080 }] }] },
    });
    await client.create(R.pods, NS, {
      metadata: { name: 'burner' },
      spec: {
        nodeName: NODE,
        containers: [{ ...busybox('spin', 'while :; do :; done'), resources: { limits: { cpu: '200m', memory: '64Mi' } } }, busybox('idle', 'sleep 3600')],
      },
    });
  }, 120_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    kubelet?.kill('SIGKILL');
    for (const c of await docker.list({ [NODE_LABEL]: NODE })) await docker.remove(c.id);
    await cleanupNodeNetwork();
    await api?.cleanup();
    rmSync(rootDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('follows logs with kubectl logs -f', async () => {
    await running('ticker', 'main');
    const p = kubectl(['logs', '-f', 'ticker', '-n', NS]);
    let text = '';
    p.stderr!.on('data', (d) => (text += d));
    const lines = await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`logs -f gave too little: ${text}`)), 30_000);
      p.stdout!.on('data', (d) => {
        text += d;
        const ticks = text.split('\n').filter((l) => /^tick-\d+$/.test(l));
        if (ticks.length >= 4) {
          clearTimeout(timer);
          resolve(ticks);
        }
      });
      p.once('exit', (code) => reject(new Error(`kubectl logs -f exited ${code}: ${text}`)));
    });
    p.kill('SIGTERM');
    const n = lines.map((l) => Number(l.slice(5)));
    expect(n.slice(1).every((v, i) => v === n[i] + 1)).toBe(true); // in order, none lost
  }, 60_000);

  it('runs exec -it under a pseudo-terminal', async () => {
    await running('shell', 'main');
    const cmd = `kubectl --kubeconfig ${sq(k.kubeconfig)} --cache-dir ${sq(k.cacheDir)} exec -it shell -n ${NS} -- sh -c 'tty; exit 0'`;
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const p = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, HOME: k.dir }, stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(p);
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      p.stderr.on('data', (d) => (text += d));
      const timer = setTimeout(() => reject(new Error(`exec -it hung: ${text}`)), 30_000);
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out: text });
      });
    });
    expect(r.out).toMatch(/\/dev\/pts\/\d+/);
    expect(r.code).toBe(0);
  }, 60_000);

  it('forwards a local port to the pod with kubectl port-forward', async () => {
    await running('web', 'hello');
    const local = await freePort();
    const p = kubectl(['port-forward', '-n', NS, '--address', '127.0.0.1', 'pod/web', `${local}:8080`]);
    let text = '';
    p.stdout!.on('data', (d) => (text += d));
    p.stderr!.on('data', (d) => (text += d));
    await until('port-forward listening', async () => text.includes('Forwarding from 127.0.0.1'), 30_000);
    const page = await until('a page through the forward', async () => {
      const r = await get(`http://127.0.0.1:${local}/`);
      return r.status === 200 ? r.body : undefined;
    }, 20_000);
    expect(page).toContain('Hello World!');
    p.kill('SIGTERM');
  }, 60_000);

  it('copies a file into the pod and back out with kubectl cp', async () => {
    await running('shell', 'main');
    const src = join(work, 'in.txt');
    const content = `copied ${suffix}\n${'x'.repeat(10_000)}\n`;
    writeFileSync(src, content);
    await k.ok(['cp', src, `${NS}/shell:/tmp/in.txt`, '-c', 'main']);
    expect(await k.ok(['exec', 'shell', '-n', NS, '--', 'head', '-n', '1', '/tmp/in.txt'])).toBe(`copied ${suffix}\n`);
    const back = join(work, 'out.txt');
    await k.ok(['cp', `${NS}/shell:/tmp/in.txt`, back, '-c', 'main']);
    expect(readFileSync(back, 'utf8')).toBe(content);
  }, 60_000);

  it('reports cpu and memory of containers, pods and the node in /stats/summary', async () => {
    await running('burner', 'spin');
    await running('burner', 'idle');
    const pod = await until('the burner pod in the summary with its cpu', async () => {
      const r = await get(`https://127.0.0.1:${kubeletPort}/stats/summary`);
      if (r.status !== 200) return undefined;
      const s = JSON.parse(r.body);
      const p = s.pods.find((x: any) => x.podRef.namespace === NS && x.podRef.name === 'burner');
      return p?.containers.length === 2 && p.containers.every((c: any) => typeof c.cpu?.usageNanoCores === 'number') ? { s, p } : undefined;
    }, 30_000);
    const spin = pod.p.containers.find((c: any) => c.name === 'spin');
    const idle = pod.p.containers.find((c: any) => c.name === 'idle');
    expect(spin.cpu.usageNanoCores).toBeGreaterThan(20_000_000); // a busy loop: well over 20m…
    expect(spin.cpu.usageNanoCores).toBeLessThan(1_200_000_000); // …and one thread: at most one core
    expect(idle.cpu.usageNanoCores).toBeLessThan(spin.cpu.usageNanoCores);
    expect(spin.memory.workingSetBytes).toBeGreaterThan(0);
    expect(idle.memory.workingSetBytes).toBeGreaterThan(0);
    expect(pod.p.podRef.uid).toBe((await client.get(R.pods, NS, 'burner')).metadata.uid);
    expect(pod.p.cpu.usageNanoCores).toBeGreaterThanOrEqual(spin.cpu.usageNanoCores);
    expect(pod.p.memory.workingSetBytes).toBeGreaterThanOrEqual(spin.memory.workingSetBytes + idle.memory.workingSetBytes);
    expect(pod.s.node.nodeName).toBe(NODE);
    expect(pod.s.node.memory.workingSetBytes).toBeGreaterThan(0);
    expect(pod.s.node.memory.availableBytes).toBeGreaterThan(0);
    expect(pod.s.node.cpu.usageCoreNanoSeconds).toBeGreaterThan(0);
    expect(pod.s.node.cpu.usageNanoCores).toBeGreaterThan(0); // the busy loop runs on it
    // Only this node's pods: every pod reported is in this test's namespace.
    expect(pod.s.pods.every((x: any) => x.podRef.namespace === NS)).toBe(true);
  }, 60_000);
});
