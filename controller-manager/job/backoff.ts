// The delay before a Job makes a new pod after failures (pkg/controller/job/backoff_utils.go):
// 10 s after the first failure since the last success, doubling per further failure up to
// 10 minutes, measured from the last failure's finish time. Kept in memory, as upstream.
import type { KubeObject } from '../../shared/types.js';

export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

/** When a pod finished: its last container's finishedAt, else Ready=False time, else deletion, else creation. */
export function finishedTime(pod: KubeObject): number {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])] as { state?: { terminated?: { finishedAt?: string } } }[];
  let latest: number | undefined;
  for (const s of statuses) {
    const t = Date.parse(s.state?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(t) && (latest === undefined || t > latest)) latest = t;
  }
  if (latest !== undefined) return latest;
  const ready = (pod.status?.conditions ?? []).find((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'False');
  const readyAt = Date.parse(ready?.lastTransitionTime ?? '');
  if (!Number.isNaN(readyAt)) return readyAt;
  const deleted = Date.parse(pod.metadata.deletionTimestamp ?? '');
  if (!Number.isNaN(deleted)) return deleted;
  return Date.parse(pod.metadata.creationTimestamp ?? '') || 0;
}

export class BackoffStore {
  private readonly records = new Map<string, BackoffRecord>();

  /** The record after counting pods that newly finished (newBackoffRecord); not stored yet. */
  next(key: string, newSucceeded: KubeObject[], newFailed: KubeObject[]): BackoffRecord {
    const prev = this.records.get(key) ?? { failuresAfterLastSuccess: 0 };
    const failed = [...newFailed].sort((a, b) => finishedTime(a) - finishedTime(b));
    if (!newSucceeded.length) {
      if (!failed.length) return { ...prev };
      return { failuresAfterLastSuccess: prev.failuresAfterLastSuccess + failed.length, lastFailureTime: finishedTime(failed[failed.length - 1]!) };
    }
    const lastSuccess = Math.max(...newSucceeded.map(finishedTime));
    const rec: BackoffRecord = { failuresAfterLastSuccess: 0 };
    for (let i = failed.length - 1; i >= 0; i--) {
      const t = finishedTime(failed[i]!);
      if (t <= lastSuccess) break;
      rec.lastFailureTime ??= t;
      rec.failuresAfterLastSuccess++;
    }
    return rec;
  }

  save(key: string, rec: BackoffRecord): void {
    this.records.set(key, rec);
  }

  remove(key: string): void {
    this.records.delete(key);
  }
}

/** Milliseconds until a new pod may be made (getRemainingTime). */
export function remainingBackoff(rec: BackoffRecord, now: Date, baseMs = DEFAULT_POD_FAILURE_BACKOFF_MS, maxMs = MAX_POD_FAILURE_BACKOFF_MS): number {
  if (!rec.failuresAfterLastSuccess || rec.lastFailureTime === undefined) return 0;
  let d = baseMs;
  for (let i = 1; i < rec.failuresAfterLastSuccess; i++) {
    d *= 2;
    if (d >= maxMs) {
      d = maxMs;
      break;
    }
  }
  const elapsed = now.getTime() - rec.lastFailureTime;
  return d < elapsed ? 0 : d - elapsed;
}
