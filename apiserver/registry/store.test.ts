// The generic store over real LevelDB in a temp dir: API semantics without HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/types.js';
import { LevelStorage } from '../storage/level.js';
import { ClusterIPAllocator, NodePortAllocator } from './allocator.js';
import { lookupResource } from './resources.js';
import { ServiceAllocations } from './services.js';
import { Registry, type WriteOptions } from './store.js';

const log = pino({ level: 'silent' });
const R = (plural: string, group = '', version = 'v1') => lookupResource(group, version, plural)!;
const pods = R('pods');
const deployments = R('deployments', 'apps');
const configmaps = R('configmaps');
const services = R('services');
const namespaces = R('namespaces');
const opts = (extra: Partial<WriteOptions> = {}): WriteOptions => ({ dryRun: false, fieldValidation: 'Strict', fieldManager: 'test', warnings: [], ...extra });

const deployment = (name: string, image = 'nginx:1.25'): KubeObject => ({
  metadata: { name },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } } },
});

describe('registry store', () => {
  let dir: string;
  let storage: LevelStorage;
  let reg: Registry;
  let alloc: ServiceAllocations;

  const open = async () => {
    storage = await LevelStorage.open({ dir, log });
    alloc = new ServiceAllocations(new ClusterIPAllocator('10.96.0.0/28'), new NodePortAllocator('30000-30002'));
    alloc.restore(storage.list('/registry/core/services/').map((s) => s.obj));
    reg = new Registry(storage, alloc, log);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-store-'));
    await open();
    await reg.create(namespaces, undefined, { metadata: { name: 'ns' } }, opts());
    // What the serviceaccount controller makes in every namespace; ServiceAccount admission needs it for pods.
    await reg.create(R('serviceaccounts'), 'ns', { metadata: { name: 'default' } }, opts());
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts spec changes in generation, not metadata or status changes', async () => {
    const created = await reg.create(deployments, 'ns', deployment('d'), opts());
    expect(created.obj.metadata.generation).toBe(1);
    const labelled = await reg.patch(deployments, 'ns', 'd', 'merge', { metadata: { labels: { a: 'b' } } }, opts());
    expect(labelled.obj.metadata.generation).toBe(1);
    const status = await reg.patch(deployments, 'ns', 'd', 'merge', { status: { replicas: 3 } }, opts(), 'status');
    expect(status.obj.metadata.generation).toBe(1);
    expect(status.obj.status.replicas).toBe(3);
    const scaled = await reg.patch(deployments, 'ns', 'd', 'merge', { spec: { replicas: 4 } }, opts());
    expect(scaled.obj.metadata.generation).toBe(2);
    expect(scaled.obj.status.replicas).toBe(3);
  });

  it('ignores status on the main resource and spec on /status', async () => {
    await reg.create(deployments, 'ns', deployment('d'), opts());
    const sneaky = await reg.patch(deployments, 'ns', 'd', 'merge', { status: { replicas: 9 } }, opts());
    expect(sneaky.obj.status?.replicas).toBeUndefined();
    const viaStatus = await reg.patch(deployments, 'ns', 'd', 'merge', { spec: { replicas: 7 }, status: { replicas: 2 } }, opts(), 'status');
    expect(viaStatus.obj.spec.replicas).toBe(1);
    expect(viaStatus.obj.status.replicas).toBe(2);
  });

  it('does not write a no-op update', async () => {
    const a = await reg.create(configmaps, 'ns', { metadata: { name: 'c' }, data: { k: 'v' } }, opts());
    const b = await reg.update(configmaps, 'ns', 'c', JSON.parse(a.raw), opts());
    expect(b.obj.metadata.resourceVersion).toBe(a.obj.metadata.resourceVersion);
  });

  it('refuses a stale resourceVersion with 409 Conflict', async () => {
    const a = await reg.create(configmaps, 'ns', { metadata: { name: 'c' }, data: { k: 'v' } }, opts());
    await reg.update(configmaps, 'ns', 'c', { ...JSON.parse(a.raw), data: { k: 'w' } }, opts());
    await expect(reg.update(configmaps, 'ns', 'c', { ...JSON.parse(a.raw), data: { k: 'x' } }, opts())).rejects.toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('deletes a bound pod gracefully and an unbound one at once', async () => {
    const pod = (name: string, nodeName?: string) => ({ metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } });
    await reg.create(pods, 'ns', pod('bound', 'node-1'), opts());
    await reg.create(pods, 'ns', pod('free'), opts());
    const graceful = await reg.delete(pods, 'ns', 'bound', {}, opts());
    expect(graceful.obj.metadata.deletionTimestamp).toBeDefined();
    expect(graceful.obj.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(reg.get(pods, 'ns', 'bound')).toBeDefined();
    await reg.delete(pods, 'ns', 'free', {}, opts());
    expect(() => reg.get(pods, 'ns', 'free')).toThrow(/not found/);
    await reg.delete(pods, 'ns', 'bound', { gracePeriodSeconds: 0 }, opts());
    expect(() => reg.get(pods, 'ns', 'bound')).toThrow(/not found/);
  });

  it('keeps an object with finalizers until the last one is removed', async () => {
    await reg.create(configmaps, 'ns', { metadata: { name: 'f', finalizers: ['example.com/x'] } }, opts());
    const marked = await reg.delete(configmaps, 'ns', 'f', {}, opts());
    expect(marked.obj.metadata.deletionTimestamp).toBeDefined();
    await reg.patch(configmaps, 'ns', 'f', 'merge', { metadata: { finalizers: null } }, opts());
    expect(() => reg.get(configmaps, 'ns', 'f')).toThrow(/not found/);
  });

  it('records the propagation policy as a finalizer', async () => {
    await reg.create(deployments, 'ns', deployment('o'), opts());
    const orphaned = await reg.delete(deployments, 'ns', 'o', { propagationPolicy: 'Orphan' }, opts());
    expect(orphaned.obj.metadata.finalizers).toEqual(['orphan']);
    await reg.create(deployments, 'ns', deployment('f'), opts());
    const fg = await reg.delete(deployments, 'ns', 'f', { propagationPolicy: 'Foreground' }, opts());
    expect(fg.obj.metadata.finalizers).toEqual(['foregroundDeletion']);
  });

  it('refuses content in a missing or terminating namespace', async () => {
    await expect(reg.create(configmaps, 'nope', { metadata: { name: 'c' } }, opts())).rejects.toMatchObject({ code: 404 });
    await reg.create(namespaces, undefined, { metadata: { name: 'dying' } }, opts());
    await reg.delete(namespaces, undefined, 'dying', {}, opts());
    await expect(reg.create(configmaps, 'dying', { metadata: { name: 'c' } }, opts())).rejects.toMatchObject({ code: 403 });
  });

  it('draws a generated name again when it is taken', async () => {
    const real = Math.random;
    // The first draw repeats the name of an existing object; the retry gets a fresh one.
    const draws = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5];
    Math.random = () => draws.shift() ?? real();
    try {
      const a = await reg.create(configmaps, 'ns', { metadata: { generateName: 'dup-' } }, opts());
      const b = await reg.create(configmaps, 'ns', { metadata: { generateName: 'dup-' } }, opts());
      expect(a.obj.metadata.name).toBe('dup-bbbbb');
      expect(b.obj.metadata.name).not.toBe('dup-bbbbb');
    } finally {
      Math.random = real;
    }
  });

  it('generates names from generateName', async () => {
    const a = await reg.create(configmaps, 'ns', { metadata: { generateName: 'cm-' } }, opts());
    expect(a.obj.metadata.name).toMatch(/^cm-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('never hands out one ClusterIP or NodePort twice, also across restarts, and releases on delete', async () => {
    const svc = (name: string) => ({ metadata: { name }, spec: { type: 'NodePort', selector: { a: 'b' }, ports: [{ port: 80 }] } });
    const made = [];
    for (const n of ['a', 'b', 'c']) made.push((await reg.create(services, 'ns', svc(n), opts())).obj);
    expect(new Set(made.map((s) => s.spec.clusterIP)).size).toBe(3);
    expect(new Set(made.map((s) => s.spec.ports[0].nodePort)).size).toBe(3);
    await expect(reg.create(services, 'ns', svc('d'), opts())).rejects.toMatchObject({ code: 422 });
    await storage.close();
    await open();
    await expect(reg.create(services, 'ns', svc('d'), opts())).rejects.toMatchObject({ code: 422 });
    await reg.delete(services, 'ns', 'a', {}, opts());
    const d = await reg.create(services, 'ns', svc('d'), opts());
    expect(d.obj.spec.ports[0].nodePort).toBe(made[0].spec.ports[0].nodePort);
  });

  it('refuses a requested ClusterIP that is taken, naming the field', async () => {
    const a = await reg.create(services, 'ns', { metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } }, opts());
    await expect(reg.create(services, 'ns', { metadata: { name: 'b' }, spec: { clusterIP: a.obj.spec.clusterIP, ports: [{ port: 80 }] } }, opts())).rejects.toMatchObject({
      code: 422,
      details: { causes: [expect.objectContaining({ field: 'spec.clusterIPs' })] },
    });
  });

  it('keeps the allocated ClusterIP on an update that leaves it out, and refuses to change it', async () => {
    const a = await reg.create(services, 'ns', { metadata: { name: 'keep' }, spec: { ports: [{ port: 80 }] } }, opts());
    const ip = a.obj.spec.clusterIP;
    const put = await reg.update(services, 'ns', 'keep', { metadata: { name: 'keep' }, spec: { ports: [{ port: 81 }] } }, opts());
    expect(put.obj.spec.clusterIP).toBe(ip);
    expect(put.obj.spec.clusterIPs).toEqual([ip]);
    const other = ip === '10.96.0.9' ? '10.96.0.10' : '10.96.0.9';
    await expect(reg.patch(services, 'ns', 'keep', 'merge', { spec: { clusterIP: other } }, opts())).rejects.toMatchObject({ code: 422 });
  });

  it('drops node ports left over when a NodePort Service becomes ClusterIP, and releases them', async () => {
    const np = await reg.create(services, 'ns', { metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } }, opts());
    const port = np.obj.spec.ports[0].nodePort;
    const cur = reg.get(services, 'ns', 'np').obj;
    const back = await reg.update(services, 'ns', 'np', { ...cur, spec: { ...cur.spec, type: 'ClusterIP' } }, opts());
    expect(back.obj.spec.ports[0].nodePort).toBeUndefined();
    await expect(reg.patch(services, 'ns', 'np', 'merge', { spec: { ports: [{ port: 80, nodePort: 30001 }] } }, opts())).rejects.toMatchObject({ code: 422 });
    const again = await reg.create(services, 'ns', { metadata: { name: 'np2' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: port }] } }, opts());
    expect(again.obj.spec.ports[0].nodePort).toBe(port);
  });

  it('server-side apply: creates, merges, drops fields no longer applied, and reports conflicts', async () => {
    const applied = (replicas: number, labels: Record<string, string>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ssa', labels }, spec: { ...deployment('ssa').spec, replicas } });
    const a = await reg.patch(deployments, 'ns', 'ssa', 'apply', applied(2, { a: '1', b: '2' }), opts({ fieldManager: 'alice' }));
    expect(a.created).toBe(true);
    expect(a.obj.metadata.managedFields?.[0]).toMatchObject({ manager: 'alice', operation: 'Apply' });
    const b = await reg.patch(deployments, 'ns', 'ssa', 'apply', applied(3, { a: '1' }), opts({ fieldManager: 'alice' }));
    expect(b.obj.spec.replicas).toBe(3);
    expect(b.obj.metadata.labels).toEqual({ a: '1' });
    await reg.patch(deployments, 'ns', 'ssa', 'merge', { spec: { replicas: 5 } }, opts({ fieldManager: 'bob' }));
    await expect(reg.patch(deployments, 'ns', 'ssa', 'apply', applied(3, { a: '1' }), opts({ fieldManager: 'alice' }))).rejects.toMatchObject({
      code: 409,
      details: { causes: [expect.objectContaining({ reason: 'FieldManagerConflict', field: '.spec.replicas' })] },
    });
    const forced = await reg.patch(deployments, 'ns', 'ssa', 'apply', applied(3, { a: '1' }), opts({ fieldManager: 'alice', force: true }));
    expect(forced.obj.spec.replicas).toBe(3);
  });

  it('dry-run validates and answers without writing', async () => {
    const rev = reg.revision;
    const r = await reg.create(configmaps, 'ns', { metadata: { name: 'dry' } }, opts({ dryRun: true }));
    expect(r.obj.metadata.uid).toBeDefined();
    expect(reg.revision).toBe(rev);
    expect(() => reg.get(configmaps, 'ns', 'dry')).toThrow(/not found/);
  });
});
