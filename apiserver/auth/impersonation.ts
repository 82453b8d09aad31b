// WithImpersonation (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go): the
// Impersonate-User, -Uid, -Group and -Extra-<key> headers switch the request's user,
// each asked for being authorized first as the verb `impersonate` on users (or the
// ServiceAccount), groups, uids and userextras. `kubectl --as` sends them.
import { errors } from '../../shared/errors.js';
import { ANONYMOUS_USER, type Attributes, type Authorizer, forbiddenError, SYSTEM_AUTHENTICATED, SYSTEM_UNAUTHENTICATED, type UserInfo } from './authorizer.js';
import { serviceAccountGroups, SERVICE_ACCOUNT_USER_PREFIX } from './rbac-rules.js';

const EXTRA_PREFIX = 'impersonate-extra-';
const AUTH_GROUP = 'authentication.k8s.io';

type Headers = Record<string, string | string[] | undefined>;
const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const attrs = (resource: string, name: string, apiGroup = '', namespace = '', subresource = ''): Attributes => ({
  isResourceRequest: true, path: '', verb: 'impersonate', apiGroup, namespace, resource, subresource, name,
});

/** The impersonated user, or undefined when the request impersonates no one; throws 400/403. */
export function impersonate(headers: Headers, requester: UserInfo, authorizer: Authorizer): UserInfo | undefined {
  const user = all(headers['impersonate-user'])[0] ?? '';
  const uid = all(headers['impersonate-uid'])[0] ?? '';
  const groups = all(headers['impersonate-group']).flatMap((g) => g.split(',')).map((g) => g.trim()).filter((g) => g !== '');
  // Node joins repeated custom headers with ", ": split them back as Go sees them.
  const extra: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(EXTRA_PREFIX)) continue;
    let key: string;
    try {
      key = decodeURIComponent(name.slice(EXTRA_PREFIX.length)).toLowerCase();
    } catch {
      throw errors.badRequest(`invalid impersonation extra header ${JSON.stringify(name)}`);
    }
    if (key === '') throw errors.badRequest('invalid impersonation extra header: empty key');
    extra[key] = all(value).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  }
  const asked = [
    ...(uid ? [`Impersonate-Uid: ${uid}`] : []),
    ...groups.map((g) => `Impersonate-Group: ${g}`),
    ...Object.keys(extra).map((k) => `Impersonate-Extra-${k}`),
  ];
  if (user === '') {
    if (asked.length) throw errors.badRequest(`requested [${asked.join(' ')}] without impersonating a user`);
    return undefined;
  }
  const check = (a: Attributes) => {
    const r = authorizer.authorize(requester, a);
    if (r.decision !== 'allow') throw forbiddenError(requester, a, r.reason);
  };
  let resultGroups = [...groups];
  // serviceaccount.SplitUsername: anything but system:serviceaccount:<ns>:<name> is a plain user.
  const sa = user.startsWith(SERVICE_ACCOUNT_USER_PREFIX) ? user.slice(SERVICE_ACCOUNT_USER_PREFIX.length).split(':') : [];
  if (sa.length === 2 && sa[0] && sa[1]) {
    check(attrs('serviceaccounts', sa[1], '', sa[0]));
    if (groups.length === 0) resultGroups = serviceAccountGroups(sa[0]);
  } else {
    check(attrs('users', user));
  }
  for (const g of groups) check(attrs('groups', g));
  if (uid) check(attrs('uids', uid, AUTH_GROUP));
  for (const [k, vs] of Object.entries(extra)) for (const v of vs) check(attrs('userextras', v, AUTH_GROUP, '', k));
  if (user === ANONYMOUS_USER) {
    if (!resultGroups.includes(SYSTEM_UNAUTHENTICATED)) resultGroups.push(SYSTEM_UNAUTHENTICATED);
  } else if (!resultGroups.includes(SYSTEM_AUTHENTICATED)) resultGroups.push(SYSTEM_AUTHENTICATED);
  const out: UserInfo = { name: user, groups: resultGroups };
  if (uid) out.uid = uid;
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}
