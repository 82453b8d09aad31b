// `skiff logs COMPONENT [--tail N] [--follow]`: a component's log file.
import { createReadStream, existsSync, readFileSync, statSync, watch } from 'node:fs';
import type { FlagSpec } from '../../shared/flags.js';
import { clusterProcs, DEFAULT_DATA_DIR, procId, savedSettings } from './layout.js';
import { logFile } from './processes.js';

export const summary = 'Print a process\'s log (apiserver, controller-manager, scheduler, dns, kube-proxy, kubelet; NODE/kubelet, NODE/dockerd… with several nodes; or up)';
export const positional = 'COMPONENT';

export const flags: FlagSpec[] = [
  { name: 'data-dir', help: 'Directory of the cluster', default: DEFAULT_DATA_DIR },
  { name: 'tail', help: 'Only the last N lines (0: all)', default: 100 },
  { name: 'follow', help: 'Keep printing what is appended', default: false, type: 'boolean' },
];

export async function main(f: Record<string, string | number | boolean>, args: string[] = []): Promise<void> {
  const name = args[0];
  const dataDir = String(f['data-dir']);
  const ids = clusterProcs(savedSettings(dataDir)).map(procId);
  if (!name || ![...ids, 'up'].includes(name)) {
    console.error(`skiff logs: name a process: ${ids.join(', ')}, or up (the log of skiff up's scripts)`);
    process.exit(2);
  }
  const file = logFile(dataDir, name);
  if (!existsSync(file)) {
    console.error(`skiff logs: no log at ${file} (has \`skiff up\` run with --data-dir ${String(f['data-dir'])}?)`);
    process.exit(1);
  }
  const lines = readFileSync(file, 'utf8').split('\n');
  const n = Number(f.tail);
  process.stdout.write((n > 0 ? lines.slice(-n - 1) : lines).join('\n'));
  if (!f.follow) return;
  let offset = statSync(file).size;
  watch(file, () => {
    const size = statSync(file).size;
    if (size <= offset) return;
    createReadStream(file, { start: offset, end: size - 1 }).pipe(process.stdout, { end: false });
    offset = size;
  });
  await new Promise(() => undefined);
}
