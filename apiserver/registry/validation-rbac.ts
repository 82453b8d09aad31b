// Validation of rbac.authorization.k8s.io/v1 (pkg/apis/rbac/validation): roles and
// cluster roles (policy rules, aggregation rules), role bindings and cluster role
// bindings (roleRef, subjects), and the binding rule that roleRef never changes.
// Also the group's defaulting (pkg/apis/rbac/v1/defaults.go), which the store's
// defaults table calls: roleRef.apiGroup and subject apiGroups are filled in.

import { cause } from '../../shared/errors.js';
import { isDNS1123Subdomain, isValidPathSegmentName } from '../../shared/validation.js';
import {
  at,
  type Errs,
  invalidEach,
  invalidGo,
  isObj,
  items,
  obj,
  type Obj,
  required,
  str,
  strList,
  validateLabelSelector,
} from './validation-shape.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

type Validator = (errs: Errs, o: Obj) => void;
type UpdateValidator = (errs: Errs, next: Obj, old: Obj) => void;

/** Go's %#v of a []string, as field.Invalid prints a string list. */
function goStrings(v: string[]): string {
  return `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`;
}

/** ValidatePolicyRule: verbs always; then either nonResourceURLs or apiGroups + resources. */
export function validatePolicyRule(errs: Errs, rule: Obj, namespaced: boolean, path: string): void {
  const verbs = strList(errs, rule.verbs, at(path, 'verbs'));
  const apiGroups = strList(errs, rule.apiGroups, at(path, 'apiGroups'));
  const resources = strList(errs, rule.resources, at(path, 'resources'));
  const resourceNames = strList(errs, rule.resourceNames, at(path, 'resourceNames'));
  const urls = strList(errs, rule.nonResourceURLs, at(path, 'nonResourceURLs'));
  if (verbs.length === 0) errs.push(required(at(path, 'verbs'), 'verbs must contain at least one value'));
  if (urls.length > 0) {
    const p = at(path, 'nonResourceURLs');
    if (namespaced) errs.push(invalidGo(p, goStrings(urls), 'namespaced rules cannot apply to non-resource URLs'));
    if (apiGroups.length > 0 || resources.length > 0 || resourceNames.length > 0) {
      errs.push(invalidGo(p, goStrings(urls), 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return;
  }
  if (apiGroups.length === 0) errs.push(required(at(path, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (resources.length === 0) errs.push(required(at(path, 'resources'), 'resource rules must supply at least one resource'));
}

function validateRules(errs: Errs, v: unknown, namespaced: boolean): void {
  for (const [rule, p] of items(errs, v, 'rules')) validatePolicyRule(errs, rule, namespaced, p);
}

function validateClusterRole(errs: Errs, role: Obj): void {
  validateRules(errs, role.rules, false);
  const agg = obj(errs, role.aggregationRule, 'aggregationRule');
  if (!agg) return;
  const path = 'aggregationRule.clusterRoleSelectors';
  const selectors = items(errs, agg.clusterRoleSelectors, path);
  if (selectors.length === 0) errs.push(required(path, 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
  for (const [sel, p] of selectors) validateLabelSelector(errs, sel, p);
}

/** ValidateRoleBindingSubject; `namespaced` is false for a ClusterRoleBinding. */
function validateSubject(errs: Errs, s: Obj, namespaced: boolean, path: string): void {
  const name = str(errs, s.name, at(path, 'name')) ?? '';
  const kind = str(errs, s.kind, at(path, 'kind')) ?? '';
  const apiGroup = str(errs, s.apiGroup, at(path, 'apiGroup')) ?? '';
  const namespace = str(errs, s.namespace, at(path, 'namespace')) ?? '';
  if (name === '') errs.push(required(at(path, 'name')));
  switch (kind) {
    case 'ServiceAccount':
      if (name !== '') invalidEach(errs, at(path, 'name'), name, isDNS1123Subdomain(name));
      if (apiGroup !== '') errs.push(cause.notSupported(at(path, 'apiGroup'), apiGroup, ['']));
      if (!namespaced && namespace === '') errs.push(required(at(path, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) errs.push(cause.notSupported(at(path, 'apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(cause.notSupported(at(path, 'kind'), kind, ['ServiceAccount', 'User', 'Group']));
  }
}

function validateBinding(errs: Errs, b: Obj, namespaced: boolean): void {
  const ref = obj(errs, b.roleRef, 'roleRef') ?? {};
  const apiGroup = str(errs, ref.apiGroup, 'roleRef.apiGroup') ?? '';
  const kind = str(errs, ref.kind, 'roleRef.kind') ?? '';
  const name = str(errs, ref.name, 'roleRef.name') ?? '';
  if (apiGroup !== RBAC_GROUP) errs.push(cause.notSupported('roleRef.apiGroup', apiGroup, [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(kind)) errs.push(cause.notSupported('roleRef.kind', kind, kinds));
  if (name === '') errs.push(required('roleRef.name'));
  else invalidEach(errs, 'roleRef.name', name, isValidPathSegmentName(name));
  for (const [s, p] of items(errs, b.subjects, 'subjects')) validateSubject(errs, s, namespaced, p);
}

/** Go's %#v of an rbac.RoleRef, the value upstream prints for a changed roleRef. */
function goRoleRef(ref: unknown): string {
  const r = isObj(ref) ? ref : {};
  const s = (v: unknown) => JSON.stringify(typeof v === 'string' ? v : '');
  return `rbac.RoleRef{APIGroup:${s(r.apiGroup)}, Kind:${s(r.kind)}, Name:${s(r.name)}}`;
}

/** ValidateRoleBindingUpdate / ValidateClusterRoleBindingUpdate: roleRef is immutable. */
function validateBindingUpdate(errs: Errs, next: Obj, old: Obj): void {
  const a = isObj(next.roleRef) ? next.roleRef : {};
  const b = isObj(old.roleRef) ? old.roleRef : {};
  if ((a.apiGroup ?? '') !== (b.apiGroup ?? '') || (a.kind ?? '') !== (b.kind ?? '') || (a.name ?? '') !== (b.name ?? '')) {
    errs.push(invalidGo('roleRef', goRoleRef(next.roleRef), 'cannot change roleRef'));
  }
}

export const RBAC_VALIDATORS: Record<string, Validator> = {
  roles: (errs, o) => validateRules(errs, o.rules, true),
  clusterroles: validateClusterRole,
  rolebindings: (errs, o) => validateBinding(errs, o, true),
  clusterrolebindings: (errs, o) => validateBinding(errs, o, false),
};

export const RBAC_UPDATE_VALIDATORS: Record<string, UpdateValidator> = {
  rolebindings: validateBindingUpdate,
  clusterrolebindings: validateBindingUpdate,
};

/** SetDefaults_RoleBinding / _ClusterRoleBinding / _Subject; the object is mutated. */
export function applyRbacDefaults(resource: string, o: unknown): void {
  if (!isObj(o) || (resource !== 'rolebindings' && resource !== 'clusterrolebindings')) return;
  if (isObj(o.roleRef) && (o.roleRef.apiGroup === undefined || o.roleRef.apiGroup === '')) o.roleRef.apiGroup = RBAC_GROUP;
  if (!Array.isArray(o.subjects)) return;
  for (const s of o.subjects) {
    if (!isObj(s) || (s.apiGroup !== undefined && s.apiGroup !== '')) continue;
    // A ServiceAccount's group is "", which JSON omits.
    if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
  }
}
