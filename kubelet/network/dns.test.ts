import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/types.js';
import { formatResolvConf, podHostsFile, podResolvConf, type DnsSettings } from './dns.js';
import { gatewayOf } from './pod-network.js';

const settings: DnsSettings = {
  clusterDNS: ['10.96.0.10'],
  clusterDomain: 'cluster.local',
  hostResolvConf: '# the node\'s\nsearch corp.example lab.example\nnameserver 192.0.2.53\nnameserver 192.0.2.54\noptions timeout:2\n',
};

const pod = (spec: Record<string, unknown> = {}, name = 'web-0', namespace = 'shop'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { containers: [], ...spec } });

describe('podResolvConf', () => {
  it('ClusterFirst: the cluster DNS, the namespace\'s search path before the node\'s, ndots:5', () => {
    expect(formatResolvConf(podResolvConf(pod(), settings))).toBe(
      'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });

  it('Default: the node\'s resolv.conf; ClusterFirst without --cluster-dns falls back to it', () => {
    const node = { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['timeout:2'] };
    expect(podResolvConf(pod({ dnsPolicy: 'Default' }), settings)).toEqual(node);
    expect(podResolvConf(pod(), { ...settings, clusterDNS: [] })).toEqual(node);
  });

  it('None: only spec.dnsConfig; dnsConfig merges into the others, options by name, at most 3 nameservers', () => {
    const dnsConfig = { nameservers: ['1.1.1.1'], searches: ['extra.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] };
    expect(podResolvConf(pod({ dnsPolicy: 'None', dnsConfig }), settings)).toEqual({ servers: ['1.1.1.1'], searches: ['extra.example'], options: ['ndots:2', 'edns0'] });
    const merged = podResolvConf(pod({ dnsConfig: { ...dnsConfig, nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'] } }), settings);
    expect(merged.servers).toEqual(['10.96.0.10', '1.1.1.1', '2.2.2.2']);
    expect(merged.searches.at(-1)).toBe('extra.example');
    expect(merged.options).toEqual(['ndots:2', 'edns0']);
  });
});

describe('podHostsFile', () => {
  it('is the kubelet-managed file: localhost entries and the pod\'s own name', () => {
    const hosts = podHostsFile(pod(), '10.244.0.5', 'cluster.local');
    expect(hosts.split('\n')[0]).toBe('# Kubernetes-managed hosts file.');
    expect(hosts).toContain('127.0.0.1\tlocalhost\n');
    expect(hosts.trimEnd().split('\n').at(-1)).toBe('10.244.0.5\tweb-0');
  });

  it('adds the FQDN of hostname.subdomain and the HostAliases', () => {
    const hosts = podHostsFile(pod({ hostname: 'db', subdomain: 'dbs', hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }] }), '10.244.0.6', 'cluster.local');
    expect(hosts).toContain('10.244.0.6\tdb.dbs.shop.svc.cluster.local\tdb\n');
    expect(hosts).toContain('# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n');
  });
});

describe('gatewayOf', () => {
  it('is the first address of the podCIDR (the bridge\'s own)', () => {
    expect(gatewayOf('10.244.3.0/24')).toBe('10.244.3.1');
  });
});
