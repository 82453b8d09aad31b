// The kubelet API on a real Docker engine, proxied by a real apiserver and driven by the
// stock kubectl: logs (tail, follow, previous, timestamps), exec (exit code, stdin, TTY)
// and port-forward. No pod worker: the test creates the pod's containers itself, and
// registers a Node whose InternalIP and kubelet port point at this test's kubelet server.
// The kubelet serves HTTPS with a self-signed certificate and upstream's binary defaults
// (anonymous, AlwaysAllow); the apiserver verifies that certificate (--kubelet-certificate-authority).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeletAuthenticator } from '../../kubelet/server/authn.js';
import { alwaysAllow } from '../../kubelet/server/authz.js';
import { startKubeletServer, type KubeletServer } from '../../kubelet/server/server.js';
import { ensureServingCert } from '../../kubelet/server/serving-cert.js';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import { freePort, startApiserver, type ApiserverProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const IMAGE = 'skiff/busybox:1.35';
const NS = 'default';
const POD = 'kapi';
const RUN = randomBytes(4).toString('hex');
const LABEL = { 'skiff.test': `kubelet-api-${RUN}` };

describe('kubelet API through the apiserver, with the stock kubectl', () => {
  const docker = new Docker();
  const ids: Record<string, string> = {};
  const certDir = mkdtempSync(join(tmpdir(), 'skiff-kapi-pki-'));
  const serving = ensureServingCert(certDir, 'kapi-node', ['127.0.0.1']);
  let api: ApiserverProcess;
  let kubelet: KubeletServer;
  let kubectl: Kubectl;

  const run = async (name: string, script: string, opts: { wait?: boolean } = {}) => {
    const c = await docker.createContainer({ name: `kapi-${RUN}-${name}`, Image: IMAGE, Cmd: ['sh', '-c', script], Labels: LABEL, HostConfig: { NetworkMode: 'none' } });
    await c.start();
    if (opts.wait) await c.wait();
    return c.id;
  };

  beforeAll(async () => {
    // A previous run of "main" that failed, then the current one: an HTTP server on the
    // pod's loopback only, after a few known lines on stdout and stderr.
    ids.previous = await run('main-0', 'echo previous run; exit 1', { wait: true });
    ids.main = await run('main-1', 'echo line 1; echo line 2; sleep 0.2; echo err 3 >&2; sleep 0.2; echo line 4; mkdir -p /www; echo hello-from-httpd > /www/index.html; exec httpd -f -p 127.0.0.1:8080 -h /www');
    kubelet = await startKubeletServer({
      address: '127.0.0.1',
      port: 0,
      docker,
      findContainer: async (_ns, pod, container, previous) => (pod !== POD ? undefined : previous ? (container === 'main' ? ids.previous : undefined) : ids[container]),
      findSandbox: async (_ns, pod) => (pod === POD ? ids.main : undefined),
      stats: async () => ({ node: { nodeName: 'kapi-node' }, pods: [] }),
      log: pino({ level: process.env.KAPI_LOG ?? 'warn' }),
      serving: {
        cert: readFileSync(serving.cert),
        key: readFileSync(serving.key),
        auth: { authenticator: new KubeletAuthenticator({ clientCertificates: false, tokenCacheTTLMs: 0, anonymous: true }), authorizer: alwaysAllow, nodeName: 'kapi-node' },
      },
    });
    api = await startApiserver(['--kubelet-certificate-authority', serving.cert]);
    kubectl = new Kubectl(api.url);
    const client = new Client(api.url);
    await client.create(R.nodes, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'kapi-node' },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'kapi-node' }],
        daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    } as never);
    await client.create(R.pods, NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: POD, namespace: NS },
      spec: { nodeName: 'kapi-node', containers: [{ name: 'main', image: IMAGE }, { name: 'ticker', image: IMAGE }] },
    } as never);
    await client.patch(R.pods, NS, POD, { status: { phase: 'Running', podIP: '127.0.0.1' } }, 'merge', 'status');
    // The last log line is written just before httpd starts.
    for (let i = 0; i < 100 && !(await containerLogs(docker, ids.main!)).includes('line 4'); i++) await sleep(50);
  });

  afterAll(async () => {
    const left = await docker.listContainers({ all: true, filters: { label: [`skiff.test=${LABEL['skiff.test']}`] } });
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    await kubelet?.close();
    await api?.cleanup();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('kubectl logs, with --tail, --timestamps and --previous', async () => {
    expect(await kubectl.ok(['logs', POD, '-c', 'main'])).toBe('line 1\nline 2\nerr 3\nline 4\n');
    expect(await kubectl.ok(['logs', POD, '-c', 'main', '--tail=2'])).toBe('err 3\nline 4\n');
    const ts = await kubectl.ok(['logs', POD, '-c', 'main', '--timestamps', '--tail=1']);
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 4\n$/);
    expect(await kubectl.ok(['logs', POD, '-c', 'main', '--previous'])).toBe('previous run\n');
    const noPrevious = await kubectl.run(['logs', POD, '-c', 'ticker', '--previous']);
    expect(noPrevious.code).not.toBe(0);
    expect(noPrevious.stderr).toContain('previous terminated container "ticker" in pod "kapi" not found');
  });

  it('kubectl logs without -c takes the first container (kubectl chooses), the API names the choices', async () => {
    const r = await kubectl.run(['logs', POD]);
    // kubectl picks the first container itself (with a notice), as it does on Kubernetes.
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('line 1');
    const raw = await httpGet(`${api.url}/api/v1/namespaces/${NS}/pods/${POD}/log`);
    expect(raw.code).toBe(400);
    expect(JSON.parse(raw.body).message).toBe('a container name must be specified for pod kapi, choose one of: [main ticker]');
  });

  it('kubectl logs -f streams until the container exits', async () => {
    ids.ticker = await run('ticker', 'for i in 1 2 3; do echo tick $i; sleep 1; done');
    const started = Date.now();
    const out = await kubectl.ok(['logs', '-f', POD, '-c', 'ticker'], { timeoutMs: 30_000 });
    expect(out).toBe('tick 1\ntick 2\ntick 3\n');
    expect(Date.now() - started).toBeGreaterThan(1500); // it followed, it did not just read
  });

  it('kubectl exec: output, stderr, exit code', async () => {
    expect(await kubectl.ok(['exec', POD, '-c', 'main', '--', 'echo', 'hi'])).toBe('hi\n');
    const r = await kubectl.run(['exec', POD, '-c', 'main', '--', 'sh', '-c', 'echo out; echo oops >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('oops\n');
    expect(r.stderr).toContain('command terminated with exit code 3');
  });

  it('kubectl exec -i passes stdin and its end', async () => {
    const input = 'first line\nsecond line\n' + 'x'.repeat(200_000) + '\n';
    const out = await kubectl.ok(['exec', '-i', POD, '-c', 'main', '--', 'cat'], { stdin: input });
    expect(out).toBe(input);
    expect(await kubectl.ok(['exec', '-i', POD, '-c', 'main', '--', 'wc', '-l'], { stdin: 'a\nb\nc\n' })).toMatch(/^\s*3\n$/);
  });

  it('kubectl exec -it runs under a TTY of the terminal size', async () => {
    // kubectl allocates a TTY only when its own stdin is a terminal: run it under script(1).
    // The size reaches the TTY just after the process starts (as with docker exec -it): poll.
    const out = await underPty(`kubectl --kubeconfig ${kubectl.kubeconfig} --cache-dir ${kubectl.cacheDir} exec -it ${POD} -c main -- sh -c 'tty; for i in 1 2 3 4 5 6 7 8 9 10; do s=$(stty size 2>/dev/null); [ -n "$s" ] && break; sleep 0.2; done; echo "$s"'`, 'stty cols 101 rows 33; ');
    expect(out).toMatch(/\/dev\/pts\/\d+/);
    expect(out).toMatch(/33 101/);
  });


  it('errors come back as Kubernetes words', async () => {
    const r = await kubectl.run(['exec', POD, '-c', 'nope', '--', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('container nope is not valid for pod kapi');
    const missing = await kubectl.run(['logs', 'no-such-pod']);
    expect(missing.stderr).toContain('pods "no-such-pod" not found');
  });

  it('healthz and stats/summary on the kubelet, over HTTPS only', async () => {
    const ca = readFileSync(serving.cert);
    expect(await httpGet(`https://127.0.0.1:${kubelet.port}/healthz`, ca)).toEqual({ code: 200, body: 'ok' });
    const s = await httpGet(`https://127.0.0.1:${kubelet.port}/stats/summary`, ca);
    expect(JSON.parse(s.body)).toEqual({ node: { nodeName: 'kapi-node' }, pods: [] });
    await expect(httpGet(`http://127.0.0.1:${kubelet.port}/healthz`)).rejects.toThrow();
  });

  it.each([
    ['SPDY inside a WebSocket', 'true'],
    ['the raw SPDY/3.1 upgrade', 'false'],
  ])('kubectl port-forward reaches a server on the pod loopback (%s)', async (_how, websockets) => {
    const local = await freePort();
    const pf = spawn('kubectl', ['--kubeconfig', kubectl.kubeconfig, '--cache-dir', kubectl.cacheDir, 'port-forward', '--address', '127.0.0.1', `pod/${POD}`, `${local}:8080`], {
      env: { ...process.env, HOME: kubectl.dir, KUBECTL_PORT_FORWARD_WEBSOCKETS: websockets },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    pf.stdout.on('data', (d) => (out += d));
    pf.stderr.on('data', (d) => (out += d));
    try {
      for (let i = 0; i < 200 && !out.includes('Forwarding from'); i++) await sleep(50);
      expect(out).toContain(`Forwarding from 127.0.0.1:${local} -> 8080`);
      for (let i = 0; i < 3; i++) {
        const r = await httpGet(`http://127.0.0.1:${local}/index.html`).catch((err: Error) => {
          throw new Error(`${err.message}; kubectl port-forward said: ${out}`);
        });
        expect(r).toEqual({ code: 200, body: 'hello-from-httpd\n' });
      }
    } finally {
      pf.kill('SIGTERM');
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function containerLogs(docker: Docker, id: string): Promise<string> {
  const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true })) as unknown as Buffer;
  return buf.toString('latin1');
}

/** GET over http, or https verifying the kubelet's certificate (it carries its own CA). */
function httpGet(url: string, ca?: Buffer): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const send = secure ? httpsRequest : request;
    const req = send(url, { agent: false, ...(secure ? { ca } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** Runs a shell command under a pseudo-terminal (util-linux script) and returns what it printed. */
function underPty(cmd: string, setup: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('script', ['-qec', `${setup}${cmd}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`timeout: ${out}`));
    }, 30_000);
    p.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
