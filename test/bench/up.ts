// `npm run bench:up [-- --pods N] [--nodes N]`
//
// Issue 6's figures for a cluster on this machine (one node, or --nodes N namespaces):
// `skiff up` to every node Ready with no process running (Docker running, images built) and
// again with everything running; then the memory (VmRSS) of each process idle, and with N
// pods (default 100, busybox `sleep`) Running. Uses its own data dir and node name; `skiff
// down --purge` at the end and on failure. Every wait is bounded.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clusterProcs, procId, savedSettings } from '../../deploy/cluster/layout.js';
import { CLI, runningPid } from '../../deploy/cluster/processes.js';

const exec = promisify(execFile);
const argv = process.argv.slice(2);
const PODS = argv.includes('--pods') ? Number(argv[argv.indexOf('--pods') + 1]) : 100;
const NODES = argv.includes('--nodes') ? Number(argv[argv.indexOf('--nodes') + 1]) : 1;
const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-up-'));
const NODE = 'bench-up';

const skiff = async (args: string[]) => (await exec(process.execPath, [CLI, ...args], { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 })).stdout;
const kubectl = async (args: string[]) => (await exec('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { timeout: 120_000, env: { ...process.env, HOME: dir } })).stdout;
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

function memory(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of clusterProcs(savedSettings(dir, { nodes: NODES, nodeName: NODE }))) {
    if (p.name === 'dockerd') continue;
    const pid = runningPid(dir, p);
    out[procId(p)] = pid ? rssMiB(pid) : NaN;
  }
  return out;
}

function readySeconds(output: string): number {
  return Number(/Ready ([\d.]+) s after the start/.exec(output)?.[1] ?? NaN);
}

async function main(): Promise<void> {
  const up = () => skiff(['up', '--data-dir', dir, '--node-name', NODE, '--nodes', String(NODES)]);
  console.log(`# skiff up benchmark (data dir ${dir}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  const cold = readySeconds(await up());
  const warm = readySeconds(await up());
  console.log('');
  console.log(`| skiff up to ${NODES === 1 ? 'node' : `${NODES} nodes`} Ready | seconds |`);
  console.log('|---|---|');
  console.log(`| no component running (Docker running, images built) | ${cold.toFixed(1)} |`);
  console.log(`| everything running already | ${warm.toFixed(1)} |`);

  await new Promise((r) => setTimeout(r, 10_000));
  const idle = memory();
  await kubectl(['create', 'deployment', 'bench', '--image=skiff/busybox:1.35', `--replicas=${PODS}`, '--', 'sleep', '3600']);
  const t0 = Date.now();
  let ready = 0;
  while (Date.now() - t0 < 600_000) {
    ready = Number((await kubectl(['get', 'deployment', 'bench', '-o', 'jsonpath={.status.readyReplicas}'])) || 0);
    if (ready >= PODS) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  if (ready < PODS) throw new Error(`only ${ready}/${PODS} pods Ready after 600 s`);
  const startS = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 10_000));
  const loaded = memory();
  const plane = (m: Record<string, number>) => m.apiserver! + m['controller-manager']! + m.scheduler!;
  console.log('');
  console.log(`${PODS} pods Running ${startS.toFixed(0)} s after the Deployment was created`);
  console.log('');
  console.log(`| component | RSS idle, MiB | RSS with ${PODS} pods, MiB |`);
  console.log('|---|---|---|');
  for (const c of Object.keys(idle)) console.log(`| ${c} | ${idle[c]!.toFixed(0)} | ${loaded[c]!.toFixed(0)} |`);
  console.log(`| control plane (apiserver + controller-manager + scheduler) | ${plane(idle).toFixed(0)} | ${plane(loaded).toFixed(0)} |`);
  console.log(`| all skiff processes | ${Object.values(idle).reduce((a, b) => a + b, 0).toFixed(0)} | ${Object.values(loaded).reduce((a, b) => a + b, 0).toFixed(0)} |`);
}

main()
  .catch((err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await skiff(['down', '--data-dir', dir, '--node-name', NODE, '--purge']).catch((err: unknown) => console.error(`skiff down: ${String(err)}`));
  });
