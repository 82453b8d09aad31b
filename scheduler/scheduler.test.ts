import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../shared/errors.js';
import { FakeRecorder } from '../shared/events.js';
import type { InformerHandlers } from '../shared/informer.js';
import type { KubeObject } from '../shared/types.js';
import { addAllEventHandlers } from './event-handlers.js';
import type { PodCondition, PodWriter } from './pod-writer.js';
import { Scheduler } from './scheduler.js';
import { makeNode, makePod, type PodSpecOpts } from './testing.js';

/** An informer stand-in: a store plus the handlers, driven by the test. */
class FakeSource {
  readonly store = new Map<string, KubeObject>();
  private handlers: InformerHandlers<KubeObject>[] = [];
  addHandlers(h: InformerHandlers<KubeObject>) {
    this.handlers.push(h);
  }
  get(key: string) {
    return this.store.get(key);
  }
  private key(o: KubeObject) {
    return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
  }
  add(o: KubeObject) {
    this.store.set(this.key(o), o);
    for (const h of this.handlers) h.onAdd?.(o);
  }
  update(o: KubeObject) {
    const old = this.store.get(this.key(o))!;
    this.store.set(this.key(o), o);
    for (const h of this.handlers) h.onUpdate?.(old, o);
  }
  delete(o: KubeObject) {
    this.store.delete(this.key(o));
    for (const h of this.handlers) h.onDelete?.(o);
  }
}

class FakeWriter implements PodWriter {
  readonly binds: { pod: string; node: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  readonly conditions: { pod: string; condition: PodCondition }[] = [];
  bind(pod: KubeObject, node: string) {
    return new Promise<void>((resolve, reject) => this.binds.push({ pod: pod.metadata.name!, node, resolve, reject }));
  }
  async updateCondition(pod: KubeObject, condition: PodCondition) {
    this.conditions.push({ pod: pod.metadata.name!, condition });
  }
}

function setup() {
  let now = 1_000_000;
  const pods = new FakeSource();
  const nodes = new FakeSource();
  const writer = new FakeWriter();
  const recorder = new FakeRecorder();
  const sched = new Scheduler({ schedulerName: 'default-scheduler', writer, recorder, log: pino({ level: 'silent' }), pods, now: () => now, random: () => 0.99 });
  addAllEventHandlers(sched, pods, nodes);
  /** Runs the loop's body until activeQ is empty (the loop itself is tested end to end). */
  const drain = async () => {
    const bindings: Promise<void>[] = [];
    while (sched.queue.lengths.active > 0) {
      const b = sched.scheduleOne((await sched.queue.pop())!);
      if (b) bindings.push(b);
    }
    return bindings;
  };
  const advance = (ms: number) => {
    now += ms;
    sched.queue.flushBackoffQCompleted();
  };
  const newPod = (name: string, o: PodSpecOpts = {}) => {
    const p = makePod(name, o);
    pods.add(p);
    return p;
  };
  /** What the informer shows once a binding went through. */
  const confirm = (b: { pod: string; node: string; resolve: () => void }) => {
    const p = pods.get(`default/${b.pod}`)!;
    pods.update({ ...p, spec: { ...p.spec, nodeName: b.node } });
    b.resolve();
  };
  return { sched, pods, nodes, writer, recorder, drain, advance, newPod, confirm };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('Scheduler', () => {
  it('never overcommits a node during a burst whose bindings have not come back', async () => {
    const t = setup();
    t.nodes.add(makeNode('n', { cpu: '4' }));
    for (let i = 0; i < 10; i++) t.newPod(`p${i}`, { cpu: '1' });
    await t.drain();
    expect(t.writer.binds.map((b) => b.node)).toEqual(['n', 'n', 'n', 'n']);
    const failed = t.recorder.events.filter((e) => e.reason === 'FailedScheduling');
    expect(failed).toHaveLength(6);
    expect(failed[0]!.message).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
    await flush();
    expect(t.writer.conditions).toHaveLength(6);
    expect(t.writer.conditions[0]!.condition).toEqual({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: failed[0]!.message });
    expect(t.sched.queue.lengths.unschedulable).toBe(6);
  });

  it('retries unschedulable pods when a node is added, not before', async () => {
    const t = setup();
    t.nodes.add(makeNode('small', { cpu: '1' }));
    t.newPod('big', { cpu: '2' });
    await t.drain();
    expect(t.writer.binds).toHaveLength(0);
    t.advance(60_000);
    await t.drain();
    expect(t.writer.binds).toHaveLength(0);
    t.nodes.add(makeNode('large', { cpu: '4' }));
    await t.drain();
    expect(t.writer.binds.map((b) => [b.pod, b.node])).toEqual([['big', 'large']]);
  });

  it('retries when a bound pod is deleted and frees room', async () => {
    const t = setup();
    t.nodes.add(makeNode('n', { cpu: '2' }));
    t.newPod('a', { cpu: '2' });
    t.newPod('b', { cpu: '2' });
    await t.drain();
    t.confirm(t.writer.binds[0]!);
    await flush();
    expect(t.sched.queue.lengths.unschedulable).toBe(1);
    t.advance(1000);
    t.pods.delete(t.pods.get('default/a')!);
    await t.drain();
    expect(t.writer.binds.map((b) => b.pod)).toEqual(['a', 'b']);
  });

  it('leaves a pod someone else bound (409) and frees what it assumed', async () => {
    const t = setup();
    t.nodes.add(makeNode('n', { cpu: '1' }));
    t.newPod('p', { cpu: '1' });
    const [binding] = await t.drain();
    t.writer.binds[0]!.reject(new ApiError(409, 'Conflict', 'pod p is already assigned to node "m"'));
    await binding;
    expect(t.sched.cache.getNode('n')!.requested.milliCPU).toBe(0);
    expect(t.sched.queue.lengths).toEqual({ active: 0, backoff: 0, unschedulable: 0 });
    expect(t.recorder.events).toHaveLength(0);
  });

  it('retries a failed binding after its backoff, as a scheduler error', async () => {
    const t = setup();
    t.nodes.add(makeNode('n'));
    t.newPod('p');
    const [binding] = await t.drain();
    t.writer.binds[0]!.reject(new ApiError(500, 'InternalError', 'etcd is sad'));
    await binding;
    expect(t.recorder.events[0]).toMatchObject({ reason: 'FailedScheduling', message: 'etcd is sad' });
    expect(t.sched.queue.lengths.backoff).toBe(1);
    t.advance(1000);
    await t.drain();
    expect(t.writer.binds).toHaveLength(2);
  });

  it('records Scheduled once bound and keeps the pod counted when the informer confirms it', async () => {
    const t = setup();
    t.nodes.add(makeNode('n', { cpu: '2' }));
    t.newPod('p', { cpu: '1' });
    const [binding] = await t.drain();
    t.confirm(t.writer.binds[0]!);
    await binding;
    expect(t.recorder.events).toEqual([{ reason: 'Scheduled', type: 'Normal', message: 'Successfully assigned default/p to n', object: 'Pod/default/p' }]);
    expect(t.sched.cache.stats).toEqual({ nodes: 1, pods: 1, assumed: 0 });
    expect(t.sched.cache.getNode('n')!.requested.milliCPU).toBe(1000);
  });

  it('spreads the pods of one controller over the nodes', async () => {
    const t = setup();
    for (const n of ['a', 'b', 'c']) t.nodes.add(makeNode(n));
    for (let i = 0; i < 6; i++) t.newPod(`web-${i}`, { owner: 'web', cpu: '100m' });
    await t.drain();
    const perNode = new Map<string, number>();
    for (const b of t.writer.binds) perNode.set(b.node, (perNode.get(b.node) ?? 0) + 1);
    expect([...perNode.values()]).toEqual([2, 2, 2]);
  });

  it('ignores pods for other schedulers, bound pods and pods being deleted', async () => {
    const t = setup();
    t.nodes.add(makeNode('n'));
    t.newPod('other', { spec: { schedulerName: 'my-scheduler' } });
    t.newPod('bound', { nodeName: 'n' });
    const p = t.newPod('doomed');
    t.pods.update({ ...p, metadata: { ...p.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } });
    await t.drain();
    expect(t.writer.binds).toHaveLength(0);
  });

  it('does not write the same condition twice', async () => {
    const t = setup();
    t.nodes.add(makeNode('n', { cpu: '1' }));
    t.newPod('p', { cpu: '2' });
    await t.drain();
    await flush();
    const c = t.writer.conditions[0]!.condition;
    const p = t.pods.get('default/p')!;
    t.pods.update({ ...p, status: { ...p.status, conditions: [c] } });
    t.nodes.update(makeNode('n', { cpu: '1', labels: { x: 'y' } }));
    t.sched.onClusterEvent('NodeAdd');
    t.advance(10_000);
    await t.drain();
    await flush();
    expect(t.recorder.events.filter((e) => e.reason === 'FailedScheduling')).toHaveLength(2);
    expect(t.writer.conditions).toHaveLength(1);
  });
});
