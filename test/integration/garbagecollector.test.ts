// The garbage collector against a real apiserver and controller-manager (ReplicaSet
// controller and garbage collector): deleting a ReplicaSet with each propagation policy
// leaves exactly what Kubernetes leaves; dangling owner references are collected; a
// foreground delete walks a Deployment → ReplicaSet → pods chain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { type ApiserverProcess, type ComponentProcess, startApiserver, startControllerManager } from '../support/apiserver.js';

let api: ApiserverProcess;
let cm: ComponentProcess;
let client: Client;

beforeAll(async () => {
  api = await startApiserver();
  cm = await startControllerManager(api.url, ['--leader-elect=false', '--controllers', 'replicaset,garbagecollector']);
  client = new Client(api.url);
});

afterAll(async () => {
  await cm?.stop();
  await api?.cleanup();
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
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${cm.output().slice(-3000)}`);
}

const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

async function namespace(name: string): Promise<string> {
  await client.create(R.namespaces, undefined, { metadata: { name } });
  return name;
}

const template = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: 'app', image: 'skiff/pause' }] } });

function replicaSet(name: string, replicas: number, labels: Record<string, string>, ownerReferences?: KubeObject['metadata']['ownerReferences']): KubeObject {
  return { metadata: { name, ...(ownerReferences ? { ownerReferences } : {}) }, spec: { replicas, selector: { matchLabels: labels }, template: template(labels) } };
}

async function getOrUndefined(r: typeof R.replicasets, ns: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await client.get(r, ns, name);
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** A ReplicaSet with its pods all created. */
async function replicaSetWithPods(ns: string, name: string, replicas: number): Promise<{ rs: KubeObject; pods: KubeObject[] }> {
  const rs = await client.create(R.replicasets, ns, replicaSet(name, replicas, { app: name }));
  const pods = await waitFor(`${replicas} pods`, async () => {
    const items = (await client.list(R.pods, ns, { labelSelector: `app=${name}` })).items;
    return items.length === replicas ? items : undefined;
  });
  return { rs, pods };
}

describe('garbage collector: deleting a ReplicaSet', () => {
  it('Background: the ReplicaSet goes at once, its pods after it', async () => {
    const ns = await namespace('gc-background');
    await replicaSetWithPods(ns, 'web', 3);
    await client.delete(R.replicasets, ns, 'web', { propagationPolicy: 'Background' });
    expect(await getOrUndefined(R.replicasets, ns, 'web')).toBeUndefined();
    await waitFor('pods gone', async () => (await client.list(R.pods, ns)).items.length === 0);
  });

  it('Foreground: the ReplicaSet stays, being deleted, until its pods are gone', async () => {
    const ns = await namespace('gc-foreground');
    const { pods } = await replicaSetWithPods(ns, 'web', 3);
    // A finalizer holds one pod in Terminating, as a kubelet would while containers stop.
    const held = pods[0]!.metadata.name!;
    await client.patch(R.pods, ns, held, { metadata: { finalizers: ['skiff.test/hold'] } });
    await client.delete(R.replicasets, ns, 'web', { propagationPolicy: 'Foreground' });
    const deleting = await client.get(R.replicasets, ns, 'web');
    expect(deleting.metadata.deletionTimestamp).toBeTruthy();
    expect(deleting.metadata.finalizers).toContain('foregroundDeletion');
    await waitFor('only the held pod left, terminating', async () => {
      const items = (await client.list(R.pods, ns)).items;
      return items.length === 1 && items[0]!.metadata.name === held && !!items[0]!.metadata.deletionTimestamp;
    });
    await settle(1000);
    const still = await client.get(R.replicasets, ns, 'web');
    expect(still.metadata.finalizers).toEqual(['foregroundDeletion']);
    // Nothing replaced the deleted pods while the ReplicaSet was being deleted.
    expect((await client.list(R.pods, ns)).items).toHaveLength(1);
    await client.patch(R.pods, ns, held, { metadata: { finalizers: [] } });
    await waitFor('ReplicaSet gone', async () => (await getOrUndefined(R.replicasets, ns, 'web')) === undefined);
    expect((await client.list(R.pods, ns)).items).toHaveLength(0);
  });

  it('Orphan: the ReplicaSet goes, its pods stay without an owner reference', async () => {
    const ns = await namespace('gc-orphan');
    const { pods } = await replicaSetWithPods(ns, 'web', 3);
    await client.delete(R.replicasets, ns, 'web', { propagationPolicy: 'Orphan' });
    await waitFor('ReplicaSet gone', async () => (await getOrUndefined(R.replicasets, ns, 'web')) === undefined);
    await settle();
    const left = (await client.list(R.pods, ns)).items;
    expect(left.map((p) => p.metadata.uid).sort()).toEqual(pods.map((p) => p.metadata.uid).sort());
    for (const p of left) {
      expect(p.metadata.ownerReferences ?? []).toEqual([]);
      expect(p.metadata.deletionTimestamp).toBeUndefined();
    }
  });
});

describe('garbage collector: owner references', () => {
  it('deletes an object whose owner does not exist, and the dependents of a deleted ConfigMap', async () => {
    const ns = await namespace('gc-dangling');
    const bare = (name: string, owner: { apiVersion: string; kind: string; name: string; uid: string }) => ({
      metadata: { name, labels: { app: 'none' }, ownerReferences: [owner] },
      spec: { containers: [{ name: 'app', image: 'skiff/pause' }] },
    });
    await client.create(R.pods, ns, bare('dangling', { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'never', uid: '00000000-0000-0000-0000-000000000000' }));
    const cmap = await client.create(R.configmaps, ns, { metadata: { name: 'owner' }, data: {} });
    await client.create(R.pods, ns, bare('owned', { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: cmap.metadata.uid! }));
    await waitFor('dangling pod gone', async () => (await getOrUndefined(R.pods, ns, 'dangling')) === undefined);
    await settle(1000);
    expect(await getOrUndefined(R.pods, ns, 'owned')).toBeDefined();
    await client.delete(R.configmaps, ns, 'owner');
    await waitFor('dependent of the ConfigMap gone', async () => (await getOrUndefined(R.pods, ns, 'owned')) === undefined);
  });

  it('Foreground through a chain: Deployment → ReplicaSet → pods, deepest first', async () => {
    const ns = await namespace('gc-chain');
    // No deployment controller runs here: the Deployment is only an owner.
    const deploy = await client.create(R.deployments, ns, { metadata: { name: 'app' }, spec: { replicas: 0, selector: { matchLabels: { app: 'chain' } }, template: template({ app: 'chain' }) } });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'app', uid: deploy.metadata.uid!, controller: true, blockOwnerDeletion: true };
    await client.create(R.replicasets, ns, replicaSet('app-1', 2, { app: 'chain' }, [ref]));
    await waitFor('2 pods', async () => (await client.list(R.pods, ns)).items.length === 2);
    await client.delete(R.deployments, ns, 'app', { propagationPolicy: 'Foreground' });
    await waitFor('everything gone', async () => {
      const [d, rs, pods] = await Promise.all([getOrUndefined(R.deployments, ns, 'app'), client.list(R.replicasets, ns), client.list(R.pods, ns)]);
      return d === undefined && rs.items.length === 0 && pods.items.length === 0;
    });
  });
});
