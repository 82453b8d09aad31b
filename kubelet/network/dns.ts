// A pod's /etc/resolv.conf and /etc/hosts, as the kubelet writes them (pkg/kubelet/network/dns
// and the kubelet's managed hosts file): dnsPolicy ClusterFirst points at the cluster DNS with
// the namespace's search path and ndots:5; Default takes the node's resolv.conf; None only
// spec.dnsConfig; dnsConfig is merged into the others.
import type { KubeObject } from '../../shared/types.js';

export interface DnsSettings {
  /** --cluster-dns: the cluster DNS service IPs (empty: ClusterFirst falls back to Default). */
  clusterDNS: string[];
  /** --cluster-domain. */
  clusterDomain: string;
  /** The node's resolv.conf (--resolv-conf), already read. */
  hostResolvConf: string;
}

export interface ResolvConf {
  servers: string[];
  searches: string[];
  options: string[];
}

/** Kubernetes' limits (validation.MaxDNSNameservers, MaxDNSSearchPaths). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.searches = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

/** The resolv.conf of a pod; undefined when the pod uses the node's network (not run by skiff). */
export function podResolvConf(pod: KubeObject, s: DnsSettings): ResolvConf {
  const spec = pod.spec ?? {};
  const host = parseResolvConf(s.hostResolvConf);
  let policy = String(spec.dnsPolicy ?? 'ClusterFirst');
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && s.clusterDNS.length === 0) policy = 'Default';
  let conf: ResolvConf;
  if (policy === 'None') conf = { servers: [], searches: [], options: [] };
  else if (policy === 'Default') conf = { servers: host.servers, searches: host.searches, options: host.options };
  else {
    const ns = pod.metadata.namespace ?? 'default';
    const d = s.clusterDomain;
    conf = { servers: [...s.clusterDNS], searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...host.searches], options: ['ndots:5'] };
  }
  const extra = (spec.dnsConfig ?? {}) as { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] };
  conf.servers = unique([...conf.servers, ...(extra.nameservers ?? [])]).slice(0, MAX_NAMESERVERS);
  conf.searches = unique([...conf.searches, ...(extra.searches ?? [])]).slice(0, MAX_SEARCHES);
  conf.options = mergeOptions(conf.options, (extra.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name)));
  return conf;
}

/** Options by name, later ones replacing earlier ones (the kubelet's mergeDNSOptions). */
function mergeOptions(base: string[], extra: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...extra]) byName.set(o.split(':')[0]!, o);
  return [...byName.values()];
}

function unique(xs: string[]): string[] {
  return [...new Set(xs.filter(Boolean))];
}

export function formatResolvConf(c: ResolvConf): string {
  const lines: string[] = [];
  if (c.searches.length) lines.push(`search ${c.searches.join(' ')}`);
  for (const s of c.servers) lines.push(`nameserver ${s}`);
  if (c.options.length) lines.push(`options ${c.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** The kubelet-managed /etc/hosts of a pod with IP `podIP`. */
export function podHostsFile(pod: KubeObject, podIP: string, clusterDomain: string): string {
  const spec = pod.spec ?? {};
  const hostname = String(spec.hostname ?? pod.metadata.name ?? '').slice(0, 63);
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  if (podIP) {
    if (spec.subdomain) lines.push(`${podIP}\t${hostname}.${spec.subdomain}.${pod.metadata.namespace}.svc.${clusterDomain}\t${hostname}`);
    else lines.push(`${podIP}\t${hostname}`);
  }
  const aliases = (spec.hostAliases ?? []) as { ip?: string; hostnames?: string[] }[];
  if (aliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) if (a.ip && a.hostnames?.length) lines.push(`${a.ip}\t${a.hostnames.join('\t')}`);
  }
  return lines.join('\n') + '\n';
}
