// The secure port's filter chain, as kube-apiserver's handler chain orders it:
// authentication (a 401 when a credential fails), impersonation, then authorization of
// the RequestInfo (a 403 with upstream's message). The authorizers read RBAC objects and
// pods straight from the apiserver's storage; the bootstrap policy is reconciled at start.
import { readFileSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiError } from '../shared/errors.js';
import { RequestAuthenticator, readTokenFile, type SecretLike } from './auth/authentication.js';
import { type Attributes, type Authorizer, forbiddenError, privilegedGroups, SYSTEM_AUTHENTICATED, SYSTEM_MASTERS, union, type UserInfo } from './auth/authorizer.js';
import { ensureBootstrapPolicy, type PolicyStore, type StoredPolicy } from './auth/bootstrap-policy.js';
import { impersonate } from './auth/impersonation.js';
import { NodeAuthorizer, nodeIdentity, type PodLike } from './auth/node-authorizer.js';
import { admitNodeRequest } from './auth/node-restriction.js';
import { clusterRoleRules, RBACAuthorizer, rbacListerFrom, type ClusterRole, type PolicyRule, type Role } from './auth/rbac.js';
import { requestInfo } from './auth/request-info.js';
import type { LookedUp, LookupResource } from './auth/service-account-token.js';
import { lookupResource, storageKey, storagePrefix } from './registry/resources.js';
import type { Registry } from './registry/store.js';
import type { ServiceAccountTokenConfig } from './registry/token-request.js';
import type { Storage } from './storage/interface.js';
import type { AnonymousPolicy } from './auth/authentication-config.js';

export interface SecureServingOptions {
  /** 0: no secure port. */
  port: number;
  certFile: string;
  keyFile: string;
  clientCAFile: string;
  tokenAuthFile: string;
  anonymousAuth: AnonymousPolicy;
  /** --authorization-mode, in order: AlwaysAllow, AlwaysDeny, Node, RBAC. */
  authorizationModes: string[];
}

/** The user the old insecure port acted as: everything is allowed there. */
export const INSECURE_USER: UserInfo = { name: 'system:unsecured', groups: [SYSTEM_MASTERS, SYSTEM_AUTHENTICATED] };

const users = new WeakMap<object, UserInfo>();
/** The authenticated (or impersonated) user of a request; the insecure port's user when there is none. */
export function requestUser(req: FastifyRequest): UserInfo {
  return users.get(req.raw) ?? INSECURE_USER;
}

/** The user authentication established, undefined on the insecure port. */
export function authenticatedUser(req: FastifyRequest): UserInfo | undefined {
  return users.get(req.raw);
}

const always = (decision: 'allow' | 'deny'): Authorizer => ({ authorize: () => ({ decision, reason: '' }) });

export interface SecureServing {
  https: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: true; rejectUnauthorized: false };
  authenticator: RequestAuthenticator;
  authorizer: Authorizer;
  rbac: RBACAuthorizer;
  /** The onRequest hook of the secure app. */
  filter(req: FastifyRequest): Promise<void>;
  /** The preHandler hook: NodeRestriction for writes by nodes, which needs the body. */
  nodeRestriction(req: FastifyRequest): void;
}

const NODE_READS = new Set(['get', 'list', 'watch']);

/** NodeRestriction's checks on pods a node did not create: status updates and deletes of pods bound elsewhere. */
function admitNodePodWrite(node: string, a: Attributes, pod: PodLike & { spec?: { nodeName?: string } } | undefined): ApiError | undefined {
  if (a.apiGroup !== '' || a.resource !== 'pods' || !pod || pod.spec?.nodeName === node) return undefined;
  const forbid = (why: string) => new ApiError(403, 'Forbidden', `pods ${JSON.stringify(a.name)} is forbidden: ${why}`, { name: a.name, kind: 'pods' });
  if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) return forbid(`node ${JSON.stringify(node)} can only update pod status for pods with spec.nodeName set to itself`);
  if (a.subresource === '' && a.verb === 'delete') return forbid(`node ${JSON.stringify(node)} can only delete pods with spec.nodeName set to itself`);
  return undefined;
}

/** A getter of stored objects by resource (group, v1), namespace and name. */
function storageGetter(storage: Storage) {
  return <T>(resource: string, group: string, ns: string | undefined, name: string): T | undefined => {
    const r = lookupResource(group, 'v1', resource)!;
    return storage.get(storageKey(r, ns, name))?.obj as T | undefined;
  };
}

/** The authorizers of --authorization-mode over the apiserver's storage, behind system:masters. */
export function storageAuthorizer(storage: Storage, modes: string[]): { authorizer: Authorizer; rbac: RBACAuthorizer } {
  const get = storageGetter(storage);
  // The authorizers read the same few lists (bindings, a node's pods) on every request:
  // kept until the next write.
  let lists = { revision: -1, byPrefix: new Map<string, unknown[]>() };
  const list = <T>(resource: string, group: string, ns?: string): T[] => {
    if (lists.revision !== storage.revision) lists = { revision: storage.revision, byPrefix: new Map() };
    const prefix = storagePrefix(lookupResource(group, 'v1', resource)!, ns);
    let items = lists.byPrefix.get(prefix);
    if (!items) lists.byPrefix.set(prefix, (items = storage.list(prefix).map((o) => o.obj)));
    return items as T[];
  };
  const lister = rbacListerFrom((resource, ns) => list(resource, 'rbac.authorization.k8s.io', ns));
  lister.getRole = (ns, name) => get<Role>('roles', 'rbac.authorization.k8s.io', ns, name);
  lister.getClusterRole = (name) => get<ClusterRole>('clusterroles', 'rbac.authorization.k8s.io', undefined, name);
  // Aggregating a role (edit, admin, view) walks every ClusterRole: done once per state of the
  // ClusterRoles (their count and newest revision), not once per request or per write.
  const versions = new WeakMap<ClusterRole[], string>();
  let aggregated = { version: '', rules: new Map<string, PolicyRule[]>() };
  lister.clusterRoleRules = (role) => {
    const roles = list<ClusterRole>('clusterroles', 'rbac.authorization.k8s.io');
    let version = versions.get(roles);
    if (version === undefined) versions.set(roles, (version = `${roles.length}/${roles.reduce((m, r) => Math.max(m, Number((r.metadata as { resourceVersion?: string }).resourceVersion ?? 0)), 0)}`));
    if (aggregated.version !== version) aggregated = { version, rules: new Map() };
    let rules = aggregated.rules.get(role.metadata.name);
    if (!rules) aggregated.rules.set(role.metadata.name, (rules = clusterRoleRules(role, () => roles)));
    return rules;
  };
  const rbac = new RBACAuthorizer(lister);
  const node = new NodeAuthorizer({
    podsOnNode: (n) => list<PodLike & { spec?: { nodeName?: string } }>('pods', '').filter((p) => p.spec?.nodeName === n),
    getPod: (ns, name) => get<PodLike>('pods', '', ns, name),
    getPersistentVolumeClaim: (ns, name) => get('persistentvolumeclaims', '', ns, name),
  });
  const chain: Authorizer[] = [privilegedGroups(SYSTEM_MASTERS)];
  for (const m of modes) {
    if (m === 'RBAC') chain.push(rbac);
    else if (m === 'Node') chain.push(node);
    else if (m === 'AlwaysAllow') chain.push(always('allow'));
    else if (m === 'AlwaysDeny') chain.push(always('deny'));
    else throw new Error(`unknown authorization mode ${JSON.stringify(m)}`);
  }
  return { authorizer: union(...chain), rbac };
}

/** Builds the secure port's authenticator, authorizer and filter; reads the files the flags name (throws on a bad one). */
export function secureServing(opts: SecureServingOptions, storage: Storage, sa: ServiceAccountTokenConfig): SecureServing {
  const get = storageGetter(storage);
  const { authorizer, rbac } = storageAuthorizer(storage, opts.authorizationModes);
  const authenticator = new RequestAuthenticator({
    clientCertificates: opts.clientCAFile !== '',
    tokens: opts.tokenAuthFile ? readTokenFile(opts.tokenAuthFile) : [],
    serviceAccounts: {
      config: sa,
      lookup: (resource: LookupResource, ns: string | undefined, name: string) => get<LookedUp>(resource, '', ns, name),
    },
    bootstrapSecret: (name) => get<SecretLike>('secrets', '', 'kube-system', name),
    anonymous: opts.anonymousAuth,
    now: sa.now,
  });
  const filter = async (req: FastifyRequest) => {
    let user = await authenticator.authenticate({ headers: req.headers, socket: req.raw.socket, path: req.url.split('?')[0] });
    user = impersonate(req.headers, user, authorizer) ?? user;
    users.set(req.raw, user);
    const attrs = requestInfo({ method: req.method, url: req.url, headers: req.headers });
    const decision = authorizer.authorize(user, attrs);
    if (decision.decision !== 'allow') throw forbiddenError(user, attrs, decision.reason);
  };
  const nodeRestriction = (req: FastifyRequest) => {
    const user = users.get(req.raw);
    const node = user ? nodeIdentity(user) : undefined;
    if (!user || node === undefined) return;
    const a = requestInfo({ method: req.method, url: req.url, headers: req.headers });
    if (!a.isResourceRequest || NODE_READS.has(a.verb)) return;
    let body: unknown;
    try {
      body = Buffer.isBuffer(req.body) && req.body.length ? JSON.parse(req.body.toString('utf8')) : undefined;
    } catch (err) {
      // Not JSON (protobuf, YAML): the checks that need the body see none; the handler decodes it.
      if (!(err instanceof SyntaxError)) throw err;
    }
    const getPod = (ns: string, name: string) => get<PodLike & { spec?: { nodeName?: string } }>('pods', '', ns, name);
    const denied = admitNodeRequest(user, a, body, { getPod }) ?? admitNodePodWrite(node, a, a.name ? getPod(a.namespace, a.name) : undefined);
    if (denied) throw denied;
  };
  return {
    nodeRestriction,
    https: {
      cert: readFileSync(opts.certFile),
      key: readFileSync(opts.keyFile),
      ...(opts.clientCAFile ? { ca: readFileSync(opts.clientCAFile) } : {}),
      requestCert: true,
      rejectUnauthorized: false,
    },
    authenticator,
    authorizer,
    rbac,
    filter,
  };
}

/** The registry as the bootstrap policy reconciler's store. */
export function registryPolicyStore(registry: Registry): PolicyStore {
  const r = (resource: 'clusterroles' | 'clusterrolebindings') => lookupResource('rbac.authorization.k8s.io', 'v1', resource)!;
  const opts = () => ({ dryRun: false, fieldValidation: 'Ignore' as const, warnings: [], userInfo: INSECURE_USER });
  return {
    get: async (resource, name) => {
      try {
        return registry.get(r(resource), undefined, name).obj as unknown as StoredPolicy;
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return undefined;
        throw err;
      }
    },
    create: (resource, obj) => registry.create(r(resource), undefined, obj, opts()),
    update: (resource, obj) => registry.update(r(resource), undefined, (obj as StoredPolicy).metadata.name, obj, opts()),
    delete: (resource, name) => registry.delete(r(resource), undefined, name, {}, opts()),
  };
}

/** Reconciles the bootstrap roles and bindings, logging what changed. */
export async function reconcileBootstrapPolicy(registry: Registry, log: Logger): Promise<void> {
  const result = await ensureBootstrapPolicy(registryPolicyStore(registry));
  if (result.created.length || result.updated.length) log.info({ created: result.created.length, updated: result.updated.length }, 'bootstrap RBAC policy reconciled');
}
