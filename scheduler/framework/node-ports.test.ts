import { describe, expect, it } from 'vitest';
import { makeNode, makePod, nodeInfo, podInfo } from '../testing.js';
import { nodePorts } from './node-ports.js';
import { CycleState } from './types.js';

type Port = { hostPort: number; hostIP?: string; protocol?: string };
const withPorts = (name: string, ports: Port[], nodeName?: string) =>
  makePod(name, { nodeName, spec: { containers: [{ name: 'c', image: 'x', ports: ports.map((p) => ({ containerPort: 1, ...p })) }] } });

describe('NodePorts', () => {
  it.each<[string, Port[], Port[], boolean]>([
    ['no host ports wanted', [{ hostPort: 80 }], [], true],
    ['a free port', [{ hostPort: 80 }], [{ hostPort: 81 }], true],
    ['the same port on 0.0.0.0', [{ hostPort: 80 }], [{ hostPort: 80 }], false],
    ['another protocol', [{ hostPort: 53 }], [{ hostPort: 53, protocol: 'UDP' }], true],
    ['two different host IPs', [{ hostPort: 80, hostIP: '127.0.0.1' }], [{ hostPort: 80, hostIP: '127.0.0.2' }], true],
    ['a specific IP against 0.0.0.0 in use', [{ hostPort: 80 }], [{ hostPort: 80, hostIP: '127.0.0.1' }], false],
    ['0.0.0.0 against a specific IP in use', [{ hostPort: 80, hostIP: '127.0.0.1' }], [{ hostPort: 80 }], false],
  ])('%s', (_name, used, wanted, fits) => {
    const node = nodeInfo(makeNode('n'), [withPorts('existing', used, 'n')]);
    const pod = podInfo('x', { spec: withPorts('p', wanted).spec as Record<string, unknown> });
    const s = nodePorts.filter(new CycleState(), pod, node);
    expect(s === undefined).toBe(fits);
    if (s) expect(s.reasons).toEqual(["node(s) didn't have free ports for the requested pod ports"]);
  });

  it('frees the port when the pod using it goes', () => {
    const existing = withPorts('existing', [{ hostPort: 80 }], 'n');
    const node = nodeInfo(makeNode('n'), [existing]);
    const pod = podInfo('p', { hostPort: 80 });
    expect(nodePorts.filter(new CycleState(), pod, node)).toBeDefined();
    node.removePod(existing.metadata.uid!);
    expect(nodePorts.filter(new CycleState(), pod, node)).toBeUndefined();
  });
});
