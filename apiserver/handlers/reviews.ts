// Routes of the create-only, unstored review kinds (authorization.k8s.io/v1 access and
// rules reviews, authentication.k8s.io/v1 selfsubjectreviews and tokenreviews), answered
// by auth/reviews.ts with the request's user: `kubectl auth can-i`, `can-i --list`, `whoami`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import YAML from 'yaml';
import { errors } from '../../shared/errors.js';
import type { Authorizer, UserInfo } from '../auth/authorizer.js';
import type { RequestAuthenticator } from '../auth/authentication.js';
import { localSubjectAccessReview, selfSubjectAccessReview, selfSubjectReview, selfSubjectRulesReview, subjectAccessReview, type RuleResolver } from '../auth/reviews.js';
import { negotiate } from '../encode.js';
import { decodeBody } from '../request.js';

export interface ReviewResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const authz = (kind: string, plural: string, namespaced = false): ReviewResource => ({ group: 'authorization.k8s.io', version: 'v1', kind, plural, namespaced });
const authn = (kind: string, plural: string): ReviewResource => ({ group: 'authentication.k8s.io', version: 'v1', kind, plural, namespaced: false });

export const REVIEW_RESOURCES: ReviewResource[] = [
  authz('LocalSubjectAccessReview', 'localsubjectaccessreviews', true),
  authz('SelfSubjectAccessReview', 'selfsubjectaccessreviews'),
  authz('SelfSubjectRulesReview', 'selfsubjectrulesreviews'),
  authz('SubjectAccessReview', 'subjectaccessreviews'),
  authn('SelfSubjectReview', 'selfsubjectreviews'),
  authn('TokenReview', 'tokenreviews'),
];

/** What the review routes need: the authorizer, the rules, the token authenticator, the user of a request. */
export interface ReviewDeps {
  authorizer: Authorizer;
  rules: RuleResolver;
  authenticator?: RequestAuthenticator;
  userOf(req: FastifyRequest): UserInfo;
}

type Obj = Record<string, any>;

export function registerReviews(app: FastifyInstance, deps: ReviewDeps): void {
  for (const r of REVIEW_RESOURCES) {
    const url = r.namespaced ? `/apis/${r.group}/${r.version}/namespaces/:namespace/${r.plural}` : `/apis/${r.group}/${r.version}/${r.plural}`;
    app.route({ method: 'POST', url, handler: (req, reply) => handle(deps, r, req, reply) });
    app.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE'],
      url,
      handler: () => {
        throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      },
    });
  }
}

async function handle(deps: ReviewDeps, r: ReviewResource, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  (req as FastifyRequest & { resourceLabel?: string }).resourceLabel = r.plural;
  const body = decodeBody(req.headers['content-type'], req.body as Buffer | undefined, false) as Obj;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest(`${r.kind}: expected an object`);
  const user = deps.userOf(req);
  let out: Obj;
  switch (r.plural) {
    case 'selfsubjectaccessreviews':
      out = selfSubjectAccessReview(deps.authorizer, user, body);
      break;
    case 'subjectaccessreviews':
      out = subjectAccessReview(deps.authorizer, body);
      break;
    case 'localsubjectaccessreviews':
      out = localSubjectAccessReview(deps.authorizer, (req.params as { namespace: string }).namespace, body);
      break;
    case 'selfsubjectrulesreviews':
      out = selfSubjectRulesReview(deps.rules, user, body);
      break;
    case 'selfsubjectreviews':
      out = selfSubjectReview(user, body);
      break;
    default:
      out = await tokenReview(deps, body);
  }
  out = { ...out, apiVersion: `${r.group}/${r.version}`, kind: r.kind };
  if (negotiate(req.headers.accept) === 'yaml') return void reply.code(201).header('content-type', 'application/yaml').send(YAML.stringify(out));
  void reply.code(201).header('content-type', 'application/json').send(JSON.stringify(out));
}

/** TokenReview: authenticates spec.token as a bearer token of a request would be. */
async function tokenReview(deps: ReviewDeps, body: Obj): Promise<Obj> {
  const token = typeof body.spec?.token === 'string' ? body.spec.token : '';
  if (!token) throw errors.invalid('TokenReview', 'authentication.k8s.io', '', [{ reason: 'FieldValueRequired', message: 'Required value: token', field: 'spec.token' }]);
  if (!deps.authenticator) return { ...body, status: { authenticated: false, error: 'token authentication is not configured' } };
  try {
    const u = await deps.authenticator.authenticate({ headers: { authorization: `Bearer ${token}` }, socket: undefined });
    if (u.groups.includes('system:unauthenticated')) return { ...body, status: { authenticated: false } };
    const user: Obj = { username: u.name, groups: u.groups };
    if (u.uid) user.uid = u.uid;
    if (u.extra) user.extra = u.extra;
    return { ...body, status: { authenticated: true, user } };
  } catch (err) {
    if ((err as { code?: number }).code === 401) return { ...body, status: { authenticated: false, error: 'invalid bearer token' } };
    throw err;
  }
}
