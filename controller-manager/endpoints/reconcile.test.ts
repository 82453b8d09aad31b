import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import { FakeRecorder } from '../../shared/events.js';
import type { KubeObject } from '../../shared/types.js';
import { HEADLESS_LABEL, OVER_CAPACITY_ANNOTATION, reconcileEndpoints } from './reconcile.js';

interface Call {
  verb: string;
  resource: string;
  obj?: KubeObject;
  name?: string;
}

function fakeClient(liveServices: Set<string> = new Set(), fail?: ApiError) {
  const calls: Call[] = [];
  const client = {
    async create(r: { plural: string }, _ns: string, obj: KubeObject) {
      calls.push({ verb: 'create', resource: r.plural, obj });
      if (fail) throw fail;
      return obj;
    },
    async update(r: { plural: string }, obj: KubeObject) {
      calls.push({ verb: 'update', resource: r.plural, obj });
      if (fail) throw fail;
      return obj;
    },
    async delete(r: { plural: string }, ns: string, name: string) {
      calls.push({ verb: 'delete', resource: r.plural, name: `${ns}/${name}` });
      return {};
    },
    async get(r: { plural: string }, ns: string, name: string) {
      calls.push({ verb: 'get', resource: r.plural, name: `${ns}/${name}` });
      if (liveServices.has(`${ns}/${name}`)) return { metadata: { name, namespace: ns } };
      throw new ApiError(404, 'NotFound', `services "${name}" not found`);
    },
  };
  return { client: client as unknown as Client, calls };
}

const service = (spec: Record<string, unknown>, labels?: Record<string, string>): KubeObject => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', ...(labels ? { labels } : {}) },
  spec: { clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec },
});

let podSeq = 0;
function pod(ip: string | undefined, opts: { ready?: boolean; labels?: Record<string, string>; ports?: { name: string; containerPort: number }[]; phase?: string; deleting?: boolean } = {}): KubeObject {
  const n = ++podSeq;
  return {
    metadata: {
      name: `web-${n}`,
      namespace: 'ns',
      uid: `uid-${n}`,
      labels: opts.labels ?? { app: 'web' },
      ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: { nodeName: 'node-a', containers: [{ name: 'c', ports: opts.ports ?? [] }] },
    status: { phase: opts.phase ?? 'Running', ...(ip ? { podIP: ip } : {}), conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

const ref = (p: KubeObject) => ({ ip: p.status.podIP, nodeName: 'node-a', targetRef: { kind: 'Pod', namespace: 'ns', name: p.metadata.name, uid: p.metadata.uid } });

function deps(svc: KubeObject | undefined, pods: KubeObject[], current?: KubeObject, liveServices?: Set<string>, fail?: ApiError) {
  const { client, calls } = fakeClient(liveServices, fail);
  const recorder = new FakeRecorder();
  return {
    calls,
    recorder,
    deps: {
      client,
      recorder,
      log: pino({ level: 'silent' }),
      getService: (key: string) => (key === 'ns/web' ? svc : undefined),
      getEndpoints: (key: string) => (key === 'ns/web' ? current : undefined),
      podsInNamespace: (ns: string) => pods.filter((p) => p.metadata.namespace === ns),
    },
  };
}

describe('reconcileEndpoints', () => {
  it('creates Endpoints with ready pods in addresses and the rest in notReadyAddresses', async () => {
    const ready1 = pod('10.244.1.5');
    const ready2 = pod('10.244.0.7');
    const notReady = pod('10.244.2.9', { ready: false });
    const others = [pod('10.244.3.3', { labels: { app: 'db' } }), pod(undefined), pod('10.244.3.4', { deleting: true }), pod('10.244.3.5', { phase: 'Failed' })];
    const { deps: d, calls } = deps(service({}, { team: 'a' }), [ready1, ready2, notReady, ...others]);
    await reconcileEndpoints('ns/web', d);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.verb).toBe('create');
    expect(calls[0]!.obj).toEqual({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'ns', labels: { team: 'a' } },
      subsets: [{ addresses: [ref(ready2), ref(ready1)], notReadyAddresses: [ref(notReady)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    });
  });

  it('resolves named targetPorts per pod, splitting pods with different numbers', async () => {
    const a = pod('10.244.0.1', { ports: [{ name: 'web', containerPort: 8080 }] });
    const b = pod('10.244.0.2', { ports: [{ name: 'web', containerPort: 9090 }] });
    const c = pod('10.244.0.3', { ports: [{ name: 'other', containerPort: 1 }] });
    const { deps: d, calls } = deps(service({ ports: [{ port: 80, protocol: 'TCP', targetPort: 'web' }] }), [a, b, c]);
    await reconcileEndpoints('ns/web', d);
    expect(calls[0]!.obj!.subsets).toEqual([
      { addresses: [ref(a)], ports: [{ port: 8080, protocol: 'TCP' }] },
      { addresses: [ref(b)], ports: [{ port: 9090, protocol: 'TCP' }] },
    ]);
  });

  it('publishNotReadyAddresses puts every pod in addresses', async () => {
    const p = pod('10.244.0.1', { ready: false });
    const { deps: d, calls } = deps(service({ publishNotReadyAddresses: true }), [p]);
    await reconcileEndpoints('ns/web', d);
    expect(calls[0]!.obj!.subsets).toEqual([{ addresses: [ref(p)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]);
  });

  it('writes nothing when the Endpoints are already right', async () => {
    const p = pod('10.244.0.1');
    const current = {
      metadata: { name: 'web', namespace: 'ns', resourceVersion: '7' },
      subsets: [{ addresses: [ref(p)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    };
    const { deps: d, calls } = deps(service({}), [p], current);
    await reconcileEndpoints('ns/web', d);
    expect(calls).toEqual([]);
  });

  it('updates the cached Endpoints, guarded by its resourceVersion, when a pod turns not ready', async () => {
    const p = pod('10.244.0.1', { ready: false });
    const current = {
      metadata: { name: 'web', namespace: 'ns', resourceVersion: '7', annotations: { keep: 'me' } },
      subsets: [{ addresses: [ref(p)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    };
    const { deps: d, calls } = deps(service({}), [p], current);
    await reconcileEndpoints('ns/web', d);
    expect(calls[0]!.verb).toBe('update');
    expect(calls[0]!.obj!.metadata).toEqual({ name: 'web', namespace: 'ns', resourceVersion: '7', annotations: { keep: 'me' } });
    expect(calls[0]!.obj!.subsets).toEqual([{ notReadyAddresses: [ref(p)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]);
  });

  it('labels headless services and keeps bare addresses when they have no ports', async () => {
    const p = pod('10.244.0.1');
    const { deps: d, calls } = deps(service({ clusterIP: 'None', ports: [] }), [p]);
    await reconcileEndpoints('ns/web', d);
    expect(calls[0]!.obj!.metadata.labels).toEqual({ [HEADLESS_LABEL]: '' });
    expect(calls[0]!.obj!.subsets).toEqual([{ addresses: [ref(p)] }]);
  });

  it('leaves services without a selector, and ExternalName services, alone', async () => {
    for (const spec of [{ selector: undefined }, { selector: {} }, { type: 'ExternalName', externalName: 'x.example.com' }]) {
      const { deps: d, calls } = deps(service(spec), [pod('10.244.0.1')]);
      await reconcileEndpoints('ns/web', d);
      expect(calls).toEqual([]);
    }
  });

  it('deletes the Endpoints of a deleted service, after checking the service is really gone', async () => {
    const gone = deps(undefined, []);
    await reconcileEndpoints('ns/web', gone.deps);
    expect(gone.calls.map((c) => `${c.verb} ${c.resource} ${c.name}`)).toEqual(['get services ns/web', 'delete endpoints ns/web']);
    const lagging = deps(undefined, [], undefined, new Set(['ns/web']));
    await reconcileEndpoints('ns/web', lagging.deps);
    expect(lagging.calls.map((c) => c.verb)).toEqual(['get']);
  });

  it('marks Endpoints over capacity as truncated', async () => {
    const pods = Array.from({ length: 1001 }, (_, i) => pod(`10.244.${i >> 8}.${i & 255}`));
    const { deps: d, calls } = deps(service({}), pods);
    await reconcileEndpoints('ns/web', d);
    expect(calls[0]!.obj!.metadata.annotations).toEqual({ [OVER_CAPACITY_ANNOTATION]: 'truncated' });
    expect(calls[0]!.obj!.subsets[0].addresses).toHaveLength(1000);
  });

  it('reports a failed write as an event and returns the error for a retry', async () => {
    const { deps: d, recorder } = deps(service({}), [pod('10.244.0.1')], undefined, undefined, new ApiError(500, 'InternalError', 'boom'));
    await expect(reconcileEndpoints('ns/web', d)).rejects.toThrow('boom');
    expect(recorder.events).toEqual([{ reason: 'FailedToCreateEndpoint', type: 'Warning', message: 'Failed to create endpoint ns/web: boom', object: 'undefined/ns/web' }]);
  });

  it('returns conflicts for a retry without an event', async () => {
    const { deps: d, recorder } = deps(service({}), [pod('10.244.0.1')], undefined, undefined, new ApiError(409, 'AlreadyExists', 'exists'));
    await expect(reconcileEndpoints('ns/web', d)).rejects.toThrow('exists');
    expect(recorder.events).toEqual([]);
  });
});
