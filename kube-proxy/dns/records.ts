// Answers for one question, from the ClusterIndex alone: what CoreDNS's kubernetes plugin
// (with kubeadm's `pods insecure` and `fallthrough in-addr.arpa ip6.arpa`) answers. Pure:
// no I/O, so every rule is a unit test. Owner names keep the question's case.
import { isIP } from 'node:net';
import type { Answer } from 'dns-packet';
import { published, type ClusterIndex } from './index.js';
import { addressFromReverse, canonicalName, ipFromDashed, matchZone, parseRequest, type RecordRequest } from './names.js';

export interface ZoneConfig {
  /** The cluster domain, lowercase, without dots at either end: `cluster.local`. */
  domain: string;
  ttl: number;
  /** Addresses this server is reached at: what NS answers name when no Service points here. */
  localIPs: string[];
  /** The port this server answers on, once bound: NS names only endpoints that serve it. */
  localPort?: number;
}

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL';

export type LookupResult =
  /** Not ours: forward it (or fail fast without an upstream). */
  | { kind: 'outside' }
  | {
      kind: 'answer';
      rcode: Rcode;
      zone: string;
      answers: Answer[];
      authorities: Answer[];
      additionals: Answer[];
      /** An ExternalName's target outside the domain, which an upstream may resolve further. */
      chase?: string;
    };

export const OUTSIDE: LookupResult = { kind: 'outside' };
const REVERSE_ZONES = ['in-addr.arpa', 'ip6.arpa'];
/** The schema version CoreDNS serves at dns-version.<zone> TXT. */
const DNS_SCHEMA_VERSION = '1.1.0';

/** What a name stands for before it becomes records (CoreDNS's msg.Service). */
interface Entry {
  host: string;
  family: 'A' | 'AAAA' | 'CNAME';
  port: number;
  /** The name of the host itself: the SRV target and the owner of the additional A record. */
  target: string;
}

type Found = Entry[] | 'nxdomain';

interface Ctx {
  idx: ClusterIndex;
  cfg: ZoneConfig;
  chase?: string;
}

const familyOf = (ip: string): 'A' | 'AAAA' => (ip.includes(':') ? 'AAAA' : 'A');

export function lookup(idx: ClusterIndex, cfg: ZoneConfig, qname: string, qtype: string): LookupResult {
  const q = qname.endsWith('.') ? qname.slice(0, -1) : qname;
  const name = q.toLowerCase();
  const zone = cfg.domain;
  if (name === zone || name.endsWith(`.${zone}`)) return clusterLookup({ idx, cfg }, q, name, qtype);
  const reverseZone = matchZone(name, REVERSE_ZONES);
  if (reverseZone && qtype === 'PTR') {
    const ip = addressFromReverse(name);
    const answers = ip ? ptrRecords(idx, cfg, ip, q) : [];
    if (answers.length > 0) return { kind: 'answer', rcode: 'NOERROR', zone: reverseZone, answers, authorities: [], additionals: [] };
  }
  // Anything else in the reverse zones falls through to the upstream, as kubeadm's Corefile.
  return OUTSIDE;
}

function clusterLookup(ctx: Ctx, q: string, name: string, qtype: string): LookupResult {
  const { cfg } = ctx;
  const base = name === cfg.domain ? '' : name.slice(0, -cfg.domain.length - 1);
  let result: Answer[] | 'nxdomain';
  let additionals: Answer[] = [];
  switch (qtype) {
    case 'A':
    case 'AAAA':
      result = addressRecords(ctx, name, q, qtype, 0);
      break;
    case 'SRV': {
      const srv = srvRecords(ctx, base, q);
      if (srv !== 'nxdomain') additionals = srv.extras;
      result = srv === 'nxdomain' ? srv : srv.answers;
      break;
    }
    case 'TXT':
      result = base === 'dns-version' ? [{ type: 'TXT', name: q, ttl: 28800, data: DNS_SCHEMA_VERSION }] : noRecords(ctx, base);
      break;
    case 'CNAME': {
      const found = entries(ctx, base);
      result = found === 'nxdomain' ? found : found.filter((e) => e.family === 'CNAME').slice(0, 1).map((e) => ({ type: 'CNAME', name: q, ttl: cfg.ttl, data: e.host }));
      break;
    }
    case 'SOA':
      result = base === '' ? [soa(ctx, q)] : noRecords(ctx, base);
      break;
    case 'NS':
      if (base === '') {
        const ns = nsRecords(ctx, q);
        result = ns.answers;
        additionals = ns.extras;
      } else result = noRecords(ctx, base);
      break;
    default:
      // CoreDNS's "fake A lookup": tells NODATA from NXDOMAIN for types it has no records of.
      result = noRecords(ctx, base);
  }
  const zone = q.slice(q.length - cfg.domain.length);
  if (result === 'nxdomain') {
    // Before the caches have listed, a missing name may exist: say so instead of denying it.
    return { kind: 'answer', rcode: ctx.idx.synced ? 'NXDOMAIN' : 'SERVFAIL', zone, answers: [], authorities: [soa(ctx, zone)], additionals: [] };
  }
  if (result.length === 0) return { kind: 'answer', rcode: 'NOERROR', zone, answers: [], authorities: [soa(ctx, zone)], additionals: [] };
  return { kind: 'answer', rcode: 'NOERROR', zone, answers: result, authorities: [], additionals, chase: ctx.chase };
}

function noRecords(ctx: Ctx, base: string): [] | 'nxdomain' {
  return entries(ctx, base) === 'nxdomain' ? 'nxdomain' : [];
}

function soa(ctx: Ctx, zone: string): Answer {
  const { ttl, domain } = ctx.cfg;
  return {
    type: 'SOA',
    name: zone,
    ttl: Math.min(ttl, 300),
    data: { mname: `ns.dns.${domain}`, rname: `hostmaster.${domain}`, serial: ctx.idx.serial, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
}

/** A or AAAA records for `name`, following CNAMEs inside the domain (at most 8 deep). */
function addressRecords(ctx: Ctx, name: string, owner: string, family: 'A' | 'AAAA', depth: number): Answer[] | 'nxdomain' {
  const { cfg } = ctx;
  const found = entries(ctx, name === cfg.domain ? '' : name.slice(0, -cfg.domain.length - 1));
  if (found === 'nxdomain') return found;
  const records: Answer[] = [];
  const seen = new Set<string>();
  for (const e of found) {
    if (e.family === 'CNAME') {
      const target = canonicalName(e.host);
      if (target === name || depth > 7) continue; // x CNAME x, or a chain too long
      const cname: Answer = { type: 'CNAME', name: owner, ttl: cfg.ttl, data: e.host };
      if (target === cfg.domain || target.endsWith(`.${cfg.domain}`)) {
        const next = addressRecords(ctx, target, e.host, family, depth + 1);
        if (next !== 'nxdomain' && next.length > 0) records.push(cname, ...next);
      } else {
        records.push(cname);
        ctx.chase = e.host;
      }
    } else if (e.family === family && !seen.has(e.host)) {
      seen.add(e.host);
      records.push({ type: family, name: owner, ttl: cfg.ttl, data: e.host });
    }
  }
  return records;
}

/** SRV records with their targets' addresses as extras; the weight of 100 shared as CoreDNS does. */
function srvRecords(ctx: Ctx, base: string, owner: string): { answers: Answer[]; extras: Answer[] } | 'nxdomain' {
  const found = entries(ctx, base);
  if (found === 'nxdomain') return found;
  const list = found.filter((e) => e.family !== 'CNAME'); // no SRV for ExternalName services
  const weight = Math.max(1, Math.floor((100 / (100 * list.length)) * 100));
  const answers: Answer[] = [];
  const extras: Answer[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    if (e.port === -1) continue;
    const srvKey = `${e.target} ${e.port}`;
    if (!seen.has(srvKey)) {
      seen.add(srvKey);
      answers.push({ type: 'SRV', name: owner, ttl: ctx.cfg.ttl, data: { priority: 0, weight, port: e.port, target: e.target } });
    }
    const addrKey = `${e.target} @${e.host}`;
    if (!seen.has(addrKey)) {
      seen.add(addrKey);
      extras.push({ type: e.family as 'A' | 'AAAA', name: e.target, ttl: ctx.cfg.ttl, data: e.host });
    }
  }
  return { answers, extras };
}

function nsRecords(ctx: Ctx, owner: string): { answers: Answer[]; extras: Answer[] } {
  const answers: Answer[] = [];
  const extras: Answer[] = [];
  const seen = new Set<string>();
  for (const a of nsAddresses(ctx)) {
    if (!seen.has(a.name)) {
      seen.add(a.name);
      answers.push({ type: 'NS', name: owner, ttl: ctx.cfg.ttl, data: a.name });
    }
    extras.push({ type: familyOf(a.ip), name: a.name, ttl: ctx.cfg.ttl, data: a.ip });
  }
  return { answers, extras };
}

/** The names this server answers as: the Services whose Endpoints hold its address, else ns.dns.<zone>. */
function nsAddresses(ctx: Ctx): { name: string; ip: string }[] {
  const { idx, cfg } = ctx;
  const out: { name: string; ip: string }[] = [];
  for (const local of cfg.localIPs) {
    for (const ep of idx.endpointsWithIP(local)) {
      const svc = idx.service(`${ep.namespace}/${ep.name}`);
      const servesDns = cfg.localPort === undefined || ep.addresses.some((a) => a.ip === local && a.ports.some((p) => p.port === cfg.localPort));
      if (!svc || !servesDns) continue;
      const svcName = `${svc.name}.${svc.namespace}.svc.${cfg.domain}`;
      if (svc.kind !== 'Headless') for (const ip of svc.clusterIPs) out.push({ name: svcName, ip });
      else for (const a of ep.addresses) if (published(a, svc)) out.push({ name: `${a.hostname}.${svcName}`, ip: a.ip });
    }
  }
  if (out.length === 0) for (const ip of cfg.localIPs) out.push({ name: `ns.dns.${cfg.domain}`, ip });
  return out;
}

/** What `base` (the name below the domain) stands for; 'nxdomain' when it does not exist. */
function entries(ctx: Ctx, base: string): Found {
  if (base === 'ns.dns') return nsAddresses(ctx).map((a) => ({ host: a.ip, family: familyOf(a.ip), port: -1, target: a.name }));
  const r = parseRequest(base);
  if (!r) return 'nxdomain';
  if (r.podOrSvc === '') return [];
  if (!ctx.idx.hasNamespace(r.namespace)) return 'nxdomain';
  if (r.service === '') return []; // `ns.svc.<zone>` of an existing namespace: NODATA
  return r.podOrSvc === 'pod' ? podEntries(ctx, r) : serviceEntries(ctx, r);
}

/** `pods insecure`: any dashed address in an existing namespace is that address. */
function podEntries(ctx: Ctx, r: RecordRequest): Found {
  const ip = ipFromDashed(r.service);
  if (!ip) return 'nxdomain';
  return [{ host: ip, family: familyOf(ip), port: 0, target: `${r.service}.${r.namespace}.pod.${ctx.cfg.domain}` }];
}

const matches = (want: string, have: string) => want === '' || want === have;

function serviceEntries(ctx: Ctx, r: RecordRequest): Found {
  const { idx, cfg } = ctx;
  const key = `${r.namespace}/${r.service}`;
  const svc = idx.service(key);
  if (!svc) return 'nxdomain';
  const svcName = `${svc.name}.${svc.namespace}.svc.${cfg.domain}`;
  const out: Entry[] = [];
  if (svc.kind === 'ExternalName') {
    // An address is no CNAME target; CoreDNS answers nothing for it.
    if (r.endpoint !== '' || svc.externalName === '' || isIP(svc.externalName) !== 0) return 'nxdomain';
    return [{ host: svc.externalName, family: 'CNAME', port: -1, target: svcName }];
  }
  let matched = false;
  if (svc.kind === 'Headless' || r.endpoint !== '') {
    for (const a of idx.endpointsOf(key)?.addresses ?? []) {
      if (!published(a, svc) || (r.endpoint !== '' && r.endpoint !== a.hostname)) continue;
      for (const p of a.ports) {
        if (!matches(r.port, p.name) || !matches(r.protocol, p.protocol)) continue;
        matched = true;
        out.push({ host: a.ip, family: familyOf(a.ip), port: p.port, target: `${a.hostname}.${svcName}` });
      }
    }
  } else {
    for (const p of svc.ports) {
      if (!matches(r.port, p.name) || !matches(r.protocol, p.protocol)) continue;
      matched = true;
      for (const ip of svc.clusterIPs) out.push({ host: ip, family: familyOf(ip), port: p.port, target: svcName });
    }
  }
  return matched ? out : 'nxdomain';
}

/** PTR for a ClusterIP (the Service's name), else for endpoint addresses (their names). */
function ptrRecords(idx: ClusterIndex, cfg: ZoneConfig, ip: string, owner: string): Answer[] {
  const svc = idx.servicesWithIP(ip)[0];
  if (svc) return [{ type: 'PTR', name: owner, ttl: cfg.ttl, data: `${svc.name}.${svc.namespace}.svc.${cfg.domain}` }];
  const out: Answer[] = [];
  const seen = new Set<string>();
  for (const ep of idx.endpointsWithIP(ip)) {
    const service = idx.service(`${ep.namespace}/${ep.name}`);
    for (const a of ep.addresses) {
      if (a.ip !== ip || !published(a, service)) continue;
      const host = `${a.hostname}.${ep.name}.${ep.namespace}.svc.${cfg.domain}`;
      if (seen.has(host)) continue;
      seen.add(host);
      out.push({ type: 'PTR', name: owner, ttl: cfg.ttl, data: host });
    }
  }
  return out;
}
