// The PersistentVolume binder against a real apiserver and controller-manager: a
// Pending claim binds to the smallest Available volume that fits its size, access
// modes, storage class and selector; kubectl shows both Bound; deleting the claim
// leaves a Retain volume Released (not bound again until an administrator clears its
// claimRef) and deletes a Delete volume's object while its data stays on disk; a claim
// nothing fits stays Pending with a single FailedBinding event.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { type ApiserverProcess, type ComponentProcess, startApiserver, startControllerManager } from '../support/apiserver.js';
import { Kubectl } from '../support/kubectl.js';

let api: ApiserverProcess;
let cm: ComponentProcess;
let client: Client;
let kubectl: Kubectl;
let dataDir: string;
let lonelyCreatedAt = 0;

beforeAll(async () => {
  api = await startApiserver();
  cm = await startControllerManager(api.url, ['--leader-elect=false', '--controllers', 'persistentvolume-binder']);
  client = new Client(api.url);
  kubectl = new Kubectl(api.url);
  dataDir = mkdtempSync(join(tmpdir(), 'skiff-pv-data-'));
  // Created first so that, by the last test, at least one 15 s resync has passed over it.
  await client.create(R.namespaces, undefined, { metadata: { name: 'nomatch' } });
  await createClaim('nomatch', 'lonely', '100Gi', { cls: '' });
  lonelyCreatedAt = Date.now();
});

afterAll(async () => {
  await cm?.stop();
  await api?.cleanup();
  if (kubectl) rmSync(kubectl.dir, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${cm.output().slice(-3000)}`);
}

interface VolumeOpts {
  cls?: string;
  labels?: Record<string, string>;
  policy?: 'Retain' | 'Delete';
  path?: string;
}

async function createVolume(name: string, size: string, o: VolumeOpts = {}): Promise<KubeObject> {
  return client.create(R.persistentvolumes, undefined, {
    metadata: { name, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      capacity: { storage: size },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: o.policy ?? 'Retain',
      hostPath: { path: o.path ?? join(dataDir, name) },
      ...(o.cls !== undefined ? { storageClassName: o.cls } : {}),
    },
  });
}

async function createClaim(ns: string, name: string, size: string, o: { cls?: string; selector?: unknown } = {}): Promise<KubeObject> {
  return client.create(R.persistentvolumeclaims, ns, {
    metadata: { name },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: size } },
      ...(o.cls !== undefined ? { storageClassName: o.cls } : {}),
      ...(o.selector ? { selector: o.selector } : {}),
    },
  });
}

async function namespace(name: string): Promise<string> {
  await client.create(R.namespaces, undefined, { metadata: { name } });
  return name;
}

const volumePhase = async (name: string) => (await client.get(R.persistentvolumes, undefined, name)).status?.phase as string | undefined;

async function waitBound(ns: string, claim: string): Promise<KubeObject> {
  return waitFor(`claim ${ns}/${claim} Bound`, async () => {
    const pvc = await client.get(R.persistentvolumeclaims, ns, claim);
    return pvc.status?.phase === 'Bound' ? pvc : undefined;
  });
}

/** A cell of a kubectl table, found under its header (columns are left-aligned). */
function cell(table: string, row: string, header: string): string {
  const lines = table.trimEnd().split('\n');
  const m = new RegExp(`(?:^|\\s)${header}(?:\\s|$)`).exec(lines[0]!);
  if (!m) throw new Error(`no column ${header} in\n${table}`);
  const at = m.index + m[0].indexOf(header);
  const line = lines.find((l) => l.startsWith(`${row} `));
  if (!line) throw new Error(`no row ${row} in\n${table}`);
  return line.slice(at).split(/\s+/)[0]!;
}

async function eventsFor(ns: string, name: string, reason: string): Promise<KubeObject[]> {
  const list = await client.list(R.events, ns);
  return list.items.filter((e) => (e.involvedObject as { name?: string }).name === name && e.reason === reason);
}

describe('PersistentVolume binder', () => {
  it('binds a claim to an Available volume; kubectl shows both Bound', async () => {
    await createVolume('pv-plain', '1Gi');
    await waitFor('pv-plain Available', async () => (await volumePhase('pv-plain')) === 'Available');
    const ns = await namespace('bind');
    const created = await createClaim(ns, 'data', '1Gi');
    const pvc = await waitBound(ns, 'data');
    expect(pvc.spec.volumeName).toBe('pv-plain');
    expect(pvc.metadata.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(pvc.status).toMatchObject({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
    const pv = await waitFor('pv-plain Bound', async () => {
      const v = await client.get(R.persistentvolumes, undefined, 'pv-plain');
      return v.status?.phase === 'Bound' ? v : undefined;
    });
    expect(pv.spec.claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: ns, name: 'data', uid: created.metadata.uid });
    expect(pv.metadata.annotations).toMatchObject({ 'pv.kubernetes.io/bound-by-controller': 'yes' });

    const pvTable = await kubectl.ok(['get', 'pv', 'pv-plain']);
    expect(cell(pvTable, 'pv-plain', 'STATUS')).toBe('Bound');
    expect(cell(pvTable, 'pv-plain', 'CLAIM')).toBe('bind/data');
    expect(cell(pvTable, 'pv-plain', 'CAPACITY')).toBe('1Gi');
    const pvcTable = await kubectl.ok(['get', 'pvc', 'data', '-n', ns]);
    expect(cell(pvcTable, 'data', 'STATUS')).toBe('Bound');
    expect(cell(pvcTable, 'data', 'VOLUME')).toBe('pv-plain');
  });

  it('picks the smallest volume that fits', async () => {
    for (const [name, size] of [['fit-10g', '10Gi'], ['fit-1g', '1Gi'], ['fit-5g', '5Gi']] as const) await createVolume(name, size, { cls: 'fit' });
    await waitFor('fit volumes Available', async () => (await Promise.all(['fit-10g', 'fit-1g', 'fit-5g'].map(volumePhase))).every((p) => p === 'Available'));
    const ns = await namespace('bestfit');
    await createClaim(ns, 'first', '3Gi', { cls: 'fit' });
    expect((await waitBound(ns, 'first')).spec.volumeName).toBe('fit-5g');
    await createClaim(ns, 'second', '3Gi', { cls: 'fit' });
    expect((await waitBound(ns, 'second')).spec.volumeName).toBe('fit-10g');
    expect(await volumePhase('fit-1g')).toBe('Available');
  });

  it('respects the claim selector and storageClassName', async () => {
    await createVolume('sel-silver', '1Gi', { cls: 'sel', labels: { tier: 'silver' } });
    await createVolume('sel-gold', '2Gi', { cls: 'sel', labels: { tier: 'gold' } });
    await createVolume('cls-fast', '1Gi', { cls: 'fast' });
    await createVolume('cls-slow', '1Gi', { cls: 'slow' });
    await waitFor('volumes Available', async () => (await Promise.all(['sel-silver', 'sel-gold', 'cls-fast', 'cls-slow'].map(volumePhase))).every((p) => p === 'Available'));
    const ns = await namespace('choosy');
    await createClaim(ns, 'gold', '1Gi', { cls: 'sel', selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] } });
    await createClaim(ns, 'slow', '1Gi', { cls: 'slow' });
    await createClaim(ns, 'fast', '1Gi', { cls: 'fast' });
    expect((await waitBound(ns, 'gold')).spec.volumeName).toBe('sel-gold');
    expect((await waitBound(ns, 'slow')).spec.volumeName).toBe('cls-slow');
    expect((await waitBound(ns, 'fast')).spec.volumeName).toBe('cls-fast');
    expect(await volumePhase('sel-silver')).toBe('Available');
  });

  it('Retain: deleting the claim leaves the volume Released, not bound again until its claimRef is cleared', async () => {
    await createVolume('keep', '1Gi', { cls: 'keep', policy: 'Retain' });
    const ns = await namespace('retain');
    await waitFor('keep Available', async () => (await volumePhase('keep')) === 'Available');
    await createClaim(ns, 'data', '1Gi', { cls: 'keep' });
    await waitBound(ns, 'data');
    await client.delete(R.persistentvolumeclaims, ns, 'data');
    await waitFor('keep Released', async () => (await volumePhase('keep')) === 'Released');
    const table = await kubectl.ok(['get', 'pv', 'keep']);
    expect(cell(table, 'keep', 'STATUS')).toBe('Released');
    expect(cell(table, 'keep', 'CLAIM')).toBe('retain/data');

    await createClaim(ns, 'again', '1Gi', { cls: 'keep' });
    // A classed claim with no match is reported as upstream reports a class it cannot provision.
    await waitFor('ProvisioningFailed for the new claim', async () => (await eventsFor(ns, 'again', 'ProvisioningFailed')).length > 0);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await client.get(R.persistentvolumeclaims, ns, 'again')).spec.volumeName).toBeUndefined();
    expect(await volumePhase('keep')).toBe('Released');

    // The administrator reclaims the volume by hand. The waiting claim is retried on the
    // 15 s resync, as upstream: a volume turning Available enqueues no claim.
    await kubectl.ok(['patch', 'pv', 'keep', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/claimRef"}]']);
    expect((await waitBound(ns, 'again')).spec.volumeName).toBe('keep');
  });

  it('Delete: deleting the claim deletes the volume object and leaves its data on disk', async () => {
    const scratch = mkdtempSync(join(dataDir, 'scratch-'));
    writeFileSync(join(scratch, 'marker'), 'precious');
    await createVolume('scratch', '1Gi', { cls: 'scratch', policy: 'Delete', path: scratch });
    const ns = await namespace('delete');
    await waitFor('scratch Available', async () => (await volumePhase('scratch')) === 'Available');
    await createClaim(ns, 'data', '1Gi', { cls: 'scratch' });
    await waitBound(ns, 'data');
    await client.delete(R.persistentvolumeclaims, ns, 'data');
    await waitFor('scratch deleted', async () => {
      try {
        await client.get(R.persistentvolumes, undefined, 'scratch');
        return false;
      } catch (err) {
        return isApiError(err) && err.code === 404;
      }
    });
    expect(readFileSync(join(scratch, 'marker'), 'utf8')).toBe('precious');
    const [event] = await waitFor('VolumeDelete event', async () => {
      const ev = await eventsFor('default', 'scratch', 'VolumeDelete');
      return ev.length ? ev : undefined;
    });
    expect(event!.type).toBe('Normal');
    expect(event!.message).toContain(`hostPath "${scratch}" was left in place`);
  });

  it('a claim nothing fits stays Pending with one FailedBinding event, not one per resync', async () => {
    const events = await waitFor('FailedBinding', async () => {
      const ev = await eventsFor('nomatch', 'lonely', 'FailedBinding');
      return ev.length ? ev : undefined;
    });
    expect(events[0]!.type).toBe('Normal');
    expect(events[0]!.message).toBe('no persistent volumes available for this claim and no storage class is set');
    // Let at least one resync (15 s) pass over the claim.
    const wait = lonelyCreatedAt + 16_500 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const pvc = await client.get(R.persistentvolumeclaims, 'nomatch', 'lonely');
    expect(pvc.status?.phase).toBe('Pending');
    expect(pvc.spec.volumeName).toBeUndefined();
    const after = await eventsFor('nomatch', 'lonely', 'FailedBinding');
    expect(after).toHaveLength(1);
    expect(after[0]!.count).toBe(1);
    const table = await kubectl.ok(['get', 'pvc', 'lonely', '-n', 'nomatch']);
    expect(cell(table, 'lonely', 'STATUS')).toBe('Pending');
  });
});
