// `skiff up`: takes this machine to a working cluster, step by step with the time each
// took: system packages and the Docker engine (deploy/docker.sh), skiff's images
// (deploy/build-images.sh), the cluster bridge, the cluster's certificates and kubeconfigs,
// with several nodes their namespaces and the cluster registry, then the control plane and
// each node's processes (a running one is kept), until every node is Ready; writes the admin
// kubeconfig and says how to use it. Running it again is harmless. A failure says what
// failed, shows the end of that step's log and what to do next.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FlagSpec } from '../../shared/flags.js';
import { run as sh } from '../../shared/exec.js';
import { R } from '../../shared/resources.js';
import { commandLine } from './components.js';
import { ensureClusterBridge } from './host.js';
import {
  apiserverURL,
  clusterNodes,
  clusterProcs,
  DEFAULT_DATA_DIR,
  layout,
  procId,
  saveSettings,
  savedSettings,
  type ClusterSettings,
  type Proc,
} from './layout.js';
import { ensureHostRoutes, ensureNodeNamespace } from './node-network.js';
import { adminClient, anonymousGet, ensurePKI, identityKubeconfig, type ClusterPKI } from './pki.js';
import { alive, logFile, ROOT, runningPid, startProcess } from './processes.js';
import { CLUSTER_IMAGES, ensureRegistry, pushImage } from './registry.js';
import { waitFor } from './wait.js';

export const summary = 'Bring up a cluster on this machine: one node (this host), or --nodes N in network namespaces (installs what is missing; running it again is harmless)';

export const flags: FlagSpec[] = [
  { name: 'data-dir', help: 'Directory of the cluster\'s data, certificates, logs and kubeconfig', default: DEFAULT_DATA_DIR },
  { name: 'nodes', help: 'Nodes: 1 is this host; more are network namespaces skiff-node-1… with an engine each (0: as the last up, else 1)', default: 0 },
  { name: 'node-name', help: 'Name of the node of a one-node cluster', default: hostname() },
  { name: 'node-monitor-grace-period', help: 'Seconds without a heartbeat before a node is NotReady (the controller-manager\'s)', default: 40 },
  { name: 'wait', help: 'Seconds to wait for the nodes to be Ready', default: 120 },
];

const T0 = Date.now();
const clock = () => `[${((Date.now() - T0) / 1000).toFixed(1).padStart(5)}s]`;

export class StepFailed extends Error {}

/** Runs one step, printing what it does and how long it took; a failure names the step. */
export async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  process.stdout.write(`==> ${clock()} ${what} …`);
  try {
    const v = await fn();
    process.stdout.write(` done (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
    return v;
  } catch (err) {
    process.stdout.write(' FAILED\n');
    throw new StepFailed(`${what}: ${(err as Error).message}`);
  }
}

/** A script of deploy/, its output appended to logs/up.log; a failure shows its last lines. */
function script(dataDir: string, name: string): Promise<void> {
  const log = join(layout(dataDir).logs, 'up.log');
  const fd = openSync(log, 'a');
  return new Promise((resolve, reject) => {
    const p = spawn('bash', [join(ROOT, 'deploy', name)], { stdio: ['ignore', fd, fd] });
    p.once('error', reject);
    p.once('exit', (code) => {
      closeSync(fd);
      if (code === 0) return resolve();
      const tail = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-12).join('\n    ');
      reject(new Error(`deploy/${name} exited ${code}; its last lines (all in ${log}):\n    ${tail}`));
    });
  });
}

function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n    ');
  } catch {
    return '(no log yet)';
  }
}


/** Starts a process unless it runs; waits until it answers (or at least stays up). */
export async function ensureProc(p: Proc, s: ClusterSettings, pki: ClusterPKI, storageDriver: string): Promise<string> {
  const running = runningPid(s.dataDir, p);
  if (running) return `already running, pid ${running}`;
  const pid = startProcess(s.dataDir, p, commandLine(p, s, pki, storageDriver));
  const log = logFile(s.dataDir, procId(p));
  const exited = () => new Error(`${procId(p)} exited. The end of ${log}:\n    ${tail(log)}`);
  // A process that exits ends the wait at once, with the end of its log.
  const gone = () => (alive(pid) ? undefined : exited());
  const seeLog = () => `See ${log}:\n    ${tail(log)}`;
  if (p.name === 'apiserver') {
    await waitFor('the apiserver answering /healthz', 30_000, async () => (await anonymousGet(s.dataDir, '/healthz')) === 200, seeLog, () => {
      const e = gone();
      return e && new Error(`${e.message}\n  Is port 6443 of ${apiserverURL()} taken?`);
    });
  } else if (p.name === 'dockerd') {
    await waitFor(`the Docker engine of ${p.node!.name}`, 60_000, async () => {
      await sh('docker', ['-H', p.node!.dockerHost, 'version', '--format', '{{.Server.Version}}'], { timeoutMs: 5000 });
      return true;
    }, seeLog, gone);
  } else {
    await new Promise((r) => setTimeout(r, 300));
    if (!alive(pid)) throw exited();
  }
  return `pid ${pid}`;
}

/** The host engine's storage driver, which the nodes' engines use too (deploy/docker.sh picked what works here). */
export async function hostStorageDriver(): Promise<string> {
  return (await sh('docker', ['info', '--format', '{{.Driver}}'])).trim();
}

export async function up(s: ClusterSettings, waitSeconds: number): Promise<void> {
  const l = layout(s.dataDir);
  mkdirSync(l.logs, { recursive: true });
  const procs = clusterProcs(s);
  const nodes = clusterNodes(s);
  const warm = Boolean(runningPid(s.dataDir, procs[0]!));
  console.log(`skiff up: ${s.nodes > 1 ? `${s.nodes} nodes (${nodes.map((n) => n.name).join(', ')})` : `one node (${s.nodeName}, this host)`}, data in ${s.dataDir}`);
  await step('system packages and the Docker engine (deploy/docker.sh)', () => script(s.dataDir, 'docker.sh'));
  await step('skiff\'s images (deploy/build-images.sh)', () => script(s.dataDir, 'build-images.sh'));
  await step('the cluster bridge skiff-br0 (the control plane\'s address)', () => ensureClusterBridge());
  saveSettings(s);
  const pki = await step('the cluster CA, certificates and kubeconfigs', async () => {
    const p = ensurePKI(s.dataDir);
    identityKubeconfig(s.dataDir, p, 'admin', apiserverURL());
    return p;
  });
  const storageDriver = await hostStorageDriver();
  if (s.nodes > 1) {
    const push = await step('the cluster registry (skiff/registry:2 on 10.250.0.1:5000)', () => ensureRegistry(s.dataDir));
    await step(`loading ${CLUSTER_IMAGES.join(', ')} into it`, async () => {
      for (const image of CLUSTER_IMAGES) await pushImage(image, push);
    });
    await step('the nodes\' namespaces, links and routes', async () => {
      for (const n of nodes) await ensureNodeNamespace(n);
      await ensureHostRoutes(nodes);
    });
  }
  for (const p of procs) {
    const how = await step(procId(p), () => ensureProc(p, s, pki, storageDriver));
    process.stdout.write(`    ${how}; log ${logFile(s.dataDir, procId(p))}\n`);
  }
  const client = adminClient(s.dataDir, 'skiff-up');
  for (const n of nodes) {
    const kubelet = logFile(s.dataDir, procId({ name: 'kubelet', node: n }));
    await step(`node ${n.name} Ready`, () =>
      waitFor(`node ${n.name} Ready`, waitSeconds * 1000, async () => {
        const node = await client.get(R.nodes, undefined, n.name);
        return ((node.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === 'Ready' && c.status === 'True');
      }, () => `The end of ${kubelet}:\n    ${tail(kubelet)}\n  Check it with: skiff logs ${procId({ name: 'kubelet', node: n })}; skiff status`),
    );
  }
  const seconds = ((Date.now() - T0) / 1000).toFixed(1);
  console.log('');
  console.log(`The cluster is up: ${nodes.length === 1 ? `node ${nodes[0]!.name}` : `${nodes.length} nodes`} Ready ${seconds} s after the start (${warm ? 'warm: it was running' : 'components started'}).`);
  console.log(`Use it (HTTPS on ${apiserverURL()}, you are kubernetes-admin):\n  export KUBECONFIG=${l.kubeconfig}\n  kubectl get nodes`);
  if (s.nodes > 1) console.log('Your own images: docker build -t NAME:TAG DIR && skiff image load NAME:TAG. Failure drills: skiff node stop|start NODE.');
  console.log(`Status and logs: skiff status; skiff logs COMPONENT. Stop: skiff down (--purge also removes ${s.dataDir}).`);
}

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const dataDir = String(f['data-dir']);
  const asked = Number(f.nodes);
  if (!Number.isInteger(asked) || asked < 0 || asked > 9) {
    console.error('skiff up: --nodes must be between 1 and 9');
    process.exit(2);
  }
  const s = savedSettings(dataDir, { nodeName: String(f['node-name']) });
  if (asked) s.nodes = asked;
  s.nodeMonitorGracePeriod = Number(f['node-monitor-grace-period']);
  if (process.getuid?.() !== 0) {
    console.error('skiff up: needs root (it starts dockerd and writes routes and iptables rules); run it as root');
    process.exit(1);
  }
  try {
    await up(s, Number(f.wait));
  } catch (err) {
    console.error(`\nskiff up failed: ${(err as Error).message}`);
    console.error('Fix the cause and run `skiff up` again (it keeps what already runs); `skiff down` stops everything.');
    process.exit(1);
  }
}
