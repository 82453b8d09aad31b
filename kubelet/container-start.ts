// Starting one container of a pod (kuberuntime's startContainer): the restart back-off
// (CrashLoopBackOff), the image check (nothing is pulled: ErrImagePull, then
// ImagePullBackOff), env and mounts from the optional plugins, create, start, events, and
// the garbage collection of older dead instances (one is kept for `logs --previous`).
import type { KubeObject } from '../shared/types.js';
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
  probes?: Pick<ProbeManager, 'addPod' | 'updateContainer' | 'removePod' | 'ready' | 'failedProbe' | 'startupDone'>;
}

export class ContainerStarter {
  private volumes?: Promise<{ mountsFor(container: V1Container, env?: { name: string; value: string }[]): MountSpec[] }>;

  constructor(private readonly d: PodWorkerDeps) {}

  /** Called once per pod sync: volumes are prepared (at most) once per sync. */
  async beginSync(_pod: KubeObject): Promise<void> {
    this.volumes = undefined;
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
    if (!(await this.checkImage(pod, c, waiting))) return;
    const restartCount = latest ? restartCountOf(latest) + 1 : 0;
    let id: string;
    try {
      this.volumes ??= d.plugins?.volumes?.prepare(pod);
      const vols = await this.volumes;
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
    try {
      await d.runtime.start(id);
      d.recorder.event(pod, 'Normal', 'Started', `Started container ${c.name}`);
    } catch (err) {
      // The engine keeps the container (exited, with State.Error): it is reported as
      // ContainerCannotRun and restarted under the back-off like any failed container.
      d.recorder.event(pod, 'Warning', 'Failed', `Error: ${err instanceof Error ? err.message : String(err)}`);
    }
    await this.collectDead(uid, c.name, id);
  }

  /** Whether the image is present; otherwise ErrImagePull, then ImagePullBackOff until the back-off ends. */
  private async checkImage(pod: KubeObject, c: V1Container, waiting: Map<string, Waiting>): Promise<boolean> {
    const d = this.d;
    const ikey = `${pod.metadata.uid}/${c.name}/image`;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const now = d.now().getTime();
    if (d.imageBackoff.inBackoffSinceUpdate(ikey, now)) {
      const prev = waiting.get(c.name);
      waiting.set(c.name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}": ${prev?.message ?? ''}`.replace(/: $/, '') });
      d.recorder.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
      const e = d.imageBackoff.get(ikey)!;
      d.requeueAfter(key, e.lastUpdate + e.backoffMs - now + 20);
      return false;
    }
    try {
      await d.runtime.ensureImage(c.image);
      d.imageBackoff.reset(ikey);
      return true;
    } catch (err) {
      if (!isRuntimeError(err, 'ImageNotFound')) throw err;
      const backoff = d.imageBackoff.next(ikey, now);
      const message = `image "${c.image}" is not present on node ${d.nodeName} and no registry is reachable (skiff never pulls; build or load it locally): ${err.message}`;
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
