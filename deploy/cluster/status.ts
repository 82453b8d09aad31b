// `skiff status`: each process of the cluster (pid, running, health) and the nodes.
import type { FlagSpec } from '../../shared/flags.js';
import { R } from '../../shared/resources.js';
import { clusterProcs, DEFAULT_DATA_DIR, NODE_IP, procId, savedSettings, type Proc } from './layout.js';
import { adminClient, anonymousGet } from './pki.js';
import { logFile, runningPid } from './processes.js';

export const summary = 'Show each process of the cluster (pid, health) and whether the nodes are Ready';

export const flags: FlagSpec[] = [{ name: 'data-dir', help: 'Directory of the cluster', default: DEFAULT_DATA_DIR }];

async function health(dataDir: string, p: Proc): Promise<string> {
  const get = async (url: string) => {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return r.status;
  };
  try {
    let code: number;
    if (p.name === 'apiserver') code = await anonymousGet(dataDir, '/healthz');
    else if (p.name === 'dns') code = await get(`http://${NODE_IP}:8080/health`);
    else if (p.name === 'kube-proxy' && !p.node?.netns) code = await get('http://127.0.0.1:10256/healthz');
    else return '-';
    return code === 200 ? 'ok' : `HTTP ${code}`;
  } catch (err) {
    return `unreachable (${(err as Error).message})`;
  }
}

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const dataDir = String(f['data-dir']);
  const s = savedSettings(dataDir);
  const rows = [['PROCESS', 'PID', 'STATUS', 'HEALTH', 'LOG']];
  let down = 0;
  for (const p of clusterProcs(s)) {
    const pid = runningPid(dataDir, p);
    if (!pid) down++;
    rows.push([procId(p), pid ? String(pid) : '-', pid ? 'running' : 'stopped', pid ? await health(dataDir, p) : '-', logFile(dataDir, procId(p))]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  console.log('');
  try {
    const nodes = await adminClient(dataDir, 'skiff-status').list(R.nodes);
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
