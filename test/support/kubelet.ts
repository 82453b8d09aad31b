// A real apiserver plus a real `skiff kubelet` process on the real Docker engine, for the
// kubelet's end-to-end tests. Each harness has a unique node name (a label on every
// container it makes) and namespace; teardown removes every container of that node.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './until.js';
import { NODE_LABEL } from '../../kubelet/container-spec.js';
import { cleanupNodeNetwork } from '../../deploy/cluster/host.js';
import { DockerRuntime } from '../../kubelet/runtime/docker.js';
import { LABELS, type ContainerStatus } from '../../kubelet/runtime/runtime.js';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { CLI, startApiserver, type ApiserverProcess } from './apiserver.js';

export class KubeletHarness {
  readonly node: string;
  readonly ns: string;
  readonly rootDir: string;
  readonly docker = new DockerRuntime();
  api!: ApiserverProcess;
  client!: Client;
  private proc?: ChildProcess;
  private out = '';

  /** `name` prefixes the node and namespace; `args` are extra kubelet flags. */
  constructor(
    name: string,
    private readonly args: string[] = [],
  ) {
    const suffix = `${process.pid}-${Date.now().toString(36)}`;
    this.node = `e2e-${name}-${suffix}`;
    this.ns = `${name}-${suffix}`;
    this.rootDir = mkdtempSync(join(tmpdir(), `skiff-${name}-`));
  }

  /** Apiserver, namespace and kubelet, until the node is Ready. */
  async setup(): Promise<void> {
    this.api = await startApiserver();
    this.client = new Client(this.api.url, `e2e-${this.ns}`);
    await this.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.ns } });
    this.startKubelet();
    await this.until('node registered and Ready', async () => {
      const n = await this.client.get(R.nodes, undefined, this.node);
      return (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
    });
  }

  async teardown(): Promise<void> {
    await this.kill9();
    for (const c of await this.docker.list({ [NODE_LABEL]: this.node })) await this.docker.remove(c.id);
    // The pod network the kubelet made (bridge, chains, routes) goes too.
    await cleanupNodeNetwork();
    await this.api?.cleanup();
    rmSync(this.rootDir, { recursive: true, force: true });
  }

  /** The output of the current kubelet process. */
  output = (): string => this.out;

  startKubelet(): void {
    const args = [CLI, 'kubelet', '--server', this.api.url, '--hostname-override', this.node, '--root-dir', this.rootDir, '--node-ip', '127.0.0.1', '--port', '0', '--pod-cidr', '10.244.0.0/24'];
    args.push('--crash-loop-backoff-base', '1', '--sync-frequency', '5', '--v', 'info', ...this.args);
    this.out = '';
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d) => (this.out += d));
    p.stderr!.on('data', (d) => (this.out += d));
    this.proc = p;
  }

  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  until = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> =>
    until(what, fn, timeoutMs, () => `--- kubelet output (tail) ---\n${this.out.slice(-4000)}`);

  pod = (name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: this.ns },
    spec: { nodeName: this.node, terminationGracePeriodSeconds: 5, ...spec },
  });

  getPod = (name: string): Promise<KubeObject> => this.client.get(R.pods, this.ns, name);

  containersOf = (name: string): Promise<ContainerStatus[]> => this.docker.list({ [NODE_LABEL]: this.node, [LABELS.podNamespace]: this.ns, [LABELS.podName]: name });

  runningPod = (name: string): Promise<KubeObject> =>
    this.until(`pod ${name} Running and Ready`, async () => {
      const p = await this.getPod(name);
      return p.status?.phase === 'Running' && condition(p, 'Ready') === 'True' && p;
    });

  eventsOf = async (name: string): Promise<KubeObject[]> => (await this.client.list(R.events, this.ns)).items.filter((e: KubeObject) => (e.involvedObject as { name?: string } | undefined)?.name === name);
}

export const containerStatus = (p: KubeObject, c: string) => (p.status?.containerStatuses ?? []).find((s: { name: string }) => s.name === c);
export const condition = (p: KubeObject, type: string) => (p.status?.conditions ?? []).find((c: { type: string }) => c.type === type)?.status;
