// The names of Kubernetes' DNS schema (github.com/kubernetes/dns docs/specification.md), parsed
// as CoreDNS's kubernetes plugin parses them (parse.go), and the address forms it uses:
// dashed IPs for pods and endpoints without a hostname, reverse names for PTR queries.
import { isIP } from 'node:net';

/** The parts of a name below the cluster domain: [_port._proto. | endpoint.]service.namespace.(svc|pod) */
export interface RecordRequest {
  /** SRV port name without its underscore; '' matches every port. */
  port: string;
  /** SRV protocol without its underscore; '' matches every protocol. */
  protocol: string;
  /** An endpoint's hostname (or dashed IP); '' when the name is the service's own. */
  endpoint: string;
  service: string;
  namespace: string;
  /** '' for the zone apex and the bare `svc` / `pod` names, which exist and hold no records. */
  podOrSvc: '' | 'svc' | 'pod';
}

/**
 * `base` is the lowercase query name with the cluster domain removed ('' for the apex).
 * Undefined means the name cannot exist in the schema (NXDOMAIN), as CoreDNS's
 * errInvalidRequest: a search-path expansion such as `a.b.svc.cluster.local.b.svc.cluster.local`
 * lands here because its last label below the domain is not `svc` or `pod`.
 */
export function parseRequest(base: string): RecordRequest | undefined {
  const r: RecordRequest = { port: '', protocol: '', endpoint: '', service: '', namespace: '', podOrSvc: '' };
  if (base === '' || base === 'svc' || base === 'pod') return r;
  const segs = base.split('.');
  let last = segs.length - 1;
  const kind = segs[last]!;
  if (kind !== 'svc' && kind !== 'pod') return undefined;
  r.podOrSvc = kind;
  if (--last < 0) return r;
  r.namespace = segs[last]!;
  if (--last < 0) return r;
  r.service = segs[last]!;
  if (--last < 0) return r;
  if (last === 0) r.endpoint = segs[0]!;
  else if (last === 1) {
    r.protocol = stripUnderscore(segs[1]!);
    r.port = stripUnderscore(segs[0]!);
  } else return undefined; // too many labels to mean anything
  return r;
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

/** The zone of `name` among `zones` (longest match), or undefined when it is in none of them. */
export function matchZone(name: string, zones: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const z of zones) {
    if ((name === z || name.endsWith(`.${z}`)) && (best === undefined || z.length > best.length)) best = z;
  }
  return best;
}

/** Lowercase, without the trailing dot: the form every index key uses. */
export function canonicalName(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n.toLowerCase();
}

/** The name CoreDNS gives an endpoint: its hostname, else its IP with dashes. */
export function endpointHostname(hostname: string | undefined, ip: string): string {
  if (hostname) return hostname.toLowerCase();
  return dashedIP(ip);
}

export function dashedIP(ip: string): string {
  return ip.includes('.') ? ip.replaceAll('.', '-') : ip.replaceAll(':', '-');
}

/** `10-244-0-5` → `10.244.0.5`, `fd00--1` → `fd00::1`; undefined when it is not an address. */
export function ipFromDashed(label: string): string | undefined {
  const dashes = label.split('-').length - 1;
  const ip = dashes === 3 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  const family = isIP(ip);
  if (family === 0) return undefined;
  return family === 6 ? canonicalIPv6(ip) : ip;
}

/** The address a reverse name stands for (`5.0.244.10.in-addr.arpa` → `10.244.0.5`), if complete. */
export function addressFromReverse(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const octets = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (octets.length !== 4 || !octets.every((o) => /^(0|[1-9]\d{0,2})$/.test(o) && Number(o) <= 255)) return undefined;
    return octets.reverse().join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4));
    return canonicalIPv6(groups.join(':'));
  }
  return undefined;
}

/** RFC 5952 text of an IPv6 address (lowercase, no leading zeros, longest zero run as ::). */
export function canonicalIPv6(ip: string): string {
  if (ip.includes('.')) return ip.toLowerCase(); // IPv4-mapped: left as written
  const [head, tail] = ip.toLowerCase().split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const words = groups.map((g) => parseInt(g, 16).toString(16));
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  if (bestAt < 0) return words.join(':');
  return `${words.slice(0, bestAt).join(':')}::${words.slice(bestAt + bestLen).join(':')}`;
}

/** An address as the index stores it: IPv6 canonical, IPv4 as is; undefined when not an IP. */
export function canonicalIP(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family === 6) return canonicalIPv6(ip);
  return undefined;
}
