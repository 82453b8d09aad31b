// The shape of a Pod Security Standards check (k8s.io/pod-security-admission/policy):
// an ID, the level it belongs to, and versioned implementations, each answering
// allowed, or a reason with details (`host namespaces` / `hostNetwork=true`).
import { isObj, objects } from '../interface.js';

export type Obj = Record<string, any>;
export type Level = 'privileged' | 'baseline' | 'restricted';

export interface CheckResult {
  allowed: boolean;
  forbiddenReason?: string;
  forbiddenDetail?: string;
}

export type CheckPod = (meta: Obj, spec: Obj) => CheckResult;

export interface VersionedCheck {
  /** Minor version of 1.x from which this implementation applies. */
  minVersion: number;
  check: CheckPod;
  /** Baseline checks this restricted check replaces. */
  overrides?: string[];
}

export interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  versions: VersionedCheck[];
}

export const ALLOWED: CheckResult = { allowed: true };

export function forbid(reason: string, detail: string): CheckResult {
  return { allowed: false, forbiddenReason: reason, forbiddenDetail: detail };
}

export function pluralize(singular: string, plural: string, n: number): string {
  return n === 1 ? singular : plural;
}

/** `"a", "b"`. */
export function joinQuote(items: string[]): string {
  return items.map((i) => JSON.stringify(i)).join(', ');
}

/** `container "a"` or `containers "a", "b"`. */
export function containersPhrase(names: string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}

/** visitContainers: init containers, containers, then ephemeral containers. */
export function containers(spec: Obj): Obj[] {
  return [...objects(spec.initContainers), ...objects(spec.containers), ...objects(spec.ephemeralContainers)];
}

export function securityContext(o: Obj): Obj | undefined {
  return isObj(o.securityContext) ? o.securityContext : undefined;
}

/** Sorted distinct strings, as sets.String.List(). */
export function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

export function isWindows(spec: Obj): boolean {
  return isObj(spec.os) && spec.os.name === 'windows';
}
