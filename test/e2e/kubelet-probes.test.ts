// Probes end to end: a real apiserver, a real `skiff kubelet` process and the real Docker
// engine. Exec probes only (traffic stays inside the pods): a failing readiness probe flips
// the pod's Ready and ContainersReady to False without a restart; a failing liveness probe
// kills the container and the restart policy starts it again. Isolated by a unique node name
// and namespace; afterAll removes every container of the node.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { NODE_LABEL } from '../../kubelet/container-spec.js';
import { DockerRuntime } from '../../kubelet/runtime/docker.js';
import { dockerOptions } from '../../kubelet/runtime/docker-convert.js';
import { LABELS } from '../../kubelet/runtime/runtime.js';
import { CLI, startApiserver, type ApiserverProcess } from '../support/apiserver.js';

const suffix = `${process.pid}-${Date.now().toString(36)}`;
const NODE = `e2e-probes-${suffix}`;
const NS = `probes-${suffix}`;
const BUSYBOX = 'skiff/busybox:1.35';

let api: ApiserverProcess;
let client: Client;
let kubelet: ChildProcess;
let kubeletOut = '';
const rootDir = mkdtempSync(join(tmpdir(), 'skiff-kubelet-probes-'));
const docker = new DockerRuntime();

function startKubelet(): ChildProcess {
  const args = [CLI, 'kubelet', '--server', api.url, '--hostname-override', NODE, '--root-dir', rootDir, '--node-ip', '127.0.0.1', '--port', '0'];
  args.push('--crash-loop-backoff-base', '1', '--sync-frequency', '5', '--v', 'info');
  const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout!.on('data', (d) => (kubeletOut += d));
  p.stderr!.on('data', (d) => (kubeletOut += d));
  return p;
}

async function kill9(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n--- kubelet output (tail) ---\n${kubeletOut.slice(-4000)}`);
}

function pod(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 5, ...spec } };
}

const getPod = (name: string) => client.get(R.pods, NS, name);
const containersOf = (name: string) => docker.list({ [NODE_LABEL]: NODE, [LABELS.podNamespace]: NS, [LABELS.podName]: name });
const containerStatus = (p: KubeObject, c: string) => (p.status?.containerStatuses ?? []).find((s: { name: string }) => s.name === c);

async function runningPod(name: string): Promise<KubeObject> {
  return until(`pod ${name} Running and Ready`, async () => {
    const p = await getPod(name);
    return p.status?.phase === 'Running' && condition(p, 'Ready') === 'True' && p;
  });
}

const condition = (p: KubeObject, type: string) => (p.status?.conditions ?? []).find((c: { type: string }) => c.type === type)?.status;

/** Runs a command in the pod's container `c` (inside the pod: no traffic leaves it). */
async function execIn(podName: string, c: string, cmd: string[]): Promise<void> {
  const id = (await containersOf(podName)).find((x) => x.labels[LABELS.containerName] === c && x.state === 'running')!.id;
  const exec = await new Docker(dockerOptions(docker.host)).getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve, reject) => {
    stream.on('data', () => undefined);
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  expect((await exec.inspect()).ExitCode).toBe(0);
}

async function eventsOf(name: string): Promise<KubeObject[]> {
  return (await client.list(R.events, NS)).items.filter((e: KubeObject) => e.involvedObject?.name === name);
}

beforeAll(async () => {
  api = await startApiserver();
  client = new Client(api.url, 'e2e-kubelet-probes');
  await client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  kubelet = startKubelet();
  await until('node registered and Ready', async () => {
    const n = await client.get(R.nodes, undefined, NODE);
    return (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
  });
});

afterAll(async () => {
  if (kubelet) await kill9(kubelet);
  for (const c of await docker.list({ [NODE_LABEL]: NODE })) await docker.remove(c.id);
  await api?.cleanup();
  rmSync(rootDir, { recursive: true, force: true });
});

describe('the kubelet runs probes', () => {
  it('a failing readiness probe makes the pod unready without restarting it', async () => {
    await client.create(
      R.pods,
      NS,
      pod('ready', {
        containers: [
          {
            name: 'c',
            image: BUSYBOX,
            command: ['sh', '-c', 'touch /tmp/ready; exec sleep 3600'],
            readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      }),
    );
    const p = await runningPod('ready');
    expect(condition(p, 'ContainersReady')).toBe('True');
    expect(containerStatus(p, 'c')).toMatchObject({ ready: true, started: true, restartCount: 0 });
    await execIn('ready', 'c', ['rm', '/tmp/ready']);
    const unready = await until('pod Ready=False', async () => {
      const q = await getPod('ready');
      return condition(q, 'Ready') === 'False' && q;
    }, 10_000);
    expect(condition(unready, 'ContainersReady')).toBe('False');
    expect(unready.status.phase).toBe('Running');
    expect(containerStatus(unready, 'c')).toMatchObject({ ready: false, restartCount: 0 });
    expect(containerStatus(unready, 'c').state.running).toBeTruthy();
    // Ready again once the probe passes; never restarted.
    await execIn('ready', 'c', ['touch', '/tmp/ready']);
    const again = await runningPod('ready');
    expect(containerStatus(again, 'c').restartCount).toBe(0);
    expect((await eventsOf('ready')).some((e) => e.reason === 'Unhealthy' && /^Readiness probe failed/.test(e.message))).toBe(true);
  });

  it('a failing liveness probe restarts the container', async () => {
    await client.create(
      R.pods,
      NS,
      pod('live', {
        containers: [
          {
            name: 'c',
            image: BUSYBOX,
            command: ['sh', '-c', 'touch /tmp/alive; exec sleep 3600'],
            livenessProbe: { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      }),
    );
    await runningPod('live');
    await execIn('live', 'c', ['rm', '/tmp/alive']);
    const p = await until('container restarted', async () => {
      const q = await getPod('live');
      const s = containerStatus(q, 'c');
      return s?.restartCount >= 1 && s.lastState?.terminated && s.state.running && q;
    }, 30_000);
    expect(containerStatus(p, 'c').lastState.terminated.containerID).toMatch(/^docker:\/\//);
    expect(p.status.phase).toBe('Running');
    const events = await eventsOf('live');
    expect(events.some((e) => e.reason === 'Killing' && e.message === 'Container c failed liveness probe, will be restarted')).toBe(true);
    expect(events.some((e) => e.reason === 'Unhealthy' && /^Liveness probe failed/.test(e.message))).toBe(true);
    // The new container has its /tmp/alive again: it stays up.
    await runningPod('live');
  });
});
