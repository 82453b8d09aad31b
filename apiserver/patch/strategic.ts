// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), following the apply
// half of apimachinery's pkg/util/strategicpatch for built-in types. Go reads each list's strategy
// from struct tags (patchStrategy/patchMergeKey); skiff stores untyped JSON, so the tags live in a
// table keyed by the field's path from the object root (list indexes are not part of the path).

import { errors } from '../../shared/errors.js';
import { hasOwn, isJsonObject, setProperty, type JsonObject } from './merge.js';

export interface StrategicMergeOptions {
  /**
   * true for PATCH: honour `$patch`, `$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`
   * and delete keys set to null. false for server-side apply: directive keys are dropped unread and
   * nulls are ignored, everything else merges the same way.
   */
  directives: boolean;
}

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVES = '$deleteFromPrimitiveList/';
const DROP = Symbol('drop');

function isDirectiveKey(key: string): boolean {
  return key === PATCH || key === RETAIN_KEYS || key.startsWith(SET_ORDER) || key.startsWith(DELETE_PRIMITIVES);
}

/** How a list merges: by `mergeKey` for objects, or as a set of primitives when the key is ''. */
export interface ListStrategy {
  mergeKey: string;
}

// Lists of a PodSpec, wherever one is embedded (Pod, PodTemplate, workload templates, CronJob).
const POD_SPEC_PATHS = new Set(['spec', 'template.spec', 'spec.template.spec', 'spec.jobTemplate.spec.template.spec']);
const POD_SPEC_LISTS = new Map([
  ['containers', 'name'], ['initContainers', 'name'], ['ephemeralContainers', 'name'], ['volumes', 'name'],
  ['imagePullSecrets', 'name'], ['hostAliases', 'ip'], ['topologySpreadConstraints', 'topologyKey'],
  ['resourceClaims', 'name'], ['schedulingGates', 'name'],
]);
const CONTAINER_LISTS = new Map([['ports', 'containerPort'], ['env', 'name'], ['volumeMounts', 'mountPath'], ['volumeDevices', 'devicePath']]);
// Lists at one fixed path from the root of their kind.
const ROOT_LISTS = new Map([
  ['spec.ports', 'port'], // Service
  ['status.addresses', 'type'], // Node
  ['status.podIPs', 'ip'], ['status.hostIPs', 'ip'], // Pod
  ['spec.podCIDRs', ''], // Node
  ['secrets', 'name'], // ServiceAccount
]);

const CONTAINER_KINDS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** The merge strategy of the list at `path`, or undefined when the list is atomic (replaced whole). */
export function listStrategy(path: readonly string[]): ListStrategy | undefined {
  const mergeKey = mergeKeyOf(path);
  return mergeKey === undefined ? undefined : { mergeKey };
}

function mergeKeyOf(path: readonly string[]): string | undefined {
  const field = path[path.length - 1];
  const parent = path[path.length - 2];
  if (field === 'conditions') return 'type';
  if (parent === 'metadata' && field === 'ownerReferences') return 'uid';
  if (parent === 'metadata' && field === 'finalizers') return '';
  if (POD_SPEC_LISTS.has(field) && POD_SPEC_PATHS.has(path.slice(0, -1).join('.'))) return POD_SPEC_LISTS.get(field);
  if (CONTAINER_LISTS.has(field) && CONTAINER_KINDS.has(parent) && POD_SPEC_PATHS.has(path.slice(0, -2).join('.'))) {
    return CONTAINER_LISTS.get(field);
  }
  return ROOT_LISTS.get(path.join('.'));
}

/** Apply a strategic merge patch with all directives, as `kubectl patch` and `kubectl apply` expect. */
export function strategicMergePatch(original: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  return strategicMerge(original, patch, { directives: true });
}

/** Merge `patch` into a copy of `original`. Neither input is mutated. */
export function strategicMerge(original: Record<string, unknown>, patch: Record<string, unknown>, options: StrategicMergeOptions): Record<string, unknown> {
  if (!isJsonObject(patch)) throw errors.badRequest('a strategic merge patch must be a JSON object');
  // Work on private copies, so the port can mutate as apimachinery does.
  const base = isJsonObject(original) ? structuredClone(original) : {};
  return mergeMap(base, structuredClone(patch), [], options);
}

function mergeMap(original: JsonObject, patch: JsonObject, path: string[], opts: StrategicMergeOptions): JsonObject {
  if (opts.directives && hasOwn(patch, PATCH)) return mapDirective(patch, path, opts);
  if (opts.directives) {
    retainKeys(original, patch, path);
    mergeOrderedLists(original, patch, path, opts);
  }
  for (const [rawKey, value] of Object.entries(patch)) {
    let key = rawKey;
    if (isDirectiveKey(rawKey)) {
      // $retainKeys and $setElementOrder were consumed above; apply ignores every directive.
      if (!opts.directives || !rawKey.startsWith(DELETE_PRIMITIVES)) continue;
      key = rawKey.slice(DELETE_PRIMITIVES.length);
      deleteFromPrimitiveList(original, key, value, path);
      continue;
    }
    if (value === null) {
      if (opts.directives) delete original[key];
      continue;
    }
    const current = hasOwn(original, key) ? original[key] : undefined;
    const fieldPath = [...path, key];
    if (isJsonObject(current) && isJsonObject(value)) {
      setProperty(original, key, mergeMap(current, value, fieldPath, opts));
    } else if (Array.isArray(current) && Array.isArray(value)) {
      const strategy = listStrategy(fieldPath);
      setProperty(original, key, strategy ? mergeList(current, value, strategy.mergeKey, fieldPath, opts) : sanitize(value, opts));
    } else {
      // New field or a change of type: take the patch value, minus directives and nulls.
      const fresh = sanitize(value, opts);
      if (fresh === DROP) delete original[key];
      else setProperty(original, key, fresh);
    }
  }
  return original;
}

// `$patch` on a map: replace it with the patch's own content, or empty it.
function mapDirective(patch: JsonObject, path: string[], opts: StrategicMergeOptions): JsonObject {
  const directive = patch[PATCH];
  if (directive === 'replace') return sanitize(patch, opts) as JsonObject;
  if (directive === 'delete') return {};
  throw errors.badRequest(`unknown patch type ${JSON.stringify(directive)} in map at ${where(path)}`);
}

// `$retainKeys` clears every field of the original not listed; every field the patch sets must be listed.
function retainKeys(original: JsonObject, patch: JsonObject, path: string[]): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const keep = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(keep)) throw errors.badRequest(`${RETAIN_KEYS} at ${where(path)} must be a list of field names`);
  const kept = new Set(keep);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(SET_ORDER) || key.startsWith(DELETE_PRIMITIVES)) continue;
    if (!kept.has(key)) throw errors.badRequest(`field ${JSON.stringify(key)} at ${where(path)} is set by the patch but missing from ${RETAIN_KEYS}`);
  }
  for (const key of Object.keys(original)) if (!kept.has(key)) delete original[key];
}

function deleteFromPrimitiveList(original: JsonObject, key: string, value: unknown, path: string[]): void {
  if (!key || !Array.isArray(value) || value.some((v) => typeof v === 'object' && v !== null)) {
    throw errors.badRequest(`${DELETE_PRIMITIVES}${key} at ${where(path)} must be a list of primitive values`);
  }
  const current = hasOwn(original, key) ? original[key] : undefined;
  if (Array.isArray(current)) setProperty(original, key, current.filter((v) => !value.includes(v)));
}

// `$setElementOrder/<field>` names the final order of the items the patch is about; the list is
// merged here and removed from the patch so the main loop does not merge it twice.
function mergeOrderedLists(original: JsonObject, patch: JsonObject, path: string[], opts: StrategicMergeOptions): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ORDER)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    const field = directiveKey.slice(SET_ORDER.length);
    if (!field || !Array.isArray(order)) throw errors.badRequest(`${directiveKey} at ${where(path)} must be a list`);
    const fieldPath = [...path, field];
    const strategy = listStrategy(fieldPath);
    const current = Array.isArray(original[field]) ? (original[field] as unknown[]) : undefined;
    const change = hasOwn(patch, field) ? patch[field] : undefined;
    // Only merging lists have an order to keep; anything else merges in the main loop.
    if (!strategy || (change !== undefined && !Array.isArray(change))) continue;
    const { mergeKey } = strategy;
    if (mergeKey) requireMergeKey(order, mergeKey, fieldPath);
    validateOrder(change ?? [], order, mergeKey, fieldPath);
    if (!current && !change) continue;
    const merged = change ? mergeList(current ?? [], change, mergeKey, fieldPath, opts) : (current as unknown[]);
    setProperty(original, field, orderMerged(merged, order, current ?? [], mergeKey));
    delete patch[field];
  }
}

// apimachinery's validatePatchWithSetOrderList: the patch list must be a subsequence of the order.
function validateOrder(change: unknown[], order: unknown[], mergeKey: string, path: string[]): void {
  const items = change.filter((item) => !(isJsonObject(item) && hasOwn(item, PATCH)));
  let i = 0;
  for (let j = 0; i < items.length && j < order.length; j++) if (sameItem(items[i], order[j], mergeKey)) i++;
  if (i < items.length) throw errors.badRequest(`the order of the patch list at ${where(path)} does not match ${SET_ORDER}${path[path.length - 1]}`);
}

// apimachinery's mergeSlice for a list with strategy "merge".
function mergeList(original: unknown[], patch: unknown[], mergeKey: string, path: string[], opts: StrategicMergeOptions): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const all = [...original, ...patch];
  if (all.some(Array.isArray)) throw errors.badRequest(`lists of lists are not supported at ${where(path)}`);
  const objects = all.filter(isJsonObject).length;
  if (objects > 0 && objects < all.length) throw errors.badRequest(`list element types are not identical at ${where(path)}`);
  if (objects === 0) {
    if (mergeKey) throw errors.badRequest(`list at ${where(path)} must hold objects merged by ${JSON.stringify(mergeKey)}`);
    return orderMerged([...new Set(all)], patch, original, ''); // a set of primitives: union
  }
  if (!mergeKey) throw errors.badRequest(`cannot merge a list of objects without a merge key at ${where(path)}`);
  let [base, items] = [original, patch];
  if (opts.directives) [base, items] = listDirectives(original, patch, mergeKey, path, opts);
  requireMergeKey(items, mergeKey, path);
  const merged = [...base];
  for (const item of items as JsonObject[]) {
    const i = merged.findIndex((m) => isJsonObject(m) && hasOwn(m, mergeKey) && m[mergeKey] === item[mergeKey]);
    if (i >= 0) merged[i] = mergeMap(merged[i] as JsonObject, item, path, opts);
    else merged.push(sanitize(item, opts));
  }
  return orderMerged(merged, items, base, mergeKey);
}

// Items carrying `$patch`: delete removes the original items with that key, replace makes the
// patch's other items the whole list.
function listDirectives(original: unknown[], patch: unknown[], mergeKey: string, path: string[], opts: StrategicMergeOptions): [unknown[], unknown[]] {
  const items: unknown[] = [];
  let base = original;
  let replace = false;
  for (const item of patch as JsonObject[]) {
    if (!hasOwn(item, PATCH)) {
      items.push(item);
    } else if (item[PATCH] === 'delete') {
      requireMergeKey([item], mergeKey, path);
      base = base.filter((m) => !(isJsonObject(m) && m[mergeKey] === item[mergeKey]));
    } else if (item[PATCH] === 'replace') {
      replace = true;
    } else if (item[PATCH] === 'merge') {
      throw errors.badRequest(`merging lists cannot yet be specified in the patch (at ${where(path)})`);
    } else {
      throw errors.badRequest(`unknown patch type ${JSON.stringify(item[PATCH])} in list at ${where(path)}`);
    }
  }
  return replace ? [items.map((item) => sanitize(item, opts)), []] : [base, items];
}

// apimachinery's partition + normalizeElementOrder: items named by `order` follow it, the server's
// other items keep their relative order, and the two are interleaved by their original positions.
// A new item therefore lands before the server's items unless an order says otherwise.
function orderMerged(merged: unknown[], order: unknown[], serverOrder: unknown[], mergeKey: string): unknown[] {
  const named = (item: unknown) => indexIn(order, item, mergeKey) >= 0;
  const left = sortBy(merged.filter((item) => !named(item)), serverOrder, mergeKey);
  const right = sortBy(merged.filter(named), order, mergeKey);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]);
    else if (i >= left.length) out.push(right[j++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      out.push(li >= 0 && ri >= 0 && li < ri ? left[i++] : right[j++]);
    }
  }
  return out;
}

function sortBy(items: unknown[], order: unknown[], mergeKey: string): unknown[] {
  const rank = (item: unknown) => {
    const i = indexIn(order, item, mergeKey);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...items].sort((a, b) => rank(a) - rank(b));
}

function indexIn(list: unknown[], item: unknown, mergeKey: string): number {
  return list.findIndex((candidate) => sameItem(candidate, item, mergeKey));
}

function sameItem(a: unknown, b: unknown, mergeKey: string): boolean {
  if (!mergeKey) return a === b;
  return isJsonObject(a) && isJsonObject(b) && hasOwn(a, mergeKey) && hasOwn(b, mergeKey) && a[mergeKey] === b[mergeKey];
}

function requireMergeKey(items: unknown[], mergeKey: string, path: string[]): void {
  for (const item of items) {
    if (!isJsonObject(item) || !hasOwn(item, mergeKey)) {
      throw errors.badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey} (at ${where(path)})`);
    }
  }
}

// A value taken from the patch as is (apimachinery's removeDirectives + discardNullValuesFromPatch):
// directive keys and nulls go, a map marked `$patch: delete` is dropped, list items carrying `$patch` too.
function sanitize(value: unknown, opts: StrategicMergeOptions): unknown {
  if (Array.isArray(value)) {
    return value.filter((v) => !(opts.directives && isJsonObject(v) && hasOwn(v, PATCH))).map((v) => sanitize(v, opts));
  }
  if (!isJsonObject(value)) return value;
  if (opts.directives && hasOwn(value, PATCH)) {
    if (value[PATCH] === 'delete') return DROP;
    if (value[PATCH] !== 'replace') throw errors.badRequest(`unknown patch type ${JSON.stringify(value[PATCH])} in map`);
  }
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || isDirectiveKey(key)) continue;
    const clean = sanitize(v, opts);
    if (clean !== DROP) setProperty(out, key, clean);
  }
  return out;
}

function where(path: string[]): string {
  return path.length ? path.join('.') : '<root>';
}
