// Nodes end to end against a real apiserver and controller-manager (node IPAM, node
// lifecycle, ReplicaSet, garbage collector) with one hollow kubelet process playing three
// nodes: each node gets its own podCIDR; a node that stops renewing its Lease goes
// Unknown and is tainted unreachable within the grace period, its pods are evicted after
// their tolerationSeconds while pods tolerating longer stay, the ReplicaSet replaces the
// evicted ones on the other nodes, and the node is untainted once it comes back.
// Pods are bound by the test itself (POST pods/binding) to healthy, untainted nodes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { type ApiserverProcess, CLI, type ComponentProcess, ROOT, startApiserver, startControllerManager } from '../support/apiserver.js';

const GRACE_SECONDS = 4;
const TOLERATION_SECONDS = 3;
const NODES = ['hollow-0', 'hollow-1', 'hollow-2'];
const DEAD = 'hollow-1';
const replicaSetControllerBuilt = !readFileSync(join(ROOT, 'controller-manager/replicaset/controller.ts'), 'utf8').includes('PLACEHOLDER');

let api: ApiserverProcess;
let cm: ComponentProcess;
let kubelet: ComponentProcess;
let client: Client;
let dir: string;
let controlFile: string;
let stopBinding = false;
let binder: Promise<void> | undefined;

function startHollowKubelet(server: string, args: string[]): ComponentProcess {
  let out = '';
  const proc = spawn(process.execPath, [CLI, 'kubelet', '--hollow', '--server', server, '--v', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-nodes-'));
  controlFile = join(dir, 'dead-nodes');
  api = await startApiserver();
  client = new Client(api.url);
  cm = await startControllerManager(api.url, [
    '--leader-elect=false',
    '--controllers',
    'nodeipam,nodelifecycle,replicaset,garbagecollector',
    '--node-monitor-grace-period',
    String(GRACE_SECONDS),
  ]);
  kubelet = startHollowKubelet(api.url, ['--node-name', 'hollow', '--nodes', '3', '--lease-duration', '4', '--node-status-update-frequency', '1', '--control-file', controlFile]);
});

afterAll(async () => {
  stopBinding = true;
  await binder;
  await kubelet?.stop();
  await cm?.stop();
  await api?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

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
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n--- controller-manager\n${cm.output().slice(-3000)}\n--- kubelet\n${kubelet.output().slice(-2000)}`);
}

const ready = (o: KubeObject) => (o.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready')?.status;
const taintKeys = (n: KubeObject) => ((n.spec?.taints ?? []) as { key: string; effect: string }[]).map((t) => `${t.key}:${t.effect}`).sort();
const healthy = (n: KubeObject) => ready(n) === 'True' && taintKeys(n).length === 0;

/** Stands in for the scheduler: binds each pending pod of the namespace to a healthy node, round robin. */
function bindPending(ns: string): Promise<void> {
  let next = 0;
  return (async () => {
    while (!stopBinding) {
      try {
        const nodes = (await client.list(R.nodes)).items.filter(healthy).map((n) => n.metadata.name!).sort();
        for (const pod of (await client.list(R.pods, ns)).items) {
          if (pod.spec.nodeName || pod.metadata.deletionTimestamp || nodes.length === 0) continue;
          const target = nodes[next++ % nodes.length]!;
          await client.request('POST', client.path(R.pods, ns, pod.metadata.name!, 'binding'), {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name: pod.metadata.name },
            target: { apiVersion: 'v1', kind: 'Node', name: target },
          });
        }
      } catch (err) {
        // A pod bound or deleted meanwhile: the next pass sees the current state.
        if (!(err instanceof ApiError)) throw err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
}

const shortToleration = [
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: TOLERATION_SECONDS },
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: TOLERATION_SECONDS },
];

function podTemplate(tolerations: unknown[] | undefined) {
  return { containers: [{ name: 'app', image: 'skiff/pause' }], ...(tolerations ? { tolerations } : {}) };
}

async function running(ns: string, name: string): Promise<KubeObject | undefined> {
  const p = await client.get(R.pods, ns, name);
  return p.status?.phase === 'Running' && ready(p) === 'True' ? p : undefined;
}

describe('nodes: IPAM, lifecycle and taint-based eviction with hollow nodes', () => {
  it('gives every node its own podCIDR and reports them Ready', async () => {
    const nodes = await waitFor('three Ready nodes with podCIDRs', async () => {
      const items = (await client.list(R.nodes)).items;
      return items.length === 3 && items.every((n) => ready(n) === 'True' && n.spec?.podCIDR) ? items : undefined;
    });
    const cidrs = nodes.map((n) => n.spec.podCIDR as string);
    expect(new Set(cidrs).size).toBe(3);
    for (const n of nodes) {
      expect(n.spec.podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/);
      expect(n.spec.podCIDRs).toEqual([n.spec.podCIDR]);
      expect(n.status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
      expect(n.status.nodeInfo.kubeletVersion).toBe('v1.32.0-skiff');
    }
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(NODES);
    const lease = await client.get(R.leases, 'kube-node-lease', DEAD);
    expect(lease.spec).toMatchObject({ holderIdentity: DEAD, leaseDurationSeconds: 4 });
  });

  it('evicts the pods of a node that stops renewing, after their toleration, and untaints it when it returns', async () => {
    const ns = 'nodes-evict';
    await client.create(R.namespaces, undefined, { metadata: { name: ns } });
    if (replicaSetControllerBuilt) {
      await client.create(R.replicasets, ns, {
        metadata: { name: 'web' },
        spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podTemplate(shortToleration) } },
      });
    } else {
      for (let i = 0; i < 3; i++) await client.create(R.pods, ns, { metadata: { name: `web-${i}`, labels: { app: 'web' } }, spec: podTemplate(shortToleration) });
    }
    // One pod tolerating the unreachable taint forever, one with only the default 300 s tolerations.
    await client.create(R.pods, ns, {
      metadata: { name: 'forever' },
      spec: { ...podTemplate([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]), nodeName: DEAD },
    });
    const byDefault = await client.create(R.pods, ns, { metadata: { name: 'by-default' }, spec: { ...podTemplate(undefined), nodeName: DEAD } });
    expect(byDefault.spec.tolerations).toContainEqual({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    binder = bindPending(ns);

    const nodes = new Map((await client.list(R.nodes)).items.map((n) => [n.metadata.name!, n]));
    const webPods = await waitFor('three web pods Running, one per node', async () => {
      const pods = (await client.list(R.pods, ns, { labelSelector: 'app=web' })).items;
      const ok = pods.length === 3 && pods.every((p) => p.status?.phase === 'Running' && ready(p) === 'True');
      return ok && new Set(pods.map((p) => p.spec.nodeName)).size === 3 ? pods : undefined;
    });
    for (const p of webPods) {
      const [net] = (nodes.get(p.spec.nodeName)!.spec.podCIDR as string).split('.0/24');
      expect(p.status.podIP.startsWith(`${net}.`)).toBe(true);
      expect(p.status.containerStatuses[0]).toMatchObject({ ready: true, started: true, restartCount: 0 });
    }
    await waitFor('forever Running', () => running(ns, 'forever'));
    await waitFor('by-default Running', () => running(ns, 'by-default'));
    const doomed = webPods.find((p) => p.spec.nodeName === DEAD)!;

    // The node dies: no Lease renewal, no status, no pod updates.
    writeFileSync(controlFile, `${DEAD}\n`);
    const stoppedAt = Date.now();
    const tainted = await waitFor('the dead node Unknown and tainted', async () => {
      const n = await client.get(R.nodes, undefined, DEAD);
      return ready(n) === 'Unknown' && taintKeys(n).length === 2 ? n : undefined;
    });
    const taintSeenAt = Date.now();
    // Within the grace period from the last renewal (at most one renew interval before the stop), plus slack.
    expect(taintSeenAt - stoppedAt).toBeLessThan((GRACE_SECONDS + 1 + 2) * 1000);
    expect(taintKeys(tainted)).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    const readyCond = tainted.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(readyCond).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      expect(tainted.status.conditions.find((c: { type: string }) => c.type === type).status).toBe('Unknown');
    }
    for (const n of NODES.filter((x) => x !== DEAD)) expect(ready(await client.get(R.nodes, undefined, n))).toBe('True');

    // Its pods are marked not ready at once, and the short-toleration one is evicted after it.
    await waitFor('pods on the dead node not ready', async () => ready(await client.get(R.pods, ns, 'forever')) === 'False');
    const evicted = await waitFor('the web pod on the dead node evicted', async () => {
      const p = await client.get(R.pods, ns, doomed.metadata.name!);
      return p.metadata.deletionTimestamp ? p : undefined;
    });
    const evictedAfter = Date.now() - taintSeenAt;
    // timeAdded has second precision: the deadline is 2-3 s after the taint was written.
    expect(evictedAfter).toBeGreaterThan((TOLERATION_SECONDS - 1.5) * 1000);
    expect(evictedAfter).toBeLessThan((TOLERATION_SECONDS + 2) * 1000);
    expect(evicted.status.conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' }));
    const events = (await client.list(R.events, ns)).items.filter((e) => e.involvedObject?.name === doomed.metadata.name);
    expect(events.map((e) => `${e.reason}: ${e.message}`)).toContain(`TaintManagerEviction: Marking for deletion Pod ${ns}/${doomed.metadata.name}`);
    expect(events.map((e) => e.reason)).toContain('NodeNotReady');

    // Pods that tolerate longer stay; the other nodes' pods are untouched.
    await new Promise((r) => setTimeout(r, 1000));
    for (const name of ['forever', 'by-default']) expect((await client.get(R.pods, ns, name)).metadata.deletionTimestamp).toBeUndefined();
    for (const p of webPods.filter((x) => x.spec.nodeName !== DEAD)) expect((await client.get(R.pods, ns, p.metadata.name!)).metadata.deletionTimestamp).toBeUndefined();

    if (replicaSetControllerBuilt) {
      const replacements = await waitFor('the ReplicaSet back to three running pods on live nodes', async () => {
        const live = (await client.list(R.pods, ns, { labelSelector: 'app=web' })).items.filter((p) => !p.metadata.deletionTimestamp);
        return live.length === 3 && live.every((p) => p.status?.phase === 'Running' && p.spec.nodeName !== DEAD) ? live : undefined;
      });
      expect(replacements.map((p) => p.metadata.name)).not.toContain(doomed.metadata.name);
    }

    // The node comes back: Ready, untainted, and it finishes what was deleted meanwhile.
    writeFileSync(controlFile, '');
    await waitFor('the node Ready and untainted again', async () => {
      const n = await client.get(R.nodes, undefined, DEAD);
      return ready(n) === 'True' && taintKeys(n).length === 0;
    });
    await waitFor('the evicted pod gone', async () => {
      const pods = (await client.list(R.pods, ns)).items;
      return !pods.some((p) => p.metadata.uid === doomed.metadata.uid);
    });
    await waitFor('forever Ready again', () => running(ns, 'forever'));
  });

  it('ends pods as skiff.dev/hollow-exit says, and removes deleted pods for good', async () => {
    const ns = 'nodes-hollow';
    await client.create(R.namespaces, undefined, { metadata: { name: ns } });
    for (const [name, code] of [
      ['ok', '0'],
      ['bad', '1'],
    ]) {
      await client.create(R.pods, ns, {
        metadata: { name, annotations: { 'skiff.dev/hollow-exit': code! } },
        spec: { ...podTemplate(undefined), restartPolicy: 'Never', nodeName: 'hollow-0' },
      });
    }
    await client.create(R.pods, ns, { metadata: { name: 'gone' }, spec: { ...podTemplate(undefined), nodeName: 'hollow-2' } });
    const ok = await waitFor('ok Succeeded', async () => {
      const p = await client.get(R.pods, ns, 'ok');
      return p.status?.phase === 'Succeeded' ? p : undefined;
    });
    expect(ok.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const bad = await waitFor('bad Failed', async () => {
      const p = await client.get(R.pods, ns, 'bad');
      return p.status?.phase === 'Failed' ? p : undefined;
    });
    expect(bad.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });

    await waitFor('gone Running', () => running(ns, 'gone'));
    // A graceful delete leaves the pod terminating until its kubelet confirms.
    await client.delete(R.pods, ns, 'gone');
    await waitFor('gone deleted by its kubelet', async () => {
      const pods = (await client.list(R.pods, ns)).items;
      return !pods.some((p) => p.metadata.name === 'gone');
    });
  });
});
