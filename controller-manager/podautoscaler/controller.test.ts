import { afterEach, describe, expect, it, vi } from 'vitest';
import { Resync, syncPeriodSeconds } from './controller.js';

describe('HPA sync period', () => {
  it('is 15 s unless SKIFF_HPA_SYNC_PERIOD_SECONDS gives a positive number', () => {
    expect(syncPeriodSeconds({})).toBe(15);
    expect(syncPeriodSeconds({ SKIFF_HPA_SYNC_PERIOD_SECONDS: '1' })).toBe(1);
    expect(syncPeriodSeconds({ SKIFF_HPA_SYNC_PERIOD_SECONDS: '0.5' })).toBe(0.5);
    expect(syncPeriodSeconds({ SKIFF_HPA_SYNC_PERIOD_SECONDS: '0' })).toBe(15);
    expect(syncPeriodSeconds({ SKIFF_HPA_SYNC_PERIOD_SECONDS: 'soon' })).toBe(15);
  });
});

describe('Resync', () => {
  afterEach(() => vi.useRealTimers());

  it('runs each key once per period however often it is asked, and not after a cancel', () => {
    vi.useFakeTimers();
    const ran: string[] = [];
    const r = new Resync(15_000, (k) => ran.push(k));
    r.after('ns/a');
    vi.advanceTimersByTime(5_000);
    r.after('ns/a'); // an update event while one is pending: no second sync
    r.after('ns/b');
    vi.advanceTimersByTime(10_000);
    expect(ran).toEqual(['ns/a']);
    r.cancel('ns/b');
    vi.advanceTimersByTime(20_000);
    expect(ran).toEqual(['ns/a']);
    r.after('ns/a');
    vi.advanceTimersByTime(15_000);
    expect(ran).toEqual(['ns/a', 'ns/a']);
    r.stop();
  });
});
