import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../shared/types.js';
import { hash16, serviceRules, svcChain, topChains, type RulesConfig } from './rules.js';
import { servicePorts } from './service-info.js';

const cfg: RulesConfig = { clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16', masqueradeMark: '0x4000' };

function svc(spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns' }, spec: { clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec }, status };
}

function eps(ready: [string, string][], notReady: [string, string][] = []): KubeObject {
  const addr = ([ip, nodeName]: [string, string]) => ({ ip, nodeName });
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'ns' },
    subsets: [{ addresses: ready.map(addr), notReadyAddresses: notReady.map(addr), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
  };
}

const rulesOf = (s: KubeObject, e?: KubeObject) => serviceRules(servicePorts(s, e, 'me'), cfg);

describe('chain names', () => {
  it('are 16 base32 characters of a SHA-256, stable, within iptables\' 28-character limit', () => {
    expect(hash16('ns/web:httpTCP')).toMatch(/^[A-Z2-7]{16}$/);
    expect(hash16('ns/web:httpTCP')).toBe(hash16('ns/web:httpTCP'));
    expect(hash16('ns/web:httpTCP')).not.toBe(hash16('ns/web:httpUDP'));
    expect(`SKIFF-SEP-${hash16('x')}`.length).toBeLessThanOrEqual(28);
  });
});

describe('serviceRules', () => {
  it('spreads a ClusterIP over its ready endpoints with upstream\'s probability chain, each with a hairpin masquerade and a DNAT', () => {
    const r = rulesOf(svc({}), eps([['10.244.0.5', 'me'], ['10.244.1.5', 'other'], ['10.244.2.5', 'other']], [['10.244.3.5', 'me']]));
    const chain = svcChain(servicePorts(svc({}), undefined, 'me')[0]!);
    expect(r.natServices).toEqual([`-A SKIFF-SERVICES -m comment --comment "ns/web:http cluster IP" -p tcp -m tcp -d 10.96.0.50/32 --dport 80 -j ${chain}`]);
    const lines = r.natChains.get(chain)!;
    expect(lines[0]).toContain('! -s 10.244.0.0/16 -j SKIFF-MARK-MASQ');
    expect(lines.slice(1).map((l) => /--probability (\S+)/.exec(l)?.[1] ?? 'last')).toEqual(['0.3333333333', '0.5000000000', 'last']);
    const seps = [...r.natChains.keys()].filter((c) => c.startsWith('SKIFF-SEP-'));
    expect(seps).toHaveLength(3); // the not-ready endpoint gets no traffic
    const sep = r.natChains.get(seps[0]!)!;
    expect(sep[0]).toMatch(/-s 10\.244\.0\.5\/32 .*-j SKIFF-MARK-MASQ$/);
    expect(sep[1]).toMatch(/-p tcp -m tcp -j DNAT --to-destination 10\.244\.0\.5:8080$/);
    expect(r.filterServices).toEqual([]);
  });

  it('rejects at once what goes to a Service without ready endpoints', () => {
    const r = rulesOf(svc({}), eps([], [['10.244.0.5', 'me']]));
    expect(r.natServices).toEqual([]);
    expect(r.natChains.size).toBe(0);
    expect(r.filterServices).toEqual(['-A SKIFF-SERVICES -m comment --comment "ns/web:http has no endpoints" -p tcp -m tcp -d 10.96.0.50/32 --dport 80 -j REJECT --reject-with icmp-port-unreachable']);
  });

  it('writes nothing for headless and ExternalName Services', () => {
    expect(servicePorts(svc({ clusterIP: 'None' }), eps([['10.244.0.5', 'me']]), 'me')).toEqual([]);
    expect(servicePorts(svc({ type: 'ExternalName', externalName: 'x.example', clusterIP: '' }), undefined, 'me')).toEqual([]);
  });

  it('sends NodePort traffic of policy Cluster through a masquerading EXT chain to every endpoint', () => {
    const s = svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080, protocol: 'TCP' }] });
    const r = rulesOf(s, eps([['10.244.0.5', 'me'], ['10.244.1.5', 'other']]));
    expect(r.natNodePorts).toHaveLength(1);
    expect(r.natNodePorts[0]).toMatch(/-p tcp -m tcp --dport 30080 -j SKIFF-EXT-/);
    const ext = [...r.natChains.entries()].find(([c]) => c.startsWith('SKIFF-EXT-'))![1];
    expect(ext[0]).toContain('-j SKIFF-MARK-MASQ');
    expect(ext[1]).toMatch(/-j SKIFF-SVC-/);
  });

  it('keeps externalTrafficPolicy Local traffic on local endpoints, unmasqueraded, but lets pods and the node use any', () => {
    const s = svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30081, protocol: 'TCP' }] });
    const r = rulesOf(s, eps([['10.244.0.5', 'me'], ['10.244.1.5', 'other']]));
    const ext = [...r.natChains.entries()].find(([c]) => c.startsWith('SKIFF-EXT-'))![1];
    expect(ext.map((l) => l.replace(/.*-j /, ''))).toEqual([expect.stringMatching(/^SKIFF-SVC-/), 'SKIFF-MARK-MASQ', expect.stringMatching(/^SKIFF-SVC-/), expect.stringMatching(/^SKIFF-SVL-/)]);
    expect(ext[0]).toContain('-s 10.244.0.0/16');
    const svl = [...r.natChains.entries()].find(([c]) => c.startsWith('SKIFF-SVL-'))![1];
    expect(svl).toHaveLength(1);
    expect(svl[0]).not.toContain('--probability');

    const noLocal = rulesOf(s, eps([['10.244.1.5', 'other']]));
    expect(noLocal.natNodePorts).toEqual([]);
    expect(noLocal.filterExternal).toEqual([expect.stringMatching(/has no local endpoints.*--dport 30081 -j DROP$/)]);
  });

  it('sends ClusterIP traffic of internalTrafficPolicy Local to local endpoints only', () => {
    const r = rulesOf(svc({ internalTrafficPolicy: 'Local' }), eps([['10.244.0.5', 'me'], ['10.244.1.5', 'other']]));
    expect(r.natServices[0]).toMatch(/-j SKIFF-SVL-/);
    expect([...r.natChains.keys()].filter((c) => c.startsWith('SKIFF-SVC-'))).toEqual([]);
    const other = rulesOf(svc({ internalTrafficPolicy: 'Local' }), eps([['10.244.1.5', 'other']]));
    expect(other.filterServices[0]).toContain('has no local endpoints');
  });

  it('pins a client to its endpoint with sessionAffinity ClientIP and its timeout', () => {
    const r = rulesOf(svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } }), eps([['10.244.0.5', 'me'], ['10.244.1.5', 'other']]));
    const chain = [...r.natChains.entries()].find(([c]) => c.startsWith('SKIFF-SVC-'))![1];
    expect(chain.filter((l) => l.includes('--rcheck --seconds 600 --reap'))).toHaveLength(2);
    const sep = [...r.natChains.entries()].find(([c]) => c.startsWith('SKIFF-SEP-'))!;
    expect(sep[1][1]).toContain(`-m recent --name ${sep[0]} --set`);
  });

  it('routes load-balancer and external IPs like NodePorts', () => {
    const s = svc({ type: 'LoadBalancer', externalIPs: ['10.250.0.9'], ports: [{ name: 'http', port: 80, nodePort: 30082, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '10.250.0.10' }] } });
    const r = rulesOf(s, eps([['10.244.0.5', 'me']]));
    expect(r.natServices.filter((l) => /-d 10\.250\.0\.(9|10)\/32 --dport 80 -j SKIFF-EXT-/.test(l))).toHaveLength(2);
  });
});

describe('topChains', () => {
  it('ends SKIFF-SERVICES with the NodePort jump and rejects ClusterIPs no Service holds', () => {
    const t = topChains([rulesOf(svc({}), eps([['10.244.0.5', 'me']]))], cfg);
    expect(t.nat.get('SKIFF-SERVICES')!.at(-1)).toMatch(/--dst-type LOCAL -j SKIFF-NODEPORTS$/);
    expect(t.filter.get('SKIFF-SERVICES')!.at(-1)).toBe('-A SKIFF-SERVICES -m comment --comment "cluster IP that no service holds" -d 10.96.0.0/16 -j REJECT --reject-with icmp-port-unreachable');
    expect(t.filter.get('SKIFF-FIREWALL')![0]).toContain('-d 127.0.0.0/8 ! -s 127.0.0.0/8');
    expect(t.nat.get('SKIFF-POSTROUTING')!.at(-1)).toContain('MASQUERADE');
  });
});
