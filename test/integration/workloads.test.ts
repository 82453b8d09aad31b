// The DaemonSet, StatefulSet and Job controllers against a real apiserver and
// controller-manager, with fake nodes and a tiny in-test stand-in for the scheduler and the
// kubelets: it binds pending pods (daemon pods to the node their metadata.name affinity
// names, others to a base node), marks bound pods Running and Ready after a short delay —
// or, for pods labelled test.skiff.dev/outcome, Succeeded or Failed with a terminated
// container — and finishes pods being deleted with a DELETE at grace period 0.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { Informer } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject, WatchEvent } from '../../shared/types.js';
import { startApiserver, startControllerManager, type ApiserverProcess, type ComponentProcess } from '../support/apiserver.js';
import { until as waitUntil } from '../support/until.js';

const OUTCOME = 'test.skiff.dev/outcome';
const BASE_NODES = ['node-a', 'node-b'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

const until = <T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> => waitUntil(what, fn, ms, () => '', 100);

function fakeNode(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now(), lastTransitionTime: now() }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    },
  };
}

/** The node a daemon pod's required affinity names (what the scheduler would bind it to). */
function affinityNode(pod: KubeObject): string | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms) for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In') return f.values[0];
  return undefined;
}

/** Scheduler and kubelets in one level-triggered loop over a pod informer. */
class FakeKubelet {
  private readonly pods: Informer;
  private readonly boundAt = new Map<string, number>();
  private readonly busy = new Set<string>();
  private timer?: NodeJS.Timeout;
  private next = 0;
  ipSeq = 2;

  constructor(
    private readonly client: Client,
    private readonly nodes: () => string[],
  ) {
    this.pods = new Informer(client, R.pods, pino({ level: 'silent' }));
  }

  async start(): Promise<void> {
    await this.pods.start();
    this.timer = setInterval(() => {
      for (const pod of this.pods.list()) void this.step(pod);
    }, 50);
  }

  stop(): void {
    clearInterval(this.timer);
    this.pods.stop();
  }

  private async step(pod: KubeObject): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    if (this.busy.has(uid!)) return;
    this.busy.add(uid!);
    try {
      if (pod.metadata.deletionTimestamp) {
        if ((pod.metadata.deletionGracePeriodSeconds ?? 0) > 0) await this.client.delete(R.pods, namespace, name!, { gracePeriodSeconds: 0, preconditions: { uid } });
        return;
      }
      if (!pod.spec?.nodeName) {
        const node = affinityNode(pod) ?? BASE_NODES[this.next++ % BASE_NODES.length]!;
        if (!this.nodes().includes(node)) return;
        await this.client.request('POST', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } });
        return;
      }
      if (pod.status?.phase !== 'Pending') return;
      const seen = this.boundAt.get(uid!) ?? Date.now();
      this.boundAt.set(uid!, seen);
      if (Date.now() - seen < 200) return;
      await this.client.patch(R.pods, namespace, name!, { status: this.statusFor(pod) }, 'merge', 'status');
    } catch {
      // conflicts and races with the controllers: the next tick looks again
    } finally {
      this.busy.delete(uid!);
    }
  }

  private statusFor(pod: KubeObject): Record<string, unknown> {
    const t = now();
    const outcome = pod.metadata.labels?.[OUTCOME];
    const containers = (pod.spec.containers ?? []) as { name: string; image: string }[];
    const scheduled = { type: 'PodScheduled', status: 'True', lastTransitionTime: t };
    const podIP = `10.244.0.${this.ipSeq++ % 250}`;
    if (outcome === 'succeed' || outcome === 'fail') {
      const exitCode = outcome === 'succeed' ? 0 : 1;
      return {
        phase: outcome === 'succeed' ? 'Succeeded' : 'Failed',
        podIP,
        startTime: t,
        conditions: [scheduled, { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: t }],
        containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: t, finishedAt: t } } })),
      };
    }
    return {
      phase: 'Running',
      podIP,
      startTime: t,
      conditions: [scheduled, { type: 'Initialized', status: 'True', lastTransitionTime: t }, { type: 'ContainersReady', status: 'True', lastTransitionTime: t }, { type: 'Ready', status: 'True', lastTransitionTime: t }],
      containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: t } } })),
    };
  }
}

/** Records every pod watch event of a namespace, in resourceVersion order. */
class PodRecorder {
  readonly events: WatchEvent[] = [];
  private readonly abort = new AbortController();

  constructor(client: Client, namespace: string) {
    void (async () => {
      try {
        for await (const e of client.watch(R.pods, namespace, { resourceVersion: '0' }, this.abort.signal)) this.events.push(e);
      } catch {
        // aborted at the end of the test
      }
    })();
  }

  stop(): void {
    this.abort.abort();
  }

  rv(e: WatchEvent): number {
    return Number(e.object.metadata.resourceVersion);
  }

  first(pred: (e: WatchEvent) => boolean): number {
    const e = this.events.find(pred);
    return e ? this.rv(e) : Infinity;
  }
}

const ready = (p: KubeObject) => (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');

describe('workload controllers', () => {
  let api: ApiserverProcess;
  let cm: ComponentProcess;
  let client: Client;
  let kubelet: FakeKubelet;
  const nodes = new Set<string>();

  const createNamespace = (name: string) => client.create(R.namespaces, undefined, { metadata: { name } });
  const addNode = async (name: string) => {
    await client.create(R.nodes, undefined, fakeNode(name));
    nodes.add(name);
  };

  beforeAll(async () => {
    api = await startApiserver();
    client = new Client(api.url);
    for (const n of BASE_NODES) await addNode(n);
    kubelet = new FakeKubelet(client, () => [...nodes]);
    await kubelet.start();
    cm = await startControllerManager(api.url, ['--leader-elect=false', '--controllers', 'daemonset,statefulset,job,garbagecollector']);
  });

  afterAll(async () => {
    kubelet?.stop();
    await cm?.stop();
    await api?.cleanup();
  });

  it('a DaemonSet follows a node joining and leaving', async () => {
    await createNamespace('ds');
    await client.create(R.daemonsets, 'ds', {
      metadata: { name: 'agent' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'agent:1' }] } } },
    });
    const podsByNode = async () => {
      const list = await client.list(R.pods, 'ds');
      return list.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => `${p.spec.nodeName}:${ready(p) ? 'ready' : 'not-ready'}`).sort();
    };
    const status = async () => (await client.get(R.daemonsets, 'ds', 'agent')).status ?? {};
    await until('a ready daemon pod on each node', async () => JSON.stringify(await podsByNode()) === JSON.stringify(['node-a:ready', 'node-b:ready']));
    await until('status 2/2', async () => (await status()).numberReady === 2 && (await status()).desiredNumberScheduled === 2);

    await addNode('node-c');
    await until('a daemon pod on the new node', async () => (await podsByNode()).includes('node-c:ready'));
    await until('status 3/3', async () => {
      const s = await status();
      return s.desiredNumberScheduled === 3 && s.currentNumberScheduled === 3 && s.numberReady === 3 && s.numberAvailable === 3 && s.updatedNumberScheduled === 3;
    });
    const onC = (await client.list(R.pods, 'ds')).items.find((p) => p.spec.nodeName === 'node-c')!;
    expect(onC.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields).toEqual([{ key: 'metadata.name', operator: 'In', values: ['node-c'] }]);
    expect(onC.metadata.labels!['controller-revision-hash']).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);

    nodes.delete('node-c');
    await client.delete(R.nodes, undefined, 'node-c');
    await until('the pod of the departed node gone', async () => (await client.list(R.pods, 'ds')).items.every((p) => p.spec.nodeName !== 'node-c'));
    await until('status back to 2', async () => (await status()).desiredNumberScheduled === 2 && (await status()).currentNumberScheduled === 2);
    expect(await podsByNode()).toEqual(['node-a:ready', 'node-b:ready']);
    await until('SuccessfulCreate and SuccessfulDelete events', async () => {
      const events = (await client.list(R.events, 'ds')).items;
      return events.filter((e) => e.reason === 'SuccessfulCreate').length >= 3 && events.some((e) => e.reason === 'SuccessfulDelete');
    });
  });

  it('a DaemonSet rolls a new template out with at most maxUnavailable (1) node without a ready pod', async () => {
    const rec = new PodRecorder(client, 'ds');
    await sleep(200);
    const before = await client.get(R.daemonsets, 'ds', 'agent');
    await client.patch(R.daemonsets, 'ds', 'agent', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } });
    await until('every node on the new template', async () => {
      const s = (await client.get(R.daemonsets, 'ds', 'agent')).status;
      return s.observedGeneration === before.metadata.generation! + 1 && s.updatedNumberScheduled === 2 && s.numberAvailable === 2;
    });
    const pods = (await client.list(R.pods, 'ds')).items.filter((p) => !p.metadata.deletionTimestamp);
    expect(pods.map((p) => p.spec.containers[0].image)).toEqual(['agent:2', 'agent:2']);
    expect(new Set(pods.map((p) => p.metadata.labels!['controller-revision-hash'])).size).toBe(1);
    const state = new Map<string, KubeObject>();
    let minReady = Infinity;
    for (const e of rec.events) {
      if (e.type === 'DELETED') state.delete(e.object.metadata.name!);
      else state.set(e.object.metadata.name!, e.object);
      if (e.type !== 'ADDED' || rec.rv(e) > Number(before.metadata.resourceVersion)) {
        minReady = Math.min(minReady, [...state.values()].filter((p) => ready(p) && !p.metadata.deletionTimestamp).length);
      }
    }
    rec.stop();
    expect(minReady).toBe(1);
  });

  it('a StatefulSet creates x-0, x-1, x-2 in order, each after the previous is Ready, and scales down in reverse', async () => {
    await createNamespace('sts');
    const rec = new PodRecorder(client, 'sts');
    await sleep(200);
    await client.create(R.statefulsets, 'sts', {
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        serviceName: 'web',
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    });
    const get = () => client.get(R.statefulsets, 'sts', 'web');
    await until('3 ready replicas', async () => (await get()).status?.readyReplicas === 3, 60_000);
    const created = (n: string) => rec.first((e) => e.type === 'ADDED' && e.object.metadata.name === n);
    const becameReady = (n: string) => rec.first((e) => e.object.metadata.name === n && ready(e.object));
    expect(created('web-0')).toBeLessThan(created('web-1'));
    expect(created('web-1')).toBeLessThan(created('web-2'));
    expect(becameReady('web-0')).toBeLessThan(created('web-1'));
    expect(becameReady('web-1')).toBeLessThan(created('web-2'));
    const pod1 = await client.get(R.pods, 'sts', 'web-1');
    expect(pod1.metadata.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1' });
    expect(pod1.spec).toMatchObject({ hostname: 'web-1', subdomain: 'web' });
    expect(pod1.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } });
    const claims = (await client.list(R.persistentvolumeclaims, 'sts')).items.map((c) => c.metadata.name).sort();
    expect(claims).toEqual(['data-web-0', 'data-web-1', 'data-web-2']);
    expect(Number((await client.get(R.persistentvolumeclaims, 'sts', 'data-web-2')).metadata.resourceVersion)).toBeLessThan(created('web-2'));
    const status = (await get()).status;
    expect(status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3, observedGeneration: 1 });
    expect(status.currentRevision).toBe(status.updateRevision);

    await client.patch(R.statefulsets, 'sts', 'web', { spec: { replicas: 0 } });
    await until('scaled to 0', async () => (await client.list(R.pods, 'sts')).items.length === 0 && (await get()).status?.replicas === 0, 60_000);
    const deleting = (n: string) => rec.first((e) => e.object.metadata.name === n && !!e.object.metadata.deletionTimestamp);
    const gone = (n: string) => rec.first((e) => e.type === 'DELETED' && e.object.metadata.name === n);
    expect(deleting('web-2')).toBeLessThan(deleting('web-1'));
    expect(gone('web-2')).toBeLessThan(deleting('web-1'));
    expect(gone('web-1')).toBeLessThan(deleting('web-0'));
    // The default retention policy keeps the claims.
    expect((await client.list(R.persistentvolumeclaims, 'sts')).items).toHaveLength(3);
    rec.stop();
  });

  it('a Job with completions 5 and parallelism 2 completes, never running more than 2 pods at once', async () => {
    await createNamespace('job-ok');
    const rec = new PodRecorder(client, 'job-ok');
    await sleep(200);
    await client.create(R.jobs, 'job-ok', {
      metadata: { name: 'work' },
      spec: { completions: 5, parallelism: 2, template: { metadata: { labels: { [OUTCOME]: 'succeed' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox' }] } } },
    });
    const job = await until('Complete', async () => {
      const j = await client.get(R.jobs, 'job-ok', 'work');
      return (j.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Complete' && c.status === 'True') && j;
    }, 60_000);
    expect(job.status).toMatchObject({ succeeded: 5, active: 0, ready: 0, startTime: expect.any(String), completionTime: expect.any(String) });
    expect(job.status.conditions.map((c: { type: string }) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    // Replay the pod events: at no moment were more than 2 pods active.
    const state = new Map<string, KubeObject>();
    let maxActive = 0;
    for (const e of rec.events) {
      if (e.type === 'DELETED') state.delete(e.object.metadata.name!);
      else state.set(e.object.metadata.name!, e.object);
      const active = [...state.values()].filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase) && !p.metadata.deletionTimestamp).length;
      maxActive = Math.max(maxActive, active);
    }
    rec.stop();
    expect(maxActive).toBe(2);
    const pods = (await client.list(R.pods, 'job-ok')).items;
    expect(pods.filter((p) => p.status.phase === 'Succeeded')).toHaveLength(5);
    expect(pods.every((p) => !p.metadata.finalizers?.length)).toBe(true);
    // Events are recorded asynchronously.
    await until('the Completed event', async () => (await client.list(R.events, 'job-ok')).items.some((e) => e.reason === 'Completed' && e.message === 'Job completed'));
  });

  it('a Job whose pods fail reaches Failed with BackoffLimitExceeded', async () => {
    await createNamespace('job-fail');
    await client.create(R.jobs, 'job-fail', {
      metadata: { name: 'doomed' },
      spec: { completions: 1, parallelism: 1, backoffLimit: 1, template: { metadata: { labels: { [OUTCOME]: 'fail' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox' }] } } },
    });
    // The second attempt comes after Kubernetes' 10 s pod failure backoff.
    const job = await until('Failed', async () => {
      const j = await client.get(R.jobs, 'job-fail', 'doomed');
      return (j.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Failed' && c.status === 'True') && j;
    }, 60_000);
    const failed = job.status.conditions.find((c: { type: string }) => c.type === 'Failed');
    expect(failed).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(job.status.conditions.map((c: { type: string }) => c.type)).toEqual(['FailureTarget', 'Failed']);
    expect(job.status).toMatchObject({ failed: 2, active: 0 });
    expect(job.status.completionTime).toBeUndefined();
    expect((await client.list(R.pods, 'job-fail')).items).toHaveLength(2);
    await until('the BackoffLimitExceeded event', async () => (await client.list(R.events, 'job-fail')).items.some((e) => e.reason === 'BackoffLimitExceeded' && e.type === 'Warning'));
  });
});
