// The HorizontalPodAutoscaler end to end on a real apiserver, controller-manager (with a
// 1 s HPA sync period), scheduler and a hollow kubelet of two nodes whose kubelet API
// serves the Summary API with usage simulated from the pods' skiff.dev/hollow-cpu
// annotation: a Deployment whose pods use twice their request scales up to maxReplicas;
// a rollout to pods that use a tenth of it scales back down to minReplicas once the
// (shortened) stabilization window has passed; `kubectl get hpa` shows the targets.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSummary } from '../../controller-manager/podautoscaler/metrics.js';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { CLI, startApiserver, startComponent, type ApiserverProcess, type ComponentProcess } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

const NS = 'hpa';

/** `skiff controller-manager` with extra environment (the HPA sync period). */
function startControllerManagerWithEnv(server: string, args: string[], env: Record<string, string>): ComponentProcess {
  let out = '';
  const proc = spawn(process.execPath, [CLI, 'controller-manager', '--server', server, '--v', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 90_000): Promise<T> {
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

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${NS} }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata:
      labels: { app: web }
      annotations: { skiff.dev/hollow-cpu: 200m }
    spec:
      containers:
      - name: app
        image: busybox
        resources: { requests: { cpu: 100m, memory: 64Mi } }
`;

const hpa = `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web, namespace: ${NS} }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: { name: cpu, target: { type: Utilization, averageUtilization: 50 } }
  behavior:
    scaleDown: { stabilizationWindowSeconds: 2 }
`;

describe('HorizontalPodAutoscaler on hollow nodes', () => {
  let api: ApiserverProcess;
  let client: Client;
  let k: Kubectl;
  const procs: ComponentProcess[] = [];

  beforeAll(async () => {
    api = await startApiserver();
    client = new Client(api.url);
    k = new Kubectl(api.url);
    procs.push(
      startControllerManagerWithEnv(api.url, ['--leader-elect=false', '--controllers', 'deployment,replicaset,horizontalpodautoscaling'], { SKIFF_HPA_SYNC_PERIOD_SECONDS: '1' }),
      startComponent('scheduler', ['--server', api.url, '--leader-elect=false', '--v', 'warn']),
      startComponent('kubelet', ['--server', api.url, '--hollow', '--nodes', '2', '--node-name', 'hpa', '--kubelet-port-base', '0', '--v', 'warn']),
    );
    await k.ok(['create', 'namespace', NS]);
    await until('2 ready nodes advertising their kubelet port', async () => {
      const nodes = (await client.list(R.nodes)).items;
      return nodes.length === 2 && nodes.every((n) => n.status?.daemonEndpoints?.kubeletEndpoint?.Port > 0 && n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    });
  });
  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
    await api?.cleanup();
  });

  const running = async () => (await client.list(R.pods, NS, { labelSelector: 'app=web' })).items.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
  const summaries = async () => {
    const out = new Map<string, any>();
    for (const n of (await client.list(R.nodes)).items) {
      // The kubelet API is HTTPS with the kubelet's own self-signed certificate.
      out.set(n.metadata.name!, await fetchSummary(`https://127.0.0.1:${n.status.daemonEndpoints.kubeletEndpoint.Port}`));
    }
    return out;
  };
  const hpaObject = () => client.get<KubeObject>(R.horizontalpodautoscalers, NS, 'web');
  const diagnostics = () => `\n--- controller-manager ---\n${procs[0]!.output().slice(-4000)}`;

  it('serves each node its Summary API on its advertised port', async () => {
    const s = await summaries();
    expect([...s.keys()].sort()).toEqual(['hpa-0', 'hpa-1']);
    for (const [name, summary] of s) expect(summary).toMatchObject({ node: { nodeName: name, cpu: { usageNanoCores: 0 } }, pods: [] });
  });

  it('scales a Deployment whose pods use 200% of their cpu request up to maxReplicas', async () => {
    await k.ok(['apply', '-f', '-'], { stdin: deployment });
    await k.ok(['apply', '-f', '-'], { stdin: hpa });
    await until('the first pod reported at 200m by its kubelet', async () => {
      const pods = [...(await summaries()).values()].flatMap((s) => s.pods);
      return pods.some((p: any) => p.podRef.namespace === NS && p.containers[0]?.cpu.usageNanoCores === 200_000_000);
    });
    await until('5 running replicas', async () => (await running()).length === 5 && (await client.get(R.deployments, NS, 'web')).spec.replicas === 5).catch((err: Error) => {
      throw new Error(err.message + diagnostics());
    });
    const h = await until('the HPA status at 5 replicas and 200%', async () => {
      const o = await hpaObject();
      return o.status?.currentReplicas === 5 && o.status.currentMetrics?.[0]?.resource?.current?.averageUtilization === 200 ? o : undefined;
    });
    expect(h.status.currentMetrics[0]).toEqual({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m' } } });
    expect(h.status.lastScaleTime).toBeTruthy();
    const conditions = Object.fromEntries(h.status.conditions.map((c: any) => [c.type, `${c.status}/${c.reason}`]));
    expect(conditions.AbleToScale).toMatch(/^True\//);
    expect(conditions.ScalingActive).toBe('True/ValidMetricFound');
    expect(conditions.ScalingLimited).toBe('True/TooManyReplicas');

    const table = await k.ok(['get', 'hpa', 'web', '-n', NS]);
    expect(table).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE/);
    expect(table).toMatch(/web\s+Deployment\/web\s+cpu: 200%\/50%\s+1\s+5\s+5\s+/);
    const events = (await client.list(R.events, NS)).items.filter((e: any) => e.involvedObject?.kind === 'HorizontalPodAutoscaler' && e.reason === 'SuccessfulRescale');
    expect(events.map((e: any) => e.message)).toContainEqual(expect.stringMatching(/^New size: \d; reason: cpu resource utilization \(percentage of request\) above target$/));
  });

  it('scales back down to minReplicas after a rollout to pods that use 10% of their request', async () => {
    await k.ok(['patch', 'deployment', 'web', '-n', NS, '--type', 'merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'skiff.dev/hollow-cpu': '10m' } } } } })]);
    await until('1 running replica', async () => (await running()).length === 1 && (await client.get(R.deployments, NS, 'web')).spec.replicas === 1).catch((err: Error) => {
      throw new Error(err.message + diagnostics());
    });
    const [last] = await running();
    expect(last!.metadata.annotations?.['skiff.dev/hollow-cpu']).toBe('10m');
    const h = await until('the HPA status at 1 replica and 10%', async () => {
      const o = await hpaObject();
      return o.status?.currentReplicas === 1 && o.status.desiredReplicas === 1 && o.status.currentMetrics?.[0]?.resource?.current?.averageUtilization === 10 ? o : undefined;
    });
    expect(h.status.currentMetrics[0].resource.current.averageValue).toBe('10m');
    expect(await k.ok(['get', 'hpa', '-n', NS])).toMatch(/web\s+Deployment\/web\s+cpu: 10%\/50%\s+1\s+5\s+1\s+/);
    const messages = (await client.list(R.events, NS)).items.filter((e: any) => e.reason === 'SuccessfulRescale').map((e: any) => e.message);
    expect(messages).toContain('New size: 1; reason: All metrics below target');
  });
});
