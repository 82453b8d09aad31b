// `skiff node stop|start NODE`: failure drills. stop kills the node's kubelet and
// kube-proxy and stops its Docker engine (its containers stop with it), or with --link cuts
// its link to the cluster (a partition: everything keeps running, nothing gets through);
// start brings back what stop took. The control plane notices as it would a real node.
import type { FlagSpec } from '../../shared/flags.js';
import { clusterNodes, clusterProcs, DEFAULT_DATA_DIR, procId, savedSettings, type NodeSpec } from './layout.js';
import { setNodeLink } from './node-network.js';
import { ensurePKI } from './pki.js';
import { stopProcess } from './processes.js';
import { ensureProc, hostStorageDriver, step } from './up.js';

export const summary = 'Stop or start a node of the cluster (stop: kill its kubelet and kube-proxy and stop its engine; --link: cut its link instead)';
export const positional = 'stop|start NODE';

export const flags: FlagSpec[] = [
  { name: 'data-dir', help: 'Directory of the cluster', default: DEFAULT_DATA_DIR },
  { name: 'link', help: 'Cut (stop) or restore (start) the node\'s link to the cluster instead of stopping its processes', default: false, type: 'boolean' },
];

export async function main(f: Record<string, string | number | boolean>, args: string[] = []): Promise<void> {
  const [action, name] = args;
  const dataDir = String(f['data-dir']);
  const s = savedSettings(dataDir);
  const nodes = clusterNodes(s);
  const node = nodes.find((n) => n.name === name);
  if ((action !== 'stop' && action !== 'start') || !node) {
    console.error(`skiff node: usage: skiff node stop|start NODE [--link]; the nodes: ${nodes.map((n) => n.name).join(', ')}`);
    process.exit(2);
  }
  try {
    if (f.link) {
      if (!node.netns) throw new Error(`${node.name} is this host: only a node in a namespace has a link to cut`);
      await step(`${action === 'stop' ? 'cutting' : 'restoring'} the link of ${node.name}`, () => setNodeLink(node, action === 'start'));
    } else if (action === 'stop') await stop(dataDir, s, node);
    else await start(s, node);
  } catch (err) {
    console.error(`\nskiff node ${action} ${name} failed: ${(err as Error).message}`);
    process.exit(1);
  }
}

const procsOf = (s: Parameters<typeof clusterProcs>[0], node: NodeSpec) => clusterProcs(s).filter((p) => p.node?.name === node.name);

async function stop(dataDir: string, s: Parameters<typeof clusterProcs>[0], node: NodeSpec): Promise<void> {
  for (const p of procsOf(s, node).reverse()) {
    const kill = p.name !== 'dockerd';
    const stopped = await step(`${kill ? 'killing' : 'stopping'} ${procId(p)}`, () => stopProcess(dataDir, p, { kill, graceMs: 30_000 }));
    if (!stopped) process.stdout.write('    (was not running)\n');
  }
}

async function start(s: Parameters<typeof clusterProcs>[0], node: NodeSpec): Promise<void> {
  const pki = ensurePKI(s.dataDir);
  const driver = await hostStorageDriver();
  if (node.netns) await step(`the link of ${node.name}`, () => setNodeLink(node, true));
  for (const p of procsOf(s, node)) {
    const how = await step(procId(p), () => ensureProc(p, s, pki, driver));
    process.stdout.write(`    ${how}\n`);
  }
}
