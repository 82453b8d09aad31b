// The Docker runtime against a real Docker engine and skiff's local images. Nothing here is
// skipped: without an engine every test fails and says how to start one (the README's test
// command, bash test/run.sh, runs deploy/docker.sh and deploy/build-images.sh first).
// Network safety: the only traffic is to 127.0.0.1 inside a pod's own network namespace.
// Every container carries this run's label; afterAll removes those and nothing else.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DockerRuntime, dockerOptions } from './docker.js';
import {
  LABELS,
  isRuntimeError,
  milliCPUToQuota,
  milliCPUToShares,
  type ContainerSpec,
  type ContainerStatus,
  type RuntimeEvent,
} from './runtime.js';

const PAUSE = 'skiff/pause:3.10';
const BUSYBOX = 'skiff/busybox:1.35';
const HELLO = 'skiff/hello-node:1.0';
const RUN_LABEL = 'skiff.test.run';
const RUN = randomUUID();
const NAMESPACE = 'skiff-runtime-test';

const runtime = new DockerRuntime();
const tempDirs: string[] = [];

// Without an engine or the images every test fails with this message (none is skipped).
let unavailable: Error | undefined;
let engineUp = false;

beforeAll(async () => {
  try {
    await runtime.version();
  } catch (err) {
    unavailable = new Error(
      `No Docker engine answers at ${runtime.host}: ${(err as Error).message}\n` +
        'Start one with "bash deploy/docker.sh" and build the images with "bash deploy/build-images.sh" ' +
        '(the README\'s test command, "bash test/run.sh", runs both).',
    );
    return;
  }
  engineUp = true;
  for (const image of [PAUSE, BUSYBOX, HELLO]) {
    await runtime.ensureImage(image).catch((err: Error) => {
      unavailable ??= new Error(`image ${image} is missing (${err.message}): build it with "bash deploy/build-images.sh"`);
    });
  }
});

afterAll(async () => {
  if (engineUp) for (const c of await runtime.list({ [RUN_LABEL]: RUN })) await runtime.remove(c.id);
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

function newPod(name: string) {
  return { uid: randomUUID(), namespace: NAMESPACE, name, hostname: name, labels: { [RUN_LABEL]: RUN } };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-runtime-test-'));
  tempDirs.push(dir);
  return dir;
}

async function run(sandboxId: string, spec: Omit<ContainerSpec, 'restartCount'> & { restartCount?: number }): Promise<string> {
  const id = await runtime.createContainer(sandboxId, {
    restartCount: 0,
    ...spec,
    labels: { ...spec.labels, [RUN_LABEL]: RUN },
  });
  await runtime.start(id);
  return id;
}

/** Polls until `check` returns a value (bounded: a hang guard, not a sleep). */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exited = (id: string) =>
  waitFor<ContainerStatus>(`container ${id.slice(0, 12)} to exit`, async () => {
    const s = await runtime.inspect(id);
    return s.state === 'exited' ? s : undefined;
  });

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const logsOf = async (id: string) => text(await runtime.logs(id));

// A client in the pod's network namespace: retries while the server starts (bounded).
const fetchLocal = (port: number) => [
  'sh',
  '-c',
  `hostname; for i in $(seq 1 100); do wget -qO- http://127.0.0.1:${port}/ && exit 0; sleep 0.1; done; exit 1`,
];

describe('--docker-host', () => {
  it('parses unix socket paths and tcp://host:2375', () => {
    expect(dockerOptions('unix:///var/run/docker.sock')).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerOptions('/run/other.sock')).toEqual({ socketPath: '/run/other.sock' });
    expect(dockerOptions('tcp://127.0.0.1:2375')).toEqual({ protocol: 'http', host: '127.0.0.1', port: 2375 });
    expect(dockerOptions('tcp://[::1]')).toEqual({ protocol: 'http', host: '::1', port: 2375 });
    expect(() => dockerOptions('ssh://host')).toThrow(/unsupported Docker host/);
  });
});

describe('DockerRuntime on a real Docker engine', () => {
  beforeEach(() => {
    if (unavailable) throw unavailable;
  });

  it('reports the engine version and finds local images; a missing image is ImageNotFound, never pulled', async () => {
    expect(await runtime.version()).toMatch(/^docker:\/\/\d+\.\d+/);
    const pause = await runtime.ensureImage(PAUSE);
    expect(pause.id).toMatch(/^sha256:/);
    expect(pause.repoTags).toContain(PAUSE);
    const missing = await runtime.ensureImage('skiff/no-such-image:0').catch((err: unknown) => err);
    expect(isRuntimeError(missing, 'ImageNotFound')).toBe(true);
    expect((missing as Error).message).toMatch(/no such image/i);
  });

  describe('one pod: a sandbox, a server and a client sharing its network namespace', () => {
    const pod = newPod('web-0');
    let sandboxId = '';
    let serverId = '';
    let clientId = '';

    it('the client fetches the server page from 127.0.0.1 and sees the pod hostname', async () => {
      const www = await tempDir();
      await writeFile(join(www, 'index.html'), `page of ${pod.name}\n`);
      sandboxId = await runtime.createSandbox(pod);
      serverId = await run(sandboxId, {
        name: 'server',
        image: BUSYBOX,
        command: ['busybox', 'httpd', '-f', '-p', '8080', '-h', '/www'],
        mounts: [{ hostPath: www, containerPath: '/www', readOnly: true }],
      });
      clientId = await run(sandboxId, { name: 'client', image: BUSYBOX, command: fetchLocal(8080) });
      const client = await exited(clientId);
      const out = await logsOf(clientId);
      expect(client.exitCode, out).toBe(0);
      expect(out).toBe(`${pod.hostname}\npage of ${pod.name}\n`);
      expect((await runtime.inspect(serverId)).state).toBe('running');
      const sandbox = await runtime.inspect(sandboxId);
      expect(sandbox.state).toBe('running');
      expect(sandbox.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    });

    it('labels every container with the pod, the container name and the restart count; list finds them by pod uid', async () => {
      const found = await runtime.list({ [LABELS.podUid]: pod.uid });
      const byName = new Map(found.map((c) => [c.labels[LABELS.containerName], c]));
      expect([...byName.keys()].sort()).toEqual(['POD', 'client', 'server']);
      for (const c of found) {
        expect(c.labels).toMatchObject({
          [LABELS.podUid]: pod.uid,
          [LABELS.podNamespace]: NAMESPACE,
          [LABELS.podName]: pod.name,
          [LABELS.managed]: 'true',
          [RUN_LABEL]: RUN,
        });
      }
      const sandbox = byName.get('POD')!;
      expect(sandbox.id).toBe(sandboxId);
      expect(sandbox.image).toBe(PAUSE);
      expect(sandbox.labels[LABELS.type]).toBe('podsandbox');
      expect(sandbox.name).toBe(`k8s_POD_${pod.name}_${NAMESPACE}_${pod.uid}_0`);
      const server = byName.get('server')!;
      expect(server.labels).toMatchObject({ [LABELS.type]: 'container', [LABELS.sandboxId]: sandboxId, [LABELS.restartCount]: '0' });
      expect(server.name).toBe(`k8s_server_${pod.name}_${NAMESPACE}_${pod.uid}_0`);
      expect(server.state).toBe('running');
      expect(server.startedAt!.getTime()).toBeGreaterThan(Date.now() - 120_000);
      const client = byName.get('client')!;
      expect(client).toMatchObject({ state: 'exited', exitCode: 0, oomKilled: false });
      expect(client.finishedAt!.getTime()).toBeGreaterThanOrEqual(client.startedAt!.getTime());
      // Only this pod's containers: another pod's uid finds none of them.
      expect(await runtime.list({ [LABELS.podUid]: randomUUID() })).toEqual([]);
    });

    it('a second container of the same name and restart count is a Conflict (no duplicates after a restart)', async () => {
      const err = await runtime
        .createContainer(sandboxId, { name: 'server', image: BUSYBOX, restartCount: 0, labels: { [RUN_LABEL]: RUN } })
        .catch((e: unknown) => e);
      expect(isRuntimeError(err, 'Conflict')).toBe(true);
    });

    it('removing the pod leaves nothing of it; stop and remove of what is gone succeed', async () => {
      const all = await runtime.list({ [LABELS.podUid]: pod.uid });
      for (const c of all.filter((c) => c.id !== sandboxId)) {
        await runtime.stop(c.id, 1);
        await runtime.remove(c.id);
      }
      await runtime.stop(sandboxId, 1);
      await runtime.remove(sandboxId);
      expect(await runtime.list({ [LABELS.podUid]: pod.uid })).toEqual([]);
      await runtime.stop(serverId, 1);
      await runtime.remove(serverId);
      const gone = await runtime.inspect(serverId).catch((e: unknown) => e);
      expect(isRuntimeError(gone, 'ContainerNotFound')).toBe(true);
    });
  });

  it('skiff/hello-node answers "Hello World!" with the pod hostname on :8080', async () => {
    const pod = newPod('hello-node-1');
    const sandboxId = await runtime.createSandbox(pod);
    const serverId = await run(sandboxId, { name: 'hello', image: HELLO });
    const clientId = await run(sandboxId, { name: 'client', image: BUSYBOX, command: fetchLocal(8080) });
    const client = await exited(clientId);
    expect(client.exitCode, await logsOf(clientId)).toBe(0);
    expect(await logsOf(clientId)).toBe(`${pod.hostname}\nHello World! from ${pod.hostname}\n`);
    // busybox httpd -vv logs each request on stderr: kubectl logs shows it.
    expect(await logsOf(serverId)).toMatch(/127\.0\.0\.1.*url:\//);
  });

  it('stop sends SIGTERM first: a container trapping it writes a marker and exits 0', async () => {
    const dir = await tempDir();
    const sandboxId = await runtime.createSandbox(newPod('graceful'));
    const id = await run(sandboxId, {
      name: 'app',
      image: BUSYBOX,
      command: ['sh', '-c', 'trap "echo TERM > /m/marker; exit 0" TERM; touch /m/ready; while :; do sleep 0.1; done'],
      mounts: [{ hostPath: dir, containerPath: '/m' }],
    });
    await waitFor('the trap to be set', () => readFile(join(dir, 'ready')).then(() => true, () => undefined));
    const t0 = Date.now();
    await runtime.stop(id, 10);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await readFile(join(dir, 'marker'), 'utf8')).toBe('TERM\n');
    expect(await runtime.inspect(id)).toMatchObject({ state: 'exited', exitCode: 0, oomKilled: false });
  });

  it('stop sends SIGKILL when the grace period runs out', async () => {
    const dir = await tempDir();
    const sandboxId = await runtime.createSandbox(newPod('stubborn'));
    const id = await run(sandboxId, {
      name: 'app',
      image: BUSYBOX,
      command: ['sh', '-c', 'trap "" TERM; touch /m/ready; while :; do sleep 0.1; done'],
      mounts: [{ hostPath: dir, containerPath: '/m' }],
    });
    await waitFor('the trap to be set', () => readFile(join(dir, 'ready')).then(() => true, () => undefined));
    const t0 = Date.now();
    await runtime.stop(id, 1);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
    expect(await runtime.inspect(id)).toMatchObject({ state: 'exited', exitCode: 137 });
  });

  it('CPU quota and memory limit reach Docker; a container past its memory limit is OOMKilled', async () => {
    const sandboxId = await runtime.createSandbox(newPod('limits'));
    const limited = await run(sandboxId, {
      name: 'limited',
      image: BUSYBOX,
      command: ['sleep', '30'],
      cpuQuota: milliCPUToQuota(250),
      cpuShares: milliCPUToShares(100),
      memoryLimit: 64 * 1024 * 1024,
    });
    expect((await runtime.inspect(limited)).resources).toEqual({
      cpuQuota: 25_000,
      cpuPeriod: 100_000,
      cpuShares: 102,
      memoryLimit: 64 * 1024 * 1024,
    });
    await runtime.stop(limited, 0);
    // tail keeps the whole newline-free input in memory: 100 MB against a 16 MiB limit.
    const hog = await run(sandboxId, {
      name: 'hog',
      image: BUSYBOX,
      command: ['sh', '-c', 'head -c 100000000 /dev/zero | tail'],
      memoryLimit: 16 * 1024 * 1024,
    });
    expect(await exited(hog)).toMatchObject({ exitCode: 137, oomKilled: true });
  });

  it('command, args, env, workingDir, user, a read-only root filesystem and a tmpfs', async () => {
    const sandboxId = await runtime.createSandbox(newPod('spec'));
    const id = await run(sandboxId, {
      name: 'app',
      image: BUSYBOX,
      command: ['sh', '-c'],
      args: ['id -u; pwd; echo "$GREETING"; touch /probe 2>/dev/null && echo rw || echo ro; echo x > /scratch/f && echo tmpfs-ok'],
      env: [{ name: 'GREETING', value: 'hi there' }],
      workingDir: '/tmp',
      user: '1234',
      readOnlyRootfs: true,
      mounts: [{ containerPath: '/scratch', tmpfs: { sizeBytes: 1024 * 1024 } }],
    });
    expect((await exited(id)).exitCode).toBe(0);
    expect(await logsOf(id)).toBe('1234\n/tmp\nhi there\nro\ntmpfs-ok\n');
  });

  it('logs: stdout and stderr merged, tailLines, timestamps, and a followed stream that ends with the container', async () => {
    const sandboxId = await runtime.createSandbox(newPod('logs'));
    const id = await run(sandboxId, {
      name: 'app',
      image: BUSYBOX,
      command: ['sh', '-c', 'echo one; sleep 0.2; echo two >&2; sleep 0.5; echo three'],
    });
    const followed = await text(await runtime.logs(id, { follow: true }));
    expect(followed).toBe('one\ntwo\nthree\n');
    expect(await text(await runtime.logs(id, { tailLines: 1 }))).toBe('three\n');
    const stamped = (await text(await runtime.logs(id, { timestamps: true }))).trim().split('\n');
    expect(stamped).toHaveLength(3);
    for (const line of stamped) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (one|two|three)$/);
    const since = new Date(stamped[2]!.split(' ')[0]!);
    expect(await text(await runtime.logs(id, { since }))).toBe('three\n');
  });

  it("events: Docker's stream for skiff's containers (start, die with its exit code) until aborted", async () => {
    const sandboxId = await runtime.createSandbox(newPod('events'));
    const abort = new AbortController();
    const seen: RuntimeEvent[] = [];
    const since = new Date(Date.now() - 1000);
    const reading = (async () => {
      for await (const ev of runtime.events({ since, signal: abort.signal })) seen.push(ev);
    })();
    const id = await run(sandboxId, { name: 'app', image: BUSYBOX, command: ['sh', '-c', 'exit 3'] });
    const die = await waitFor('the die event', async () => seen.find((e) => e.id === id && e.action === 'die'));
    expect(die.exitCode).toBe(3);
    expect(die.labels).toMatchObject({ [LABELS.containerName]: 'app', [RUN_LABEL]: RUN });
    expect(seen.some((e) => e.id === id && e.action === 'start')).toBe(true);
    expect(seen.every((e) => e.labels[LABELS.managed] === 'true')).toBe(true);
    abort.abort();
    await reading;
  });

  it('createContainer needs an existing sandbox', async () => {
    const err = await runtime
      .createContainer('no-such-sandbox', { name: 'x', image: BUSYBOX, restartCount: 0 })
      .catch((e: unknown) => e);
    expect(isRuntimeError(err, 'ContainerNotFound')).toBe(true);
  });
});
