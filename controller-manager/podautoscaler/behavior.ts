// Scaling behavior (upstream horizontal.go, normalizeDesiredReplicasWithBehaviors): the
// stabilization window (scale down to the highest recommendation of the last
// scaleDown.stabilizationWindowSeconds, default 300 s; scale up to the lowest of the last
// scaleUp window, default 0) and the rate policies (default scale-up: the larger of +4 pods
// and +100% per 15 s; scale-down: −100% per 15 s), then min/max clamping. It keeps, per
// HPA, the recent recommendations and the scale events of the longest policy period, in
// memory as upstream does: a restarted controller-manager starts them afresh.
export interface HPAScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface HPAScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: HPAScalingPolicy[];
}

export interface HPABehavior {
  scaleUp: HPAScalingRules;
  scaleDown: HPAScalingRules;
}

interface PartialRules {
  stabilizationWindowSeconds?: number | null;
  selectPolicy?: string | null;
  policies?: HPAScalingPolicy[] | null;
}

const rules = (r: PartialRules | undefined | null, window: number, policies: HPAScalingPolicy[]): HPAScalingRules => ({
  stabilizationWindowSeconds: typeof r?.stabilizationWindowSeconds === 'number' ? r.stabilizationWindowSeconds : window,
  selectPolicy: r?.selectPolicy === 'Min' || r?.selectPolicy === 'Disabled' ? r.selectPolicy : 'Max',
  policies: r?.policies && r.policies.length > 0 ? r.policies : policies,
});

/**
 * The HPA's behavior with upstream's defaults (GenerateHPAScaleUpRules / ScaleDownRules)
 * filled in, a missing scale-down window taking the controller's downscale stabilization
 * window (maybeInitScaleDownStabilizationWindow). Never mutates its input.
 */
export function withDefaults(behavior: { scaleUp?: PartialRules | null; scaleDown?: PartialRules | null } | undefined | null, downscaleStabilizationWindowSeconds: number): HPABehavior {
  return {
    scaleUp: rules(behavior?.scaleUp, 0, [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ]),
    scaleDown: rules(behavior?.scaleDown, downscaleStabilizationWindowSeconds, [{ type: 'Percent', value: 100, periodSeconds: 15 }]),
  };
}

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

interface Recommendation {
  recommendation: number;
  at: number;
}

interface ScaleEvent {
  replicaChange: number;
  at: number;
  outdated: boolean;
}

export interface Normalized {
  desiredReplicas: number;
  /** The AbleToScale=True reason and message (ScaleUpStabilized, ScaleDownStabilized, ReadyForNewScale). */
  ableToScale: { reason: string; message: string };
  /** The ScalingLimited condition. */
  scalingLimited: { status: 'True' | 'False'; reason: string; message: string };
}

export interface NormalizationArgs {
  key: string;
  behavior: HPABehavior;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number;
  desiredReplicas: number;
}

export class ScalingHistory {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly scaleUpEvents = new Map<string, ScaleEvent[]>();
  private readonly scaleDownEvents = new Map<string, ScaleEvent[]>();

  constructor(private readonly now: () => Date) {}

  /** The first recommendation of an HPA is its current scale. */
  recordInitialRecommendation(key: string, currentReplicas: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ recommendation: currentReplicas, at: this.now().getTime() }]);
  }

  forget(key: string): void {
    this.recommendations.delete(key);
    this.scaleUpEvents.delete(key);
    this.scaleDownEvents.delete(key);
  }

  normalize(a: NormalizationArgs): Normalized {
    const stabilized = this.stabilize(a);
    const ableToScale =
      stabilized.recommendation !== a.desiredReplicas
        ? { reason: stabilized.reason, message: stabilized.message }
        : { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
    const limited = this.convertWithRate({ ...a, desiredReplicas: stabilized.recommendation });
    const status = limited.desiredReplicas === stabilized.recommendation ? 'False' : 'True';
    return { desiredReplicas: limited.desiredReplicas, ableToScale, scalingLimited: { status, reason: limited.reason, message: limited.message } };
  }

  /**
   * stabilizeRecommendationWithBehaviors: the current scale brought within the lowest
   * recommendation of the scale-up window and the highest of the scale-down window (this
   * one included); records this recommendation, reusing the slot of one older than both.
   */
  private stabilize(a: NormalizationArgs): { recommendation: number; reason: string; message: string } {
    const now = this.now().getTime();
    const upCutoff = now - a.behavior.scaleUp.stabilizationWindowSeconds * 1000;
    const downCutoff = now - a.behavior.scaleDown.stabilizationWindowSeconds * 1000;
    const recs = this.recommendations.get(a.key) ?? [];
    let upRecommendation = a.desiredReplicas;
    let downRecommendation = a.desiredReplicas;
    let oldIndex = -1;
    recs.forEach((rec, i) => {
      if (rec.at > upCutoff) upRecommendation = Math.min(rec.recommendation, upRecommendation);
      if (rec.at > downCutoff) downRecommendation = Math.max(rec.recommendation, downRecommendation);
      if (rec.at < upCutoff && rec.at < downCutoff) oldIndex = i;
    });
    let recommendation = a.currentReplicas;
    if (recommendation < upRecommendation) recommendation = upRecommendation;
    if (recommendation > downRecommendation) recommendation = downRecommendation;
    const fresh = { recommendation: a.desiredReplicas, at: now };
    const next = [...recs];
    if (oldIndex >= 0) next[oldIndex] = fresh;
    else next.push(fresh);
    this.recommendations.set(a.key, next);
    return a.desiredReplicas >= a.currentReplicas
      ? { recommendation, reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
      : { recommendation, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
  }

  /** convertDesiredReplicasWithBehaviorRate: the rate policies, then minReplicas/maxReplicas. */
  private convertWithRate(a: NormalizationArgs): { desiredReplicas: number; reason: string; message: string } {
    const ups = this.scaleUpEvents.get(a.key) ?? [];
    const downs = this.scaleDownEvents.get(a.key) ?? [];
    if (a.desiredReplicas > a.currentReplicas) {
      // Until the recent scale-ups age out, never below the current scale.
      const limit = Math.max(a.currentReplicas, this.scaleUpLimit(a.currentReplicas, ups, downs, a.behavior.scaleUp));
      const [maximum, reason, message] =
        a.maxReplicas > limit
          ? [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
          : [a.maxReplicas, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
      if (a.desiredReplicas > maximum) return { desiredReplicas: maximum, reason, message };
    } else if (a.desiredReplicas < a.currentReplicas) {
      const limit = Math.min(a.currentReplicas, this.scaleDownLimit(a.currentReplicas, ups, downs, a.behavior.scaleDown));
      const [minimum, reason, message] =
        a.minReplicas < limit
          ? [limit, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate']
          : [a.minReplicas, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
      if (a.desiredReplicas < minimum) return { desiredReplicas: minimum, reason, message };
    }
    return { desiredReplicas: a.desiredReplicas, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  }

  /** The replicas added (or removed) within the last `periodSeconds`. */
  private changeInPeriod(periodSeconds: number, events: ScaleEvent[]): number {
    const cutoff = this.now().getTime() - periodSeconds * 1000;
    return events.reduce((n, e) => (e.at > cutoff ? n + e.replicaChange : n), 0);
  }

  /** The scale at the start of a policy's period: the changes made within it undone. */
  private periodStart(current: number, p: HPAScalingPolicy, ups: ScaleEvent[], downs: ScaleEvent[]): number {
    return current - this.changeInPeriod(p.periodSeconds, ups) + this.changeInPeriod(p.periodSeconds, downs);
  }

  /** calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now. */
  private scaleUpLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], r: HPAScalingRules): number {
    if (r.selectPolicy === 'Disabled') return current;
    const min = r.selectPolicy === 'Min';
    let result = min ? INT32_MAX : INT32_MIN;
    for (const p of r.policies) {
      const start = this.periodStart(current, p, ups, downs);
      // Rounded up, or a small percentage would never add a pod.
      const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
      result = min ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return result;
  }

  /** calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now. */
  private scaleDownLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], r: HPAScalingRules): number {
    if (r.selectPolicy === 'Disabled') return current;
    const min = r.selectPolicy === 'Min';
    let result = min ? INT32_MIN : INT32_MAX;
    for (const p of r.policies) {
      const start = this.periodStart(current, p, ups, downs);
      const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
      result = min ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  /** storeScaleEvent: remembers a rescale, reusing the slot of one older than the longest policy period. */
  storeScaleEvent(key: string, behavior: HPABehavior, prevReplicas: number, newReplicas: number): void {
    const up = newReplicas > prevReplicas;
    const store = up ? this.scaleUpEvents : this.scaleDownEvents;
    const r = up ? behavior.scaleUp : behavior.scaleDown;
    const now = this.now().getTime();
    const longest = r.policies.reduce((m, p) => Math.max(m, p.periodSeconds), 0);
    const events = (store.get(key) ?? []).map((e) => (e.at < now - longest * 1000 ? { ...e, outdated: true } : e));
    const fresh: ScaleEvent = { replicaChange: up ? newReplicas - prevReplicas : prevReplicas - newReplicas, at: now, outdated: false };
    let slot = -1;
    events.forEach((e, i) => {
      if (e.outdated) slot = i;
    });
    if (slot >= 0) events[slot] = fresh;
    else events.push(fresh);
    store.set(key, events);
  }
}
