import { describe, expect, it } from 'vitest';
import { podPhase, podStatus, qosClass } from './pod-status.js';
import { LABELS, type ContainerStatus } from './runtime/runtime.js';

const now = new Date('2025-01-01T00:00:10Z');
let seq = 0;
function ctr(name: string, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}, restartCount = 0): ContainerStatus {
  seq++;
  return {
    id: `${'0'.repeat(60)}${String(seq).padStart(4, '0')}`,
    name: `k8s_${name}_p_ns_uid_${restartCount}`,
    image: 'img',
    imageId: 'sha256:abc',
    labels: { [LABELS.containerName]: name, [LABELS.restartCount]: String(restartCount), [LABELS.type]: name === 'POD' ? 'podsandbox' : 'container' },
    state,
    exitCode: 0,
    oomKilled: false,
    createdAt: new Date(Date.parse('2025-01-01T00:00:00Z') + seq),
    startedAt: new Date('2025-01-01T00:00:01Z'),
    pid: 1,
    resources: { cpuQuota: 0, cpuPeriod: 0, cpuShares: 0, memoryLimit: 0 },
    ...extra,
  };
}
const pod = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => ({ metadata: { name: 'p', namespace: 'ns', uid: 'uid' }, spec, status });
const sandbox = () => ctr('POD', 'running', { ipAddress: '172.17.0.5' });

describe('podStatus', () => {
  it('a running pod: Running, Ready, podIP from the sandbox, container statuses', () => {
    const sb = sandbox();
    const s = podStatus({ pod: pod({ containers: [{ name: 'a', image: 'img' }] }), containers: [sb, ctr('a', 'running')], sandbox: sb, waiting: new Map(), hostIP: '127.0.0.1', now });
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('172.17.0.5');
    expect(s.startTime).toBe('2025-01-01T00:00:10Z');
    const cs = (s.containerStatuses as Record<string, any>[])[0]!;
    expect(cs).toMatchObject({ name: 'a', ready: true, started: true, restartCount: 0, state: { running: { startedAt: '2025-01-01T00:00:01Z' } } });
    expect(cs.containerID).toMatch(/^docker:\/\//);
    const conds = Object.fromEntries((s.conditions as { type: string; status: string }[]).map((c) => [c.type, c.status]));
    expect(conds).toMatchObject({ PodScheduled: 'True', Initialized: 'True', ContainersReady: 'True', Ready: 'True' });
  });

  it('CrashLoopBackOff: waiting with lastState terminated, restartCount from the newest instance; phase Running under Always', () => {
    const sb = sandbox();
    const old = ctr('a', 'exited', { exitCode: 1, finishedAt: new Date('2025-01-01T00:00:02Z') }, 2);
    const s = podStatus({
      pod: pod({ containers: [{ name: 'a', image: 'img' }] }),
      containers: [sb, ctr('a', 'exited', { exitCode: 1 }, 1), old],
      sandbox: sb,
      waiting: new Map([['a', { reason: 'CrashLoopBackOff', message: 'back-off 10s' }]]),
      hostIP: '127.0.0.1',
      now,
    });
    const cs = (s.containerStatuses as Record<string, any>[])[0]!;
    expect(cs.state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } });
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(cs.restartCount).toBe(2);
    expect(s.phase).toBe('Running');
  });

  it('OOMKilled, init containers pending, and the phases of getPhase', () => {
    const sb = sandbox();
    const s = podStatus({
      pod: pod({ restartPolicy: 'Never', containers: [{ name: 'a', image: 'img' }] }),
      containers: [sb, ctr('a', 'exited', { exitCode: 137, oomKilled: true })],
      sandbox: sb,
      waiting: new Map(),
      hostIP: '127.0.0.1',
      now,
    });
    expect((s.containerStatuses as any[])[0].state.terminated.reason).toBe('OOMKilled');
    expect(s.phase).toBe('Failed');
    const init = podStatus({
      pod: pod({ initContainers: [{ name: 'i', image: 'img' }], containers: [{ name: 'a', image: 'img' }] }),
      containers: [sb, ctr('i', 'running')],
      sandbox: sb,
      waiting: new Map(),
      hostIP: '127.0.0.1',
      now,
    });
    expect(init.phase).toBe('Pending');
    expect((init.containerStatuses as any[])[0].state.waiting.reason).toBe('PodInitializing');
    const done = { state: { terminated: { exitCode: 0 } }, lastState: {} };
    expect(podPhase(pod({ restartPolicy: 'OnFailure' }), [], [done])).toBe('Succeeded');
    expect(podPhase(pod({ restartPolicy: 'Always' }), [], [done])).toBe('Running');
  });

  it('keeps transition times of unchanged conditions and the startTime', () => {
    const sb = sandbox();
    const prev = { startTime: '2024-12-31T00:00:00Z', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-12-31T00:00:05Z' }] };
    const s = podStatus({ pod: pod({ containers: [{ name: 'a', image: 'img' }] }, prev), containers: [sb, ctr('a', 'running')], sandbox: sb, waiting: new Map(), hostIP: '127.0.0.1', now });
    expect(s.startTime).toBe('2024-12-31T00:00:00Z');
    expect((s.conditions as any[]).find((c) => c.type === 'Ready').lastTransitionTime).toBe('2024-12-31T00:00:05Z');
  });

  it('qosClass', () => {
    expect(qosClass(pod({ containers: [{ name: 'a' }] }) as any)).toBe('BestEffort');
    expect(qosClass(pod({ containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }) as any)).toBe('Guaranteed');
    expect(qosClass(pod({ containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }] }) as any)).toBe('Burstable');
  });
});
