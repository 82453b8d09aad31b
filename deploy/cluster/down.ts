// `skiff down`: stops every component `skiff up` started (kubelet first, apiserver last)
// and removes what the cluster put on the host: the pods' containers, kube-proxy's rules,
// the pod network (chains, routes, bridge), the service device and the cluster bridge.
// The data stays unless --purge.
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FlagSpec } from '../../shared/flags.js';
import { cleanupNodeNetwork, removeClusterBridge, removeNodeContainers } from './host.js';
import { COMPONENTS, DEFAULT_DATA_DIR } from './layout.js';
import { stopComponent } from './processes.js';
import { step } from './up.js';

export const summary = 'Stop the cluster `skiff up` started and remove its containers, rules, routes and bridges (--purge: its data too)';

export const flags: FlagSpec[] = [
  { name: 'data-dir', help: 'Directory of the cluster', default: DEFAULT_DATA_DIR },
  { name: 'node-name', help: 'Name of the node', default: hostname() },
  { name: 'purge', help: 'Also remove the data directory (every object, logs, kubeconfig)', default: false, type: 'boolean' },
];

export async function down(dataDir: string, nodeName: string, purge: boolean): Promise<void> {
  for (const name of [...COMPONENTS].reverse()) {
    const stopped = await step(`stopping ${name}`, () => stopComponent(dataDir, name));
    if (!stopped) process.stdout.write('    (was not running)\n');
  }
  const removed = await step('removing the pods\' containers', () => removeNodeContainers(nodeName));
  process.stdout.write(`    ${removed} containers\n`);
  await step('removing kube-proxy\'s rules, the pod network and the service device', () => cleanupNodeNetwork());
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
