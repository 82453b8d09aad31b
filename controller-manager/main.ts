// `skiff controller-manager`: runs the reconcile loops against the apiserver.
import { Client } from '../shared/client.js';
import type { FlagSpec } from '../shared/flags.js';
import { rootLogger } from '../shared/log.js';
import { startNamespaceController } from './namespace/controller.js';

export const summary = 'Runs the controllers that drive the cluster toward its desired state.';

export const flags: FlagSpec[] = [
  { name: 'server', help: 'URL of the apiserver', default: 'http://127.0.0.1:8080' },
  { name: 'controllers', help: 'Comma-separated controllers to run (* for all); available: namespace', default: '*' },
  { name: 'v', help: 'Log level (error, warn, info, debug)', default: 'info' },
];

const CONTROLLERS: Record<string, (client: Client, log: ReturnType<typeof rootLogger>) => Promise<() => void>> = {
  namespace: startNamespaceController,
};

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const log = rootLogger('controller-manager', String(f.v));
  const client = new Client(String(f.server), 'skiff-controller-manager');
  const wanted = String(f.controllers).split(',').map((s) => s.trim());
  const names = wanted.includes('*') ? Object.keys(CONTROLLERS) : wanted;
  const unknown = names.filter((n) => !CONTROLLERS[n]);
  if (unknown.length) {
    log.fatal(`unknown controllers: ${unknown.join(', ')} (available: ${Object.keys(CONTROLLERS).join(', ')})`);
    process.exit(2);
  }
  const stops: (() => void)[] = [];
  for (const n of names) stops.push(await CONTROLLERS[n]!(client, log));
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    for (const s of stops) s();
    process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
