// `skiff up` / `skiff status` / `skiff down` as a user meets them: a one-node cluster from
// one command, used through the kubeconfig it writes, brought up again harmlessly, taken
// down with nothing left on the host, and brought back with its objects.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, freePort } from '../support/apiserver.js';
import { until } from '../support/until.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'skiff-up-'));
const NODE = 'up-e2e-node';
let port = 0;

async function skiff(args: string[], timeoutMs = 300_000): Promise<{ code: number; out: string }> {
  try {
    const r = await exec(process.execPath, [CLI, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

async function kubectl(args: string[]): Promise<string> {
  const r = await exec('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { timeout: 120_000, env: { ...process.env, HOME: dir } });
  return r.stdout;
}

const untilUp = <T>(what: string, fn: () => Promise<T | undefined | false>) => until(what, fn, 120_000, () => '', 300);

const up = () => skiff(['up', '--data-dir', dir, '--apiserver-port', String(port), '--node-name', NODE]);

describe('skiff up, status, down', () => {
  afterAll(async () => {
    await skiff(['down', '--data-dir', dir, '--node-name', NODE, '--purge']);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('brings up a one-node cluster, step by step, and says how to use it', async () => {
    port = await freePort();
    const r = await up();
    expect(r.code, r.out).toBe(0);
    for (const step of ['deploy/docker.sh', 'build-images.sh', 'apiserver', 'kubelet', `node ${NODE} Ready`]) expect(r.out).toContain(step);
    expect(r.out).toMatch(/==> \[\s*[\d.]+s\] apiserver … done \([\d.]+ s\)/);
    expect(r.out).toContain(`export KUBECONFIG=${join(dir, 'kubeconfig')}`);
    expect(await kubectl(['get', 'nodes'])).toMatch(new RegExp(`${NODE}\\s+Ready`));
    const status = await skiff(['status', '--data-dir', dir, '--apiserver-port', String(port)]);
    expect(status.code, status.out).toBe(0);
    for (const c of ['apiserver', 'controller-manager', 'scheduler', 'dns', 'kube-proxy', 'kubelet']) expect(status.out).toMatch(new RegExp(`^${c}\\s+\\d+\\s+running`, 'm'));
    expect(status.out).toMatch(new RegExp(`${NODE}\\s+True`));
  }, 300_000);

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
    const st = await skiff(['status', '--data-dir', dir, '--apiserver-port', String(port)]);
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
