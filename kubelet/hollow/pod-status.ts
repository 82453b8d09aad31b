// The status a hollow node reports for a pod bound to it, as the kubelet's status manager
// would for containers that started at once (pkg/kubelet/status generateAPIPodStatus):
// Running with every container running and ready, or, when the pod carries
// `skiff.dev/hollow-exit: "<code>"`, its containers exited with that code (a terminal
// phase when the restartPolicy lets it end, else CrashLoopBackOff). `skiff.dev/hollow-ready:
// "false"` keeps a running pod not ready. Timestamps already reported are kept, so the
// desired status of an up-to-date pod equals its current one and nothing is written.
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../shared/types.js';
import { timestamp } from './node.js';

export const EXIT_ANNOTATION = 'skiff.dev/hollow-exit';
export const READY_ANNOTATION = 'skiff.dev/hollow-ready';

/** The conditions the kubelet owns; any other (DisruptionTarget, …) is kept as it is. */
const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

interface ContainerSpec {
  name: string;
  image?: string;
  restartPolicy?: string;
}

export interface PodStatusInput {
  now: Date;
  hostIP: string;
  /** The pod's IP: called only when the pod has none yet. */
  podIP: () => string;
}

export function exitCodeOf(pod: KubeObject): number | undefined {
  const v = pod.metadata.annotations?.[EXIT_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

export function isTerminal(pod: KubeObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The status the pod should have, or undefined when it already has it. */
export function desiredPodStatus(pod: KubeObject, input: PodStatusInput): KubeObject['status'] | undefined {
  if (isTerminal(pod)) return undefined;
  const cur = pod.status ?? {};
  const ts = timestamp(input.now);
  const uid = pod.metadata.uid ?? '';
  const hostNetwork = pod.spec?.hostNetwork === true;
  const podIP: string = cur.podIP || (hostNetwork ? input.hostIP : input.podIP());
  const startTime: string = cur.startTime ?? ts;
  const code = exitCodeOf(pod);
  const restartPolicy: string = pod.spec?.restartPolicy ?? 'Always';
  const terminates = code !== undefined && (restartPolicy === 'Never' || (restartPolicy === 'OnFailure' && code === 0));
  const crashLoops = code !== undefined && !terminates;
  const wantReady = !terminates && !crashLoops && pod.metadata.annotations?.[READY_ANNOTATION] !== 'false';

  const previous = (name: string, list: 'containerStatuses' | 'initContainerStatuses') =>
    ((cur[list] ?? []) as { name: string; state?: Record<string, { startedAt?: string; finishedAt?: string }> }[]).find((s) => s.name === name);
  const startedAt = (name: string, list: 'containerStatuses' | 'initContainerStatuses') => {
    const s = previous(name, list)?.state;
    return s?.running?.startedAt ?? s?.terminated?.startedAt ?? startTime;
  };
  const base = (c: ContainerSpec) => ({
    name: c.name,
    image: c.image ?? '',
    imageID: `hollow://${c.image ?? ''}`,
    containerID: `hollow://${uid}/${c.name}`,
  });

  const containerStatuses = ((pod.spec?.containers ?? []) as ContainerSpec[]).map((c) => {
    const at = startedAt(c.name, 'containerStatuses');
    if (terminates) {
      const finishedAt = previous(c.name, 'containerStatuses')?.state?.terminated?.finishedAt ?? ts;
      const terminated = { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: at, finishedAt, containerID: `hollow://${uid}/${c.name}` };
      return { ...base(c), ready: false, started: false, restartCount: 0, state: { terminated } };
    }
    if (crashLoops) {
      const lastState = { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: at, finishedAt: at, containerID: `hollow://${uid}/${c.name}` } };
      const waiting = { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${uid})` };
      return { ...base(c), ready: false, started: false, restartCount: 1, state: { waiting }, lastState };
    }
    return { ...base(c), ready: wantReady, started: true, restartCount: 0, state: { running: { startedAt: at } } };
  });
  const initContainerStatuses = ((pod.spec?.initContainers ?? []) as ContainerSpec[]).map((c) => {
    const at = startedAt(c.name, 'initContainerStatuses');
    if (c.restartPolicy === 'Always') return { ...base(c), ready: true, started: true, restartCount: 0, state: { running: { startedAt: at } } };
    const terminated = { exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at, containerID: `hollow://${uid}/${c.name}` };
    return { ...base(c), ready: true, started: false, restartCount: 0, state: { terminated } };
  });

  const names = containerStatuses.map((c) => c.name).join(' ');
  const notReady = terminates
    ? { reason: 'PodCompleted' }
    : { reason: 'ContainersNotReady', message: `containers with unready status: [${names}]` };
  const ours: Omit<Condition, 'lastTransitionTime' | 'lastProbeTime'>[] = [
    { type: 'PodReadyToStartContainers', status: terminates ? 'False' : 'True' },
    { type: 'Initialized', status: 'True', ...(terminates ? { reason: 'PodCompleted' } : {}) },
    { type: 'Ready', status: wantReady ? 'True' : 'False', ...(wantReady ? {} : notReady) },
    { type: 'ContainersReady', status: wantReady ? 'True' : 'False', ...(wantReady ? {} : notReady) },
    { type: 'PodScheduled', status: 'True' },
  ];
  const curConds = (cur.conditions ?? []) as Condition[];
  const conditions: Condition[] = [
    ...ours.map((c) => {
      const prev = curConds.find((p) => p.type === c.type);
      const lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : ts;
      return { ...c, lastProbeTime: null, lastTransitionTime };
    }),
    ...curConds.filter((c) => !KUBELET_CONDITIONS.includes(c.type)),
  ];

  const next = {
    ...cur,
    phase: terminates ? (code === 0 ? 'Succeeded' : 'Failed') : 'Running',
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime,
    containerStatuses,
    ...(initContainerStatuses.length ? { initContainerStatuses } : {}),
  };
  return isDeepStrictEqual(normalize(next), normalize(cur)) ? undefined : next;
}

/** JSON round trip: the form the apiserver returns (no undefined members). */
function normalize(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? {}));
}
