import { describe, expect, it } from 'vitest';
import { CidrSet, CidrSetError, parseCIDR } from './cidrset.js';

describe('CidrSet', () => {
  it('hands out the /24s of 10.244.0.0/16 in order', () => {
    const s = new CidrSet('10.244.0.0/16', 24);
    expect(s.size).toBe(256);
    expect([s.allocateNext(), s.allocateNext(), s.allocateNext()]).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
    expect(s.free).toBe(253);
  });

  it('skips occupied subnets and reuses released ones after wrapping', () => {
    const s = new CidrSet('10.0.0.0/22', 24);
    s.occupy('10.0.1.0/24');
    expect(s.allocateNext()).toBe('10.0.0.0/24');
    expect(s.allocateNext()).toBe('10.0.2.0/24');
    s.release('10.0.0.0/24');
    expect(s.allocateNext()).toBe('10.0.3.0/24');
    expect(s.allocateNext()).toBe('10.0.0.0/24');
    expect(() => s.allocateNext()).toThrow(CidrSetError);
    try {
      s.allocateNext();
    } catch (err) {
      expect((err as CidrSetError).code).toBe('RangeFull');
    }
  });

  it('occupies every subnet a larger CIDR covers', () => {
    const s = new CidrSet('10.0.0.0/22', 24);
    s.occupy('10.0.2.0/23');
    expect(s.isUsed('10.0.2.0/24')).toBe(true);
    expect(s.isUsed('10.0.3.0/24')).toBe(true);
    expect(s.free).toBe(2);
  });

  it('refuses CIDRs outside the cluster range and bad mask sizes', () => {
    const s = new CidrSet('10.244.0.0/16', 24);
    expect(() => s.occupy('10.245.0.0/24')).toThrow(/outside the cluster CIDR/);
    expect(() => new CidrSet('10.244.0.0/16', 8)).toThrow(/does not fit/);
    expect(() => parseCIDR('10.244.0.0')).toThrow(/invalid CIDR/);
    expect(parseCIDR('10.244.7.9/16')).toEqual({ base: parseCIDR('10.244.0.0/16').base, prefix: 16 });
  });
});
