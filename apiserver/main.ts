// `skiff apiserver`: parse flags, open storage, serve; stop cleanly on SIGTERM.
import { mkdirSync } from 'node:fs';
import { rootLogger } from '../shared/log.js';
import type { FlagSpec } from '../shared/flags.js';
import { parseCidr, parsePortRange } from './registry/allocator.js';
import { startApiserver } from './server.js';

export const summary = 'Serves the Kubernetes API (REST + watch) backed by LevelDB.';

export const flags: FlagSpec[] = [
  { name: 'data-dir', help: 'Directory of the LevelDB database', default: '/var/lib/skiff/apiserver' },
  { name: 'bind-address', help: 'Address to listen on', default: '127.0.0.1' },
  { name: 'port', help: 'Plain HTTP port (unauthenticated; keep it on loopback)', default: 8080 },
  { name: 'service-cluster-ip-range', help: 'CIDR from which ClusterIPs are allocated', default: '10.96.0.0/16' },
  { name: 'service-node-port-range', help: 'Port range reserved for NodePort services', default: '30000-32767' },
  { name: 'watch-cache-size', help: 'Events kept for watch resumption', default: 20000 },
  { name: 'bookmark-interval', help: 'Milliseconds between watch bookmarks when a client allows them', default: 1000 },
  { name: 'max-request-bytes', help: 'Largest request body accepted', default: 3 * 1024 * 1024 },
  { name: 'v', help: 'Log level (error, warn, info, debug)', default: 'info' },
];

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const log = rootLogger('apiserver', String(f.v));
  const dataDir = String(f['data-dir']);
  try {
    parseCidr(String(f['service-cluster-ip-range']));
    parsePortRange(String(f['service-node-port-range']));
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    log.fatal({ err }, `invalid configuration: ${(err as Error).message}`);
    process.exit(2);
  }
  const server = await startApiserver({
    dataDir,
    bindAddress: String(f['bind-address']),
    port: Number(f.port),
    serviceClusterIPRange: String(f['service-cluster-ip-range']),
    serviceNodePortRange: String(f['service-node-port-range']),
    watchCacheSize: Number(f['watch-cache-size']),
    bookmarkIntervalMs: Number(f['bookmark-interval']),
    maxRequestBodyBytes: Number(f['max-request-bytes']),
    log,
  });
  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
