import { describe, expect, it } from 'vitest';
import { SchedulingQueue } from './queue.js';
import { makePod } from './testing.js';

function setup() {
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const q = new SchedulingQueue({ now: clock.now, eventHelps: (event, plugin) => plugin === 'NodeResourcesFit' && (event === 'NodeAdd' || event === 'AssignedPodDelete') });
  return { q, clock };
}

describe('SchedulingQueue', () => {
  it('pops the highest priority first, then the oldest', async () => {
    const { q, clock } = setup();
    q.add(makePod('old-low', { priority: 0 }));
    clock.advance(1);
    q.add(makePod('high', { priority: 10 }));
    clock.advance(1);
    q.add(makePod('new-low', { priority: 0 }));
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await q.pop())!.pod.metadata.name);
    expect(order).toEqual(['high', 'old-low', 'new-low']);
  });

  it('hands a pod to a waiting pop as soon as one arrives', async () => {
    const { q } = setup();
    const next = q.pop();
    q.add(makePod('p'));
    expect((await next)!.pod.metadata.name).toBe('p');
  });

  it('backs off 1 s doubling to 10 s', () => {
    const { q } = setup();
    expect([1, 2, 3, 4, 5, 6, 20].map((a) => q.backoffDuration(a))).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });

  it('keeps an unschedulable pod until an event that may help it, then respects its backoff', async () => {
    const { q, clock } = setup();
    q.add(makePod('p'));
    const p = (await q.pop())!;
    q.addUnschedulable(p, new Set(['NodeResourcesFit']));
    expect(q.lengths).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    // Not every event helps: a label change cannot make room.
    expect(q.moveAllToActiveOrBackoffQueue('NodeLabelChange')).toBe(0);
    // Time alone does not retry it (no hot loop)…
    clock.advance(60_000);
    q.flushBackoffQCompleted();
    expect(q.lengths.unschedulable).toBe(1);
    // …an event that may help does: straight to activeQ once the backoff has passed.
    expect(q.moveAllToActiveOrBackoffQueue('NodeAdd')).toBe(1);
    expect(q.lengths).toEqual({ active: 1, backoff: 0, unschedulable: 0 });
  });

  it('sends a pod moved during its backoff to backoffQ and releases it when the backoff ends', async () => {
    const { q, clock } = setup();
    q.add(makePod('p'));
    let p = (await q.pop())!;
    q.addUnschedulable(p, new Set(['NodeResourcesFit']));
    // Moved within its first 1 s of backoff: it waits in backoffQ.
    q.moveAllToActiveOrBackoffQueue('NodeAdd');
    expect(q.lengths).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
    clock.advance(1000);
    q.flushBackoffQCompleted();
    p = (await q.pop())!;
    expect(p.attempts).toBe(2);
    q.addUnschedulable(p, new Set(['NodeResourcesFit']));
    // Second failure: 2 s of backoff from now.
    q.moveAllToActiveOrBackoffQueue('AssignedPodDelete');
    expect(q.lengths).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
    clock.advance(1999);
    q.flushBackoffQCompleted();
    expect(q.lengths.backoff).toBe(1);
    clock.advance(1);
    q.flushBackoffQCompleted();
    expect(q.lengths).toEqual({ active: 1, backoff: 0, unschedulable: 0 });
  });

  it('retries a pod that failed with an error after its backoff, without an event', async () => {
    const { q, clock } = setup();
    q.add(makePod('p'));
    q.addUnschedulable((await q.pop())!, new Set());
    expect(q.lengths.backoff).toBe(1);
    clock.advance(1000);
    q.flushBackoffQCompleted();
    expect(q.lengths.active).toBe(1);
  });

  it('retries leftovers after five minutes in unschedulable', async () => {
    const { q, clock } = setup();
    q.add(makePod('p'));
    q.addUnschedulable((await q.pop())!, new Set(['NodeResourcesFit']));
    clock.advance(5 * 60_000 - 1);
    q.flushUnschedulablePodsLeftover();
    expect(q.lengths.unschedulable).toBe(1);
    clock.advance(1);
    q.flushUnschedulablePodsLeftover();
    expect(q.lengths.active).toBe(1);
  });

  it('moves an unschedulable pod whose spec changed, but not for a status-only update', async () => {
    const { q, clock } = setup();
    const pod = makePod('p');
    q.add(pod);
    q.addUnschedulable((await q.pop())!, new Set(['NodeResourcesFit']));
    const statusOnly = { ...pod, metadata: { ...pod.metadata, resourceVersion: '9' }, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } };
    q.update(pod, statusOnly);
    expect(q.lengths.unschedulable).toBe(1);
    clock.advance(5000);
    const relabelled = { ...statusOnly, metadata: { ...statusOnly.metadata, labels: { a: 'b' } } };
    q.update(statusOnly, relabelled);
    expect(q.lengths.active).toBe(1);
  });

  it('holds gated pods until their gates are removed, whatever the events', () => {
    const { q } = setup();
    const gated = makePod('g', { spec: { schedulingGates: [{ name: 'wait' }] } });
    q.add(gated);
    q.moveAllToActiveOrBackoffQueue('NodeAdd');
    expect(q.lengths).toEqual({ active: 0, backoff: 0, unschedulable: 1 });
    q.update(gated, { ...gated, spec: { ...gated.spec, schedulingGates: [] } });
    expect(q.lengths).toEqual({ active: 1, backoff: 0, unschedulable: 0 });
  });

  it('forgets deleted pods wherever they are, and close() ends a waiting pop', async () => {
    const { q } = setup();
    const a = makePod('a');
    q.add(a);
    q.delete(a);
    expect(q.lengths.active).toBe(0);
    const waiting = q.pop();
    q.close();
    expect(await waiting).toBeUndefined();
  });
});
