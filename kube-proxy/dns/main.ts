// `skiff dns`: the cluster DNS (what CoreDNS's kubernetes plugin serves in a kubeadm cluster).
// Answers come from informers over Namespaces, Services and Endpoints; names outside the
// cluster domain go to --upstream, or fail at once without one. With --register-service it
// keeps kube-system/kube-dns (ClusterIP --service-ip) pointing at itself.
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Client } from '../../shared/client.js';
import type { FlagSpec } from '../../shared/flags.js';
import { InformerFactory } from '../../shared/informer-factory.js';
import { keyOf, type Informer } from '../../shared/informer.js';
import { rootLogger } from '../../shared/log.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { UdpForwarder, parseUpstream } from './forward.js';
import { startHealthServer } from './health.js';
import { ClusterIndex } from './index.js';
import { connectionFlags, connectionOrExit } from '../../shared/kubeconfig.js';
import { DnsMetrics } from './metrics.js';
import { canonicalName } from './names.js';
import type { ZoneConfig } from './records.js';
import { Responder } from './responder.js';
import { DnsServer } from './server.js';
import { ServiceRegistration } from './service-registration.js';

export const summary = 'Serves cluster DNS (Services, Endpoints, pods) from informers, as CoreDNS\'s kubernetes plugin.';

export const flags: FlagSpec[] = [
  ...connectionFlags(),
  { name: 'bind-address', help: 'Address the DNS (UDP and TCP) and health listeners bind to', default: '0.0.0.0' },
  { name: 'port', help: 'DNS port, UDP and TCP (0: pick a free one and log it)', default: 53 },
  { name: 'cluster-domain', help: 'The cluster domain this server is authoritative for', default: 'cluster.local' },
  { name: 'ttl', help: 'TTL in seconds of the answers (0-3600)', default: 30 },
  { name: 'upstream', help: 'Resolver for names outside the cluster domain, IP[:port] (default: none, answer SERVFAIL at once)', type: 'string' },
  { name: 'health-port', help: 'Port of /health, /ready and /metrics (0: pick a free one)', default: 8080 },
  { name: 'register-service', help: 'Keep kube-system/kube-dns (Service and Endpoints) pointing at this server', default: true, type: 'boolean' },
  { name: 'advertise-address', help: 'Address pods reach this server at, written into the kube-dns Endpoints (default: --bind-address, or the host\'s first non-loopback IPv4)', type: 'string' },
  { name: 'service-ip', help: 'ClusterIP of the kube-dns Service (the nameserver in pods\' resolv.conf)', default: '10.96.0.10' },
  { name: 'v', help: 'Log level (error, warn, info, debug)', default: 'info' },
];

function fail(message: string): never {
  console.error(`skiff dns: ${message}`);
  process.exit(2);
}

function defaultAdvertiseAddress(bindAddress: string): string {
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::') return bindAddress;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Keeps `index` in step with an informer: every event re-reads its key from the cache. */
function feed(informer: Informer, sync: (key: string, obj: KubeObject | undefined) => void): void {
  const onEvent = (obj: KubeObject) => sync(keyOf(obj), informer.get(keyOf(obj)));
  informer.addHandlers({ onAdd: onEvent, onUpdate: (_old, obj) => onEvent(obj), onDelete: onEvent });
}

export async function main(f: Record<string, string | number | boolean>): Promise<void> {
  const log = rootLogger('dns', String(f.v));
  const bindAddress = String(f['bind-address']);
  const port = Number(f.port), healthPort = Number(f['health-port']), ttl = Number(f.ttl);
  const domain = canonicalName(String(f['cluster-domain'])).replace(/^\./, '');
  const serviceIP = String(f['service-ip']);
  const advertiseAddress = f['advertise-address'] ? String(f['advertise-address']) : defaultAdvertiseAddress(bindAddress);
  if (!isIP(bindAddress)) fail(`--bind-address needs an IP address, got ${JSON.stringify(bindAddress)}`);
  for (const [name, n] of [['port', port], ['health-port', healthPort]] as const) {
    if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`--${name} needs a port number (0-65535), got ${n}`);
  }
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600) fail(`--ttl needs whole seconds from 0 to 3600, got ${ttl}`);
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)) fail(`--cluster-domain is not a domain name: ${JSON.stringify(f['cluster-domain'])}`);
  if (!isIP(serviceIP)) fail(`--service-ip needs an IP address, got ${JSON.stringify(serviceIP)}`);
  if (!isIP(advertiseAddress)) fail(`--advertise-address needs an IP address, got ${JSON.stringify(advertiseAddress)}`);
  const upstream = f.upstream ? parseUpstream(String(f.upstream)) : undefined;
  if (f.upstream && !upstream) fail(`--upstream needs IP[:port] (IPv6 as [IP]:port), got ${JSON.stringify(f.upstream)}`);
  const client = new Client(connectionOrExit(f, 'dns'), 'skiff-dns');
  const factory = new InformerFactory(client, log);
  const namespaces = factory.for(R.namespaces);
  const services = factory.for(R.services);
  const endpoints = factory.for(R.endpoints);
  const index = new ClusterIndex();
  feed(namespaces, (key, obj) => index.syncNamespace(key, obj));
  feed(services, (key, obj) => index.syncService(key, obj));
  feed(endpoints, (key, obj) => index.syncEndpoints(key, obj));

  const forwarder = upstream ? new UdpForwarder(upstream, log.child({ upstream: `${upstream.host}:${upstream.port}` })) : undefined;
  const zone: ZoneConfig = { domain, ttl, localIPs: [advertiseAddress] };
  const responder = new Responder({ index, zone, forwarder });
  const metrics = new DnsMetrics(`dns://:${port}`);
  const dns = new DnsServer(responder, metrics, log);
  const dnsPort = await dns.listen(bindAddress, port).catch((err: NodeJS.ErrnoException) => fail(`cannot serve DNS on ${bindAddress}:${port} (UDP and TCP): ${err.message}`));
  metrics.server = `dns://:${dnsPort}`;
  zone.localPort = dnsPort;
  const health = await startHealthServer(bindAddress, healthPort, () => index.synced, metrics).catch((err: Error) => fail(`cannot serve /health on ${bindAddress}:${healthPort}: ${err.message}`));
  const boundHealthPort = (health.address() as AddressInfo).port;
  log.info({ address: bindAddress, port: dnsPort, healthPort: boundHealthPort, domain, ttl, upstream: f.upstream || undefined, server: client.server }, 'serving cluster DNS');

  const registration = f['register-service']
    ? new ServiceRegistration({ client, services, endpoints, cfg: { serviceIP, advertiseAddress, dnsPort, metricsPort: boundHealthPort }, log: log.child({ controller: 'service-registration' }) })
    : undefined;
  if (registration) {
    for (const inf of [services, endpoints]) {
      inf.addHandlers({ onAdd: (o) => registration.enqueueFor(o), onUpdate: (_old, o) => registration.enqueueFor(o), onDelete: (o) => registration.enqueueFor(o) });
    }
  }

  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    registration?.stop();
    factory.stop();
    forwarder?.close();
    health.close();
    void dns.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  await factory.start();
  index.synced = true;
  log.info(index.stats, 'caches synced; answering from them');
  if (registration) {
    void registration.run();
    log.info({ service: 'kube-system/kube-dns', clusterIP: serviceIP, advertiseAddress, dnsPort }, 'registering the kube-dns Service');
  }
}
