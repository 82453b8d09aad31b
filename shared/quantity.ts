// Kubernetes' resource.Quantity (k8s.io/apimachinery/pkg/api/resource): the
// fixed-point numbers of requests, limits and capacities, such as `100m`, `1.5Gi`,
// `2`, `1e3`. Parsed here into JS numbers in base units (cores, bytes); the
// grammar, the suffixes and the error messages follow upstream's ParseQuantity.

export type QuantityFormat = 'DecimalSI' | 'BinarySI';

/** Upstream's ErrFormatWrong text: what a user sees for a malformed quantity. */
export const QUANTITY_FORMAT_MESSAGE =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** Upstream's ErrSuffix text. */
export const QUANTITY_SUFFIX_MESSAGE = "unable to parse quantity's suffix";

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const SHAPE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const EXPONENT = /^[eE]([-+]?[0-9]+)$/;

interface Parsed {
  negative: boolean;
  /** Digits without sign, `int.frac`. */
  mantissa: string;
  /** value = mantissa × 10^decimal × 2^binary. */
  decimal: number;
  binary: number;
  format: QuantityFormat;
}

function parse(input: string | number): Parsed {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityError(QUANTITY_FORMAT_MESSAGE);
    input = String(input);
  }
  if (typeof input !== 'string') throw new QuantityError(QUANTITY_FORMAT_MESSAGE);
  const s = input.trim();
  if (s === '') throw new QuantityError(QUANTITY_FORMAT_MESSAGE);
  const m = SHAPE.exec(s);
  if (!m) throw new QuantityError(QUANTITY_FORMAT_MESSAGE);
  const [, sign, int = '', frac = '', suffix = ''] = m;
  if (int === '' && frac === '') throw new QuantityError(QUANTITY_FORMAT_MESSAGE);
  const mantissa = `${int || '0'}.${frac || '0'}`;
  const negative = sign === '-';
  if (suffix in BINARY) return { negative, mantissa, decimal: 0, binary: BINARY[suffix]!, format: 'BinarySI' };
  if (suffix in DECIMAL) return { negative, mantissa, decimal: DECIMAL[suffix]!, binary: 0, format: 'DecimalSI' };
  const e = EXPONENT.exec(suffix);
  if (e) return { negative, mantissa, decimal: Number(e[1]), binary: 0, format: 'DecimalSI' };
  throw new QuantityError(QUANTITY_SUFFIX_MESSAGE);
}

/** value × 10^shift, computed by the decimal parser so `100m` is exactly 0.1. */
function valueOf(p: Parsed, shift = 0): number {
  const v = Number(`${p.mantissa}e${p.decimal + shift}`) * 2 ** p.binary;
  if (!Number.isFinite(v)) throw new QuantityError('quantity is too large');
  return p.negative ? -v : v;
}

/** The quantity in base units (cores, bytes, ...). Throws QuantityError on malformed input. */
export function parseQuantity(s: string | number): number {
  return valueOf(parse(s));
}

/** Whether a JSON value is a well-formed quantity (a string or a finite number). */
export function isValidQuantity(v: unknown): boolean {
  if (typeof v !== 'string' && typeof v !== 'number') return false;
  try {
    parse(v);
    return true;
  } catch {
    return false;
  }
}

/** The suffix family a quantity was written in, which its canonical form keeps. */
export function quantityFormat(s: string | number): QuantityFormat {
  return parse(s).format;
}

/** Milli-units rounded up, as Quantity.MilliValue: `100m` → 100, `0.5` → 500, `1` → 1000. */
export function parseCpuMillis(s: string | number): number {
  return Math.ceil(valueOf(parse(s), 3));
}

/** Whole units rounded up, as Quantity.Value: `1Ki` → 1024, `1500m` → 2. */
export function parseQuantityValue(s: string | number): number {
  return Math.ceil(parseQuantity(s));
}

/** Sign of a − b, comparing two quantities. */
export function compareQuantities(a: string | number, b: string | number): number {
  return Math.sign(parseQuantity(a) - parseQuantity(b));
}

const DECIMAL_SUFFIX: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/**
 * The canonical string of a value, as Quantity.String prints it: the largest
 * suffix that keeps the mantissa an integer (`1500` → "1500", `1000` → "1k",
 * `0.1` → "100m"); BinarySI uses Ki..Ei for whole multiples of 1024 and falls
 * back to DecimalSI otherwise. Precision below 1n is rounded up, as upstream does.
 */
export function formatQuantity(value: number, format: QuantityFormat = 'DecimalSI'): string {
  if (!Number.isFinite(value)) throw new QuantityError('quantity must be finite');
  if (value === 0) return '0';
  if (format === 'BinarySI' && Number.isSafeInteger(value) && Math.abs(value) >= 1024) {
    let n = value;
    let i = 0;
    while (i < BINARY_SUFFIX.length - 1 && n % 1024 === 0) {
      n /= 1024;
      i++;
    }
    return `${n}${BINARY_SUFFIX[i]}`;
  }
  return formatDecimal(value);
}

function formatDecimal(value: number): string {
  const negative = value < 0;
  // Shortest round-trip decimal of the number: digits × 10^exp.
  const [coef = '0', expPart] = Math.abs(value).toExponential().split('e');
  const [whole = '0', frac = ''] = coef.split('.');
  let digits = BigInt(whole + frac);
  let exp = Number(expPart) - frac.length;
  while (digits !== 0n && digits % 10n === 0n) {
    digits /= 10n;
    exp++;
  }
  let scale = Math.min(18, 3 * Math.floor(exp / 3));
  if (scale < -9) {
    // Round up to whole nano-units.
    const div = 10n ** BigInt(-9 - exp);
    digits = (digits + div - 1n) / div;
    exp = -9;
    scale = -9;
  }
  const mantissa = digits * 10n ** BigInt(exp - scale);
  return `${negative ? '-' : ''}${mantissa}${DECIMAL_SUFFIX[scale]}`;
}
