// The files of the API-backed volumes (configMap, secret, downwardAPI, projected), computed as
// Kubernetes' MakePayload / CollectData do, ready for the atomic writer.
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import type { Payload } from './atomic-writer.js';
import { setUpFailed } from './errors.js';
import { containerResourceValue, extractFieldPath, findContainer } from './fieldpath.js';
import type { TokenManager } from './token-manager.js';

/** 0644, the default mode of every API-backed volume's files (defaultMode 420). */
export const DEFAULT_MODE = 0o644;

export interface PayloadContext {
  client: Client;
  pod: KubeObject;
  /** The pod volume's name, for error messages. */
  volume: string;
  /** The node's allocatable, fetched once when a resourceFieldRef needs a default limit. */
  allocatable: () => Promise<Record<string, string> | undefined>;
  /** ServiceAccount tokens for serviceAccountToken projections. */
  tokens: TokenManager;
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

type Kind = 'configMap' | 'secret';

/** A configMap's or secret's values as bytes; undefined when it is absent and `optional`. */
async function sourceData(ctx: PayloadContext, kind: Kind, name: string, optional: boolean): Promise<Map<string, Buffer> | undefined> {
  let obj: KubeObject;
  try {
    obj = await ctx.client.get(kind === 'configMap' ? R.configmaps : R.secrets, ctx.pod.metadata.namespace, name);
  } catch (err) {
    if (isApiError(err) && err.code === 404) {
      if (optional) return undefined;
      throw setUpFailed('ObjectNotFound', ctx.volume, `${kind === 'configMap' ? 'configmap' : 'secret'} "${name}" not found`);
    }
    throw setUpFailed('ApiError', ctx.volume, (err as Error).message);
  }
  const out = new Map<string, Buffer>();
  const strings = (obj.data ?? {}) as Record<string, string>;
  if (kind === 'configMap') {
    for (const [k, v] of Object.entries(strings)) out.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'base64'));
  } else {
    for (const [k, v] of Object.entries(strings)) out.set(k, Buffer.from(v, 'base64'));
    for (const [k, v] of Object.entries((obj.stringData ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'utf8'));
  }
  return out;
}

/** configMap.MakePayload / secret.MakePayload, merged into `into`. */
export async function keysPayload(
  ctx: PayloadContext,
  kind: Kind,
  src: { name: string; items?: KeyToPath[]; optional?: boolean },
  defaultMode: number,
  into: Payload = new Map(),
): Promise<Payload> {
  const optional = src.optional === true;
  const data = await sourceData(ctx, kind, src.name, optional);
  if (!data) return into;
  if (!src.items?.length) {
    for (const [k, v] of data) into.set(k, { data: v, mode: defaultMode });
    return into;
  }
  for (const item of src.items) {
    const v = data.get(item.key);
    if (!v) {
      if (optional) continue;
      const what = kind === 'configMap' ? 'configmap references non-existent config key' : 'references non-existent secret key';
      throw setUpFailed('KeyNotFound', ctx.volume, `${what}: ${item.key}`);
    }
    into.set(item.path, { data: v, mode: item.mode ?? defaultMode });
  }
  return into;
}

/** downwardapi CollectData, merged into `into`. */
export async function downwardPayload(ctx: PayloadContext, items: any[], defaultMode: number, into: Payload = new Map()): Promise<Payload> {
  const errs: string[] = [];
  for (const item of items ?? []) {
    const path = String(item.path).replace(/\/+$/, '');
    let value: string | undefined;
    try {
      if (item.fieldRef) value = extractFieldPath(ctx.pod, item.fieldRef.fieldPath);
      else if (item.resourceFieldRef) {
        const fs = item.resourceFieldRef;
        const container = findContainer(ctx.pod, fs.containerName);
        if (!container) throw new Error(`container ${fs.containerName} not found`);
        const allocatable = String(fs.resource).startsWith('limits.') ? await ctx.allocatable() : undefined;
        value = containerResourceValue(container, fs, allocatable);
      }
    } catch (err) {
      errs.push((err as Error).message);
      continue;
    }
    into.set(path, { data: Buffer.from(value ?? '', 'utf8'), mode: item.mode ?? defaultMode });
  }
  if (errs.length) throw setUpFailed('Unsupported', ctx.volume, errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`);
  return into;
}

/** The payload of a projected volume's sources, in order (a later source wins a path). */
export async function projectedPayload(ctx: PayloadContext, spec: any): Promise<Payload> {
  const mode = spec.defaultMode ?? DEFAULT_MODE;
  const into: Payload = new Map();
  for (const source of spec.sources ?? []) {
    if (source.configMap) await keysPayload(ctx, 'configMap', source.configMap, mode, into);
    else if (source.secret) await keysPayload(ctx, 'secret', source.secret, mode, into);
    else if (source.downwardAPI) await downwardPayload(ctx, source.downwardAPI.items ?? [], mode, into);
    else if (source.serviceAccountToken) await tokenPayload(ctx, source.serviceAccountToken, mode, into);
    else throw setUpFailed('Unsupported', ctx.volume, `unsupported projected volume source: ${Object.keys(source).join(', ') || '(empty)'}`);
  }
  return into;
}

/**
 * A serviceAccountToken projection: a token of the pod's ServiceAccount for the source's
 * audience (none: the apiserver's own), bound to the pod, written with the volume's mode.
 * The token manager answers from its cache until the token is due for a refresh.
 */
export async function tokenPayload(ctx: PayloadContext, src: { path: string; audience?: string; expirationSeconds?: number }, mode: number, into: Payload): Promise<Payload> {
  const pod = ctx.pod;
  const spec = {
    ...(src.audience ? { audiences: [src.audience] } : {}),
    ...(src.expirationSeconds !== undefined ? { expirationSeconds: src.expirationSeconds } : {}),
    boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
  };
  let token: string;
  try {
    token = (await ctx.tokens.getServiceAccountToken(pod.metadata.namespace ?? '', pod.spec?.serviceAccountName ?? '', spec)).status.token;
  } catch (err) {
    throw setUpFailed('ApiError', ctx.volume, (err as Error).message);
  }
  into.set(src.path, { data: Buffer.from(token, 'utf8'), mode });
  return into;
}
