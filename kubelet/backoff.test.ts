import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff (flowcontrol.Backoff as the kubelet uses it)', () => {
  it('lets the first restart through, then doubles up to the max', () => {
    const b = new Backoff(10_000, 300_000);
    expect(b.inBackoffSince('k', 0, 0)).toBe(false);
    expect(b.next('k', 0)).toBe(10_000);
    expect(b.inBackoffSince('k', 1_000, 5_000)).toBe(true);
    expect(b.remaining('k', 1_000, 5_000)).toBe(6_000);
    expect(b.inBackoffSince('k', 1_000, 11_001)).toBe(false);
    const seq = [1, 2, 3, 4, 5, 6, 7].map((i) => b.next('k', 1_000 * i));
    expect(seq).toEqual([20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('starts over after 2×max without a failure (10 minutes at the defaults)', () => {
    const b = new Backoff(10_000, 300_000);
    b.next('k', 0);
    b.next('k', 1_000);
    expect(b.next('k', 1_000 + 600_001)).toBe(10_000);
  });

  it('tracks image pull back-off since the last update, and forgets a pod by prefix', () => {
    const b = new Backoff(1_000, 8_000);
    b.next('uid/c/image', 100);
    expect(b.inBackoffSinceUpdate('uid/c/image', 600)).toBe(true);
    expect(b.inBackoffSinceUpdate('uid/c/image', 1_200)).toBe(false);
    b.resetPrefix('uid/');
    expect(b.get('uid/c/image')).toBeUndefined();
  });
});
