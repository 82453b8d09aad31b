// A pod's API status from what runs in Docker, as the kubelet's generateAPIPodStatus and
// getPhase do: container states from the newest container of each name (its labels carry
// the restart count), lastState from the one before, waiting reasons the pod worker chose
// (CrashLoopBackOff, ErrImagePull, …), the four conditions, and the phase. Pure, so tested
// without Docker.
import type { KubeObject } from '../shared/types.js';
import { CONTAINER_TYPE_SANDBOX, LABELS, type ContainerStatus } from './runtime/runtime.js';

export interface Waiting {
  reason: string;
  message?: string;
}

export interface StatusInput {
  pod: KubeObject;
  /** Every container of the pod in Docker (sandboxes too). */
  containers: ContainerStatus[];
  /** The pod's current sandbox, if any. */
  sandbox?: ContainerStatus;
  /** Waiting reasons the worker set per container name. */
  waiting: Map<string, Waiting>;
  hostIP: string;
  now: Date;
  /** Readiness probe result; undefined: no probe result (ready once running unless it has a readiness probe and a prober). */
  readiness?: (name: string) => boolean | undefined;
  started?: (name: string) => boolean;
}

export const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const ts = (d: Date | undefined) => (d ? rfc3339(d) : undefined);

export function restartCountOf(c: ContainerStatus): number {
  return Number(c.labels[LABELS.restartCount] ?? 0) || 0;
}

/** The pod's app/init containers by name, newest first (restart count, then creation time). */
export function containersByName(containers: ContainerStatus[]): Map<string, ContainerStatus[]> {
  const out = new Map<string, ContainerStatus[]>();
  for (const c of containers) {
    if (c.labels[LABELS.type] === CONTAINER_TYPE_SANDBOX) continue;
    const name = c.labels[LABELS.containerName] ?? '';
    let list = out.get(name);
    if (!list) out.set(name, (list = []));
    list.push(c);
  }
  for (const list of out.values()) list.sort((a, b) => restartCountOf(b) - restartCountOf(a) || b.createdAt.getTime() - a.createdAt.getTime());
  return out;
}

export const isExited = (c: ContainerStatus) => c.state === 'exited' || c.state === 'dead';

/** Docker's state → a v1.ContainerState. */
export function containerState(c: ContainerStatus): Record<string, unknown> {
  if (c.state === 'running' || c.state === 'paused' || c.state === 'restarting') return { running: { startedAt: ts(c.startedAt) } };
  if (isExited(c)) {
    const reason = c.oomKilled ? 'OOMKilled' : c.error ? 'ContainerCannotRun' : c.exitCode === 0 ? 'Completed' : 'Error';
    return {
      terminated: {
        exitCode: c.exitCode,
        reason,
        ...(c.error ? { message: c.error } : {}),
        startedAt: ts(c.startedAt ?? c.createdAt),
        finishedAt: ts(c.finishedAt ?? c.createdAt),
        containerID: `docker://${c.id}`,
      },
    };
  }
  return { waiting: { reason: 'ContainerCreating' } };
}

function hasProbe(pod: KubeObject, name: string, probe: string): boolean {
  return Boolean((pod.spec?.containers ?? []).find((c: { name: string }) => c.name === name)?.[probe]);
}

function containerStatus(input: StatusInput, spec: { name: string; image: string }, init: boolean, defaultWaiting: string): Record<string, unknown> {
  const history = containersByName(input.containers).get(spec.name) ?? [];
  const [latest, previous] = history;
  const waiting = input.waiting.get(spec.name);
  const running = latest?.state === 'running';
  let state: Record<string, unknown>;
  let last: Record<string, unknown> = {};
  if (waiting && !running) {
    state = { waiting: { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) } };
    if (latest && isExited(latest)) last = containerState(latest);
  } else if (latest) {
    state = containerState(latest);
    if (previous && isExited(previous)) last = containerState(previous);
  } else state = { waiting: { reason: defaultWaiting } };
  const started = running && (input.started ? input.started(spec.name) : true);
  let ready = running;
  if (ready && !init) {
    const r = input.readiness?.(spec.name);
    ready = r ?? !(input.readiness && hasProbe(input.pod, spec.name, 'readinessProbe'));
  }
  if (init) ready = latest !== undefined && isExited(latest) && latest.exitCode === 0;
  return {
    name: spec.name,
    state,
    lastState: last,
    ready,
    restartCount: latest ? restartCountOf(latest) : 0,
    image: spec.image,
    imageID: latest ? `docker-pullable://${latest.imageId}` : '',
    ...(latest ? { containerID: `docker://${latest.id}` } : {}),
    started,
  };
}

const stateOf = (s: Record<string, unknown>) => s.state as { running?: object; waiting?: object; terminated?: { exitCode: number } };

/** Kubernetes' getPhase over the app containers' statuses. */
export function podPhase(pod: KubeObject, initStatuses: Record<string, unknown>[], statuses: Record<string, unknown>[]): string {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  for (const s of initStatuses) {
    const st = stateOf(s);
    if (st.terminated?.exitCode === 0) continue;
    if (st.terminated) failedInit++;
    else if ((s.lastState as { terminated?: { exitCode: number } }).terminated && (s.lastState as { terminated: { exitCode: number } }).terminated.exitCode !== 0) failedInit++;
    pendingInit++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    const st = stateOf(s);
    if (st.running) running++;
    else if (st.terminated) {
      stopped++;
      if (st.terminated.exitCode === 0) succeeded++;
    } else if ((s.lastState as { terminated?: object }).terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'OnFailure') return 'Running';
    return 'Failed';
  }
  return 'Pending';
}

/** The pod's status as the kubelet posts it through the status subresource. */
export function podStatus(input: StatusInput): Record<string, unknown> {
  const { pod, now } = input;
  const spec = pod.spec ?? {};
  const old = pod.status ?? {};
  const inits: { name: string; image: string }[] = spec.initContainers ?? [];
  const apps: { name: string; image: string }[] = spec.containers ?? [];
  const initStatuses = inits.map((c) => containerStatus(input, c, true, 'PodInitializing'));
  const initialized = initStatuses.every((s) => s.ready);
  const statuses = apps.map((c) => containerStatus(input, c, false, initialized ? 'ContainerCreating' : 'PodInitializing'));
  const phase = podPhase(pod, initStatuses, statuses);
  const containersReady = statuses.every((s) => s.ready);
  const prev: { type: string; status: string; lastTransitionTime?: string }[] = old.conditions ?? [];
  const cond = (type: string, ok: boolean, reason?: string) => {
    const status = ok ? 'True' : 'False';
    const p = prev.find((c) => c.type === type);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: p?.status === status && p.lastTransitionTime ? p.lastTransitionTime : rfc3339(now),
      ...(ok || !reason ? {} : { reason }),
    };
  };
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const podIP: string | undefined = input.sandbox?.state === 'running' ? input.sandbox.ipAddress : old.podIP;
  return {
    phase,
    conditions: [
      cond('PodReadyToStartContainers', input.sandbox?.state === 'running'),
      cond('Initialized', initialized, 'ContainersNotInitialized'),
      cond('Ready', containersReady && !terminal, terminal ? 'PodCompleted' : 'ContainersNotReady'),
      cond('ContainersReady', containersReady && !terminal, terminal ? 'PodCompleted' : 'ContainersNotReady'),
      cond('PodScheduled', true),
    ],
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: old.startTime ?? rfc3339(now),
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: statuses,
    qosClass: old.qosClass ?? qosClass(pod),
  };
}

/** Guaranteed, Burstable or BestEffort, from the containers' requests and limits. */
export function qosClass(pod: KubeObject): string {
  const all: { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  if (all.every((c) => !Object.keys(c.resources?.requests ?? {}).length && !Object.keys(c.resources?.limits ?? {}).length)) return 'BestEffort';
  const guaranteed = all.every((c) => {
    const l = c.resources?.limits ?? {};
    const r = { ...l, ...c.resources?.requests };
    return ['cpu', 'memory'].every((k) => l[k] !== undefined && r[k] === l[k]);
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
