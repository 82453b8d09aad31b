// One probe of one container (pkg/kubelet/prober/worker.go): probes every periodSeconds,
// counts consecutive results against successThreshold/failureThreshold, and publishes the
// result. Startup gates the others; a liveness or startup failure puts the worker on hold
// until the container is replaced (a new container ID).
import { runHandler, type ProbeOutcome, type ProbeTarget } from './handlers.js';

export type ProbeType = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'Success' | 'Failure' | 'Unknown';

export const EVENT_NAME: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** What a worker reads of its container and reports back; the manager implements it. */
export interface WorkerHost {
  now(): number;
  setTimer(fn: () => void, ms: number): () => void;
  /** The container's current ID (running or not), whether it runs, and since when. */
  container(): { containerId?: string; startedAt?: number };
  /** Has the container passed its startup probe (or has none)? */
  started(): boolean;
  podDeleting(): boolean;
  target(containerId: string): ProbeTarget;
  publish(type: ProbeType, result: ProbeResult): void;
  event(type: ProbeType, outcome: ProbeOutcome | { error: string }): void;
  /** A probe ran (for tests and logs). */
  probed?(type: ProbeType, outcome: ProbeOutcome | { error: string }): void;
}

export interface ProbeSpec {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  handler: any;
}

/** The API's defaults (period 10 s, timeout 1 s, thresholds 1 and 3). */
export function probeSpec(p: any, type: ProbeType): ProbeSpec {
  const pos = (v: unknown, d: number) => (typeof v === 'number' && v > 0 ? v : d);
  return {
    initialDelaySeconds: typeof p.initialDelaySeconds === 'number' ? p.initialDelaySeconds : 0,
    periodSeconds: pos(p.periodSeconds, 10),
    timeoutSeconds: pos(p.timeoutSeconds, 1),
    // Liveness and startup probes must have successThreshold 1 (validation enforces it).
    successThreshold: type === 'readiness' ? pos(p.successThreshold, 1) : 1,
    failureThreshold: pos(p.failureThreshold, 3),
    handler: p,
  };
}

export class ProbeWorker {
  private containerId: string | undefined;
  private onHold = false;
  private lastResult: ProbeResult = 'Unknown';
  private resultRun = 0;
  private stopped = false;
  private running = false;
  /** A trigger arrived while a probe ran: probe again as soon as it ends. */
  private pending = false;
  private cancelTimer: () => void = () => {};

  constructor(
    readonly type: ProbeType,
    readonly spec: ProbeSpec,
    private readonly host: WorkerHost,
  ) {}

  /** upstream's initialValue: readiness fails and liveness passes until probed; startup is unknown. */
  get initialValue(): ProbeResult {
    return this.type === 'readiness' ? 'Failure' : this.type === 'liveness' ? 'Success' : 'Unknown';
  }

  start(): void {
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  /** Probe now instead of at the next period (upstream's manualTriggerCh). */
  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    this.cancelTimer();
    this.tick();
  }

  private tick(): void {
    this.running = true;
    void this.doProbe()
      .catch(() => true) // a failing onChange handler must not end the worker
      .then((again) => {
        this.running = false;
        if (!again || this.stopped) {
          this.stopped = true;
          return;
        }
        if (this.pending) {
          this.pending = false;
          this.tick();
        } else this.cancelTimer = this.host.setTimer(() => this.tick(), this.spec.periodSeconds * 1000);
      });
  }

  /** One step of worker.doProbe; false ends the worker. */
  private async doProbe(): Promise<boolean> {
    if (this.stopped) return false;
    const c = this.host.container();
    if (!c.containerId) return true; // not created yet, or gone: wait
    if (c.containerId !== this.containerId) {
      this.containerId = c.containerId;
      this.host.publish(this.type, this.initialValue);
      this.onHold = false;
      this.lastResult = 'Unknown';
      this.resultRun = 0;
    }
    if (this.onHold) return true;
    if (c.startedAt === undefined) {
      // Not running: unready. (Upstream marks every probe failed here; liveness and startup
      // are left alone so that an exited container never reads as "restart it for its probe".)
      if (this.type === 'readiness') this.host.publish(this.type, 'Failure');
      return true;
    }
    if (this.host.podDeleting() && this.type !== 'readiness') {
      this.host.publish(this.type, 'Success');
      return false;
    }
    if (this.host.now() - c.startedAt < this.spec.initialDelaySeconds * 1000) return true;
    if (this.host.started()) {
      if (this.type === 'startup') return true;
    } else if (this.type !== 'startup') return true;

    const id = this.containerId;
    let outcome: ProbeOutcome;
    try {
      outcome = await runHandler(this.spec.handler, this.spec.timeoutSeconds * 1000, this.host.target(id));
    } catch (err) {
      const error = (err as Error).message;
      this.host.probed?.(this.type, { error });
      this.host.event(this.type, { error });
      return true; // a prober error: the result is thrown away
    }
    if (this.stopped || id !== this.containerId) return !this.stopped;
    this.host.probed?.(this.type, outcome);
    if (outcome.result === 'Failure') this.host.event(this.type, outcome);
    if (outcome.result === this.lastResult) this.resultRun++;
    else {
      this.lastResult = outcome.result;
      this.resultRun = 1;
    }
    if ((outcome.result === 'Failure' && this.resultRun < this.spec.failureThreshold) || (outcome.result === 'Success' && this.resultRun < this.spec.successThreshold)) {
      return true;
    }
    this.host.publish(this.type, outcome.result);
    if (this.type !== 'readiness' && outcome.result === 'Failure') {
      // The container will be restarted: stop probing until a new container ID shows up.
      this.onHold = true;
      this.resultRun = 0;
    }
    return true;
  }
}
