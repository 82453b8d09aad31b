// The PodSecurity admission plugin (k8s.io/pod-security-admission/admission): pods are
// refused when they violate their namespace's enforce level; pods and the pod templates of
// workloads get a Warning when they violate the warn level; a namespace whose enforce
// level is tightened gets a Warning naming the existing pods that would now be refused.
// Nothing is exempt unless configured, as upstream. (Audit annotations need an audit log,
// which skiff has not: the audit level is parsed and validated, and otherwise unused.)
import { errors } from '../../../shared/errors.js';
import type { KubeObject } from '../../../shared/types.js';
import { core, forbidden, isObj, objects, type AdmissionPlugin, type Attributes, type ObjectReader } from '../interface.js';
import type { Obj } from './check.js';
import {
  compareLevels,
  evaluatePod,
  forbiddenDetail,
  forbiddenReason,
  fullyPrivileged,
  levelVersionString,
  policyToEvaluate,
  PRIVILEGED_POLICY,
  type AggregateResult,
  type LevelVersion,
  type Policy,
} from './policy.js';

export interface PodSecurityConfig {
  defaults?: Policy;
  exemptions?: { usernames?: string[]; namespaces?: string[]; runtimeClasses?: string[] };
  /** How many existing pods a namespace label change is checked against. */
  namespaceMaxPodsToCheck?: number;
}

/** Workloads whose pod template is checked, in warn mode only. */
const POD_TEMPLATES: Record<string, (o: KubeObject) => { meta: Obj; spec: Obj } | undefined> = {
  'apps/deployments': (o) => template(o.spec?.template),
  'apps/replicasets': (o) => template(o.spec?.template),
  'apps/statefulsets': (o) => template(o.spec?.template),
  'apps/daemonsets': (o) => template(o.spec?.template),
  'batch/jobs': (o) => template(o.spec?.template),
  'batch/cronjobs': (o) => template(o.spec?.jobTemplate?.spec?.template),
  '/replicationcontrollers': (o) => template(o.spec?.template),
  '/podtemplates': (o) => template(o.template),
};

function template(t: unknown): { meta: Obj; spec: Obj } | undefined {
  if (!isObj(t) || !isObj(t.spec)) return undefined;
  return { meta: isObj(t.metadata) ? t.metadata : {}, spec: t.spec };
}

/** isSignificantPodUpdate: only a change of containers, images or seccomp annotations is looked at again. */
function significantPodUpdate(pod: KubeObject, old: KubeObject): boolean {
  const spec: Obj = pod.spec ?? {};
  const oldSpec: Obj = old.spec ?? {};
  const a = pod.metadata.annotations ?? {};
  const b = old.metadata.annotations ?? {};
  const changed = (c: Obj, o: Obj) => c.image !== o.image || a[`container.seccomp.security.alpha.kubernetes.io/${c.name}`] !== b[`container.seccomp.security.alpha.kubernetes.io/${o.name}`];
  for (const key of ['containers', 'initContainers']) {
    const now = objects(spec[key]);
    const before = objects(oldSpec[key]);
    if (now.length !== before.length) return true;
    if (now.some((c, i) => changed(c, before[i]!))) return true;
  }
  const oldEphemeral = objects(oldSpec.ephemeralContainers);
  for (const c of objects(spec.ephemeralContainers)) {
    const o = oldEphemeral.find((e) => e.name === c.name);
    if (!o || changed(c, o)) return true;
  }
  return false;
}

/** The pods of a namespace, one per controller first, so a limited check covers the most workloads. */
function prioritizePods(pods: KubeObject[]): KubeObject[] {
  const first: KubeObject[] = [];
  const duplicates: KubeObject[] = [];
  const seen = new Set<string>();
  for (const p of pods) {
    const ref = p.metadata.ownerReferences?.find((r) => r.controller);
    if (ref && seen.has(ref.uid)) duplicates.push(p);
    else {
      if (ref) seen.add(ref.uid);
      first.push(p);
    }
  }
  return [...first, ...duplicates];
}

export function podSecurity(reader: ObjectReader, config: PodSecurityConfig = {}): AdmissionPlugin {
  const namespaces = core('namespaces');
  const pods = core('pods');
  const defaults = config.defaults ?? PRIVILEGED_POLICY;
  const exemptNamespaces = new Set(config.exemptions?.namespaces ?? []);
  const exemptUsers = new Set(config.exemptions?.usernames ?? []);
  const exemptRuntimeClasses = new Set(config.exemptions?.runtimeClasses ?? []);
  const maxPods = config.namespaceMaxPodsToCheck ?? 3000;

  const namespacePolicy = (a: Attributes): Policy | undefined => {
    if (exemptNamespaces.has(a.namespace) || (a.userInfo && exemptUsers.has(a.userInfo.name))) return undefined;
    const ns = reader.get(namespaces, undefined, a.namespace);
    if (!ns) throw errors.internal(`failed to lookup namespace "${a.namespace}"`);
    return policyToEvaluate(ns.metadata.labels, defaults).policy;
  };

  /** EvaluatePod: enforce (pods only), then warn unless already refused. */
  const evaluate = (a: Attributes, policy: Policy, meta: Obj, spec: Obj, enforce: boolean) => {
    if (typeof spec.runtimeClassName === 'string' && exemptRuntimeClasses.has(spec.runtimeClassName)) return;
    const cache = new Map<string, AggregateResult>();
    const at = (lv: LevelVersion) => {
      const key = levelVersionString(lv);
      let r = cache.get(key);
      if (!r) cache.set(key, (r = evaluatePod(lv, meta, spec)));
      return r;
    };
    if (enforce) {
      const r = at(policy.enforce);
      if (!r.allowed) throw forbidden(a, `violates PodSecurity "${levelVersionString(policy.enforce)}": ${forbiddenDetail(r)}`);
    }
    const w = at(policy.warn);
    if (!w.allowed) warn(a, `would violate PodSecurity "${levelVersionString(policy.warn)}": ${forbiddenDetail(w)}`);
  };

  const validatePod = (a: Attributes) => {
    if (a.subresource && a.subresource !== 'ephemeralcontainers') return;
    const policy = namespacePolicy(a);
    if (!policy || fullyPrivileged(policy)) return;
    const pod = a.object!;
    if (a.operation === 'UPDATE' && a.oldObject && !significantPodUpdate(pod, a.oldObject)) return;
    evaluate(a, policy, pod.metadata, isObj(pod.spec) ? pod.spec : {}, true);
  };

  const validatePodController = (a: Attributes, extract: (o: KubeObject) => { meta: Obj; spec: Obj } | undefined) => {
    if (a.subresource) return;
    const policy = namespacePolicy(a);
    if (!policy || (policy.warn.level === 'privileged' && policy.audit.level === 'privileged')) return;
    const t = extract(a.object!);
    if (t) evaluate(a, policy, t.meta, t.spec, false);
  };

  /** EvaluatePodsInNamespace: the existing pods a tightened enforce level would now refuse. */
  const checkExistingPods = (a: Attributes, namespace: string, enforce: LevelVersion) => {
    const all = prioritizePods(reader.list(pods, namespace));
    const checked = all.slice(0, maxPods);
    const byReason = new Map<string, { name: string; count: number }>();
    for (const p of checked) {
      const r = evaluatePod(enforce, p.metadata, isObj(p.spec) ? p.spec : {});
      if (r.allowed) continue;
      const reason = forbiddenReason(r);
      const c = byReason.get(reason);
      const name = p.metadata.name!;
      if (!c) byReason.set(reason, { name, count: 1 });
      else {
        c.count++;
        if (name < c.name) c.name = name;
      }
    }
    if (checked.length < all.length) warn(a, `new PodSecurity enforce level only checked against the first ${checked.length} of ${all.length} existing pods`);
    if (byReason.size) warn(a, `existing pods in namespace "${namespace}" violate the new PodSecurity enforce level "${levelVersionString(enforce)}"`);
    const decorated = [...byReason].map(([reason, c]) => {
      if (c.count === 1) return `${c.name}: ${reason}`;
      if (c.count === 2) return `${c.name} (and 1 other pod): ${reason}`;
      return `${c.name} (and ${c.count - 1} other pods): ${reason}`;
    });
    for (const w of decorated.sort()) warn(a, w);
  };

  const validateNamespace = (a: Attributes) => {
    if (a.subresource) return;
    const ns = a.object!;
    const name = ns.metadata.name ?? a.name;
    const { policy, errors: errs } = policyToEvaluate(ns.metadata.labels, defaults);
    if (a.operation === 'CREATE') {
      if (errs.length) throw errors.invalid('Namespace', '', name, errs);
      if (exemptNamespaces.has(name) && !fullyPrivileged(policy)) warn(a, exemptWarning(name, policy));
      return;
    }
    const old = policyToEvaluate(a.oldObject?.metadata.labels, defaults);
    if (errs.length && (old.errors.length === 0 || JSON.stringify(errs) !== JSON.stringify(old.errors))) throw errors.invalid('Namespace', '', name, errs);
    const next = policy.enforce;
    const before = old.policy.enforce;
    if (levelVersionString(next) === levelVersionString(before) || next.level === 'privileged') return;
    if (next.version === before.version && compareLevels(next.level, before.level) < 1) return;
    if (exemptNamespaces.has(name)) {
      warn(a, exemptWarning(name, policy));
      return;
    }
    checkExistingPods(a, name, next);
  };

  return {
    name: 'PodSecurity',
    validate(a) {
      if ((a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !a.object) return;
      const key = `${a.resource.group}/${a.resource.plural}`;
      if (key === '/namespaces') return validateNamespace(a);
      if (key === '/pods') return validatePod(a);
      const extract = POD_TEMPLATES[key];
      if (extract) validatePodController(a, extract);
    },
  };
}

function exemptWarning(name: string, p: Policy): string {
  return `namespace ${JSON.stringify(name)} is exempt from Pod Security, and the policy (enforce=${levelVersionString(p.enforce)}, audit=${levelVersionString(p.audit)}, warn=${levelVersionString(p.warn)}) will be ignored`;
}

function warn(a: Attributes, message: string): void {
  if (!a.warnings.includes(message)) a.warnings.push(message);
}
