// The stock kubectl reaching real containers through the apiserver and the real kubelet:
// logs, logs --previous and exec with its exit code. Real Docker; isolated by a unique
// node name (a label on every container) and namespace; traffic stays on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_LABEL } from '../../kubelet/container-spec.js';
import { cleanupNodeNetwork } from '../../deploy/cluster/host.js';
import { DockerRuntime } from '../../kubelet/runtime/docker.js';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import { CLI, startApiserver, type ApiserverProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const suffix = `${process.pid}-${Date.now().toString(36)}`;
const NODE = `e2e-kubectl-${suffix}`;
const NS = `kubectl-pods-${suffix}`;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('kubectl logs and exec against real containers', () => {
  let api: ApiserverProcess;
  let client: Client;
  let k: Kubectl;
  let kubelet: ChildProcess;
  let out = '';
  const rootDir = mkdtempSync(join(tmpdir(), 'skiff-kubelet-'));
  const docker = new DockerRuntime();

  beforeAll(async () => {
    api = await startApiserver();
    client = new Client(api.url);
    k = new Kubectl(api.url);
    await client.create(R.namespaces, undefined, { metadata: { name: NS } });
    kubelet = spawn(process.execPath, [CLI, 'kubelet', '--server', api.url, '--hostname-override', NODE, '--root-dir', rootDir, '--node-ip', '127.0.0.1', '--port', '0', '--crash-loop-backoff-base', '1', '--pod-cidr', '10.244.0.0/24'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    kubelet.stdout!.on('data', (d) => (out += d));
    kubelet.stderr!.on('data', (d) => (out += d));
    const node = await until('the node with its kubelet port', async () => {
      const n = await client.get(R.nodes, undefined, NODE);
      return n.status?.daemonEndpoints?.kubeletEndpoint?.Port ? n : undefined;
    });
    expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBeGreaterThan(0);
  });
  afterAll(async () => {
    kubelet?.kill('SIGKILL');
    for (const c of await docker.list({ [NODE_LABEL]: NODE })) await docker.remove(c.id);
    await cleanupNodeNetwork();
    await api?.cleanup();
    rmSync(rootDir, { recursive: true, force: true });
  });

  it('shows logs, previous logs, and runs exec with the exit code', async () => {
    await client.create(R.pods, NS, {
      metadata: { name: 'talker' },
      spec: {
        nodeName: NODE,
        restartPolicy: 'Always',
        containers: [
          { name: 'main', image: 'skiff/busybox:1.35', command: ['sh', '-c', 'echo "run $(cat /proc/uptime | cut -d. -f1)"; echo hello-from-pod; sleep 3600'] },
          { name: 'crasher', image: 'skiff/busybox:1.35', command: ['sh', '-c', 'echo crash-run; exit 1'] },
        ],
      },
    });
    await until('main running', async () => {
      const p = await client.get(R.pods, NS, 'talker');
      return p.status?.containerStatuses?.find((c: any) => c.name === 'main')?.state?.running ? p : undefined;
    });
    const logs = await until('logs', async () => {
      const r = await k.run(['logs', 'talker', '-c', 'main', '-n', NS]);
      return r.code === 0 && r.stdout.includes('hello-from-pod') ? r.stdout : undefined;
    });
    expect(logs).toContain('hello-from-pod');

    // The crashing container has restarted at least once: its previous run's output is there.
    await until('a restart of crasher', async () => {
      const p = await client.get(R.pods, NS, 'talker');
      return (p.status?.containerStatuses?.find((c: any) => c.name === 'crasher')?.restartCount ?? 0) >= 1 ? p : undefined;
    });
    const previous = await k.run(['logs', 'talker', '-c', 'crasher', '-n', NS, '--previous']);
    expect(previous.stdout).toContain('crash-run');

    expect((await k.ok(['exec', 'talker', '-c', 'main', '-n', NS, '--', 'echo', 'hi'])).trim()).toBe('hi');
    const failed = await k.run(['exec', 'talker', '-c', 'main', '-n', NS, '--', 'sh', '-c', 'exit 3']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('command terminated with exit code 3');
  });
});
