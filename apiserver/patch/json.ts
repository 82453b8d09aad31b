// JSON patch (RFC 6902), the body of `application/json-patch+json`.
// The whole document is checked for form first (400 BadRequest), so a malformed patch never
// half-applies; then operations run in order on a private copy, and the first that cannot be
// applied (missing path, failed test, index out of range) aborts with 422 Invalid.

import { ApiError, errors } from '../../shared/errors.js';
import { hasOwn, isJsonObject, setProperty } from './merge.js';

type OpName = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
const OP_NAMES: ReadonlySet<string> = new Set<OpName>(['add', 'remove', 'replace', 'move', 'copy', 'test']);

interface Operation {
  op: OpName;
  path: string;
  tokens: string[];
  from?: string;
  fromTokens?: string[];
  value?: unknown;
}

/** Apply an RFC 6902 patch to a copy of `doc` and return it. `doc` is never mutated. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  const operations = parseOperations(ops);
  let result = structuredClone(doc);
  for (const operation of operations) result = applyOperation(result, operation);
  return result;
}

function parseOperations(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) throw errors.badRequest('json patch must be a JSON array of operations');
  return ops.map((raw, i) => {
    const at = `json patch operation ${i}`;
    if (!isJsonObject(raw)) throw errors.badRequest(`${at}: must be a JSON object`);
    const op = raw.op;
    if (typeof op !== 'string') throw errors.badRequest(`${at}: missing "op"`);
    if (!OP_NAMES.has(op)) throw errors.badRequest(`${at}: unknown op ${JSON.stringify(op)}`);
    if (typeof raw.path !== 'string') throw errors.badRequest(`${at} (${op}): "path" must be a string`);
    const operation: Operation = { op: op as OpName, path: raw.path, tokens: parsePointer(raw.path, at) };
    if (op === 'move' || op === 'copy') {
      if (typeof raw.from !== 'string') throw errors.badRequest(`${at} (${op}): "from" must be a string`);
      operation.from = raw.from;
      operation.fromTokens = parsePointer(raw.from, at);
    }
    if (op === 'add' || op === 'replace' || op === 'test') {
      if (!hasOwn(raw, 'value')) throw errors.badRequest(`${at} (${op}): missing "value"`);
      operation.value = raw.value;
    }
    return operation;
  });
}

/** RFC 6901: "" is the whole document; otherwise "/"-separated tokens with ~1 → "/" and ~0 → "~". */
function parsePointer(pointer: string, at: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw errors.badRequest(`${at}: JSON pointer ${JSON.stringify(pointer)} must start with "/"`);
  if (/~(?![01])/.test(pointer)) throw errors.badRequest(`${at}: JSON pointer ${JSON.stringify(pointer)} has an invalid ~ escape`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyOperation(doc: unknown, operation: Operation): unknown {
  const { op, path, tokens } = operation;
  const fail = (why: string) => new ApiError(422, 'Invalid', `json patch ${op} operation on path ${JSON.stringify(path)}: ${why}`);
  switch (op) {
    case 'add':
      return add(doc, tokens, operation.value, fail);
    case 'remove':
      return remove(doc, tokens, fail);
    case 'replace':
      return replace(doc, tokens, operation.value, fail);
    case 'move': {
      const from = operation.fromTokens ?? [];
      if (from.length < tokens.length && from.every((t, i) => t === tokens[i])) {
        throw fail(`cannot move ${JSON.stringify(operation.from)} into one of its own children`);
      }
      const value = lookup(doc, from, fail);
      return add(remove(doc, from, fail), tokens, value, fail);
    }
    case 'copy':
      return add(doc, tokens, structuredClone(lookup(doc, operation.fromTokens ?? [], fail)), fail);
    case 'test':
      if (!jsonEqual(lookup(doc, tokens, fail), operation.value)) throw fail('test failed: value does not match');
      return doc;
  }
}

type Fail = (why: string) => ApiError;

/** The value at `tokens`, or a 422 naming the first missing segment. */
function lookup(doc: unknown, tokens: string[], fail: Fail): unknown {
  let node = doc;
  for (const [i, token] of tokens.entries()) {
    const where = '/' + tokens.slice(0, i + 1).join('/');
    if (Array.isArray(node)) {
      const index = arrayIndex(token, node.length - 1, fail);
      node = node[index];
    } else if (isJsonObject(node) && hasOwn(node, token)) {
      node = node[token];
    } else {
      throw fail(`path ${JSON.stringify(where)} not found`);
    }
  }
  return node;
}

/** Parent container of the target plus the last token; the parent must exist. */
function parentOf(doc: unknown, tokens: string[], fail: Fail): [unknown, string] {
  const parent = lookup(doc, tokens.slice(0, -1), fail);
  if (!Array.isArray(parent) && !isJsonObject(parent)) throw fail('parent is not an object or an array');
  return [parent, tokens[tokens.length - 1]];
}

function add(doc: unknown, tokens: string[], value: unknown, fail: Fail): unknown {
  if (tokens.length === 0) return value;
  const [parent, last] = parentOf(doc, tokens, fail);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : arrayIndex(last, parent.length, fail);
    parent.splice(index, 0, value);
  } else {
    setProperty(parent as Record<string, unknown>, last, value);
  }
  return doc;
}

function remove(doc: unknown, tokens: string[], fail: Fail): unknown {
  if (tokens.length === 0) throw fail('cannot remove the whole document');
  const [parent, last] = parentOf(doc, tokens, fail);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length - 1, fail), 1);
  } else {
    const obj = parent as Record<string, unknown>;
    if (!hasOwn(obj, last)) throw fail(`path ${JSON.stringify('/' + tokens.join('/'))} not found`);
    delete obj[last];
  }
  return doc;
}

// Replaced in place, so an object keeps its key order.
function replace(doc: unknown, tokens: string[], value: unknown, fail: Fail): unknown {
  if (tokens.length === 0) return value;
  const [parent, last] = parentOf(doc, tokens, fail);
  if (Array.isArray(parent)) {
    parent[arrayIndex(last, parent.length - 1, fail)] = value;
  } else {
    const obj = parent as Record<string, unknown>;
    if (!hasOwn(obj, last)) throw fail(`path ${JSON.stringify('/' + tokens.join('/'))} not found`);
    setProperty(obj, last, value);
  }
  return doc;
}

/** A decimal index without leading zeros, at most `max`. */
function arrayIndex(token: string, max: number, fail: Fail): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw fail(`${JSON.stringify(token)} is not a valid array index`);
  const index = Number(token);
  if (index > max) throw fail(`index ${index} out of range`);
  return index;
}

/** RFC 6902 equality: same type, numbers by value, arrays in order, objects regardless of key order. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
