// Building blocks of the registry's validation: readers that check a JSON value's
// shape before it is used (a wrong type becomes a cause, never an exception), field
// path helpers, and the checks apimachinery shares across kinds (labels, annotations,
// label selectors, quantities, int-or-percent, immutable fields).

import { cause, type StatusCause } from '../../shared/errors.js';
import { formatQuantity, parseQuantity, QUANTITY_FORMAT_MESSAGE, quantityFormat } from '../../shared/quantity.js';
import { fromMetaSelector, matchesLabels, type MetaLabelSelector } from '../../shared/selectors.js';
import { isQualifiedName, isValidLabelValue, isValidPercent } from '../../shared/validation.js';

export type Errs = StatusCause[];
export type Obj = Record<string, unknown>;

/** `spec` + `replicas` → `spec.replicas`; '' + `data` → `data`. */
export const at = (base: string, name: string): string => (base ? `${base}.${name}` : name);
/** `spec.containers` + 0 → `spec.containers[0]`; `data` + `k` → `data[k]`. */
export const idx = (base: string, i: number | string): string => `${base}[${i}]`;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function typeError(errs: Errs, path: string, value: unknown, expected: string): void {
  errs.push(cause.typeInvalid(path, value, `${path} in body must be of type ${expected}: "${jsonType(value)}"`));
}

export const absent = (v: unknown): boolean => v === undefined || v === null;

/** The value when it is a string; undefined when absent; a cause when of another type. */
export function str(errs: Errs, v: unknown, path: string): string | undefined {
  if (absent(v)) return undefined;
  if (typeof v === 'string') return v;
  typeError(errs, path, v, 'string');
  return undefined;
}

export function int(errs: Errs, v: unknown, path: string): number | undefined {
  if (absent(v)) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  typeError(errs, path, v, 'integer');
  return undefined;
}

export function bool(errs: Errs, v: unknown, path: string): boolean | undefined {
  if (absent(v)) return undefined;
  if (typeof v === 'boolean') return v;
  typeError(errs, path, v, 'boolean');
  return undefined;
}

export function obj(errs: Errs, v: unknown, path: string): Obj | undefined {
  if (absent(v)) return undefined;
  if (isObj(v)) return v;
  typeError(errs, path, v, 'object');
  return undefined;
}

export function arr(errs: Errs, v: unknown, path: string): unknown[] | undefined {
  if (absent(v)) return undefined;
  if (Array.isArray(v)) return v;
  typeError(errs, path, v, 'array');
  return undefined;
}

/** The object items of a list with their paths; other items are reported. */
export function items(errs: Errs, v: unknown, path: string): [Obj, string][] {
  const out: [Obj, string][] = [];
  (arr(errs, v, path) ?? []).forEach((item, i) => {
    const p = idx(path, i);
    if (isObj(item)) out.push([item, p]);
    else typeError(errs, p, item, 'object');
  });
  return out;
}

/** A map of strings (labels, data); entries of another type are reported and dropped. */
export function strMap(errs: Errs, v: unknown, path: string): Record<string, string> | undefined {
  const o = obj(errs, v, path);
  if (!o) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) {
    if (typeof val === 'string') out[k] = val;
    else typeError(errs, idx(path, k), val, 'string');
  }
  return out;
}

/** A string list; other items are reported and dropped. */
export function strList(errs: Errs, v: unknown, path: string): string[] {
  const out: string[] = [];
  (arr(errs, v, path) ?? []).forEach((item, i) => {
    if (typeof item === 'string') out.push(item);
    else typeError(errs, idx(path, i), item, 'string');
  });
  return out;
}

export function required(path: string, detail = ''): StatusCause {
  return detail ? { ...cause.required(path), message: `Required value: ${detail}` } : cause.required(path);
}

export function notFound(path: string, value: unknown): StatusCause {
  return { reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(value)}`, field: path };
}

/** Appends field.Invalid(path, value, msg) for each message of a name check. */
export function invalidEach(errs: Errs, path: string, value: unknown, msgs: string[]): void {
  for (const m of msgs) errs.push(cause.invalid(path, value, m));
}

export function nonNegative(errs: Errs, v: unknown, path: string): number | undefined {
  const n = int(errs, v, path);
  if (n !== undefined && n < 0) errs.push(cause.invalid(path, n, 'must be greater than or equal to 0'));
  return n;
}

/** Go's %#v of a map[string]string, which upstream prints in several messages. */
export function goStringMap(m: unknown): string {
  if (!isObj(m)) return 'map[string]string(nil)';
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

/** Go's %#v of a *metav1.LabelSelector, as in `spec.selector: Invalid value: v1.LabelSelector{...}`. */
export function goLabelSelector(sel: unknown): string {
  if (!isObj(sel)) return '(*v1.LabelSelector)(nil)';
  const exprs = Array.isArray(sel.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map((e) => {
          const r = isObj(e) ? e : {};
          const values = Array.isArray(r.values) ? `[]string{${r.values.map((x) => JSON.stringify(x)).join(', ')}}` : '[]string(nil)';
          return `v1.LabelSelectorRequirement{Key:${JSON.stringify(r.key ?? '')}, Operator:${JSON.stringify(r.operator ?? '')}, Values:${values}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`;
}

/** A cause whose value is printed the Go way rather than as JSON. */
export function invalidGo(path: string, shown: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: ${detail}`, field: path };
}

export function validateLabels(errs: Errs, v: unknown, path: string): Record<string, string> | undefined {
  const labels = strMap(errs, v, path);
  for (const [k, val] of Object.entries(labels ?? {})) {
    invalidEach(errs, path, k, isQualifiedName(k));
    invalidEach(errs, path, val, isValidLabelValue(val));
  }
  return labels;
}

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateAnnotations(errs: Errs, v: unknown, path: string): void {
  const annotations = strMap(errs, v, path);
  let size = 0;
  for (const [k, val] of Object.entries(annotations ?? {})) {
    invalidEach(errs, path, k, isQualifiedName(k.toLowerCase()));
    size += Buffer.byteLength(k) + Buffer.byteLength(val);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(cause.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
}

/**
 * ValidateLabelSelector; returns the selector when it is well formed (so it can be
 * matched), undefined when absent or broken.
 */
export function validateLabelSelector(errs: Errs, v: unknown, path: string): MetaLabelSelector | undefined {
  const before = errs.length;
  const sel = obj(errs, v, path);
  if (!sel) return undefined;
  const matchLabels = validateLabels(errs, sel.matchLabels, at(path, 'matchLabels'));
  const exprs: NonNullable<MetaLabelSelector['matchExpressions']> = [];
  for (const [e, p] of items(errs, sel.matchExpressions, at(path, 'matchExpressions'))) {
    const op = str(errs, e.operator, at(p, 'operator'));
    const values = strList(errs, e.values, at(p, 'values'));
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(required(at(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(cause.forbidden(at(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(cause.invalid(at(p, 'operator'), op ?? '', 'not a valid selector operator'));
    }
    const key = str(errs, e.key, at(p, 'key')) ?? '';
    invalidEach(errs, at(p, 'key'), key, isQualifiedName(key));
    values.forEach((val, i) => invalidEach(errs, idx(at(p, 'values'), i), val, isValidLabelValue(val)));
    exprs.push({ key, operator: op as 'In', values });
  }
  if (errs.length > before) return undefined;
  return { matchLabels: matchLabels ?? {}, matchExpressions: exprs };
}

export function selectorIsEmpty(sel: MetaLabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions?.length ?? 0) === 0;
}

export function selectorMatches(sel: MetaLabelSelector, labels: unknown): boolean {
  const set: Record<string, string> = {};
  if (isObj(labels)) for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') set[k] = v;
  return matchesLabels(fromMetaSelector(sel), set);
}

/** A quantity value: its number, or a cause. Numbers are accepted as JSON numbers are. */
export function quantity(errs: Errs, v: unknown, path: string): number | undefined {
  if (absent(v)) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') {
    typeError(errs, path, v, 'string');
    return undefined;
  }
  try {
    return parseQuantity(v);
  } catch {
    errs.push(cause.invalid(path, v, QUANTITY_FORMAT_MESSAGE));
    return undefined;
  }
}

/** Quantity.String(): the canonical form upstream echoes in messages. */
export function canonicalQuantity(v: string | number): string {
  try {
    return formatQuantity(parseQuantity(v), quantityFormat(v));
  } catch {
    return String(v);
  }
}

/** An intstr that must be a non-negative int or a percent string; returns its value (percent as number). */
export function intOrPercent(errs: Errs, v: unknown, path: string): number | undefined {
  if (absent(v)) return undefined;
  if (typeof v === 'string') {
    const msgs = isValidPercent(v);
    invalidEach(errs, path, v, msgs);
    if (msgs.length) return undefined;
    const n = Number(v.slice(0, -1));
    if (n > 100) errs.push(cause.invalid(path, v, 'must not be greater than 100%'));
    return n;
  }
  if (typeof v === 'number' && Number.isInteger(v)) return nonNegative(errs, v, path);
  typeError(errs, path, v, 'integer or string');
  return undefined;
}

/** Maps of quantities, whose values compare by amount: `1` equals `1000m`. */
const QUANTITY_MAPS = new Set(['requests', 'limits', 'capacity', 'allocatable', 'hard', 'used', 'overhead']);
type Slot = '' | 'quantityMap' | 'quantity';
const slotOf = (parent: Slot, key: string): Slot => (parent === 'quantityMap' ? 'quantity' : QUANTITY_MAPS.has(key) ? 'quantityMap' : '');
const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);

/**
 * apiequality.Semantic.DeepEqual over JSON: absent, null and zero values are equal
 * (Go cannot tell them apart in non-pointer fields), quantities compare by value.
 */
export function semanticEqual(a: unknown, b: unknown, slot: Slot = ''): boolean {
  if (a === b) return true;
  if (isEmpty(a) && isEmpty(b)) return true;
  if (slot === 'quantity' && (typeof a === 'string' || typeof a === 'number') && (typeof b === 'string' || typeof b === 'number')) {
    try {
      return parseQuantity(a) === parseQuantity(b);
    } catch {
      return false;
    }
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!semanticEqual(a[k], b[k], slotOf(slot, k))) return false;
    return true;
  }
  return false;
}

/** ValidateImmutableField: `<path>: Invalid value: <new>: field is immutable`. */
export function immutable(errs: Errs, next: unknown, old: unknown, path: string, shown?: string): void {
  if (semanticEqual(next, old)) return;
  errs.push(shown === undefined ? cause.invalid(path, next ?? null, 'field is immutable') : invalidGo(path, shown, 'field is immutable'));
}

/** Paths where two values differ, for the diff upstream appends to some Forbidden messages. */
export function diffPaths(a: unknown, b: unknown, path: string, out: string[] = [], slot: Slot = ''): string[] {
  if (semanticEqual(a, b, slot) || out.length >= 10) return out;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => diffPaths(x, b[i], idx(path, i), out));
  } else if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffPaths(a[k], b[k], at(path, k), out, slotOf(slot, k));
  } else {
    out.push(`  ${path}: ${JSON.stringify(a ?? null)} -> ${JSON.stringify(b ?? null)}`);
  }
  return out;
}
