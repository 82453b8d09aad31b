// `skiff down`: stops every process `skiff up` started (the nodes first, the apiserver
// last) and removes what the cluster put on the host: the pods' containers, kube-proxy's
// rules, the pod network (chains, routes, bridge), the service device, the nodes'
// namespaces and engines' state, the registry container and the cluster bridge. The data
// stays unless --purge.
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FlagSpec } from '../../shared/flags.js';
import { nodeExecRoot } from './components.js';
import { cleanupNodeNetwork, removeClusterBridge, removeEngineContainers, removeNodeContainers } from './host.js';
import { clusterNodes, clusterProcs, DEFAULT_DATA_DIR, procId, savedSettings } from './layout.js';
import { removeHostRoutes, removeNodeNamespace } from './node-network.js';
import { runningPid, stopProcess } from './processes.js';
import { removeRegistry } from './registry.js';
import { step } from './up.js';

export const summary = 'Stop the cluster `skiff up` started and remove its containers, rules, routes, namespaces and bridges (--purge: its data too)';

export const flags: FlagSpec[] = [
  { name: 'data-dir', help: 'Directory of the cluster', default: DEFAULT_DATA_DIR },
  { name: 'node-name', help: 'Name of the node of a one-node cluster (when the data directory does not say)', default: hostname() },
  { name: 'purge', help: 'Also remove the data directory (every object, certificates, logs, kubeconfig)', default: false, type: 'boolean' },
];

export async function down(dataDir: string, nodeName: string, purge: boolean): Promise<void> {
  const s = savedSettings(dataDir, { nodeName });
  for (const p of clusterProcs(s).reverse()) {
    // A node's engine goes after its kubelet, its containers removed first (they are the cluster's to remove).
    if (p.name === 'dockerd' && runningPid(dataDir, p)) {
      const n = await step(`removing the containers of ${p.node!.name}`, () => removeEngineContainers(p.node!.dockerHost));
      process.stdout.write(`    ${n} containers\n`);
    }
    const stopped = await step(`stopping ${procId(p)}`, () => stopProcess(dataDir, p, { graceMs: p.name === 'dockerd' ? 30_000 : 10_000 }));
    if (!stopped) process.stdout.write('    (was not running)\n');
  }
  const nodes = clusterNodes(s);
  if (s.nodes > 1) {
    await step('removing the nodes\' namespaces, the routes to them and the registry', async () => {
      for (const n of nodes) {
        await removeNodeNamespace(n);
        rmSync(nodeExecRoot(n), { recursive: true, force: true });
      }
      await removeHostRoutes();
      await removeRegistry();
    });
  } else {
    const removed = await step('removing the pods\' containers', () => removeNodeContainers(nodes[0]!.name));
    process.stdout.write(`    ${removed} containers\n`);
    await step('removing kube-proxy\'s rules, the pod network and the service device', () => cleanupNodeNetwork());
  }
  await step('removing the cluster bridge', () => removeClusterBridge());
  if (purge) await step(`removing ${dataDir}`, async () => rmSync(dataDir, { recursive: true, force: true }));
  else console.log(`The data stays in ${dataDir}: \`skiff up\` brings every object back.`);
}

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  try {
    await down(String(f['data-dir']), String(f['node-name']), Boolean(f.purge));
  } catch (err) {
    console.error(`\nskiff down failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
