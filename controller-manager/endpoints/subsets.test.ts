import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/types.js';
import { type EndpointAddress, findPort, repackSubsets, shouldPodBeInEndpoints, truncateSubsets } from './subsets.js';

const addr = (ip: string, uid = `uid-${ip}`): EndpointAddress => ({ ip, targetRef: { kind: 'Pod', namespace: 'ns', name: `p-${ip}`, uid } });
const port = (p: number, name = 'http') => ({ name, port: p, protocol: 'TCP' });

describe('repackSubsets', () => {
  it('merges per-pod subsets that share ports into one, addresses sorted', () => {
    const out = repackSubsets([
      { addresses: [addr('10.0.0.3')], ports: [port(80)] },
      { addresses: [addr('10.0.0.1')], ports: [port(80)] },
      { notReadyAddresses: [addr('10.0.0.2')], ports: [port(80)] },
    ]);
    expect(out).toEqual([{ addresses: [addr('10.0.0.1'), addr('10.0.0.3')], notReadyAddresses: [addr('10.0.0.2')], ports: [port(80)] }]);
  });

  it('groups the ports an address set offers together', () => {
    const out = repackSubsets([
      { addresses: [addr('10.0.0.1')], ports: [port(80, 'http')] },
      { addresses: [addr('10.0.0.1')], ports: [port(443, 'https')] },
      { addresses: [addr('10.0.0.2')], ports: [port(80, 'http')] },
      { addresses: [addr('10.0.0.2')], ports: [port(443, 'https')] },
    ]);
    expect(out).toEqual([{ addresses: [addr('10.0.0.1'), addr('10.0.0.2')], ports: [port(80, 'http'), port(443, 'https')] }]);
  });

  it('splits pods whose named port resolves to different numbers', () => {
    const out = repackSubsets([
      { addresses: [addr('10.0.0.1')], ports: [port(8080)] },
      { addresses: [addr('10.0.0.2')], ports: [port(9090)] },
    ]);
    expect(out).toEqual([
      { addresses: [addr('10.0.0.1')], ports: [port(8080)] },
      { addresses: [addr('10.0.0.2')], ports: [port(9090)] },
    ]);
  });

  it('lets not-ready trump ready for an address seen twice on a port', () => {
    const out = repackSubsets([
      { addresses: [addr('10.0.0.1')], ports: [port(80)] },
      { notReadyAddresses: [addr('10.0.0.1')], ports: [port(80)] },
    ]);
    expect(out).toEqual([{ notReadyAddresses: [addr('10.0.0.1')], ports: [port(80)] }]);
  });

  it('keeps port-less subsets (headless services without ports)', () => {
    expect(repackSubsets([{ addresses: [addr('10.0.0.2')] }, { addresses: [addr('10.0.0.1')] }])).toEqual([{ addresses: [addr('10.0.0.1'), addr('10.0.0.2')] }]);
  });

  it('is independent of input order', () => {
    const a = [
      { addresses: [addr('10.0.0.1')], ports: [port(8080)] },
      { notReadyAddresses: [addr('10.0.0.9')], ports: [port(8080)] },
      { addresses: [addr('10.0.0.2')], ports: [port(9090)] },
    ];
    expect(repackSubsets(structuredClone(a))).toEqual(repackSubsets(structuredClone(a).reverse()));
  });
});

describe('findPort', () => {
  const pod = {
    metadata: { name: 'p' },
    spec: {
      containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }],
      initContainers: [{ name: 'sidecar', restartPolicy: 'Always', ports: [{ name: 'metrics', containerPort: 9100 }] }],
    },
  } as KubeObject;
  it.each([
    [{ port: 80, targetPort: 9376 }, 9376],
    [{ port: 80 }, 80],
    [{ port: 80, targetPort: 'http' }, 8080],
    [{ port: 53, targetPort: 'dns', protocol: 'UDP' }, 53],
    [{ port: 53, targetPort: 'dns', protocol: 'TCP' }, undefined],
    [{ port: 80, targetPort: 'metrics' }, 9100],
    [{ port: 80, targetPort: 'nope' }, undefined],
  ])('%j → %s', (svcPort, want) => {
    expect(findPort(pod, svcPort)).toBe(want);
  });
});

describe('shouldPodBeInEndpoints', () => {
  const base = { metadata: { name: 'p' }, status: { phase: 'Running', podIP: '10.0.0.1' } } as KubeObject;
  it('needs an IP, a non-terminal phase, and no deletion unless terminating ones are wanted', () => {
    expect(shouldPodBeInEndpoints(base, false)).toBe(true);
    expect(shouldPodBeInEndpoints({ ...base, status: { phase: 'Pending' } }, false)).toBe(false);
    expect(shouldPodBeInEndpoints({ ...base, status: { ...base.status, phase: 'Succeeded' } }, true)).toBe(false);
    const deleting = { ...base, metadata: { ...base.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } };
    expect(shouldPodBeInEndpoints(deleting, false)).toBe(false);
    expect(shouldPodBeInEndpoints(deleting, true)).toBe(true);
  });
});

describe('truncateSubsets', () => {
  it('keeps ready addresses first and cuts not-ready ones to the capacity', () => {
    const ready = Array.from({ length: 6 }, (_, i) => addr(`10.0.0.${i}`));
    const notReady = Array.from({ length: 6 }, (_, i) => addr(`10.0.1.${i}`));
    const subsets = [{ addresses: ready, notReadyAddresses: notReady, ports: [port(80)] }];
    expect(truncateSubsets(subsets, 8)).toBe(true);
    expect(subsets[0]!.addresses).toHaveLength(6);
    expect(subsets[0]!.notReadyAddresses).toHaveLength(2);
    expect(truncateSubsets(subsets, 8)).toBe(false);
  });

  it('drops not-ready addresses when ready ones alone overflow', () => {
    const subsets = [
      { addresses: Array.from({ length: 6 }, (_, i) => addr(`10.0.0.${i}`)), notReadyAddresses: [addr('10.0.9.9')] },
      { addresses: Array.from({ length: 4 }, (_, i) => addr(`10.0.1.${i}`)) },
    ];
    expect(truncateSubsets(subsets, 5)).toBe(true);
    expect(subsets.map((s) => s.addresses?.length ?? 0)).toEqual([3, 2]);
    expect(subsets[0]!.notReadyAddresses).toBeUndefined();
  });
});
