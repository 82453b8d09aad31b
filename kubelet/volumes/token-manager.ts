// The kubelet's ServiceAccount token manager (pkg/kubelet/token/token_manager.go): tokens
// for projected serviceAccountToken volumes come from the TokenRequest API and are cached by
// (account, namespace, audiences, expiration, bound object). A cached token is used until it
// is due for a refresh: past 80% of its lifetime, or 24 hours old, less a jitter of up to 10 s.
// A refresh that fails keeps the cached token while it is still valid (logged, not an error);
// without a valid one the failure is the caller's ("failed to fetch token: …"). Expired
// tokens are dropped at most once a minute, and a pod's tokens when the pod is gone.
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import { R } from '../../shared/resources.js';

const MAX_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_JITTER_S = 10;
const GC_PERIOD_MS = 60_000;

export interface BoundObjectReference {
  kind: string;
  apiVersion: string;
  name: string;
  uid: string;
}

export interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: BoundObjectReference;
}

/** The TokenRequest the apiserver answered with. */
export interface TokenRequest {
  spec: TokenRequestSpec;
  status: { token: string; expirationTimestamp: string };
}

/** POST serviceaccounts/{name}/token in `namespace`. */
export type RequestToken = (namespace: string, name: string, spec: TokenRequestSpec) => Promise<TokenRequest>;

export interface TokenManagerOptions {
  requestToken: RequestToken;
  now?: () => Date;
  /** In [0, 1): the jitter source (tests fix it). */
  random?: () => number;
  log?: Logger;
}

/** A TokenRequest through the typed client. */
export function clientTokenRequester(client: Client): RequestToken {
  return (namespace, name, spec) =>
    client.request<TokenRequest>('POST', client.path(R.serviceaccounts, namespace, name, 'token'), {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec,
    });
}

export class TokenManager {
  private readonly cache = new Map<string, TokenRequest>();
  private readonly now: () => Date;
  private readonly random: () => number;
  private lastCleanup = 0;

  constructor(private readonly o: TokenManagerOptions) {
    this.now = o.now ?? (() => new Date());
    this.random = o.random ?? Math.random;
  }

  /** GetServiceAccountToken: the cached token unless due for a refresh. */
  async getServiceAccountToken(namespace: string, name: string, spec: TokenRequestSpec): Promise<TokenRequest> {
    this.cleanupIfDue();
    const key = keyOf(namespace, name, spec);
    const cached = this.cache.get(key);
    if (cached && !this.requiresRefresh(cached)) return cached;
    let fresh: TokenRequest;
    try {
      if (!name) throw new Error('resource name may not be empty');
      fresh = await this.o.requestToken(namespace, name, spec);
      if (typeof fresh?.status?.token !== 'string' || Number.isNaN(Date.parse(fresh.status.expirationTimestamp))) {
        throw new Error('the TokenRequest answer has no token or expiration');
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!cached) throw new Error(`failed to fetch token: ${message}`);
      if (this.expired(cached)) throw new Error(`token ${key} expired and refresh failed: ${message}`);
      this.o.log?.warn({ err, namespace, serviceAccount: name }, "couldn't update token; the cached one is still valid");
      return cached;
    }
    this.cache.set(key, fresh);
    return fresh;
  }

  /** DeleteServiceAccountToken: forgets every token bound to the pod. */
  deleteServiceAccountToken(podUid: string): void {
    for (const [k, tr] of this.cache) if (tr.spec.boundObjectRef?.uid && tr.spec.boundObjectRef.uid === podUid) this.cache.delete(k);
  }

  /** How many tokens are cached (for tests and metrics). */
  get size(): number {
    return this.cache.size;
  }

  private expired(tr: TokenRequest): boolean {
    return this.now().getTime() > Date.parse(tr.status.expirationTimestamp);
  }

  /** requiresRefresh: older than 80% of its lifetime, or than 24 h, less the jitter. */
  requiresRefresh(tr: TokenRequest): boolean {
    const ttl = tr.spec.expirationSeconds;
    if (ttl === undefined) return false;
    const now = this.now().getTime();
    const exp = Date.parse(tr.status.expirationTimestamp);
    const iat = exp - ttl * 1000;
    const jitter = Math.floor(this.random() * MAX_JITTER_S) * 1000;
    if (now > iat + MAX_TTL_MS - jitter) return true;
    return now > exp - Math.floor((ttl * 20) / 100) * 1000 - jitter;
  }

  private cleanupIfDue(): void {
    const now = this.now().getTime();
    if (now - this.lastCleanup < GC_PERIOD_MS) return;
    this.lastCleanup = now;
    for (const [k, tr] of this.cache) if (this.expired(tr)) this.cache.delete(k);
  }
}

/** keyFunc: nothing secret, safe to log. */
function keyOf(namespace: string, name: string, spec: TokenRequestSpec): string {
  return JSON.stringify([name, namespace, spec.audiences ?? [], spec.expirationSeconds ?? 0, spec.boundObjectRef ?? {}]);
}

const perClient = new WeakMap<Client, TokenManager>();

/** One manager per apiserver client, so every sync of every pod shares the cache. */
export function tokenManagerFor(client: Client, log?: Logger): TokenManager {
  let m = perClient.get(client);
  if (!m) perClient.set(client, (m = new TokenManager({ requestToken: clientTokenRequester(client), log })));
  return m;
}
