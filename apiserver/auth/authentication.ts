// The secure port's request authenticator (k8s.io/apiserver/pkg/authentication): the
// union kube-apiserver builds from its flags. An x509 client certificate verified against
// --client-ca-file (CN user, O groups); a bearer token from --token-auth-file, a
// bootstrap token Secret or a ServiceAccount JWT; else anonymous when --anonymous-auth.
// A credential that is presented but invalid is a 401, never anonymous. Every
// authenticated user is in system:authenticated (the group adder).
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { ApiError } from '../../shared/errors.js';
import { ANONYMOUS_USER, SYSTEM_AUTHENTICATED, SYSTEM_UNAUTHENTICATED, type UserInfo } from './authorizer.js';
import { verifyServiceAccountToken, type ObjectLookup } from './service-account-token.js';
import type { ServiceAccountTokenConfig } from '../registry/token-request.js';
import { anonymousAllowed, type AnonymousPolicy } from './authentication-config.js';

export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
const BOOTSTRAP_TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

/** The 401 kube-apiserver answers every failed authentication with. */
export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');

export interface StaticToken {
  token: string;
  user: UserInfo;
}

/** Parses a --token-auth-file: token,user,uid[,"group1,group2"] per line; # comments. */
export function parseTokenFile(text: string): StaticToken[] {
  const out: StaticToken[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = csvFields(trimmed);
    if (fields.length < 3) throw new Error(`token file: line ${i + 1}: expected at least 3 fields, got ${fields.length}`);
    const [token, name, uid, groups] = fields as [string, string, string, string?];
    if (token === '') throw new Error(`token file: line ${i + 1}: empty token`);
    out.push({ token, user: { name, uid, groups: (groups ?? '').split(',').map((g) => g.trim()).filter(Boolean) } });
  });
  return out;
}

function csvFields(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') fields.push(cur), (cur = '');
    else cur += c;
  }
  fields.push(cur);
  return fields.map((f) => f.trim());
}

export function readTokenFile(file: string): StaticToken[] {
  return parseTokenFile(readFileSync(file, 'utf8'));
}

/** A stored Secret as the bootstrap token authenticator reads it. */
export interface SecretLike {
  type?: string;
  data?: Record<string, string>;
  metadata: { deletionTimestamp?: string | null };
}

export interface AuthenticatorOptions {
  /** Verify client certificates (the server's `ca` option holds --client-ca-file). */
  clientCertificates: boolean;
  tokens: StaticToken[];
  serviceAccounts?: { config: ServiceAccountTokenConfig; lookup: ObjectLookup };
  /** kube-system's Secret of that name, for bootstrap tokens; absent: no bootstrap token authenticator. */
  bootstrapSecret?: (name: string) => SecretLike | undefined;
  /** --anonymous-auth, or the paths of --authentication-config's anonymous conditions. */
  anonymous: AnonymousPolicy;
  now?: () => Date;
}

export interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  socket: unknown;
  /** The request's path without its query (anonymous conditions match on it). */
  path?: string;
}

/** An authenticated user is in system:authenticated. */
export const withAuthenticated = (u: UserInfo): UserInfo => (u.groups.includes(SYSTEM_AUTHENTICATED) ? u : { ...u, groups: [...u.groups, SYSTEM_AUTHENTICATED] });

/** A TLS peer certificate's user (CN user, O groups), 'none' without one, 'invalid' when it does not verify. */
export function x509User(socket: unknown): UserInfo | 'none' | 'invalid' {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (!tls || typeof tls.getPeerCertificate !== 'function') return 'none';
  const peer = tls.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return 'none';
  if (!tls.authorized) return 'invalid';
  const cn = first(peer.subject?.CN);
  if (!cn) return 'invalid';
  const o = peer.subject?.O as string | string[] | undefined;
  return { name: cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

export class RequestAuthenticator {
  private readonly now: () => Date;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** The user of a request; throws the 401 when a credential fails or anonymous is off. */
  async authenticate(req: AuthRequest): Promise<UserInfo> {
    let failed = false;
    const cert = this.opts.clientCertificates ? x509User(req.socket) : 'none';
    if (typeof cert === 'object') return withAuthenticated(cert);
    if (cert === 'invalid') failed = true;
    const token = bearerToken(req.headers.authorization);
    if (token !== undefined) {
      const user = await this.token(token);
      if (user) return withAuthenticated(user);
      failed = true;
    }
    if (failed || !anonymousAllowed(this.opts.anonymous, req.path ?? '')) throw unauthorized();
    return { name: ANONYMOUS_USER, groups: [SYSTEM_UNAUTHENTICATED] };
  }

  private async token(token: string): Promise<UserInfo | undefined> {
    const staticUser = this.staticToken(token);
    if (staticUser) return staticUser;
    const m = BOOTSTRAP_TOKEN.exec(token);
    if (m) return this.bootstrapToken(m[1]!, m[2]!);
    if (!this.opts.serviceAccounts || token.split('.').length !== 3) return undefined;
    const { config, lookup } = this.opts.serviceAccounts;
    try {
      const r = await verifyServiceAccountToken(token, { keys: config.verificationKeys, issuer: config.issuers, audiences: config.apiAudiences, lookup, now: this.now });
      return r.authenticated ? r.user : undefined;
    } catch (err) {
      // A token the JWT library chokes on is just an invalid token.
      if (err instanceof Error) return undefined;
      throw err;
    }
  }

  private staticToken(token: string): UserInfo | undefined {
    const got = Buffer.from(token);
    for (const t of this.opts.tokens) {
      const want = Buffer.from(t.token);
      if (want.length === got.length && timingSafeEqual(want, got)) return t.user;
    }
    return undefined;
  }

  /** The bootstrap token authenticator (plugin/pkg/auth/authenticator/token/bootstrap). */
  private bootstrapToken(id: string, secret: string): UserInfo | undefined {
    const s = this.opts.bootstrapSecret?.(BOOTSTRAP_TOKEN_SECRET_PREFIX + id);
    if (!s || s.metadata.deletionTimestamp || s.type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return undefined;
    const data = (k: string) => (s.data?.[k] === undefined ? undefined : Buffer.from(s.data[k]!, 'base64').toString('utf8'));
    if (data('token-id') !== id || data('token-secret') === undefined) return undefined;
    const want = Buffer.from(data('token-secret')!);
    const got = Buffer.from(secret);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
    const expiration = data('expiration');
    if (expiration !== undefined) {
      const at = Date.parse(expiration);
      if (Number.isNaN(at) || at <= this.now().getTime()) return undefined;
    }
    if (data('usage-bootstrap-authentication') !== 'true') return undefined;
    const extra = (data('auth-extra-groups') ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    if (extra.some((g) => !/^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/.test(g))) return undefined;
    return { name: BOOTSTRAP_USER_PREFIX + id, groups: [BOOTSTRAPPERS_GROUP, ...extra] };
  }
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** bearertoken.Authenticator's parsing: "Bearer <token>"; anything else is no token at all. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  const parts = h.trim().split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  const token = parts[1]!.trim();
  return token === '' ? undefined : token;
}
