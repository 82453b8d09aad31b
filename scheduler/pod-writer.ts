// The scheduler's writes to the apiserver: the pods/binding subresource, the
// PodScheduled condition through pods/status, and events; each bounded so that a burst
// of decisions never turns into thousands of requests at once.
import type { Client } from '../shared/client.js';
import type { EventRecorder } from '../shared/events.js';
import { R } from '../shared/resources.js';
import type { KubeObject } from '../shared/types.js';

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface PodWriter {
  /** POST pods/{name}/binding. */
  bind(pod: KubeObject, node: string): Promise<void>;
  /** Sets one status condition (merged by type) through pods/{name}/status. */
  updateCondition(pod: KubeObject, condition: PodCondition): Promise<void>;
}

export class ApiPodWriter implements PodWriter {
  /** Condition writes in flight at once (bindings are bounded by the scheduler loop). */
  private readonly statusSlots = new Semaphore(16);

  /**
   * `binder`: the client of the binding POSTs, the one request the scheduler makes per pod;
   * a connection pool of their own, so that status writes and events never hold them up.
   */
  constructor(
    private readonly client: Client,
    private readonly now: () => number = Date.now,
    private readonly binder: Client = client,
  ) {}

  async bind(pod: KubeObject, node: string): Promise<void> {
    const m = pod.metadata;
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    };
    await this.binder.request('POST', this.binder.path(R.pods, m.namespace, m.name, 'binding'), binding);
  }

  async updateCondition(pod: KubeObject, c: PodCondition): Promise<void> {
    const old = (pod.status?.conditions ?? []).find((x: PodCondition) => x.type === c.type) as (PodCondition & { lastTransitionTime?: string }) | undefined;
    const lastTransitionTime = old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const condition = { ...c, lastProbeTime: null, lastTransitionTime };
    await this.statusSlots.acquire();
    try {
      await this.client.patch(R.pods, pod.metadata.namespace, pod.metadata.name!, { status: { conditions: [condition] } }, 'strategic', 'status');
    } finally {
      this.statusSlots.release();
    }
  }
}

/** Whether `pod` already carries `c` (status, reason and message), so writing it again would change nothing. */
export function hasCondition(pod: KubeObject, c: PodCondition): boolean {
  const old = (pod.status?.conditions ?? []).find((x: PodCondition) => x.type === c.type) as PodCondition | undefined;
  return old !== undefined && old.status === c.status && (old.reason ?? '') === (c.reason ?? '') && (old.message ?? '') === (c.message ?? '');
}

/** A counting semaphore: at most `n` holders at once. */
export class Semaphore {
  private held = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly n: number) {}

  acquire(): Promise<void> {
    if (this.held < this.n) {
      this.held++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held--;
  }

  get inUse(): number {
    return this.held;
  }
}

/**
 * Drops events beyond a token-bucket rate, as client-go's event broadcaster drops what
 * its bounded queue cannot hold: under a burst of thousands of bindings, the
 * "Scheduled" events must not cost more apiserver writes than the bindings themselves.
 */
export class RateLimitedRecorder implements EventRecorder {
  private tokens: number;
  private last: number;
  dropped = 0;

  constructor(
    private readonly inner: EventRecorder,
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) {
      this.dropped++;
      return;
    }
    this.tokens--;
    this.inner.event(obj, type, reason, message);
  }
}
