// `skiff up` / `skiff status` / `skiff down` as a user meets them: a one-node cluster from
// one command, secure by default (HTTPS only, an identity per component, a locked-down
// kubelet), used through the kubeconfig it writes, brought up again harmlessly, taken down
// with nothing left on the host, and brought back with its objects.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../support/apiserver.js';
import { until } from '../support/until.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'skiff-up-'));
const NODE = 'up-e2e-node';

async function skiff(args: string[], timeoutMs = 300_000): Promise<{ code: number; out: string }> {
  try {
    const r = await exec(process.execPath, [CLI, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

async function kubectl(args: string[], kubeconfig = join(dir, 'kubeconfig')): Promise<string> {
  const r = await exec('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 120_000, env: { ...process.env, HOME: dir } });
  return r.stdout;
}

/** A GET with no credentials, trusting the cluster CA: the status code and body. */
function anonymous(url: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: readFileSync(join(dir, 'pki', 'ca.crt')), rejectUnauthorized: !url.includes(':10250'), timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

const untilUp = <T>(what: string, fn: () => Promise<T | undefined | false>) => until(what, fn, 120_000, () => '', 300);

const up = () => skiff(['up', '--data-dir', dir, '--node-name', NODE]);

describe('skiff up, status, down', () => {
  afterAll(async () => {
    await skiff(['down', '--data-dir', dir, '--node-name', NODE, '--purge']);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('brings up a one-node cluster, step by step, and says how to use it', async () => {
    const r = await up();
    expect(r.code, r.out).toBe(0);
    for (const step of ['deploy/docker.sh', 'build-images.sh', 'apiserver', 'kubelet', `node ${NODE} Ready`]) expect(r.out).toContain(step);
    expect(r.out).toMatch(/==> \[\s*[\d.]+s\] apiserver … done \([\d.]+ s\)/);
    expect(r.out).toContain(`export KUBECONFIG=${join(dir, 'kubeconfig')}`);
    expect(await kubectl(['get', 'nodes'])).toMatch(new RegExp(`${NODE}\\s+Ready`));
    const status = await skiff(['status', '--data-dir', dir]);
    expect(status.code, status.out).toBe(0);
    for (const c of ['apiserver', 'controller-manager', 'scheduler', 'dns', 'kube-proxy', 'kubelet']) expect(status.out).toMatch(new RegExp(`^${c}\\s+\\d+\\s+running`, 'm'));
    expect(status.out).toMatch(new RegExp(`${NODE}\\s+True`));
  }, 300_000);

  it('is secure by default: HTTPS only, 401 for anonymous callers, an identity per component, a locked-down kubelet', async () => {
    expect(await anonymous('https://10.250.0.1:6443/healthz')).toEqual({ code: 200, body: 'ok' });
    expect((await anonymous('https://10.250.0.1:6443/version')).code).toBe(200);
    const api = await anonymous('https://10.250.0.1:6443/api/v1/namespaces/default/pods');
    expect(api.code).toBe(401);
    expect(JSON.parse(api.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    // No plain port: the apiserver listens on 6443 alone.
    const pid = readFileSync(join(dir, 'run', 'apiserver.pid'), 'utf8').trim();
    const listening = (await exec('ss', ['-Hltnp'])).stdout.split('\n').filter((l) => l.includes(`pid=${pid},`));
    expect(listening.map((l) => l.trim().split(/\s+/)[3])).toEqual(['10.250.0.1:6443']);
    // Each component is itself, with what its role grants and no more.
    const conf = (c: string) => join(dir, 'kubeconfigs', `${c}.conf`);
    expect((await kubectl(['auth', 'can-i', 'create', 'pods', '--subresource=binding'], conf('scheduler'))).trim()).toBe('yes');
    await expect(kubectl(['auth', 'can-i', 'delete', 'nodes'], conf('scheduler'))).rejects.toMatchObject({ stdout: 'no\n' });
    await expect(kubectl(['auth', 'can-i', 'create', 'deployments'], conf('kube-proxy'))).rejects.toMatchObject({ stdout: 'no\n' });
    expect((await kubectl(['auth', 'can-i', 'list', 'endpoints'], conf('kube-proxy'))).trim()).toBe('yes');
    expect((await kubectl(['auth', 'can-i', 'create', 'replicasets'], conf('controller-manager'))).trim()).toBe('yes');
    // The kubelet's API answers only callers with credentials.
    const port = Number(await kubectl(['get', 'node', NODE, '-o', 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}']));
    expect((await anonymous(`https://10.250.0.1:${port}/stats/summary`)).code).toBe(401);
    expect((await anonymous(`https://10.250.0.1:${port}/containerLogs/kube-system/any/any`)).code).toBe(401);
  }, 120_000);

  it('runs hello-node behind a NodePort Service', async () => {
    await kubectl(['create', 'deployment', 'hello-node', '--image=skiff/hello-node:1.0', '--port=8080']);
    await kubectl(['expose', 'deployment', 'hello-node', '--type=NodePort', '--port=8080']);
    const nodePort = Number(await kubectl(['get', 'svc', 'hello-node', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const body = await untilUp('Hello World! on the NodePort', async () => {
      const r = await fetch(`http://127.0.0.1:${nodePort}/`, { signal: AbortSignal.timeout(2000) });
      return r.ok ? (await r.text()).trim() : undefined;
    });
    expect(body).toMatch(/^Hello World! from hello-node-/);
  }, 180_000);

  it('a pod lists pods with its mounted ServiceAccount token and CA once a Role allows it, and gets 403 before', async () => {
    await kubectl(['create', 'namespace', 'sa-e2e']);
    await kubectl(['-n', 'sa-e2e', 'create', 'serviceaccount', 'lister']);
    await kubectl(['-n', 'sa-e2e', 'run', 'probe', '--image=skiff/node:20', '--overrides={"spec":{"serviceAccountName":"lister","terminationGracePeriodSeconds":1}}', '--command', '--', 'sleep', '3600']);
    await kubectl(['-n', 'sa-e2e', 'wait', '--for=condition=Ready', 'pod/probe', '--timeout=120s']);
    // Inside the pod, as client libraries do: the kubernetes Service, the mounted token and CA.
    const script = [
      "const fs = require('fs'), https = require('https'); const d = '/var/run/secrets/kubernetes.io/serviceaccount/';",
      "const ns = fs.readFileSync(d + 'namespace', 'utf8');",
      "https.get({ host: 'kubernetes.default.svc', path: '/api/v1/namespaces/' + ns + '/pods', ca: fs.readFileSync(d + 'ca.crt'),",
      "  headers: { authorization: 'Bearer ' + fs.readFileSync(d + 'token', 'utf8') } }, (r) => { let b = ''; r.on('data', (c) => (b += c));",
      "  r.on('end', () => { const j = JSON.parse(b); console.log(r.statusCode, j.items ? j.items.map((p) => p.metadata.name).join(',') : j.message); }); })",
      "  .on('error', (e) => console.log('ERR', e.message));",
    ].join('\n');
    const list = async () => (await kubectl(['-n', 'sa-e2e', 'exec', 'probe', '--', 'node', '-e', script])).trim();
    expect(await list()).toBe('403 pods is forbidden: User "system:serviceaccount:sa-e2e:lister" cannot list resource "pods" in API group "" in the namespace "sa-e2e"');
    await kubectl(['-n', 'sa-e2e', 'create', 'role', 'pod-lister', '--verb=list', '--resource=pods']);
    await kubectl(['-n', 'sa-e2e', 'create', 'rolebinding', 'lister', '--role=pod-lister', '--serviceaccount=sa-e2e:lister']);
    expect(await list()).toBe('200 probe');
    await kubectl(['delete', 'namespace', 'sa-e2e', '--wait=false']);
  }, 180_000);

  it('is harmless when run again: the running components are kept', async () => {
    const r = await up();
    expect(r.code, r.out).toBe(0);
    expect(r.out.match(/already running, pid \d+/g)).toHaveLength(6);
    expect(r.out).toContain('warm: it was running');
  }, 120_000);

  it('goes down leaving nothing on the host, and comes back with every object', async () => {
    await kubectl(['create', 'configmap', 'keep-me', '--from-literal=a=1']);
    const d = await skiff(['down', '--data-dir', dir, '--node-name', NODE]);
    expect(d.code, d.out).toBe(0);
    const st = await skiff(['status', '--data-dir', dir]);
    expect(st.out).toMatch(/^apiserver\s+-\s+stopped/m);
    expect((await exec('iptables-save', [])).stdout).not.toMatch(/SKIFF/);
    expect((await exec('ip', ['route'])).stdout).not.toMatch(/10\.(96|244)\./);
    expect((await exec('ip', ['-o', 'link'])).stdout).not.toMatch(/skiff-br0|skiff-svc0|skiff0/);
    expect((await exec('docker', ['ps', '-aq', '--filter', `label=skiff.node.name=${NODE}`])).stdout.trim()).toBe('');

    const r = await up();
    expect(r.code, r.out).toBe(0);
    expect(await kubectl(['get', 'configmap', 'keep-me', '-o', 'jsonpath={.data.a}'])).toBe('1');
    const nodePort = Number(await kubectl(['get', 'svc', 'hello-node', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const body = await untilUp('hello-node converged again', async () => {
      const res = await fetch(`http://127.0.0.1:${nodePort}/`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? (await res.text()).trim() : undefined;
    });
    expect(body).toMatch(/^Hello World! from hello-node-/);
  }, 300_000);
});
