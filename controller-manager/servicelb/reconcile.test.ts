import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import type { KubeObject } from '../../shared/types.js';
import { desiredIngress, poolAddresses, reconcileServiceLB } from './reconcile.js';

const node = (name: string, ip: string, ready = true): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const svc = (name: string, type = 'LoadBalancer', ingress: string[] = []): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'ns', uid: name },
  spec: { type, ports: [{ port: 80 }] },
  status: ingress.length ? { loadBalancer: { ingress: ingress.map((ip) => ({ ip, ipMode: 'VIP' })) } } : {},
});

describe('ServiceLB', () => {
  it('gives a LoadBalancer Service the InternalIPs of the Ready nodes', () => {
    const nodes = [node('b', '10.250.0.3'), node('a', '10.250.0.2'), node('c', '10.250.0.4', false)];
    expect(desiredIngress(svc('web'), { services: () => [], nodes: () => nodes, pool: [] })).toEqual([
      { ip: '10.250.0.2', ipMode: 'VIP' },
      { ip: '10.250.0.3', ipMode: 'VIP' },
    ]);
  });

  it('hands out pool addresses once each, keeps a Service\'s own, honours spec.loadBalancerIP', () => {
    const pool = poolAddresses('10.250.1.0/30');
    expect(pool).toEqual(['10.250.1.1', '10.250.1.2']);
    const a = svc('a', 'LoadBalancer', ['10.250.1.1']);
    const deps = { services: () => [a], nodes: () => [], pool };
    expect(desiredIngress(a, deps)).toEqual([{ ip: '10.250.1.1', ipMode: 'VIP' }]);
    expect(desiredIngress(svc('b'), deps)).toEqual([{ ip: '10.250.1.2', ipMode: 'VIP' }]);
    const full = { services: () => [a, svc('b', 'LoadBalancer', ['10.250.1.2'])], nodes: () => [], pool };
    expect(desiredIngress(svc('c'), full)).toEqual([]);
    const wants = { ...svc('d'), spec: { type: 'LoadBalancer', loadBalancerIP: '10.250.1.2' } };
    expect(desiredIngress(wants, deps)).toEqual([{ ip: '10.250.1.2', ipMode: 'VIP' }]);
    expect(() => poolAddresses('10.0.0.0/8')).toThrow(/--lb-ip-pool/);
  });

  it('writes the ingress through the status subresource, and clears it when the Service is no longer a LoadBalancer', async () => {
    const patches: unknown[][] = [];
    const client = { patch: async (...args: unknown[]) => patches.push(args) } as unknown as Client;
    const deps = { client, log: pino({ level: 'silent' }), services: () => [], nodes: () => [node('a', '10.250.0.2')], pool: [] as string[] };
    await reconcileServiceLB('ns/web', { ...deps, getService: () => svc('web') });
    expect(patches[0]!.slice(3)).toEqual([{ status: { loadBalancer: { ingress: [{ ip: '10.250.0.2', ipMode: 'VIP' }] } } }, 'merge', 'status']);
    await reconcileServiceLB('ns/web', { ...deps, getService: () => svc('web', 'LoadBalancer', ['10.250.0.2']) });
    expect(patches).toHaveLength(1);
    await reconcileServiceLB('ns/web', { ...deps, getService: () => svc('web', 'ClusterIP', ['10.250.0.2']) });
    expect(patches[1]!.slice(3)).toEqual([{ status: { loadBalancer: { ingress: null } } }, 'merge', 'status']);
    const classed = { ...svc('other', 'LoadBalancer', ['10.250.9.9']), spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb' } };
    await reconcileServiceLB('ns/other', { ...deps, getService: () => classed });
    expect(patches).toHaveLength(2); // another controller's Service is left alone
  });
});
