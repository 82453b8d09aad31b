// The claims of a ServiceAccount token and their signing (upstream pkg/serviceaccount
// claims.go Claims and jwt.go's generator): the registered claims iss, sub, aud, exp,
// iat, nbf and jti, and the private `kubernetes.io` claim naming the namespace, the
// account and the object the token is bound to (a pod with its node, a secret, or a node).
// The JWS header is {alg, kid}, as go-jose writes it.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from './service-account-keys.js';

export const SERVICE_ACCOUNT_USERNAME_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
export const SERVICE_ACCOUNT_GROUP_PREFIX = 'system:serviceaccounts:';

export interface ObjectRef {
  name: string;
  uid: string;
}

/** The private claim (privateClaims.Kubernetes). */
export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  /** NumericDate after which a use is logged as stale (the extended-expiration tokens). */
  warnafter?: number;
}

export interface ServiceAccountClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti?: string;
  'kubernetes.io': KubernetesClaim;
  nbf: number;
  sub: string;
}

/** apiserverserviceaccount.MakeUsername. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
}

/** apiserverserviceaccount.MakeGroupNames. */
export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNT_GROUP_PREFIX}${namespace}`];
}

interface Named {
  metadata: { name?: string; namespace?: string; uid?: string };
}

const ref = (o: Named): ObjectRef => ({ name: o.metadata.name ?? '', uid: o.metadata.uid ?? '' });

export interface ClaimsInput {
  issuer: string;
  serviceAccount: Named;
  /** At most one of pod, secret; node alone binds to a node, with a pod it is the pod's node. */
  pod?: Named;
  secret?: Named;
  node?: Named;
  expirationSeconds: number;
  /** Seconds after which the token counts as stale (0: none). */
  warnAfterSeconds?: number;
  audiences: string[];
  now: Date;
  /** Injectable for tests; a random UUID otherwise (ServiceAccountTokenJTI). */
  jti?: string;
}

/** token.Claims: what a token for the account says, keys sorted as go-jose writes them. */
export function serviceAccountClaims(input: ClaimsInput): ServiceAccountClaims {
  if (input.secret && (input.pod || input.node)) throw new Error('internal error, token can only be bound to one object type');
  const now = Math.floor(input.now.getTime() / 1000);
  const sa = input.serviceAccount;
  const namespace = sa.metadata.namespace ?? '';
  const k8s: KubernetesClaim = { namespace, serviceaccount: ref(sa) };
  if (input.pod) {
    k8s.pod = ref(input.pod);
    if (input.node) k8s.node = ref(input.node);
  } else if (input.secret) k8s.secret = ref(input.secret);
  else if (input.node) k8s.node = ref(input.node);
  if (input.warnAfterSeconds) k8s.warnafter = now + input.warnAfterSeconds;
  return {
    aud: input.audiences,
    exp: now + input.expirationSeconds,
    iat: now,
    iss: input.issuer,
    jti: input.jti ?? randomUUID(),
    'kubernetes.io': orderKeys(k8s),
    nbf: now,
    sub: serviceAccountUsername(namespace, sa.metadata.name ?? ''),
  };
}

/** go-jose normalizes the claims into maps before encoding them, so every level is in sorted key order. */
function orderKeys(k: KubernetesClaim): KubernetesClaim {
  const out = { namespace: k.namespace } as KubernetesClaim;
  if (k.node) out.node = k.node;
  if (k.pod) out.pod = k.pod;
  if (k.secret) out.secret = k.secret;
  out.serviceaccount = k.serviceaccount;
  if (k.warnafter !== undefined) out.warnafter = k.warnafter;
  return out;
}

/** Signs claims with the signing key: a compact JWS whose header is {alg, kid}. */
export function signToken(claims: ServiceAccountClaims, signing: SigningKey): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: signing.alg, kid: signing.kid }).sign(signing.key);
}
