// `skiff kube-proxy`: makes Services work on this node with iptables (kube-proxy's iptables
// mode): ClusterIPs, NodePorts (also on 127.0.0.1), external and load-balancer IPs, the
// traffic policies and session affinity. --cleanup removes every rule it wrote and exits.
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { Client } from '../shared/client.js';
import type { FlagSpec } from '../shared/flags.js';
import { connectionFlags, connectionOrExit } from '../shared/kubeconfig.js';
import { Informer } from '../shared/informer.js';
import { rootLogger, type Logger } from '../shared/log.js';
import { R } from '../shared/resources.js';
import { poolAddresses } from '../shared/cidr.js';
import { clearUdpConntrack, ensureServiceRoute, ensureSysctls, syncLBAddresses } from './host-network.js';
import { chainsIn, ExecIptables, type Iptables } from './iptables.js';
import { registry } from './metrics.js';
import { Proxier } from './proxier.js';
import { JUMPS, PREFIX } from './rules.js';

export const summary = 'Programs iptables so that Services (ClusterIP, NodePort, LoadBalancer) reach their endpoints from this node.';

export const flags: FlagSpec[] = [
  ...connectionFlags(),
  { name: 'hostname-override', help: 'Name of this node (its endpoints are the local ones)', default: hostname() },
  { name: 'cluster-cidr', help: 'The pods\' range: traffic to a ClusterIP from outside it is masqueraded', default: '10.244.0.0/16' },
  { name: 'service-cluster-ip-range', help: 'The ClusterIP range: routed to --service-device, and what no Service holds is rejected', default: '10.96.0.0/16' },
  { name: 'service-device', help: 'Local device (a bridge with no ports) the service range is routed to', default: 'skiff-svc0' },
  { name: 'min-sync-period', help: 'Least seconds between two syncs of the rules (changes within it are batched)', default: 1 },
  { name: 'sync-period', help: 'Seconds between full syncs of every rule', default: 30 },
  { name: 'masquerade-bit', help: 'The fwmark bit (0-31) marking packets to masquerade', default: 14 },
  { name: 'healthz-bind-address', help: 'ADDRESS:PORT of /healthz (0 as the port picks a free one)', default: '0.0.0.0:10256' },
  { name: 'metrics-bind-address', help: 'ADDRESS:PORT of /metrics', default: '127.0.0.1:10249' },
  { name: 'lb-ip-pool', help: 'The controller-manager\'s --lb-ip-pool: LoadBalancer addresses from it are owned by this node (added to --lb-device)', default: '' },
  { name: 'lb-device', help: 'Local device (a bridge with no ports) holding the --lb-ip-pool addresses this node answers for', default: 'skiff-lb0' },
  { name: 'cleanup', help: 'Remove every iptables rule and chain kube-proxy wrote, then exit', default: false, type: 'boolean' },
  { name: 'v', help: 'Log level (error, warn, info, debug)', default: 'info' },
];

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const log = rootLogger('kube-proxy', String(f.v));
  const iptables = new ExecIptables();
  if (f.cleanup) {
    const removed = await cleanup(iptables);
    log.info({ chains: removed }, 'removed every kube-proxy rule and chain');
    return;
  }
  const bit = Number(f['masquerade-bit']);
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) fail(`--masquerade-bit must be an integer 0-31, got ${String(f['masquerade-bit'])}`);
  const minSync = Number(f['min-sync-period']);
  const syncPeriod = Number(f['sync-period']);
  if (!(minSync >= 0) || !(syncPeriod > 0)) fail('--min-sync-period must be >= 0 and --sync-period > 0');
  const serviceCIDR = String(f['service-cluster-ip-range']);
  const nodeName = String(f['hostname-override']);

  // Before anything else: no packet to a ClusterIP may ever take the default route.
  const route = { serviceCIDR, device: String(f['service-device']) };
  await ensureServiceRoute(route);
  // Checked again every second: whatever removed it, the service range never follows the default route for long.
  const routeCheck = setInterval(() => {
    ensureServiceRoute(route).then(
      (fixed) => fixed && log.warn({ serviceCIDR, device: route.device }, 'the route of the service range was gone; restored it'),
      (err: unknown) => log.error({ err }, 'cannot restore the route of the service range'),
    );
  }, 1000);
  routeCheck.unref();
  for (const w of await ensureSysctls()) log.warn(w);

  const client = new Client(connectionOrExit(f, 'kube-proxy'), 'skiff-kube-proxy');
  const services = new Informer(client, R.services, log.child({ informer: 'services' }));
  const endpoints = new Informer(client, R.endpoints, log.child({ informer: 'endpoints' }));
  const proxier = new Proxier({
    nodeName,
    iptables,
    services,
    endpoints,
    log,
    clusterCIDR: String(f['cluster-cidr']),
    serviceCIDR,
    masqueradeMark: `0x${(1 << bit >>> 0).toString(16)}`,
    minSyncMs: minSync * 1000,
    syncPeriodMs: syncPeriod * 1000,
    clearConntrack: clearUdpConntrack,
  });
  const healthz = await serve(String(f['healthz-bind-address']), (path) => {
    if (path !== '/healthz' && path !== '/livez') return undefined;
    // Healthy while the rules are fresh: synced within two sync periods, as upstream's healthz server.
    const healthy = proxier.lastSuccess > 0 && Date.now() - proxier.lastSuccess < 2 * syncPeriod * 1000;
    const body = JSON.stringify({ lastUpdated: new Date(proxier.lastSuccess).toISOString(), currentTime: new Date().toISOString(), nodeName, nodeHealthy: healthy });
    return { code: healthy ? 200 : 503, type: 'application/json', body: async () => body };
  }, log);
  const metrics = await serve(String(f['metrics-bind-address']), (path) => (path === '/metrics' ? { code: 200, type: registry.contentType, body: () => registry.metrics() } : undefined), log);

  const pool = new Set(poolAddresses(String(f['lb-ip-pool'])));
  if (pool.size) {
    let timer: NodeJS.Timeout | undefined;
    const announce = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        const wanted = services.list().flatMap((s) => ((s.status?.loadBalancer?.ingress ?? []) as { ip?: string }[]).map((i) => i.ip)).filter((ip): ip is string => Boolean(ip) && pool.has(ip!));
        syncLBAddresses(String(f['lb-device']), [...new Set(wanted)], pool).catch((err: unknown) => log.warn({ err }, 'announcing the load-balancer addresses failed'));
      }, 50);
    };
    services.addHandlers({ onAdd: announce, onUpdate: announce, onDelete: announce });
  }
  await Promise.all([services.start(), endpoints.start()]);
  await proxier.start();
  log.info({ node: nodeName, services: services.list().length, healthz: addressOf(healthz), metrics: addressOf(metrics) }, 'proxy rules synced; watching services and endpoints');

  const stop = (signal: string) => {
    // As upstream: the rules stay, so traffic keeps flowing until the next kube-proxy takes over.
    log.info({ signal }, 'shutting down; the rules stay in place');
    proxier.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function fail(message: string): never {
  console.error(`skiff kube-proxy: ${message}`);
  process.exit(2);
}

/** Removes the jump rules, then flushes and deletes every chain named with kube-proxy's prefix. */
export async function cleanup(iptables: Iptables): Promise<number> {
  for (const j of JUMPS) await iptables.deleteRule(j.table, j.chain, j.rule);
  let removed = 0;
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const chains = chainsIn(await iptables.save(table)).filter((c) => c.startsWith(PREFIX));
    if (!chains.length) continue;
    removed += chains.length;
    lines.push(`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT');
  }
  if (lines.length) await iptables.restore(lines.join('\n') + '\n');
  return removed;
}

type Handler = (path: string) => { code: number; type: string; body: () => Promise<string> } | undefined;

function serve(bind: string, handler: Handler, log: Logger): Promise<Server> {
  const i = bind.lastIndexOf(':');
  const host = bind.slice(0, i) || '0.0.0.0';
  const port = Number(bind.slice(i + 1));
  const server = createServer((req, res) => {
    const h = handler((req.url ?? '/').split('?')[0]!);
    if (!h) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    h.body().then(
      (body) => res.writeHead(h.code, { 'content-type': h.type }).end(body),
      (err: unknown) => {
        log.error({ err }, 'serving failed');
        res.writeHead(500).end();
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${bind}: ${err.message}`)));
    server.listen(port, host, () => resolve(server));
  });
}

function addressOf(s: Server): string {
  const a = s.address() as { address: string; port: number };
  return `${a.address}:${a.port}`;
}
