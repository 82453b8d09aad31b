import { describe, expect, it } from 'vitest';
import { nodeConditions, nodeStatus, statusChanged, type NodeFacts } from './node-status.js';

const facts: NodeFacts = {
  cpuCores: 8,
  memoryBytes: 16 * 1024 ** 3,
  memoryAvailableBytes: 8 * 1024 ** 3,
  diskAvailableFraction: 0.5,
  pids: 300,
  pidMax: 4194304,
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  kernelVersion: '6.1.0',
  runtimeVersion: 'docker://20.10.24',
};
const t0 = new Date('2025-01-01T00:00:00Z');
const t1 = new Date('2025-01-01T00:01:00Z');

describe('node status', () => {
  it('reports capacity, addresses and nodeInfo from the facts', () => {
    const s = nodeStatus({ name: 'n1', nodeIP: '127.0.0.1', maxPods: 110 }, facts, t0);
    expect(s.capacity).toEqual({ cpu: '8', memory: `${16 * 1024 * 1024}Ki`, pods: '110' });
    expect(s.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'n1' },
    ]);
    expect(s.nodeInfo).toMatchObject({ containerRuntimeVersion: 'docker://20.10.24', osImage: facts.osImage, kernelVersion: '6.1.0' });
  });

  it('derives conditions and keeps transition times; a runtime outage makes the node NotReady', () => {
    const c0 = nodeConditions(facts, t0) as { type: string; status: string; lastTransitionTime: string; message: string }[];
    expect(Object.fromEntries(c0.map((c) => [c.type, c.status]))).toEqual({ MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False', Ready: 'True' });
    const c1 = nodeConditions({ ...facts, runtimeError: 'container runtime is down: ECONNREFUSED', diskAvailableFraction: 0.05 }, t1, c0) as typeof c0;
    const ready = c1.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'KubeletNotReady', lastTransitionTime: '2025-01-01T00:01:00Z' });
    expect(c1.find((c) => c.type === 'DiskPressure')!.status).toBe('True');
    expect(c1.find((c) => c.type === 'MemoryPressure')!.lastTransitionTime).toBe('2025-01-01T00:00:00Z');
  });

  it('sees a change in conditions but not in heartbeat times', () => {
    const cfg = { name: 'n1', nodeIP: '127.0.0.1', maxPods: 110 };
    const a = nodeStatus(cfg, facts, t0);
    expect(statusChanged(nodeStatus(cfg, facts, t1, a.conditions), a)).toBe(false);
    expect(statusChanged(nodeStatus(cfg, { ...facts, runtimeError: 'down' }, t1, a.conditions), a)).toBe(true);
  });
});
