import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/types.js';
import { desiredPodStatus } from './pod-status.js';

const T0 = new Date('2024-05-01T10:00:00Z');
const T1 = new Date('2024-05-01T10:05:00Z');

const pod = (annotations: Record<string, string> = {}, restartPolicy = 'Always', status: Record<string, unknown> = { phase: 'Pending', qosClass: 'BestEffort' }): KubeObject => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'u1', annotations },
  spec: { nodeName: 'hollow-0', restartPolicy, containers: [{ name: 'app', image: 'nginx:1.27' }] },
  status: {
    ...status,
    conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-05-01T09:59:59Z' }],
  },
});

let ips = 0;
const input = (now = T0) => ({ now, hostIP: '127.0.0.1', podIP: () => `10.244.0.${++ips + 1}` });

describe('desiredPodStatus', () => {
  it('reports a bound pod Running and Ready with an IP, start times and running containers', () => {
    ips = 0;
    const s = desiredPodStatus(pod(), input())!;
    expect(s.phase).toBe('Running');
    expect(s.qosClass).toBe('BestEffort');
    expect(s.podIP).toBe('10.244.0.2');
    expect(s.podIPs).toEqual([{ ip: '10.244.0.2' }]);
    expect(s.hostIP).toBe('127.0.0.1');
    expect(s.startTime).toBe('2024-05-01T10:00:00Z');
    expect(s.containerStatuses).toEqual([
      {
        name: 'app',
        image: 'nginx:1.27',
        imageID: 'hollow://nginx:1.27',
        containerID: 'hollow://u1/app',
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: '2024-05-01T10:00:00Z' } },
      },
    ]);
    expect(s.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`)).toEqual([
      'PodReadyToStartContainers=True',
      'Initialized=True',
      'Ready=True',
      'ContainersReady=True',
      'PodScheduled=True',
    ]);
    // The scheduler's PodScheduled transition time is kept.
    expect(s.conditions[4].lastTransitionTime).toBe('2024-05-01T09:59:59Z');
  });

  it('asks for nothing once the pod shows that status, however later', () => {
    const first = desiredPodStatus(pod(), input())!;
    const p = pod();
    p.status = JSON.parse(JSON.stringify(first));
    expect(desiredPodStatus(p, input(T1))).toBeUndefined();
  });

  it('follows the skiff.dev/hollow-ready annotation both ways, keeping start times', () => {
    const running = pod();
    running.status = JSON.parse(JSON.stringify(desiredPodStatus(running, input())));
    running.metadata.annotations = { 'skiff.dev/hollow-ready': 'false' };
    const notReady = desiredPodStatus(running, input(T1))!;
    const ready = notReady.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]', lastTransitionTime: '2024-05-01T10:05:00Z' });
    expect(notReady.containerStatuses[0]).toMatchObject({ ready: false, state: { running: { startedAt: '2024-05-01T10:00:00Z' } } });
    expect(notReady.podIP).toBe(running.status.podIP);
  });

  it('ends the pod as skiff.dev/hollow-exit says when its restartPolicy lets it', () => {
    const ok = desiredPodStatus(pod({ 'skiff.dev/hollow-exit': '0' }, 'Never'), input())!;
    expect(ok.phase).toBe('Succeeded');
    expect(ok.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(ok.conditions.find((c: { type: string }) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    const failed = desiredPodStatus(pod({ 'skiff.dev/hollow-exit': '1' }, 'Never'), input())!;
    expect(failed.phase).toBe('Failed');
    expect(failed.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(desiredPodStatus(pod({ 'skiff.dev/hollow-exit': '0' }, 'OnFailure'), input())!.phase).toBe('Succeeded');
  });

  it('crash-loops a pod whose restartPolicy restarts the exited container', () => {
    const s = desiredPodStatus(pod({ 'skiff.dev/hollow-exit': '1' }, 'OnFailure'), input())!;
    expect(s.phase).toBe('Running');
    expect(s.containerStatuses[0]).toMatchObject({ ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } });
  });

  it('leaves finished pods alone and gives hostNetwork pods the host IP', () => {
    expect(desiredPodStatus(pod({}, 'Never', { phase: 'Succeeded' }), input())).toBeUndefined();
    const p = pod();
    p.spec.hostNetwork = true;
    expect(desiredPodStatus(p, input())!.podIP).toBe('127.0.0.1');
  });

  it('keeps conditions other components own', () => {
    const p = pod();
    p.status.conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' });
    const s = desiredPodStatus(p, input())!;
    expect(s.conditions.at(-1)).toEqual({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' });
  });
});
