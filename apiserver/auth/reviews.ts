// The create-only review kinds of authorization.k8s.io/v1 and authentication.k8s.io/v1,
// whose answer is computed, never stored (pkg/registry/authorization/*): a handler
// decodes the body, calls one of these with the requesting user, and sends the returned
// object back with 201. An invalid body becomes a coded 422 as kube-apiserver's.

import { ApiError, cause, errors, type StatusCause } from '../../shared/errors.js';
import { type Attributes, type Authorizer, SYSTEM_MASTERS, type UserInfo } from './authorizer.js';
import type { PolicyRule } from './rbac-rules.js';

type Obj = Record<string, any>;

export interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

export interface NonResourceAttributes {
  path?: string;
  verb?: string;
}

export interface SubjectAccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const s = (v: unknown): string => (typeof v === 'string' ? v : '');

/** authorizationutil.ResourceAttributesFrom / NonResourceAttributesFrom. */
export function attributesFrom(spec: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: NonResourceAttributes }): Attributes {
  if (spec.resourceAttributes) {
    const r = spec.resourceAttributes;
    return {
      isResourceRequest: true, path: '', verb: s(r.verb), apiGroup: s(r.group), apiVersion: s(r.version),
      namespace: s(r.namespace), resource: s(r.resource), subresource: s(r.subresource), name: s(r.name),
    };
  }
  const n = spec.nonResourceAttributes ?? {};
  return { isResourceRequest: false, path: s(n.path), verb: s(n.verb), apiGroup: '', namespace: '', resource: '', subresource: '', name: '' };
}

/** The status every access review answers with. */
function decide(authorizer: Authorizer, user: UserInfo, attrs: Attributes): SubjectAccessReviewStatus {
  const { decision, reason } = authorizer.authorize(user, attrs);
  const status: SubjectAccessReviewStatus = { allowed: decision === 'allow' };
  if (decision === 'deny') status.denied = true;
  if (reason) status.reason = reason;
  return status;
}

function invalid(kind: string, causes: StatusCause[]): ApiError {
  return errors.invalid(kind, 'authorization.k8s.io', '', causes);
}

/** ValidateSubjectAccessReviewSpec's checks shared by all three access reviews. */
function specErrors(spec: Obj): StatusCause[] {
  const errs: StatusCause[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    errs.push(cause.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes'));
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    errs.push(cause.invalid('spec.resourceAttributes', 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
  return errs;
}

/** metadata must be empty on a review (a LocalSubjectAccessReview keeps its namespace). */
function metadataErrors(body: Obj, keepNamespace: boolean): StatusCause[] {
  const meta = isObj(body.metadata) ? { ...body.metadata } : {};
  if (keepNamespace) delete meta.namespace;
  for (const k of Object.keys(meta)) if (meta[k] === undefined || meta[k] === null || meta[k] === '') delete meta[k];
  return Object.keys(meta).length > 0 ? [cause.invalid('metadata', meta, 'must be empty')] : [];
}

/** POST selfsubjectaccessreviews: may the requester do this? */
export function selfSubjectAccessReview(authorizer: Authorizer, requester: UserInfo, body: Obj): Obj {
  const spec = isObj(body.spec) ? body.spec : {};
  const errs = [...metadataErrors(body, false), ...specErrors(spec)];
  if (errs.length) throw invalid('SelfSubjectAccessReview', errs);
  return { ...body, status: decide(authorizer, requester, attributesFrom(spec)) };
}

/** POST subjectaccessreviews: may spec.user with spec.groups do this? */
export function subjectAccessReview(authorizer: Authorizer, body: Obj): Obj {
  const spec = isObj(body.spec) ? body.spec : {};
  const errs = [...metadataErrors(body, false), ...specErrors(spec)];
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g: unknown) => typeof g === 'string') : [];
  if (!s(spec.user) && groups.length === 0) errs.push(cause.invalid('spec.user', s(spec.user), 'at least one of user or group must be specified'));
  if (errs.length) throw invalid('SubjectAccessReview', errs);
  const user: UserInfo = { name: s(spec.user), uid: s(spec.uid) || undefined, groups, extra: isObj(spec.extra) ? spec.extra : undefined };
  return { ...body, status: decide(authorizer, user, attributesFrom(spec)) };
}

/** POST namespaces/{ns}/localsubjectaccessreviews: a SubjectAccessReview confined to `namespace`. */
export function localSubjectAccessReview(authorizer: Authorizer, namespace: string, body: Obj): Obj {
  const spec = isObj(body.spec) ? body.spec : {};
  const errs = [...metadataErrors(body, true), ...specErrors(spec)];
  const ra = isObj(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  if (ra && s(ra.namespace) !== namespace) errs.push(cause.invalid('spec.resourceAttributes.namespace', s(ra.namespace), 'must match metadata.namespace'));
  if (spec.nonResourceAttributes) errs.push(cause.invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'disallowed on this kind of request'));
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g: unknown) => typeof g === 'string') : [];
  if (!s(spec.user) && groups.length === 0) errs.push(cause.invalid('spec.user', s(spec.user), 'at least one of user or group must be specified'));
  if (errs.length) throw invalid('LocalSubjectAccessReview', errs);
  const user: UserInfo = { name: s(spec.user), uid: s(spec.uid) || undefined, groups, extra: isObj(spec.extra) ? spec.extra : undefined };
  return { ...body, metadata: { ...(body.metadata ?? {}), namespace }, status: decide(authorizer, user, attributesFrom(spec)) };
}

/** Anything that can list the rules a user has in a namespace (RBACAuthorizer.rulesFor). */
export interface RuleResolver {
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; incomplete: boolean; errors: string[] };
}

/** POST selfsubjectrulesreviews: what may the requester do in spec.namespace? (`kubectl auth can-i --list`) */
export function selfSubjectRulesReview(resolver: RuleResolver, requester: UserInfo, body: Obj): Obj {
  const namespace = s(isObj(body.spec) ? body.spec.namespace : undefined);
  if (namespace === '') throw errors.badRequest('no namespace on request');
  const found = requester.groups.includes(SYSTEM_MASTERS)
    ? { rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false, errors: [] }
    : resolver.rulesFor(requester, namespace);
  const resourceRules = found.rules
    .filter((r) => !r.nonResourceURLs?.length)
    .map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) }));
  const nonResourceRules = found.rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
  const status: Obj = { resourceRules, nonResourceRules, incomplete: found.incomplete };
  if (found.errors.length) status.evaluationError = found.errors.join(', ');
  return { ...body, status };
}

/** POST selfsubjectreviews (authentication.k8s.io): who am I? (`kubectl auth whoami`) */
export function selfSubjectReview(requester: UserInfo, body: Obj): Obj {
  const userInfo: Obj = { username: requester.name, groups: requester.groups };
  if (requester.uid) userInfo.uid = requester.uid;
  if (requester.extra && Object.keys(requester.extra).length) userInfo.extra = requester.extra;
  return { ...body, metadata: { creationTimestamp: null }, status: { userInfo } };
}
