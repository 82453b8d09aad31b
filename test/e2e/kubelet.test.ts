// The Docker-backed kubelet end to end: a real apiserver, a real `skiff kubelet` process and
// the real Docker engine (images built by deploy/build-images.sh). Isolated by a unique node
// name (every container carries it as a label) and namespace; afterAll removes every
// container of the node. Traffic goes only to 127.0.0.1 inside the pods themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { LABELS, type ContainerStatus, type RuntimeEvent } from '../../kubelet/runtime/runtime.js';
import { containerStatus, KubeletHarness } from '../support/kubelet.js';

const h = new KubeletHarness('kubelet');
const NODE = h.node;
const NS = h.ns;
const docker = h.docker;
const BUSYBOX = 'skiff/busybox:1.35';
const HELLO = 'skiff/hello-node:1.0';
const { until, pod, getPod, containersOf, runningPod } = h;
let client: Client;

beforeAll(async () => {
  await h.setup();
  client = h.client;
});

afterAll(async () => {
  await h.teardown();
});

async function logsOf(id: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of await docker.logs(id)) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString();
}

describe('the Docker-backed kubelet', () => {
  it('registers its Node with capacity, addresses, nodeInfo, conditions and a Lease', async () => {
    const n = await client.get(R.nodes, undefined, NODE);
    expect(Number(n.status.capacity.cpu)).toBeGreaterThan(0);
    expect(n.status.capacity.pods).toBe('110');
    expect(n.status.capacity.memory).toMatch(/^\d+Ki$/);
    expect(n.status.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: NODE },
    ]);
    expect(n.status.nodeInfo.containerRuntimeVersion).toMatch(/^docker:\/\/\d+/);
    expect(n.status.conditions.map((c: { type: string }) => c.type).sort()).toEqual(['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready']);
    // The Lease is written right after the Node registers: wait for it rather than race it.
    const lease = await until('the node Lease', () => client.get(R.leases, 'kube-node-lease', NODE));
    expect(lease.spec.holderIdentity).toBe(NODE);
  });

  it('runs a pod: Running/Ready with a podIP, and a sidecar reaches the server on 127.0.0.1; init container first', async () => {
    await client.create(
      R.pods,
      NS,
      pod('web', {
        volumes: [{ name: 'www', emptyDir: {} }],
        // The WAR-copy pattern: the init container writes a page into the shared emptyDir.
        initContainers: [{ name: 'init', image: BUSYBOX, command: ['sh', '-c', 'echo Hello from init > /www/index.html; sleep 1'], volumeMounts: [{ name: 'www', mountPath: '/www' }] }],
        containers: [
          { name: 'server', image: HELLO, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], volumeMounts: [{ name: 'www', mountPath: '/www' }] },
          { name: 'sidecar', image: BUSYBOX, command: ['sh', '-c', 'until wget -qO- http://127.0.0.1:8080/; do sleep 0.2; done; echo; sleep 3600'] },
        ],
      }),
    );
    const p = await runningPod('web');
    expect(p.status.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(p.status.hostIP).toBe('127.0.0.1');
    expect(p.status.startTime).toBeTruthy();
    const types = p.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`);
    expect(types).toEqual(expect.arrayContaining(['PodScheduled=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True']));
    const server = containerStatus(p, 'server');
    expect(server.state.running.startedAt).toBeTruthy();
    expect(server.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
    expect(server.imageID).toContain('sha256:');
    const init = p.status.initContainerStatuses[0];
    expect(init.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    // The init container finished before any app container started.
    for (const c of p.status.containerStatuses) expect(Date.parse(c.state.running.startedAt)).toBeGreaterThanOrEqual(Date.parse(init.state.terminated.finishedAt));
    const cs = await containersOf('web');
    expect(cs.filter((c) => c.labels[LABELS.containerName] === 'POD')).toHaveLength(1);
    const sandbox = cs.find((c) => c.labels[LABELS.containerName] === 'POD')!;
    expect((await docker.inspect(sandbox.id)).ipAddress).toBe(p.status.podIP);
    const sidecar = cs.find((c) => c.labels[LABELS.containerName] === 'sidecar')!;
    await until('sidecar got the page from the emptyDir', async () => (await logsOf(sidecar.id)).includes('Hello from init'));
  });

  it('backs off a crashing container: CrashLoopBackOff with rising restartCount and growing gaps', async () => {
    const abort = new AbortController();
    const starts: number[] = [];
    const watching = (async () => {
      for await (const ev of docker.events({ signal: abort.signal })) {
        if (ev.action === 'start' && ev.labels[LABELS.podName] === 'crash' && ev.labels[LABELS.containerName] === 'c') starts.push(ev.time.getTime());
      }
    })().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    await client.create(R.pods, NS, pod('crash', { containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', 'exit 1'] }] }));
    const p = await until('restartCount >= 4 in CrashLoopBackOff', async () => {
      const p = await getPod('crash');
      const s = containerStatus(p, 'c');
      return s?.restartCount >= 4 && s.state.waiting?.reason === 'CrashLoopBackOff' && p;
    }, 60_000);
    abort.abort();
    await watching;
    // Restarts back off 0, 1 s, 2 s, 4 s (base 1 s): each gap is longer than the one before.
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps.length).toBeGreaterThanOrEqual(4);
    expect(gaps[1]!).toBeGreaterThanOrEqual(900);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]! + 500);
    expect(gaps[3]!).toBeGreaterThan(gaps[2]! + 1000);
    const s = containerStatus(p, 'c');
    expect(s.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(s.state.waiting.message).toMatch(/^back-off \d+(\.\d+)?s restarting failed container=c pod=crash_/);
    expect(p.status.phase).toBe('Running');
    const cs = (await containersOf('crash')).filter((c) => c.labels[LABELS.containerName] === 'c');
    expect(cs.length).toBeLessThanOrEqual(2); // older dead instances are collected, one kept for --previous
  });

  it('reports a missing image as ErrImagePull then ImagePullBackOff while another pod runs', async () => {
    // Every status the kubelet writes, through a watch: ErrImagePull may last only a moment.
    const seen = new Set<string>();
    const abort = new AbortController();
    const from = (await client.list(R.pods, NS)).metadata.resourceVersion;
    const watching = (async () => {
      for await (const e of client.watch(R.pods, NS, { resourceVersion: from, fieldSelector: 'metadata.name=noimage' }, abort.signal)) {
        const r = containerStatus(e.object, 'x')?.state?.waiting?.reason;
        if (r) seen.add(r);
      }
    })().catch(() => undefined);
    await client.create(R.pods, NS, pod('noimage', { containers: [{ name: 'x', image: 'skiff/does-not-exist:0.1' }] }));
    await until('ImagePullBackOff', async () => seen.has('ImagePullBackOff'));
    abort.abort();
    await watching;
    expect([...seen]).toContain('ErrImagePull');
    const s = containerStatus(await getPod('noimage'), 'x');
    expect(s.state.waiting.message).toContain('skiff/does-not-exist:0.1');
    expect((await getPod('noimage')).status.phase).toBe('Pending');
    expect((await getPod('web')).status.phase).toBe('Running');
  });

  it('passes resource limits to Docker and reports an OOMKilled container', async () => {
    await client.create(
      R.pods,
      NS,
      pod('limits', {
        restartPolicy: 'Never',
        containers: [
          { name: 'capped', image: BUSYBOX, command: ['sleep', '3600'], resources: { limits: { cpu: '250m', memory: '32Mi' } } },
          { name: 'hog', image: BUSYBOX, command: ['sh', '-c', 'sleep 1; tail /dev/zero'], resources: { limits: { memory: '16Mi' } } },
        ],
      }),
    );
    const p = await until('hog OOMKilled', async () => {
      const p = await getPod('limits');
      return containerStatus(p, 'hog')?.state.terminated?.reason === 'OOMKilled' && p;
    }, 60_000);
    expect(containerStatus(p, 'hog').state.terminated.exitCode).toBe(137);
    const capped = (await containersOf('limits')).find((c) => c.labels[LABELS.containerName] === 'capped')!;
    expect(capped.resources).toMatchObject({ cpuQuota: 25_000, cpuPeriod: 100_000, memoryLimit: 32 * 1024 * 1024 });
  });

  it('survives kill -9: the restarted kubelet adopts 10 running pods (same IDs and restart counts)', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `steady-${i}`);
    for (const n of names) await client.create(R.pods, NS, pod(n, { containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }] }));
    for (const n of names) await runningPod(n);
    const snapshot = async () => {
      const out: Record<string, string> = {};
      for (const n of names) for (const c of await containersOf(n)) out[c.id] = `${n}/${c.labels[LABELS.containerName]}/${c.labels[LABELS.restartCount] ?? '-'}/${c.state}`;
      return out;
    };
    const before = await snapshot();
    const restarts = await Promise.all(names.map(async (n) => containerStatus(await getPod(n), 'c').restartCount));
    await h.kill9();
    h.startKubelet();
    await until('restarted kubelet started', async () => h.output().includes('kubelet started'));
    // A full resync (sync-frequency 5 s) and its housekeeping have run.
    await new Promise((r) => setTimeout(r, 6000));
    expect(await snapshot()).toEqual(before);
    for (const [i, n] of names.entries()) expect(containerStatus(await getPod(n), 'c').restartCount).toBe(restarts[i]);
  });

  it('deletes a pod: SIGTERM reaches the process within the grace period, nothing is left in Docker', async () => {
    await client.create(
      R.pods,
      NS,
      pod('term', { containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', "trap 'echo got TERM; exit 42' TERM; while true; do sleep 0.2; done"] }] }),
    );
    await runningPod('term');
    const id = (await containersOf('term')).find((c) => c.labels[LABELS.containerName] === 'c')!.id;
    const abort = new AbortController();
    const dies: RuntimeEvent[] = [];
    const watching = (async () => {
      for await (const ev of docker.events({ signal: abort.signal })) if (ev.id === id && ev.action === 'die') dies.push(ev);
    })().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    await client.delete(R.pods, NS, 'term', { gracePeriodSeconds: 10 });
    await until('pod gone from the apiserver', async () => getPod('term').then(() => false, () => true));
    abort.abort();
    await watching;
    expect(dies.map((e) => e.exitCode)).toEqual([42]); // the trap ran: SIGTERM, not SIGKILL (137)
    expect(await containersOf('term')).toEqual([] as ContainerStatus[]);
  });
});
