import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import { FakeRecorder } from '../../shared/events.js';
import type { KubeObject } from '../../shared/types.js';
import { type EvictionDeps, reconcilePodEviction } from './eviction.js';
import type { Taint, Toleration } from './taints.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const ts = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function setup(now: { t: number }, taints: Taint[], tolerations: Toleration[], podExtra: Partial<KubeObject['metadata']> = {}) {
  const pod: KubeObject = {
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-p', resourceVersion: '5', ...podExtra },
    spec: { nodeName: 'n1', tolerations },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
  };
  const node: KubeObject = { metadata: { name: 'n1' }, spec: { taints } };
  const calls: string[] = [];
  let livePod: KubeObject | undefined = structuredClone(pod);
  const client = {
    async get() {
      calls.push('get');
      if (!livePod) throw new ApiError(404, 'NotFound', 'gone');
      return structuredClone(livePod);
    },
    async update(_r: unknown, obj: KubeObject, sub?: string) {
      calls.push(`update/${sub}`);
      livePod = obj;
      return obj;
    },
    async delete(_r: unknown, ns: string, name: string, opts: unknown) {
      calls.push(`delete ${ns}/${name} ${JSON.stringify(opts)}`);
      livePod = undefined;
      return {};
    },
  } as unknown as Client;
  const recorder = new FakeRecorder();
  const deps: EvictionDeps = {
    client,
    recorder,
    log: pino({ level: 'silent' }),
    now: () => new Date(now.t),
    getPod: (k) => (k === 'ns/p' ? pod : undefined),
    getNode: (n) => (n === 'n1' ? node : undefined),
    scheduled: new Map(),
    firstSeen: new Map(),
  };
  return { deps, calls, recorder, node, live: () => livePod };
}

const unreachable = (added = T0): Taint => ({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: ts(added) });
const tolerate = (seconds?: number): Toleration => ({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(seconds === undefined ? {} : { tolerationSeconds: seconds }) });

describe('reconcilePodEviction', () => {
  it('deletes a pod that does not tolerate the NoExecute taint at once, with the DisruptionTarget condition', async () => {
    const now = { t: T0 };
    const s = setup(now, [unreachable()], []);
    expect(await reconcilePodEviction('ns/p', s.deps)).toBeUndefined();
    expect(s.calls).toEqual(['get', 'update/status', 'delete ns/p {"preconditions":{"uid":"uid-p"}}']);
    expect(s.recorder.events).toEqual([{ reason: 'TaintManagerEviction', type: 'Normal', message: 'Marking for deletion Pod ns/p', object: 'undefined/ns/p' }]);
  });

  it('waits tolerationSeconds from the taint timeAdded, then evicts', async () => {
    const now = { t: T0 + 1_000 };
    const s = setup(now, [unreachable(T0)], [tolerate(3)]);
    expect(await reconcilePodEviction('ns/p', s.deps)).toBe(2_000);
    expect(s.deps.scheduled.get('ns/p')).toBe(T0 + 3_000);
    expect(s.calls).toEqual([]);
    now.t = T0 + 3_000;
    expect(await reconcilePodEviction('ns/p', s.deps)).toBeUndefined();
    expect(s.calls.at(-1)).toMatch(/^delete ns\/p/);
    expect(s.deps.scheduled.size).toBe(0);
  });

  it('keeps the deadline across restarts because it counts from timeAdded', async () => {
    const now = { t: T0 + 10_000 };
    const s = setup(now, [unreachable(T0)], [tolerate(300)]);
    expect(await reconcilePodEviction('ns/p', s.deps)).toBe(290_000);
  });

  it('counts from first sight for a taint without timeAdded', async () => {
    const now = { t: T0 };
    const s = setup(now, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }], [tolerate(5)]);
    expect(await reconcilePodEviction('ns/p', s.deps)).toBe(5_000);
    now.t += 2_000;
    expect(await reconcilePodEviction('ns/p', s.deps)).toBe(3_000);
  });

  it('never evicts a pod that tolerates forever, and cancels a scheduled eviction with an event', async () => {
    const now = { t: T0 };
    const s = setup(now, [unreachable()], [tolerate()]);
    s.deps.scheduled.set('ns/p', T0 + 5_000);
    expect(await reconcilePodEviction('ns/p', s.deps)).toBeUndefined();
    expect(s.deps.scheduled.size).toBe(0);
    expect(s.recorder.events.map((e) => e.message)).toEqual(['Cancelling deletion of Pod ns/p']);
    expect(s.calls).toEqual([]);
  });

  it('cancels when the taint goes away', async () => {
    const now = { t: T0 };
    const s = setup(now, [unreachable()], [tolerate(60)]);
    await reconcilePodEviction('ns/p', s.deps);
    s.node.spec.taints = [];
    expect(await reconcilePodEviction('ns/p', s.deps)).toBeUndefined();
    expect(s.recorder.events.map((e) => e.message)).toEqual(['Cancelling deletion of Pod ns/p']);
  });

  it('evicts at the earliest of several taints, each by its own toleration', async () => {
    const now = { t: T0 };
    const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: ts(T0 - 8_000) };
    const s = setup(now, [unreachable(T0), notReady], [tolerate(60), { key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 10 }]);
    expect(await reconcilePodEviction('ns/p', s.deps)).toBe(2_000);
  });

  it('leaves terminating and finished pods alone', async () => {
    const now = { t: T0 };
    const s = setup(now, [unreachable()], [], { deletionTimestamp: ts(T0) });
    expect(await reconcilePodEviction('ns/p', s.deps)).toBeUndefined();
    expect(s.calls).toEqual([]);
  });

  it('does not delete a pod that was replaced by another of the same name', async () => {
    const now = { t: T0 };
    const s = setup(now, [unreachable()], []);
    const original = s.deps.getPod;
    s.deps.getPod = (k) => {
      const p = original(k)!;
      return { ...p, metadata: { ...p.metadata, uid: 'old-uid' } };
    };
    await reconcilePodEviction('ns/p', s.deps);
    expect(s.calls).toEqual(['get']);
  });
});
