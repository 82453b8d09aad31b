import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { fromMetaSelector, labelSelectorString, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'fe', env: 'prod' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=web,tier=fe', true],
    ['app=web,tier=be', false],
    ['env in (prod, staging)', true],
    ['env notin (prod)', false],
    ['missing notin (x)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['missing!=x', true],
  ])('%s matches %s', (sel, want) => {
    expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want);
  });

  it.each(['a=(b', '=x', '!', 'app in (', 'app in x', 'a,', 'Bad Key=x', 'a=b c', 'a=' + 'x'.repeat(64)])('rejects %s with a 400', (sel) => {
    try {
      parseLabelSelector(sel);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(400);
    }
  });

  it('round-trips metav1.LabelSelector to the string kubectl shows', () => {
    const sel = fromMetaSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] });
    expect(labelSelectorString(sel)).toBe('app=web,tier in (a,b)');
    expect(matchesLabels(sel, { app: 'web', tier: 'a' })).toBe(true);
    expect(matchesLabels(sel, { app: 'web' })).toBe(false);
  });
});

describe('field selectors', () => {
  it('parses equality, inequality and escapes', () => {
    expect(parseFieldSelector('metadata.name=x,spec.nodeName!=,involvedObject.name=a\\,b')).toEqual([
      { field: 'metadata.name', op: '=', value: 'x' },
      { field: 'spec.nodeName', op: '!=', value: '' },
      { field: 'involvedObject.name', op: '=', value: 'a,b' },
    ]);
  });
  it('matches against extracted fields', () => {
    const reqs = parseFieldSelector('status.phase=Running,spec.nodeName!=');
    expect(matchesFields(reqs, { 'status.phase': 'Running', 'spec.nodeName': 'n1' })).toBe(true);
    expect(matchesFields(reqs, { 'status.phase': 'Running', 'spec.nodeName': '' })).toBe(false);
  });
  it('rejects a term without an operator', () => {
    expect(() => parseFieldSelector('metadata.name')).toThrow(ApiError);
  });
});
