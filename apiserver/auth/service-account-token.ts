// Verification of ServiceAccount tokens (upstream pkg/serviceaccount jwt.go's
// AuthenticateToken and claims.go's Validate): the signature against the verification keys,
// the issuer, the audiences, the time claims (with go-jose's one-minute leeway), and that the
// account, and the pod, secret or node the token is bound to, still exist with the same uid.
// The answer is the user the token stands for, or the reason it does not, in upstream's words.
// Not wired into the request path yet: the apiserver authenticates no one until TLS lands.
import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, errors as errorsJose } from 'jose';
import type { UserInfo } from './authorizer.js';
import { serviceAccountGroups, serviceAccountUsername, type KubernetesClaim, type ObjectRef } from './service-account-claims.js';
import type { VerificationKey } from './service-account-keys.js';

export const POD_NAME_KEY = 'authentication.kubernetes.io/pod-name';
export const POD_UID_KEY = 'authentication.kubernetes.io/pod-uid';
export const NODE_NAME_KEY = 'authentication.kubernetes.io/node-name';
export const NODE_UID_KEY = 'authentication.kubernetes.io/node-uid';
export const CREDENTIAL_ID_KEY = 'authentication.kubernetes.io/credential-id';
export const AUTHENTICATED_GROUP = 'system:authenticated';
const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'ES384', 'ES512'];
const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
/** Whether a key can have made a signature of `alg` (upstream's signer: RS256 for RSA, ES* by curve). */
const fits = (key: KeyObject, alg: string) =>
  alg === 'RS256' ? key.asymmetricKeyType === 'rsa' : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVES[alg];
/** jwt.DefaultLeeway. */
const LEEWAY_SECONDS = 60;

/** What the verifier needs to know of a bound object: that it exists, its uid, whether it is being deleted. */
export interface LookedUp {
  metadata: { uid?: string; deletionTimestamp?: string | null };
}

export type LookupResource = 'serviceaccounts' | 'pods' | 'secrets' | 'nodes';

/** Reads an object (from storage or a cache); undefined when it does not exist. */
export type ObjectLookup = (resource: LookupResource, namespace: string | undefined, name: string) => LookedUp | undefined | Promise<LookedUp | undefined>;

export interface VerifyOptions {
  keys: (VerificationKey | KeyObject)[];
  /** Accepted issuers (--service-account-issuer). */
  issuer: string | string[];
  /** The audiences the request targets (by default the apiserver's, --api-audiences). */
  audiences: string[];
  lookup: ObjectLookup;
  now?: () => Date;
}

export type TokenVerification = { authenticated: true; user: UserInfo; audiences: string[] } | { authenticated: false; reason: string };

const fail = (reason: string): TokenVerification => ({ authenticated: false, reason });
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Go's %q of a []string: ["a" "b"]. */
const goQuoted = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;

export async function verifyServiceAccountToken(token: string, opts: VerifyOptions): Promise<TokenVerification> {
  const issuers = Array.isArray(opts.issuer) ? opts.issuer : [opts.issuer];
  let header: { kid?: string; alg?: string };
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail('token is not a JWS in compact serialization');
  }
  const alg = header.alg ?? '';
  if (!SIGNING_ALGORITHMS.includes(alg)) return fail(`token is signed with an unsupported algorithm ${JSON.stringify(alg)}`);
  const keys = opts.keys.map((k) => ('kid' in k && 'key' in k ? k : { key: k as KeyObject, kid: undefined })).filter((k) => fits(k.key, alg));
  // Keys of the token's kid first, then the others (upstream tries every key).
  const ordered = [...keys.filter((k) => header.kid && k.kid === header.kid), ...keys.filter((k) => !header.kid || k.kid !== header.kid)];
  let payload: Uint8Array | undefined;
  for (const k of ordered) {
    try {
      payload = (await compactVerify(token, k.key, { algorithms: [alg] })).payload;
      break;
    } catch (err) {
      if (!(err instanceof errorsJose.JWSSignatureVerificationFailed)) return fail(`token could not be verified: ${(err as Error).message}`);
    }
  }
  if (!payload) return fail('token signature verification failed: no verification key matches');
  let claims: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(payload));
    if (!isObj(parsed)) return fail('token claims are not a JSON object');
    claims = parsed;
  } catch {
    return fail('token claims are not valid JSON');
  }

  const iss = typeof claims.iss === 'string' ? claims.iss : '';
  if (!issuers.includes(iss)) return fail(`token issuer ${JSON.stringify(iss)} is invalid`);

  // Audiences: the token's (a lone string counts as one), intersected with the target's.
  const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : [];
  const tokenAudiences = aud.length ? aud : opts.audiences;
  const audiences = tokenAudiences.filter((a) => opts.audiences.includes(a));
  if (!audiences.length && opts.audiences.length) {
    return fail(`token audiences ${goQuoted(tokenAudiences)} is invalid for the target audiences ${goQuoted(opts.audiences)}`);
  }

  const nowDate = (opts.now ?? (() => new Date()))();
  const now = nowDate.getTime() / 1000;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const exp = num(claims.exp);
  const nbf = num(claims.nbf);
  const iat = num(claims.iat);
  if (exp !== undefined && !(now < exp + LEEWAY_SECONDS)) return fail('service account token has expired');
  if (nbf !== undefined && now + LEEWAY_SECONDS < nbf) return fail('service account token is not valid yet');
  if (iat !== undefined && now + LEEWAY_SECONDS < iat) return fail('service account token is issued in the future');

  const k8s = claims['kubernetes.io'];
  if (!isObj(k8s)) return fail('service account token claims could not be validated: no kubernetes.io claim');
  const priv = k8s as unknown as KubernetesClaim;
  const namespace = typeof priv.namespace === 'string' ? priv.namespace : '';
  const asRef = (v: unknown): ObjectRef | undefined => (isObj(v) ? { name: String(v.name ?? ''), uid: String(v.uid ?? '') } : undefined);
  const saRef = asRef(priv.serviceaccount) ?? { name: '', uid: '' };
  const podRef = asRef(priv.pod);
  const secretRef = asRef(priv.secret);
  const nodeRef = asRef(priv.node);
  // Things deleted before now minus the leeway no longer back a token.
  const deletedLongAgo = (o: LookedUp) => {
    const ts = o.metadata.deletionTimestamp;
    return !!ts && Date.parse(ts) < nowDate.getTime() - LEEWAY_SECONDS * 1000;
  };

  const sa = await opts.lookup('serviceaccounts', namespace, saRef.name);
  if (!sa) return fail(`serviceaccounts "${saRef.name}" not found`);
  if ((sa.metadata.uid ?? '') !== saRef.uid) return fail(`service account UID (${sa.metadata.uid ?? ''}) does not match claim (${saRef.uid})`);
  if (deletedLongAgo(sa)) return fail(`service account ${namespace}/${saRef.name} has been deleted`);

  if (secretRef) {
    const secret = await opts.lookup('secrets', namespace, secretRef.name);
    if (!secret) return fail('service account token has been invalidated');
    if ((secret.metadata.uid ?? '') !== secretRef.uid) return fail(`secret UID (${secret.metadata.uid ?? ''}) does not match service account secret ref claim (${secretRef.uid})`);
    if (deletedLongAgo(secret)) return fail('service account token has been invalidated');
  }
  const extra: Record<string, string[]> = {};
  if (podRef) {
    const pod = await opts.lookup('pods', namespace, podRef.name);
    if (!pod) return fail('service account token has been invalidated');
    if ((pod.metadata.uid ?? '') !== podRef.uid) return fail(`pod UID (${pod.metadata.uid ?? ''}) does not match service account pod ref claim (${podRef.uid})`);
    if (deletedLongAgo(pod)) return fail('service account token has been invalidated');
    if (podRef.name && podRef.uid) {
      extra[POD_NAME_KEY] = [podRef.name];
      extra[POD_UID_KEY] = [podRef.uid];
    }
  }
  if (nodeRef && !podRef) {
    // A node-bound token: the node must still be there. With a pod, the node is only told.
    const node = await opts.lookup('nodes', undefined, nodeRef.name);
    if (!node) return fail('service account token has been invalidated');
    if ((node.metadata.uid ?? '') !== nodeRef.uid) return fail(`node UID (${node.metadata.uid ?? ''}) does not match service account node ref claim (${nodeRef.uid})`);
    if (deletedLongAgo(node)) return fail('service account token has been invalidated');
  }
  if (typeof claims.jti === 'string' && claims.jti) extra[CREDENTIAL_ID_KEY] = [`JTI=${claims.jti}`];
  if (nodeRef?.name) {
    extra[NODE_NAME_KEY] = [nodeRef.name];
    if (nodeRef.uid) extra[NODE_UID_KEY] = [nodeRef.uid];
  }
  const user: UserInfo = {
    name: serviceAccountUsername(namespace, saRef.name),
    uid: saRef.uid,
    // The authenticator's group adder puts every authenticated user in system:authenticated.
    groups: [...serviceAccountGroups(namespace), AUTHENTICATED_GROUP],
  };
  if (Object.keys(extra).length) user.extra = extra;
  return { authenticated: true, user, audiences };
}
