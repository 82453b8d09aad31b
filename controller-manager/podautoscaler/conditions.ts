// The HPA's status conditions (AbleToScale, ScalingActive, ScalingLimited), set as
// upstream's setCondition does: the transition time moves only when the status changes.
export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface HPACondition {
  type: string;
  status: ConditionStatus;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** metav1.Time: RFC 3339 in whole seconds. */
export const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The list with `c` set (added at the end when absent), as a new array; the input is not touched. */
export function setCondition(list: HPACondition[] | undefined, c: Condition, now: Date): HPACondition[] {
  const out = [...(list ?? [])];
  const i = out.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? out[i] : undefined;
  const lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now);
  const next: HPACondition = { type: c.type, status: c.status, lastTransitionTime, reason: c.reason, message: c.message };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}
