// The restricted Pod Security Standard: the checks of pod-security-admission/policy at
// level restricted, which apply on top of baseline (some replacing a baseline check).
import { isObj, objects } from '../interface.js';
import { validSeccomp } from './baseline.js';
import { ALLOWED, containers, containersPhrase, forbid, isWindows, joinQuote, pluralize, securityContext, sortedSet, type Check, type CheckResult, type Obj } from './check.js';

/** Windows pods are exempt from the Linux-only restricted checks since v1.25. */
const linuxOnly = (check: (meta: Obj, spec: Obj) => CheckResult) => (meta: Obj, spec: Obj) => (isWindows(spec) ? ALLOWED : check(meta, spec));

const allowPrivilegeEscalation = (_meta: Obj, spec: Obj): CheckResult => {
  const bad = containers(spec).filter((c) => securityContext(c)?.allowPrivilegeEscalation !== false).map((c) => String(c.name));
  return bad.length ? forbid('allowPrivilegeEscalation != false', `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`) : ALLOWED;
};

const capabilitiesRestricted = (_meta: Obj, spec: Obj): CheckResult => {
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const forbidden: string[] = [];
  for (const c of containers(spec)) {
    const caps = securityContext(c)?.capabilities;
    if (!isObj(caps)) {
      missingDropAll.push(String(c.name));
      continue;
    }
    const drop: unknown[] = Array.isArray(caps.drop) ? caps.drop : [];
    if (!drop.includes('ALL')) missingDropAll.push(String(c.name));
    const add: unknown[] = Array.isArray(caps.add) ? caps.add : [];
    const extra = add.map(String).filter((a) => a !== 'NET_BIND_SERVICE');
    if (extra.length) {
      addingForbidden.push(String(c.name));
      forbidden.push(...extra);
    }
  }
  const details: string[] = [];
  if (missingDropAll.length) details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (addingForbidden.length) details.push(`${containersPhrase(addingForbidden)} must not include ${joinQuote(sortedSet(forbidden))} in securityContext.capabilities.add`);
  return details.length ? forbid('unrestricted capabilities', details.join('; ')) : ALLOWED;
};

const ALLOWED_VOLUME_SOURCES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

const restrictedVolumes = (_meta: Obj, spec: Obj): CheckResult => {
  const bad: string[] = [];
  const types: string[] = [];
  for (const v of objects(spec.volumes)) {
    const sources = Object.keys(v).filter((k) => k !== 'name' && v[k] !== undefined && v[k] !== null);
    if (sources.some((s) => ALLOWED_VOLUME_SOURCES.includes(s))) continue;
    bad.push(String(v.name));
    types.push(sources[0] ?? 'unknown');
  }
  if (!bad.length) return ALLOWED;
  const t = sortedSet(types);
  return forbid(
    'restricted volume types',
    `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', t.length)} ${joinQuote(t)}`,
  );
};

const runAsNonRoot = (_meta: Obj, spec: Obj): CheckResult => {
  const setters: string[] = [];
  let podNonRoot = false;
  const pod = securityContext(spec)?.runAsNonRoot;
  if (typeof pod === 'boolean') {
    if (!pod) setters.push('pod');
    else podNonRoot = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of containers(spec)) {
    const v = securityContext(c)?.runAsNonRoot;
    if (typeof v === 'boolean') {
      if (!v) explicit.push(String(c.name));
    } else if (!podNonRoot) implicit.push(String(c.name));
  }
  if (explicit.length) setters.push(containersPhrase(explicit));
  if (setters.length) return forbid('runAsNonRoot != true', `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`);
  if (implicit.length) return forbid('runAsNonRoot != true', `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true`);
  return ALLOWED;
};

const runAsUser = (_meta: Obj, spec: Obj): CheckResult => {
  const setters: string[] = [];
  if (securityContext(spec)?.runAsUser === 0) setters.push('pod');
  const bad = containers(spec).filter((c) => securityContext(c)?.runAsUser === 0).map((c) => String(c.name));
  if (bad.length) setters.push(containersPhrase(bad));
  return setters.length ? forbid('runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`) : ALLOWED;
};

const seccompProfileRestricted = (_meta: Obj, spec: Obj): CheckResult => {
  const setters: string[] = [];
  const values: string[] = [];
  let podSet = false;
  const podProfile = securityContext(spec)?.seccompProfile;
  if (isObj(podProfile)) {
    if (!validSeccomp(podProfile.type)) {
      setters.push('pod');
      values.push(String(podProfile.type ?? ''));
    } else podSet = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of containers(spec)) {
    const p = securityContext(c)?.seccompProfile;
    if (isObj(p)) {
      if (!validSeccomp(p.type)) {
        explicit.push(String(c.name));
        values.push(String(p.type ?? ''));
      }
    } else if (!podSet) implicit.push(String(c.name));
  }
  if (explicit.length) setters.push(containersPhrase(explicit));
  if (setters.length) return forbid('seccompProfile', `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}`);
  if (implicit.length) {
    return forbid('seccompProfile', `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
  }
  return ALLOWED;
};

export const RESTRICTED_CHECKS: Check[] = [
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    versions: [
      { minVersion: 8, check: allowPrivilegeEscalation },
      { minVersion: 25, check: linuxOnly(allowPrivilegeEscalation) },
    ],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      { minVersion: 22, check: capabilitiesRestricted, overrides: ['capabilities_baseline'] },
      { minVersion: 25, check: linuxOnly(capabilitiesRestricted), overrides: ['capabilities_baseline'] },
    ],
  },
  { id: 'restrictedVolumes', level: 'restricted', versions: [{ minVersion: 0, check: restrictedVolumes, overrides: ['hostPathVolumes'] }] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [{ minVersion: 0, check: runAsNonRoot }] },
  { id: 'runAsUser', level: 'restricted', versions: [{ minVersion: 23, check: runAsUser }] },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      { minVersion: 19, check: seccompProfileRestricted, overrides: ['seccompProfile_baseline'] },
      { minVersion: 25, check: linuxOnly(seccompProfileRestricted), overrides: ['seccompProfile_baseline'] },
    ],
  },
];
