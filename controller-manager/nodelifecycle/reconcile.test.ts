import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import { FakeRecorder } from '../../shared/events.js';
import type { KubeObject } from '../../shared/types.js';
import type { NodeHealth } from './health.js';
import { type NodeLifecycleDeps, reconcileNode } from './reconcile.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** An apiserver stand-in: objects by "plural/key", writes stored with a new resourceVersion. */
function world(now: { t: number }) {
  const objs = new Map<string, KubeObject>();
  let rv = 10;
  const writes: { what: string; obj: KubeObject; sub?: string }[] = [];
  let conflictNext = false;
  const key = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!);
  const client = {
    async update(r: { plural: string }, obj: KubeObject, sub?: string) {
      writes.push({ what: `${r.plural}/${key(obj)}`, obj, sub });
      const cur = objs.get(`${r.plural}/${key(obj)}`);
      if (!cur) throw new ApiError(404, 'NotFound', 'gone');
      if (conflictNext || obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        conflictNext = false;
        throw new ApiError(409, 'Conflict', 'the object has been modified');
      }
      const next = structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } });
      objs.set(`${r.plural}/${key(obj)}`, next);
      return next;
    },
  } as unknown as Client;
  const recorder = new FakeRecorder();
  const health = new Map<string, NodeHealth>();
  const deps: NodeLifecycleDeps = {
    client,
    recorder,
    log: pino({ level: 'silent' }),
    now: () => new Date(now.t),
    gracePeriodSeconds: 40,
    health,
    getNode: (n) => objs.get(`nodes/${n}`),
    getLease: (n) => objs.get(`leases/kube-node-lease/${n}`),
    podsOnNode: (n) => [...objs.entries()].filter(([k, p]) => k.startsWith('pods/') && p.spec?.nodeName === n).map(([, p]) => p),
  };
  const put = (plural: string, o: KubeObject) => objs.set(`${plural}/${key(o)}`, { ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } });
  return { deps, objs, writes, recorder, put, conflict: () => (conflictNext = true) };
}

const conditions = (status: string, heartbeat: number) =>
  ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({
    type,
    status: type === 'Ready' ? status : 'False',
    reason: 'Kubelet',
    lastHeartbeatTime: ts(heartbeat),
    lastTransitionTime: ts(T0 - 60_000),
  }));
const node = (status = 'True', heartbeat = T0): KubeObject => ({ metadata: { name: 'n1', creationTimestamp: ts(T0 - 120_000) }, spec: {}, status: { conditions: conditions(status, heartbeat) } });
const lease = (renew: number): KubeObject => ({ metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1', renewTime: new Date(renew).toISOString() } });
const pod = (name: string, ready = 'True'): KubeObject => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { nodeName: 'n1' },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready }] },
});

describe('reconcileNode', () => {
  it('asks to be woken when the node would go stale, and writes nothing for a healthy node', async () => {
    const now = { t: T0 };
    const w = world(now);
    w.put('nodes', node());
    w.put('leases', lease(T0));
    expect(await reconcileNode('n1', w.deps)).toBe(40_001);
    now.t += 30_000;
    expect(await reconcileNode('n1', w.deps)).toBe(10_001);
    expect(w.writes).toEqual([]);
  });

  it('keeps a node alive while its lease is renewed, even if its status heartbeat is old', async () => {
    const now = { t: T0 };
    const w = world(now);
    w.put('nodes', node());
    w.put('leases', lease(T0));
    await reconcileNode('n1', w.deps);
    now.t += 35_000;
    w.put('leases', lease(now.t));
    await reconcileNode('n1', w.deps);
    now.t += 35_000;
    expect(await reconcileNode('n1', w.deps)).toBe(5_001);
    expect(w.writes).toEqual([]);
  });

  it('sets every condition Unknown, taints the node unreachable and marks its pods not ready once the grace period passes', async () => {
    const now = { t: T0 };
    const w = world(now);
    w.put('nodes', node());
    w.put('leases', lease(T0));
    w.put('pods', pod('a'));
    w.put('pods', pod('b', 'False'));
    await reconcileNode('n1', w.deps);
    now.t += 40_001;
    expect(await reconcileNode('n1', w.deps)).toBeUndefined();

    expect(w.writes.map((x) => `${x.what}${x.sub ? `/${x.sub}` : ''}`)).toEqual(['nodes/n1/status', 'nodes/n1', 'pods/default/a/status']);
    const n = w.objs.get('nodes/n1')!;
    expect(n.status.conditions.map((c: { type: string; status: string; reason: string; message: string }) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['MemoryPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
      ['DiskPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
      ['PIDPressure', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
      ['Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'],
    ]);
    expect(n.status.conditions[3].lastHeartbeatTime).toBe(ts(T0));
    expect(n.status.conditions[3].lastTransitionTime).toBe(ts(now.t));
    expect(n.spec.taints).toEqual([
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: ts(now.t) },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: ts(now.t) },
    ]);
    expect(w.objs.get('pods/default/a')!.status.conditions[0].status).toBe('False');
    expect(w.recorder.events.map((e) => `${e.object} ${e.reason}: ${e.message}`)).toEqual([
      'undefined//n1 NodeNotReady: Node n1 status is now: NodeNotReady',
      'undefined/default/a NodeNotReady: Node is not ready',
    ]);

    // Nothing more to do on the next look.
    const before = w.writes.length;
    now.t += 5_000;
    await reconcileNode('n1', w.deps);
    expect(w.writes).toHaveLength(before);
  });

  it('untaints a node that posts Ready again', async () => {
    const now = { t: T0 };
    const w = world(now);
    w.put('nodes', node());
    await reconcileNode('n1', w.deps);
    now.t += 41_000;
    await reconcileNode('n1', w.deps);
    expect(w.objs.get('nodes/n1')!.spec.taints).toHaveLength(2);
    now.t += 10_000;
    const back = structuredClone(w.objs.get('nodes/n1')!);
    back.status.conditions = conditions('True', now.t);
    w.put('nodes', back);
    expect(await reconcileNode('n1', w.deps)).toBe(40_001);
    expect(w.objs.get('nodes/n1')!.spec.taints).toEqual([]);
  });

  it('taints a node reporting Ready=False not-ready without touching its conditions', async () => {
    const now = { t: T0 };
    const w = world(now);
    w.put('nodes', node('False'));
    await reconcileNode('n1', w.deps);
    expect(w.writes.map((x) => x.what + (x.sub ? '/status' : ''))).toEqual(['nodes/n1']);
    expect(w.objs.get('nodes/n1')!.spec.taints.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/not-ready:NoSchedule',
    ]);
  });

  it('returns a conflict on the status write for a retry, and then sees the fresh heartbeat', async () => {
    const now = { t: T0 };
    const w = world(now);
    w.put('nodes', node());
    await reconcileNode('n1', w.deps);
    now.t += 41_000;
    w.conflict();
    await expect(reconcileNode('n1', w.deps)).rejects.toThrow(/modified/);
    w.put('nodes', node('True', now.t));
    expect(await reconcileNode('n1', w.deps)).toBe(40_001);
    expect(w.objs.get('nodes/n1')!.status.conditions[3].status).toBe('True');
  });

  it('times a node that never posted status from its creation, with the startup grace period', async () => {
    const now = { t: T0 };
    const w = world(now);
    w.put('nodes', { metadata: { name: 'n1', creationTimestamp: ts(T0) }, spec: {}, status: {} });
    expect(await reconcileNode('n1', w.deps)).toBe(60_001);
    now.t += 61_000;
    await reconcileNode('n1', w.deps);
    const conds = w.objs.get('nodes/n1')!.status.conditions;
    expect(conds.map((c: { type: string; reason: string }) => `${c.type}=${c.reason}`)).toEqual([
      'Ready=NodeStatusNeverUpdated',
      'MemoryPressure=NodeStatusNeverUpdated',
      'DiskPressure=NodeStatusNeverUpdated',
      'PIDPressure=NodeStatusNeverUpdated',
    ]);
    expect(conds[0].message).toBe('Kubelet never posted node status.');
  });

  it('forgets a deleted node', async () => {
    const now = { t: T0 };
    const w = world(now);
    w.put('nodes', node());
    await reconcileNode('n1', w.deps);
    w.objs.delete('nodes/n1');
    expect(await reconcileNode('n1', w.deps)).toBeUndefined();
    expect(w.deps.health.size).toBe(0);
  });
});
