import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseControlFile } from './control.js';
import { healthyConditions, leaseObject, nodeObject } from './node.js';

const T0 = new Date('2024-05-01T10:00:00.123Z');

describe('hollow node objects', () => {
  it('registers capacity, loopback addresses, nodeInfo and healthy conditions', () => {
    const n = nodeObject('hollow-0', { cpu: '4', memory: '8Gi', maxPods: 110 }, T0);
    expect(n.metadata.labels!['kubernetes.io/hostname']).toBe('hollow-0');
    expect(n.status.capacity).toMatchObject({ cpu: '4', memory: '8Gi', pods: '110' });
    expect(n.status.allocatable).toEqual(n.status.capacity);
    expect(n.status.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'hollow-0' },
    ]);
    expect(n.status.nodeInfo).toMatchObject({ kubeletVersion: 'v1.32.0-skiff', containerRuntimeVersion: 'hollow://0', kernelVersion: release(), operatingSystem: 'linux' });
    expect(n.status.conditions.map((c: { type: string; status: string; reason: string }) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'MemoryPressure=False/KubeletHasSufficientMemory',
      'DiskPressure=False/KubeletHasNoDiskPressure',
      'PIDPressure=False/KubeletHasSufficientPID',
      'Ready=True/KubeletReady',
    ]);
  });

  it('moves a condition transition time only when its status changes', () => {
    const later = new Date('2024-05-01T10:01:00Z');
    const prev = [
      { type: 'Ready', status: 'Unknown', lastTransitionTime: '2024-05-01T09:00:00Z' },
      { type: 'MemoryPressure', status: 'False', lastTransitionTime: '2024-05-01T09:00:00Z' },
    ];
    const c = healthyConditions(later, prev);
    expect(c.find((x) => x.type === 'Ready')).toMatchObject({ lastHeartbeatTime: '2024-05-01T10:01:00Z', lastTransitionTime: '2024-05-01T10:01:00Z' });
    expect(c.find((x) => x.type === 'MemoryPressure')!.lastTransitionTime).toBe('2024-05-01T09:00:00Z');
  });

  it('holds its Lease in kube-node-lease, owned by the Node', () => {
    const l = leaseObject({ metadata: { name: 'hollow-0', uid: 'node-uid' } }, 40, T0);
    expect(l).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'hollow-0', namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'hollow-0', uid: 'node-uid' }] },
      spec: { holderIdentity: 'hollow-0', leaseDurationSeconds: 40, renewTime: '2024-05-01T10:00:00.123000Z' },
    });
  });
});

describe('parseControlFile', () => {
  it('reads node names, * for all, ignoring blanks and comments', () => {
    expect(parseControlFile('hollow-1\n\n# a comment\n  hollow-2  # why\n', ['hollow-0', 'hollow-1', 'hollow-2'])).toEqual(new Set(['hollow-1', 'hollow-2']));
    expect(parseControlFile('*\n', ['a', 'b'])).toEqual(new Set(['a', 'b']));
    expect(parseControlFile('', ['a'])).toEqual(new Set());
  });
});
