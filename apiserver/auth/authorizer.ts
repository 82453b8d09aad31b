// The authorizer contract (k8s.io/apiserver/pkg/authorization/authorizer) and the two
// pieces kube-apiserver puts around its authorizers: the privileged-group authorizer
// (system:masters may do anything, before any other check) and the union, which asks
// each authorizer in turn until one allows or denies.

import { ApiError, qualified } from '../../shared/errors.js';
import type { RequestInfo } from './request-info.js';

/** user.Info: who is asking, as authentication established it. */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** authorizer.Attributes without the user; a RequestInfo is one. */
export type Attributes = Pick<
  RequestInfo,
  'isResourceRequest' | 'path' | 'verb' | 'apiGroup' | 'namespace' | 'resource' | 'subresource' | 'name'
> & { apiVersion?: string };

export type Decision = 'allow' | 'deny' | 'no-opinion';

export interface AuthorizationResult {
  decision: Decision;
  /** Why: shown to the user after the Forbidden message when not empty. */
  reason: string;
}

export interface Authorizer {
  authorize(user: UserInfo, attrs: Attributes): AuthorizationResult;
}

export const SYSTEM_MASTERS = 'system:masters';
export const SYSTEM_AUTHENTICATED = 'system:authenticated';
export const SYSTEM_UNAUTHENTICATED = 'system:unauthenticated';
export const ANONYMOUS_USER = 'system:anonymous';

/** authorizerfactory.NewPrivilegedGroups: members of these groups are allowed everything. */
export function privilegedGroups(...groups: string[]): Authorizer {
  return {
    authorize(user) {
      return user.groups.some((g) => groups.includes(g)) ? { decision: 'allow', reason: '' } : { decision: 'no-opinion', reason: '' };
    },
  };
}

/** union.New: the first allow or deny wins; the reasons of the no-opinions are joined by newlines. */
export function union(...authorizers: Authorizer[]): Authorizer {
  return {
    authorize(user, attrs) {
      const reasons: string[] = [];
      for (const a of authorizers) {
        const r = a.authorize(user, attrs);
        if (r.decision !== 'no-opinion') return r;
        if (r.reason !== '') reasons.push(r.reason);
      }
      return { decision: 'no-opinion', reason: reasons.join('\n') };
    },
  };
}

/** The authorizers of `--authorization-mode=Node,RBAC`, behind system:masters. */
export function defaultAuthorizer(node: Authorizer, rbac: Authorizer): Authorizer {
  return union(privilegedGroups(SYSTEM_MASTERS), node, rbac);
}

/** responsewriters' forbiddenMessage: what the user may not do, without the resource prefix. */
function forbiddenDetail(user: UserInfo | undefined, a: Attributes): string {
  const name = user?.name ?? '';
  if (!a.isResourceRequest) return `User ${JSON.stringify(name)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const what = `User ${JSON.stringify(name)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)}`;
  return a.namespace ? `${what} in the namespace ${JSON.stringify(a.namespace)}` : `${what} at the cluster scope`;
}

/** The sanitizer kube-apiserver applies to the message: &, < and > are HTML-escaped. */
function sanitize(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The message of kube-apiserver's 403 (responsewriters.Forbidden + apierrors.NewForbidden):
 * `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"`,
 * with `: reason` appended when the authorizers gave one.
 */
export function forbiddenMessage(user: UserInfo | undefined, attrs: Attributes, reason = ''): string {
  const msg = sanitize(forbiddenDetail(user, attrs));
  const err = reason === '' ? msg : `${msg}: ${reason}`;
  if (!attrs.resource && !attrs.apiGroup) return `forbidden: ${err}`;
  const gr = qualified(attrs.resource, attrs.apiGroup);
  return attrs.name ? `${gr} ${JSON.stringify(attrs.name)} is forbidden: ${err}` : `${gr} is forbidden: ${err}`;
}

/** The 403 Status kube-apiserver sends for a denied request, details included. */
export function forbiddenError(user: UserInfo | undefined, attrs: Attributes, reason = ''): ApiError {
  const details = { name: attrs.name || undefined, group: attrs.apiGroup || undefined, kind: attrs.resource || undefined };
  return new ApiError(403, 'Forbidden', forbiddenMessage(user, attrs, reason), details);
}
