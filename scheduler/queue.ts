// The scheduling queue (upstream's internal/queue.PriorityQueue): activeQ holds pods
// ready to be tried, highest priority first, then oldest; backoffQ holds pods waiting out
// their backoff (1 s doubling to 10 s per attempt); unschedulable holds pods that fit
// nowhere until a cluster event that may help them (a node added, a pod deleted…) moves
// them back, or five minutes pass. No pod is retried in a hot loop.
import type { KubeObject } from '../shared/types.js';
import type { ClusterEvent } from './framework/types.js';
import { KeyedHeap } from './heap.js';

export interface QueuedPodInfo {
  key: string;
  pod: KubeObject;
  priority: number;
  /** When the pod entered the queue or last failed, in ms: orders activeQ, starts the backoff. */
  timestamp: number;
  attempts: number;
  /** Plugins that rejected it last time; empty after an error. */
  unschedulablePlugins: Set<string>;
  /** Held back by spec.schedulingGates. */
  gated: boolean;
}

export interface QueueOptions {
  now?: () => number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a pod may sit in unschedulable without any event before it is retried anyway. */
  maxInUnschedulableMs?: number;
  /** Whether `event` may help a pod that `plugin` rejected. */
  eventHelps?: (event: ClusterEvent, plugin: string) => boolean;
}

const keyOf = (p: { metadata: { namespace?: string; name?: string } }) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`;
const isGated = (pod: KubeObject) => (pod.spec?.schedulingGates ?? []).length > 0;

function stripForCompare(pod: KubeObject): string {
  const { resourceVersion: _rv, generation: _g, managedFields: _m, finalizers: _f, ...meta } = pod.metadata;
  return JSON.stringify([meta, pod.spec]);
}

/** isPodUpdated: a change beyond status and bookkeeping, which may change the result. */
export function isPodUpdated(old: KubeObject, pod: KubeObject): boolean {
  return stripForCompare(old) !== stripForCompare(pod);
}

export class SchedulingQueue {
  private readonly now: () => number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxInUnschedulableMs: number;
  private readonly eventHelps: (event: ClusterEvent, plugin: string) => boolean;
  private readonly activeQ = new KeyedHeap<QueuedPodInfo>(
    (p) => p.key,
    (a, b) => a.priority > b.priority || (a.priority === b.priority && a.timestamp < b.timestamp),
  );
  private readonly backoffQ = new KeyedHeap<QueuedPodInfo>(
    (p) => p.key,
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly waiters: ((p: QueuedPodInfo | undefined) => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(opts: QueueOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxInUnschedulableMs = opts.maxInUnschedulableMs ?? 5 * 60_000;
    this.eventHelps = opts.eventHelps ?? (() => true);
  }

  /** Starts the periodic flushes (backoffQ every second, leftovers every 30 s). */
  run(): void {
    this.timers.push(setInterval(() => this.flushBackoffQCompleted(), 1000).unref());
    this.timers.push(setInterval(() => this.flushUnschedulablePodsLeftover(), 30_000).unref());
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      if (d >= this.maxBackoffMs / 2) return this.maxBackoffMs;
      d += d;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  private backoffExpiry(p: QueuedPodInfo): number {
    return p.timestamp + this.backoffDuration(p.attempts);
  }

  private isBackingOff(p: QueuedPodInfo): boolean {
    return p.attempts > 0 && this.backoffExpiry(p) > this.now();
  }

  /** A new pending pod. */
  add(pod: KubeObject): void {
    const p: QueuedPodInfo = { key: keyOf(pod), pod, priority: pod.spec?.priority ?? 0, timestamp: this.now(), attempts: 0, unschedulablePlugins: new Set(), gated: isGated(pod) };
    this.delete(pod);
    if (p.gated) this.unschedulable.set(p.key, p);
    else this.toActive(p);
  }

  /** A pending pod changed; a pod the queue does not hold is added. */
  update(old: KubeObject, pod: KubeObject): void {
    const key = keyOf(pod);
    const inActive = this.activeQ.get(key) ?? this.backoffQ.get(key);
    if (inActive) {
      inActive.pod = pod;
      if (this.activeQ.has(key)) this.activeQ.addOrUpdate(inActive);
      else this.backoffQ.addOrUpdate(inActive);
      return;
    }
    const p = this.unschedulable.get(key);
    if (!p) return this.add(pod);
    p.pod = pod;
    if (!isPodUpdated(old, pod)) return;
    p.gated = isGated(pod);
    if (p.gated) return;
    this.unschedulable.delete(key);
    this.requeue(p);
  }

  delete(pod: KubeObject): void {
    const key = keyOf(pod);
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
  }

  has(key: string): boolean {
    return this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key);
  }

  /** The next pod to try, waiting for one if activeQ is empty; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const p = this.activeQ.pop();
    if (p) {
      p.attempts++;
      return Promise.resolve(p);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * A pod that failed its attempt: rejected by plugins, it waits in unschedulable for an
   * event that may help; failed by an error, it is retried after its backoff.
   */
  addUnschedulable(p: QueuedPodInfo, unschedulablePlugins: Set<string>, pod: KubeObject = p.pod): void {
    p.pod = pod;
    p.timestamp = this.now();
    p.unschedulablePlugins = unschedulablePlugins;
    this.delete(pod);
    if (unschedulablePlugins.size === 0) this.requeue(p);
    else this.unschedulable.set(p.key, p);
  }

  /** A cluster event: move the unschedulable pods it may help to activeQ, or backoffQ if still backing off. */
  moveAllToActiveOrBackoffQueue(event: ClusterEvent): number {
    let moved = 0;
    for (const [key, p] of this.unschedulable) {
      if (p.gated || !this.mayHelp(event, p)) continue;
      this.unschedulable.delete(key);
      this.requeue(p);
      moved++;
    }
    return moved;
  }

  private mayHelp(event: ClusterEvent, p: QueuedPodInfo): boolean {
    if (p.unschedulablePlugins.size === 0) return true;
    for (const plugin of p.unschedulablePlugins) if (this.eventHelps(event, plugin)) return true;
    return false;
  }

  flushBackoffQCompleted(): void {
    const now = this.now();
    for (let p = this.backoffQ.peek(); p && this.backoffExpiry(p) <= now; p = this.backoffQ.peek()) {
      this.backoffQ.pop();
      this.toActive(p);
    }
  }

  flushUnschedulablePodsLeftover(): void {
    const now = this.now();
    for (const [key, p] of this.unschedulable) {
      if (p.gated || now - p.timestamp < this.maxInUnschedulableMs) continue;
      this.unschedulable.delete(key);
      this.requeue(p);
    }
  }

  private requeue(p: QueuedPodInfo): void {
    if (this.isBackingOff(p)) this.backoffQ.addOrUpdate(p);
    else this.toActive(p);
  }

  private toActive(p: QueuedPodInfo): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      p.attempts++;
      waiter(p);
    } else this.activeQ.addOrUpdate(p);
  }

  get lengths(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size };
  }
}
