// The per-pod sync (kubelet's syncPod + kuberuntime's computePodActions), level-triggered:
// everything is read again from Docker's labels on each call, so a restarted kubelet adopts
// what runs. The agent's work queue guarantees one sync of a pod at a time. One pause
// sandbox per pod; init containers one at a time, in order, to success; then the app
// containers, restarted under restartPolicy with CrashLoopBackOff; a deleted pod is killed
// with its grace period (preStop hooks first), removed from Docker, then deleted in the
// apiserver. A static pod (kubelet/static-pods.ts) posts its status to its mirror pod and is
// never deleted through the API: the static pod source forgets it once terminated.
import type { Logger } from 'pino';
import type { Client } from '../shared/client.js';
import { isApiError } from '../shared/errors.js';
import type { EventRecorder } from '../shared/events.js';
import { R } from '../shared/resources.js';
import type { KubeObject } from '../shared/types.js';
import { ORPHAN_GRACE_SECONDS } from './adopt.js';
import type { Backoff } from './backoff.js';
import { NODE_LABEL, type V1Container } from './container-spec.js';
import { ContainerStarter, type WorkerPlugins } from './container-start.js';
import type { ExecFn } from './prober/handlers.js';
import { ANN_MIRROR, isStaticPod } from './static-pods.js';
import { containersByName, isExited, podStatus, type Waiting } from './pod-status.js';
import { CONTAINER_TYPE_SANDBOX, LABELS, type ContainerRuntime, type ContainerStatus, type PodSandboxConfig } from './runtime/runtime.js';

export type { WorkerPlugins } from './container-start.js';

export interface PodWorkerDeps {
  runtime: ContainerRuntime;
  client: Client;
  recorder: EventRecorder;
  log: Logger;
  nodeName: string;
  hostIP: string;
  crashBackoff: Backoff;
  imageBackoff: Backoff;
  now: () => Date;
  /** Asks for another sync of the pod key after `ms` (a back-off ending). */
  requeueAfter: (key: string, ms: number) => void;
  plugins?: WorkerPlugins;
  /** Runs exec lifecycle hooks (postStart, preStop) in a container. */
  exec?: ExecFn;
  /** The mirror pod (in the apiserver) of a static pod, where its status goes. */
  mirrorFor?: (pod: KubeObject) => KubeObject | undefined;
  /** Told when a pod's termination finished (its containers are gone). */
  onTerminated?: (pod: KubeObject) => Promise<void>;
}


const isSandbox = (c: ContainerStatus) => c.labels[LABELS.type] === CONTAINER_TYPE_SANDBOX;
const isTerminalPhase = (p: KubeObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class PodWorker {
  /** Waiting reasons per pod uid and container name (CrashLoopBackOff, ErrImagePull, …). */
  private readonly waiting = new Map<string, Map<string, Waiting>>();
  private readonly starter: ContainerStarter;

  constructor(private readonly d: PodWorkerDeps) {
    this.starter = new ContainerStarter(d);
  }

  /** Converges Docker toward the pod of `key` (undefined: the pod is gone). */
  async sync(key: string, pod: KubeObject | undefined): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const all = await this.d.runtime.list({ [NODE_LABEL]: this.d.nodeName, [LABELS.podNamespace]: namespace, [LABELS.podName]: name });
    const uid = pod?.metadata.uid;
    const stale = all.filter((c) => c.labels[LABELS.podUid] !== uid);
    if (stale.length) await this.removeContainers(stale, ORPHAN_GRACE_SECONDS);
    for (const u of new Set(stale.map((c) => c.labels[LABELS.podUid]!))) this.forget(u);
    if (!pod || !uid) return;
    const mine = all.filter((c) => c.labels[LABELS.podUid] === uid);
    if (pod.metadata.deletionTimestamp) return this.terminate(pod, mine);
    const spec = pod.spec ?? {};
    const grace = Number(spec.terminationGracePeriodSeconds ?? 30);
    if (isTerminalPhase(pod)) {
      // A finished pod keeps its containers (and logs) until deleted, but nothing runs nor is probed.
      this.d.plugins?.probes?.removePod(uid);
      await Promise.all(mine.filter((c) => c.state === 'running').map((c) => this.d.runtime.stop(c.id, grace)));
      return;
    }
    const waiting = this.waitingOf(uid);
    let sandbox = newestRunning(mine.filter(isSandbox));
    if (!sandbox) {
      const sandboxes = mine.filter(isSandbox);
      // restartPolicy Never: a pod whose sandbox died after its containers ran is not restarted.
      // A pod whose containers all finished (its sandbox stopped with them) is not started again.
      const ran = mine.some((c) => !isSandbox(c));
      if (sandboxes.length && ran) {
        const phase = podStatus({ pod, containers: mine, waiting, hostIP: this.d.hostIP, now: this.d.now() }).phase;
        if (spec.restartPolicy === 'Never' || phase === 'Succeeded' || phase === 'Failed') {
          await this.postStatus(pod, mine, undefined, waiting);
          return;
        }
      }
      // The containers lost their network with the sandbox: stop them and start over.
      await Promise.all(mine.filter((c) => !isSandbox(c) && c.state === 'running').map((c) => this.d.runtime.stop(c.id, grace)));
      await Promise.all(sandboxes.map((s) => this.d.runtime.remove(s.id)));
      const attempt = sandboxes.reduce((n, s) => Math.max(n, attemptOf(s) + 1), 0);
      const net = this.d.plugins?.network;
      const id = await this.createSandbox(pod, {
        uid,
        namespace,
        name,
        hostname: String(spec.hostname ?? name).slice(0, 63),
        attempt,
        labels: { [NODE_LABEL]: this.d.nodeName },
        ...(net ? { network: await net.ready(), dns: net.resolvConf(pod), hosts: (ip: string) => net.hostsFile(pod, ip) } : {}),
      });
      sandbox = await this.d.runtime.inspect(id);
      this.d.log.info({ pod: key, sandbox: id.slice(0, 12), ip: sandbox.ipAddress }, 'created pod sandbox');
    }
    await this.starter.beginSync(pod);
    const history = containersByName(mine);
    const inSandbox = (c: ContainerStatus | undefined) => (c && c.labels[LABELS.sandboxId] === sandbox!.id ? c : undefined);
    const apps: V1Container[] = spec.containers ?? [];
    const inits: V1Container[] = spec.initContainers ?? [];
    const appStarted = apps.some((c) => inSandbox(history.get(c.name)?.[0]));
    let initialized = true;
    if (!appStarted) {
      for (const c of inits) {
        const latest = history.get(c.name)?.[0];
        const cur = inSandbox(latest);
        if (cur && isExited(cur) && cur.exitCode === 0) continue;
        initialized = false;
        if (cur && cur.state === 'created') await this.d.runtime.start(cur.id);
        else if (!cur || isExited(cur)) {
          if (!(cur && spec.restartPolicy === 'Never')) await this.starter.start(pod, c, sandbox, latest, Boolean(cur), waiting);
        }
        break; // one init container at a time
      }
    }
    if (initialized) {
      for (const c of apps) {
        const latest = history.get(c.name)?.[0];
        const cur = inSandbox(latest);
        if (cur?.state === 'running') {
          const failed = this.d.plugins?.probes?.failedProbe(uid, c.name);
          if (!failed) continue;
          // computePodActions: killed, and started again unless restartPolicy is Never (shouldRestartOnFailure).
          const restart = spec.restartPolicy !== 'Never';
          this.d.recorder.event(pod, 'Normal', 'Killing', `Container ${c.name} failed ${failed} probe${restart ? ', will be restarted' : ''}`);
          const probeGrace = (c[`${failed}Probe`] as { terminationGracePeriodSeconds?: unknown } | undefined)?.terminationGracePeriodSeconds;
          await this.starter.killContainer(pod, cur, typeof probeGrace === 'number' ? probeGrace : grace);
          if (restart) await this.starter.start(pod, c, sandbox, await this.d.runtime.inspect(cur.id), true, waiting);
          continue;
        }
        if (cur?.state === 'created') {
          await this.d.runtime.start(cur.id);
          continue;
        }
        if (cur && isExited(cur) && !shouldRestartExited(spec.restartPolicy, cur)) continue;
        await this.starter.start(pod, c, sandbox, latest, Boolean(cur), waiting);
      }
    }
    const now = await this.d.runtime.list({ [NODE_LABEL]: this.d.nodeName, [LABELS.podUid]: uid });
    this.syncProbes(pod, sandbox, now);
    const status = await this.postStatus(pod, now, sandbox, waiting);
    if (status === 'Succeeded' || status === 'Failed') {
      this.d.plugins?.probes?.removePod(uid);
      await this.d.runtime.stop(sandbox.id, 0);
    }
  }

  /**
   * Tells the prober what runs now: each app container's current instance in this sandbox
   * (its ID, and when it started while it runs). A new ID resets that container's probes.
   */
  /** Creates the sandbox; a failure is told on the pod (FailedCreatePodSandBox) before the retry. */
  private async createSandbox(pod: KubeObject, cfg: PodSandboxConfig): Promise<string> {
    try {
      const id = await this.d.runtime.createSandbox(cfg);
      await this.d.plugins?.network?.sandboxCreated();
      return id;
    } catch (err) {
      this.d.recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
      throw err;
    }
  }

  private syncProbes(pod: KubeObject, sandbox: ContainerStatus, containers: ContainerStatus[]): void {
    const probes = this.d.plugins?.probes;
    if (!probes) return;
    const uid = pod.metadata.uid!;
    probes.addPod(pod, sandbox.ipAddress ?? '');
    const history = containersByName(containers);
    for (const c of (pod.spec?.containers ?? []) as V1Container[]) {
      const latest = history.get(c.name)?.[0];
      const cur = latest?.labels[LABELS.sandboxId] === sandbox.id ? latest : undefined;
      probes.updateContainer(uid, c.name, cur?.id, cur?.state === 'running' ? cur.startedAt : undefined);
    }
  }

  /** Kills the pod's containers with its grace period, removes them and its sandbox, then deletes the pod for good. */
  private async terminate(pod: KubeObject, mine: ContainerStatus[]): Promise<void> {
    const uid = pod.metadata.uid!;
    const grace = Number(pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
    this.d.plugins?.probes?.removePod(uid);
    const running = mine.filter((c) => !isSandbox(c) && c.state === 'running');
    for (const c of running) this.d.recorder.event(pod, 'Normal', 'Killing', `Stopping container ${c.labels[LABELS.containerName]}`);
    // preStop hooks and SIGTERM of every container at once, each within the grace period.
    await Promise.all(running.map((c) => this.starter.killContainer(pod, c, grace)));
    await this.removeContainers(mine, grace);
    await this.d.plugins?.volumes?.remove(uid);
    this.forget(uid);
    if (isStaticPod(pod)) {
      this.d.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}` }, 'static pod terminated');
      await this.d.onTerminated?.(pod);
      return;
    }
    try {
      await this.d.client.delete(R.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid } });
      this.d.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}` }, 'pod terminated and deleted');
    } catch (err) {
      if (!(isApiError(err) && (err.code === 404 || err.code === 409))) throw err;
    }
  }

  /** Stops the app containers (in parallel, SIGTERM then SIGKILL after `grace`), then the sandboxes; removes everything. */
  private async removeContainers(cs: ContainerStatus[], grace: number): Promise<void> {
    const running = cs.filter((c) => c.state === 'running' || c.state === 'paused' || c.state === 'restarting');
    await Promise.all(running.filter((c) => !isSandbox(c)).map((c) => this.d.runtime.stop(c.id, grace)));
    await Promise.all(running.filter(isSandbox).map((c) => this.d.runtime.stop(c.id, 0)));
    await Promise.all(cs.map((c) => this.d.runtime.remove(c.id)));
  }

  /** Posts the status when it changed; returns the phase. */
  private async postStatus(pod: KubeObject, containers: ContainerStatus[], sandbox: ContainerStatus | undefined, waiting: Map<string, Waiting>): Promise<string> {
    const uid = pod.metadata.uid!;
    const probes = this.d.plugins?.probes;
    const next = podStatus({
      pod,
      containers,
      sandbox,
      waiting,
      hostIP: this.d.hostIP,
      now: this.d.now(),
      ...(probes ? { readiness: (n: string) => probes.ready(uid, n), started: (n: string) => probes.startupDone(uid, n) } : {}),
    });
    const merged = { ...pod.status, ...next };
    let target = pod;
    if (isStaticPod(pod)) {
      // A static pod's status lives in its mirror pod; none yet (or an outdated one): the mirror's creation resyncs.
      const mirror = this.d.mirrorFor?.(pod);
      if (!mirror || mirror.metadata.annotations?.[ANN_MIRROR] !== uid || mirror.metadata.deletionTimestamp) return String(next.phase);
      target = mirror;
    }
    if (canonical(merged) !== canonical(target.status ?? {})) {
      try {
        // A patch of the status guarded by the uid, as Kubernetes' status manager does: a
        // concurrent change elsewhere in the pod does not make this write fail.
        await this.d.client.patch(R.pods, target.metadata.namespace, target.metadata.name!, { metadata: { uid: target.metadata.uid }, status: merged }, 'merge', 'status');
      } catch (err) {
        if (isApiError(err) && err.code === 404) return String(next.phase);
        throw err; // 409 (another pod of the same name): the informer brings it and the queue retries
      }
    }
    return String(next.phase);
  }

  private waitingOf(uid: string): Map<string, Waiting> {
    let w = this.waiting.get(uid);
    if (!w) this.waiting.set(uid, (w = new Map()));
    return w;
  }

  /** Drops what the worker remembers of a pod uid. */
  forget(uid: string): void {
    this.d.plugins?.probes?.removePod(uid);
    this.waiting.delete(uid);
    this.starter.endPod(uid);
    this.d.crashBackoff.resetPrefix(`${uid}/`);
    this.d.imageBackoff.resetPrefix(`${uid}/`);
  }
}

function shouldRestartExited(policy: string | undefined, c: ContainerStatus): boolean {
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return c.exitCode !== 0;
  return true;
}

function newestRunning(cs: ContainerStatus[]): ContainerStatus | undefined {
  return cs.filter((c) => c.state === 'running').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
}

function attemptOf(sandbox: ContainerStatus): number {
  return Number(/_(\d+)$/.exec(sandbox.name)?.[1] ?? 0);
}

/** JSON with sorted keys, to compare statuses whatever the order the apiserver keeps. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : val,
  );
}
