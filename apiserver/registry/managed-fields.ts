// metadata.managedFields and server-side apply. Field sets use Kubernetes' FieldsV1
// encoding: `f:<field>` for map keys, `k:{"name":"web"}` for list items merged by key,
// `v:<json>` for set members, `.` for the item itself; atomic lists are leaves.
import { isDeepStrictEqual } from 'node:util';
import { errors } from '../../shared/errors.js';
import type { KubeObject, ManagedFieldsEntry } from '../../shared/types.js';
import { listStrategy, strategicMerge } from '../patch/strategic.js';
import { timestamp } from './time.js';

export type FieldSet = { [key: string]: FieldSet };

const TRACKED_METADATA = ['labels', 'annotations', 'finalizers', 'ownerReferences'];

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The fields an object sets (what an applier asserts ownership of). */
export function fieldSetOf(obj: KubeObject): FieldSet {
  const out: FieldSet = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k === 'metadata') {
      const meta: FieldSet = {};
      for (const m of TRACKED_METADATA) if (isObj(obj.metadata) && obj.metadata[m] !== undefined) meta[`f:${m}`] = valueSet(obj.metadata[m], ['metadata', m]);
      if (Object.keys(meta).length) out['f:metadata'] = meta;
      continue;
    }
    out[`f:${k}`] = valueSet(v, [k]);
  }
  return out;
}

function valueSet(v: unknown, path: string[]): FieldSet {
  if (isObj(v)) {
    const fs: FieldSet = {};
    for (const [k, child] of Object.entries(v)) fs[`f:${k}`] = valueSet(child, [...path, k]);
    return fs;
  }
  if (Array.isArray(v)) {
    const strategy = listStrategy(path);
    if (!strategy) return {};
    const fs: FieldSet = {};
    for (const item of v) {
      if (strategy.mergeKey === '') fs[`v:${JSON.stringify(item)}`] = {};
      else if (isObj(item) && item[strategy.mergeKey] !== undefined) {
        fs[`k:${JSON.stringify({ [strategy.mergeKey]: item[strategy.mergeKey] })}`] = { '.': {}, ...valueSet(item, path) };
      }
    }
    return fs;
  }
  return {};
}

/** The fields that differ between two states of an object (what an updater changed). */
export function changedFields(old: KubeObject | undefined, next: KubeObject): FieldSet {
  if (!old) return fieldSetOf(next);
  const full = fieldSetOf(next);
  return pruneUnchanged(full, old, next);
}

function pruneUnchanged(fs: FieldSet, a: unknown, b: unknown): FieldSet {
  const out: FieldSet = {};
  for (const [key, child] of Object.entries(fs)) {
    if (key === '.') continue;
    const av = pick(a, key);
    const bv = pick(b, key);
    if (isDeepStrictEqual(av, bv)) continue;
    if (!Object.keys(child).length) {
      out[key] = {};
      continue;
    }
    // A parent differs only through untracked children (e.g. metadata.resourceVersion).
    const sub = pruneUnchanged(child, av, bv);
    if (Object.keys(sub).length) out[key] = sub;
  }
  return out;
}

/** The value a FieldsV1 key addresses inside `v`. */
function pick(v: unknown, key: string): unknown {
  if (key.startsWith('f:')) return isObj(v) ? v[key.slice(2)] : undefined;
  if (!Array.isArray(v)) return undefined;
  if (key.startsWith('v:')) {
    const want = JSON.parse(key.slice(2));
    return v.find((x) => isDeepStrictEqual(x, want));
  }
  if (key.startsWith('k:')) {
    const want = JSON.parse(key.slice(2)) as Record<string, unknown>;
    return v.find((x) => isObj(x) && Object.entries(want).every(([k, val]) => isDeepStrictEqual(x[k], val)));
  }
  return undefined;
}

function union(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = out[k] ? union(out[k]!, v) : v;
  return out;
}

function subtract(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = {};
  for (const [k, v] of Object.entries(a)) {
    if (!(k in b)) out[k] = v;
    else if (Object.keys(v).length && Object.keys(b[k]!).length) {
      const sub = subtract(v, b[k]!);
      if (Object.keys(sub).length) out[k] = sub;
    }
  }
  return out;
}

/** Leaf paths present in both sets. */
function leaves(fs: FieldSet, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [k, v] of Object.entries(fs)) {
    if (k === '.') continue;
    if (Object.keys(v).filter((x) => x !== '.').length === 0) out.push([...prefix, k]);
    else out.push(...leaves(v, [...prefix, k]));
  }
  return out;
}

function has(fs: FieldSet, path: string[]): boolean {
  let cur: FieldSet | undefined = fs;
  for (const k of path) {
    cur = cur?.[k];
    if (!cur) return false;
  }
  return true;
}

function valueAt(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const k of path) cur = pick(cur, k);
  return cur;
}

/** Records (or extends) the managedFields entry of one manager after a write. */
export function recordManager(obj: KubeObject, old: KubeObject | undefined, manager: string, operation: 'Apply' | 'Update', apiVersion: string, now: Date, subresource?: string): void {
  const entries = [...(old?.metadata.managedFields ?? obj.metadata.managedFields ?? [])].filter(
    (e) => !(e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '')),
  );
  const prev = (old?.metadata.managedFields ?? []).find((e) => e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? ''));
  const changed = operation === 'Apply' ? fieldSetOf(obj) : changedFields(old, obj);
  const fields = operation === 'Update' && prev?.fieldsV1 ? union(prev.fieldsV1 as FieldSet, changed) : changed;
  // Fields this write took over belong to it alone now.
  const others = entries.map((e) => (e.fieldsV1 ? { ...e, fieldsV1: subtract(e.fieldsV1 as FieldSet, changed) } : e)).filter((e) => !e.fieldsV1 || Object.keys(e.fieldsV1).length);
  const entry: ManagedFieldsEntry = { manager, operation, apiVersion, time: timestamp(now), fieldsType: 'FieldsV1', fieldsV1: fields };
  if (subresource) entry.subresource = subresource;
  obj.metadata.managedFields = [...others, entry];
}

/**
 * Server-side apply onto a live object: merge the applied configuration, drop fields
 * this manager applied before but no longer does (unless another manager owns them),
 * and refuse (409, FieldManagerConflict) to change a value another manager set, unless forced.
 */
export function serverSideApply(live: KubeObject, applied: KubeObject, manager: string, apiVersion: string, force: boolean, now: Date): KubeObject {
  const entries = live.metadata.managedFields ?? [];
  const appliedSet = fieldSetOf(applied);
  if (!force) {
    const conflicts: { manager: string; field: string }[] = [];
    for (const e of entries) {
      if (e.manager === manager || !e.fieldsV1) continue;
      for (const path of leaves(e.fieldsV1 as FieldSet)) {
        if (!has(appliedSet, path)) continue;
        if (!isDeepStrictEqual(valueAt(live, path), valueAt(applied, path))) conflicts.push({ manager: e.manager ?? '', field: '.' + path.map((p) => p.slice(2)).join('.') });
      }
    }
    if (conflicts.length) {
      const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: c.field }));
      throw errors.conflict(
        '',
        '',
        live.metadata.name ?? '',
        `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${causes.map((c) => `${c.message}: ${c.field}`).join('; ')}`,
        causes,
      );
    }
  }
  const merged = strategicMerge(live as Record<string, unknown>, applied as Record<string, unknown>, { directives: false }) as KubeObject;
  const prev = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  if (prev?.fieldsV1) {
    let dropped = subtract(prev.fieldsV1 as FieldSet, appliedSet);
    for (const e of entries) if (e !== prev && e.fieldsV1) dropped = subtract(dropped, e.fieldsV1 as FieldSet);
    removeFields(merged, dropped);
  }
  merged.metadata.managedFields = entries;
  recordManager(merged, live, manager, 'Apply', apiVersion, now);
  return merged;
}

function removeFields(obj: unknown, fs: FieldSet): void {
  for (const [key, child] of Object.entries(fs)) {
    if (key === '.') continue;
    const deeper = Object.keys(child).filter((k) => k !== '.').length > 0;
    if (key.startsWith('f:') && isObj(obj)) {
      const name = key.slice(2);
      if (deeper) removeFields(obj[name], child);
      else delete obj[name];
    } else if (Array.isArray(obj)) {
      const target = pick(obj, key);
      if (target === undefined) continue;
      if (deeper && !('.' in child)) removeFields(target, child);
      else obj.splice(obj.indexOf(target), 1);
    }
  }
}
