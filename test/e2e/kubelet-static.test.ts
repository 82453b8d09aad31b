// The Docker-backed kubelet end to end, continued: static pods from --pod-manifest-path and
// their mirror pods, a preStop hook before SIGTERM, imagePullPolicy Never, and a volume that
// cannot be mounted yet (FailedMount, then the pod starts once its configMap exists). A real
// apiserver, a real `skiff kubelet` process and the real Docker engine, isolated by a unique
// node name (every container carries it as a label) and namespace.
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { LABELS } from '../../kubelet/runtime/runtime.js';
import { containerStatus, KubeletHarness } from '../support/kubelet.js';

const manifests = mkdtempSync(join(tmpdir(), 'skiff-manifests-'));
const hostDir = mkdtempSync(join(tmpdir(), 'skiff-prestop-'));
const h = new KubeletHarness('kstatic', ['--pod-manifest-path', manifests]);
const NODE = h.node;
const NS = h.ns;
const docker = h.docker;
const BUSYBOX = 'skiff/busybox:1.35';
const { until, pod, getPod, containersOf, eventsOf } = h;
let client: Client;

const gone = async (name: string) => {
  try {
    await getPod(name);
    return false;
  } catch (err) {
    return isApiError(err) && err.code === 404;
  }
};

beforeAll(async () => {
  await h.setup();
  client = h.client;
});

afterAll(async () => {
  await h.teardown();
  for (const d of [manifests, hostDir]) rmSync(d, { recursive: true, force: true });
});

describe('static pods, lifecycle hooks, image pull policy and mount failures', () => {
  it('runs a static pod, mirrors it in the apiserver, recreates a deleted mirror pod and removes both with the file', async () => {
    const file = join(manifests, 'static-web.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  name: static-web',
        `  namespace: ${NS}`,
        '  labels: {app: static-web}',
        'spec:',
        '  terminationGracePeriodSeconds: 2',
        '  containers:',
        '  - name: main',
        `    image: ${BUSYBOX}`,
        '    command: ["sh", "-c", "sleep 3600"]',
        '',
      ].join('\n'),
    );
    const name = `static-web-${NODE}`;
    const mirror = await until('the mirror pod Running', async () => {
      const p = await getPod(name);
      return p.status?.phase === 'Running' && containerStatus(p, 'main')?.state?.running && p;
    });
    const ann = mirror.metadata.annotations;
    expect(ann['kubernetes.io/config.source']).toBe('file');
    expect(ann['kubernetes.io/config.mirror']).toBe(ann['kubernetes.io/config.hash']);
    expect(ann['kubernetes.io/config.mirror']).toMatch(/^[0-9a-f]{32}$/);
    expect(mirror.metadata.ownerReferences).toEqual([expect.objectContaining({ apiVersion: 'v1', kind: 'Node', name: NODE })]);
    expect(mirror.spec.nodeName).toBe(NODE);
    expect(mirror.metadata.labels).toEqual({ app: 'static-web' });
    // The containers run under the static pod's uid (the hash), not the mirror pod's.
    const before = (await containersOf(name)).filter((c) => c.state === 'running');
    expect(before.length).toBe(2);
    expect(before.every((c) => c.labels[LABELS.podUid] === ann['kubernetes.io/config.hash'])).toBe(true);

    await client.delete(R.pods, NS, name);
    const again = await until('the mirror pod recreated', async () => {
      const p = await getPod(name);
      return p.metadata.uid !== mirror.metadata.uid && !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && p;
    });
    expect(again.metadata.annotations['kubernetes.io/config.mirror']).toBe(ann['kubernetes.io/config.hash']);
    // Deleting the mirror pod does not restart the static pod.
    const after = (await containersOf(name)).filter((c) => c.state === 'running');
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());

    // An edited manifest replaces the pod: a new hash, a new mirror pod, new containers.
    writeFileSync(file, readFileSync(file, 'utf8').replace('sleep 3600', 'sleep 3601'));
    const edited = await until('the mirror pod of the edited manifest', async () => {
      const p = await getPod(name);
      const h = p.metadata.annotations?.['kubernetes.io/config.mirror'];
      return h && h !== ann['kubernetes.io/config.hash'] && p.status?.phase === 'Running' && p;
    });
    const replaced = (await containersOf(name)).filter((c) => c.state === 'running');
    expect(replaced.every((c) => c.labels[LABELS.podUid] === edited.metadata.annotations['kubernetes.io/config.hash'])).toBe(true);
    expect(replaced.some((c) => before.some((b) => b.id === c.id))).toBe(false);

    unlinkSync(file);
    await until('the mirror pod deleted', () => gone(name));
    await until('the static pod gone from Docker', async () => (await containersOf(name)).length === 0);
  }, 90_000);

  it('runs a preStop exec hook before SIGTERM reaches the container', async () => {
    const trap = 'trap "echo term >> /marker/log; exit 0" TERM; echo started >> /marker/log; while true; do sleep 0.1; done';
    await client.create(
      R.pods,
      NS,
      pod('hooks', {
        volumes: [{ name: 'marker', hostPath: { path: hostDir, type: 'Directory' } }],
        containers: [
          {
            name: 'main',
            image: BUSYBOX,
            command: ['sh', '-c', trap],
            volumeMounts: [{ name: 'marker', mountPath: '/marker' }],
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /marker/log'] } } },
          },
        ],
      }),
    );
    await until('pod hooks Running', async () => (await getPod('hooks')).status?.phase === 'Running');
    await until('the container wrote its start marker', async () => readFileSync(join(hostDir, 'log'), 'utf8').includes('started'));
    await client.delete(R.pods, NS, 'hooks');
    await until('pod hooks deleted', () => gone('hooks'));
    expect(readFileSync(join(hostDir, 'log'), 'utf8')).toBe('started\nprestop\nterm\n');
    expect(await containersOf('hooks')).toEqual([]);
  }, 60_000);

  it('kills a container whose postStart hook fails (FailedPostStartHook)', async () => {
    await client.create(
      R.pods,
      NS,
      pod('poststart', {
        containers: [{ name: 'main', image: BUSYBOX, command: ['sh', '-c', 'sleep 3600'], lifecycle: { postStart: { exec: { command: ['sh', '-c', 'exit 3'] } } } }],
      }),
    );
    const ev = await until('the FailedPostStartHook event', async () => (await eventsOf('poststart')).find((e) => e.reason === 'FailedPostStartHook'));
    expect(ev.type).toBe('Warning');
    expect(ev.message).toContain('Exec lifecycle hook');
    const p = await until('the container restarted', async () => {
      const x = await getPod('poststart');
      return (containerStatus(x, 'main')?.restartCount ?? 0) >= 1 && x;
    });
    expect(containerStatus(p, 'main').lastState.terminated).toBeTruthy();
  }, 60_000);

  it('reports ErrImageNeverPull for a missing image under imagePullPolicy Never', async () => {
    const image = `skiff/absent-${NS}:1.0`;
    await client.create(R.pods, NS, pod('never', { containers: [{ name: 'main', image, imagePullPolicy: 'Never' }] }));
    const p = await until('ErrImageNeverPull', async () => {
      const x = await getPod('never');
      return containerStatus(x, 'main')?.state?.waiting?.reason === 'ErrImageNeverPull' && x;
    });
    expect(containerStatus(p, 'main').state.waiting.message).toBe(`Container image "${image}" is not present with pull policy of Never`);
    expect(p.status.phase).toBe('Pending');
    const ev = await until('the ErrImageNeverPull event', async () => (await eventsOf('never')).find((e) => e.reason === 'ErrImageNeverPull'));
    expect(ev.type).toBe('Warning');
  }, 60_000);

  it('keeps a container ContainerCreating with FailedMount until its configMap exists, then starts it', async () => {
    await client.create(
      R.pods,
      NS,
      pod('mount', {
        volumes: [{ name: 'cfg', configMap: { name: 'late-config' } }],
        containers: [{ name: 'main', image: BUSYBOX, command: ['sh', '-c', 'cat /cfg/greeting; sleep 3600'], volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }],
      }),
    );
    const p = await until('ContainerCreating', async () => {
      const x = await getPod('mount');
      return containerStatus(x, 'main')?.state?.waiting?.reason === 'ContainerCreating' && x;
    });
    expect(p.status.phase).toBe('Pending');
    const ev = await until('the FailedMount event', async () => (await eventsOf('mount')).find((e) => e.reason === 'FailedMount'));
    expect(ev.type).toBe('Warning');
    expect(ev.message).toContain('MountVolume.SetUp failed for volume "cfg"');
    expect(ev.message).toContain('late-config');
    expect((await eventsOf('mount')).some((e) => e.reason === 'Failed' && /CreateContainerError/.test(e.message))).toBe(false);
    expect((await containersOf('mount')).filter((c) => c.labels[LABELS.containerName] === 'main')).toEqual([]);

    await client.create(R.configmaps, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late-config', namespace: NS }, data: { greeting: 'hello' } });
    await until('pod mount Running', async () => containerStatus(await getPod('mount'), 'main')?.state?.running);
  }, 60_000);
});
