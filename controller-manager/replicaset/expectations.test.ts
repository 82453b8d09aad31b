import { describe, expect, it } from 'vitest';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS, UIDTrackingControllerExpectations } from './expectations.js';
import { FakeClock } from './fakes.js';

describe('ControllerExpectations', () => {
  it('is satisfied with no expectations, waits for observations, and expires after 5 minutes', () => {
    const clock = new FakeClock();
    const e = new ControllerExpectations(clock.now);
    expect(e.satisfied('ns/a')).toBe(true);
    e.expectCreations('ns/a', 2);
    expect(e.satisfied('ns/a')).toBe(false);
    e.creationObserved('ns/a');
    expect(e.satisfied('ns/a')).toBe(false);
    clock.advance(EXPECTATIONS_TIMEOUT_MS + 1);
    expect(e.satisfied('ns/a')).toBe(true);
    e.expectDeletions('ns/a', 1);
    expect(e.satisfied('ns/a')).toBe(false);
    e.deletionObserved('ns/a');
    expect(e.satisfied('ns/a')).toBe(true);
    e.delete('ns/a');
    expect(e.get('ns/a')).toBeUndefined();
  });

  it('observations of a key without expectations change nothing', () => {
    const e = new ControllerExpectations();
    e.creationObserved('ns/x');
    expect(e.get('ns/x')).toBeUndefined();
  });
});

describe('UIDTrackingControllerExpectations', () => {
  it('counts each expected deletion once and ignores unexpected ones', () => {
    const e = new UIDTrackingControllerExpectations();
    e.expectDeletions('ns/rs', ['ns/p1', 'ns/p2']);
    e.deletionObserved('ns/rs', 'ns/p1');
    e.deletionObserved('ns/rs', 'ns/p1');
    e.deletionObserved('ns/rs', 'ns/other');
    expect(e.get('ns/rs')?.del).toBe(1);
    expect([...e.pendingDeletions('ns/rs')]).toEqual(['ns/p2']);
    e.deletionObserved('ns/rs', 'ns/p2');
    expect(e.satisfied('ns/rs')).toBe(true);
  });
});
