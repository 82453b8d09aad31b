import { describe, expect, it } from 'vitest';
import { HollowIPAM, PodIPRange, PodIPRangeFull } from './ipam.js';

describe('PodIPRange', () => {
  it('hands out .2 onwards in order, skipping network, gateway and broadcast, and wraps to freed ones', () => {
    const r = new PodIPRange('10.244.3.0/29');
    const got = Array.from({ length: 5 }, () => r.allocate());
    expect(got).toEqual(['10.244.3.2', '10.244.3.3', '10.244.3.4', '10.244.3.5', '10.244.3.6']);
    expect(() => r.allocate()).toThrow(PodIPRangeFull);
    r.release('10.244.3.3');
    expect(r.allocate()).toBe('10.244.3.3');
  });
});

describe('HollowIPAM', () => {
  it('allocates from the node podCIDR, or the fallback pool, and keeps a pod its IP', () => {
    const ipam = new HollowIPAM('10.255.0.0/16');
    expect(ipam.allocate('a', undefined)).toBe('10.255.0.2');
    expect(ipam.allocate('b', '10.244.1.0/24')).toBe('10.244.1.2');
    expect(ipam.allocate('b', '10.244.1.0/24')).toBe('10.244.1.2');
    expect(ipam.allocate('c', '10.244.1.0/24')).toBe('10.244.1.3');
    ipam.release('b');
    expect(ipam.holds('b')).toBe(false);
  });

  it('occupies the IPs pods already report, so they are never handed out twice', () => {
    const ipam = new HollowIPAM('10.255.0.0/16');
    ipam.occupy('x', '10.244.1.2', '10.244.1.0/24');
    ipam.occupy('y', '10.255.0.2', '10.244.1.0/24');
    expect(ipam.allocate('z', '10.244.1.0/24')).toBe('10.244.1.3');
    expect(ipam.allocate('w', undefined)).toBe('10.255.0.3');
  });
});
