// Job conditions (pkg/controller/job's condition helpers). Since Kubernetes 1.31 a Job
// that meets its end first gets an interim condition — SuccessCriteriaMet or FailureTarget —
// and the terminal Complete or Failed only once none of its pods is still running or
// terminating and every finished pod has been counted.
import type { KubeObject } from '../../shared/types.js';

export interface JobCondition {
  type: 'Complete' | 'Failed' | 'Suspended' | 'FailureTarget' | 'SuccessCriteriaMet';
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export const REASON = {
  BackoffLimitExceeded: 'BackoffLimitExceeded',
  DeadlineExceeded: 'DeadlineExceeded',
  CompletionsReached: 'CompletionsReached',
} as const;

export function ts(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newCondition(type: JobCondition['type'], status: JobCondition['status'], reason: string, message: string, now: Date): JobCondition {
  return { type, status, reason, message, lastProbeTime: ts(now), lastTransitionTime: ts(now) };
}

export function findCondition(job: KubeObject, type: JobCondition['type']): JobCondition | undefined {
  return (job.status?.conditions as JobCondition[] | undefined)?.find((c) => c.type === type);
}

/** Complete=True or Failed=True: nothing more to do (util.IsJobFinished). */
export function isJobFinished(job: KubeObject): boolean {
  return ((job.status?.conditions ?? []) as JobCondition[]).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/**
 * ensureJobConditionStatus: sets a condition's status, reason and message, keeping its
 * transition time unless the status changes. A condition that does not exist yet is added
 * only with status True. Returns the new list and whether anything changed.
 */
export function ensureCondition(list: JobCondition[] | undefined, c: JobCondition): { conditions: JobCondition[]; changed: boolean } {
  const conditions = [...(list ?? [])];
  const i = conditions.findIndex((x) => x.type === c.type);
  if (i < 0) {
    if (c.status !== 'True') return { conditions, changed: false };
    conditions.push(c);
    return { conditions, changed: true };
  }
  const cur = conditions[i]!;
  if (cur.status === c.status && cur.reason === c.reason && cur.message === c.message) return { conditions, changed: false };
  conditions[i] = cur.status === c.status ? { ...cur, reason: c.reason, message: c.message, lastProbeTime: c.lastProbeTime } : c;
  return { conditions, changed: true };
}
