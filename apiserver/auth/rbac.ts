// The RBAC authorizer (plugin/pkg/auth/authorizer/rbac): walks the cluster role bindings,
// then the role bindings of the request's namespace, and allows the request as soon as one
// rule of a role bound to the user grants it. RBAC only ever allows: anything else is
// "no opinion" (with the lookup errors met on the way as the reason), and the request is
// forbidden unless another authorizer allows it. Roles come from an injected lister, so
// the same authorizer runs on the apiserver's storage or on an informer's cache.

import type { Attributes, AuthorizationResult, Authorizer, UserInfo } from './authorizer.js';
import {
  appliesTo,
  type ClusterRole,
  type ClusterRoleBinding,
  describeSubject,
  type PolicyRule,
  type Role,
  type RoleBinding,
  type RoleRef,
  ruleAllows,
  selectorMatches,
} from './rbac-rules.js';

export { forbiddenError, forbiddenMessage } from './authorizer.js';
export type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from './rbac-rules.js';

/** Read access to the four RBAC kinds; every method is synchronous (a cache or the store). */
export interface RBACLister {
  getRole(namespace: string, name: string): Role | undefined;
  getClusterRole(name: string): ClusterRole | undefined;
  listClusterRoles(): ClusterRole[];
  listRoleBindings(namespace: string): RoleBinding[];
  listClusterRoleBindings(): ClusterRoleBinding[];
  /** The (aggregated) rules of a cluster role, when the lister caches them; else computed per request. */
  clusterRoleRules?(role: ClusterRole): PolicyRule[];
}

export type RBACResource = 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings';

/**
 * An RBACLister over anything that lists stored objects by resource (and namespace for
 * the namespaced two): the registry, an informer store, a fixed array in tests.
 */
export function rbacListerFrom(list: (resource: RBACResource, namespace?: string) => unknown[]): RBACLister {
  const named = <T extends { metadata: { name: string } }>(items: unknown[], name: string): T | undefined =>
    (items as T[]).find((o) => o?.metadata?.name === name);
  return {
    getRole: (ns, name) => named<Role>(list('roles', ns), name),
    getClusterRole: (name) => named<ClusterRole>(list('clusterroles'), name),
    listClusterRoles: () => list('clusterroles') as ClusterRole[],
    listRoleBindings: (ns) => list('rolebindings', ns) as RoleBinding[],
    listClusterRoleBindings: () => list('clusterrolebindings') as ClusterRoleBinding[],
  };
}

/** A lookup failure, worded as the listers' NotFound errors are. */
class RoleLookupError extends Error {}

function notFound(resource: string, name: string): RoleLookupError {
  return new RoleLookupError(`${resource}.rbac.authorization.k8s.io ${JSON.stringify(name)} not found`);
}

/**
 * The rules of a cluster role. A role with an aggregationRule has the rules of every other
 * cluster role its selectors match, as the clusterrole-aggregation controller would have
 * written them; aggregated roles that aggregate are followed, each role once.
 */
export function clusterRoleRules(role: ClusterRole, all: () => ClusterRole[], seen = new Set<string>()): PolicyRule[] {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!selectors || selectors.length === 0) return role.rules ?? [];
  seen.add(role.metadata.name);
  const rules: PolicyRule[] = [];
  const keys = new Set<string>();
  const roles = [...all()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  for (const sel of selectors) {
    for (const other of roles) {
      if (seen.has(other.metadata.name) || !selectorMatches(sel, other.metadata.labels)) continue;
      for (const rule of clusterRoleRules(other, all, new Set(seen))) {
        const key = JSON.stringify(rule);
        if (!keys.has(key)) {
          keys.add(key);
          rules.push(rule);
        }
      }
    }
  }
  return rules;
}

/** GetRoleReferenceRules: the rules a binding's roleRef names, or why they cannot be read. */
function roleRefRules(lister: RBACLister, ref: RoleRef, bindingNamespace: string): PolicyRule[] | Error {
  switch (ref.kind) {
    case 'Role': {
      const role = lister.getRole(bindingNamespace, ref.name);
      return role ? role.rules ?? [] : notFound('role', ref.name);
    }
    case 'ClusterRole': {
      const role = lister.getClusterRole(ref.name);
      if (!role) return notFound('clusterrole', ref.name);
      return lister.clusterRoleRules ? lister.clusterRoleRules(role) : clusterRoleRules(role, () => lister.listClusterRoles());
    }
    default:
      return new RoleLookupError(`unsupported role reference kind: ${JSON.stringify(ref.kind)}`);
  }
}

/** A rule and where it comes from, as VisitRulesFor hands them to its visitor. */
export interface RuleSource {
  rule?: PolicyRule;
  /** `ClusterRoleBinding "x" of ClusterRole "y" to User "z"`. */
  source?: string;
  error?: Error;
}

/**
 * VisitRulesFor: every rule that applies to the user in the namespace (cluster role
 * bindings first), and every error met; the visitor returns false to stop.
 */
export function visitRulesFor(lister: RBACLister, user: UserInfo, namespace: string, visit: (r: RuleSource) => boolean): void {
  for (const b of lister.listClusterRoleBindings()) {
    const i = appliesTo(user, b.subjects, '');
    if (i < 0) continue;
    const rules = roleRefRules(lister, b.roleRef, '');
    if (rules instanceof Error) {
      if (!visit({ error: rules })) return;
      continue;
    }
    const source = `ClusterRoleBinding ${JSON.stringify(b.metadata.name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(b.subjects![i]!, '')}`;
    for (const rule of rules) if (!visit({ rule, source })) return;
  }
  if (namespace === '') return;
  for (const b of lister.listRoleBindings(namespace)) {
    const i = appliesTo(user, b.subjects, namespace);
    if (i < 0) continue;
    const rules = roleRefRules(lister, b.roleRef, namespace);
    if (rules instanceof Error) {
      if (!visit({ error: rules })) return;
      continue;
    }
    const name = `${b.metadata.name}/${namespace}`;
    const source = `RoleBinding ${JSON.stringify(name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(b.subjects![i]!, namespace)}`;
    for (const rule of rules) if (!visit({ rule, source })) return;
  }
}

/** utilerrors.NewAggregate(...).Error(): one message alone, several deduplicated in brackets. */
function aggregate(errs: Error[]): string {
  const msgs = [...new Set(errs.map((e) => e.message))];
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}

export class RBACAuthorizer implements Authorizer {
  constructor(private readonly lister: RBACLister) {}

  authorize(user: UserInfo, attrs: Attributes): AuthorizationResult {
    let allowedBy: string | undefined;
    const errs: Error[] = [];
    visitRulesFor(this.lister, user, attrs.namespace, ({ rule, source, error }) => {
      if (rule && ruleAllows(attrs, rule)) {
        allowedBy = source;
        return false;
      }
      if (error) errs.push(error);
      return true;
    });
    if (allowedBy !== undefined) return { decision: 'allow', reason: `RBAC: allowed by ${allowedBy}` };
    return { decision: 'no-opinion', reason: errs.length > 0 ? `RBAC: ${aggregate(errs)}` : '' };
  }

  /** RulesFor: the rules that apply to a user in a namespace (SelfSubjectRulesReview), and whether all could be read. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; incomplete: boolean; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    visitRulesFor(this.lister, user, namespace, ({ rule, error }) => {
      if (rule) rules.push(rule);
      if (error) errors.push(error.message);
      return true;
    });
    return { rules, incomplete: errors.length > 0, errors };
  }
}
