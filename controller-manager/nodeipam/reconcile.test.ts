import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import { FakeRecorder } from '../../shared/events.js';
import type { KubeObject } from '../../shared/types.js';
import { occupyExisting, RangeAllocator, reconcileNodeCIDR } from './reconcile.js';

const node = (name: string, podCIDR?: string, rv = '1'): KubeObject => ({
  metadata: { name, resourceVersion: rv },
  spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
});

function setup(nodes: KubeObject[], clusterCIDR = '10.244.0.0/16', failures: ApiError[] = []) {
  const cache = new Map(nodes.map((n) => [n.metadata.name!, n]));
  const writes: KubeObject[] = [];
  const client = {
    async update(_r: unknown, obj: KubeObject) {
      writes.push(obj);
      const f = failures.shift();
      if (f) throw f;
      return obj;
    },
  } as unknown as Client;
  const recorder = new FakeRecorder();
  const deps = { client, recorder, log: pino({ level: 'silent' }), allocator: new RangeAllocator(clusterCIDR, 24), getNode: (n: string) => cache.get(n) };
  return { deps, cache, writes, recorder };
}

describe('reconcileNodeCIDR', () => {
  it('gives each node without a podCIDR the next free /24, skipping those nodes already have', async () => {
    const { deps, writes } = setup([node('a'), node('b', '10.244.0.0/24'), node('c')]);
    occupyExisting([...['a', 'b', 'c'].map((n) => deps.getNode(n)!)], deps);
    await reconcileNodeCIDR('a', deps);
    await reconcileNodeCIDR('b', deps);
    await reconcileNodeCIDR('c', deps);
    expect(writes.map((w) => [w.metadata.name, w.metadata.resourceVersion, w.spec.podCIDR, w.spec.podCIDRs])).toEqual([
      ['a', '1', '10.244.1.0/24', ['10.244.1.0/24']],
      ['c', '1', '10.244.2.0/24', ['10.244.2.0/24']],
    ]);
  });

  it('retries a conflict with the same subnet, never taking a second one', async () => {
    const { deps, writes } = setup([node('a'), node('b')], '10.244.0.0/16', [new ApiError(409, 'Conflict', 'stale')]);
    await expect(reconcileNodeCIDR('a', deps)).rejects.toThrow('stale');
    await reconcileNodeCIDR('a', deps);
    await reconcileNodeCIDR('b', deps);
    expect(writes.map((w) => `${w.metadata.name}=${w.spec.podCIDR}`)).toEqual(['a=10.244.0.0/24', 'a=10.244.0.0/24', 'b=10.244.1.0/24']);
  });

  it('does not write again when a stale cache still shows the node without its podCIDR', async () => {
    const { deps, writes, cache } = setup([node('a')]);
    await reconcileNodeCIDR('a', deps);
    // The informer has not yet seen the write; a second reconcile reuses the reservation.
    await reconcileNodeCIDR('a', deps);
    expect(new Set(writes.map((w) => w.spec.podCIDR))).toEqual(new Set(['10.244.0.0/24']));
    cache.set('a', node('a', '10.244.0.0/24', '2'));
    await reconcileNodeCIDR('a', deps);
    expect(writes).toHaveLength(2);
    expect(deps.allocator.cidrs.free).toBe(255);
  });

  it('releases the subnet of a deleted node for reuse', async () => {
    const { deps, cache } = setup([node('a'), node('b')], '10.0.0.0/23');
    await reconcileNodeCIDR('a', deps);
    await reconcileNodeCIDR('b', deps);
    expect(deps.allocator.cidrs.free).toBe(0);
    cache.delete('a');
    await reconcileNodeCIDR('a', deps);
    expect(deps.allocator.cidrs.free).toBe(1);
    cache.set('c', node('c'));
    await reconcileNodeCIDR('c', deps);
    expect(deps.allocator.held('c')).toBe('10.0.0.0/24');
  });

  it('adopts a podCIDR set by someone else, releasing its own reservation', async () => {
    const { deps, cache } = setup([node('a')], '10.244.0.0/16', [new ApiError(409, 'Conflict', 'stale')]);
    await expect(reconcileNodeCIDR('a', deps)).rejects.toThrow();
    cache.set('a', node('a', '10.244.9.0/24', '3'));
    await reconcileNodeCIDR('a', deps);
    expect(deps.allocator.held('a')).toBe('10.244.9.0/24');
    expect(deps.allocator.cidrs.isUsed('10.244.0.0/24')).toBe(false);
  });

  it('reports a full range with a CIDRNotAvailable event', async () => {
    const { deps, recorder } = setup([node('a'), node('b')], '10.0.0.0/24');
    await reconcileNodeCIDR('a', deps);
    await expect(reconcileNodeCIDR('b', deps)).rejects.toThrow(/no remaining CIDRs/);
    expect(recorder.events.map((e) => `${e.reason}: ${e.message}`)).toEqual(['CIDRNotAvailable: Node b status is now: CIDRNotAvailable']);
  });
});
