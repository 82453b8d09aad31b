// The record lookup from in-memory objects: every rule of Kubernetes' DNS schema as CoreDNS's
// kubernetes plugin (kubeadm's Corefile) answers it, positive and negative.
import type { Answer } from 'dns-packet';
import { beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/types.js';
import { ClusterIndex } from './index.js';
import { lookup, type LookupResult, type ZoneConfig } from './records.js';

const CFG: ZoneConfig = { domain: 'cluster.local', ttl: 30, localIPs: ['192.0.2.53'] };
let idx: ClusterIndex;

const svc = (ns: string, name: string, spec: Record<string, unknown>): KubeObject => ({ metadata: { namespace: ns, name }, spec });
const eps = (ns: string, name: string, subsets: unknown[]): KubeObject => ({ metadata: { namespace: ns, name }, subsets });
const put = (o: KubeObject, kind: 'svc' | 'ep') => (kind === 'svc' ? idx.syncService(`${o.metadata.namespace}/${o.metadata.name}`, o) : idx.syncEndpoints(`${o.metadata.namespace}/${o.metadata.name}`, o));

function answer(r: LookupResult) {
  if (r.kind !== 'answer') throw new Error('expected an answer, got a name outside the cluster');
  return r;
}
const q = (name: string, type = 'A') => answer(lookup(idx, CFG, name, type));
const dataOf = (a: Answer) => (a as { data?: unknown }).data;
const data = (list: Answer[]) => list.map(dataOf);

beforeEach(() => {
  idx = new ClusterIndex(() => 1_700_000_000_000);
  idx.synced = true;
  for (const ns of ['default', 'prod', 'kube-system']) idx.syncNamespace(ns, { metadata: { name: ns } });
  put(svc('default', 'web', { type: 'ClusterIP', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'HTTP', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }), 'svc');
  put(eps('default', 'web', [{ addresses: [{ ip: '10.244.0.7' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]), 'ep');
  put(svc('prod', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }), 'svc');
  put(
    eps('prod', 'db', [
      {
        addresses: [{ ip: '10.244.1.10', hostname: 'db-0' }, { ip: '10.244.1.11', hostname: 'db-1' }, { ip: '10.244.2.5' }],
        notReadyAddresses: [{ ip: '10.244.1.12', hostname: 'db-2' }],
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      },
    ]),
    'ep',
  );
  put(svc('prod', 'search', { type: 'ExternalName', externalName: 'search.example.com' }), 'svc');
});

describe('Services', () => {
  it('answers a ClusterIP Service with its ClusterIP, authoritative, in the question\'s case', () => {
    const r = q('Web.Default.SVC.cluster.LOCAL');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([{ type: 'A', name: 'Web.Default.SVC.cluster.LOCAL', ttl: 30, data: '10.96.0.20' }]);
    expect(q('web.default.svc.cluster.local.').answers).toHaveLength(1);
  });

  it('answers a headless Service with its ready addresses, and the not-ready ones only with publishNotReadyAddresses', () => {
    expect(data(q('db.prod.svc.cluster.local').answers).sort()).toEqual(['10.244.1.10', '10.244.1.11', '10.244.2.5']);
    put(svc('prod', 'db', { clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'pg', port: 5432 }] }), 'svc');
    expect(data(q('db.prod.svc.cluster.local').answers).sort()).toEqual(['10.244.1.10', '10.244.1.11', '10.244.1.12', '10.244.2.5']);
  });

  it('denies a headless Service without ready endpoints (NXDOMAIN), as CoreDNS', () => {
    put(svc('prod', 'empty', { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] }), 'svc');
    expect(q('empty.prod.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('answers an ExternalName Service with a CNAME, for A and CNAME questions, and marks it for chasing', () => {
    const a = q('search.prod.svc.cluster.local');
    expect(a.answers).toEqual([{ type: 'CNAME', name: 'search.prod.svc.cluster.local', ttl: 30, data: 'search.example.com' }]);
    expect(a.chase).toBe('search.example.com');
    expect(q('search.prod.svc.cluster.local', 'CNAME').answers).toEqual(a.answers);
    expect(q('search.prod.svc.cluster.local', 'SRV')).toMatchObject({ rcode: 'NOERROR', answers: [] });
  });

  it('follows an ExternalName pointing inside the cluster domain to the addresses', () => {
    put(svc('prod', 'alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }), 'svc');
    const r = q('alias.prod.svc.cluster.local');
    expect(r.answers.map((a) => [a.type, a.name, dataOf(a)])).toEqual([
      ['CNAME', 'alias.prod.svc.cluster.local', 'web.default.svc.cluster.local'],
      ['A', 'web.default.svc.cluster.local', '10.96.0.20'],
    ]);
    expect(r.chase).toBeUndefined();
  });

  it('answers AAAA from IPv6 ClusterIPs of a dual-stack Service', () => {
    put(svc('default', 'dual', { clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30', 'fd00:10:96::1e'], ports: [{ name: 'http', port: 80 }] }), 'svc');
    expect(data(q('dual.default.svc.cluster.local', 'AAAA').answers)).toEqual(['fd00:10:96::1e']);
    expect(data(q('dual.default.svc.cluster.local', 'A').answers)).toEqual(['10.96.0.30']);
  });
});

describe('SRV', () => {
  it('answers _port._proto of a ClusterIP Service: priority 0, weight 100, the port, the Service as target, its A as extra', () => {
    const r = q('_http._tcp.web.default.svc.cluster.local', 'SRV');
    expect(r.answers).toEqual([{ type: 'SRV', name: '_http._tcp.web.default.svc.cluster.local', ttl: 30, data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } }]);
    expect(r.additionals).toEqual([{ type: 'A', name: 'web.default.svc.cluster.local', ttl: 30, data: '10.96.0.20' }]);
    expect(q('_HTTP._TCP.web.default.svc.cluster.local', 'SRV').answers).toHaveLength(1);
    expect(q('_dns._udp.web.default.svc.cluster.local', 'SRV').answers.map((a) => (dataOf(a) as { port: number }).port)).toEqual([53]);
  });

  it('denies a port or protocol the Service does not have', () => {
    expect(q('_http._udp.web.default.svc.cluster.local', 'SRV').rcode).toBe('NXDOMAIN');
    expect(q('_grpc._tcp.web.default.svc.cluster.local', 'SRV').rcode).toBe('NXDOMAIN');
  });

  it('lists every port for the bare Service name, sharing the weight as CoreDNS does', () => {
    const r = q('web.default.svc.cluster.local', 'SRV');
    expect(data(r.answers)).toEqual([
      { priority: 0, weight: 50, port: 80, target: 'web.default.svc.cluster.local' },
      { priority: 0, weight: 50, port: 53, target: 'web.default.svc.cluster.local' },
    ]);
  });

  it('answers a headless Service with one SRV per ready endpoint, named by hostname or dashed IP, addresses as extras', () => {
    const r = q('_pg._tcp.db.prod.svc.cluster.local', 'SRV');
    expect(data(r.answers)).toEqual([
      { priority: 0, weight: 33, port: 5432, target: 'db-0.db.prod.svc.cluster.local' },
      { priority: 0, weight: 33, port: 5432, target: 'db-1.db.prod.svc.cluster.local' },
      { priority: 0, weight: 33, port: 5432, target: '10-244-2-5.db.prod.svc.cluster.local' },
    ]);
    expect(r.additionals.map((a) => [a.name, dataOf(a)])).toEqual([
      ['db-0.db.prod.svc.cluster.local', '10.244.1.10'],
      ['db-1.db.prod.svc.cluster.local', '10.244.1.11'],
      ['10-244-2-5.db.prod.svc.cluster.local', '10.244.2.5'],
    ]);
  });
});

describe('endpoints and pods', () => {
  it('answers an endpoint hostname (StatefulSet pods) and the dashed-IP name of an endpoint without one', () => {
    expect(data(q('db-1.db.prod.svc.cluster.local').answers)).toEqual(['10.244.1.11']);
    expect(data(q('10-244-2-5.db.prod.svc.cluster.local').answers)).toEqual(['10.244.2.5']);
    expect(data(q('10-244-0-7.web.default.svc.cluster.local').answers)).toEqual(['10.244.0.7']);
    expect(q('db-2.db.prod.svc.cluster.local').rcode).toBe('NXDOMAIN'); // not ready
    expect(q('db-9.db.prod.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('answers a-b-c-d.ns.pod.<zone> with a.b.c.d in an existing namespace (pods insecure)', () => {
    expect(q('10-244-3-4.default.pod.cluster.local').answers).toEqual([{ type: 'A', name: '10-244-3-4.default.pod.cluster.local', ttl: 30, data: '10.244.3.4' }]);
    expect(data(q('fd00--5.default.pod.cluster.local', 'AAAA').answers)).toEqual(['fd00::5']);
    expect(q('10-244-3-4.default.pod.cluster.local', 'AAAA')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(q('not-an-ip.default.pod.cluster.local').rcode).toBe('NXDOMAIN');
    expect(q('10-244-3-4.nosuchns.pod.cluster.local').rcode).toBe('NXDOMAIN');
  });
});

describe('PTR', () => {
  it('names a ClusterIP by its Service and an endpoint IP by its endpoint name', () => {
    expect(data(q('20.0.96.10.in-addr.arpa', 'PTR').answers)).toEqual(['web.default.svc.cluster.local']);
    expect(data(q('10.1.244.10.in-addr.arpa', 'PTR').answers)).toEqual(['db-0.db.prod.svc.cluster.local']);
    expect(data(q('5.2.244.10.in-addr.arpa', 'PTR').answers)).toEqual(['10-244-2-5.db.prod.svc.cluster.local']);
    expect(q('20.0.96.10.IN-ADDR.ARPA', 'PTR').rcode).toBe('NOERROR');
  });

  it('names an IPv6 ClusterIP from its ip6.arpa name', () => {
    put(svc('default', 'v6', { clusterIP: 'fd00:10:96::1e', ports: [{ name: 'http', port: 80 }] }), 'svc');
    const rev = 'e.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa';
    expect(data(q(rev, 'PTR').answers)).toEqual(['v6.default.svc.cluster.local']);
  });

  it('leaves unknown addresses and other types in the reverse zones to the upstream (fallthrough)', () => {
    expect(lookup(idx, CFG, '99.99.96.10.in-addr.arpa', 'PTR')).toEqual({ kind: 'outside' });
    expect(lookup(idx, CFG, '12.1.244.10.in-addr.arpa', 'PTR')).toEqual({ kind: 'outside' }); // not ready
    expect(lookup(idx, CFG, '20.0.96.10.in-addr.arpa', 'A')).toEqual({ kind: 'outside' });
  });
});

describe('negative answers and the zone itself', () => {
  it('denies a missing name with NXDOMAIN and the SOA of the zone', () => {
    const r = q('nope.default.svc.cluster.local');
    expect(r.rcode).toBe('NXDOMAIN');
    expect(r.answers).toEqual([]);
    expect(r.authorities).toEqual([
      { type: 'SOA', name: 'cluster.local', ttl: 30, data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1_700_000_000, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 } },
    ]);
  });

  it('answers NODATA (NOERROR, no answers, SOA) for a type a name does not have', () => {
    for (const type of ['AAAA', 'MX', 'TXT', 'PTR', 'ANY']) {
      const r = q('web.default.svc.cluster.local', type);
      expect([type, r.rcode, r.answers, r.authorities.map((a) => a.type)]).toEqual([type, 'NOERROR', [], ['SOA']]);
    }
  });

  it('answers NODATA for an existing namespace, the apex, svc and pod; NXDOMAIN for a missing namespace', () => {
    for (const name of ['prod.svc.cluster.local', 'default.pod.cluster.local', 'cluster.local', 'svc.cluster.local', 'pod.cluster.local']) {
      expect([name, q(name).rcode, q(name).answers]).toEqual([name, 'NOERROR', []]);
    }
    expect(q('nosuchns.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(q('web.nosuchns.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('denies search-path expansions and names that are not in the schema', () => {
    expect(q('web.default.svc.cluster.local.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(q('web.default.cluster.local').rcode).toBe('NXDOMAIN');
    expect(q('a.b.c.web.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('answers SOA and NS at the apex, dns-version TXT, and leaves other domains alone', () => {
    expect(q('cluster.local', 'SOA').answers.map((a) => a.type)).toEqual(['SOA']);
    const ns = q('cluster.local', 'NS');
    expect(ns.answers).toEqual([{ type: 'NS', name: 'cluster.local', ttl: 30, data: 'ns.dns.cluster.local' }]);
    expect(ns.additionals).toEqual([{ type: 'A', name: 'ns.dns.cluster.local', ttl: 30, data: '192.0.2.53' }]);
    expect(q('dns-version.cluster.local', 'TXT').answers).toEqual([{ type: 'TXT', name: 'dns-version.cluster.local', ttl: 28800, data: '1.1.0' }]);
    expect(lookup(idx, CFG, 'example.com', 'A')).toEqual({ kind: 'outside' });
    expect(lookup(idx, CFG, 'notcluster.local', 'A')).toEqual({ kind: 'outside' });
  });

  it('names the kube-dns Service as NS once its Endpoints hold this server\'s address', () => {
    put(svc('kube-system', 'kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }), 'svc');
    put(eps('kube-system', 'kube-dns', [{ addresses: [{ ip: '192.0.2.53' }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }]), 'ep');
    // Another Service whose endpoint shares the address but not the DNS port is not a nameserver.
    put(svc('default', 'other', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] }), 'svc');
    put(eps('default', 'other', [{ addresses: [{ ip: '192.0.2.53' }], ports: [{ name: 'https', port: 6443 }] }]), 'ep');
    const ns = answer(lookup(idx, { ...CFG, localPort: 53 }, 'cluster.local', 'NS'));
    expect(data(ns.answers)).toEqual(['kube-dns.kube-system.svc.cluster.local']);
    expect(data(ns.additionals)).toEqual(['10.96.0.10']);
    expect(data(answer(lookup(idx, { ...CFG, localPort: 53 }, 'ns.dns.cluster.local', 'A')).answers)).toEqual(['10.96.0.10']);
  });

  it('answers SERVFAIL instead of NXDOMAIN until the caches have synced', () => {
    idx.synced = false;
    expect(q('nope.default.svc.cluster.local').rcode).toBe('SERVFAIL');
    expect(q('web.default.svc.cluster.local').rcode).toBe('NOERROR');
  });
});

describe('updates', () => {
  it('follows endpoints added and removed, and Services deleted, including their PTR records', () => {
    put(eps('prod', 'db', [{ addresses: [{ ip: '10.244.1.10', hostname: 'db-0' }, { ip: '10.244.1.13', hostname: 'db-3' }], ports: [{ name: 'pg', port: 5432 }] }]), 'ep');
    expect(data(q('db.prod.svc.cluster.local').answers).sort()).toEqual(['10.244.1.10', '10.244.1.13']);
    expect(q('db-1.db.prod.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(lookup(idx, CFG, '11.1.244.10.in-addr.arpa', 'PTR')).toEqual({ kind: 'outside' });
    idx.syncService('default/web', undefined);
    expect(q('web.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
    expect(lookup(idx, CFG, '20.0.96.10.in-addr.arpa', 'PTR')).toEqual({ kind: 'outside' });
    idx.syncNamespace('prod', undefined);
    expect(q('prod.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });
});
