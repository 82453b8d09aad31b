// The endpoints controller against a real apiserver and controller-manager: a Service's
// Endpoints list its pods' IPs, ready ones in addresses and the rest in
// notReadyAddresses, following readiness flips within a second; named targetPorts
// resolve per pod; Services without a selector are left alone; deleting the Service
// deletes its Endpoints. Pods never run: the test writes their status as a kubelet would.
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
  cm = await startControllerManager(api.url, ['--leader-elect=false', '--controllers', 'endpoints']);
  client = new Client(api.url);
});

afterAll(async () => {
  await cm?.stop();
  await api?.cleanup();
});

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000, every = 10): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}\n${cm.output().slice(-3000)}`);
}

async function namespace(name: string): Promise<string> {
  await client.create(R.namespaces, undefined, { metadata: { name } });
  return name;
}

async function createPod(ns: string, name: string, labels: Record<string, string>, ports: { name: string; containerPort: number }[] = []): Promise<KubeObject> {
  return client.create(R.pods, ns, {
    metadata: { name, labels },
    spec: { nodeName: 'fake-node', containers: [{ name: 'app', image: 'skiff/pause', ports }] },
  });
}

/** Writes the status a kubelet would: Running with an IP, Ready as asked. */
async function setStatus(ns: string, name: string, ip: string, ready: boolean): Promise<void> {
  const pod = await client.get(R.pods, ns, name);
  const status = ready ? 'True' : 'False';
  pod.status = {
    ...pod.status,
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    conditions: [
      { type: 'Ready', status },
      { type: 'ContainersReady', status },
    ],
  };
  await client.update(R.pods, pod, 'status');
}

const ips = (addrs: { ip: string }[] | undefined) => (addrs ?? []).map((a) => a.ip);

/** addresses / notReadyAddresses of every subset, flattened, and the ports. */
async function endpointsView(ns: string, name: string) {
  const ep = await client.get(R.endpoints, ns, name);
  const subsets: { addresses?: { ip: string }[]; notReadyAddresses?: { ip: string }[]; ports?: { port: number; name?: string }[] }[] = ep.subsets ?? [];
  return {
    ep,
    ready: subsets.flatMap((s) => ips(s.addresses)).sort(),
    notReady: subsets.flatMap((s) => ips(s.notReadyAddresses)).sort(),
    subsets,
  };
}

describe('endpoints controller', () => {
  it('lists ready and not-ready pods and follows readiness flips within a second', async () => {
    const ns = await namespace('ep-flip');
    await client.create(R.services, ns, {
      metadata: { name: 'web', labels: { tier: 'front' } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    await createPod(ns, 'a', { app: 'web' });
    await createPod(ns, 'b', { app: 'web' });
    await createPod(ns, 'other', { app: 'db' });
    await setStatus(ns, 'a', '10.244.1.10', true);
    await setStatus(ns, 'b', '10.244.2.20', false);
    await setStatus(ns, 'other', '10.244.3.30', true);

    const first = await waitFor('endpoints with both pods', async () => {
      const v = await endpointsView(ns, 'web');
      return v.ready.length === 1 && v.notReady.length === 1 ? v : undefined;
    });
    expect(first.ready).toEqual(['10.244.1.10']);
    expect(first.notReady).toEqual(['10.244.2.20']);
    expect(first.ep.metadata.labels).toEqual({ tier: 'front' });
    expect(first.subsets).toHaveLength(1);
    expect(first.subsets[0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const addr = (first.subsets[0]!.addresses as unknown as Record<string, unknown>[])[0]!;
    const podA = await client.get(R.pods, ns, 'a');
    expect(addr).toEqual({ ip: '10.244.1.10', nodeName: 'fake-node', targetRef: { kind: 'Pod', namespace: ns, name: 'a', uid: podA.metadata.uid } });

    for (const [name, ready, want] of [
      ['b', true, { ready: ['10.244.1.10', '10.244.2.20'], notReady: [] }],
      ['a', false, { ready: ['10.244.2.20'], notReady: ['10.244.1.10'] }],
      ['a', true, { ready: ['10.244.1.10', '10.244.2.20'], notReady: [] }],
    ] as const) {
      await setStatus(ns, name, name === 'a' ? '10.244.1.10' : '10.244.2.20', ready);
      const flipped = Date.now();
      await waitFor(`${name} ready=${ready}`, async () => {
        const v = await endpointsView(ns, 'web');
        return JSON.stringify({ ready: v.ready, notReady: v.notReady }) === JSON.stringify(want) || undefined;
      });
      expect(Date.now() - flipped).toBeLessThan(1000);
    }

    // A pod that stops matching the selector, and a deleted one, leave.
    const b = await client.get(R.pods, ns, 'b');
    await client.update(R.pods, { ...b, metadata: { ...b.metadata, labels: { app: 'gone' } } });
    await client.delete(R.pods, ns, 'a', { gracePeriodSeconds: 0 });
    await waitFor('empty endpoints', async () => {
      const v = await endpointsView(ns, 'web');
      return v.ready.length + v.notReady.length === 0 || undefined;
    });
  });

  it('resolves named targetPorts on each pod, in separate subsets where the numbers differ', async () => {
    const ns = await namespace('ep-named');
    await client.create(R.services, ns, {
      metadata: { name: 'api' },
      spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 'web' }, { name: 'metrics', port: 9100, targetPort: 'metrics' }] },
    });
    await createPod(ns, 'v1', { app: 'api' }, [{ name: 'web', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }]);
    await createPod(ns, 'v2', { app: 'api' }, [{ name: 'web', containerPort: 9090 }, { name: 'metrics', containerPort: 9100 }]);
    await createPod(ns, 'v3', { app: 'api' }, [{ name: 'web', containerPort: 8080 }]);
    await setStatus(ns, 'v1', '10.244.0.11', true);
    await setStatus(ns, 'v2', '10.244.0.12', true);
    await setStatus(ns, 'v3', '10.244.0.13', true);
    const v = await waitFor('all three pods', async () => {
      const e = await endpointsView(ns, 'api');
      return e.ready.length === 5 ? e : undefined;
    });
    // As RepackSubsets does: each port maps to the set of addresses offering it, and
    // ports offered by the same set share a subset.
    const shape = v.subsets.map((s) => ({ ips: ips(s.addresses), ports: (s.ports ?? []).map((p) => `${p.name}:${p.port}`).sort() }));
    expect(shape).toEqual([
      { ips: ['10.244.0.11', '10.244.0.12'], ports: ['metrics:9100'] },
      { ips: ['10.244.0.11', '10.244.0.13'], ports: ['http:8080'] },
      { ips: ['10.244.0.12'], ports: ['http:9090'] },
    ]);
  });

  it('leaves selector-less services alone and deletes the Endpoints of a deleted service', async () => {
    const ns = await namespace('ep-manual');
    await client.create(R.services, ns, { metadata: { name: 'manual' }, spec: { ports: [{ port: 5432 }] } });
    const manual = { metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432, protocol: 'TCP' }] }] };
    await client.create(R.endpoints, ns, manual);
    await client.create(R.services, ns, { metadata: { name: 'auto' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } });
    await waitFor('auto endpoints', () => client.get(R.endpoints, ns, 'auto'));

    await client.delete(R.services, ns, 'auto');
    await waitFor('auto endpoints deleted', async () => {
      const list = await client.list(R.endpoints, ns);
      return !list.items.some((e) => e.metadata.name === 'auto') || undefined;
    });
    // The hand-written Endpoints of the selector-less service were never touched.
    const kept = await client.get(R.endpoints, ns, 'manual');
    expect(ips(kept.subsets[0].addresses)).toEqual(['192.0.2.10']);
    expect(kept.metadata.managedFields?.every((m) => m.manager !== 'skiff-controller-manager') ?? true).toBe(true);
  });
});
