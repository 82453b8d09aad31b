// A container's environment, as the kubelet's makeEnvironmentVariables builds it: envFrom
// (configMaps, secrets), env (values with $(VAR) expansion; valueFrom fieldRef,
// resourceFieldRef, configMapKeyRef, secretKeyRef), then the service link variables of the
// pod's namespace and the master service (default/kubernetes).
import type { Client } from '../shared/client.js';
import { isApiError } from '../shared/errors.js';
import { R } from '../shared/resources.js';
import type { KubeObject } from '../shared/types.js';
import { containerResourceValue, extractFieldPath, findContainer } from './volumes/fieldpath.js';

export interface EnvVar {
  name: string;
  value: string;
}

export interface EnvDeps {
  client: Client;
  nodeName: string;
  hostIP: string;
  podIP: string;
  /** All the pod's IPs (status.podIPs); defaults to [podIP]. */
  podIPs?: string[];
  /** Receives upstream's InvalidEnvironmentVariableNames warning for skipped envFrom keys. */
  event?: (type: 'Normal' | 'Warning', reason: string, message: string) => void;
}

export type EnvErrorCode = 'ConfigMapNotFound' | 'SecretNotFound' | 'KeyNotFound' | 'InvalidFieldRef' | 'ApiError';

/** Why a container's environment could not be built: the kubelet reports CreateContainerConfigError. */
export class EnvError extends Error {
  constructor(
    readonly code: EnvErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EnvError';
  }
}

const OPERATOR = '$';

/**
 * expansion.Expand: `$(VAR)` becomes mapping(VAR); `$$` is an escaped `$`; any other `$`
 * and an unclosed `$(` stay as written.
 */
export function expand(input: string, mapping: (name: string) => string): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== OPERATOR || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === OPERATOR) out += OPERATOR;
    else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close >= 0) {
        out += mapping(rest.slice(1, close));
        advance = close + 1;
      } else out += '$(';
    } else out += OPERATOR + rest[0];
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** expansion.MappingFuncFor: the first map holding the name, else `$(name)` unchanged. */
export function mappingFuncFor(...maps: Map<string, string>[]): (name: string) => string {
  return (name) => {
    for (const m of maps) if (m.has(name)) return m.get(name)!;
    return `$(${name})`;
  };
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** utilvalidation.IsEnvVarName (without the relaxed validation gate). */
export function isEnvVarName(name: string): boolean {
  return ENV_VAR_NAME.test(name);
}

export async function resolveEnv(pod: KubeObject, container: any, deps: EnvDeps): Promise<EnvVar[]> {
  const ns = pod.metadata.namespace ?? 'default';
  const serviceEnv = await serviceEnvMap(deps.client, ns, pod.spec?.enableServiceLinks !== false);
  const tmpEnv = new Map<string, string>();
  const sources = new SourceCache(deps.client, ns);
  const mapping = mappingFuncFor(tmpEnv, serviceEnv);

  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'configMap' : 'secret';
    const data = await sources.data(kind, ref.name, ref.optional === true);
    if (!data) continue;
    const invalid: string[] = [];
    for (const [k0, v] of Object.entries(data)) {
      const k = (from.prefix ?? '') + k0;
      if (!isEnvVarName(k)) invalid.push(k);
      else tmpEnv.set(k, v);
    }
    if (invalid.length) {
      invalid.sort();
      deps.event?.('Warning', 'InvalidEnvironmentVariableNames', `Keys [${invalid.join(', ')}] from the EnvFrom ${kind} ${ns}/${ref.name} were skipped since they are considered invalid environment variable names.`);
    }
  }

  for (const env of container.env ?? []) {
    const literal: string = env.value ?? '';
    let value: string | undefined = literal;
    if (literal !== '') value = expand(literal, mapping);
    else if (env.valueFrom) value = await valueFrom(pod, container, env.valueFrom, deps, sources);
    if (value === undefined) continue; // an optional source that is absent
    tmpEnv.set(env.name, value);
  }

  const result: EnvVar[] = [...tmpEnv].map(([name, value]) => ({ name, value }));
  for (const [name, value] of serviceEnv) if (!tmpEnv.has(name)) result.push({ name, value });
  return result;
}

async function valueFrom(pod: KubeObject, container: any, from: any, deps: EnvDeps, sources: SourceCache): Promise<string | undefined> {
  if (from.fieldRef) return fieldRefValue(pod, from.fieldRef.fieldPath, deps);
  if (from.resourceFieldRef) {
    const fs = from.resourceFieldRef;
    const target = fs.containerName ? findContainer(pod, fs.containerName) : container;
    if (!target) throw new EnvError('InvalidFieldRef', `container ${fs.containerName} not found in pod ${pod.metadata.namespace}/${pod.metadata.name}`);
    const allocatable = fs.resource?.startsWith('limits.') ? await nodeAllocatable(deps) : undefined;
    try {
      return containerResourceValue(target, fs, allocatable);
    } catch (err) {
      throw new EnvError('InvalidFieldRef', (err as Error).message);
    }
  }
  const ref = from.configMapKeyRef ?? from.secretKeyRef;
  if (!ref) return '';
  const kind = from.configMapKeyRef ? 'configMap' : 'secret';
  const optional = ref.optional === true;
  const data = await sources.data(kind, ref.name, optional);
  if (!data) return undefined;
  if (!(ref.key in data)) {
    if (optional) return undefined;
    const Kind = kind === 'configMap' ? 'ConfigMap' : 'Secret';
    throw new EnvError('KeyNotFound', `couldn't find key ${ref.key} in ${Kind} ${pod.metadata.namespace}/${ref.name}`);
  }
  return data[ref.key];
}

/** podFieldSelectorRuntimeValue. */
function fieldRefValue(pod: KubeObject, path: string, deps: EnvDeps): string {
  switch (path) {
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? deps.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return deps.hostIP;
    case 'status.hostIPs':
      return deps.hostIP;
    case 'status.podIP':
      return deps.podIP;
    case 'status.podIPs':
      return (deps.podIPs ?? (deps.podIP ? [deps.podIP] : [])).join(',');
  }
  try {
    return extractFieldPath(pod, path);
  } catch (err) {
    throw new EnvError('InvalidFieldRef', (err as Error).message);
  }
}

async function nodeAllocatable(deps: EnvDeps): Promise<Record<string, string> | undefined> {
  try {
    const node = await deps.client.get(R.nodes, undefined, deps.nodeName);
    return node.status?.allocatable;
  } catch (err) {
    if (isApiError(err) && err.code === 404) return undefined;
    throw new EnvError('ApiError', (err as Error).message);
  }
}

/** The configMaps and secrets one container's environment reads, each fetched once. */
class SourceCache {
  private readonly cache = new Map<string, Record<string, string> | null>();

  constructor(
    private readonly client: Client,
    private readonly namespace: string,
  ) {}

  /** The object's data as strings; undefined when it is absent and optional. */
  async data(kind: 'configMap' | 'secret', name: string, optional: boolean): Promise<Record<string, string> | undefined> {
    const key = `${kind}/${name}`;
    if (!this.cache.has(key)) {
      try {
        const obj = await this.client.get(kind === 'configMap' ? R.configmaps : R.secrets, this.namespace, name);
        this.cache.set(key, kind === 'configMap' ? { ...(obj.data as Record<string, string>) } : secretData(obj));
      } catch (err) {
        if (!isApiError(err) || err.code !== 404) throw new EnvError('ApiError', (err as Error).message);
        this.cache.set(key, null);
      }
    }
    const data = this.cache.get(key);
    if (data) return data;
    if (optional) return undefined;
    const [code, what] = kind === 'configMap' ? (['ConfigMapNotFound', 'configmap'] as const) : (['SecretNotFound', 'secret'] as const);
    throw new EnvError(code, `${what} "${name}" not found`);
  }
}

/** A secret's values decoded (data is base64; a stored stringData, if any, wins as on write). */
export function secretData(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data as Record<string, string>) ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries((secret.stringData as Record<string, string>) ?? {})) out[k] = v;
  return out;
}

/** getServiceEnvVarMap: the variables of the namespace's services and of default/kubernetes. */
async function serviceEnvMap(client: Client, namespace: string, enableServiceLinks: boolean): Promise<Map<string, string>> {
  const services = new Map<string, KubeObject>();
  const list = async (ns: string) => {
    try {
      return (await client.list(R.services, ns)).items;
    } catch (err) {
      throw new EnvError('ApiError', `failed to list services when setting up env vars: ${(err as Error).message}`);
    }
  };
  const inDefault = await list('default');
  const master = inDefault.find((s) => s.metadata.name === 'kubernetes');
  if (enableServiceLinks) for (const s of namespace === 'default' ? inDefault : await list(namespace)) services.set(s.metadata.name!, s);
  if (master && !services.has('kubernetes')) services.set('kubernetes', master);
  const env = new Map<string, string>();
  for (const s of [...services.values()].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))) {
    for (const v of serviceEnvVars(s)) env.set(v.name, v.value);
  }
  return env;
}

const envName = (s: string) => s.replaceAll('-', '_').toUpperCase();

/** envvars.FromServices for one service: FOO_SERVICE_HOST/PORT[_NAME] and Docker link variables. */
export function serviceEnvVars(service: KubeObject): EnvVar[] {
  const ip: string | undefined = service.spec?.clusterIP;
  const ports: any[] = service.spec?.ports ?? [];
  if (!ip || ip === 'None' || ports.length === 0) return [];
  const prefix = envName(service.metadata.name!);
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const out: EnvVar[] = [
    { name: `${prefix}_SERVICE_HOST`, value: ip },
    { name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) },
  ];
  for (const p of ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
  ports.forEach((p, i) => {
    const proto = String(p.protocol || 'TCP');
    const url = `${proto.toLowerCase()}://${host}:${p.port}`;
    if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push({ name: pp, value: url }, { name: `${pp}_PROTO`, value: proto.toLowerCase() }, { name: `${pp}_PORT`, value: String(p.port) }, { name: `${pp}_ADDR`, value: ip });
  });
  return out;
}
