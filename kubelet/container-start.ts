// Starting one container of a pod (kuberuntime's startContainer): the restart back-off
// (CrashLoopBackOff), the volumes (a volume that cannot be set up leaves the container
// ContainerCreating with a FailedMount event, retried), the image under imagePullPolicy
// (nothing is ever pulled — no registry is reachable: ErrImageNeverPull, or ErrImagePull
// then ImagePullBackOff), env and mounts from the optional plugins, create, start, the
// postStart hook, events, and the garbage collection of older dead instances (one is kept
// for `logs --previous`). killContainer runs the preStop hook within the grace period.
import type { KubeObject } from '../shared/types.js';
import { runHandler, type ExecFn } from './prober/handlers.js';
import { isVolumeError } from './volumes/errors.js';
import type { ProbeManager } from './prober/index.js';
import { buildContainerSpec, formatDuration, literalEnv, type V1Container } from './container-spec.js';
import type { PodWorkerDeps } from './pod-worker.js';
import { containersByName, isExited, restartCountOf, type Waiting } from './pod-status.js';
import { isRuntimeError, LABELS, type ContainerStatus, type MountSpec } from './runtime/runtime.js';

/**
 * Seams for the volume, env and probe code written beside this one (kubelet/volumes,
 * kubelet/env.ts, kubelet/prober): all optional. Without `volumes` containers get no
 * mounts; without `env` only literal `value`s; without `probes` a running container is
 * ready and never restarted for liveness. `probes` is the ProbeManager (kubelet/prober).
 */
export interface WorkerPlugins {
  volumes?: {
    prepare(pod: KubeObject): Promise<{ mountsFor(container: V1Container, env?: { name: string; value: string }[]): MountSpec[] }>;
    remove(podUid: string): Promise<void>;
  };
  env?: { resolve(pod: KubeObject, container: V1Container, podIP: string): Promise<{ name: string; value: string }[]> };
  /** The pod network (kubelet/network): the sandbox's network, resolv.conf and hosts file. */
  network?: {
    ready(): Promise<string>;
    resolvConf(pod: KubeObject): { servers: string[]; searches: string[]; options: string[] };
    hostsFile(pod: KubeObject, podIP: string): string;
    /** Told after a sandbox joined the network (per-port settings such as hairpin mode). */
    sandboxCreated(): Promise<void>;
  };
  probes?: Pick<ProbeManager, 'addPod' | 'updateContainer' | 'removePod' | 'ready' | 'failedProbe' | 'startupDone'>;
}

type PodVolumes = { mountsFor(container: V1Container, env?: { name: string; value: string }[]): MountSpec[] };

/** kubelet's minimumGracePeriodInSeconds: what a container gets after its preStop hook used up the grace period. */
export const MIN_GRACE_AFTER_HOOK_SECONDS = 2;
/** How often a pod whose volumes cannot be set up is tried again. */
const MOUNT_RETRY_MS = 2000;

export class ContainerStarter {
  /** Per pod uid: the volumes of the current sync (several pods sync at once). */
  private readonly volumes = new Map<string, Promise<PodVolumes>>();

  constructor(private readonly d: PodWorkerDeps) {}

  /** Called once per pod sync: volumes are prepared (at most) once per sync. */
  async beginSync(pod: KubeObject): Promise<void> {
    this.volumes.delete(pod.metadata.uid!);
    // As the kubelet's SyncPod (WaitForAttachAndMount on every sync): API-backed volumes are set
    // up again, so changed data is rewritten and a projected token refreshed when due.
    try {
      await this.podVolumes(pod);
    } catch (err) {
      if (!isVolumeError(err)) throw err;
      this.d.recorder.event(pod, 'Warning', 'FailedMount', err.message);
      this.d.requeueAfter(`${pod.metadata.namespace}/${pod.metadata.name}`, MOUNT_RETRY_MS);
    }
  }

  /** Forgets a pod's prepared volumes (the pod is gone). */
  endPod(uid: string): void {
    this.volumes.delete(uid);
  }

  /**
   * Starts container `c` unless it is backing off. `latest` is its newest instance (any
   * sandbox); `restart` says that instance exited in the current sandbox (back-off applies).
   */
  async start(pod: KubeObject, c: V1Container, sandbox: ContainerStatus, latest: ContainerStatus | undefined, restart: boolean, waiting: Map<string, Waiting>): Promise<void> {
    const d = this.d;
    const uid = pod.metadata.uid!;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const now = d.now().getTime();
    if (restart && latest && isExited(latest)) {
      const bkey = `${uid}/${c.name}`;
      const finished = (latest.finishedAt ?? latest.createdAt).getTime();
      if (d.crashBackoff.inBackoffSince(bkey, finished, now)) {
        const backoff = d.crashBackoff.get(bkey)!.backoffMs;
        waiting.set(c.name, {
          reason: 'CrashLoopBackOff',
          message: `back-off ${formatDuration(backoff)} restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${uid})`,
        });
        d.recorder.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${uid})`);
        d.requeueAfter(key, d.crashBackoff.remaining(bkey, finished, now) + 20);
        return;
      }
      d.crashBackoff.next(bkey, finished);
    }
    // As the kubelet's WaitForAttachAndMount: no container is created before the pod's volumes are set up.
    let vols: PodVolumes | undefined;
    try {
      vols = await this.podVolumes(pod);
    } catch (err) {
      if (!isVolumeError(err)) throw err;
      // beginSync has told it (FailedMount) and asked for the retry.
      waiting.set(c.name, { reason: 'ContainerCreating' });
      return;
    }
    if (!(await this.checkImage(pod, c, waiting))) return;
    const restartCount = latest ? restartCountOf(latest) + 1 : 0;
    let id: string;
    try {
      const env = d.plugins?.env ? await d.plugins.env.resolve(pod, c, sandbox.ipAddress ?? '') : literalEnv(c);
      const spec = buildContainerSpec({ pod, container: c, restartCount, nodeName: d.nodeName, env, mounts: vols?.mountsFor(c, env) ?? [] });
      id = await d.runtime.createContainer(sandbox.id, spec);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      waiting.set(c.name, { reason: 'CreateContainerError', message });
      d.recorder.event(pod, 'Warning', 'Failed', `Error: ${message}`);
      d.requeueAfter(key, d.crashBackoff.baseMs);
      d.log.warn({ pod: key, container: c.name, err }, 'could not create container');
      return;
    }
    d.recorder.event(pod, 'Normal', 'Created', `Created container ${c.name}`);
    waiting.delete(c.name);
    let started = false;
    try {
      await d.runtime.start(id);
      started = true;
      d.recorder.event(pod, 'Normal', 'Started', `Started container ${c.name}`);
    } catch (err) {
      // The engine keeps the container (exited, with State.Error): it is reported as
      // ContainerCannotRun and restarted under the back-off like any failed container.
      d.recorder.event(pod, 'Warning', 'Failed', `Error: ${err instanceof Error ? err.message : String(err)}`);
    }
    const postStart = (c.lifecycle as Lifecycle | undefined)?.postStart;
    if (started && postStart) {
      // As upstream: the hook runs right after the start, and a failure kills the container
      // (restarted under the restart policy and its back-off).
      const failure = await this.runHook('PostStart', postStart, pod, c, id, sandbox.ipAddress ?? '', 0);
      if (failure) {
        d.recorder.event(pod, 'Warning', 'FailedPostStartHook', failure);
        d.recorder.event(pod, 'Normal', 'Killing', `FailedPostStartHook`);
        const grace = Number(pod.spec?.terminationGracePeriodSeconds ?? 30);
        await this.killContainer(pod, await d.runtime.inspect(id), grace);
      }
    }
    await this.collectDead(uid, c.name, id);
  }

  /**
   * kuberuntime's killContainer: the preStop hook first (while the grace period runs; the
   * container gets what is left, at least 2 s), then SIGTERM and SIGKILL after the rest.
   */
  async killContainer(pod: KubeObject, cur: ContainerStatus, graceSeconds: number): Promise<void> {
    const d = this.d;
    let grace = graceSeconds;
    const name = cur.labels[LABELS.containerName];
    const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x: V1Container) => x.name === name) as V1Container | undefined;
    const preStop = (spec?.lifecycle as Lifecycle | undefined)?.preStop;
    if (spec && preStop && grace > 0 && cur.state === 'running') {
      const began = d.now().getTime();
      const podIP = String(pod.status?.podIP ?? '');
      const failure = await this.runHook('PreStop', preStop, pod, spec, cur.id, podIP, grace * 1000);
      if (failure) d.recorder.event(pod, 'Warning', 'FailedPreStopHook', failure);
      const used = Math.floor((d.now().getTime() - began) / 1000);
      grace = Math.max(grace - used, MIN_GRACE_AFTER_HOOK_SECONDS);
    }
    await d.runtime.stop(cur.id, grace);
  }

  /**
   * Runs a lifecycle handler (exec in the container, or httpGet against the pod) and returns
   * upstream's failure message, or undefined on success. `timeoutMs` 0: no deadline of its own
   * (exec still ends with the container). A preStop hook still running at its deadline is left
   * to SIGTERM, as upstream's executePreStopHook.
   */
  private async runHook(kind: 'PostStart' | 'PreStop', h: Handler, pod: KubeObject, c: V1Container, containerId: string, podIP: string, timeoutMs: number): Promise<string | undefined> {
    const d = this.d;
    const podDesc = `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
    const exec: ExecFn = d.exec ?? (() => Promise.reject(new Error('no exec available for lifecycle hooks')));
    const limit = timeoutMs || HOOK_DEFAULT_TIMEOUT_MS;
    const timers = new Set<NodeJS.Timeout>();
    const setTimer = (fn: () => void, ms: number) => {
      const t = setTimeout(fn, ms);
      timers.add(t);
      return () => clearTimeout(t);
    };
    const LOOP = new Set(['127.0.0.1', 'localhost', '::1']);
    try {
      if (h.exec) {
        const out = await runHandler({ exec: h.exec }, limit, { podIP, container: c, containerId, exec, allowHost: () => false, setTimer });
        if (out.result === 'Success') return undefined;
        const cmd = (h.exec.command ?? []) as string[];
        return `Exec lifecycle hook (${JSON.stringify(cmd)}) for Container "${c.name}" in Pod "${podDesc}" failed - error: ${out.output}, message: ${JSON.stringify(out.output)}`;
      }
      if (h.httpGet) {
        const out = await runHandler({ httpGet: h.httpGet }, limit, { podIP, container: c, containerId, exec, allowHost: (x) => x === podIP || LOOP.has(x), setTimer });
        // Upstream's lifecycle HTTP handler fails only when no response came; any status code is an answer.
        if (out.result === 'Success' || out.output.startsWith('HTTP probe failed with statuscode')) return undefined;
        return `HTTP lifecycle hook (${String(h.httpGet.path ?? '')}) for Container "${c.name}" in Pod "${podDesc}" failed - error: ${out.output}`;
      }
      if (h.sleep) {
        const ms = Math.min(Number(h.sleep.seconds ?? 0) * 1000, limit);
        await new Promise<void>((r) => setTimer(r, ms));
        return undefined;
      }
      return `${kind} hook of container "${c.name}" has no handler skiff runs`;
    } catch (err) {
      return `${kind} hook for Container "${c.name}" in Pod "${podDesc}" failed - error: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  }

  private podVolumes(pod: KubeObject): Promise<PodVolumes | undefined> {
    const plugin = this.d.plugins?.volumes;
    if (!plugin) return Promise.resolve(undefined);
    const uid = pod.metadata.uid!;
    let v = this.volumes.get(uid);
    if (!v) this.volumes.set(uid, (v = plugin.prepare(pod)));
    return v;
  }

  /**
   * The image under the container's imagePullPolicy (kuberuntime's EnsureImageExists).
   * Never and a missing image give ErrImageNeverPull. When the runtime may pull (a node of
   * `skiff up --nodes N`, whose engine's only registry is the cluster's), a missing image, or
   * any image under Always, is pulled; otherwise nothing is pulled, and Always with the image
   * present runs the local image. A missing image that is not pulled gives ErrImagePull, then
   * ImagePullBackOff until the back-off ends.
   */
  private async checkImage(pod: KubeObject, c: V1Container, waiting: Map<string, Waiting>): Promise<boolean> {
    const d = this.d;
    const ikey = `${pod.metadata.uid}/${c.name}/image`;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const now = d.now().getTime();
    const policy = c.imagePullPolicy || defaultPullPolicy(c.image);
    if (policy !== 'Never' && d.imageBackoff.inBackoffSinceUpdate(ikey, now)) {
      const prev = waiting.get(c.name);
      waiting.set(c.name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}": ${prev?.message ?? ''}`.replace(/: $/, '') });
      d.recorder.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
      const e = d.imageBackoff.get(ikey)!;
      d.requeueAfter(key, e.lastUpdate + e.backoffMs - now + 20);
      return false;
    }
    const pull = d.runtime.pullImage?.bind(d.runtime);
    const present = await d.runtime.ensureImage(c.image).then(
      () => true,
      (err: unknown) => {
        if (!isRuntimeError(err, 'ImageNotFound')) throw err;
        return false;
      },
    );
    if (pull && policy !== 'Never' && (!present || policy === 'Always')) {
      d.recorder.event(pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
      const t0 = Date.now();
      try {
        await pull(c.image);
        d.imageBackoff.reset(ikey);
        d.recorder.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in ${Date.now() - t0}ms`);
        return true;
      } catch (err) {
        if (!isRuntimeError(err, 'ImageNotFound')) throw err;
        const backoff = d.imageBackoff.next(ikey, now);
        const message = `failed to pull image "${c.image}": ${err.message}`;
        waiting.set(c.name, { reason: 'ErrImagePull', message });
        d.recorder.event(pod, 'Warning', 'Failed', `Failed to pull image "${c.image}": ${err.message}`);
        d.recorder.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
        d.requeueAfter(key, Math.min(1000, backoff / 2));
        return false;
      }
    }
    try {
      if (!present) await d.runtime.ensureImage(c.image);
      d.imageBackoff.reset(ikey);
      const note = policy === 'Always' ? '; pull policy Always, but no registry is reachable from this machine: the local image was used' : '';
      d.recorder.event(pod, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine${note}`);
      return true;
    } catch (err) {
      if (!isRuntimeError(err, 'ImageNotFound')) throw err;
      if (policy === 'Never') {
        const message = `Container image "${c.image}" is not present with pull policy of Never`;
        waiting.set(c.name, { reason: 'ErrImageNeverPull', message });
        d.recorder.event(pod, 'Warning', 'ErrImageNeverPull', message);
        // Nothing changes without someone loading the image: looked at again after the back-off base.
        d.requeueAfter(key, d.crashBackoff.baseMs);
        return false;
      }
      const backoff = d.imageBackoff.next(ikey, now);
      const message = `image "${c.image}" is not present on node ${d.nodeName} and no registry is reachable from this machine (skiff never pulls; build or load the image locally): ${err.message}`;
      waiting.set(c.name, { reason: 'ErrImagePull', message });
      d.recorder.event(pod, 'Warning', 'Failed', `Failed to pull image "${c.image}": ${message}`);
      d.recorder.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      // Show ErrImagePull for a moment, then ImagePullBackOff until the back-off ends.
      d.requeueAfter(key, Math.min(1000, backoff / 2));
      return false;
    }
  }

  /** Removes dead instances of a container but the newest dead one (kept for `logs --previous`). */
  private async collectDead(uid: string, name: string, keepId: string): Promise<void> {
    const all = await this.d.runtime.list({ [LABELS.podUid]: uid, [LABELS.containerName]: name });
    const dead = (containersByName(all).get(name) ?? []).filter((c) => c.id !== keepId && isExited(c));
    await Promise.all(dead.slice(1).map((c) => this.d.runtime.remove(c.id)));
  }
}

/** The apiserver's default: Always for a :latest (or untagged) image, IfNotPresent otherwise. */
function defaultPullPolicy(image: string): string {
  const last = image.split('/').pop() ?? image;
  const tag = last.includes('@') ? 'digest' : last.includes(':') ? last.slice(last.indexOf(':') + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** A lifecycle handler: exec, httpGet, or (upstream 1.30+) sleep. */
interface Handler {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  sleep?: { seconds?: number };
}
interface Lifecycle {
  postStart?: Handler;
  preStop?: Handler;
}

/** The deadline of a postStart hook (upstream has none; a hung hook must not hold the pod worker forever). */
const HOOK_DEFAULT_TIMEOUT_MS = 120_000;
