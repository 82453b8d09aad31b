// Conversions between a served version and the stored one, as runtime.Scheme's conversion
// functions: a resource whose table entry names a storageVersion is converted into it on
// the way in (decode, and the current object a patch applies to) and back into the
// request's version on the way out (every response and watch event). Every other
// resource passes through untouched, bytes and all.
import { errors } from '../../../shared/errors.js';
import type { KubeObject } from '../../../shared/types.js';
import { apiVersionOf, RESOURCES, type ResourceInfo } from '../resources.js';
import { hpaFromV1, hpaToV1 } from './hpa.js';

interface Conversion {
  /** The served version's object → the stored version's. */
  toStorage(obj: KubeObject): KubeObject;
  /** The stored version's object → the served version's. */
  fromStorage(obj: KubeObject): KubeObject;
}

/** By served `apiVersion/kind`. */
const CONVERSIONS: Record<string, Conversion> = {
  'autoscaling/v1/HorizontalPodAutoscaler': { toStorage: hpaFromV1, fromStorage: hpaToV1 },
};

/** Served versions of the table whose conversion is missing (a unit test keeps this empty). */
export function unconvertibleResources(): string[] {
  return RESOURCES.filter((r) => r.storageVersion && !Object.hasOwn(CONVERSIONS, `${apiVersionOf(r)}/${r.kind}`)).map((r) => `${apiVersionOf(r)}/${r.plural}`);
}

function conversionOf(r: ResourceInfo): Conversion | undefined {
  if (!r.storageVersion) return undefined;
  const key = `${apiVersionOf(r)}/${r.kind}`;
  if (!Object.hasOwn(CONVERSIONS, key)) throw errors.internal(`no conversion from ${key} to its storage version ${r.storageVersion}`);
  return CONVERSIONS[key];
}

function storageApiVersion(r: ResourceInfo): string {
  return `${r.group}/${r.storageVersion}`;
}

/** A decoded object of r's version as its storage version holds it. */
export function toStorageVersion(r: ResourceInfo, obj: KubeObject): KubeObject {
  const c = conversionOf(r);
  return c ? c.toStorage(obj) : obj;
}

/**
 * A stored object as r's version serves it. Anything else (a Status, a bookmark, an
 * object already in r's version) and resources stored as served come back as they are.
 */
export function servedObject(r: ResourceInfo, obj: KubeObject): KubeObject {
  const c = conversionOf(r);
  if (!c || obj.apiVersion !== storageApiVersion(r) || obj.kind !== r.kind) return obj;
  return c.fromStorage(obj);
}

/** servedObject for a stored object with its bytes: the bytes are kept when nothing changes. */
export function servedStored(r: ResourceInfo, o: { obj: KubeObject; raw: string }): { obj: KubeObject; raw: string } {
  const obj = servedObject(r, o.obj);
  return obj === o.obj ? o : { obj, raw: JSON.stringify(obj) };
}
