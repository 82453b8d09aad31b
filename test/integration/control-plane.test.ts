// The whole control plane as processes — apiserver, controller-manager, scheduler and a
// hollow kubelet playing three nodes — driven by the stock kubectl, as a user would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { startApiserver, startComponent, startControllerManager, type ApiserverProcess, type ComponentProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const NS = 'control-plane';

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const deployment = (name: string, replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${NS} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
      - name: web
        image: busybox
        resources: { requests: { cpu: 100m, memory: 64Mi } }
`;

describe('control plane with the real scheduler and hollow nodes', () => {
  let api: ApiserverProcess;
  let client: Client;
  let k: Kubectl;
  const procs: ComponentProcess[] = [];

  beforeAll(async () => {
    api = await startApiserver();
    client = new Client(api.url);
    k = new Kubectl(api.url);
    procs.push(await startControllerManager(api.url, ['--leader-elect=false']));
    procs.push(startComponent('scheduler', ['--server', api.url, '--leader-elect=false', '--v', 'warn']));
    procs.push(startComponent('kubelet', ['--server', api.url, '--hollow', '--nodes', '3', '--node-name', 'cp', '--v', 'warn']));
    await k.ok(['create', 'namespace', NS]);
    await until('3 ready nodes with podCIDRs', async () => {
      const nodes = (await client.list(R.nodes)).items;
      return nodes.length === 3 && nodes.every((n) => n.spec?.podCIDR && n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    });
  });
  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
    await api?.cleanup();
  });

  const pods = async (app: string) => (await client.list(R.pods, NS, { labelSelector: `app=${app}` })).items.filter((p) => !p.metadata.deletionTimestamp);
  const running = async (app: string, n: number) =>
    until(`${n} running ${app} pods`, async () => {
      const ps = await pods(app);
      return ps.length === n && ps.every((p) => p.status?.phase === 'Running' && p.spec?.nodeName) ? ps : undefined;
    });

  it('spreads a Deployment of 4 over the 3 nodes and replaces a deleted pod', async () => {
    await k.ok(['apply', '-f', '-'], { stdin: deployment('web', 4) });
    expect(await k.ok(['rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s'], { timeoutMs: 90_000 })).toContain('successfully rolled out');
    const ps = await running('web', 4);
    const perNode = new Map<string, number>();
    for (const p of ps) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    expect(perNode.size).toBe(3);
    expect(Math.max(...perNode.values())).toBe(2);
    // Every pod has an IP from its node's podCIDR.
    const nodes = new Map((await client.list(R.nodes)).items.map((n) => [n.metadata.name!, n.spec.podCIDR as string]));
    for (const p of ps) expect(p.status.podIP.split('.').slice(0, 3).join('.')).toBe(nodes.get(p.spec.nodeName)!.split('.').slice(0, 3).join('.'));

    const victim = ps[0]!.metadata.name!;
    await k.ok(['delete', 'pod', victim, '-n', NS]);
    const after = await until('a replacement', async () => {
      const now = await running('web', 4);
      return now.some((p) => p.metadata.name === victim) ? undefined : now;
    });
    expect(after.map((p) => p.metadata.name)).not.toContain(victim);
  });

  it('converges on kubectl scale to 6 and to 2', async () => {
    expect(await k.ok(['scale', 'deploy/web', '-n', NS, '--replicas=6'])).toBe('deployment.apps/web scaled\n');
    await running('web', 6);
    await k.ok(['scale', 'deploy/web', '-n', NS, '--replicas=2']);
    await until('2 pods left', async () => (await client.list(R.pods, NS, { labelSelector: 'app=web' })).items.length === 2);
    const rows = (await k.ok(['get', 'deploy', 'web', '-n', NS])).trim().split('\n')[1]!.split(/\s+/);
    expect(rows.slice(0, 4)).toEqual(['web', '2/2', '2', '2']);
    const events = await k.ok(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.kind=Deployment,involvedObject.name=web']);
    expect(events).toMatch(/ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-\w+ from \d+ to 6/);
  });

  it.each([
    ['Background', { replicasets: 0, pods: 0 }],
    ['Orphan', { replicasets: 1, pods: 2 }],
    ['Foreground', { replicasets: 0, pods: 0 }],
  ] as const)('deleting a Deployment with propagation %s leaves what Kubernetes leaves', async (policy, left) => {
    const name = `del-${policy.toLowerCase()}`;
    await k.ok(['apply', '-f', '-'], { stdin: deployment(name, 2) });
    await running(name, 2);
    await k.ok(['delete', 'deploy', name, '-n', NS, `--cascade=${policy.toLowerCase()}`], { timeoutMs: 90_000 });
    await until(`the deployment ${name} to be gone`, async () => {
      try {
        await client.get(R.deployments, NS, name);
        return false;
      } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    });
    const count = async () => {
      const rs = (await client.list(R.replicasets, NS, { labelSelector: `app=${name}` })).items;
      const ps = (await client.list(R.pods, NS, { labelSelector: `app=${name}` })).items;
      return { rs, ps };
    };
    const { rs, ps } = await until('dependents to settle', async () => {
      const c = await count();
      return c.rs.length === left.replicasets && c.ps.length === left.pods ? c : undefined;
    });
    // Orphans carry no reference to the owner that is gone.
    for (const o of [...rs, ...ps] as KubeObject[]) {
      expect((o.metadata.ownerReferences ?? []).filter((r) => r.kind === 'Deployment')).toEqual([]);
    }
  });

  it('lists, describes and deletes the namespace with everything in it', async () => {
    const out = await k.ok(['get', 'pods', '-n', NS, '-o', 'wide']);
    expect(out.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    expect(out).toMatch(/1\/1\s+Running\s+0/);
    expect(await k.ok(['describe', 'deploy', 'web', '-n', NS])).toMatch(/NewReplicaSet:\s+web-\w+ \(2\/2 replicas created\)/);
    expect(await k.ok(['delete', 'ns', NS], { timeoutMs: 90_000 })).toBe(`namespace "${NS}" deleted\n`);
    expect((await client.list(R.pods, NS)).items).toEqual([]);
  });
});
