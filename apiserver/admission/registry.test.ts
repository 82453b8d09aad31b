// The admission chain inside the registry store, over real LevelDB: order of the passes,
// what reaches storage, and the quota charge that concurrent creates cannot slip past.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiError } from '../../shared/errors.js';
import { ClusterIPAllocator, NodePortAllocator } from '../registry/allocator.js';
import { lookupResource } from '../registry/resources.js';
import { ServiceAllocations } from '../registry/services.js';
import { Registry, type WriteOptions } from '../registry/store.js';
import { LevelStorage } from '../storage/level.js';
import { DEFAULT_PLUGINS } from './plugins.js';

const log = pino({ level: 'silent' });
const R = (plural: string) => lookupResource('', 'v1', plural)!;
const opts = (extra: Partial<WriteOptions> = {}): WriteOptions => ({ dryRun: false, fieldValidation: 'Strict', fieldManager: 'test', warnings: [], ...extra });
const podBody = (name: string, extra: Record<string, unknown> = {}) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }], ...extra } });

describe('admission in the registry', () => {
  let dir: string;
  let storage: LevelStorage;
  let reg: Registry;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-admission-'));
    storage = await LevelStorage.open({ dir, log });
    const alloc = new ServiceAllocations(new ClusterIPAllocator('10.96.0.0/28'), new NodePortAllocator('30000-30002'));
    reg = new Registry(storage, alloc, log, () => new Date(), { plugins: DEFAULT_PLUGINS, config: { serviceAccount: { delay: async () => {} } } });
    for (const name of ['default', 'ns']) await reg.create(R('namespaces'), undefined, { metadata: { name } }, opts());
    await reg.create(R('serviceaccounts'), 'ns', { metadata: { name: 'default' } }, opts());
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const quota = async (hard: Record<string, string>) => {
    await reg.create(R('resourcequotas'), 'ns', { metadata: { name: 'q' }, spec: { hard } }, opts());
    // What the resourcequota controller writes first.
    const used = Object.fromEntries(Object.keys(hard).map((k) => [k, '0']));
    await reg.patch(R('resourcequotas'), 'ns', 'q', 'merge', { status: { hard, used } }, opts(), 'status');
  };

  it('lets exactly as many of 20 concurrent creates through as a pods=5 quota allows', async () => {
    await quota({ pods: '5' });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => reg.create(R('pods'), 'ns', podBody(`p${i}`), opts())));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as ApiError).message);
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const m of refused) expect(m).toMatch(/^pods "p\d+" is forbidden: exceeded quota: q, requested: pods=1, used: pods=5, limited: pods=5$/);
    expect(reg.get(R('resourcequotas'), 'ns', 'q').obj.status.used).toEqual({ pods: '5' });
    expect(reg.list(R('pods'), 'ns', { labelSelector: [], fieldSelector: [] }).items).toHaveLength(5);
  });

  it('does not charge a dry run, nor a create refused as already existing', async () => {
    await quota({ pods: '2' });
    await reg.create(R('pods'), 'ns', podBody('a'), opts({ dryRun: true }));
    await reg.create(R('pods'), 'ns', podBody('a'), opts());
    await expect(reg.create(R('pods'), 'ns', podBody('a'), opts())).rejects.toThrow('pods "a" already exists');
    expect(reg.get(R('resourcequotas'), 'ns', 'q').obj.status.used).toEqual({ pods: '1' });
  });

  it('runs mutating plugins before validation, and the QoS class follows what LimitRanger set', async () => {
    await reg.create(R('limitranges'), 'ns', { metadata: { name: 'lr' }, spec: { limits: [{ type: 'Container', default: { cpu: '200m', memory: '64Mi' } }] } }, opts());
    const { obj } = await reg.create(R('pods'), 'ns', podBody('p'), opts());
    expect(obj.spec.containers[0].resources).toEqual({ limits: { cpu: '200m', memory: '64Mi' }, requests: { cpu: '200m', memory: '64Mi' } });
    expect(obj.status.qosClass).toBe('Guaranteed');
    expect(obj.spec.serviceAccountName).toBe('default');
    expect(obj.spec.volumes[0].name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(obj.spec.containers[0].volumeMounts).toEqual([{ name: obj.spec.volumes[0].name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  });

  it('shows the generateName prefix in mutating refusals, and the drawn name after', async () => {
    const err = await reg.create(R('pods'), 'ns', { metadata: { generateName: 'web-' }, spec: { serviceAccountName: 'nope', containers: [{ name: 'c', image: 'x:1' }] } }, opts()).catch((e: ApiError) => e);
    expect((err as ApiError).message).toBe('pods "web-" is forbidden: error looking up service account ns/nope: serviceaccount "nope" not found');
  });

  it('refuses writes into missing or terminating namespaces and deleting the system ones', async () => {
    await expect(reg.create(R('configmaps'), 'gone', { metadata: { name: 'c' } }, opts())).rejects.toThrow('namespaces "gone" not found');
    await expect(reg.delete(R('namespaces'), undefined, 'default', {}, opts())).rejects.toThrow('namespaces "default" is forbidden: this namespace may not be deleted');
    await reg.delete(R('namespaces'), undefined, 'ns', {}, opts());
    await expect(reg.create(R('configmaps'), 'ns', { metadata: { name: 'c' } }, opts())).rejects.toThrow(
      'configmaps "c" is forbidden: unable to create new content in namespace ns because it is being terminated',
    );
  });

  it('returns PodSecurity warnings with the write', async () => {
    await reg.patch(R('namespaces'), undefined, 'ns', 'merge', { metadata: { labels: { 'pod-security.kubernetes.io/warn': 'baseline' } } }, opts());
    const o = opts();
    await reg.create(R('pods'), 'ns', podBody('p', { hostPID: true }), o);
    expect(o.warnings).toEqual(['would violate PodSecurity "baseline:latest": host namespaces (hostPID=true)']);
  });

  it('runs kube-apiserver default plugins when built without admission options', () => {
    const plain = new Registry(storage, new ServiceAllocations(new ClusterIPAllocator('10.96.0.0/28'), new NodePortAllocator('30000-30002')), log);
    expect(plain.admission.names).toEqual(DEFAULT_PLUGINS);
  });

  it('keeps working with every plugin disabled', async () => {
    const bare = new Registry(storage, new ServiceAllocations(new ClusterIPAllocator('10.96.0.0/28'), new NodePortAllocator('30000-30002')), log, () => new Date(), { plugins: [] });
    const { obj } = await bare.create(R('pods'), 'ns', podBody('plain'), opts());
    expect(obj.spec.serviceAccountName).toBeUndefined();
  });
});


