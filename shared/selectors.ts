// Label and field selectors: parsing as Kubernetes does (k8s.io/apimachinery/pkg/labels
// and pkg/fields) and matching against objects. Parse errors throw ApiError 400.
import { errors } from './errors.js';
import { isQualifiedName, isValidLabelValue } from './validation.js';

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!';
export interface LabelRequirement {
  key: string;
  op: LabelOperator;
  values: string[];
}
export type LabelSelector = LabelRequirement[];

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`. An empty string selects everything. */
export function parseLabelSelector(text: string): LabelSelector {
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const s = text;
  const fail = (why: string): never => {
    throw errors.badRequest(`unable to parse requirement: ${why}: found in label selector ${JSON.stringify(text)}`);
  };
  const skipSpace = () => {
    while (i < s.length && s[i] === ' ') i++;
  };
  const readWord = (): string => {
    skipSpace();
    const start = i;
    while (i < s.length && !' ,()=!'.includes(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (true) {
    skipSpace();
    if (i >= s.length) break;
    let negate = false;
    if (s[i] === '!') {
      negate = true;
      i++;
    }
    const key = readWord();
    if (!key) fail('missing key');
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) fail(`invalid label key "${key}": ${keyErrs[0]}`);
    skipSpace();
    let req: LabelRequirement;
    if (negate) {
      req = { key, op: '!', values: [] };
    } else if (i >= s.length || s[i] === ',') {
      req = { key, op: 'exists', values: [] };
    } else if (s.startsWith('!=', i)) {
      i += 2;
      req = { key, op: '!=', values: [readValue()] };
    } else if (s.startsWith('==', i)) {
      i += 2;
      req = { key, op: '=', values: [readValue()] };
    } else if (s[i] === '=') {
      i += 1;
      req = { key, op: '=', values: [readValue()] };
    } else {
      const word = readWord();
      if (word !== 'in' && word !== 'notin') fail(`found '${word || s[i]}', expected: in, notin, =, ==, !=`);
      skipSpace();
      if (s[i] !== '(') fail(`found '${s[i] ?? 'EOF'}', expected: '('`);
      i++;
      const values: string[] = [];
      while (true) {
        const v = readWord();
        checkValue(v);
        values.push(v);
        skipSpace();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ')') {
          i++;
          break;
        }
        fail(`found '${s[i] ?? 'EOF'}', expected: ',' or ')'`);
      }
      req = { key, op: word as 'in' | 'notin', values: values.filter((v) => v !== '' || values.length === 1) };
    }
    reqs.push(req);
    skipSpace();
    if (i < s.length) {
      if (s[i] !== ',') fail(`found '${s[i]}', expected: ','`);
      i++;
      skipSpace();
      if (i >= s.length) fail('found \'\', expected: identifier after \',\'');
    }
  }
  return reqs;

  function readValue(): string {
    const v = readWord();
    checkValue(v);
    return v;
  }
  function checkValue(v: string) {
    const errs = isValidLabelValue(v);
    if (errs.length) fail(`invalid label value: "${v}": ${errs[0]}`);
  }
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of selector) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
        if (!has || v !== r.values[0]) return false;
        break;
      case '!=':
        if (has && v === r.values[0]) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** metav1.LabelSelector (matchLabels + matchExpressions) as used in specs. */
export interface MetaLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export function fromMetaSelector(sel: MetaLabelSelector | undefined): LabelSelector {
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key, op: '=', values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const)[e.operator];
    reqs.push({ key: e.key, op, values: [...(e.values ?? [])] });
  }
  return reqs;
}

/** The string form kubectl and the scale subresource use: `app=web,tier in (a,b)`. */
export function labelSelectorString(selector: LabelSelector): string {
  return selector
    .map((r) => {
      switch (r.op) {
        case '=':
          return `${r.key}=${r.values[0]}`;
        case '!=':
          return `${r.key}!=${r.values[0]}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.op} (${[...r.values].sort().join(',')})`;
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
      }
    })
    .join(',');
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Parses `metadata.name=x,spec.nodeName!=` (values may escape `\,` `\=` `\\`). */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  if (!text.trim()) return reqs;
  for (const part of splitUnescaped(text, ',')) {
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/s.exec(part.trim());
    if (!m) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    reqs.push({ field: m[1]!.trim(), op: m[2] === '!=' ? '!=' : '=', value: unescapeField(m[3]!) });
  }
  return reqs;
}

function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i]! + s[i + 1]!;
      i++;
    } else if (s[i] === sep) {
      parts.push(cur);
      cur = '';
    } else cur += s[i];
  }
  parts.push(cur);
  return parts;
}

function unescapeField(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function matchesFields(reqs: FieldRequirement[], fields: Record<string, string>): boolean {
  for (const r of reqs) {
    const v = fields[r.field] ?? '';
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
