// --authentication-config (apiserver.config.k8s.io AuthenticationConfiguration), its
// `anonymous` section only (KEP-4633, beta in 1.32): anonymous requests allowed on the
// listed paths alone, so that everything else answers 401 while /healthz and friends stay
// open to load balancers and probes. Other sections (jwt) are refused by name.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** Anonymous requests: none, everywhere, or only on these exact paths. */
export type AnonymousPolicy = boolean | { paths: string[] };

const API_VERSIONS = ['apiserver.config.k8s.io/v1alpha1', 'apiserver.config.k8s.io/v1beta1', 'apiserver.config.k8s.io/v1'];

export class AuthenticationConfigError extends Error {
  override readonly name = 'AuthenticationConfigError';
}

/** The anonymous policy of an AuthenticationConfiguration file. */
export function readAuthenticationConfig(path: string): AnonymousPolicy {
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new AuthenticationConfigError(`--authentication-config ${path}: ${(err as Error).message}`);
  }
  const bad = (field: string, why: string) => new AuthenticationConfigError(`--authentication-config ${path}: ${field}: ${why}`);
  if (!doc || typeof doc !== 'object') throw bad('(root)', 'not an object');
  if (doc.kind !== 'AuthenticationConfiguration') throw bad('kind', `must be AuthenticationConfiguration, got ${JSON.stringify(doc.kind)}`);
  if (!API_VERSIONS.includes(String(doc.apiVersion))) throw bad('apiVersion', `must be one of ${API_VERSIONS.join(', ')}, got ${JSON.stringify(doc.apiVersion)}`);
  for (const k of Object.keys(doc)) {
    if (!['kind', 'apiVersion', 'anonymous'].includes(k)) throw bad(k, 'not supported by skiff (only anonymous)');
  }
  const anon = doc.anonymous as { enabled?: unknown; conditions?: unknown } | undefined;
  if (anon === undefined) return true;
  if (typeof anon.enabled !== 'boolean') throw bad('anonymous.enabled', 'Required value: a boolean');
  const conditions = anon.conditions ?? [];
  if (!Array.isArray(conditions)) throw bad('anonymous.conditions', 'must be a list');
  if (!anon.enabled) {
    if (conditions.length) throw bad('anonymous.conditions', 'Invalid value: enabled should be set to true when conditions are defined');
    return false;
  }
  if (!conditions.length) return true;
  const paths = conditions.map((c: { path?: unknown }, i) => {
    if (typeof c?.path !== 'string' || !c.path.startsWith('/')) throw bad(`anonymous.conditions[${i}].path`, 'Required value: an absolute path');
    return c.path;
  });
  return { paths };
}

/** Whether an anonymous request for `path` (no query) is let through. */
export function anonymousAllowed(policy: AnonymousPolicy, path: string): boolean {
  return typeof policy === 'boolean' ? policy : policy.paths.includes(path);
}
