// The components as detached processes of their own: started with their output in
// logs/COMPONENT.log and their pid in run/COMPONENT.pid; found again by that pid file (and
// the process's command line, so a recycled pid is never mistaken for one of ours).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentArgs, layout, type ClusterSettings, type ComponentName } from './layout.js';

/** The package root, from deploy/cluster or from its compiled copy in dist/deploy/cluster. */
export const ROOT = join(import.meta.dirname, import.meta.dirname.includes('/dist/') ? '../../..' : '../..');
export const CLI = join(ROOT, 'dist/shared/cli.js');

export function logFile(dataDir: string, name: ComponentName): string {
  return join(layout(dataDir).logs, `${name}.log`);
}

function pidFile(dataDir: string, name: ComponentName): string {
  return join(layout(dataDir).run, `${name}.pid`);
}

/** The pid of the running component, if it runs. */
export function runningPid(dataDir: string, name: ComponentName): number | undefined {
  const file = pidFile(dataDir, name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return cmdline.includes(CLI) && cmdline.includes(name) && environ.includes(`SKIFF_CLUSTER_DIR=${dataDir}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function startComponent(name: ComponentName, s: ClusterSettings): number {
  const l = layout(s.dataDir);
  mkdirSync(l.logs, { recursive: true });
  mkdirSync(l.run, { recursive: true });
  const log = openSync(logFile(s.dataDir, name), 'a');
  writeFileSync(log, `\n---- ${new Date().toISOString()} skiff up: starting ${name}\n`);
  // SKIFF_CLUSTER_DIR in its environment tells this cluster's processes from any other's.
  const child = spawn(process.execPath, [CLI, ...componentArgs(name, s)], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, SKIFF_CLUSTER_DIR: s.dataDir },
  });
  closeSync(log);
  child.unref();
  writeFileSync(pidFile(s.dataDir, name), `${child.pid}\n`);
  return child.pid!;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopComponent(dataDir: string, name: ComponentName, graceMs = 10_000): Promise<boolean> {
  const pid = runningPid(dataDir, name);
  rmSync(pidFile(dataDir, name), { force: true });
  if (!pid) return false;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
    } catch {
      return false;
    }
  };
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(pid, 'SIGKILL');
  while (alive()) await new Promise((r) => setTimeout(r, 50));
  return true;
}
