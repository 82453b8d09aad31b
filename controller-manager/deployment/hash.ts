// The pod-template-hash (controller.ComputeHash) and template equality
// (deploymentutil.EqualIgnoreHash). Upstream hashes and compares Go structs, where an
// absent field, a JSON null, `{}` and a zero value are the same thing. Templates arrive
// here as JSON (kubectl's undo sends `creationTimestamp: null` and `resources: {}`), so
// both work on one canonical form: zero values dropped from struct fields, quantities
// compared by amount, keys sorted. Equal templates therefore hash alike, and the hash is
// stable across controller restarts.
import { parseQuantity } from '../../shared/quantity.js';
import type { PodTemplateSpec } from './types.js';

/** apps.DefaultDeploymentUniqueLabelKey */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Free-form string maps: an entry with an empty value is still an entry. */
const STRING_MAPS = new Set(['labels', 'annotations', 'nodeSelector', 'matchLabels', 'volumeAttributes']);
/** Maps of quantities (ResourceList), whose values compare by amount: `1` equals `1000m`. */
const QUANTITY_MAPS = new Set(['requests', 'limits', 'overhead']);
const QUANTITIES = new Set(['sizeLimit']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isZero(v: Json | undefined): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

function quantity(v: Json): Json {
  if (typeof v !== 'string' && typeof v !== 'number') return canonical(v);
  try {
    return parseQuantity(v);
  } catch {
    return v;
  }
}

/** The canonical value of a struct field, or undefined when it equals the zero value. */
function field(key: string, v: Json | undefined): Json | undefined {
  if (v === undefined || v === null) return undefined;
  let out: Json;
  if (STRING_MAPS.has(key) && typeof v === 'object' && !Array.isArray(v)) out = sorted(v, (_k, x) => x);
  else if (QUANTITY_MAPS.has(key) && typeof v === 'object' && !Array.isArray(v)) out = sorted(v, (_k, x) => quantity(x));
  else if (QUANTITIES.has(key)) out = quantity(v);
  else out = canonical(v);
  return isZero(out) ? undefined : out;
}

function sorted(obj: { [k: string]: Json }, fn: (k: string, v: Json) => Json | undefined): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v === undefined) continue;
    const c = fn(k, v);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map((x) => (x === null ? null : canonical(x)));
  if (v !== null && typeof v === 'object') return sorted(v, field);
  return v;
}

/** The canonical JSON of any API value: equal for semantically equal values. */
export function canonicalJSON(value: unknown): string {
  return JSON.stringify(value === undefined ? null : canonical(value as Json));
}

/** The canonical JSON of a pod template, optionally without its pod-template-hash label. */
export function canonicalTemplate(template: PodTemplateSpec | undefined, ignoreHash = false): string {
  let t = (template ?? {}) as { [k: string]: Json };
  if (ignoreHash && template?.metadata?.labels && POD_TEMPLATE_HASH_LABEL in template.metadata.labels) {
    const labels = { ...template.metadata.labels };
    delete labels[POD_TEMPLATE_HASH_LABEL];
    t = { ...t, metadata: { ...(template.metadata as { [k: string]: Json }), labels } };
  }
  return JSON.stringify(canonical(t) ?? {});
}

/** Whether two templates are semantically equal, ignoring the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalTemplate(a, true) === canonicalTemplate(b, true);
}

/** FNV-1a, 32 bits (hash/fnv.New32a). */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Consonants and digits only, so no generated name spells a word (rand.SafeEncodeString). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += ALPHANUMS[ch.codePointAt(0)! % ALPHANUMS.length];
  return out;
}

/**
 * controller.ComputeHash: FNV-32a over the template, then the collision count as eight
 * little-endian bytes (a uint32 in the first four, as upstream writes it), printed in
 * decimal and safe-encoded.
 */
export function computeHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalTemplate(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}
