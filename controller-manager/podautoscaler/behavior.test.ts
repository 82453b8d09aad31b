import { describe, expect, it } from 'vitest';
import { type HPABehavior, ScalingHistory, withDefaults } from './behavior.js';

function clock(start = Date.parse('2024-05-01T12:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (s: number) => (t += s * 1000) };
}

const DEFAULTS = withDefaults(undefined, 300);

/** One sync: normalize, then record the rescale as the controller does. */
function sync(h: ScalingHistory, behavior: HPABehavior, current: number, desired: number, min = 1, max = 100) {
  const n = h.normalize({ key: 'ns/hpa', behavior, minReplicas: min, maxReplicas: max, currentReplicas: current, desiredReplicas: desired });
  if (n.desiredReplicas !== current) h.storeScaleEvent('ns/hpa', behavior, current, n.desiredReplicas);
  return n;
}

describe('withDefaults (GenerateHPAScaleUpRules / ScaleDownRules)', () => {
  it('fills in upstream default behavior', () => {
    expect(DEFAULTS).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
  });
  it('keeps what the user set and fills the rest, without touching the input', () => {
    const spec = { scaleDown: { stabilizationWindowSeconds: 2 }, scaleUp: { selectPolicy: 'Min', policies: [{ type: 'Pods' as const, value: 1, periodSeconds: 60 }] } };
    const b = withDefaults(spec, 300);
    expect(b.scaleDown).toEqual({ stabilizationWindowSeconds: 2, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    expect(b.scaleUp).toEqual({ stabilizationWindowSeconds: 0, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] });
    expect(spec.scaleDown).toEqual({ stabilizationWindowSeconds: 2 });
  });
  it('takes the controller window for a scale-down without one', () => expect(withDefaults({ scaleDown: {} }, 120).scaleDown.stabilizationWindowSeconds).toBe(120));
});

describe('scale-up rate (default: the larger of +4 pods and +100% per 15 s)', () => {
  it('limits 1 → 5, holds while the last scale-up is within the period, then doubles', () => {
    const c = clock();
    const h = new ScalingHistory(c.now);
    h.recordInitialRecommendation('ns/hpa', 1);
    const first = sync(h, DEFAULTS, 1, 20);
    expect(first.desiredReplicas).toBe(5);
    expect(first.scalingLimited).toMatchObject({ status: 'True', reason: 'ScaleUpLimit' });
    c.advance(10);
    // The period began at 1 replica: max(1+4, 2) = 5 already reached.
    expect(sync(h, DEFAULTS, 5, 20).desiredReplicas).toBe(5);
    c.advance(6);
    expect(sync(h, DEFAULTS, 5, 20).desiredReplicas).toBe(10);
  });

  it('caps at maxReplicas with TooManyReplicas', () => {
    const h = new ScalingHistory(clock().now);
    const n = sync(h, DEFAULTS, 4, 20, 1, 6);
    expect(n.desiredReplicas).toBe(6);
    expect(n.scalingLimited).toEqual({ status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
  });

  it('a Min policy takes the smaller change; Disabled never scales up', () => {
    const h = new ScalingHistory(clock().now);
    const min = withDefaults({ scaleUp: { selectPolicy: 'Min' } }, 300);
    expect(sync(h, min, 10, 100).desiredReplicas).toBe(14);
    const off = withDefaults({ scaleUp: { selectPolicy: 'Disabled' } }, 300);
    expect(sync(new ScalingHistory(clock().now), off, 3, 10).desiredReplicas).toBe(3);
  });

  it('reports DesiredWithinRange when nothing limits', () => {
    const n = sync(new ScalingHistory(clock().now), DEFAULTS, 3, 5);
    expect(n).toMatchObject({ desiredReplicas: 5, ableToScale: { reason: 'ReadyForNewScale' }, scalingLimited: { status: 'False', reason: 'DesiredWithinRange' } });
  });
});

describe('scale-down stabilization window', () => {
  it('keeps the highest recommendation of the window (default 300 s), then scales down', () => {
    const c = clock();
    const h = new ScalingHistory(c.now);
    h.recordInitialRecommendation('ns/hpa', 5);
    c.advance(15);
    const held = sync(h, DEFAULTS, 5, 2);
    expect(held.desiredReplicas).toBe(5);
    expect(held.ableToScale).toEqual({ reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
    c.advance(200);
    expect(sync(h, DEFAULTS, 5, 3).desiredReplicas).toBe(5);
    c.advance(100); // the initial 5 is now older than 300 s; 3 (100 s ago) is the highest left
    expect(sync(h, DEFAULTS, 5, 2).desiredReplicas).toBe(3);
    c.advance(301);
    expect(sync(h, DEFAULTS, 3, 2).desiredReplicas).toBe(2);
  });

  it('honours a short behavior.scaleDown.stabilizationWindowSeconds', () => {
    const c = clock();
    const h = new ScalingHistory(c.now);
    const b = withDefaults({ scaleDown: { stabilizationWindowSeconds: 2 } }, 300);
    h.recordInitialRecommendation('ns/hpa', 5);
    c.advance(1);
    expect(sync(h, b, 5, 1).desiredReplicas).toBe(5);
    c.advance(1.5);
    expect(sync(h, b, 5, 1).desiredReplicas).toBe(1);
  });

  it('a scale-up window keeps the lowest recent recommendation', () => {
    const c = clock();
    const h = new ScalingHistory(c.now);
    const b = withDefaults({ scaleUp: { stabilizationWindowSeconds: 60 } }, 300);
    h.recordInitialRecommendation('ns/hpa', 2);
    c.advance(15);
    const n = sync(h, b, 2, 6);
    expect(n.desiredReplicas).toBe(2);
    expect(n.ableToScale.reason).toBe('ScaleUpStabilized');
    c.advance(61);
    expect(sync(h, b, 2, 6).desiredReplicas).toBe(6);
  });
});

describe('scale-down rate and minReplicas', () => {
  it('a Pods policy removes at most that many per period', () => {
    const c = clock();
    const h = new ScalingHistory(c.now);
    const b = withDefaults({ scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } }, 300);
    const n = sync(h, b, 10, 1);
    expect(n).toMatchObject({ desiredReplicas: 8, scalingLimited: { status: 'True', reason: 'ScaleDownLimit' } });
    c.advance(30);
    expect(sync(h, b, 8, 1).desiredReplicas).toBe(8);
    c.advance(31);
    expect(sync(h, b, 8, 1).desiredReplicas).toBe(6);
  });

  it('stops at minReplicas with TooFewReplicas', () => {
    const b = withDefaults({ scaleDown: { stabilizationWindowSeconds: 0 } }, 300);
    const n = sync(new ScalingHistory(clock().now), b, 5, 1, 2);
    expect(n).toMatchObject({ desiredReplicas: 2, scalingLimited: { status: 'True', reason: 'TooFewReplicas' } });
  });

  it('reuses outdated scale-event slots and forgets an HPA', () => {
    const c = clock();
    const h = new ScalingHistory(c.now);
    for (let i = 0; i < 5; i++) {
      h.storeScaleEvent('ns/hpa', DEFAULTS, 1, 2);
      c.advance(10);
    }
    expect((h as unknown as { scaleUpEvents: Map<string, unknown[]> }).scaleUpEvents.get('ns/hpa')).toHaveLength(2);
    h.forget('ns/hpa');
    expect((h as unknown as { scaleUpEvents: Map<string, unknown[]> }).scaleUpEvents.has('ns/hpa')).toBe(false);
  });
});
