// Limits on the shape of request bodies, checked before anything recursive touches them,
// so a hostile body gets a 400 instead of exhausting the stack.
import { errors } from '../shared/errors.js';

/** Far deeper than any Kubernetes object (a pod template nests about 12 levels). */
export const MAX_NESTING = 100;

/** Iterative depth check of parsed JSON. */
export function checkNesting(value: unknown, max = MAX_NESTING): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) throw errors.badRequest(`the request body nests deeper than ${max} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}

/**
 * Bounds YAML nesting from the text alone (flow brackets and block indentation), since
 * the YAML parser itself recurses and can crash the process on pathological input.
 */
export function checkYamlNesting(text: string, max = MAX_NESTING): void {
  let flow = 0;
  let quote: string | null = null;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (c === ' ' || c === '-' || c === '\t' || c === '?' || c === ':') {
        if (++indent > max * 4) throw errors.badRequest(`the YAML body nests deeper than ${max} levels`);
        continue;
      }
      lineStart = false;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      if (++flow > max) throw errors.badRequest(`the YAML body nests deeper than ${max} levels`);
    } else if ((c === ']' || c === '}') && flow > 0) flow--;
  }
}

/**
 * Finds a key repeated within one JSON object, which JSON.parse silently collapses;
 * fieldValidation=Strict rejects it as Kubernetes does. Assumes `text` is valid JSON.
 */
export function findDuplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] instanceof Set;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j++;
        } else if (d === 0x22) break;
      }
      if (expectKey) {
        const raw = text.slice(i + 1, j);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        const keys = stack[stack.length - 1] as Set<string>;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}
