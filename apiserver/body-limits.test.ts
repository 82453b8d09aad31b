import { describe, expect, it } from 'vitest';
import { checkNesting, checkYamlNesting, findDuplicateKey } from './body-limits.js';

describe('body limits', () => {
  it('rejects JSON nested deeper than the limit without recursion', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => checkNesting(deep)).toThrow(/nests deeper than 100/);
    expect(() => checkNesting({ a: { b: [1, { c: 2 }] } })).not.toThrow();
  });

  it('rejects deep YAML by flow brackets or block indentation', () => {
    expect(() => checkYamlNesting('['.repeat(1000) + ']'.repeat(1000))).toThrow(/nests deeper/);
    expect(() => checkYamlNesting('a:\n' + ' '.repeat(1000) + 'b: 1\n')).toThrow(/nests deeper/);
    expect(() => checkYamlNesting('- '.repeat(500) + 'x')).toThrow(/nests deeper/);
    expect(() => checkYamlNesting('a: "[[[[[[" # {{{{{\nb: [1, [2, {c: 3}]]\n')).not.toThrow();
  });

  it('finds duplicate keys within one object only', () => {
    expect(findDuplicateKey('{"metadata":{"name":"x","name":"y"}}')).toBe('name');
    expect(findDuplicateKey('{"a":{"name":1},"b":{"name":2},"c":[{"k":1},{"k":2}]}')).toBeUndefined();
    expect(findDuplicateKey('{"a":"{\\"a\\":1}","a\\u0062":1,"ab":2}')).toBe('ab');
  });
});
