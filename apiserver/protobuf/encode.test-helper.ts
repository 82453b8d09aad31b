// The inverse of decode.ts, used only by tests to build protobuf bodies from JSON objects with
// the same field tables. Like Go's marshaller it writes fields in field-number order; unlike
// it, it writes only the fields the object has, so decode(encode(x)) gives x back. With
// { goZeros: true } it also writes "", 0 or false for every non-pointer scalar the object
// lacks, as gogo-protobuf does for a Go struct (kubectl's bodies look like that).

import { MESSAGES, isMessageKind, rootMessage, type FieldDescriptor } from './schema.js';

type Obj = Record<string, unknown>;

export interface EncodeOptions {
  /** Write the zero value of every absent non-pointer singular scalar, as Go's marshaller does. */
  goZeros?: boolean;
}

const ZERO: Readonly<Record<string, unknown>> = { string: '', bytes: '', int32: 0, int64: 0, bool: false, double: 0 };

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function varint(v: bigint | number): Buffer {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return Buffer.from(out);
}

const tag = (field: number, wire: number): Buffer => varint(field * 8 + wire);
const lengthDelimited = (field: number, payload: Uint8Array): Buffer => Buffer.concat([tag(field, 2), varint(payload.length), payload]);

function scalar(field: number, kind: string, v: unknown): Buffer {
  switch (kind) {
    case 'string': return lengthDelimited(field, Buffer.from(String(v), 'utf8'));
    case 'bytes': return lengthDelimited(field, Buffer.from(String(v), 'base64'));
    case 'int32': case 'int64': return Buffer.concat([tag(field, 0), varint(BigInt(v as number))]);
    case 'bool': return Buffer.concat([tag(field, 0), varint(v ? 1 : 0)]);
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number(v));
      return Buffer.concat([tag(field, 1), b]);
    }
    default: throw new Error(`not a scalar kind: ${kind}`);
  }
}

function one(field: number, kind: string, v: unknown, opts: EncodeOptions): Buffer {
  return isMessageKind(kind) ? lengthDelimited(field, encodeValue(kind, v, opts)) : scalar(field, kind, v);
}

function encodeField(num: number, f: FieldDescriptor, obj: Obj, opts: EncodeOptions): Buffer[] {
  if (f.inline) return [lengthDelimited(num, encodeMessage(f.kind, obj, opts))];
  const v = obj[f.name];
  if (v === undefined) {
    const goZero = opts.goZeros && !f.pointer && !f.repeated && !f.map && !isMessageKind(f.kind);
    return goZero ? [scalar(num, f.kind, ZERO[f.kind])] : [];
  }
  if (v === null) return f.kind === 'Time' || f.kind === 'MicroTime' ? [lengthDelimited(num, Buffer.alloc(0))] : [];
  if (f.map) {
    return Object.entries(v as Obj).map(([k, val]) =>
      lengthDelimited(num, Buffer.concat([scalar(1, 'string', k), one(2, f.map!.value, val, opts)])),
    );
  }
  if (f.repeated) return (v as unknown[]).map((item) => one(num, f.kind, item, opts));
  return [one(num, f.kind, v, opts)];
}

/** The wire bytes of one message (no envelope) from its JSON form. */
export function encodeMessage(type: string, obj: Obj, opts: EncodeOptions = {}): Buffer {
  const table = MESSAGES[type];
  if (!table) throw new Error(`no table for message ${type}`);
  const nums = Object.keys(table).map(Number).sort((a, b) => a - b);
  return Buffer.concat(nums.flatMap((n) => encodeField(n, table[n], obj, opts)));
}

function timeFields(v: unknown, micro: boolean): Obj {
  if (v === null || v === undefined) return {};
  const s = String(v);
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) throw new Error(`not a time: ${s}`);
  const fraction = /\.(\d+)Z$/.exec(s)?.[1] ?? '';
  const nanos = micro ? Number(fraction.padEnd(9, '0').slice(0, 9)) : 0;
  return { seconds: Math.floor(ms / 1000), ...(nanos ? { nanos } : {}) };
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

function parseGoDuration(s: string): bigint {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) total += Number(m[1]) * UNITS[m[2]];
  return BigInt(Math.round(s.startsWith('-') ? -total : total));
}

function encodeValue(kind: string, v: unknown, opts: EncodeOptions): Buffer {
  switch (kind) {
    case 'Time': return encodeMessage('Time', timeFields(v, false));
    case 'MicroTime': return encodeMessage('MicroTime', timeFields(v, true));
    case 'Duration': return encodeMessage('Duration', { duration: parseGoDuration(String(v)) });
    case 'Quantity': return encodeMessage('Quantity', { string: String(v) });
    case 'IntOrString':
      return typeof v === 'number'
        ? encodeMessage('IntOrString', { type: 0, intVal: v, strVal: '' })
        : encodeMessage('IntOrString', { type: 1, intVal: 0, strVal: String(v) });
    case 'FieldsV1': return encodeMessage('FieldsV1', { Raw: Buffer.from(JSON.stringify(v)).toString('base64') });
    case 'RawExtension': return encodeMessage('RawExtension', { raw: Buffer.from(JSON.stringify(v)).toString('base64') });
    case 'ExtraValue': return encodeMessage('ExtraValue', { items: v });
    default: return encodeMessage(kind, v as Obj, opts);
  }
}

/** A whole request body: magic, runtime.Unknown envelope, and the object in `raw`. */
export function encodeK8sProtobuf(object: Obj, opts: EncodeOptions = {}): Buffer {
  const { apiVersion, kind, ...rest } = object as { apiVersion: string; kind: string } & Obj;
  const root = rootMessage(apiVersion, kind);
  if (!root) throw new Error(`no table for ${apiVersion}/${kind}`);
  return envelope(apiVersion, kind, encodeMessage(root, rest, opts));
}

/** Wraps raw message bytes in the envelope, as Go's protobuf serializer does. */
export function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const typeMeta = Buffer.concat([scalar(1, 'string', apiVersion), scalar(2, 'string', kind)]);
  return Buffer.concat([
    MAGIC,
    lengthDelimited(1, typeMeta),
    lengthDelimited(2, raw),
    lengthDelimited(3, Buffer.alloc(0)),
    lengthDelimited(4, Buffer.alloc(0)),
  ]);
}

/** Low-level pieces for tests that build malformed bodies by hand. */
export const wire = { varint, tag, lengthDelimited, scalar };
