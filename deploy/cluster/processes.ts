// The cluster's processes, detached: started with their output in logs/[NODE/]NAME.log and
// their pid in run/[NODE/]NAME.pid; found again by that pid file (and the process's command
// line and environment, so a recycled pid is never mistaken for one of ours).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { layout, procId, type Proc } from './layout.js';

/** The package root, from deploy/cluster or from its compiled copy in dist/deploy/cluster. */
export const ROOT = join(import.meta.dirname, import.meta.dirname.includes('/dist/') ? '../../..' : '../..');
export const CLI = join(ROOT, 'dist/shared/cli.js');

/** `apiserver`, or `skiff-node-1/kubelet` for a node's process. */
export function logFile(dataDir: string, id: string): string {
  return join(layout(dataDir).logs, `${id}.log`);
}

function pidFile(dataDir: string, id: string): string {
  return join(layout(dataDir).run, `${id}.pid`);
}

/** The pid of the running process, if it runs. */
export function runningPid(dataDir: string, p: Proc): number | undefined {
  const file = pidFile(dataDir, procId(p));
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const ours = p.name === 'dockerd' ? cmdline[0]?.endsWith('dockerd') : cmdline.includes(CLI) && cmdline.includes(p.name);
    return ours && environ.includes(`SKIFF_CLUSTER_DIR=${dataDir}`) && !zombie(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function zombie(pid: number): boolean {
  try {
    return Boolean(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z'));
  } catch {
    return true;
  }
}

/** Starts `argv` detached; `nsenter` execs, so the pid is the process's own. */
export function startProcess(dataDir: string, p: Proc, argv: string[]): number {
  const id = procId(p);
  const logPath = logFile(dataDir, id);
  mkdirSync(dirname(logPath), { recursive: true });
  mkdirSync(dirname(pidFile(dataDir, id)), { recursive: true });
  const log = openSync(logPath, 'a');
  writeFileSync(log, `\n---- ${new Date().toISOString()} skiff up: starting ${id}: ${argv.join(' ')}\n`);
  // SKIFF_CLUSTER_DIR in its environment tells this cluster's processes from any other's.
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, SKIFF_CLUSTER_DIR: dataDir, ...(p.node?.netns ? { DOCKER_HOST: p.node.dockerHost } : {}) },
  });
  closeSync(log);
  child.unref();
  writeFileSync(pidFile(dataDir, id), `${child.pid}\n`);
  return child.pid!;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !zombie(pid);
}

/** SIGTERM (SIGKILL with `kill`), then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(dataDir: string, p: Proc, opts: { graceMs?: number; kill?: boolean } = {}): Promise<boolean> {
  const pid = runningPid(dataDir, p);
  rmSync(pidFile(dataDir, procId(p)), { force: true });
  if (!pid) return false;
  process.kill(pid, opts.kill ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + (opts.graceMs ?? 10_000);
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
  return true;
}
