// Authentication of the kubelet API's callers, as upstream's kubelet builds it
// (pkg/kubelet/server/auth.go with k8s.io/apiserver's DelegatingAuthenticatorConfig):
// x509 client certificates verified against --client-ca-file (CN user, O groups), bearer
// tokens sent to the apiserver as authentication.k8s.io/v1 TokenReviews when
// --authentication-token-webhook (answers cached --authentication-token-webhook-cache-ttl,
// 2 min), else system:anonymous when --anonymous-auth. A credential that is presented
// but invalid is always a 401, never anonymous. Authenticated users join system:authenticated.
import { createHash } from 'node:crypto';
import { ANONYMOUS_USER, SYSTEM_UNAUTHENTICATED, type UserInfo } from '../../apiserver/auth/authorizer.js';
import { bearerToken, withAuthenticated, x509User } from '../../apiserver/auth/authentication.js';
import type { Client, ResourceRef } from '../../shared/client.js';
import type { KubeObject } from '../../shared/types.js';
import { unauthorized } from './http-error.js';

export const TOKEN_REVIEWS: ResourceRef = { group: 'authentication.k8s.io', version: 'v1', plural: 'tokenreviews', namespaced: false };

/** The user a token belongs to, or undefined when the apiserver says it is not valid. Throws when it cannot ask. */
export type TokenReviewer = (token: string) => Promise<UserInfo | undefined>;

/** A TokenReviewer creating TokenReviews through the kubelet's apiserver client (webhooktoken.WebhookTokenAuthenticator). */
export function tokenReviewer(client: Pick<Client, 'create'>): TokenReviewer {
  return async (token) => {
    const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: { token } };
    const status = (await client.create<KubeObject>(TOKEN_REVIEWS, undefined, review)).status as
      | { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } }
      | undefined;
    if (!status?.authenticated || !status.user?.username) return undefined;
    const u = status.user;
    return { name: u.username!, groups: u.groups ?? [], ...(u.uid ? { uid: u.uid } : {}), ...(u.extra ? { extra: u.extra } : {}) };
  };
}

export interface KubeletAuthenticatorOptions {
  /** --client-ca-file was given: the TLS server requests certificates and verifies them against it. */
  clientCertificates: boolean;
  /** --authentication-token-webhook: bearer tokens are reviewed by the apiserver. */
  tokenReviewer?: TokenReviewer;
  /** How long a review's answer (valid or not) is reused; upstream's default is 2 minutes. */
  tokenCacheTTLMs: number;
  /** --anonymous-auth: requests without credentials are system:anonymous (then authorized as any other). */
  anonymous: boolean;
  now?: () => number;
}

/** What authentication reads of a request: its headers and the TLS socket it came on. */
export interface AuthnRequest {
  headers: Record<string, string | string[] | undefined>;
  socket: unknown;
}

const MAX_CACHED_TOKENS = 4096;

export class KubeletAuthenticator {
  private readonly now: () => number;
  private readonly tokens = new Map<string, { user: UserInfo | undefined; expires: number }>();

  constructor(private readonly opts: KubeletAuthenticatorOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The caller; throws the 401 when a credential fails, or when there is none and anonymous is off. */
  async authenticate(req: AuthnRequest): Promise<UserInfo> {
    let failed = false;
    const cert = this.opts.clientCertificates ? x509User(req.socket) : 'none';
    if (typeof cert === 'object') return withAuthenticated(cert);
    if (cert === 'invalid') failed = true;
    const token = bearerToken(req.headers.authorization);
    // Without the webhook there is no token authenticator: the header is ignored, as upstream's union does.
    if (token !== undefined && this.opts.tokenReviewer) {
      const user = await this.reviewToken(token);
      if (user) return withAuthenticated(user);
      failed = true;
    }
    if (failed || !this.opts.anonymous) throw unauthorized();
    return { name: ANONYMOUS_USER, groups: [SYSTEM_UNAUTHENTICATED] };
  }

  /** The review's answer, from the cache while fresh (cache.cachedTokenAuthenticator, keyed by the token's hash). */
  private async reviewToken(token: string): Promise<UserInfo | undefined> {
    const key = createHash('sha256').update(token).digest('base64');
    const hit = this.tokens.get(key);
    if (hit && hit.expires > this.now()) return hit.user;
    let user: UserInfo | undefined;
    try {
      user = await this.opts.tokenReviewer!(token);
    } catch (err) {
      // The apiserver could not answer: not cached, and the caller is not authenticated (upstream: 401).
      throw Object.assign(unauthorized(), { cause: err });
    }
    this.tokens.delete(key);
    this.tokens.set(key, { user, expires: this.now() + this.opts.tokenCacheTTLMs });
    if (this.tokens.size > MAX_CACHED_TOKENS) this.tokens.delete(this.tokens.keys().next().value!);
    return user;
  }
}
