// JSON merge patch (RFC 7386), the body of `application/merge-patch+json`.
// Objects merge key by key, `null` deletes a key, anything else replaces the target.

export type JsonObject = Record<string, unknown>;

/** A JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `key` is the object's own property (never one inherited from Object.prototype). */
export function hasOwn(obj: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/**
 * Set a property as plain data. Plain assignment would run the `__proto__` setter for a key that
 * JSON.parse happily produces, re-parenting the object instead of storing the field.
 */
export function setProperty(obj: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Apply an RFC 7386 merge patch. Neither argument is mutated; the result shares nothing with them. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  return mergeInto(structuredClone(target), patch);
}

// `target` is already a private copy, so it is merged in place.
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch);
  const result: JsonObject = isJsonObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
      continue;
    }
    const current = hasOwn(result, key) ? result[key] : undefined;
    setProperty(result, key, mergeInto(current, value));
  }
  return result;
}
