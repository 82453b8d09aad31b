// Probes end to end: a real apiserver, a real `skiff kubelet` process and the real Docker
// engine. Exec probes only (traffic stays inside the pods): a failing readiness probe flips
// the pod's Ready and ContainersReady to False without a restart; a failing liveness probe
// kills the container and the restart policy starts it again. Isolated by a unique node name
// and namespace; afterAll removes every container of the node.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { dockerOptions } from '../../kubelet/runtime/docker-convert.js';
import { LABELS } from '../../kubelet/runtime/runtime.js';
import { condition, containerStatus, KubeletHarness } from '../support/kubelet.js';

const h = new KubeletHarness('probes');
const NODE = h.node;
const NS = h.ns;
const docker = h.docker;
const BUSYBOX = 'skiff/busybox:1.35';
const { until, pod, getPod, containersOf, runningPod, eventsOf } = h;
let client: Client;

beforeAll(async () => {
  await h.setup();
  client = h.client;
});

afterAll(async () => {
  await h.teardown();
});

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
