// The iptables rules of kube-proxy's iptables mode (pkg/proxy/iptables/proxier.go), with
// skiff's own prefix: a pure function from service ports to chains. Per service, its own
// chains (SVC, SVL, EXT, SEP) and its lines in the shared top-level chains; assemble()
// puts the top-level chains together. Chain names are hashes of the service port (and
// endpoint), as upstream, so that an unchanged service keeps unchanged chains.
import { createHash } from 'node:crypto';
import type { Endpoint, ServicePort } from './service-info.js';

export const CHAIN = {
  natServices: 'SKIFF-SERVICES',
  natNodePorts: 'SKIFF-NODEPORTS',
  postrouting: 'SKIFF-POSTROUTING',
  markMasq: 'SKIFF-MARK-MASQ',
  filterServices: 'SKIFF-SERVICES',
  externalServices: 'SKIFF-EXTERNAL-SERVICES',
  forward: 'SKIFF-FORWARD',
  firewall: 'SKIFF-FIREWALL',
} as const;

/** Every chain name kube-proxy writes starts with this (and no other component's does). */
export const PREFIX = 'SKIFF-';

export const NAT_TOP = [CHAIN.natServices, CHAIN.natNodePorts, CHAIN.postrouting, CHAIN.markMasq];
export const FILTER_TOP = [CHAIN.filterServices, CHAIN.externalServices, CHAIN.forward, CHAIN.firewall];

/** The jump rules from the built-in chains (kube-proxy's iptablesJumpChains), in their order within each chain. */
export const JUMPS: { table: 'nat' | 'filter'; chain: string; rule: string[] }[] = [
  { table: 'filter', chain: 'INPUT', rule: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'skiff externally-visible service portals', '-j', CHAIN.externalServices] },
  { table: 'filter', chain: 'FORWARD', rule: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'skiff externally-visible service portals', '-j', CHAIN.externalServices] },
  { table: 'filter', chain: 'FORWARD', rule: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'skiff service portals', '-j', CHAIN.filterServices] },
  { table: 'filter', chain: 'OUTPUT', rule: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'skiff service portals', '-j', CHAIN.filterServices] },
  { table: 'filter', chain: 'FORWARD', rule: ['-m', 'comment', '--comment', 'skiff forwarding rules', '-j', CHAIN.forward] },
  { table: 'filter', chain: 'INPUT', rule: ['-j', CHAIN.firewall] },
  { table: 'filter', chain: 'OUTPUT', rule: ['-j', CHAIN.firewall] },
  { table: 'nat', chain: 'OUTPUT', rule: ['-m', 'comment', '--comment', 'skiff service portals', '-j', CHAIN.natServices] },
  { table: 'nat', chain: 'PREROUTING', rule: ['-m', 'comment', '--comment', 'skiff service portals', '-j', CHAIN.natServices] },
  { table: 'nat', chain: 'POSTROUTING', rule: ['-m', 'comment', '--comment', 'skiff postrouting rules', '-j', CHAIN.postrouting] },
];

/** JUMPS grouped by table and built-in chain. */
export function jumpsByChain(): { table: 'nat' | 'filter'; chain: string; rules: string[][] }[] {
  const out = new Map<string, { table: 'nat' | 'filter'; chain: string; rules: string[][] }>();
  for (const j of JUMPS) {
    const key = `${j.table}/${j.chain}`;
    if (!out.has(key)) out.set(key, { table: j.table, chain: j.chain, rules: [] });
    out.get(key)!.rules.push(j.rule);
  }
  return [...out.values()];
}

export interface RulesConfig {
  /** The pods' range: traffic from elsewhere to a ClusterIP is masqueraded (kube-proxy's --cluster-cidr). */
  clusterCIDR: string;
  /** ClusterIPs no Service holds are rejected at once instead of going nowhere. */
  serviceCIDR: string;
  /** The fwmark bit of "masquerade this" (kube-proxy's --iptables-masquerade-bit 14). */
  masqueradeMark: string;
}

export interface ServiceRules {
  natServices: string[];
  natNodePorts: string[];
  filterServices: string[];
  filterExternal: string[];
  /** The service's own nat chains: SVC, SVL, EXT and SEP. */
  natChains: Map<string, string[]>;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The first 16 base32 characters of the SHA-256 of s (upstream's portProtoHash). */
export function hash16(s: string): string {
  const bytes = createHash('sha256').update(s).digest();
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 16) break;
  }
  return out;
}

export const svcChain = (sp: ServicePort) => `SKIFF-SVC-${hash16(sp.name + sp.protocol)}`;
export const svlChain = (sp: ServicePort) => `SKIFF-SVL-${hash16(sp.name + sp.protocol)}`;
export const extChain = (sp: ServicePort) => `SKIFF-EXT-${hash16(sp.name + sp.protocol)}`;
export const sepChain = (sp: ServicePort, ep: Endpoint) => `SKIFF-SEP-${hash16(sp.name + sp.protocol + `${ep.ip}:${ep.port}`)}`;

const proto = (sp: ServicePort) => {
  const p = sp.protocol.toLowerCase();
  return `-p ${p} -m ${p}`;
};
const comment = (text: string) => `-m comment --comment "${text}"`;

/** The rules one Service's ports contribute. */
export function serviceRules(ports: ServicePort[], cfg: RulesConfig): ServiceRules {
  const r: ServiceRules = { natServices: [], natNodePorts: [], filterServices: [], filterExternal: [], natChains: new Map() };
  for (const sp of ports) portRules(sp, cfg, r);
  return r;
}

function portRules(sp: ServicePort, cfg: RulesConfig, r: ServiceRules): void {
  const ready = sp.endpoints.filter((e) => e.ready);
  const local = ready.filter((e) => e.local);
  const internal = sp.internalPolicyLocal ? local : ready;
  const external = sp.externalPolicyLocal ? local : ready;
  const hasExternal = sp.nodePort !== undefined || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
  const svc = svcChain(sp);
  const svl = svlChain(sp);
  const ext = extChain(sp);
  const internalChain = sp.internalPolicyLocal ? svl : svc;
  // SVC serves cluster-wide traffic (and the external traffic of pods and the node itself);
  // SVL serves the Local policies.
  const usesCluster = ready.length > 0 && (!sp.internalPolicyLocal || (hasExternal && external.length > 0));
  const usesLocal = local.length > 0 && (sp.internalPolicyLocal || sp.externalPolicyLocal);
  const p = proto(sp);
  const cip = sp.clusterIPs[0];

  if (cip) {
    if (internal.length) {
      r.natServices.push(`-A ${CHAIN.natServices} ${comment(`${sp.name} cluster IP`)} ${p} -d ${cip}/32 --dport ${sp.port} -j ${internalChain}`);
    } else {
      const why = ready.length ? 'has no local endpoints' : 'has no endpoints';
      r.filterServices.push(`-A ${CHAIN.filterServices} ${comment(`${sp.name} ${why}`)} ${p} -d ${cip}/32 --dport ${sp.port} -j REJECT --reject-with icmp-port-unreachable`);
    }
  }

  if (hasExternal) {
    const dests = [...sp.externalIPs.map((ip) => [ip, 'external IP']), ...sp.loadBalancerIPs.map((ip) => [ip, 'loadbalancer IP'])] as [string, string][];
    if (external.length) {
      for (const [ip, what] of dests) r.natServices.push(`-A ${CHAIN.natServices} ${comment(`${sp.name} ${what}`)} ${p} -d ${ip}/32 --dport ${sp.port} -j ${ext}`);
      if (sp.nodePort !== undefined) r.natNodePorts.push(`-A ${CHAIN.natNodePorts} ${comment(sp.name)} ${p} --dport ${sp.nodePort} -j ${ext}`);
      const lines: string[] = [];
      if (sp.externalPolicyLocal) {
        // Pods and the node itself may use any endpoint; other callers keep their source IP
        // and reach only this node's endpoints.
        if (ready.length) {
          lines.push(`-A ${ext} ${comment(`pod traffic for ${sp.name} external destinations`)} -s ${cfg.clusterCIDR} -j ${svc}`);
          lines.push(`-A ${ext} ${comment(`masquerade LOCAL traffic for ${sp.name} external destinations`)} -m addrtype --src-type LOCAL -j ${CHAIN.markMasq}`);
          lines.push(`-A ${ext} ${comment(`route LOCAL traffic for ${sp.name} external destinations`)} -m addrtype --src-type LOCAL -j ${svc}`);
        }
        lines.push(`-A ${ext} -j ${svl}`);
      } else {
        lines.push(`-A ${ext} ${comment(`masquerade traffic for ${sp.name} external destinations`)} -j ${CHAIN.markMasq}`);
        lines.push(`-A ${ext} -j ${svc}`);
      }
      r.natChains.set(ext, lines);
    } else {
      const [verdict, why] = ready.length ? ['DROP', 'has no local endpoints'] : ['REJECT --reject-with icmp-port-unreachable', 'has no endpoints'];
      for (const [ip] of dests) r.filterExternal.push(`-A ${CHAIN.externalServices} ${comment(`${sp.name} ${why}`)} ${p} -d ${ip}/32 --dport ${sp.port} -j ${verdict}`);
      if (sp.nodePort !== undefined) {
        r.filterExternal.push(`-A ${CHAIN.externalServices} ${comment(`${sp.name} ${why}`)} -m addrtype --dst-type LOCAL ${p} --dport ${sp.nodePort} -j ${verdict}`);
      }
    }
  }

  const masqOffCluster = cip ? `${comment(`${sp.name} cluster IP`)} ${p} -d ${cip}/32 --dport ${sp.port} ! -s ${cfg.clusterCIDR} -j ${CHAIN.markMasq}` : undefined;
  if (usesCluster) r.natChains.set(svc, balance(svc, sp, ready, sp.internalPolicyLocal ? undefined : masqOffCluster, r));
  if (usesLocal) r.natChains.set(svl, balance(svl, sp, local, sp.internalPolicyLocal ? masqOffCluster : undefined, r));
}

/** A chain spreading new connections at random over endpoints (upstream's probability chain), and their SEP chains. */
function balance(chain: string, sp: ServicePort, eps: Endpoint[], masq: string | undefined, r: ServiceRules): string[] {
  const lines: string[] = [];
  if (masq) lines.push(`-A ${chain} ${masq}`);
  const seps = eps.map((ep) => sepChain(sp, ep));
  if (sp.sessionAffinitySeconds !== undefined) {
    for (const sep of seps) {
      lines.push(`-A ${chain} ${comment(`${sp.name} -> ${sep}`)} -m recent --name ${sep} --rcheck --seconds ${sp.sessionAffinitySeconds} --reap --mask 255.255.255.255 --rsource -j ${sep}`);
    }
  }
  eps.forEach((ep, i) => {
    const left = eps.length - i;
    const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
    lines.push(`-A ${chain} ${comment(`${sp.name} -> ${ep.ip}:${ep.port}`)}${pick} -j ${seps[i]}`);
    if (!r.natChains.has(seps[i]!)) r.natChains.set(seps[i]!, sepRules(seps[i]!, sp, ep));
  });
  return lines;
}

function sepRules(sep: string, sp: ServicePort, ep: Endpoint): string[] {
  const affinity = sp.sessionAffinitySeconds !== undefined ? ` -m recent --name ${sep} --set --mask 255.255.255.255 --rsource` : '';
  return [
    // Hairpin: a pod reaching itself through its Service must get the reply through the node.
    `-A ${sep} ${comment(sp.name)} -s ${ep.ip}/32 -j ${CHAIN.markMasq}`,
    `-A ${sep} ${comment(sp.name)}${affinity} ${proto(sp)} -j DNAT --to-destination ${ep.ip}:${ep.port}`,
  ];
}

/** The top-level chains, from every service's contributions (in the order given). */
export function topChains(services: Iterable<ServiceRules>, cfg: RulesConfig): { nat: Map<string, string[]>; filter: Map<string, string[]> } {
  const natServices: string[] = [];
  const natNodePorts: string[] = [];
  const filterServices: string[] = [];
  const filterExternal: string[] = [];
  for (const s of services) {
    for (const l of s.natServices) natServices.push(l);
    for (const l of s.natNodePorts) natNodePorts.push(l);
    for (const l of s.filterServices) filterServices.push(l);
    for (const l of s.filterExternal) filterExternal.push(l);
  }
  natServices.push(`-A ${CHAIN.natServices} ${comment('skiff service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL -j ${CHAIN.natNodePorts}`);
  filterServices.push(`-A ${CHAIN.filterServices} ${comment('cluster IP that no service holds')} -d ${cfg.serviceCIDR} -j REJECT --reject-with icmp-port-unreachable`);
  const mark = cfg.masqueradeMark;
  return {
    nat: new Map([
      [CHAIN.natServices, natServices],
      [CHAIN.natNodePorts, natNodePorts],
      [
        CHAIN.postrouting,
        [
          `-A ${CHAIN.postrouting} -m mark ! --mark ${mark}/${mark} -j RETURN`,
          `-A ${CHAIN.postrouting} -j MARK --xor-mark ${mark}`,
          `-A ${CHAIN.postrouting} ${comment('skiff service traffic requiring SNAT')} -j MASQUERADE --random-fully`,
        ],
      ],
      [CHAIN.markMasq, [`-A ${CHAIN.markMasq} -j MARK --or-mark ${mark}`]],
    ]),
    filter: new Map([
      [CHAIN.filterServices, filterServices],
      [CHAIN.externalServices, filterExternal],
      [
        CHAIN.forward,
        [
          `-A ${CHAIN.forward} ${comment('skiff forwarding rules')} -m mark --mark ${mark}/${mark} -j ACCEPT`,
          `-A ${CHAIN.forward} ${comment('skiff forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
        ],
      ],
      [
        CHAIN.firewall,
        [
          // route_localnet lets NodePorts answer on 127.0.0.1; this keeps other hosts from
          // reaching 127.0.0.0/8 through it (CVE-2020-8558's mitigation).
          `-A ${CHAIN.firewall} ${comment('block incoming localnet connections')} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
        ],
      ],
    ]),
  };
}
