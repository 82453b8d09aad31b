import { describe, expect, it } from 'vitest';
import { FakeRecorder } from '../../shared/events.js';
import { byNamespace } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { Expectations } from '../daemonset/expectations.js';
import { FakeClient, FakeLister } from '../daemonset/fake.js';
import { BackoffStore } from './backoff.js';
import { formatIndexes, parseIndexes } from './indexes.js';
import { StatusWrites, syncJob, type JobDeps } from './reconcile.js';
import { FinalizerExpectations } from './tracking.js';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const FINALIZER = 'batch.kubernetes.io/job-tracking';

function job(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'ns', uid: 'job-uid', generation: 1, resourceVersion: '1' },
    spec: {
      completions: 5,
      parallelism: 2,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'job-uid' } },
      template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'job-uid', 'job-name': 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } },
      ...spec,
    },
  };
}

class World {
  now = T0;
  client = new FakeClient(() => new Date(this.now));
  recorder = new FakeRecorder();
  jobs = new FakeLister();
  pods = new FakeLister({ namespace: byNamespace });
  expectations = new Expectations(() => new Date(this.now));
  finalizers = new FinalizerExpectations();
  deps: JobDeps = {
    client: this.client,
    recorder: this.recorder,
    jobs: this.jobs,
    pods: this.pods,
    expectations: this.expectations,
    finalizerExpectations: this.finalizers,
    backoff: new BackoffStore(),
    statusWrites: new StatusWrites(),
    now: () => new Date(this.now),
  };

  constructor(j: KubeObject) {
    this.client.seed(R.jobs, j);
    this.observe();
  }

  /** The informers catch up, telling expectations what the handlers would. */
  observe(): void {
    const before = new Map(this.pods.items);
    const pods = this.client.list(R.pods);
    for (const p of pods) {
      const old = before.get(`ns/${p.metadata.name}`);
      if (!old) this.expectations.creationObserved('ns/pi');
      if (old?.metadata.finalizers?.includes(FINALIZER) && !p.metadata.finalizers?.includes(FINALIZER)) this.finalizers.observed('ns/pi', p.metadata.uid);
      if (p.metadata.deletionTimestamp) this.expectations.deletionObserved('ns/pi', p.metadata.uid);
    }
    for (const [k, p] of before) {
      if (pods.some((q) => `ns/${q.metadata.name}` === k)) continue;
      this.expectations.deletionObserved('ns/pi', p.metadata.uid);
      this.finalizers.observed('ns/pi', p.metadata.uid);
    }
    this.pods.replace(pods);
    this.jobs.replace(this.client.list(R.jobs));
  }

  async sync() {
    this.observe();
    return syncJob('ns/pi', this.deps);
  }

  job(): KubeObject {
    return this.client.list(R.jobs)[0]!;
  }

  live(): KubeObject[] {
    return this.client.list(R.pods).filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase) && !p.metadata.deletionTimestamp);
  }

  /** The kubelet: each running pod finishes with `phase`; pods being deleted go away. */
  finish(phase: 'Succeeded' | 'Failed', count = Infinity): void {
    for (const p of this.client.list(R.pods)) {
      if (p.metadata.deletionTimestamp) {
        if (!p.metadata.finalizers?.length) this.client.objects.delete(`pods/ns/${p.metadata.name}`);
        continue;
      }
      if (count <= 0 || ['Succeeded', 'Failed'].includes(p.status?.phase)) continue;
      count--;
      p.spec.nodeName = 'n1';
      p.status = {
        phase,
        containerStatuses: [{ name: 'pi', restartCount: 0, state: { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt: new Date(this.now).toISOString() } } }],
      };
      this.client.seed(R.pods, p);
    }
  }

  conditions(): string[] {
    return (this.job().status?.conditions ?? []).map((c: { type: string; status: string; reason?: string }) => `${c.type}=${c.status}${c.reason ? `/${c.reason}` : ''}`);
  }
}

describe('Job sync', () => {
  it('starts min(parallelism, completions) pods carrying the tracking finalizer, and no more while creates are unobserved', async () => {
    const w = new World(job());
    await w.sync();
    expect(w.live()).toHaveLength(2);
    const pod = w.client.list(R.pods)[0]!;
    expect(pod.metadata.generateName).toBe('pi-');
    expect(pod.metadata.finalizers).toEqual([FINALIZER]);
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true }]);
    expect(w.job().status).toMatchObject({ active: 2, ready: 0, startTime: '2024-01-01T00:00:00Z' });
    w.jobs.replace(w.client.list(R.jobs));
    await syncJob('ns/pi', w.deps); // pods not in the cache yet
    expect(w.client.list(R.pods)).toHaveLength(2);
    expect(w.recorder.events.filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(2);
  });

  it('completes 5 of 5 with never more than 2 active, counting each pod once through uncountedTerminatedPods', async () => {
    const w = new World(job());
    let maxActive = 0;
    for (let i = 0; i < 12 && !w.conditions().includes('Complete=True/CompletionsReached'); i++) {
      await w.sync();
      maxActive = Math.max(maxActive, w.live().length);
      w.finish('Succeeded', 1);
    }
    expect(maxActive).toBe(2);
    expect(w.client.list(R.pods).filter((p) => p.status.phase === 'Succeeded')).toHaveLength(5);
    expect(w.job().status.failed).toBeUndefined();
    expect(w.job().status).toMatchObject({ succeeded: 5, active: 0, completionTime: expect.any(String), uncountedTerminatedPods: {} });
    expect(w.conditions()).toEqual(['SuccessCriteriaMet=True/CompletionsReached', 'Complete=True/CompletionsReached']);
    expect(w.client.list(R.pods).every((p) => !p.metadata.finalizers?.length)).toBe(true);
    expect(w.recorder.events.filter((e) => e.reason === 'Completed')).toEqual([{ reason: 'Completed', type: 'Normal', message: 'Job completed', object: 'Job/ns/pi' }]);
  });

  it('writes the uncounted UID before removing the finalizer, and counts it after', async () => {
    const w = new World(job({ completions: 1, parallelism: 1 }));
    await w.sync();
    w.finish('Succeeded');
    const start = w.client.actions.length;
    await w.sync();
    const steps = w.client.writes().slice(w.client.writes().length - (w.client.actions.length - start));
    expect(steps).toEqual(['update jobs/status pi', expect.stringMatching(/^patch pods pi-/), 'update jobs/status pi']);
    const first = w.client.actions.filter((a) => a.sub === 'status').at(-2)!.body as KubeObject;
    expect(first.status.uncountedTerminatedPods.succeeded).toHaveLength(1);
    expect(first.status.succeeded ?? 0).toBe(0);
    expect(w.job().status.succeeded).toBe(1);
  });

  it('does not count a pod twice when its finalizer removal is not yet in the cache', async () => {
    const w = new World(job({ completions: 2, parallelism: 1 }));
    await w.sync();
    w.finish('Succeeded');
    await w.sync();
    expect(w.job().status.succeeded).toBe(1);
    // The pod cache still shows the finalizer; the job cache is fresh.
    const stalePods = w.pods.list();
    w.jobs.replace(w.client.list(R.jobs));
    await syncJob('ns/pi', w.deps);
    w.pods.replace(stalePods);
    w.jobs.replace(w.client.list(R.jobs));
    await syncJob('ns/pi', w.deps);
    expect(w.job().status.succeeded).toBe(1);
  });

  it('does not act on a Job cache older than its own last status write', async () => {
    const w = new World(job());
    await w.sync();
    const writes = w.client.writes().length;
    w.jobs.replace([job()]); // resourceVersion 1, before our write
    w.pods.replace(w.client.list(R.pods));
    await syncJob('ns/pi', w.deps);
    expect(w.client.writes()).toHaveLength(writes);
  });

  it('fails with BackoffLimitExceeded once failures exceed backoffLimit, backing off between attempts and stopping the rest', async () => {
    const w = new World(job({ completions: 3, parallelism: 3, backoffLimit: 1 }));
    await w.sync();
    w.finish('Failed', 1);
    const r = await w.sync();
    expect(w.job().status.failed).toBe(1);
    expect(r.requeueAfterMs).toBe(10_000); // no replacement before the backoff
    expect(w.live()).toHaveLength(2);
    w.finish('Failed', 1);
    await w.sync();
    expect(w.conditions()).toEqual(['FailureTarget=True/BackoffLimitExceeded']);
    expect(w.recorder.events.filter((e) => e.reason === 'SuccessfulDelete')).toHaveLength(1);
    w.finish('Failed', 0); // the kubelet finishes the deleted pod
    await w.sync();
    expect(w.conditions()).toEqual(['FailureTarget=True/BackoffLimitExceeded', 'Failed=True/BackoffLimitExceeded']);
    expect(w.job().status).toMatchObject({ failed: 3, active: 0, terminating: 0 });
    expect(w.job().status.completionTime).toBeUndefined();
    expect(w.recorder.events.at(-1)).toEqual({ reason: 'BackoffLimitExceeded', type: 'Warning', message: 'Job has reached the specified backoff limit', object: 'Job/ns/pi' });
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds, and asks to be woken at the deadline before that', async () => {
    const w = new World(job({ activeDeadlineSeconds: 30 }));
    const r = await w.sync();
    expect(r.requeueAfterMs).toBe(30_000);
    w.now += 30_000;
    await w.sync();
    expect(w.conditions()).toEqual(['FailureTarget=True/DeadlineExceeded']);
    expect(w.live()).toHaveLength(0);
    w.finish('Failed', 0);
    await w.sync();
    expect(w.conditions()).toContain('Failed=True/DeadlineExceeded');
  });

  it('suspends (deleting active pods, not counting them as failures) and resumes with a fresh startTime', async () => {
    const w = new World(job());
    await w.sync();
    w.client.seed(R.jobs, { ...w.job(), spec: { ...w.job().spec, suspend: true } });
    await w.sync();
    expect(w.live()).toHaveLength(0);
    expect(w.conditions()).toEqual(['Suspended=True/JobSuspended']);
    w.finish('Failed', 0);
    w.now += 60_000;
    w.client.seed(R.jobs, { ...w.job(), spec: { ...w.job().spec, suspend: false } });
    await w.sync();
    expect(w.conditions()).toEqual(['Suspended=False/JobResumed']);
    expect(w.job().status.failed).toBeUndefined();
    expect(w.job().status.startTime).toBe('2024-01-01T00:01:00Z');
    expect(w.live()).toHaveLength(2);
    expect(w.recorder.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Suspended', 'Resumed']));
  });

  it('counts a pod deleted from under it as failed, once', async () => {
    const w = new World(job({ completions: 1, parallelism: 1 }));
    await w.sync();
    const pod = w.client.list(R.pods)[0]!;
    pod.spec.nodeName = 'n1';
    w.client.seed(R.pods, pod);
    await w.client.delete(R.pods, 'ns', pod.metadata.name!); // graceful: the finalizer keeps it
    await w.sync();
    await w.sync();
    expect(w.job().status.failed).toBe(1);
  });

  it('Indexed: gives each pod a completion index and records completedIndexes as intervals', async () => {
    const w = new World(job({ completionMode: 'Indexed', completions: 4, parallelism: 2 }));
    await w.sync();
    const idx = w.client.list(R.pods).map((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index']).sort();
    expect(idx).toEqual(['0', '1']);
    expect(w.client.list(R.pods).map((p) => p.spec.hostname).sort()).toEqual(['pi-0', 'pi-1']);
    for (let i = 0; i < 8 && !w.conditions().includes('Complete=True/CompletionsReached'); i++) {
      w.finish('Succeeded', 1);
      await w.sync();
    }
    expect(w.job().status).toMatchObject({ completedIndexes: '0-3', succeeded: 4 });
    expect(formatIndexes([5, 1, 2, 3, 7])).toBe('1-3,5,7');
    expect([...parseIndexes('1-3,5,7', 6)]).toEqual([1, 2, 3, 5]);
  });
});
