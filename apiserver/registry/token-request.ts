// serviceaccounts/token: the TokenRequest API (upstream pkg/registry/core/serviceaccount/
// storage/token.go TokenREST.Create). A token for an existing ServiceAccount, for the
// requested audiences (default: the apiserver's), valid for expirationSeconds (default an
// hour, at least ten minutes, capped by --service-account-max-token-expiration), and
// optionally bound to a Pod (whose node goes into the claims), a Secret or a Node, which must
// exist with the uid given. Computed, never stored; answered as a TokenRequest with 201.
import { cause, errors, isApiError } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { serviceAccountClaims, signToken } from '../auth/service-account-claims.js';
import { loadOrCreateSigningKey, loadVerificationKeys, type SigningKey, type VerificationKey } from '../auth/service-account-keys.js';
import { lookupResource } from './resources.js';
import type { Registry } from './store.js';
import { timestamp } from './time.js';

/** --service-account-issuer's default in skiff (the in-cluster name of the apiserver). */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** TokenRequestSpec.expirationSeconds when unset (SetDefaults_TokenRequestSpec). */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
/** validation.MinTokenAgeSec and maxTokenAgeSec. */
export const MIN_EXPIRATION_SECONDS = 600;
export const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** serviceaccount.WarnOnlyBoundTokenExpirationSeconds and ExpirationExtensionSeconds. */
export const WARN_ONLY_EXPIRATION_SECONDS = 3607;
export const EXTENDED_EXPIRATION_SECONDS = 365 * 24 * 60 * 60;

/** kube-apiserver's ServiceAccount token flags, as given. */
export interface ServiceAccountTokenOptions {
  /** --service-account-key-file (verification keys); default: the signing key's public half. */
  keyFiles?: string[];
  /** --service-account-signing-key-file; default: <data-dir>/sa.key, generated on first start. */
  signingKeyFile?: string;
  /** --service-account-issuer: the first issues tokens, every one is accepted. */
  issuers?: string[];
  /** --api-audiences; default: the first issuer. */
  apiAudiences?: string[];
  /** --service-account-max-token-expiration in seconds (0: no cap). */
  maxTokenExpirationSeconds?: number;
  /** --service-account-extend-token-expiration (default true). */
  extendTokenExpiration?: boolean;
}

/** What the TokenRequest API and the token authenticator work with, loaded once at start. */
export interface ServiceAccountTokenConfig {
  signing: SigningKey;
  verificationKeys: VerificationKey[];
  issuers: string[];
  apiAudiences: string[];
  maxExpirationSeconds: number;
  extendExpiration: boolean;
  now: () => Date;
}

/** Loads (or creates) the keys and settles the defaults; throws KeyFileError or Error on a bad setting. */
export function serviceAccountTokenConfig(o: ServiceAccountTokenOptions, dataDir: string, now: () => Date = () => new Date()): ServiceAccountTokenConfig {
  const issuers = (o.issuers ?? []).filter(Boolean);
  if (!issuers.length) issuers.push(DEFAULT_ISSUER);
  const max = o.maxTokenExpirationSeconds ?? 0;
  if (max !== 0 && (max < 3600 || max > MAX_EXPIRATION_SECONDS)) throw new Error('the service-account-max-token-expiration must be between 1 hour and 2^32 seconds');
  const signing = loadOrCreateSigningKey(o.signingKeyFile || undefined, dataDir);
  const apiAudiences = (o.apiAudiences ?? []).filter(Boolean);
  return {
    signing,
    verificationKeys: loadVerificationKeys((o.keyFiles ?? []).filter(Boolean), signing),
    issuers,
    apiAudiences: apiAudiences.length ? apiAudiences : [issuers[0]!],
    maxExpirationSeconds: max,
    extendExpiration: o.extendTokenExpiration ?? true,
    now,
  };
}

const RESOURCE = { serviceaccounts: 'serviceaccounts', pods: 'pods', secrets: 'secrets', nodes: 'nodes' } as const;
const core = (plural: keyof typeof RESOURCE) => lookupResource('', 'v1', plural)!;
const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const invalid = (name: string, field: string, value: unknown, detail: string) =>
  errors.invalid('TokenRequest', 'authentication.k8s.io', name, [cause.invalid(field, value, detail)]);

interface BoundObjectRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

/** The spec as the v1 conversion and defaults leave it; a malformed field is a 400. */
function decodeSpec(body: Record<string, any>): { audiences: string[]; expirationSeconds: number; boundObjectRef?: BoundObjectRef } {
  const spec = body.spec ?? {};
  if (!isObj(spec)) throw errors.badRequest('TokenRequest.spec: expected an object');
  const audiences = spec.audiences ?? [];
  if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== 'string')) throw errors.badRequest('TokenRequest.spec.audiences: expected an array of strings');
  const exp = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp)) throw errors.badRequest('TokenRequest.spec.expirationSeconds: expected an integer');
  const ref = spec.boundObjectRef ?? undefined;
  if (ref !== undefined && (!isObj(ref) || Object.values(ref).some((v) => typeof v !== 'string'))) {
    throw errors.badRequest('TokenRequest.spec.boundObjectRef: expected an object of strings');
  }
  return { audiences, expirationSeconds: exp, boundObjectRef: ref };
}

export interface TokenRequestResult {
  tokenRequest: KubeObject;
  warnings: string[];
}

/** TokenREST.Create for serviceaccounts/`name` in `namespace`. */
export async function createToken(registry: Registry, config: ServiceAccountTokenConfig, namespace: string, name: string, body: unknown): Promise<TokenRequestResult> {
  if (!isObj(body)) throw errors.badRequest('the body must be an authentication.k8s.io/v1 TokenRequest object');
  if (body.kind !== undefined && body.kind !== 'TokenRequest') throw errors.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (TokenRequest)`);
  if (body.apiVersion !== undefined && body.apiVersion !== 'authentication.k8s.io/v1') {
    throw errors.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (authentication.k8s.io/v1)`);
  }
  const meta: Record<string, any> = isObj(body.metadata) ? { ...body.metadata } : {};
  if (meta.name && meta.name !== name) throw invalid(name, 'metadata.name', meta.name, 'must match the service account name if specified');
  if (meta.namespace && meta.namespace !== namespace) throw invalid(name, 'metadata.namespace', meta.namespace, 'must match the service account namespace if specified');
  const spec = decodeSpec(body);

  const sa = registry.get(core('serviceaccounts'), namespace, name).obj;
  if (!spec.audiences.length) spec.audiences = [...config.apiAudiences];
  const now = config.now();
  meta.name = sa.metadata.name;
  meta.namespace = sa.metadata.namespace;
  meta.creationTimestamp = timestamp(now);

  if (spec.expirationSeconds < MIN_EXPIRATION_SECONDS) {
    throw invalid('', 'spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 10 minutes');
  }
  if (spec.expirationSeconds > MAX_EXPIRATION_SECONDS) {
    throw invalid('', 'spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration larger than 2^32 seconds');
  }

  let pod: KubeObject | undefined;
  let node: KubeObject | undefined;
  let secret: KubeObject | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    const apiVersion = ref.apiVersion ?? '';
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    const refName = ref.name ?? '';
    let uid: string | undefined;
    if (group === '' && ref.kind === 'Pod') {
      pod = registry.get(core('pods'), namespace, refName).obj;
      if (name !== pod.spec?.serviceAccountName) {
        throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      }
      uid = pod.metadata.uid;
      const nodeName = pod.spec?.nodeName;
      // ServiceAccountTokenPodNodeInfo: the pod's node, when it still exists.
      if (nodeName) node = lookup(registry, 'nodes', undefined, nodeName);
    } else if (group === '' && ref.kind === 'Node') {
      node = registry.get(core('nodes'), undefined, refName).obj;
      uid = node.metadata.uid;
    } else if (group === '' && ref.kind === 'Secret') {
      secret = registry.get(core('secrets'), namespace, refName).obj;
      uid = secret.metadata.uid;
    } else {
      throw errors.badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${ref.kind ?? ''}`);
    }
    if (ref.uid && ref.uid !== uid) {
      throw errors.conflict(
        ref.kind!,
        group,
        refName,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
  }

  const warnings: string[] = [];
  if (config.maxExpirationSeconds > 0 && spec.expirationSeconds > config.maxExpirationSeconds) {
    warnings.push(`requested expiration of ${spec.expirationSeconds} seconds shortened to ${config.maxExpirationSeconds} seconds`);
    spec.expirationSeconds = config.maxExpirationSeconds;
  }
  // The kubelet's default tokens (3607 s, bound to a pod, for the API) stay valid for a year
  // and are only reported as stale after the hour, for clients that do not reload them.
  let exp = spec.expirationSeconds;
  let warnAfter = 0;
  const kubeAudiences = spec.audiences.every((a) => config.apiAudiences.includes(a));
  if (config.extendExpiration && pod && exp === WARN_ONLY_EXPIRATION_SECONDS && kubeAudiences) {
    warnAfter = exp;
    exp = config.maxExpirationSeconds > 0 && config.maxExpirationSeconds < EXTENDED_EXPIRATION_SECONDS ? config.maxExpirationSeconds : EXTENDED_EXPIRATION_SECONDS;
  }

  const claims = serviceAccountClaims({ issuer: config.issuers[0]!, serviceAccount: sa, pod, secret, node, expirationSeconds: exp, warnAfterSeconds: warnAfter, audiences: spec.audiences, now });
  const token = await signToken(claims, config.signing);
  const tokenRequest: KubeObject = {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: meta as KubeObject['metadata'],
    spec: { audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: ref ?? null },
    status: { token, expirationTimestamp: timestamp(new Date(now.getTime() + spec.expirationSeconds * 1000)) },
  };
  return { tokenRequest, warnings };
}

function lookup(registry: Registry, plural: keyof typeof RESOURCE, namespace: string | undefined, name: string): KubeObject | undefined {
  try {
    return registry.get(core(plural), namespace, name).obj;
  } catch (err) {
    if (isApiError(err) && err.code === 404) return undefined;
    throw err;
  }
}
