// The scheduler against a real apiserver, on fake nodes (Node objects with Ready=True and
// allocatable; binding needs no kubelet): pods spread over the nodes; a pod too big for
// every node gets FailedScheduling with the reasons per node and PodScheduled=False, and
// lands once a big enough node joins; taints, tolerations and nodeSelector hold; with two
// schedulers under leader election only the leader binds, and every pod is bound once.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { CLI, startApiserver, type ApiserverProcess, type ComponentProcess } from '../support/apiserver.js';

/** Starts `skiff scheduler` against an apiserver. */
function startScheduler(server: string, extra: string[] = []): ComponentProcess {
  let out = '';
  const proc = spawn(process.execPath, [CLI, 'scheduler', '--server', server, '--v', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface NodeOpts {
  cpu?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
}

/** A fake node: a Node object that is Ready, with room for pods. */
async function createNode(client: Client, name: string, o: NodeOpts = {}): Promise<void> {
  const resources = { cpu: o.cpu ?? '4', memory: '8Gi', pods: '110' };
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const status = {
    capacity: resources,
    allocatable: resources,
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
  };
  await client.create(R.nodes, undefined, {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: o.taints ? { taints: o.taints } : {},
    status,
  });
  const created = await client.get(R.nodes, undefined, name);
  if (!created.status?.conditions?.length) await client.patch(R.nodes, undefined, name, { status }, 'merge', 'status');
}

function pod(name: string, o: { cpu?: string; owner?: string; spec?: Record<string, unknown> } = {}): KubeObject {
  return {
    metadata: {
      name,
      labels: { app: o.owner ?? name },
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `uid-${o.owner}`, controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: o.cpu ?? '100m', memory: '64Mi' } } }], ...(o.spec ?? {}) },
  };
}

async function nodeOf(client: Client, ns: string, name: string): Promise<string | undefined> {
  return (await client.get(R.pods, ns, name)).spec?.nodeName || undefined;
}

async function failedScheduling(client: Client, ns: string, name: string): Promise<KubeObject[]> {
  const events = await client.list(R.events, ns, { fieldSelector: `involvedObject.name=${name}` });
  return events.items.filter((e) => e.reason === 'FailedScheduling');
}

describe('scheduler', () => {
  let api: ApiserverProcess;
  let client: Client;
  let scheduler: ComponentProcess;
  const NS = 'sched';

  beforeAll(async () => {
    api = await startApiserver();
    client = new Client(api.url);
    await client.create(R.namespaces, undefined, { metadata: { name: NS } });
    for (const n of ['node-1', 'node-2', 'node-3']) await createNode(client, n);
    scheduler = startScheduler(api.url, ['--leader-elect=false']);
  });

  afterAll(async () => {
    await scheduler?.stop();
    await api?.cleanup();
  });

  it('spreads pods across the nodes', async () => {
    for (let i = 0; i < 6; i++) await client.create(R.pods, NS, pod(`web-${i}`, { owner: 'web' }));
    const placed = await until('6 pods bound', async () => {
      const pods = (await client.list(R.pods, NS, { labelSelector: 'app=web' })).items;
      return pods.every((p) => p.spec?.nodeName) && pods.length === 6 ? pods : undefined;
    });
    const perNode = new Map<string, number>();
    for (const p of placed) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    expect(Object.fromEntries(perNode)).toEqual({ 'node-1': 2, 'node-2': 2, 'node-3': 2 });
    const bound = placed[0]!;
    expect(bound.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled')).toMatchObject({ status: 'True' });
    const events = await client.list(R.events, NS, { fieldSelector: `involvedObject.name=${bound.metadata.name}` });
    expect(events.items.map((e) => [e.reason, e.message])).toContainEqual(['Scheduled', `Successfully assigned ${NS}/${bound.metadata.name} to ${bound.spec.nodeName}`]);
  });

  it('explains why a pod too big for every node fits nowhere, and places it once a big node joins', async () => {
    await client.create(R.pods, NS, pod('huge', { cpu: '16' }));
    const expected = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    const [event] = await until('a FailedScheduling event', async () => ((await failedScheduling(client, NS, 'huge')).length ? failedScheduling(client, NS, 'huge') : undefined));
    expect(event).toMatchObject({ type: 'Warning', reason: 'FailedScheduling', message: expected, source: { component: 'default-scheduler' } });
    const condition = await until('PodScheduled=False', async () =>
      ((await client.get(R.pods, NS, 'huge')).status?.conditions ?? []).find((c: { type: string }) => c.type === 'PodScheduled'),
    );
    expect(condition).toMatchObject({ status: 'False', reason: 'Unschedulable', message: expected });
    // Not retried in a hot loop: with nothing changing, the pod is tried once (or a
    // few times at most, as leftovers), not hundreds of times.
    await new Promise((r) => setTimeout(r, 1500));
    const [again] = await failedScheduling(client, NS, 'huge');
    expect(again!.count ?? 1).toBeLessThanOrEqual(2);

    await createNode(client, 'big-node', { cpu: '32' });
    expect(await until('huge to be bound', () => nodeOf(client, NS, 'huge'), 20_000)).toBe('big-node');
    await client.delete(R.pods, NS, 'huge', { gracePeriodSeconds: 0 });
    await client.delete(R.nodes, undefined, 'big-node');
  });

  it('honours taints, tolerations and nodeSelector', async () => {
    await createNode(client, 'gpu-node', { labels: { pool: 'gpu' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    const gpuSelector = { nodeSelector: { pool: 'gpu' } };
    const toleration = { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] };

    await client.create(R.pods, NS, pod('gpu-intolerant', { spec: gpuSelector }));
    await client.create(R.pods, NS, pod('gpu-tolerant', { spec: { ...gpuSelector, ...toleration } }));
    await client.create(R.pods, NS, pod('ssd-only', { spec: { nodeSelector: { disk: 'ssd' } } }));
    for (let i = 0; i < 8; i++) await client.create(R.pods, NS, pod(`plain-${i}`, { owner: 'plain' }));

    expect(await until('gpu-tolerant to be bound', () => nodeOf(client, NS, 'gpu-tolerant'))).toBe('gpu-node');
    const [event] = await until('gpu-intolerant to fail', async () => ((await failedScheduling(client, NS, 'gpu-intolerant')).length ? failedScheduling(client, NS, 'gpu-intolerant') : undefined));
    expect(event!.message).toBe(
      "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 3 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.',
    );
    const plain = await until('the plain pods to be bound', async () => {
      const pods = (await client.list(R.pods, NS, { labelSelector: 'app=plain' })).items;
      return pods.length === 8 && pods.every((p) => p.spec?.nodeName) ? pods : undefined;
    });
    expect(plain.map((p) => p.spec.nodeName)).not.toContain('gpu-node');

    // Labelling a node lets the pod that waited for one land there.
    await until('ssd-only to fail', async () => ((await failedScheduling(client, NS, 'ssd-only')).length ? true : undefined));
    expect(await nodeOf(client, NS, 'ssd-only')).toBeUndefined();
    await client.patch(R.nodes, undefined, 'node-2', { metadata: { labels: { disk: 'ssd' } } });
    expect(await until('ssd-only to be bound', () => nodeOf(client, NS, 'ssd-only'), 20_000)).toBe('node-2');
  });

  it('keeps pods off cordoned and NotReady nodes, and honours hostPort conflicts and anti-affinity', async () => {
    await client.patch(R.nodes, undefined, 'gpu-node', { spec: { unschedulable: true } });
    await client.patch(R.nodes, undefined, 'node-3', { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }] } }, 'strategic', 'status');
    // Node and pod events come on separate watches: let the node changes arrive first.
    await new Promise((r) => setTimeout(r, 500));
    const antiAffinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    const hostPort = [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80, hostPort: 8080 }] }];
    for (const i of [0, 1]) await client.create(R.pods, NS, { ...pod(`anti-${i}`, { spec: { containers: hostPort, affinity: antiAffinity } }), metadata: { name: `anti-${i}`, labels: { app: 'anti' } } });
    const nodes = await until('two anti pods bound', async () => {
      const placed = await Promise.all([0, 1].map((i) => nodeOf(client, NS, `anti-${i}`)));
      return placed.every(Boolean) ? placed : undefined;
    });
    expect(new Set(nodes)).toEqual(new Set(['node-1', 'node-2']));

    // A third anti pod (it tolerates the cordon, not the gpu taint) and a pod wanting the same host port fit nowhere.
    const tolerateCordon = [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }];
    await client.create(R.pods, NS, { ...pod('anti-2', { spec: { affinity: antiAffinity, tolerations: tolerateCordon } }), metadata: { name: 'anti-2', labels: { app: 'anti' } } });
    await client.create(R.pods, NS, pod('port', { spec: { containers: hostPort } }));
    const failed = async (name: string) => until(`${name} to fail`, async () => (await failedScheduling(client, NS, name))[0]);
    expect((await failed('anti-2')).message).toBe(
      "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 node(s) didn't match pod anti-affinity rules. " +
        'preemption: 0/4 nodes are available: 2 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    );
    expect((await failed('port')).message).toBe(
      "0/4 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable, 2 node(s) didn't have free ports for the requested pod ports. " +
        'preemption: 0/4 nodes are available: 2 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    );
    // node-3 is Ready again: both land there.
    await client.patch(R.nodes, undefined, 'node-3', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } }, 'strategic', 'status');
    expect(await until('anti-2 to be bound', () => nodeOf(client, NS, 'anti-2'), 20_000)).toBe('node-3');
    expect(await until('port to be bound', () => nodeOf(client, NS, 'port'), 20_000)).toBe('node-3');
  });
});

describe('scheduler leader election', () => {
  let api: ApiserverProcess;
  let client: Client;
  const schedulers: ComponentProcess[] = [];
  const NS = 'election';
  const ELECTION = ['--leader-elect-lease-duration', '4', '--leader-elect-renew-deadline', '3', '--leader-elect-retry-period', '1', '--v', 'info'];

  beforeAll(async () => {
    api = await startApiserver();
    client = new Client(api.url);
    await client.create(R.namespaces, undefined, { metadata: { name: NS } });
    for (const n of ['node-a', 'node-b', 'node-c']) await createNode(client, n);
  });

  afterAll(async () => {
    for (const s of schedulers) await s.stop();
    await api?.cleanup();
  });

  it('lets only the leader bind, hands over on kill -9, and binds every pod exactly once', async () => {
    schedulers.push(startScheduler(api.url, ELECTION), startScheduler(api.url, ELECTION));
    const lease = await until('a leader', async () => {
      try {
        const l = await client.get(R.leases, 'kube-system', 'kube-scheduler');
        return l.spec?.holderIdentity ? l : undefined;
      } catch {
        return undefined;
      }
    });
    const leaderPid = Number(String(lease.spec.holderIdentity).split('_').pop());
    const leader = schedulers.find((s) => s.proc.pid === leaderPid)!;
    const standby = schedulers.find((s) => s !== leader)!;
    expect(leader).toBeDefined();

    // Every transition of a pod's nodeName, as a watcher sees them.
    const bindings = new Map<string, string[]>();
    const abort = new AbortController();
    const list = await client.list(R.pods, NS);
    const watching = (async () => {
      for await (const e of client.watch(R.pods, NS, { resourceVersion: list.metadata.resourceVersion }, abort.signal)) {
        const name = e.object.metadata.name!;
        const node = e.object.spec?.nodeName;
        const seen = bindings.get(name) ?? [];
        if (node && seen[seen.length - 1] !== node) seen.push(node);
        bindings.set(name, seen);
      }
    })().catch((err: unknown) => {
      if ((err as Error).name !== 'AbortError') throw err;
    });

    for (let i = 0; i < 30; i++) await client.create(R.pods, NS, pod(`first-${i}`, { owner: 'first' }));
    await until('30 pods bound', async () => ([...bindings.values()].filter((b) => b.length).length === 30 ? true : undefined));
    expect(standby.output()).not.toMatch(/became leader/);

    leader.proc.kill('SIGKILL');
    const killedAt = Date.now();
    for (let i = 0; i < 30; i++) await client.create(R.pods, NS, pod(`second-${i}`, { owner: 'second' }));
    await until('the standby to lead', async () => (/became leader/.test(standby.output()) ? true : undefined), 20_000);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    await until('60 pods bound', async () => ([...bindings.values()].filter((b) => b.length).length === 60 ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    abort.abort();
    await watching;

    for (const [name, nodes] of bindings) expect(nodes, name).toHaveLength(1);
    const pods = (await client.list(R.pods, NS)).items;
    expect(pods.filter((p) => p.spec?.nodeName)).toHaveLength(60);
    expect(standby.output()).not.toMatch(/binding rejected/);
  });
});
