// The kubelet's prober manager (pkg/kubelet/prober/prober_manager.go): one worker per probe
// of each container of each pod; results are read by the pod worker (Ready, restarts) and
// announced through onChange so it can resync at once.
import type { Logger } from 'pino';
import type { EventRecorder } from '../../shared/events.js';
import type { KubeObject } from '../../shared/types.js';
import type { ExecFn, ProbeTarget } from './handlers.js';
import { EVENT_NAME, ProbeWorker, probeSpec, type ProbeResult, type ProbeType, type WorkerHost } from './worker.js';

export { ProbeError, resolvePort, runHandler, type ExecFn, type ProbeOutcome } from './handlers.js';
export type { ProbeResult, ProbeType } from './worker.js';

export type ChangeHandler = (podUid: string, container: string, type: ProbeType, result: ProbeResult) => void;

export interface ProbeManagerOptions {
  /** Runs a command in a container (see exec.ts for Docker's); exit 0 is success. */
  exec: ExecFn;
  log: Logger;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** Arms a timer and returns its cancel (default setTimeout, unref'd). */
  setTimer?: (fn: () => void, ms: number) => () => void;
  /** Unhealthy events ("Liveness probe failed: …"), as the kubelet records them. */
  recorder?: EventRecorder;
  /** Hosts a probe may reach; default: the pod's IP, 127.0.0.1, ::1, localhost. */
  allowHost?: (host: string, podIP: string) => boolean;
}

interface ContainerState {
  containerId?: string;
  startedAt?: number;
}

interface PodEntry {
  pod: KubeObject;
  podIP: string;
  containers: Map<string, ContainerState>;
  /** `${container}/${type}` → worker, and its published result. */
  workers: Map<string, ProbeWorker>;
  results: Map<string, ProbeResult>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const TYPES: [ProbeType, string][] = [
  ['startup', 'startupProbe'],
  ['liveness', 'livenessProbe'],
  ['readiness', 'readinessProbe'],
];

export class ProbeManager {
  private readonly pods = new Map<string, PodEntry>();
  private readonly handlers = new Set<ChangeHandler>();
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;

  constructor(private readonly opts: ProbeManagerOptions) {
    this.now = opts.now ?? Date.now;
    this.setTimer =
      opts.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return () => clearTimeout(t);
      });
  }

  /**
   * Starts the probe workers of a pod's containers (and of its restartable init containers).
   * `containerIds` names the containers running now (taken as started now). Calling it again
   * for the same pod updates the pod (e.g. its deletionTimestamp) and its IP.
   */
  addPod(pod: KubeObject, podIP: string, containerIds: Record<string, string> = {}): void {
    const uid = pod.metadata.uid!;
    let entry = this.pods.get(uid);
    if (entry) {
      entry.pod = pod;
      entry.podIP = podIP;
    } else {
      entry = { pod, podIP, containers: new Map(), workers: new Map(), results: new Map() };
      this.pods.set(uid, entry);
      const sidecars = (pod.spec?.initContainers ?? []).filter((c: any) => c.restartPolicy === 'Always');
      for (const c of [...sidecars, ...(pod.spec?.containers ?? [])]) {
        entry.containers.set(c.name, {});
        for (const [type, field] of TYPES) {
          if (!c[field]) continue;
          entry.workers.set(`${c.name}/${type}`, new ProbeWorker(type, probeSpec(c[field], type), this.host(entry, c)));
        }
      }
      for (const w of entry.workers.values()) w.start();
    }
    for (const [name, id] of Object.entries(containerIds)) {
      if (entry.containers.get(name)?.containerId !== id) this.updateContainer(uid, name, id, new Date(this.now()));
    }
  }

  /**
   * The container's current ID (undefined: none) and, while it runs, when it started
   * (undefined: created or exited). A new ID resets its probes; the workers probe at once.
   */
  updateContainer(uid: string, name: string, containerId: string | undefined, startedAt?: Date): void {
    const entry = this.pods.get(uid);
    const c = entry?.containers.get(name);
    if (!entry || !c) return;
    const started = startedAt?.getTime();
    if (c.containerId === containerId && c.startedAt === started) return;
    c.containerId = containerId;
    c.startedAt = started;
    for (const [type] of TYPES) entry.workers.get(`${name}/${type}`)?.trigger();
  }

  removePod(uid: string): void {
    const entry = this.pods.get(uid);
    if (!entry) return;
    for (const w of entry.workers.values()) w.stop();
    this.pods.delete(uid);
  }

  /**
   * Whether the container counts as ready: running, started, and its readiness probe passed
   * (no readiness probe: ready once started). undefined for a pod or container not known here.
   */
  ready(uid: string, name: string): boolean | undefined {
    const entry = this.pods.get(uid);
    const c = entry?.containers.get(name);
    if (!entry || !c) return undefined;
    if (!c.containerId || c.startedAt === undefined || !this.startupDone(uid, name)) return false;
    if (!entry.workers.has(`${name}/readiness`)) return true;
    return entry.results.get(`${name}/readiness`) === 'Success';
  }

  /** The container must be restarted: its liveness or its startup probe failed. */
  livenessFailed(uid: string, name: string): boolean {
    return this.failedProbe(uid, name) !== undefined;
  }

  /** Which probe failed, for the kill message "Container x failed liveness probe, will be restarted". */
  failedProbe(uid: string, name: string): 'liveness' | 'startup' | undefined {
    const results = this.pods.get(uid)?.results;
    if (results?.get(`${name}/liveness`) === 'Failure') return 'liveness';
    if (results?.get(`${name}/startup`) === 'Failure') return 'startup';
    return undefined;
  }

  /** Container status `started`: running, and its startup probe succeeded (or it has none). */
  startupDone(uid: string, name: string): boolean {
    const entry = this.pods.get(uid);
    const c = entry?.containers.get(name);
    if (!entry || !c || !c.containerId || c.startedAt === undefined) return false;
    if (!entry.workers.has(`${name}/startup`)) return true;
    return entry.results.get(`${name}/startup`) === 'Success';
  }

  /** Called whenever a published result changes; returns the unsubscribe. */
  onChange(cb: ChangeHandler): () => void {
    this.handlers.add(cb);
    return () => this.handlers.delete(cb);
  }

  private host(entry: PodEntry, container: any): WorkerHost {
    const uid = entry.pod.metadata.uid!;
    const name: string = container.name;
    const allow = this.opts.allowHost ?? ((h: string, podIP: string) => h === podIP || LOOPBACK.has(h));
    return {
      now: this.now,
      setTimer: this.setTimer,
      container: () => ({ ...entry.containers.get(name) }),
      started: () => this.startupDone(uid, name),
      podDeleting: () => Boolean(entry.pod.metadata.deletionTimestamp),
      target: (containerId): ProbeTarget => ({
        podIP: entry.podIP,
        container,
        containerId,
        exec: this.opts.exec,
        allowHost: (h) => allow(h, entry.podIP),
        setTimer: this.setTimer,
      }),
      publish: (type, result) => {
        const key = `${name}/${type}`;
        if (entry.results.get(key) === result || this.pods.get(uid) !== entry) return;
        entry.results.set(key, result);
        this.opts.log.debug({ pod: uid, container: name, probe: type, result }, 'probe result changed');
        // Once started, readiness is checked at once rather than a period later.
        if (type === 'startup' && result === 'Success') entry.workers.get(`${name}/readiness`)?.trigger();
        for (const cb of this.handlers) cb(uid, name, type, result);
      },
      event: (type, outcome) => {
        const message = 'error' in outcome ? `${EVENT_NAME[type]} probe errored: ${outcome.error}` : `${EVENT_NAME[type]} probe failed: ${outcome.output}`;
        this.opts.recorder?.event(entry.pod, 'Warning', 'Unhealthy', message);
      },
    };
  }
}
