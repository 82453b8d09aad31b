import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Informer, InformerHandlers } from '../shared/informer.js';
import type { KubeObject } from '../shared/types.js';
import type { Iptables, Table } from './iptables.js';
import { Proxier } from './proxier.js';

class FakeInformer {
  private readonly items = new Map<string, KubeObject>();
  private readonly handlers: InformerHandlers<KubeObject>[] = [];
  addHandlers(h: InformerHandlers<KubeObject>) {
    this.handlers.push(h);
  }
  get(key: string) {
    return this.items.get(key);
  }
  list() {
    return [...this.items.values()];
  }
  set(obj: KubeObject) {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const h of this.handlers) (old ? h.onUpdate?.(old, obj) : h.onAdd?.(obj));
  }
  delete(ns: string, name: string) {
    const obj = this.items.get(`${ns}/${name}`)!;
    this.items.delete(`${ns}/${name}`);
    for (const h of this.handlers) h.onDelete?.(obj);
  }
}

class FakeIptables implements Iptables {
  payloads: string[] = [];
  saves = 0;
  failNext = false;
  leftover = '';
  jumps: string[] = [];
  async restore(payload: string) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('iptables-restore: line 3 failed');
    }
    this.payloads.push(payload);
  }
  async save(table: Table) {
    this.saves++;
    return table === 'nat' ? this.leftover : '';
  }
  async ensureJumps(table: Table, chain: string) {
    this.jumps.push(`${table}/${chain}`);
    return false;
  }
  async deleteRule() {}
}

const svc = (name: string, ip: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec: { clusterIP: ip, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
const eps = (name: string, ips: string[]): KubeObject => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: 'ns' }, subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] });

function setup(minSyncMs = 0) {
  const services = new FakeInformer();
  const endpoints = new FakeInformer();
  const iptables = new FakeIptables();
  const proxier = new Proxier({
    nodeName: 'me',
    iptables,
    services: services as unknown as Informer<KubeObject>,
    endpoints: endpoints as unknown as Informer<KubeObject>,
    log: pino({ level: 'silent' }),
    clusterCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/16',
    masqueradeMark: '0x4000',
    minSyncMs,
    syncPeriodMs: 3_600_000,
    monitorMs: 3_600_000,
  });
  return { services, endpoints, iptables, proxier };
}

const declared = (payload: string) => payload.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]);
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe('Proxier', () => {
  it('writes every chain at start, deletes an earlier run\'s leftovers, and installs the jumps', async () => {
    const { services, endpoints, iptables, proxier } = setup();
    services.set(svc('a', '10.96.0.10'));
    endpoints.set(eps('a', ['10.244.0.5']));
    iptables.leftover = ':SKIFF-SVC-OLDOLDOLDOLDOLDO - [0:0]\n:PREROUTING ACCEPT [0:0]\n';
    await proxier.start();
    proxier.stop();
    expect(iptables.payloads).toHaveLength(1);
    const p = iptables.payloads[0]!;
    expect(p.startsWith('*filter\n')).toBe(true);
    expect(declared(p)).toEqual(expect.arrayContaining(['SKIFF-SERVICES', 'SKIFF-NODEPORTS', 'SKIFF-POSTROUTING', 'SKIFF-MARK-MASQ', 'SKIFF-FORWARD', 'SKIFF-FIREWALL', 'SKIFF-SVC-OLDOLDOLDOLDOLDO']));
    expect(p).toContain('-X SKIFF-SVC-OLDOLDOLDOLDOLDO');
    expect(p).not.toContain('-X PREROUTING');
    expect(p.match(/^COMMIT$/gm)).toHaveLength(2);
    expect(iptables.jumps).toEqual(expect.arrayContaining(['filter/FORWARD', 'nat/PREROUTING', 'nat/OUTPUT', 'nat/POSTROUTING', 'filter/INPUT', 'filter/OUTPUT']));
  });

  it('rewrites only the chains an endpoint change touched (partial sync), never iptables-save again', async () => {
    const { services, endpoints, iptables, proxier } = setup();
    for (const n of ['a', 'b']) {
      services.set(svc(n, n === 'a' ? '10.96.0.10' : '10.96.0.11'));
      endpoints.set(eps(n, ['10.244.0.5', '10.244.0.6']));
    }
    await proxier.start();
    const savesAfterStart = iptables.saves;
    const bChains = declared(iptables.payloads[0]!).filter((c) => iptables.payloads[0]!.includes(`-A ${c} -m comment --comment "ns/b:http`));
    endpoints.set(eps('a', ['10.244.0.5', '10.244.0.7']));
    await until(() => iptables.payloads.length === 2);
    proxier.stop();
    const p = iptables.payloads[1]!;
    // a's SVC chain and its new SEP chain, the removed SEP chain flushed and deleted; nothing of b.
    expect(declared(p).filter((c) => c!.startsWith('SKIFF-SVC-'))).toHaveLength(1);
    expect(p).toContain('DNAT --to-destination 10.244.0.7:8080');
    expect(p).not.toContain('DNAT --to-destination 10.244.0.5:8080'); // its SEP chain is unchanged
    expect(p.match(/^-X SKIFF-SEP-/gm)).toHaveLength(1);
    for (const c of bChains) expect(declared(p)).not.toContain(c);
    expect(p).not.toContain('*filter'); // the top-level chains did not change
    expect(iptables.saves).toBe(savesAfterStart);
  });

  it('rejects a Service that lost its last endpoint, and removes every chain of a deleted Service', async () => {
    const { services, endpoints, iptables, proxier } = setup();
    services.set(svc('a', '10.96.0.10'));
    endpoints.set(eps('a', ['10.244.0.5']));
    await proxier.start();
    endpoints.set(eps('a', []));
    await until(() => iptables.payloads.length === 2);
    expect(iptables.payloads[1]).toContain('"ns/a:http has no endpoints"');
    expect(iptables.payloads[1]).toMatch(/-X SKIFF-SVC-/);
    endpoints.set(eps('a', ['10.244.0.9']));
    await until(() => iptables.payloads.length === 3);
    services.delete('ns', 'a');
    await until(() => iptables.payloads.length === 4);
    proxier.stop();
    const p = iptables.payloads[3]!;
    expect(p).toMatch(/-X SKIFF-SVC-/);
    expect(p).toMatch(/-X SKIFF-SEP-/);
    expect(p).not.toContain('10.96.0.10');
  });

  it('batches changes within --min-sync-period into one sync', async () => {
    const { services, endpoints, iptables, proxier } = setup(150);
    services.set(svc('a', '10.96.0.10'));
    await proxier.start();
    for (let i = 1; i <= 5; i++) endpoints.set(eps('a', [`10.244.0.${i}`]));
    await new Promise((r) => setTimeout(r, 400));
    proxier.stop();
    expect(iptables.payloads).toHaveLength(2);
    expect(iptables.payloads[1]).toContain('10.244.0.5:8080');
  });

  it('after a failed iptables-restore writes everything again', async () => {
    const { services, endpoints, iptables, proxier } = setup();
    services.set(svc('a', '10.96.0.10'));
    services.set(svc('b', '10.96.0.11'));
    endpoints.set(eps('a', ['10.244.0.5']));
    endpoints.set(eps('b', ['10.244.0.6']));
    await proxier.start();
    iptables.failNext = true;
    endpoints.set(eps('a', ['10.244.0.8']));
    await proxier.syncNow();
    expect(iptables.payloads).toHaveLength(1);
    await proxier.syncNow();
    proxier.stop();
    const p = iptables.payloads[1]!;
    expect(p).toContain('10.244.0.8:8080');
    expect(p).toContain('10.244.0.6:8080'); // b unchanged, but a full sync writes it too
  });
});
