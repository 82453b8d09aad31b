// The node's side of the service network that is not iptables: the service CIDR routed to
// a local device that answers nothing (a bridge with no ports, as the ipvs mode's dummy
// kube-ipvs0), so a packet to a ClusterIP never follows the default route even before the
// first sync; and the sysctls kube-proxy's iptables mode needs.
import { readFile, writeFile } from 'node:fs/promises';
import { run } from '../shared/exec.js';

export interface HostNetworkOptions {
  serviceCIDR: string;
  /** Name of the local device the service CIDR is routed to. */
  device: string;
}

const ip = (args: string[]) => run('ip', args);

/** A bridge with no ports, created if missing and brought up. */
export async function ensureDevice(device: string): Promise<void> {
  const links = await ip(['-o', 'link', 'show']);
  if (!new RegExp(`^\\d+: ${device}[:@]`, 'm').test(links)) await ip(['link', 'add', device, 'type', 'bridge']);
  await ip(['link', 'set', device, 'up']);
}

/** Metric of the fallback route: used only when the device route is gone. */
const FALLBACK_METRIC = '4000';

/**
 * Creates the device if missing, brings it up, and routes the service CIDR to it, with an
 * `unreachable` route of a worse metric beneath: should the device route ever go (the
 * kernel flushes a device's routes when it loses its last address, or someone deletes it),
 * a packet to a ClusterIP still fails on the node instead of taking the default route.
 * Idempotent; kube-proxy checks it again every second.
 */
export async function ensureServiceRoute(o: HostNetworkOptions): Promise<boolean> {
  const routes = await ip(['-4', 'route', 'show', o.serviceCIDR]);
  const hasDevice = new RegExp(`^${o.serviceCIDR.replaceAll('.', '\\.')} dev ${o.device}\\b`, 'm').test(routes);
  const hasFallback = /^unreachable /m.test(routes);
  if (hasDevice && hasFallback) return false;
  await ip(['route', 'replace', 'unreachable', o.serviceCIDR, 'metric', FALLBACK_METRIC]);
  await ensureDevice(o.device);
  await ip(['route', 'replace', o.serviceCIDR, 'dev', o.device]);
  return true;
}

/** The device and interface an address is routed through (`ip route get`). */
export async function routeOf(address: string): Promise<string> {
  return (await ip(['route', 'get', address])).trim();
}

/** Removes the route and the device (skiff down's part, not --cleanup's). */
export async function removeServiceRoute(o: HostNetworkOptions): Promise<void> {
  await ip(['route', 'del', o.serviceCIDR, 'dev', o.device]).catch(() => undefined);
  await ip(['route', 'del', 'unreachable', o.serviceCIDR, 'metric', FALLBACK_METRIC]).catch(() => undefined);
  await ip(['link', 'del', o.device]).catch(() => undefined);
}

const SYSCTLS: [string, string, string][] = [
  // NodePorts on 127.0.0.1 (the martian drop in SKIFF-FIREWALL keeps other hosts out).
  ['net/ipv4/conf/all/route_localnet', '1', 'NodePorts on 127.0.0.1'],
  ['net/ipv4/ip_forward', '1', 'forwarding to pods'],
  // Pod → ClusterIP → pod on the same bridge: the reply is bridged and must see conntrack.
  ['net/bridge/bridge-nf-call-iptables', '1', 'service traffic between pods of one bridge'],
];

/** Sets the sysctls; returns a warning per one it could not set (the feature it breaks). */
export async function ensureSysctls(): Promise<string[]> {
  const warnings: string[] = [];
  for (const [path, value, why] of SYSCTLS) {
    const file = `/proc/sys/${path}`;
    try {
      if ((await readFile(file, 'utf8')).trim() !== value) await writeFile(file, value);
    } catch (err) {
      warnings.push(`could not set ${path.replaceAll('/', '.')}=${value} (${why}): ${(err as Error).message}`);
    }
  }
  return warnings;
}

/** Deletes the conntrack entries of a UDP service port (to one endpoint, or all). Best effort. */
export async function clearUdpConntrack(entries: { ip: string; port: number; endpoint?: string }[]): Promise<void> {
  for (const e of entries) {
    const args = ['-D', '-p', 'udp', '--orig-dst', e.ip, '--orig-port-dst', String(e.port)];
    if (e.endpoint) args.push('--reply-src', e.endpoint);
    // Exit 1 with "0 flow entries have been deleted" is the common, harmless case.
    await run('conntrack', args).catch(() => undefined);
  }
}

/**
 * The load-balancer addresses of --lb-ip-pool in use, as /32s on a device of their own
 * (never the service device: removing a device's last address flushes its routes): the
 * node then owns them (and answers ARP for them on the cluster bridge), as MetalLB's layer 2
 * mode announces them. Addresses of the pool no Service uses any more are removed.
 */
export async function syncLBAddresses(device: string, wanted: string[], pool: Set<string>): Promise<void> {
  await ensureDevice(device);
  const have = new Set(((await ip(['-o', '-4', 'addr', 'show', 'dev', device])).match(/inet (\S+)\/32/g) ?? []).map((m) => m.slice(5, -3)));
  for (const a of wanted) if (!have.has(a)) await ip(['addr', 'add', `${a}/32`, 'dev', device]);
  for (const a of have) if (pool.has(a) && !wanted.includes(a)) await ip(['addr', 'del', `${a}/32`, 'dev', device]);
}
