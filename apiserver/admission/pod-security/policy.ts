// Pod Security levels and versions (k8s.io/pod-security-admission/api) and the
// evaluator (…/policy): a namespace's `pod-security.kubernetes.io/<mode>[-version]`
// labels give the level:version enforced, audited and warned about; evaluating a pod at
// a level:version runs baseline's checks, then restricted's, each in ID order.
import type { StatusCause } from '../../../shared/errors.js';
import { cause } from '../../../shared/errors.js';
import { BASELINE_CHECKS } from './baseline.js';
import type { Check, CheckPod, Level, Obj } from './check.js';
import { RESTRICTED_CHECKS } from './restricted.js';

export type Mode = 'enforce' | 'audit' | 'warn';
export const LABEL_PREFIX = 'pod-security.kubernetes.io/';

/** `latest`, or the minor version of v1.x. */
export type Version = 'latest' | number;

export interface LevelVersion {
  level: Level;
  version: Version;
}

export type Policy = Record<Mode, LevelVersion>;

const LEVELS: Level[] = ['privileged', 'baseline', 'restricted'];

export function levelVersionString(lv: LevelVersion): string {
  return `${lv.level}:${lv.version === 'latest' ? 'latest' : `v1.${lv.version}`}`;
}

export function compareLevels(a: Level, b: Level): number {
  return LEVELS.indexOf(a) - LEVELS.indexOf(b);
}

/** ParseLevel: an unknown level is an error, and means restricted. */
function parseLevel(v: string): { level: Level; error?: string } {
  if ((LEVELS as string[]).includes(v)) return { level: v as Level };
  return { level: 'restricted', error: `must be one of ${LEVELS.join(', ')}` };
}

/** ParseVersion: an unknown version is an error, and means latest. */
function parseVersion(v: string): { version: Version; error?: string } {
  if (v === 'latest') return { version: 'latest' };
  const m = /^v1\.(0|[1-9][0-9]*)$/.exec(v);
  if (m) return { version: Number(m[1]) };
  return { version: 'latest', error: 'must be "latest" or "v1.x"' };
}

export const PRIVILEGED_POLICY: Policy = {
  enforce: { level: 'privileged', version: 'latest' },
  audit: { level: 'privileged', version: 'latest' },
  warn: { level: 'privileged', version: 'latest' },
};

/** api.PolicyToEvaluate: the namespace's policy, and the label errors found. */
export function policyToEvaluate(labels: Record<string, string> | undefined, defaults: Policy = PRIVILEGED_POLICY): { policy: Policy; errors: StatusCause[] } {
  const policy: Policy = { enforce: { ...defaults.enforce }, audit: { ...defaults.audit }, warn: { ...defaults.warn } };
  const errs: StatusCause[] = [];
  const seen: Record<string, boolean> = {};
  for (const mode of ['enforce', 'audit', 'warn'] as Mode[]) {
    const levelKey = `${LABEL_PREFIX}${mode}`;
    const versionKey = `${levelKey}-version`;
    const level = labels?.[levelKey];
    if (level !== undefined) {
      const p = parseLevel(level);
      policy[mode].level = p.level;
      seen[`${mode}Level`] = !p.error;
      if (p.error) errs.push(cause.invalid(`metadata.labels[${levelKey}]`, level, p.error));
    }
    const version = labels?.[versionKey];
    if (version !== undefined) {
      const p = parseVersion(version);
      policy[mode].version = p.version;
      seen[`${mode}Version`] = true;
      if (p.error) errs.push(cause.invalid(`metadata.labels[${versionKey}]`, version, p.error));
    }
  }
  // Warn defaults to an enforce level that is set explicitly and more restrictive.
  if (labels?.[`${LABEL_PREFIX}warn`] === undefined && seen.enforceLevel && compareLevels(policy.enforce.level, policy.warn.level) > 0) {
    policy.warn.level = policy.enforce.level;
    if (!seen.warnVersion) policy.warn.version = policy.enforce.version;
  }
  return { policy, errors: errs };
}

export function fullyPrivileged(p: Policy): boolean {
  return p.enforce.level === 'privileged' && p.audit.level === 'privileged' && p.warn.level === 'privileged';
}

/** The implementation of a check for a version, if the check exists at that version. */
function implementation(check: Check, version: Version): { check: CheckPod; overrides: string[] } | undefined {
  let found: Check['versions'][number] | undefined;
  for (const v of check.versions) if (version === 'latest' || v.minVersion <= version) found = v;
  return found ? { check: found.check, overrides: found.overrides ?? [] } : undefined;
}

/** The checks of a level:version, baseline's first then restricted's, each sorted by ID. */
function checksFor(lv: LevelVersion): CheckPod[] {
  if (lv.level === 'privileged') return [];
  const byId = (a: Check, b: Check) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const restricted = lv.level === 'restricted' ? [...RESTRICTED_CHECKS].sort(byId).map((c) => implementation(c, lv.version)).filter((c) => c !== undefined) : [];
  const overridden = new Set(restricted.flatMap((c) => c.overrides));
  const baseline = [...BASELINE_CHECKS].sort(byId).filter((c) => !overridden.has(c.id)).map((c) => implementation(c, lv.version)).filter((c) => c !== undefined);
  return [...baseline, ...restricted].map((c) => c.check);
}

export interface AggregateResult {
  allowed: boolean;
  reasons: string[];
  details: string[];
}

export function evaluatePod(lv: LevelVersion, meta: Obj, spec: Obj): AggregateResult {
  const out: AggregateResult = { allowed: true, reasons: [], details: [] };
  for (const check of checksFor(lv)) {
    const r = check(meta, spec);
    if (r.allowed) continue;
    out.allowed = false;
    out.reasons.push(r.forbiddenReason ?? '');
    out.details.push(r.forbiddenDetail ?? '');
  }
  return out;
}

/** ForbiddenReason: `host namespaces, privileged`. */
export function forbiddenReason(r: AggregateResult): string {
  return r.reasons.join(', ');
}

/** ForbiddenDetail: `host namespaces (hostNetwork=true), privileged (container "c" must not …)`. */
export function forbiddenDetail(r: AggregateResult): string {
  return r.reasons.map((reason, i) => (r.details[i] ? `${reason} (${r.details[i]})` : reason)).join(', ');
}
