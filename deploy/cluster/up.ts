// `skiff up`: takes this machine to a working one-node cluster, step by step with the time
// each took: system packages and the Docker engine (deploy/docker.sh), skiff's images
// (deploy/build-images.sh), the cluster bridge, then the six components as processes of
// their own (a running one is kept), until the node is Ready; writes a kubeconfig and says
// how to use it. Running it again is harmless. A failure says what failed, shows the end of
// that step's log and what to do next.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../shared/client.js';
import type { FlagSpec } from '../../shared/flags.js';
import { R } from '../../shared/resources.js';
import { ensureClusterBridge } from './host.js';
import { apiserverURL, COMPONENTS, DEFAULT_DATA_DIR, layout, type ClusterSettings, type ComponentName } from './layout.js';
import { logFile, ROOT, runningPid, startComponent } from './processes.js';

export const summary = 'Bring up a one-node cluster on this machine (installs what is missing; running it again is harmless)';

export const flags: FlagSpec[] = [
  { name: 'data-dir', help: 'Directory of the cluster\'s data, logs and kubeconfig', default: DEFAULT_DATA_DIR },
  { name: 'apiserver-port', help: 'Port of the apiserver on 127.0.0.1', default: 8080 },
  { name: 'node-name', help: 'Name of the node', default: hostname() },
  { name: 'wait', help: 'Seconds to wait for the node to be Ready', default: 120 },
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

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, onTimeout: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not within ${Math.round(timeoutMs / 1000)} s. ${onTimeout()}`);
}

function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n    ');
  } catch {
    return '(no log yet)';
  }
}

/** Starts a component unless it runs; waits until it answers (or at least stays up). */
async function ensureComponent(name: ComponentName, s: ClusterSettings): Promise<string> {
  const running = runningPid(s.dataDir, name);
  if (running) return `already running, pid ${running}`;
  const pid = startComponent(name, s);
  const log = logFile(s.dataDir, name);
  const died = () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  if (name === 'apiserver') {
    await waitFor('the apiserver answering /healthz', 30_000, async () => {
      if (died()) throw new StepFailed('exited');
      return (await fetch(`${apiserverURL(s)}/healthz`)).ok;
    }, () => `See ${log}:\n    ${tail(log)}`).catch((err: Error) => {
      if (died()) throw new Error(`the apiserver exited. The end of ${log}:\n    ${tail(log)}\n  Is port ${s.apiserverPort} taken? Try --apiserver-port.`);
      throw err;
    });
  } else {
    await new Promise((r) => setTimeout(r, 300));
    if (died()) throw new Error(`${name} exited at once. The end of ${log}:\n    ${tail(log)}`);
  }
  return `pid ${pid}`;
}

function kubeconfig(s: ClusterSettings): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: skiff, cluster: {server: "${apiserverURL(s)}"}}]`,
    'users: [{name: admin, user: {}}]',
    'contexts: [{name: skiff, context: {cluster: skiff, user: admin}}]',
    'current-context: skiff',
    '',
  ].join('\n');
}

export async function up(s: ClusterSettings, waitSeconds: number): Promise<void> {
  const l = layout(s.dataDir);
  mkdirSync(l.logs, { recursive: true });
  const warm = Boolean(runningPid(s.dataDir, 'apiserver'));
  console.log(`skiff up: a one-node cluster, data in ${s.dataDir}`);
  await step('system packages and the Docker engine (deploy/docker.sh)', () => script(s.dataDir, 'docker.sh'));
  await step('skiff\'s images (deploy/build-images.sh)', () => script(s.dataDir, 'build-images.sh'));
  await step('the cluster bridge skiff-br0 (the node\'s address)', () => ensureClusterBridge());
  for (const name of COMPONENTS) {
    const how = await step(`${name}`, () => ensureComponent(name, s));
    process.stdout.write(`    ${how}; log ${logFile(s.dataDir, name)}\n`);
  }
  const client = new Client(apiserverURL(s), 'skiff-up');
  const kubelet = logFile(s.dataDir, 'kubelet');
  await step(`node ${s.nodeName} Ready`, () =>
    waitFor(`node ${s.nodeName} Ready`, waitSeconds * 1000, async () => {
      const n = await client.get(R.nodes, undefined, s.nodeName);
      return ((n.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === 'Ready' && c.status === 'True');
    }, () => `The end of ${kubelet}:\n    ${tail(kubelet)}\n  Check it with: skiff logs kubelet; skiff status`),
  );
  writeFileSync(l.kubeconfig, kubeconfig(s));
  const seconds = ((Date.now() - T0) / 1000).toFixed(1);
  console.log('');
  console.log(`The cluster is up: node ${s.nodeName} Ready ${seconds} s after the start (${warm ? 'warm: it was running' : 'components started'}).`);
  console.log(`Use it:\n  export KUBECONFIG=${l.kubeconfig}\n  kubectl get nodes`);
  console.log(`Status and logs: skiff status; skiff logs COMPONENT. Stop: skiff down (--purge also removes ${s.dataDir}).`);
}

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const s: ClusterSettings = { dataDir: String(f['data-dir']), apiserverPort: Number(f['apiserver-port']), nodeName: String(f['node-name']) };
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
