// Decodes request bodies in the Kubernetes protobuf encoding (application/vnd.kubernetes.protobuf),
// which kubectl's typed clients send: the magic `k8s\0`, then a runtime.Unknown whose `raw`
// holds the object. The result is the JSON form kube-apiserver would produce from the same
// bytes, so everything after the decoder sees what a JSON client would have sent.
//
// Zero values follow Go, not proto2. gogo-protobuf writes every non-pointer field of the Go
// struct, so kubectl's bodies carry "", 0 and false for everything it left unset; kube-apiserver
// decodes them into the struct and its JSON encoder drops the zero non-pointer fields tagged
// omitempty. So does this decoder: a singular scalar equal to "", 0 or false is left out unless
// the schema marks it keepZero (a Go pointer, where zero was set on purpose, like replicas: 0, or
// a field without omitempty, like containerPort). Empty lists are left out too; messages are
// always kept (Go emits a non-pointer struct even when empty, and a nil pointer is not on the wire).
//
// Any malformed input throws errors.badRequest; nothing else escapes and nothing loops forever.

import { ApiError, errors } from '../../shared/errors.js';
import { MESSAGES, SCALAR_KINDS, rootMessage, type FieldDescriptor } from './schema.js';

/** The four bytes every Kubernetes protobuf body starts with. */
export const K8S_PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Messages nested deeper than this are rejected (real objects stay under 20). */
export const MAX_DEPTH = 64;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
}

const bad = (message: string): ApiError => errors.badRequest(`invalid protobuf body: ${message}`);

// ---------------------------------------------------------------------------------------------
// The wire reader: varints, length-delimited slices, fixed-width values. Every read checks
// bounds and advances, so a loop over fields always terminates.

class Reader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** A varint as an unsigned 64-bit value. */
  varint(): bigint {
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw bad('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw bad('varint longer than 10 bytes');
  }

  /** A varint that must fit a JavaScript number: tags and lengths. */
  uint(): number {
    const b = this.buf[this.pos];
    if (b !== undefined && b < 0x80) {
      this.pos++;
      return b;
    }
    const v = this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('length or tag out of range');
    return Number(v);
  }

  tag(): { field: number; wire: number } {
    const t = this.uint();
    const field = Math.floor(t / 8);
    if (field === 0) throw bad('field number 0');
    return { field, wire: t % 8 };
  }

  bytes(): Uint8Array {
    const len = this.uint();
    if (len > this.buf.length - this.pos) throw bad('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  fixed(size: 4 | 8): Uint8Array {
    if (size > this.buf.length - this.pos) throw bad('truncated fixed-width field');
    const out = this.buf.subarray(this.pos, this.pos + size);
    this.pos += size;
    return out;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT: this.varint(); return;
      case WIRE_FIXED64: this.fixed(8); return;
      case WIRE_BYTES: this.bytes(); return;
      case WIRE_FIXED32: this.fixed(4); return;
      default: throw bad(`unsupported wire type ${wire}`);
    }
  }
}

const utf8 = new TextDecoder('utf-8');
const text = (b: Uint8Array): string => utf8.decode(b);
const base64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

// ---------------------------------------------------------------------------------------------
// Messages.

function expectWire(f: FieldDescriptor, owner: string, got: number, want: number): void {
  if (got !== want) throw bad(`${owner}.${f.name}: wire type ${got}, expected ${want}`);
}

function wireOf(kind: string): number {
  switch (kind) {
    case 'int32': case 'int64': case 'bool': return WIRE_VARINT;
    case 'double': return WIRE_FIXED64;
    default: return WIRE_BYTES;
  }
}

/** One scalar or message value whose wire type has been checked. */
function readValue(r: Reader, kind: string, depth: number): unknown {
  switch (kind) {
    case 'string': return text(r.bytes());
    case 'bytes': return base64(r.bytes());
    case 'int32': return Number(BigInt.asIntN(32, r.varint()));
    case 'int64': return Number(BigInt.asIntN(64, r.varint()));
    case 'bool': return r.varint() !== 0n;
    case 'double': return Buffer.from(r.fixed(8)).readDoubleLE(0);
    default: return decodeValue(kind, r.bytes(), depth + 1);
  }
}

/** Decodes the bytes of a message of the given type into its JSON form. */
export function decodeValue(type: string, buf: Uint8Array, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw bad(`objects nested deeper than ${MAX_DEPTH} levels`);
  switch (type) {
    case 'Time': return timeString(decodeFields('Time', buf, depth), false);
    case 'MicroTime': return timeString(decodeFields('MicroTime', buf, depth), true);
    case 'Duration': return goDuration(BigInt((decodeFields('Duration', buf, depth).duration as number | undefined) ?? 0));
    case 'Quantity': return (decodeFields('Quantity', buf, depth).string as string | undefined) ?? '0';
    case 'IntOrString': {
      const v = decodeFields('IntOrString', buf, depth);
      return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    }
    case 'FieldsV1': return embeddedJSON(rawBytes(buf, 'FieldsV1'), 'FieldsV1', {});
    case 'RawExtension': return rawExtension(rawBytes(buf, 'RawExtension'), depth);
    case 'ExtraValue': return decodeFields('ExtraValue', buf, depth).items ?? [];
    default: return decodeFields(type, buf, depth);
  }
}

/** The fields of a message as an object keyed by JSON name, inlined structs flattened. */
function decodeFields(type: string, buf: Uint8Array, depth: number): Record<string, unknown> {
  const table = MESSAGES[type];
  if (!table) throw bad(`no table for message ${type}`);
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done()) {
    const { field, wire } = r.tag();
    const f = table[field];
    if (!f) {
      r.skip(wire);
      continue;
    }
    if (f.map) {
      expectWire(f, type, wire, WIRE_BYTES);
      const [key, value] = mapEntry(r.bytes(), f, type, depth);
      const m = (out[f.name] ??= {}) as Record<string, unknown>;
      // defineProperty keeps a key like "__proto__" an ordinary entry, as JSON.parse would.
      Object.defineProperty(m, key, { value, enumerable: true, writable: true, configurable: true });
    } else if (f.inline) {
      expectWire(f, type, wire, WIRE_BYTES);
      Object.assign(out, decodeValue(f.kind, r.bytes(), depth + 1));
    } else if (f.repeated) {
      const list = (out[f.name] ??= []) as unknown[];
      const want = wireOf(f.kind);
      if (wire === WIRE_BYTES && want !== WIRE_BYTES) {
        const packed = new Reader(r.bytes());
        while (!packed.done()) list.push(readValue(packed, f.kind, depth));
      } else {
        expectWire(f, type, wire, want);
        list.push(readValue(r, f.kind, depth));
      }
    } else {
      expectWire(f, type, wire, wireOf(f.kind));
      const value = readValue(r, f.kind, depth);
      const prev = out[f.name];
      // The last occurrence wins, so a zero after a value clears it, as it would in Go.
      if (!f.keepZero && SCALAR_KINDS.has(f.kind) && isZeroScalar(value)) delete out[f.name];
      // A message field repeated on the wire merges, as protobuf specifies.
      else out[f.name] = isPlainObject(prev) && isPlainObject(value) ? { ...prev, ...value } : value;
    }
  }
  // An empty packed list decodes to a nil slice, which omitempty leaves out.
  for (const f of Object.values(table)) {
    const v = out[f.name];
    if (f.repeated && Array.isArray(v) && v.length === 0) delete out[f.name];
  }
  return out;
}

/** The Go zero value of a scalar: "", 0 or false (bytes arrive as base64, so empty is ""). */
function isZeroScalar(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function mapEntry(buf: Uint8Array, f: FieldDescriptor, owner: string, depth: number): [string, unknown] {
  const valueKind = f.map!.value;
  let key = '';
  let value: unknown;
  const r = new Reader(buf);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(f, owner, wire, WIRE_BYTES);
      key = text(r.bytes());
    } else if (field === 2) {
      expectWire(f, owner, wire, wireOf(valueKind));
      value = readValue(r, valueKind, depth);
    } else {
      r.skip(wire);
    }
  }
  return [key, value === undefined ? zeroValue(valueKind, depth) : value];
}

function zeroValue(kind: string, depth: number): unknown {
  switch (kind) {
    case 'string': case 'bytes': return '';
    case 'int32': case 'int64': case 'double': return 0;
    case 'bool': return false;
    default: return decodeValue(kind, new Uint8Array(0), depth + 1);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Well-known types.

/** Time keeps seconds (as metav1.Time does on the wire); MicroTime keeps microseconds. */
function timeString(v: Record<string, unknown>, micro: boolean): string | null {
  const seconds = (v.seconds as number | undefined) ?? 0;
  const nanos = (v.nanos as number | undefined) ?? 0;
  if (seconds === 0 && nanos === 0) return null; // the zero time: Go marshals it as null
  if (nanos < 0 || nanos > 999_999_999) throw bad(`time nanos ${nanos} out of range`);
  const ms = seconds * 1000;
  // Go's JSON encoder refuses years outside [0, 9999]; so does this one.
  if (!Number.isSafeInteger(seconds) || ms < -62_167_219_200_000 || ms > 253_402_300_799_000) {
    throw bad(`time ${seconds}s out of range`);
  }
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ for years 0..9999
  const base = iso.slice(0, 19);
  if (!micro) return `${base}Z`;
  return `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

function rawBytes(buf: Uint8Array, type: string): Uint8Array {
  const r = new Reader(buf);
  let raw: Uint8Array = new Uint8Array(0);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      if (wire !== WIRE_BYTES) throw bad(`${type}.raw: wire type ${wire}, expected 2`);
      raw = r.bytes();
    } else {
      r.skip(wire);
    }
  }
  return raw;
}

function embeddedJSON(raw: Uint8Array, type: string, empty: unknown): unknown {
  if (raw.length === 0) return empty;
  try {
    return JSON.parse(text(raw)) as unknown;
  } catch {
    throw bad(`${type} does not hold valid JSON`);
  }
}

/** A RawExtension holds JSON, or a nested Kubernetes protobuf object. */
function rawExtension(raw: Uint8Array, depth: number): unknown {
  if (hasMagic(raw)) return decodeEnvelope(raw, depth + 1).object;
  return embeddedJSON(raw, 'RawExtension', null);
}

/** time.Duration.String(): "1h2m3.5s", "1.5ms", "0s". */
function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  const frac = (v: bigint, unit: bigint, digits: number): string => {
    const whole = v / unit;
    const rest = (v % unit).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : `${whole}`;
  };
  if (u < 1000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${frac(u, 1000n, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${frac(u, 1_000_000n, 6)}ms`;
  const hours = u / 3_600_000_000_000n;
  const minutes = (u / 60_000_000_000n) % 60n;
  const seconds = frac(u % 60_000_000_000n, 1_000_000_000n, 9);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

// ---------------------------------------------------------------------------------------------
// The envelope: magic + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}.

function hasMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x6b && b[1] === 0x38 && b[2] === 0x73 && b[3] === 0x00;
}

function decodeEnvelope(body: Uint8Array, depth: number): DecodedObject {
  if (depth > MAX_DEPTH) throw bad(`objects nested deeper than ${MAX_DEPTH} levels`);
  if (!hasMagic(body)) throw bad('the body does not start with the magic bytes "k8s\\x00"');
  let typeMeta: Record<string, unknown> = {};
  let raw: Uint8Array = new Uint8Array(0);
  let contentEncoding = '';
  const r = new Reader(body.subarray(4));
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field >= 1 && field <= 3 && wire !== WIRE_BYTES) throw bad(`Unknown field ${field}: wire type ${wire}, expected 2`);
    if (field === 1) typeMeta = decodeFields('RuntimeTypeMeta', r.bytes(), depth + 1);
    else if (field === 2) raw = r.bytes();
    else if (field === 3) contentEncoding = text(r.bytes());
    else r.skip(wire); // 4 contentType says nothing the magic did not
  }
  const apiVersion = typeof typeMeta.apiVersion === 'string' ? typeMeta.apiVersion : '';
  const kind = typeof typeMeta.kind === 'string' ? typeMeta.kind : '';
  if (!apiVersion || !kind) throw bad('the envelope names no apiVersion and kind');
  if (contentEncoding) throw bad(`unsupported content encoding ${JSON.stringify(contentEncoding)}`);
  const root = rootMessage(apiVersion, kind);
  if (!root) {
    throw errors.badRequest(`no protobuf decoding is known for kind ${JSON.stringify(kind)} in version ${JSON.stringify(apiVersion)}`);
  }
  const fields = decodeFields(root, raw, depth + 1);
  return { apiVersion, kind, object: { apiVersion, kind, ...fields } };
}

/**
 * Decodes a Kubernetes protobuf request body into the object's JSON form, with apiVersion and
 * kind set from the envelope. Throws errors.badRequest on anything malformed.
 */
export function decodeK8sProtobuf(body: Buffer): DecodedObject {
  try {
    return decodeEnvelope(body, 0);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // Defensive: a bug or an engine limit must still surface as a client error, not a 500.
    throw bad(err instanceof Error ? err.message : String(err));
  }
}
