// Completion indexes of an Indexed Job (pkg/controller/job/indexed_job_utils.go): the
// batch.kubernetes.io/job-completion-index annotation on pods, and status.completedIndexes
// written as ordered intervals ("1,3-5,7").
import type { KubeObject } from '../../shared/types.js';

export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

export function isIndexed(job: KubeObject): boolean {
  return job.spec?.completionMode === 'Indexed';
}

/** The pod's completion index, or -1 if it has none (or a malformed one). */
export function completionIndex(pod: KubeObject): number {
  const v = pod.metadata.annotations?.[COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return -1;
  return Number(v);
}

export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!) && i < completions; i++) out.add(i);
  }
  return out;
}

export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The first `count` indexes below completions that neither succeeded nor have an active pod. */
export function firstPendingIndexes(succeeded: Set<number>, active: KubeObject[], count: number, completions: number): number[] {
  const taken = new Set(active.map(completionIndex));
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!succeeded.has(i) && !taken.has(i)) out.push(i);
  return out;
}

/** Active pods an Indexed Job must remove: out-of-range, already-succeeded or duplicate indexes. */
export function podsWithBadIndexes(active: KubeObject[], succeeded: Set<number>, completions: number): KubeObject[] {
  const seen = new Set<number>();
  const out: KubeObject[] = [];
  for (const pod of active) {
    const ix = completionIndex(pod);
    if (ix < 0 || ix >= completions || succeeded.has(ix) || seen.has(ix)) out.push(pod);
    else seen.add(ix);
  }
  return out;
}
