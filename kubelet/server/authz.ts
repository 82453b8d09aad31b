// Authorization of the kubelet API's callers, as upstream's kubelet (pkg/kubelet/server/auth.go
// nodeAuthorizerAttributesGetter and k8s.io/apiserver's DelegatingAuthorizerConfig): a request
// is a verb on the node object's subresource, `nodes/<sub>` named after this node, and
// --authorization-mode Webhook asks the apiserver with an authorization.k8s.io/v1
// SubjectAccessReview (answers cached: allowed 5 min, denied 30 s); AlwaysAllow lets
// every authenticated caller through.
import type { UserInfo } from '../../apiserver/auth/authorizer.js';
import type { Client, ResourceRef } from '../../shared/client.js';
import type { KubeObject } from '../../shared/types.js';

export const SUBJECT_ACCESS_REVIEWS: ResourceRef = { group: 'authorization.k8s.io', version: 'v1', plural: 'subjectaccessreviews', namespaced: false };

/** authorizer.Attributes of a kubelet request: always a resource request on `nodes`. */
export interface NodeAttributes {
  verb: string;
  namespace: '';
  group: '';
  version: 'v1';
  resource: 'nodes';
  subresource: string;
  name: string;
}

export interface Decision {
  allowed: boolean;
  reason?: string;
}

/** May `user` do `attrs`? Throws when it cannot tell (the apiserver could not answer). */
export type KubeletAuthorizer = (user: UserInfo, attrs: NodeAttributes) => Promise<Decision>;

const VERBS: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** True when `path` is `prefix` or below it (upstream's isSubpath). */
const isSubpath = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * The attributes to authorize a request with, the first allowed one admitting it. Paths map to
 * subresources as upstream: /stats → stats, /metrics → metrics, /logs → log, /spec → spec,
 * everything else (exec, attach, portForward, containerLogs, run) → proxy. /healthz, /pods
 * and /configz are their own subresource with `proxy` as the fallback, as upstream's
 * KubeletFineGrainedAuthz (on by default since 1.33). An upgrade (exec, attach, port-forward
 * over WebSocket or SPDY) is `create` whatever its method: it runs something on the node.
 */
export function nodeRequestAttributes(method: string, path: string, upgrade: boolean, nodeName: string): NodeAttributes[] {
  const verb = upgrade ? 'create' : (VERBS[method.toUpperCase()] ?? '');
  const attrs = (subresource: string): NodeAttributes => ({ verb, namespace: '', group: '', version: 'v1', resource: 'nodes', subresource, name: nodeName });
  if (isSubpath(path, '/stats')) return [attrs('stats')];
  if (isSubpath(path, '/metrics')) return [attrs('metrics')];
  if (isSubpath(path, '/logs')) return [attrs('log')];
  if (isSubpath(path, '/spec')) return [attrs('spec')];
  for (const sub of ['healthz', 'pods', 'configz']) if (isSubpath(path, `/${sub}`)) return [attrs(sub), attrs('proxy')];
  return [attrs('proxy')];
}

/** The 403's body, upstream's words; several attributes are listed as upstream's subresource(s)=[a b]. */
export function forbiddenMessage(user: UserInfo, attrs: NodeAttributes[]): string {
  const a = attrs[0]!;
  const sub = attrs.length === 1 ? `subresource=${a.subresource}` : `subresource(s)=[${attrs.map((x) => x.subresource).join(' ')}]`;
  return `Forbidden (user=${user.name}, verb=${a.verb}, resource=${a.resource}, ${sub})`;
}

/** --authorization-mode AlwaysAllow (the binary's default upstream). */
export const alwaysAllow: KubeletAuthorizer = async () => ({ allowed: true });

export interface WebhookAuthorizerOptions {
  /** --authorization-webhook-cache-authorized-ttl (upstream 5 min). */
  authorizedTTLMs: number;
  /** --authorization-webhook-cache-unauthorized-ttl (upstream 30 s). */
  unauthorizedTTLMs: number;
  now?: () => number;
}

const MAX_CACHED_DECISIONS = 8192;

/** --authorization-mode Webhook: a SubjectAccessReview through the kubelet's apiserver client, answers cached. */
export function webhookAuthorizer(client: Pick<Client, 'create'>, opts: WebhookAuthorizerOptions): KubeletAuthorizer {
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { decision: Decision; expires: number }>();
  return async (user, attrs) => {
    const spec = {
      resourceAttributes: attrs,
      user: user.name,
      groups: user.groups,
      ...(user.uid ? { uid: user.uid } : {}),
      ...(user.extra ? { extra: user.extra } : {}),
    };
    const key = JSON.stringify(spec);
    const hit = cache.get(key);
    if (hit && hit.expires > now()) return hit.decision;
    const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec };
    const status = (await client.create<KubeObject>(SUBJECT_ACCESS_REVIEWS, undefined, review)).status as { allowed?: boolean; reason?: string } | undefined;
    const decision: Decision = { allowed: status?.allowed === true, ...(status?.reason ? { reason: status.reason } : {}) };
    cache.delete(key);
    cache.set(key, { decision, expires: now() + (decision.allowed ? opts.authorizedTTLMs : opts.unauthorizedTTLMs) });
    if (cache.size > MAX_CACHED_DECISIONS) cache.delete(cache.keys().next().value!);
    return decision;
  };
}
