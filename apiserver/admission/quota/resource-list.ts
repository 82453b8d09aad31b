// corev1.ResourceList arithmetic as pkg/quota/v1 does it (Add, Subtract, Mask,
// LessThanOrEqual, …), exact in milli-units so that ten `100m` make exactly `1`.
// Each value keeps the format of the first quantity it came from, as Quantity.Add does,
// so `1Gi` + `512Mi` prints `1536Mi`.
import { formatQuantity, parseCpuMillis, quantityFormat, type QuantityFormat } from '../../../shared/quantity.js';

export interface Amount {
  milli: bigint;
  format: QuantityFormat;
}

export type ResourceList = Map<string, Amount>;

export function amount(q: unknown): Amount | undefined {
  if (typeof q !== 'string' && typeof q !== 'number') return undefined;
  try {
    return { milli: BigInt(parseCpuMillis(q)), format: quantityFormat(q) };
  } catch {
    return undefined;
  }
}

export function count(n: number): Amount {
  return { milli: BigInt(n) * 1000n, format: 'DecimalSI' };
}

/** A ResourceList from JSON (`{cpu: "100m"}`); malformed quantities are left out (validation reports them). */
export function fromJSON(v: unknown): ResourceList {
  const out: ResourceList = new Map();
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out;
  for (const [k, q] of Object.entries(v)) {
    const a = amount(q);
    if (a) out.set(k, a);
  }
  return out;
}

/** Quantity.String of an amount. */
export function format(a: Amount): string {
  const whole = a.milli / 1000n;
  const rest = a.milli % 1000n;
  const value = rest === 0n ? Number(whole) : Number(a.milli) / 1000;
  return formatQuantity(value, a.format);
}

export function toJSON(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...list.keys()].sort()) out[k] = format(list.get(k)!);
  return out;
}

export function add(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) {
    const cur = out.get(k);
    out.set(k, cur ? { milli: cur.milli + v.milli, format: cur.format } : v);
  }
  return out;
}

/** Per-resource maximum (maxResourceList). */
export function max(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map(a);
  for (const [k, v] of b) {
    const cur = out.get(k);
    if (!cur || v.milli > cur.milli) out.set(k, v);
  }
  return out;
}

/** a − b, floored at zero (SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of a) {
    const d = v.milli - (b.get(k)?.milli ?? 0n);
    out.set(k, { milli: d > 0n ? d : 0n, format: v.format });
  }
  return out;
}

export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const n of names) {
    const v = list.get(n);
    if (v) out.set(n, v);
  }
  return out;
}

export function removeZeros(list: ResourceList): ResourceList {
  return new Map([...list].filter(([, v]) => v.milli !== 0n));
}

export function negative(list: ResourceList): string[] {
  return [...list].filter(([, v]) => v.milli < 0n).map(([k]) => k).sort();
}

/** Whether every value of a is ≤ the same resource in b (absent in b: no limit); the names that exceed. */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { allowed: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, v] of a) {
    const limit = b.get(k);
    if (limit && v.milli > limit.milli) exceeded.push(k);
  }
  return { allowed: exceeded.length === 0, exceeded };
}

export function equals(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k)?.milli !== v.milli) return false;
  return true;
}

/** prettyPrint of the quota admission: `limits.cpu=2,pods=1`, by sorted name. */
export function prettyPrint(list: ResourceList): string {
  return [...list.keys()].sort().map((k) => `${k}=${format(list.get(k)!)}`).join(',');
}
