// Reading JSON that arrives inside annotation strings, as Go's encoding/json reads it into
// typed structs: keys match exactly or else case-insensitively, unknown keys are ignored,
// null is the zero value, and a value of the wrong type fails the whole document (the
// caller then ignores the annotation, as upstream's conversions do when Unmarshal fails).

export type Obj = Record<string, unknown>;

/** Drops undefined members, keeping the order keys were written in (Go's field order). */
export function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** JSON.parse of an annotation's value; undefined when there is none or it is not JSON. */
export function parseAnnotation(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON: json.Unmarshal fails, so the annotation is ignored.
    return undefined;
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Typed reads that never throw: a mismatch sets `invalid` and yields undefined, so one
 * pass converts a document and the caller checks `invalid` once at the end.
 */
export class JsonReader {
  invalid = false;

  /** Member `name` of o: the exact key, else the first key equal to it ignoring case. */
  get(o: Obj, name: string): unknown {
    if (Object.hasOwn(o, name)) return o[name];
    const lower = name.toLowerCase();
    const key = Object.keys(o).find((k) => k.toLowerCase() === lower);
    return key === undefined ? undefined : o[key];
  }

  private fail(): undefined {
    this.invalid = true;
    return undefined;
  }

  object(v: unknown): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    return isObj(v) ? v : this.fail();
  }

  string(v: unknown): string | undefined {
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' ? v : this.fail();
  }

  int(v: unknown): number | undefined {
    if (v === undefined || v === null) return undefined;
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : this.fail();
  }

  /** resource.Quantity: a string or a JSON number. */
  quantity(v: unknown): string | number | undefined {
    if (v === undefined || v === null) return undefined;
    return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? v : this.fail();
  }

  array<T>(v: unknown, item: (x: unknown) => T | undefined): T[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return this.fail();
    const out: T[] = [];
    for (const x of v) {
      const converted = item(x);
      if (converted === undefined) return this.fail();
      out.push(converted);
    }
    return out;
  }

  /** The string member `name` of o. */
  field(o: Obj, name: string): string | undefined {
    return this.string(this.get(o, name));
  }

  /** metav1.LabelSelector: matchLabels and matchExpressions, nothing else kept. */
  selector(v: unknown): Obj | undefined {
    const s = this.object(v);
    if (!s) return undefined;
    const labels = this.object(this.get(s, 'matchLabels'));
    if (labels) for (const value of Object.values(labels)) this.string(value);
    const expressions = this.array(this.get(s, 'matchExpressions'), (x) => {
      const e = this.object(x);
      if (!e) return undefined;
      return compact({ key: this.field(e, 'key'), operator: this.field(e, 'operator'), values: this.array(this.get(e, 'values'), (y) => this.string(y)) });
    });
    return compact({ matchLabels: labels, matchExpressions: expressions });
  }
}
