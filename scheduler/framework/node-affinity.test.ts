import { describe, expect, it } from 'vitest';
import { makeNode, nodeInfo, podInfo } from '../testing.js';
import { matchesRequirement, nodeAffinityFilter, nodeAffinityScore, type NodeSelectorRequirement, type NodeSelectorTerm } from './node-affinity.js';
import { CycleState } from './types.js';

describe('node selector requirements', () => {
  it.each<[string, NodeSelectorRequirement, string | undefined, boolean]>([
    ['In, present', { key: 'k', operator: 'In', values: ['a', 'b'] }, 'b', true],
    ['In, other value', { key: 'k', operator: 'In', values: ['a'] }, 'c', false],
    ['In, absent', { key: 'k', operator: 'In', values: ['a'] }, undefined, false],
    ['NotIn, other value', { key: 'k', operator: 'NotIn', values: ['a'] }, 'c', true],
    ['NotIn, listed value', { key: 'k', operator: 'NotIn', values: ['a'] }, 'a', false],
    ['NotIn, absent', { key: 'k', operator: 'NotIn', values: ['a'] }, undefined, true],
    ['Exists, present', { key: 'k', operator: 'Exists' }, '', true],
    ['Exists, absent', { key: 'k', operator: 'Exists' }, undefined, false],
    ['DoesNotExist, absent', { key: 'k', operator: 'DoesNotExist' }, undefined, true],
    ['DoesNotExist, present', { key: 'k', operator: 'DoesNotExist' }, 'x', false],
    ['Gt, greater', { key: 'k', operator: 'Gt', values: ['5'] }, '6', true],
    ['Gt, equal', { key: 'k', operator: 'Gt', values: ['5'] }, '5', false],
    ['Gt, not a number', { key: 'k', operator: 'Gt', values: ['5'] }, 'six', false],
    ['Gt, absent', { key: 'k', operator: 'Gt', values: ['5'] }, undefined, false],
    ['Lt, smaller (negative)', { key: 'k', operator: 'Lt', values: ['5'] }, '-3', true],
    ['Lt, larger', { key: 'k', operator: 'Lt', values: ['5'] }, '10', false],
    ['Lt, big integers compare exactly', { key: 'k', operator: 'Lt', values: ['9007199254740993'] }, '9007199254740992', true],
  ])('%s', (_name, r, value, want) => {
    expect(matchesRequirement(r, value !== undefined, value)).toBe(want);
  });
});

const filter = (spec: Record<string, unknown>, labels: Record<string, string>, name = 'n') =>
  nodeAffinityFilter.filter(new CycleState(), podInfo('p', { spec }), nodeInfo(makeNode(name, { labels })));
const required = (...terms: NodeSelectorTerm[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });

describe('NodeAffinity filter', () => {
  it.each<[string, Record<string, unknown>, Record<string, string>, boolean]>([
    ['no selector at all', {}, {}, true],
    ['nodeSelector matching', { nodeSelector: { disk: 'ssd' } }, { disk: 'ssd' }, true],
    ['nodeSelector with another value', { nodeSelector: { disk: 'ssd' } }, { disk: 'hdd' }, false],
    ['nodeSelector with the label missing', { nodeSelector: { disk: 'ssd' } }, {}, false],
    ['a required term matching', required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }), { zone: 'a' }, true],
    ['terms are ORed', required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }), { zone: 'b' }, true],
    ['expressions in a term are ANDed', required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gpu', operator: 'Exists' }] }), { zone: 'a' }, false],
    ['an empty term matches nothing', required({}), { zone: 'a' }, false],
    ['matchFields on metadata.name', required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }), {}, true],
    ['matchFields naming another node', required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['m'] }] }), {}, false],
    ['nodeSelector and affinity must both hold', { nodeSelector: { disk: 'ssd' }, ...required({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }) }, { zone: 'a' }, false],
  ])('%s', (_name, spec, labels, fits) => {
    const s = filter(spec, labels);
    expect(s === undefined).toBe(fits);
    if (s) expect(s).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: ["node(s) didn't match Pod's node affinity/selector"] });
  });
});

describe('NodeAffinity score', () => {
  it('sums the weights of the preferred terms a node matches, scaled to 100', () => {
    const spec = {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 20, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
            { weight: 60, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          ],
        },
      },
    };
    const pod = podInfo('p', { spec });
    const nodes = [nodeInfo(makeNode('both', { labels: { disk: 'ssd', zone: 'a' } })), nodeInfo(makeNode('ssd', { labels: { disk: 'ssd' } })), nodeInfo(makeNode('none'))];
    const state = new CycleState();
    expect(nodeAffinityScore.preScore!(state, pod, nodes)).toBe(true);
    const scores = nodes.map((n) => nodeAffinityScore.score(state, pod, n));
    expect(scores).toEqual([80, 20, 0]);
    nodeAffinityScore.normalize!(state, pod, nodes, scores);
    expect(scores).toEqual([100, 25, 0]);
  });

  it('is skipped for a pod without preferences', () => {
    expect(nodeAffinityScore.preScore!(new CycleState(), podInfo('p'), [])).toBe(false);
  });
});
