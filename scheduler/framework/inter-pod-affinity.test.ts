import { describe, expect, it } from 'vitest';
import { makeNode, makePod, nodeInfo, podInfo } from '../testing.js';
import { interPodAffinity } from './inter-pod-affinity.js';
import { CycleState } from './types.js';

const antiAffinity = (labelSelector: unknown, extra: Record<string, unknown> = {}) => ({
  affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector, topologyKey: 'kubernetes.io/hostname', ...extra }] } },
});

function run(pod: ReturnType<typeof podInfo>, nodes: ReturnType<typeof nodeInfo>[]) {
  const state = new CycleState();
  interPodAffinity.preFilter!(state, pod, nodes);
  return nodes.map((n) => interPodAffinity.filter(state, pod, n)?.reasons[0]);
}

describe('InterPodAffinity (required anti-affinity)', () => {
  const web = (name: string, node: string, ns = 'default') => makePod(name, { nodeName: node, namespace: ns, labels: { app: 'web' } });

  it.each<[string, unknown, Record<string, unknown>, string, (string | undefined)[]]>([
    ['keeps off the node with a matching pod', { matchLabels: { app: 'web' } }, {}, 'default', ["node(s) didn't match pod anti-affinity rules", undefined]],
    ['ignores pods the selector does not match', { matchLabels: { app: 'db' } }, {}, 'default', [undefined, undefined]],
    ['looks only in its own namespace by default', { matchLabels: { app: 'web' } }, {}, 'other', [undefined, undefined]],
    ['looks in the namespaces it names', { matchLabels: { app: 'web' } }, { namespaces: ['other'] }, 'other', ["node(s) didn't match pod anti-affinity rules", undefined]],
    ['an empty namespaceSelector means every namespace', { matchLabels: { app: 'web' } }, { namespaceSelector: {} }, 'other', ["node(s) didn't match pod anti-affinity rules", undefined]],
    ['an empty labelSelector selects every pod', {}, {}, 'default', ["node(s) didn't match pod anti-affinity rules", undefined]],
    ['a missing labelSelector selects none', undefined, {}, 'default', [undefined, undefined]],
  ])('%s', (_name, selector, extra, ns, want) => {
    const nodes = [nodeInfo(makeNode('a'), [web('w', 'a', ns)]), nodeInfo(makeNode('b'))];
    expect(run(podInfo('p', { labels: { app: 'web' }, spec: antiAffinity(selector, extra) }), nodes)).toEqual(want);
  });

  it('honours the anti-affinity of pods already placed', () => {
    const guard = makePod('guard', { nodeName: 'a', spec: antiAffinity({ matchLabels: { app: 'web' } }) });
    const nodes = [nodeInfo(makeNode('a'), [guard]), nodeInfo(makeNode('b'))];
    expect(run(podInfo('p', { labels: { app: 'web' } }), nodes)).toEqual(["node(s) didn't satisfy existing pods anti-affinity rules", undefined]);
    expect(run(podInfo('q', { labels: { app: 'db' } }), nodes)).toEqual([undefined, undefined]);
  });

  it('works on any topology key the nodes carry', () => {
    const spec = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'zone' }] } } };
    const nodes = [nodeInfo(makeNode('a', { labels: { zone: 'z1' } }), [web('w', 'a')]), nodeInfo(makeNode('b', { labels: { zone: 'z1' } })), nodeInfo(makeNode('c', { labels: { zone: 'z2' } })), nodeInfo(makeNode('d'))];
    const r = run(podInfo('p', { spec }), nodes);
    expect(r).toEqual(["node(s) didn't match pod anti-affinity rules", "node(s) didn't match pod anti-affinity rules", undefined, undefined]);
  });
});
