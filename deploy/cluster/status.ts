// `skiff status`: each component of the cluster (pid, running, health) and the nodes.
import { hostname } from 'node:os';
import { Client } from '../../shared/client.js';
import type { FlagSpec } from '../../shared/flags.js';
import { R } from '../../shared/resources.js';
import { apiserverURL, COMPONENTS, DEFAULT_DATA_DIR, NODE_IP, type ClusterSettings, type ComponentName } from './layout.js';
import { logFile, runningPid } from './processes.js';

export const summary = 'Show each component of the cluster (pid, health) and whether the nodes are Ready';

export const flags: FlagSpec[] = [
  { name: 'data-dir', help: 'Directory of the cluster', default: DEFAULT_DATA_DIR },
  { name: 'apiserver-port', help: 'Port of the apiserver on 127.0.0.1', default: 8080 },
];

const HEALTH: Partial<Record<ComponentName, (s: ClusterSettings) => string>> = {
  apiserver: (s) => `${apiserverURL(s)}/healthz`,
  'kube-proxy': () => 'http://127.0.0.1:10256/healthz',
  dns: () => `http://${NODE_IP}:8080/health`,
};

async function health(url: string | undefined): Promise<string> {
  if (!url) return '-';
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return r.ok ? 'ok' : `HTTP ${r.status}`;
  } catch (err) {
    return `unreachable (${(err as Error).message})`;
  }
}

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const s: ClusterSettings = { dataDir: String(f['data-dir']), apiserverPort: Number(f['apiserver-port']), nodeName: hostname() };
  const rows = [['COMPONENT', 'PID', 'STATUS', 'HEALTH', 'LOG']];
  let down = 0;
  for (const name of COMPONENTS) {
    const pid = runningPid(s.dataDir, name);
    if (!pid) down++;
    rows.push([name, pid ? String(pid) : '-', pid ? 'running' : 'stopped', pid ? await health(HEALTH[name]?.(s)) : '-', logFile(s.dataDir, name)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  console.log('');
  try {
    const nodes = await new Client(apiserverURL(s), 'skiff-status').list(R.nodes);
    console.log('NODE  READY');
    for (const n of nodes.items) {
      const ready = ((n.status?.conditions ?? []) as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status ?? 'Unknown';
      console.log(`${n.metadata.name}  ${ready}`);
    }
  } catch (err) {
    console.log(`nodes: the apiserver does not answer (${(err as Error).message}); start the cluster with skiff up`);
  }
  process.exitCode = down ? 3 : 0;
}
