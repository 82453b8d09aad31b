// The scheduler (upstream's schedule_one.go): pop a pod, decide its node synchronously
// against the cache, assume it there, and bind it in the background while the next pod
// is decided. A pod that fits nowhere gets a FailedScheduling event and a
// PodScheduled=False condition, and waits in the queue for a cluster event.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ApiError } from '../shared/errors.js';
import type { EventRecorder } from '../shared/events.js';
import type { KubeObject } from '../shared/types.js';
import { SchedulerCache } from './cache.js';
import { FitError, truncateMessage } from './fit-error.js';
import { defaultProfile, type Profile } from './framework/profile.js';
import type { ClusterEvent } from './framework/types.js';
import { newPodInfo } from './pod-info.js';
import { hasCondition, Semaphore, type PodWriter } from './pod-writer.js';
import { SchedulingQueue, type QueuedPodInfo } from './queue.js';
import { GenericScheduler, NoNodesAvailableError } from './schedule-one.js';

export interface PodLister {
  get(key: string): KubeObject | undefined;
}

export interface SchedulerOptions {
  schedulerName: string;
  writer: PodWriter;
  recorder: EventRecorder;
  log: Logger;
  /** The pod informer's cache: the latest version of a pod before acting on it. */
  pods: PodLister;
  now?: () => number;
  random?: () => number;
  profile?: Profile;
  /** Bindings in flight at once. */
  bindParallelism?: number;
  percentageOfNodesToScore?: number;
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly algorithm: GenericScheduler;
  private readonly profile: Profile;
  private readonly registeredEvents: Set<ClusterEvent>;
  private readonly bindSlots: Semaphore;
  private stopped = false;
  /** Pods bound by this scheduler, for logs and the benchmark. */
  scheduled = 0;

  constructor(private readonly o: SchedulerOptions) {
    this.profile = o.profile ?? defaultProfile();
    const helps = new Map<string, Set<ClusterEvent>>();
    for (const f of this.profile.filters) helps.set(f.name, new Set(f.events));
    this.registeredEvents = new Set(this.profile.filters.flatMap((f) => f.events));
    this.queue = new SchedulingQueue({ now: o.now, eventHelps: (event, plugin) => helps.get(plugin)?.has(event) ?? true });
    this.algorithm = new GenericScheduler(this.profile, o.random, o.percentageOfNodesToScore);
    this.bindSlots = new Semaphore(o.bindParallelism ?? 64);
  }

  get schedulerName(): string {
    return this.o.schedulerName;
  }

  /** A cluster change that may make unschedulable pods fit. */
  onClusterEvent(event: ClusterEvent): void {
    if (this.registeredEvents.has(event)) this.queue.moveAllToActiveOrBackoffQueue(event);
  }

  /** Runs the scheduling loop until stop(). */
  async run(): Promise<void> {
    this.queue.run();
    while (!this.stopped) {
      await this.bindSlots.acquire();
      const p = await this.queue.pop();
      if (!p) {
        this.bindSlots.release();
        return;
      }
      const binding = this.scheduleOne(p);
      if (binding) void binding.finally(() => this.bindSlots.release());
      else this.bindSlots.release();
      // Let informer events and binding responses in between two decisions.
      await yieldToEventLoop();
    }
  }

  stop(): void {
    this.stopped = true;
    this.queue.close();
  }

  /**
   * One scheduling cycle, synchronous up to the bind: returns the binding in flight, or
   * undefined when the pod was skipped or failed.
   */
  scheduleOne(p: QueuedPodInfo): Promise<void> | undefined {
    const pod = this.o.pods.get(p.key);
    // The queue may hold a stale version: skip pods gone, bound, being deleted, or assumed.
    if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp || this.cache.isAssumed(pod.metadata.uid)) return undefined;
    const info = newPodInfo(pod);
    let node: string;
    try {
      node = this.algorithm.schedule(info, this.cache.nodeInfos()).node;
      this.cache.assumePod(info, node);
    } catch (err) {
      this.handleSchedulingFailure(p, err);
      return undefined;
    }
    return this.bind(p, pod, node);
  }

  private async bind(p: QueuedPodInfo, pod: KubeObject, node: string): Promise<void> {
    const uid = pod.metadata.uid!;
    try {
      await this.o.writer.bind(pod, node);
    } catch (err) {
      this.cache.forgetPod(uid);
      if (err instanceof ApiError && (err.code === 409 || err.code === 404)) {
        // Bound by someone else, or gone: the informer will say which; nothing to retry.
        this.o.log.info({ pod: p.key, node, err: err.message }, 'binding rejected; leaving the pod to its current state');
        return;
      }
      this.o.log.warn({ pod: p.key, node, err }, 'binding failed; retrying after backoff');
      // What was assumed is free again: pods waiting for room may fit now.
      this.onClusterEvent('AssignedPodDelete');
      this.handleSchedulingFailure(p, err);
      return;
    }
    this.cache.finishBinding(uid);
    this.scheduled++;
    this.o.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${p.key} to ${node}`);
  }

  /** Records why the pod did not schedule and puts it back in the queue. */
  private handleSchedulingFailure(p: QueuedPodInfo, err: unknown): void {
    let reason = 'SchedulerError';
    let plugins = new Set<string>();
    if (err instanceof FitError) {
      reason = 'Unschedulable';
      plugins = err.diagnosis.unschedulablePlugins;
    } else if (err instanceof NoNodesAvailableError) reason = 'Unschedulable';
    const message = err instanceof Error ? err.message : String(err);
    if (reason === 'SchedulerError') this.o.log.error({ pod: p.key, err }, 'error scheduling pod; retrying');
    else this.o.log.debug({ pod: p.key, message }, 'unable to schedule pod; waiting');
    const pod = this.o.pods.get(p.key);
    if (!pod || pod.metadata.uid !== p.pod.metadata.uid || pod.spec?.nodeName) return; // deleted, replaced or bound meanwhile
    if (!this.stopped) this.queue.addUnschedulable(p, plugins, pod);
    this.o.recorder.event(pod, 'Warning', 'FailedScheduling', truncateMessage(message));
    const condition = { type: 'PodScheduled', status: 'False', reason, message };
    if (hasCondition(pod, condition)) return;
    this.o.writer.updateCondition(pod, condition).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.code === 404)) this.o.log.warn({ pod: p.key, err: e }, 'could not update the PodScheduled condition');
    });
  }
}
