// The Deployment controller against a real apiserver and controller-manager (deployment,
// replicaset, garbagecollector), driven by the stock kubectl: apply, rollout status,
// set image under a watcher that checks maxSurge/maxUnavailable at every pod event,
// rollout history, undo (no third ReplicaSet), pause/resume, restart, and scaling.
// No scheduler and no kubelet: a small loop in this file plays both — it binds new pods
// to a fake node, marks them Running and Ready shortly after, and removes pods being
// deleted at once (grace 0).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { type ApiserverProcess, type ComponentProcess, startApiserver, startControllerManager } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const NS = 'deploy-it';
const NODE = 'fake-node-1';
const READY_AFTER_MS = 300;
const REPLICAS = 4;
// maxSurge 25% of 4 rounds up to 1; maxUnavailable 25% of 4 rounds down to 1.
const MAX_SURGE = 1;
const MAX_UNAVAILABLE = 1;

let api: ApiserverProcess;
let cm: ComponentProcess;
let client: Client;
let kubectl: Kubectl;
let kubelet: FakeKubelet;

const manifest = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NS}
spec:
  replicas: ${REPLICAS}
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
      - name: web
        image: nginx:1.25
        resources:
          requests: { cpu: 100m, memory: 64Mi }
`;

/** Plays scheduler and kubelet for the pods of one namespace, by polling. */
class FakeKubelet {
  private readonly boundAt = new Map<string, number>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private ip = 10;

  constructor(
    private readonly client: Client,
    private readonly ns: string,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.step().catch(() => undefined); // a race with the controllers: next round
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async step(): Promise<void> {
    const pods = (await this.client.list(R.pods, this.ns)).items;
    await Promise.all(pods.map((p) => this.handle(p).catch((err: unknown) => {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
    })));
  }

  private async handle(pod: KubeObject): Promise<void> {
    const name = pod.metadata.name!;
    if (pod.metadata.deletionTimestamp) {
      await this.client.delete(R.pods, this.ns, name, { gracePeriodSeconds: 0 });
      return;
    }
    if (!pod.spec?.nodeName) {
      await this.client.request('POST', `${this.client.path(R.pods, this.ns, name)}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: NODE } });
      this.boundAt.set(pod.metadata.uid!, Date.now());
      return;
    }
    if (isReady(pod)) return;
    const bound = this.boundAt.get(pod.metadata.uid!);
    if (bound === undefined) this.boundAt.set(pod.metadata.uid!, Date.now());
    if (bound === undefined || Date.now() - bound < READY_AFTER_MS) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
    await this.client.update(R.pods, {
      ...pod,
      status: {
        phase: 'Running',
        conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), cond('Ready'), cond('ContainersReady'), cond('PodScheduled')],
        hostIP: '127.0.0.1',
        podIP: `10.244.0.${this.ip++ % 250}`,
        startTime: now,
        containerStatuses: (pod.spec.containers ?? []).map((c: { name: string; image: string }) => ({
          name: c.name,
          image: c.image,
          imageID: '',
          containerID: `fake://${pod.metadata.uid}/${c.name}`,
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        })),
      },
    }, 'status');
  }
}

const isReady = (p: KubeObject) => (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');

/**
 * Follows the namespace's pods and checks, at every event, that at least
 * replicas − maxUnavailable pods are ready and at most replicas + maxSurge exist
 * (pods being deleted are on their way out and count as neither).
 */
async function watchRollout(replicas: number) {
  const start = await client.list(R.pods, NS);
  const pods = new Map(start.items.map((p) => [p.metadata.uid!, p]));
  const stats = { events: 0, minReady: Infinity, maxPods: 0, violations: [] as string[] };
  const check = (what: string) => {
    const live = [...pods.values()].filter((p) => !p.metadata.deletionTimestamp);
    const ready = live.filter(isReady).length;
    stats.minReady = Math.min(stats.minReady, ready);
    stats.maxPods = Math.max(stats.maxPods, live.length);
    if (ready < replicas - MAX_UNAVAILABLE) stats.violations.push(`${what}: only ${ready} ready`);
    if (live.length > replicas + MAX_SURGE) stats.violations.push(`${what}: ${live.length} pods`);
  };
  check('start');
  const abort = new AbortController();
  const done = (async () => {
    try {
      for await (const e of client.watch(R.pods, NS, { resourceVersion: start.metadata.resourceVersion }, abort.signal)) {
        if (e.type === 'BOOKMARK') continue;
        stats.events++;
        if (e.type === 'DELETED') pods.delete(e.object.metadata.uid!);
        else pods.set(e.object.metadata.uid!, e.object);
        check(`${e.type} ${e.object.metadata.name}`);
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return { stats, stop: async () => (abort.abort(), await done) };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${cm.output().slice(-3000)}`);
}

const replicaSets = async () => (await client.list(R.replicasets, NS)).items;
const imageOf = (o: KubeObject) => o.spec.template.spec.containers[0].image as string;
const revisionOf = (o: KubeObject) => o.metadata.annotations?.['deployment.kubernetes.io/revision'];
const deployment = () => client.get(R.deployments, NS, 'web');

async function rolloutStatus(): Promise<string> {
  return kubectl.ok(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=60s'], { timeoutMs: 90_000 });
}

/** Live pods of the namespace, once they are exactly `n`, all ready, of one image. */
async function convergedPods(n: number, image: string): Promise<KubeObject[]> {
  return waitFor(`${n} ready pods of ${image}`, async () => {
    const live = (await client.list(R.pods, NS)).items;
    return live.length === n && live.every((p) => isReady(p) && p.spec.containers[0].image === image) && live;
  });
}

beforeAll(async () => {
  api = await startApiserver();
  cm = await startControllerManager(api.url, ['--leader-elect=false', '--controllers', 'deployment,replicaset,garbagecollector']);
  client = new Client(api.url);
  kubectl = new Kubectl(api.url);
  await client.create(R.namespaces, undefined, { metadata: { name: NS } });
  kubelet = new FakeKubelet(client, NS);
  kubelet.start();
});

afterAll(async () => {
  await kubelet?.stop();
  await cm?.stop();
  await api?.cleanup();
});

describe('Deployment controller with the stock kubectl', () => {
  it('kubectl apply: the rollout completes and rollout status says so', async () => {
    await kubectl.ok(['apply', '-f', '-'], { stdin: manifest });
    expect(await rolloutStatus()).toContain('deployment "web" successfully rolled out');
    const [rs] = await replicaSets();
    expect(rs!.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const hash = rs!.metadata.name!.slice('web-'.length);
    expect(rs!.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'web', controller: true, blockOwnerDeletion: true })]);
    expect(rs!.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' });
    const d = await deployment();
    expect(d.status).toMatchObject({ observedGeneration: d.metadata.generation, replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 });
    expect(d.status.conditions.map((c: { type: string; reason: string }) => `${c.type}/${c.reason}`).sort()).toEqual(['Available/MinimumReplicasAvailable', 'Progressing/NewReplicaSetAvailable']);
    await convergedPods(4, 'nginx:1.25');
    const events = (await client.list(R.events, NS)).items.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    expect(events).toContain(`Scaled up replica set ${rs!.metadata.name} from 0 to 4`);
  });

  it('kubectl set image rolls out within maxSurge and maxUnavailable at every pod event', async () => {
    const watcher = await watchRollout(REPLICAS);
    await kubectl.ok(['set', 'image', 'deployment/web', 'web=nginx:1.26', '-n', NS]);
    expect(await rolloutStatus()).toContain('successfully rolled out');
    await convergedPods(4, 'nginx:1.26');
    await watcher.stop();
    expect(watcher.stats.violations).toEqual([]);
    expect(watcher.stats.events).toBeGreaterThan(8);
    // It did surge, and did take a pod out: the bounds were used, not merely respected.
    expect(watcher.stats.maxPods).toBe(REPLICAS + MAX_SURGE);
    const rss = await replicaSets();
    expect(rss).toHaveLength(2);
    expect(rss.map((rs) => [imageOf(rs), rs.spec.replicas, revisionOf(rs)]).sort()).toEqual([
      ['nginx:1.25', 0, '1'],
      ['nginx:1.26', 4, '2'],
    ]);
  });

  it('kubectl rollout history shows both revisions', async () => {
    const out = await kubectl.ok(['rollout', 'history', 'deployment/web', '-n', NS]);
    const rows = out.trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0]);
    expect(rows).toEqual(['1', '2']);
    const detail = await kubectl.ok(['rollout', 'history', 'deployment/web', '-n', NS, '--revision=1']);
    expect(detail).toContain('nginx:1.25');
  });

  it('kubectl rollout undo returns to the previous image without a third ReplicaSet', async () => {
    const before = await replicaSets();
    const out = await kubectl.ok(['rollout', 'undo', 'deployment/web', '-n', NS]);
    expect(out).toContain('rolled back');
    expect(await rolloutStatus()).toContain('successfully rolled out');
    await convergedPods(4, 'nginx:1.25');
    const rss = await replicaSets();
    expect(rss.map((rs) => rs.metadata.name).sort()).toEqual(before.map((rs) => rs.metadata.name).sort());
    const back = rss.find((rs) => imageOf(rs) === 'nginx:1.25')!;
    expect(back.spec.replicas).toBe(4);
    expect(back.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect(imageOf(await deployment())).toBe('nginx:1.25');
    expect(revisionOf(await deployment())).toBe('3');
    const history = await kubectl.ok(['rollout', 'history', 'deployment/web', '-n', NS]);
    expect(history.trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0])).toEqual(['2', '3']);
  });

  it('kubectl rollout pause holds a new template back; resume rolls it out', async () => {
    await kubectl.ok(['rollout', 'pause', 'deployment/web', '-n', NS]);
    await kubectl.ok(['set', 'image', 'deployment/web', 'web=nginx:1.27', '-n', NS]);
    const paused = await waitFor('the paused condition', async () => {
      const d = await deployment();
      const c = d.status.conditions.find((x: { type: string }) => x.type === 'Progressing');
      return d.status.observedGeneration === d.metadata.generation && c?.reason === 'DeploymentPaused' && d;
    });
    expect(paused.status.conditions.find((x: { type: string }) => x.type === 'Progressing')).toMatchObject({ status: 'Unknown', message: 'Deployment is paused' });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await replicaSets()).map(imageOf).sort()).toEqual(['nginx:1.25', 'nginx:1.26']);
    expect((await client.list(R.pods, NS)).items.map((p) => p.spec.containers[0].image)).not.toContain('nginx:1.27');
    expect((await deployment()).status.updatedReplicas ?? 0).toBe(0);

    await kubectl.ok(['rollout', 'resume', 'deployment/web', '-n', NS]);
    expect(await rolloutStatus()).toContain('successfully rolled out');
    await convergedPods(4, 'nginx:1.27');
    const rss = await replicaSets();
    expect(rss).toHaveLength(3);
    expect(revisionOf(rss.find((rs) => imageOf(rs) === 'nginx:1.27')!)).toBe('4');
  });

  it('kubectl rollout restart makes a new revision of the same image', async () => {
    await kubectl.ok(['rollout', 'restart', 'deployment/web', '-n', NS]);
    expect(await rolloutStatus()).toContain('successfully rolled out');
    await convergedPods(4, 'nginx:1.27');
    const rss = await replicaSets();
    expect(rss).toHaveLength(4);
    const current = rss.find((rs) => rs.spec.replicas === 4)!;
    expect(current.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
    expect(revisionOf(current)).toBe('5');
  });

  it('kubectl scale to 6 and to 2 converges', async () => {
    await kubectl.ok(['scale', 'deployment/web', '--replicas=6', '-n', NS]);
    await convergedPods(6, 'nginx:1.27');
    expect(await rolloutStatus()).toContain('successfully rolled out');
    await waitFor('status of 6', async () => {
      const d = await deployment();
      return d.status.replicas === 6 && d.status.availableReplicas === 6 && d.status.updatedReplicas === 6;
    });
    await kubectl.ok(['scale', 'deployment/web', '--replicas=2', '-n', NS]);
    await convergedPods(2, 'nginx:1.27');
    await waitFor('status of 2', async () => {
      const d = await deployment();
      return d.status.replicas === 2 && d.status.availableReplicas === 2 && d.status.updatedReplicas === 2;
    });
    const active = (await replicaSets()).filter((rs) => rs.spec.replicas > 0);
    expect(active.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'])).toEqual(['2']);
    const events = (await client.list(R.events, NS)).items.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message as string);
    expect(events.some((m) => /^Scaled up replica set web-\w+ from 4 to 6$/.test(m))).toBe(true);
    expect(events.some((m) => /^Scaled down replica set web-\w+ from 6 to 2$/.test(m))).toBe(true);
  });
});
