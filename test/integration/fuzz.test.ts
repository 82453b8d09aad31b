// Fuzzing the apiserver's input handling: thousands of malformed or invalid requests from
// small seeded generators, one per family of bad input (broken JSON and YAML, wrong types,
// invalid names and labels, oversize bodies, unknown kinds and fields, bad selectors, bad
// patches, ...). Every answer must be a 4xx metav1.Status, none may hang or crash the
// process, nothing may change the fixtures, and the server must serve normally afterwards.
// A failing run prints its seed; FUZZ_SEED=<n> replays it, FUZZ_REPORT=<file> writes every
// failure (not only the first 20) to a file, FUZZ_SKIP=<family,...> leaves families out.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiserver, type ApiserverProcess } from '../support/apiserver.js';
import { mulberry32 } from '../support/rng.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) >>> 0 : 0x5eedf022;
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 10_000;
const MIN_REQUESTS = 2_000;
const MAX_RESTARTS = 10;
const MiB = 1024 * 1024;
const BODY_LIMIT = 3 * MiB;
const NS = 'fuzz';
const VICTIMS = 16;

const JSON_CT = 'application/json';
const YAML_CT = 'application/yaml';
const MERGE = 'application/merge-patch+json';
const SMP = 'application/strategic-merge-patch+json';
const JSONPATCH = 'application/json-patch+json';
const APPLY = 'application/apply-patch+yaml';

/** A seeded source of choices, so a failing run reproduces (FUZZ_SEED). */
class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  word(len: number, alphabet = 'abcdefghijklmnopqrstuvwxyz'): string {
    let s = '';
    for (let i = 0; i < len; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
    }
    return xs;
  }
}

// ---------------------------------------------------------------------------
// Fixtures: one valid object per kind, created in beforeAll and used as patch targets.

/** Objects built and inspected freely by the generators. */
type Obj = Record<string, any>;

interface Kind {
  kind: string;
  plural: string;
  collection: string;
  fixture: string;
  template: Obj;
}

const CONFIGMAP: Kind = {
  kind: 'ConfigMap',
  plural: 'configmaps',
  collection: `/api/v1/namespaces/${NS}/configmaps`,
  fixture: 'cm-fixture',
  template: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cm-fixture', namespace: NS, labels: { app: 'fuzz', tier: 'config' }, annotations: { note: 'fixture' } },
    data: { a: '1', b: 'two' },
  },
};

const DEPLOYMENT: Kind = {
  kind: 'Deployment',
  plural: 'deployments',
  collection: `/apis/apps/v1/namespaces/${NS}/deployments`,
  fixture: 'web',
  template: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS, labels: { app: 'web' } },
    spec: {
      replicas: 2,
      minReadySeconds: 1,
      paused: true,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            { name: 'nginx', image: 'nginx:1.25', args: ['--a', '--b'], ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'MODE', value: 'fuzz' }] },
          ],
        },
      },
    },
  },
};

const SERVICE: Kind = {
  kind: 'Service',
  plural: 'services',
  collection: `/api/v1/namespaces/${NS}/services`,
  fixture: 'svc',
  template: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'svc', namespace: NS },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }], sessionAffinity: 'None', type: 'ClusterIP' },
  },
};

const POD: Kind = {
  kind: 'Pod',
  plural: 'pods',
  collection: `/api/v1/namespaces/${NS}/pods`,
  fixture: 'pod-fixture',
  template: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pod-fixture', namespace: NS, labels: { app: 'solo' } },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'], stdin: false }], restartPolicy: 'Never', enableServiceLinks: false },
  },
};

const KINDS = [CONFIGMAP, DEPLOYMENT, SERVICE, POD];

/** Map-typed fields: any key is valid there, so no "unknown field" can be planted in them. */
const MAP_FIELDS = new Set(['labels', 'annotations', 'data', 'binaryData', 'matchLabels', 'nodeSelector']);

// ---------------------------------------------------------------------------
// Requests and the context generators draw from.

interface FuzzRequest {
  family: string;
  method: string;
  /** Raw request target, sent as is (no normalisation of `..` or escapes). */
  path: string;
  contentType?: string;
  accept?: string;
  /** A thunk for big bodies, so they are built only when sent. */
  body?: string | Buffer | (() => Buffer);
  /** Send the body with chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
  /** When set, the exact statuses allowed (still all 4xx). */
  codes?: number[];
  /** What is wrong with the request, when the body excerpt would not show it. */
  note?: string;
}

type Draft = Omit<FuzzRequest, 'family'>;

interface Ctx {
  rng: Rng;
  /** The fixtures as the server returned them after creation. */
  live: Map<Kind, Obj>;
  fresh(): string;
  victim(): string;
}

interface Family {
  name: string;
  count: number;
  /**
   * Sent one at a time before everything else, on a cold server. Deeply nested YAML kills a
   * fresh process (V8 aborts when a regexp tiers up with the stack nearly exhausted), but not
   * one whose YAML regexps earlier requests already warmed up.
   */
  first?: boolean;
  gen(ctx: Ctx): Draft;
}

const json = (v: unknown) => JSON.stringify(v);
const enc = encodeURIComponent;
const clone = <T>(v: T): T => structuredClone(v);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function named(k: Kind, name: string): Obj {
  const o = clone(k.template);
  o.metadata.name = name;
  return o;
}

const itemPath = (k: Kind, name = k.fixture) => `${k.collection}/${enc(name)}`;
const victimPath = (name: string) => `${CONFIGMAP.collection}/${name}`;
const withQuery = (path: string, q: Record<string, string>) =>
  `${path}?${Object.entries(q)
    .map(([key, v]) => `${enc(key)}=${enc(v)}`)
    .join('&')}`;

type Path = (string | number)[];

function nodesOf(v: unknown, path: Path = [], out: { path: Path; value: unknown }[] = []): { path: Path; value: unknown }[] {
  if (path.length) out.push({ path, value: v });
  if (Array.isArray(v)) v.forEach((x, i) => nodesOf(x, [...path, i], out));
  else if (isObj(v)) for (const [key, x] of Object.entries(v)) nodesOf(x, [...path, key], out);
  return out;
}

function setAt(root: Obj, path: Path, value: unknown): void {
  let cur = root;
  for (const seg of path.slice(0, -1)) cur = cur[seg];
  cur[path[path.length - 1]!] = value;
}

/** Object nodes that are structs (not maps): where an unknown field is unknown. */
function structNodes(k: Kind, o: Obj): Path[] {
  const out: Path[] = [[]];
  for (const n of nodesOf(o)) {
    if (!isObj(n.value)) continue;
    const last = n.path[n.path.length - 1];
    if (typeof last === 'string' && MAP_FIELDS.has(last)) continue;
    if (k === SERVICE && n.path.join('.') === 'spec.selector') continue;
    out.push(n.path);
  }
  return out;
}

function parsesAsJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** True when the server's YAML decoding (one document, aliases bounded) rejects the text. */
function yamlRejects(text: string): boolean {
  try {
    const docs = YAML.parseAllDocuments(text, { uniqueKeys: false });
    if (!Array.isArray(docs) || docs.length !== 1) return true;
    const doc = docs[0]!;
    if (doc.errors.length) return true;
    doc.toJS({ maxAliasCount: 100 });
    return false;
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------------------
// Bad values, shared by several families.

function invalidName(rng: Rng): string {
  const base = rng.pick(['web', 'cm', 'fz-name', 'a.b', 'app-1']);
  switch (rng.int(11)) {
    case 0:
      return base + rng.pick(['A', 'Z', 'Web']);
    case 1:
      return `-${base}`;
    case 2:
      return `${base}-`;
    case 3:
      return `.${base}`;
    case 4:
      return `${base}..x`;
    case 5:
      return 'a'.repeat(254 + rng.int(100));
    case 6:
      return `${base}${rng.pick(['_', ' ', '/', '%', '!', '@', ':', '*', '~', '+', '=', '\\', '"', '\u0000', '\t', '#', '?'])}x`;
    case 7:
      return `${base}${rng.pick(['é', 'ß', '日本', '🚀', '\u200b', 'Ω'])}`;
    case 8:
      return rng.pick(['.', '..', '...']);
    case 9:
      return `${base}.-x`;
    default:
      return `${base}.`;
  }
}

function invalidLabelKey(rng: Rng): string {
  return rng.pick([
    '',
    '-a',
    'a-',
    '_a',
    'a.',
    'a b',
    'a/b/c',
    '/name',
    'example.com/',
    'Example.COM/x',
    'a:b',
    'a@b',
    'é',
    'k'.repeat(64 + rng.int(40)),
    `${'p'.repeat(254)}/a`,
    'bad_prefix_/x',
  ]);
}

function invalidLabelValue(rng: Rng): string {
  return rng.pick(['v'.repeat(64 + rng.int(40)), '-v', 'v-', '_v', '.v', 'v.', 'a b', 'a/b', 'é', 'a:b', 'a,b', 'a=b', 'v\n', '🚀']);
}

/** A value of another JSON type than `v`: numbers where strings belong, objects where arrays belong, ... */
function wrongValue(rng: Rng, v: unknown): unknown {
  if (typeof v === 'string') return rng.pick([42, -7, 3.5, true, false, { s: v }, [v]]);
  if (typeof v === 'number') return rng.pick([String(v), 'seven', true, 1.5, { n: v }, [v]]);
  if (typeof v === 'boolean') return rng.pick([String(v), 1, 0, { b: v }, [v]]);
  if (Array.isArray(v)) return rng.pick([{}, { 0: v[0] }, 'list', 3, true]);
  return rng.pick([[], [v], 'object', 5, false]);
}

function garbleJson(rng: Rng, text: string): string {
  const junk = ['{', '}', '[', ']', ',', ':', '"', '\\', '\u0000', 'NaN', 'undefined', "'", '//', '/*', '\u007f', 'tru', 'nul', '0x1F', '01', '.5', '+1', '"\n"', '\t', '-', 'Infinity'];
  for (let attempt = 0; attempt < 40; attempt++) {
    const at = 1 + rng.int(text.length - 1);
    let s: string;
    switch (rng.int(9)) {
      case 0:
        s = text.slice(0, at);
        break;
      case 1:
        s = text.slice(0, at) + rng.pick(junk) + text.slice(at);
        break;
      case 2:
        s = text.slice(0, at) + text.slice(at + 1 + rng.int(4));
        break;
      case 3:
        s = text.replace(/"/g, "'");
        break;
      case 4:
        s = text.replace(/\}$/, ',}');
        break;
      case 5:
        s = text.replace(/"([a-zA-Z]+)":/, '$1:');
        break;
      case 6:
        s = `/* comment */${text}`;
        break;
      case 7:
        s = text + rng.pick(['}', ']', 'x', ',{}', '{}']);
        break;
      default:
        s = text.slice(0, at) + rng.pick(junk) + text.slice(at + 1);
    }
    if (!parsesAsJson(s)) return s;
  }
  return text.slice(0, -1);
}

function breakYaml(rng: Rng, text: string): string {
  const lines = text.split('\n').filter((l) => l !== '');
  for (let attempt = 0; attempt < 40; attempt++) {
    const ls = [...lines];
    const i = rng.int(ls.length);
    const line = ls[i]!;
    const indent = /^ */.exec(line)![0];
    switch (rng.int(10)) {
      case 0:
        ls[i] = `\t${line}`;
        break;
      case 1:
        ls[i] = ' '.repeat(1 + rng.int(3)) + line;
        break;
      case 2:
        ls[i] = line.replace(/^ {1,2}/, '');
        break;
      case 3:
        ls[i] = line.replace(/: (.*)$/, ': [$1');
        break;
      case 4:
        ls[i] = line.replace(/: (.*)$/, ': "$1');
        break;
      case 5:
        ls.splice(i + 1, 0, `${indent}- stray`);
        break;
      case 6:
        ls[i] = `${line}: extra`;
        break;
      case 7:
        ls[i] = `${indent}@${line.trimStart()}`;
        break;
      case 8:
        ls[i] = line.replace(/: (.*)$/, ': {$1');
        break;
      default:
        ls[i] = `${indent}*undefinedAlias ${line.trimStart()}`;
    }
    const candidate = `${ls.join('\n')}\n`;
    if (yamlRejects(candidate)) return candidate;
  }
  return 'metadata:\n\tname: x\n';
}

// Deeply nested values, as JSON (which is also YAML flow syntax).
function deepJson(depth: number, style: 'array' | 'object'): string {
  return style === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

// ---------------------------------------------------------------------------
// The families. Each gen() returns one request that must be refused with a 4xx Status.

const postNew = (k: Kind, body: Obj, query: Record<string, string>): Draft => ({
  method: 'POST',
  path: withQuery(k.collection, query),
  contentType: JSON_CT,
  body: json(body),
});

const families: Family[] = [
  {
    name: 'json-garbled',
    count: 220,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      const put = rng.chance(0.2);
      const text = json(named(k, put ? k.fixture : fresh()));
      return {
        method: put ? 'PUT' : 'POST',
        path: put ? itemPath(k) : k.collection,
        contentType: rng.pick([JSON_CT, JSON_CT, 'application/json; charset=utf-8', undefined]),
        body: garbleJson(rng, text),
      };
    },
  },
  {
    name: 'invalid-utf8',
    count: 60,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      const name = fresh();
      const text = json(named(k, name));
      const cut = text.indexOf(`"${name}"`) + 3;
      const bad = Buffer.from(rng.pick([[0xff], [0xfe, 0xfe], [0xc3, 0x28], [0xa0, 0xa1], [0xe2, 0x28, 0xa1], [0xf0, 0x28, 0x8c, 0xbc], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]));
      const body = Buffer.concat([Buffer.from(text.slice(0, cut)), bad, Buffer.from(text.slice(cut))]);
      const how = rng.int(4);
      if (how === 0) return { method: 'POST', path: k.collection, contentType: JSON_CT, body };
      if (how === 1) return { method: 'POST', path: k.collection, contentType: YAML_CT, body };
      const patch = Buffer.concat([Buffer.from('{"metadata":{"annotations":{"x":"a'), bad, Buffer.from('"}}}')]);
      return { method: 'PATCH', path: itemPath(k), contentType: rng.pick([MERGE, SMP]), body: patch };
    },
  },
  {
    name: 'yaml-broken',
    count: 150,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      if (rng.chance(0.25)) {
        const body = breakYaml(rng, YAML.stringify(named(k, k.fixture)));
        return { method: 'PATCH', path: withQuery(itemPath(k), { fieldManager: 'fuzz' }), contentType: APPLY, body };
      }
      const body = breakYaml(rng, YAML.stringify(named(k, fresh())));
      return { method: 'POST', path: k.collection, contentType: rng.pick([YAML_CT, 'application/x-yaml', 'text/yaml']), body };
    },
  },
  {
    name: 'yaml-alias-bombs',
    count: 50,
    gen: ({ rng, fresh }) => {
      const levels = rng.range(4, 12);
      const fan = rng.range(5, 10);
      const lines = [`a0: &a0 [${Array(fan).fill('"lol"').join(', ')}]`];
      for (let l = 1; l < levels; l++) lines.push(`a${l}: &a${l} [${Array(fan).fill(`*a${l - 1}`).join(', ')}]`);
      const where = rng.int(4);
      let body: string;
      if (where === 0) body = `${lines.join('\n')}\n`;
      else if (where === 1) body = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${fresh()}\ndata:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
      else if (where === 2) body = `apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: ${fresh()}\n  labels: *nope\ndata: {}\n`;
      else body = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${fresh()}\n  annotations:\n    <<: *${rng.pick(['missing', 'also-missing'])}\n`;
      if (rng.chance(0.3)) return { method: 'PATCH', path: withQuery(itemPath(CONFIGMAP), { fieldManager: 'fuzz' }), contentType: APPLY, body };
      return { method: 'POST', path: CONFIGMAP.collection, contentType: YAML_CT, body };
    },
  },
  {
    name: 'yaml-multi-document',
    count: 60,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      const n = rng.range(2, 4);
      const docs = Array.from({ length: n }, () => YAML.stringify(named(k, fresh())));
      let body = rng.pick([
        docs.join('---\n'),
        `---\n${docs.join('---\n')}`,
        `${docs.join('...\n---\n')}...\n`,
        '---\n---\n',
        '---\n...\n---\n...\n',
      ]);
      if (!yamlRejects(body)) body = `${docs[0]}---\n${docs[1]}`;
      if (rng.chance(0.25)) {
        return { method: 'PATCH', path: withQuery(itemPath(k), { fieldManager: 'fuzz' }), contentType: APPLY, body };
      }
      return { method: 'POST', path: k.collection, contentType: rng.pick([YAML_CT, 'application/x-yaml', 'text/yaml']), body };
    },
  },
  {
    name: 'wrong-top-level-type',
    count: 120,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      const jsonBodies = ['[]', `[${json(named(k, fresh()))}]`, '"a string"', '42', '-1.5', 'null', 'true', 'false', json(json(named(k, fresh()))), '', '   ', '\n'];
      const yamlBodies = ['- a\n- b\n', 'just a string\n', '42\n', '~\n', 'null\n', '', '# only a comment\n'];
      switch (rng.int(7)) {
        case 0:
          return { method: 'POST', path: k.collection, contentType: JSON_CT, body: rng.pick(jsonBodies) };
        case 1:
          return { method: 'POST', path: k.collection, contentType: YAML_CT, body: rng.pick(yamlBodies) };
        case 2:
          return { method: 'PUT', path: itemPath(k), contentType: JSON_CT, body: rng.pick(jsonBodies) };
        case 3:
          return { method: 'PATCH', path: itemPath(k), contentType: rng.pick([MERGE, SMP]), body: rng.pick(['[]', '[{}]', '"x"', '42', 'null', 'true', '']) };
        case 4:
          return { method: 'PATCH', path: itemPath(k), contentType: JSONPATCH, body: rng.pick(['{}', '{"op":"add","path":"/a","value":1}', '"x"', '42', 'null', 'true', '']) };
        case 5:
          return { method: 'PATCH', path: withQuery(itemPath(k), { fieldManager: 'fuzz' }), contentType: APPLY, body: rng.pick(yamlBodies) };
        default:
          return { method: 'POST', path: `${POD.collection}/${POD.fixture}/binding`, contentType: JSON_CT, body: rng.pick(jsonBodies) };
      }
    },
  },
  {
    name: 'wrong-field-types',
    count: 320,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      const put = rng.chance(0.35);
      const name = put ? k.fixture : fresh();
      const o = named(k, name);
      const node = rng.pick(nodesOf(o));
      const wrong = wrongValue(rng, node.value);
      setAt(o, node.path, wrong);
      const note = `${node.path.join('.')}=${json(wrong)}`;
      const how = rng.int(10);
      if (how === 0) return { method: 'PATCH', path: withQuery(itemPath(k, name), { fieldManager: 'fuzz' }), contentType: APPLY, body: YAML.stringify(o), note };
      const contentType = how === 1 ? YAML_CT : JSON_CT;
      const body = contentType === JSON_CT ? json(o) : YAML.stringify(o);
      return put ? { method: 'PUT', path: itemPath(k), contentType, body, note } : { method: 'POST', path: k.collection, contentType, body, note };
    },
  },
  {
    name: 'out-of-range-numbers',
    count: 30,
    gen: ({ rng, fresh }) => {
      const value = rng.pick(['2147483648', '4294967297', '1e15', '-2147483649', '9007199254740993', '1e400', '-1e400']);
      const field = rng.pick(['replicas', 'minReadySeconds', 'containerPort', 'port']);
      const name = fresh();
      const note = `${field}=${value}`;
      if (field === 'port') {
        const o = named(SERVICE, name);
        o.spec.ports[0].port = 0;
        return { method: 'POST', path: SERVICE.collection, contentType: JSON_CT, body: json(o).replace('"port":0', `"port":${value}`), note };
      }
      const o = named(DEPLOYMENT, name);
      if (field === 'containerPort') o.spec.template.spec.containers[0].ports[0].containerPort = 0;
      else o.spec[field] = 0;
      const body = json(o).replace(`"${field}":0`, `"${field}":${value}`);
      if (rng.chance(0.3)) {
        const yamlValue = rng.pick(['.inf', '-.inf', '.nan', '.NaN', value]);
        return { method: 'POST', path: DEPLOYMENT.collection, contentType: YAML_CT, body: YAML.stringify(o).replace(new RegExp(`${field}: 0`), `${field}: ${yamlValue}`), note: `${field}: ${yamlValue}` };
      }
      return { method: 'POST', path: DEPLOYMENT.collection, contentType: JSON_CT, body, note };
    },
  },
  {
    name: 'invalid-names',
    count: 200,
    gen: ({ rng }) => {
      const how = rng.int(10);
      if (how === 0) {
        // Namespaces and services are DNS-1123 / DNS-1035 labels: dots, 64+ chars, a leading digit.
        const name = rng.pick(['a.b', 'x'.repeat(64 + rng.int(100)), `${invalidName(rng)}`]);
        return { method: 'POST', path: '/api/v1/namespaces', contentType: JSON_CT, body: json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) };
      }
      if (how === 1) {
        const name = rng.pick(['1abc', 'a.b', 's'.repeat(64 + rng.int(50)), invalidName(rng)]);
        return { method: 'POST', path: SERVICE.collection, contentType: JSON_CT, body: json(named(SERVICE, name)) };
      }
      const k = rng.pick(KINDS);
      const name = invalidName(rng);
      if (how === 2) {
        const o = named(k, '');
        delete o.metadata.name;
        o.metadata.generateName = rng.pick(['Bad_', 'UPPER-', '-lead', 'a..', `${'g'.repeat(254)}-`, 'é-']);
        return { method: 'POST', path: k.collection, contentType: JSON_CT, body: json(o) };
      }
      if (how === 3 && name !== '' && !name.includes('/')) {
        // The name in the URL and the body agree, and both are invalid: nothing to update.
        return { method: 'PUT', path: `${k.collection}/${enc(name)}`, contentType: JSON_CT, body: json(named(k, name)) };
      }
      return { method: 'POST', path: k.collection, contentType: rng.pick([JSON_CT, YAML_CT]), body: rng.chance(0.5) ? json(named(k, name)) : YAML.stringify(named(k, name)) };
    },
  },
  {
    name: 'invalid-labels-annotations',
    count: 200,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      const badKey = rng.chance(0.5);
      const key = badKey ? invalidLabelKey(rng) : rng.pick(['app', 'example.com/tier', 'x']);
      const value = badKey ? 'ok' : invalidLabelValue(rng);
      const where = rng.int(6);
      let note = `label ${json(key)}: ${json(value)}`;
      if (where === 0) {
        // Merge-patch the fixture's labels.
        return { method: 'PATCH', path: itemPath(k), contentType: MERGE, body: json({ metadata: { labels: { [key]: value } } }), note };
      }
      const o = named(k, fresh());
      if (where === 1) {
        // Annotation keys are checked lower-cased, so an upper-case prefix is fine there.
        const annotation = badKey && key.toLowerCase() !== 'example.com/x' ? key : rng.pick(['a b', '-x', 'x/y/z']);
        o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [annotation]: 'v' };
        note = `annotation ${json(annotation)}`;
      } else if (where === 2 && k === DEPLOYMENT) {
        o.spec.template.metadata.labels[key] = value;
        o.spec.selector.matchLabels[key] = value;
      } else if (where === 3 && k === SERVICE) {
        o.spec.selector[key] = value;
      } else if (where === 4 && k === POD) {
        o.spec.nodeSelector = { [key]: value };
      } else {
        o.metadata.labels = { ...(o.metadata.labels ?? {}), [key]: value };
      }
      return { method: 'POST', path: k.collection, contentType: JSON_CT, body: json(o), note };
    },
  },
  {
    name: 'unknown-fields-strict',
    count: 170,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      const strict = (p: string) => withQuery(p, rng.chance(0.8) ? { fieldValidation: 'Strict' } : { fieldValidation: 'Strict', fieldManager: 'fuzz' });
      const field = rng.pick(['bogus', 'imagee', 'replicaz', 'fooBar', 'x-extra', 'specc', 'metdata']) + (rng.chance(0.3) ? String(rng.int(100)) : '');
      const how = rng.int(7);
      if (how === 6) {
        // Duplicate fields are an error under Strict too.
        const name = fresh();
        const text = json(named(k, name)).replace(`"name":"${name}"`, `"name":"${name}","name":"${name}"`);
        return { method: 'POST', path: strict(k.collection), contentType: JSON_CT, body: text, note: 'duplicate field metadata.name' };
      }
      const put = how >= 2;
      const o = named(k, put ? k.fixture : fresh());
      const at = rng.pick(structNodes(k, o));
      const target = at.length ? at.reduce<Obj>((cur, seg) => cur[seg], o) : o;
      target[field] = rng.pick(['x', 1, true, { nested: 'x' }, ['x']]);
      const note = `unknown field ${[...at, field].join('.')}`;
      switch (how) {
        case 0:
        case 1:
          return { method: 'POST', path: strict(k.collection), contentType: rng.pick([JSON_CT, YAML_CT]), body: json(o), note };
        case 2:
          return { method: 'PUT', path: strict(itemPath(k)), contentType: JSON_CT, body: json(o), note };
        case 3:
          return { method: 'PATCH', path: strict(itemPath(k)), contentType: MERGE, body: json(o), note };
        case 4:
          return { method: 'PATCH', path: strict(itemPath(k)), contentType: SMP, body: json(o), note };
        default:
          return { method: 'PATCH', path: withQuery(itemPath(k), { fieldValidation: 'Strict', fieldManager: 'fuzz' }), contentType: APPLY, body: YAML.stringify(o), note };
      }
    },
  },
  {
    name: 'bad-query-values',
    count: 220,
    gen: ({ rng, fresh, victim }) => {
      const k = rng.pick(KINDS);
      const badInt = () => rng.pick(['abc', '1.5', '1e3', '0x10', ' 5', '5 ', 'ten', '99999999999999999999', '--1']);
      const badRv = () => rng.pick(['abc', '-1', '1.5', 'x1', '1e3', '0x1f', ' ', '1 2']);
      switch (rng.int(11)) {
        case 0:
          return postNew(k, named(k, fresh()), { fieldValidation: rng.pick(['strict', 'STRICT', 'bogus', 'Strict ', 'Warn,Strict', 'ignore', '1', 'true']) });
        case 1:
          return postNew(k, named(k, fresh()), { dryRun: rng.pick(['true', 'all', 'None', 'ALL', 'yes', '', 'All,All', '1']) });
        case 2:
          return postNew(k, named(k, fresh()), { fieldManager: rng.pick(['m'.repeat(129 + rng.int(100)), 'a\u0001b', 'a\u007fb', 'é', 'a\nb', '\u0000']) });
        case 3:
          return { method: 'GET', path: withQuery(k.collection, { limit: rng.pick([badInt(), '-1', '-100']) }) };
        case 4:
          return { method: 'GET', path: withQuery(k.collection, { timeoutSeconds: badInt() }) };
        case 5:
          return { method: 'GET', path: withQuery(k.collection, { resourceVersion: badRv() }) };
        case 6:
          return { method: 'GET', path: withQuery(k.collection, { continue: rng.pick(['abc', rng.word(20, 'abcXYZ019-_'), '%%%', Buffer.from('{"start":5}').toString('base64url'), Buffer.from('not json').toString('base64url')]) }) };
        case 7: {
          const q: Record<string, string> = rng.chance(0.5) ? { resourceVersion: badRv() } : { timeoutSeconds: rng.pick([badInt(), '-1', '-30']) };
          if (rng.chance(0.3)) return { method: 'GET', path: withQuery(`/api/v1/watch/namespaces/${NS}/configmaps`, q) };
          return { method: 'GET', path: withQuery(k.collection, { watch: rng.pick(['true', '1']), ...q }) };
        }
        case 8: {
          const q = rng.pick<Record<string, string>>([
            { gracePeriodSeconds: rng.pick(['abc', '1.5', '1e2', 'soon']) },
            { propagationPolicy: rng.pick(['bogus', 'orphan', 'BACKGROUND', 'Background ']) },
            { dryRun: rng.pick(['true', 'all', 'None']) },
          ]);
          return { method: 'DELETE', path: withQuery(victimPath(victim()), q) };
        }
        case 9: {
          const q = rng.pick<Record<string, string>>([{ fieldValidation: 'bogus' }, { dryRun: 'maybe' }, { fieldManager: 'f'.repeat(200) }]);
          return { method: 'PATCH', path: withQuery(itemPath(k), q), contentType: MERGE, body: json({ metadata: { annotations: { fuzz: 'changed' } } }) };
        }
        default:
          return { method: 'PUT', path: withQuery(itemPath(k), { dryRun: rng.pick(['true', 'none', 'All ']) }), contentType: JSON_CT, body: json(named(k, k.fixture)) };
      }
    },
  },
  {
    name: 'kind-apiversion-mismatch',
    count: 110,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      const put = rng.chance(0.3);
      const o = named(k, put ? k.fixture : fresh());
      if (rng.chance(0.5)) {
        o.kind = rng.pick(['Secret', 'Pod', 'Deployment', 'ConfigMap', 'Service', 'Namespace', 'configmap', 'CONFIGMAP', 'ConfigMapList', 'Status', 'Scale', 'Bogus'].filter((x) => x !== k.kind));
      } else {
        const own = k === DEPLOYMENT ? 'apps/v1' : 'v1';
        o.apiVersion = rng.pick(['v2', 'v1beta1', 'apps/v1', 'v1', 'apps/v1beta2', 'extensions/v1beta1', 'example.com/v1', '/v1', 'apps/', 'core/v1', 'batch/v1', ' v1'].filter((x) => x !== own));
      }
      if (rng.chance(0.15)) return { method: 'PATCH', path: withQuery(itemPath(k), { fieldManager: 'fuzz' }), contentType: APPLY, body: YAML.stringify(o) };
      return put ? { method: 'PUT', path: itemPath(k), contentType: JSON_CT, body: json(o) } : { method: 'POST', path: k.collection, contentType: JSON_CT, body: json(o) };
    },
  },
  {
    name: 'unknown-resources-and-groups',
    count: 150,
    gen: ({ rng, fresh }) => {
      const bogus = `zz${rng.word(rng.range(2, 8))}`;
      const group = `${rng.word(5)}.example.io`;
      const path = rng.pick([
        `/api/v1/namespaces/${NS}/${bogus}`,
        `/api/v1/namespaces/${NS}/${bogus}/x`,
        `/api/v1/${bogus}`,
        `/apis/${group}/v1/namespaces/${NS}/widgets`,
        `/apis/${group}/v1/widgets`,
        `/apis/${group}`,
        `/apis/${group}/v1`,
        `/apis/apps/v${rng.range(2, 9)}/namespaces/${NS}/deployments`,
        '/apis/apps/v1beta1/deployments',
        `/api/v2/namespaces/${NS}/pods`,
        `/api/v1/namespaces/${NS}/deployments`,
        `/apis/apps/v1/namespaces/${NS}/configmaps`,
        `/apis/batch/v1/namespaces/${NS}/deployments`,
        `/api/v1/namespaces/${NS}/nodes`,
        `/api/v1/namespaces/${NS}/namespaces`,
        '/api/v1/pods/x',
        `/api/v1/namespaces/${NS}/configmaps/cm-fixture/status`,
        `/api/v1/namespaces/${NS}/configmaps/cm-fixture/scale`,
        `/api/v1/namespaces/${NS}/services/svc/scale`,
        `/api/v1/namespaces/${NS}/pods/pod-fixture/${rng.pick(['exec', 'log', 'eviction', 'ephemeralcontainers', 'proxy', 'attach', 'portforward', 'resize'])}`,
        `/apis/apps/v1/namespaces/${NS}/deployments/web/rollback`,
        `/api/v1/namespaces/${NS}/pods/a/b/c/d`,
        `/api/v1/namespaces/${NS}/configmaps/cm-fixture/data/a`,
        '/api/v1/nodes/n1/binding',
        `/${bogus}`,
        `/api/${bogus}`,
        '/apis/apps/v1/deploymentz',
        `/apis/apps/v1/namespaces/${NS}/deployments/web/scale/extra`,
      ]);
      const method = rng.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
      if (method === 'GET') return { method, path };
      if (method === 'DELETE') return { method, path: withQuery(path, { labelSelector: 'fuzz-nomatch=1' }) };
      return { method, path, contentType: method === 'PATCH' ? MERGE : JSON_CT, body: json(named(CONFIGMAP, fresh())) };
    },
  },
  {
    name: 'oversize-bodies',
    count: 50,
    gen: ({ rng, fresh }) => {
      const extra = rng.pick([1, 100, 4096, 65536, MiB]);
      const name = fresh();
      const head = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"data":{"big":"`;
      const tail = '"}}';
      const size = BODY_LIMIT + extra;
      const body = () => Buffer.concat([Buffer.from(head), Buffer.alloc(size - head.length - tail.length, 'x'), Buffer.from(tail)]);
      const chunked = rng.chance(0.5);
      const how = rng.int(5);
      if (how === 0) return { method: 'POST', path: CONFIGMAP.collection, contentType: JSON_CT, body, chunked, codes: [413] };
      if (how === 1) return { method: 'POST', path: CONFIGMAP.collection, contentType: YAML_CT, body, chunked, codes: [413] };
      if (how === 2) return { method: 'PUT', path: itemPath(CONFIGMAP), contentType: JSON_CT, body, chunked, codes: [413] };
      if (how === 3) return { method: 'PATCH', path: withQuery(itemPath(CONFIGMAP), { fieldManager: 'fuzz' }), contentType: rng.pick([MERGE, SMP, APPLY]), body, chunked, codes: [413] };
      return { method: 'POST', path: `${POD.collection}/${POD.fixture}/binding`, contentType: JSON_CT, body, chunked, codes: [413] };
    },
  },
  {
    name: 'too-large-fields',
    count: 8,
    gen: ({ rng, fresh }) => {
      // Under the 3 MiB request limit, but over ConfigMap's 1 MiB or metadata.annotations' 256 KiB.
      const o = named(CONFIGMAP, fresh());
      if (rng.chance(0.5)) o.data = { big: 'x'.repeat(MiB + 1 + rng.int(MiB)) };
      else o.metadata.annotations = { big: 'x'.repeat(256 * 1024 + 1 + rng.int(100_000)) };
      return { method: 'POST', path: CONFIGMAP.collection, contentType: JSON_CT, body: json(o), codes: [422] };
    },
  },
  {
    name: 'bad-label-selectors',
    count: 150,
    gen: ({ rng }) => {
      const bad = rng.pick([
        // (`a in ()` is valid: Kubernetes reads `()` as the set {""}.)
        'a=(b', '=x', '!', 'in (', 'a in (', 'a in (b', 'a in b', 'a notin', 'a in (b,', 'a=b=c', 'a!', '!a=b', 'a in (b c)', 'A B',
        '-a', 'a-', '_a=b', 'a/b/c', 'k'.repeat(64), `a=${'v'.repeat(64)}`, 'a=-v', 'a=v-', 'a=v/w', 'a=é', 'é', '(a)', 'a,,b', ',', 'a==b==c', 'a in ((b))',
      ]);
      const parts = rng.shuffle([...Array.from({ length: rng.int(3) }, () => rng.pick(['app=web', 'tier!=db', 'env in (a,b)', 'x', '!y', 'k notin (z)'])), bad]);
      const labelSelector = parts.join(',');
      const k = rng.pick(KINDS);
      switch (rng.int(4)) {
        case 0:
          return { method: 'GET', path: withQuery(k.collection, { labelSelector, watch: '1' }) };
        case 1:
          return { method: 'DELETE', path: withQuery(CONFIGMAP.collection, { labelSelector: `fuzz-nomatch=1,${labelSelector}` }) };
        default:
          return { method: 'GET', path: withQuery(rng.chance(0.2) ? `/api/v1/${k.plural}` : k.collection, { labelSelector }) };
      }
    },
  },
  {
    name: 'bad-field-selectors',
    count: 100,
    gen: ({ rng }) => {
      const bad = rng.pick([
        'spec.foo=bar', 'metadata.labels=x', 'metadata.labels.app=web', 'metadata.uid=x', 'metadata.resourceVersion=1', 'status.phase=Running', 'foo=bar',
        'metadata.name', 'metadata.name in (a)', '=x', '!=x', '==x', 'spec.nodeName=x', 'metadata.name~x', 'metadata.name>a', 'metadata.namespace', 'spec.replicas=2',
      ]);
      const fieldSelector = rng.shuffle([...Array.from({ length: rng.int(2) }, () => rng.pick(['metadata.name=x', 'metadata.namespace!=y'])), bad]).join(',');
      const collection = rng.pick([CONFIGMAP.collection, DEPLOYMENT.collection, SERVICE.collection, `/api/v1/namespaces/${NS}/secrets`, `/api/v1/namespaces/${NS}/endpoints`]);
      switch (rng.int(4)) {
        case 0:
          return { method: 'GET', path: withQuery(collection, { fieldSelector, watch: 'true' }) };
        case 1:
          return { method: 'DELETE', path: withQuery(CONFIGMAP.collection, { labelSelector: 'fuzz-nomatch=1', fieldSelector }) };
        default:
          return { method: 'GET', path: withQuery(collection, { fieldSelector }) };
      }
    },
  },
  {
    name: 'json-patch-bad',
    count: 200,
    gen: ({ rng }) => {
      const k = rng.pick(KINDS);
      const common: unknown[] = [
        { path: '/metadata/name' },
        { op: 'fetch', path: '/a', value: 1 },
        { op: 'ADD', path: '/metadata/x', value: 1 },
        { op: '', path: '/a', value: 1 },
        { op: 'add', value: 1 },
        { op: 'add', path: 7, value: 1 },
        { op: 'add', path: 'metadata/x', value: 1 },
        { op: 'add', path: '/a~2b', value: 1 },
        { op: 'add', path: '/metadata/annotations/x' },
        { op: 'replace', path: '/metadata/name' },
        { op: 'test', path: '/metadata/name' },
        { op: 'move', path: '/metadata/x' },
        { op: 'copy', from: 5, path: '/metadata/x' },
        'x',
        7,
        null,
        [],
        { op: 'remove', path: '/metadata/nope' },
        { op: 'replace', path: '/spec/nope/deeper', value: 1 },
        { op: 'add', path: '/nope/a/b', value: 1 },
        { op: 'remove', path: '/metadata/labels/nope' },
        { op: 'test', path: '/metadata/name', value: 'other' },
        { op: 'test', path: '/metadata/name', value: 5 },
        { op: 'move', from: '/metadata', path: '/metadata/x' },
        { op: 'remove', path: '' },
        { op: 'replace', path: '', value: 'x' },
        { op: 'replace', path: '', value: [] },
        { op: 'replace', path: '/metadata/name', value: 'other-name' },
        { op: 'replace', path: '/kind', value: 'Secret' },
        { op: 'replace', path: '/apiVersion', value: 'v9' },
        { op: 'replace', path: '/metadata/namespace', value: 'default' },
        { op: 'add', path: '/metadata/labels', value: { 'bad key': 'v' } },
        { op: 'add', path: '/metadata/annotations', value: { a: 5 } },
        { op: 'replace', path: '/metadata/resourceVersion', value: '1' },
        { op: 'replace', path: '/metadata/uid', value: '00000000-0000-0000-0000-000000000000' },
        { op: 'copy', from: '/metadata/nope', path: '/metadata/x' },
        { op: 'replace', path: '/metadata', value: 'flat' },
      ];
      const perKind: Record<string, unknown[]> = {
        ConfigMap: [
          { op: 'add', path: '/data/bad key', value: 'v' },
          { op: 'replace', path: '/data/a', value: 1 },
          { op: 'add', path: '/data/x/y', value: 'v' },
          { op: 'add', path: '/data', value: ['a'] },
        ],
        Deployment: [
          { op: 'add', path: '/spec/template/spec/containers/7', value: { name: 'x', image: 'y' } },
          { op: 'remove', path: '/spec/template/spec/containers/01' },
          { op: 'remove', path: '/spec/template/spec/containers/-' },
          { op: 'replace', path: '/spec/template/spec/containers/-1/image', value: 'x' },
          { op: 'replace', path: '/spec/replicas', value: -1 },
          { op: 'replace', path: '/spec/replicas', value: 'two' },
          { op: 'remove', path: '/spec/template/spec/containers/0' },
          { op: 'replace', path: '/spec/selector/matchLabels/app', value: 'other' },
        ],
        Service: [
          { op: 'replace', path: '/spec/ports/0/port', value: 0 },
          { op: 'add', path: '/spec/ports/5', value: { port: 1 } },
          { op: 'replace', path: '/spec/clusterIP', value: 'not-an-ip' },
          { op: 'replace', path: '/spec/type', value: 'Bogus' },
        ],
        Pod: [
          { op: 'replace', path: '/spec/restartPolicy', value: 'Always' },
          { op: 'replace', path: '/spec/containers/0/name', value: 'renamed' },
          { op: 'add', path: '/spec/containers/-', value: { name: 'x', image: 'y' } },
          { op: 'replace', path: '/spec/containers/0/image', value: '' },
        ],
      };
      const benign: unknown[] = [
        { op: 'test', path: '/metadata/name', value: k.fixture },
        { op: 'add', path: '/metadata/annotations', value: { fuzz: 'x' } },
        { op: 'test', path: '/kind', value: k.kind },
      ];
      const ops = [...Array.from({ length: rng.int(3) }, () => rng.pick(benign)), rng.pick([...common, ...perKind[k.kind]!])];
      return { method: 'PATCH', path: itemPath(k), contentType: JSONPATCH, body: json(ops) };
    },
  },
  {
    name: 'merge-patch-bad',
    count: 130,
    gen: ({ rng }) => {
      const k = rng.pick(KINDS);
      const common: Obj[] = [
        { metadata: { name: 'other' } },
        { metadata: { namespace: 'default' } },
        { kind: 'Secret' },
        { apiVersion: 'v9' },
        { metadata: { labels: { 'bad key': 'v' } } },
        { metadata: { labels: { ok: 5 } } },
        { metadata: { resourceVersion: '1' } },
        { metadata: { uid: 'not-the-uid' } },
        { metadata: 'str' },
        { metadata: [] },
        { metadata: { creationTimestamp: 'yesterday' } },
        { metadata: { finalizers: ['bad finalizer!'] } },
        { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'x' }] } },
      ];
      const perKind: Record<string, Obj[]> = {
        ConfigMap: [{ data: { k: 1 } }, { data: [] }, { data: { 'bad key!': 'v' } }, { binaryData: { k: 'not base64!' } }, { immutable: 'yes' }],
        Deployment: [
          { spec: 'x' },
          { spec: { replicas: -1 } },
          { spec: { replicas: 'three' } },
          { spec: { selector: { matchLabels: { app: 'other' } } } },
          { spec: { template: { spec: { containers: null } } } },
          { spec: { template: { spec: { containers: [] } } } },
          { spec: { strategy: { type: 'Bogus' } } },
          { status: { replicas: 'x' } },
        ],
        Service: [{ spec: { ports: [{ port: 0 }] } }, { spec: { type: 'Bogus' } }, { spec: { ports: 'x' } }, { spec: { clusterIP: 'not-an-ip' } }, { spec: { sessionAffinity: 'Sticky' } }],
        Pod: [
          { spec: { restartPolicy: 'Always' } },
          { spec: { containers: [] } },
          { spec: { containers: [{ name: 'main' }] } },
          { spec: { nodeName: 'Bad_Node' } },
          { status: { phase: 5 } },
          { status: { conditions: 'x' } },
        ],
      };
      const bad = clone(rng.pick([...common, ...perKind[k.kind]!]));
      if (rng.chance(0.3)) bad.metadata = isObj(bad.metadata) ? { ...bad.metadata, annotations: { fuzz: 'x' } } : bad.metadata;
      const toStatus = 'status' in bad && (k === DEPLOYMENT || k === POD);
      return { method: 'PATCH', path: toStatus ? `${itemPath(k)}/status` : itemPath(k), contentType: MERGE, body: json(bad) };
    },
  },
  {
    name: 'strategic-patch-bad',
    count: 130,
    gen: ({ rng }) => {
      const k = rng.pick(KINDS);
      const inPodSpec = (spec: Obj): Obj => (k === DEPLOYMENT ? { spec: { template: { spec } } } : { spec });
      const common: Obj[] = [
        { $patch: 'bogus' },
        { metadata: { $patch: 'merge' } },
        { metadata: { labels: { $patch: 'bogus' } } },
        { metadata: { $retainKeys: 'labels' } },
        { metadata: { $retainKeys: ['labels'], annotations: { a: 'b' } } },
        { metadata: { '$deleteFromPrimitiveList/finalizers': 'x' } },
        { metadata: { '$deleteFromPrimitiveList/finalizers': [{ a: 1 }] } },
        { '$setElementOrder/': [] },
        { metadata: { finalizers: [{ a: 1 }] } },
        { metadata: { resourceVersion: '1' } },
        { metadata: { name: 'other' } },
      ];
      const podLike: Obj[] = [
        inPodSpec({ containers: [{ $patch: 'bogus', name: 'main' }] }),
        inPodSpec({ containers: [{ $patch: 'merge' }] }),
        inPodSpec({ containers: [{ image: 'no-merge-key' }] }),
        inPodSpec({ containers: [['a']] }),
        inPodSpec({ containers: ['a'] }),
        inPodSpec({ containers: [{ name: 'x', image: 'y' }, 'a'] }),
        inPodSpec({ '$setElementOrder/containers': 'nginx' }),
        inPodSpec({ '$setElementOrder/containers': ['nginx'] }),
        inPodSpec({ '$setElementOrder/containers': [{ name: 'zzz' }], containers: [{ name: 'nginx', image: 'x' }] }),
        inPodSpec({ '$setElementOrder/containers': { name: 'nginx' } }),
        inPodSpec({ containers: { name: 'main' } }),
        inPodSpec({ containers: [{ $patch: 'delete' }] }),
      ];
      const perKind: Record<string, Obj[]> = {
        ConfigMap: [{ data: { $patch: 'bogus' } }, { data: { $patch: 'replace', k: 1 } }, { data: [] }],
        Deployment: [...podLike, { spec: { replicas: 'x' } }],
        Service: [{ spec: { ports: [{ name: 'http' }] } }, { spec: { ports: [{ $patch: 'bogus', port: 80 }] } }, { spec: { ports: [['x']] } }, { spec: { '$setElementOrder/ports': 'x' } }],
        Pod: podLike,
      };
      return { method: 'PATCH', path: itemPath(k), contentType: SMP, body: json(rng.pick([...common, ...perKind[k.kind]!])) };
    },
  },
  {
    name: 'apply-patch-bad',
    count: 110,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      const onFixture = rng.chance(0.6);
      const name = onFixture ? k.fixture : fresh();
      const path = itemPath(k, name);
      const body = YAML.stringify(named(k, name));
      switch (rng.int(8)) {
        case 0:
        case 1:
          // Valid object, no fieldManager: apply requires one.
          return { method: 'PATCH', path: rng.chance(0.3) ? withQuery(path, { force: 'true' }) : path, contentType: APPLY, body };
        case 2:
          return { method: 'PATCH', path: withQuery(path, { fieldManager: rng.pick(['m'.repeat(129 + rng.int(50)), 'bad\u0001', 'tab\there']) }), contentType: APPLY, body };
        case 3:
          return { method: 'PATCH', path: withQuery(path, { fieldManager: 'fuzz', dryRun: rng.pick(['true', 'none']) }), contentType: APPLY, body };
        case 4:
          return { method: 'PATCH', path: withQuery(`${itemPath(DEPLOYMENT)}/scale`, { fieldManager: 'fuzz' }), contentType: APPLY, body: 'spec:\n  replicas: 2\n', codes: [415] };
        case 5: {
          const o = named(k, name);
          o.metadata.name = invalidName(rng) || 'Bad';
          return { method: 'PATCH', path: withQuery(path, { fieldManager: 'fuzz' }), contentType: APPLY, body: YAML.stringify(o) };
        }
        case 6:
          return { method: 'PATCH', path: withQuery(path, { fieldManager: 'fuzz' }), contentType: APPLY, body: json([named(k, name)]) };
        default:
          return { method: 'PATCH', path: withQuery(path, { fieldManager: 'fuzz' }), contentType: APPLY, body: `${body}\tbroken: [\n` };
      }
    },
  },
  {
    name: 'unsupported-media-type',
    count: 100,
    gen: ({ rng, fresh, victim }) => {
      const k = rng.pick(KINDS);
      const weird = [
        'text/plain',
        'application/xml',
        'text/html',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
        'application/octet-stream',
        'image/png',
        'garbage',
        'application/',
        ';',
        'application/jsonx',
        'application/cbor',
      ];
      switch (rng.int(6)) {
        case 0:
        case 1:
          return { method: 'POST', path: k.collection, contentType: rng.pick([...weird, JSONPATCH, MERGE, SMP, APPLY]), body: json(named(k, fresh())), codes: [415] };
        case 2:
          return { method: 'PUT', path: itemPath(k), contentType: rng.pick([...weird, JSONPATCH, MERGE]), body: json(named(k, k.fixture)), codes: [415] };
        case 3:
          return { method: 'PATCH', path: itemPath(k), contentType: rng.pick([...weird, JSON_CT, YAML_CT, undefined]), body: json({ metadata: { annotations: { fuzz: 'x' } } }), codes: [415] };
        case 4:
          return { method: 'POST', path: k.collection, contentType: 'application/vnd.kubernetes.protobuf', body: Buffer.from(rng.word(40, 'k8s\u0000\u0001\u0002abc')), codes: [400, 415] };
        default:
          // Not pinned to 415: a victim an earlier buggy request deleted answers 404.
          return { method: 'DELETE', path: victimPath(victim()), contentType: rng.pick(['text/plain', 'application/xml', 'image/png']), body: '{}' };
      }
    },
  },
  {
    name: 'delete-options-bad',
    count: 80,
    gen: ({ rng, victim }) => {
      const body = rng.pick([
        '[]',
        '"x"',
        '5',
        '{',
        '{"gracePeriodSeconds":"abc"}',
        '{"gracePeriodSeconds":1.5}',
        '{"gracePeriodSeconds":true}',
        '{"propagationPolicy":"Bogus"}',
        '{"propagationPolicy":5}',
        '{"preconditions":"x"}',
        '{"preconditions":[]}',
        '{"preconditions":{"uid":"wrong-uid"}}',
        '{"preconditions":{"resourceVersion":"1"}}',
        '{"dryRun":["bogus"]}',
        '{"dryRun":"All"}',
        '{"orphanDependents":"yes"}',
        '{"orphanDependents":true,"propagationPolicy":"Background"}',
      ]);
      const yaml = rng.chance(0.15);
      return { method: 'DELETE', path: victimPath(victim()), contentType: yaml ? YAML_CT : JSON_CT, body: yaml ? 'gracePeriodSeconds: [\n' : body };
    },
  },
  {
    name: 'stale-or-garbage-resource-version',
    count: 80,
    gen: ({ rng, live }) => {
      const k = rng.pick(KINDS);
      const cur = clone(live.get(k)!);
      const rv = Number(cur.metadata.resourceVersion);
      cur.metadata.annotations = { ...(cur.metadata.annotations ?? {}), fuzz: 'changed' };
      cur.metadata.resourceVersion = rng.pick(['1', String(rv - 1), String(rv + 1000), 'abc', '-1', '1.5', '0x10', '99999999999999999999', ' ']);
      if (rng.chance(0.15)) {
        cur.metadata.resourceVersion = String(rv);
        cur.metadata.uid = '00000000-0000-0000-0000-000000000000';
      }
      const how = rng.int(5);
      if (how === 0 && k === DEPLOYMENT) {
        return { method: 'PUT', path: `${itemPath(k)}/scale`, contentType: JSON_CT, body: json({ metadata: { name: k.fixture, namespace: NS, resourceVersion: cur.metadata.resourceVersion, uid: cur.metadata.uid }, spec: { replicas: 3 } }), codes: [400, 409] };
      }
      if (how === 1 && (k === DEPLOYMENT || k === SERVICE || k === POD)) return { method: 'PUT', path: `${itemPath(k)}/status`, contentType: JSON_CT, body: json(cur), codes: [400, 409] };
      if (how === 2) return { method: 'PATCH', path: itemPath(k), contentType: MERGE, body: json({ metadata: { resourceVersion: cur.metadata.resourceVersion, uid: cur.metadata.uid, annotations: { fuzz: 'changed' } } }), codes: [400, 409] };
      return { method: 'PUT', path: itemPath(k), contentType: JSON_CT, body: json(cur), codes: [400, 409] };
    },
  },
  {
    name: 'scale-subresource-misuse',
    count: 80,
    gen: ({ rng, fresh }) => {
      const scale = `${itemPath(DEPLOYMENT)}/scale`;
      const putBodies: unknown[] = [
        { spec: { replicas: -1 } },
        { spec: { replicas: '3' } },
        { spec: { replicas: 1.5 } },
        { spec: { replicas: true } },
        { spec: { replicas: null } },
        { spec: {} },
        {},
        { spec: 'x' },
        [],
        'x',
        { spec: { replicas: 2147483648 } },
        { metadata: { resourceVersion: '1' }, spec: { replicas: 2 } },
        { kind: 'Deployment', apiVersion: 'apps/v1', spec: { replicas: 2 } },
        { metadata: { name: 'other' }, spec: { replicas: 2 } },
      ];
      switch (rng.int(8)) {
        case 0:
        case 1:
        case 2:
          return { method: 'PUT', path: scale, contentType: JSON_CT, body: json(rng.pick(putBodies)) };
        case 3:
          return { method: 'PATCH', path: scale, contentType: MERGE, body: json(rng.pick([{ spec: { replicas: -3 } }, { spec: { replicas: 'x' } }, { spec: null }, [], { spec: { replicas: {} } }])) };
        case 4:
          return {
            method: 'PATCH',
            path: scale,
            contentType: JSONPATCH,
            body: json(rng.pick([[{ op: 'replace', path: '/spec/replicas', value: 'x' }], [{ op: 'remove', path: '/spec/replicas' }], [{ op: 'test', path: '/spec/replicas', value: 99 }], [{ op: 'replace', path: '/spec/replicas', value: -2 }]])),
          };
        case 5:
          return { method: 'PATCH', path: scale, contentType: SMP, body: json(rng.pick([{ spec: { replicas: -1 } }, { spec: { replicas: [1] } }, { $patch: 'bogus' }])) };
        case 6:
          return rng.pick<Draft>([
            { method: 'POST', path: scale, contentType: JSON_CT, body: json({ spec: { replicas: 1 } }) },
            { method: 'DELETE', path: scale },
            { method: 'PUT', path: `${itemPath(DEPLOYMENT, fresh())}/scale`, contentType: JSON_CT, body: json({ spec: { replicas: 1 } }) },
          ]);
        default: {
          const k = rng.pick([CONFIGMAP, SERVICE, POD]);
          return rng.chance(0.5)
            ? { method: 'GET', path: `${itemPath(k)}/scale` }
            : { method: 'PUT', path: `${itemPath(k)}/scale`, contentType: JSON_CT, body: json({ spec: { replicas: 1 } }) };
        }
      }
    },
  },
  {
    name: 'binding-subresource-misuse',
    count: 60,
    gen: ({ rng, live, fresh }) => {
      const binding = `${itemPath(POD)}/binding`;
      const bodies: unknown[] = [
        {},
        { target: {} },
        { target: { name: '' } },
        { target: { name: 5 } },
        { target: 'node-1' },
        { target: { kind: 'Pod', name: 'node-1' } },
        { metadata: { name: 'other' }, target: { name: 'node-1' } },
        { apiVersion: 'v9', kind: 'Binding', target: { name: 'node-1' } },
        { kind: 'Pod', target: { name: 'node-1' } },
        [],
        'x',
      ];
      switch (rng.int(10)) {
        case 0:
          return { method: 'GET', path: binding };
        case 1: {
          const pod = clone(live.get(POD)!);
          pod.metadata.annotations = { fuzz: 'via-binding' };
          delete pod.metadata.resourceVersion;
          return rng.chance(0.5)
            ? { method: 'PUT', path: binding, contentType: JSON_CT, body: json(pod) }
            : { method: 'PATCH', path: binding, contentType: MERGE, body: json({ metadata: { annotations: { fuzz: 'via-binding' } } }) };
        }
        case 2:
          return { method: 'POST', path: `${itemPath(POD, fresh())}/binding`, contentType: JSON_CT, body: json({ target: { name: 'node-1' } }) };
        case 3:
          return { method: 'POST', path: `${itemPath(DEPLOYMENT)}/binding`, contentType: JSON_CT, body: json({ target: { name: 'node-1' } }) };
        case 4:
          return { method: 'POST', path: binding, contentType: JSON_CT, body: '{"target":{"name":"node-1"' };
        default:
          return { method: 'POST', path: binding, contentType: JSON_CT, body: json(rng.pick(bodies)) };
      }
    },
  },
  {
    name: 'path-tricks',
    count: 120,
    gen: ({ rng, fresh }) => {
      const cm = CONFIGMAP.collection;
      const path = rng.pick([
        `${cm}/cm%2Ffixture`,
        `${cm}/cm-fixture%2F..%2F..%2Fsecrets`,
        `/api/v1/namespaces/${NS}%2Fx/configmaps`,
        `/api/v1/namespaces/${NS}%2F/configmaps`,
        `${cm}/..`,
        `${cm}/.`,
        '/api/v1/namespaces/../configmaps',
        '/api/v1/namespaces/%2E%2E/configmaps',
        '/api/v1/namespaces/%2e/configmaps',
        `${cm}/%2E%2E%2Fsecrets`,
        `${cm}/cm-fixture%00`,
        `${cm}/%ZZ`,
        `${cm}/%`,
        `${cm}/cm%E0%A4%A`,
        `${cm}/%C0%AF`,
        `${cm}/${'a'.repeat(1001 + rng.int(2000))}`,
        `${cm}/cm-fixture/..%2F..%2Fsecrets`,
        '/apis/apps%2Fv1/deployments',
        `${cm};x=y`,
        `${cm}/cm-fixture;x=y`,
        `/api/v1/namespaces/${NS}/configmaps/cm-fixture/../../secrets`,
        `/api/v1/namespaces/${NS}/./configmaps/./cm-fixture/.`,
        `${cm}/cm%5Cfixture`,
        `/api/v1/namespaces/${NS}/configmaps/%20cm-fixture`,
      ]);
      const method = rng.pick(['GET', 'GET', 'PUT', 'PATCH', 'DELETE']);
      if (method === 'GET') return { method, path };
      if (method === 'DELETE') return { method, path: `${path}${path.includes('?') ? '&' : '?'}labelSelector=fuzz-nomatch%3D1` };
      const body = method === 'PUT' ? json(named(CONFIGMAP, fresh())) : json({ metadata: { annotations: { fuzz: 'x' } } });
      return { method, path, contentType: method === 'PUT' ? JSON_CT : MERGE, body };
    },
  },
  {
    name: 'deep-nesting',
    count: 40,
    gen: ({ rng, fresh }) => {
      const style = rng.pick(['array', 'object'] as const);
      const depth = rng.pick(style === 'array' ? [64, 65, 100, 1000, 5000, 20000, 100000, 500000] : [64, 65, 100, 1000, 5000, 20000, 100000, 300000]);
      const v = deepJson(depth, style);
      const name = fresh();
      const note = `${style}s nested ${depth} deep`;
      switch (rng.int(7)) {
        case 0:
          return { method: 'POST', path: CONFIGMAP.collection, contentType: JSON_CT, body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"data":{"k":${v}}}`, note };
        case 1:
          return { method: 'POST', path: CONFIGMAP.collection, contentType: JSON_CT, body: v, note };
        case 2:
          return { method: 'PATCH', path: itemPath(CONFIGMAP), contentType: rng.pick([MERGE, SMP]), body: `{"data":{"k":${v}}}`, note };
        case 3:
          return { method: 'PATCH', path: itemPath(CONFIGMAP), contentType: JSONPATCH, body: `[{"op":"add","path":"/data/k","value":${v}}]`, note };
        case 4:
          return { method: 'POST', path: DEPLOYMENT.collection, contentType: JSON_CT, body: `{"metadata":{"name":"${name}","labels":${v}}}`, note };
        case 5:
          return { method: 'PUT', path: itemPath(CONFIGMAP), contentType: JSON_CT, body: `{"metadata":{"name":"cm-fixture","annotations":{"a":"b"}},"data":{"k":${v}}}`, note };
        default:
          return { method: 'DELETE', path: victimPath('victim-0'), contentType: JSON_CT, body: `{"gracePeriodSeconds":${v}}`, note };
      }
    },
  },
  {
    name: 'deep-nesting-yaml',
    count: 6,
    first: true,
    gen: ({ rng, fresh }) => {
      const depth = rng.pick([1000, 2000, 5000, 20000, 100000]);
      const name = fresh();
      const flow = deepJson(depth, rng.pick(['array', 'object'] as const));
      const note = `YAML nested ${depth} deep`;
      switch (rng.int(4)) {
        case 0:
          return { method: 'POST', path: CONFIGMAP.collection, contentType: YAML_CT, body: `${flow}\n`, note };
        case 1:
          return { method: 'POST', path: CONFIGMAP.collection, contentType: YAML_CT, body: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: ${flow}\n`, note };
        case 2:
          return { method: 'PATCH', path: withQuery(itemPath(CONFIGMAP), { fieldManager: 'fuzz' }), contentType: APPLY, body: `{"data":{"k":${flow}}}`, note };
        default: {
          const d = Math.min(depth, 1000);
          const block = Array.from({ length: d }, (_, i) => `${'  '.repeat(i + 1)}a:`).join('\n');
          return { method: 'POST', path: CONFIGMAP.collection, contentType: YAML_CT, body: `metadata:\n  name: ${name}\ndata:\n${block} 1\n`, note: `YAML block maps nested ${d} deep` };
        }
      }
    },
  },
  {
    name: 'methods-not-allowed',
    count: 60,
    gen: ({ rng, fresh }) => {
      const body = json(named(CONFIGMAP, fresh()));
      return rng.pick<Draft>([
        { method: 'POST', path: itemPath(CONFIGMAP), contentType: JSON_CT, body },
        { method: 'PUT', path: CONFIGMAP.collection, contentType: JSON_CT, body },
        { method: 'PATCH', path: CONFIGMAP.collection, contentType: MERGE, body: '{"metadata":{"annotations":{"a":"b"}}}' },
        { method: 'DELETE', path: `${itemPath(DEPLOYMENT)}/status` },
        { method: 'DELETE', path: `${itemPath(DEPLOYMENT)}/scale` },
        { method: 'POST', path: `${itemPath(DEPLOYMENT)}/status`, contentType: JSON_CT, body },
        { method: 'POST', path: `${itemPath(POD)}/status`, contentType: JSON_CT, body },
        { method: rng.pick(['POST', 'PUT', 'DELETE', 'PATCH']), path: rng.pick(['/version', '/healthz', '/readyz', '/livez', '/metrics', '/api', '/apis', '/openapi/v3', '/api/v1', '/apis/apps/v1']), contentType: JSON_CT, body },
        { method: 'OPTIONS', path: CONFIGMAP.collection },
        { method: 'POST', path: '/api/v1/', contentType: JSON_CT, body },
      ]);
    },
  },
  {
    name: 'not-acceptable',
    count: 40,
    gen: ({ rng }) => {
      const accept = rng.pick([
        'text/html',
        'application/xml',
        'text/plain',
        'image/png',
        'text/*',
        'application/json;as=Table',
        'application/json;as=Table;g=wrong.io;v=v1',
        'application/json;as=Table;g=meta.k8s.io;v=v9',
        'application/json;as=Bogus',
        'application/json;as=Table;v=v1',
      ]);
      const k = rng.pick(KINDS);
      const path = rng.pick([itemPath(k), k.collection, withQuery(k.collection, { watch: '1' })]);
      return { method: 'GET', path, accept, codes: [406] };
    },
  },
  {
    name: 'semantically-invalid-objects',
    count: 160,
    gen: ({ rng, fresh }) => {
      const k = rng.pick(KINDS);
      const put = rng.chance(0.2);
      const o = named(k, put ? k.fixture : fresh());
      const meta: ((o: Obj) => void)[] = [
        (x) => (x.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'x' }]),
        (x) => (x.metadata.ownerReferences = [1, 2].map((i) => ({ apiVersion: 'v1', kind: 'Pod', name: `p${i}`, uid: `u${i}`, controller: true }))),
        (x) => (x.metadata.finalizers = [rng.pick(['bad finalizer', 'UPPER/_x', '-x'])]),
        (x) => (x.metadata.finalizers = ['orphan', 'foregroundDeletion']),
        (x) => (x.metadata.namespace = 'other-namespace'),
        (x) => (x.metadata.creationTimestamp = rng.pick(['yesterday', '2024-13-45T99:00:00Z', '1700000000'])),
      ];
      const containerOf = (x: Obj) => (k === DEPLOYMENT ? x.spec.template.spec : x.spec).containers[0];
      const podSpecOf = (x: Obj) => (k === DEPLOYMENT ? x.spec.template.spec : x.spec);
      const perKind: Record<string, ((o: Obj) => void)[]> = {
        ConfigMap: [
          (x) => (x.data = { [rng.pick(['bad key', '..', '', 'a/b', 'é', '.', 'a:b'])]: 'v' }),
          (x) => (x.binaryData = { a: 'dmFsdWU=' }),
          (x) => (x.binaryData = { k: 'not base64!' }),
          (x) => (x.immutable = 'true'),
        ],
        Deployment: [
          (x) => (x.spec.replicas = -1),
          (x) => (x.spec.selector.matchLabels = { app: 'other' }),
          (x) => (x.spec.selector = {}),
          (x) => (x.spec.template.spec.containers = []),
          (x) => (x.spec.template.spec.restartPolicy = 'Never'),
          (x) => (x.spec.strategy = { type: 'Bogus' }),
          (x) => (x.spec.minReadySeconds = -1),
          (x) => (x.spec.revisionHistoryLimit = -1),
        ],
        Service: [
          (x) => (x.spec.ports[0].port = rng.pick([0, 65536, -1])),
          (x) => (x.spec.ports[0].protocol = 'XTP'),
          (x) => (x.spec.type = 'Bogus'),
          (x) => (x.spec.clusterIP = 'not-an-ip'),
          (x) => (x.spec.ports = []),
          (x) => x.spec.ports.push({ name: 'http', port: 81, protocol: 'TCP' }),
          (x) => (x.spec.ports = [{ port: 80 }, { port: 81 }]),
          (x) => (x.spec.sessionAffinity = 'Sticky'),
          (x) => (x.spec.ports[0].nodePort = 30080),
        ],
        Pod: [
          (x) => (x.spec.restartPolicy = 'Sometimes'),
          (x) => (x.spec.dnsPolicy = 'Bogus'),
          (x) => (x.spec.activeDeadlineSeconds = 0),
          (x) => (x.spec.nodeName = 'Bad_Node'),
          (x) => (x.spec.hostname = 'Bad_Host'),
        ],
      };
      const container: ((o: Obj) => void)[] = [
        (x) => (containerOf(x).name = rng.pick(['', 'Bad_Name', 'UPPER'])),
        (x) => (containerOf(x).image = ''),
        (x) => podSpecOf(x).containers.push({ ...clone(containerOf(x)) }),
        (x) => (containerOf(x).ports = [{ containerPort: rng.pick([0, 70000, -1]) }]),
        (x) => (containerOf(x).ports = [{ containerPort: 80, protocol: 'XTP' }]),
        (x) => (containerOf(x).imagePullPolicy = 'Sometimes'),
        (x) => (containerOf(x).env = [{ name: rng.pick(['', 'a=b']), value: 'v' }]),
        (x) => (containerOf(x).volumeMounts = [{ name: 'missing', mountPath: '/x' }]),
        (x) => (podSpecOf(x).volumes = [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }]),
      ];
      const options = [...meta, ...perKind[k.kind]!, ...(k === DEPLOYMENT || k === POD ? container : [])];
      const leaves = () =>
        nodesOf(o)
          .filter((n) => !(isObj(n.value) && Object.keys(n.value).length) && !(Array.isArray(n.value) && n.value.length))
          .map((n) => `${n.path.join('.')}=${json(n.value)}`);
      const before = leaves();
      rng.pick(options)(o);
      const changed = leaves().filter((n) => !before.includes(n));
      const note = changed.slice(0, 3).join(' ').slice(0, 200);
      return put ? { method: 'PUT', path: itemPath(k), contentType: JSON_CT, body: json(o), note } : { method: 'POST', path: k.collection, contentType: JSON_CT, body: json(o), note };
    },
  },
];

// ---------------------------------------------------------------------------
// Sending: raw node:http, so paths go out exactly as generated.

interface Answer {
  status?: number;
  body: string;
  error?: string;
  /** No answer within REQUEST_TIMEOUT_MS. */
  hung?: boolean;
}

const HANG = `no answer within ${REQUEST_TIMEOUT_MS} ms (hang)`;

function send(port: number, agent: http.Agent, req: FuzzRequest): Promise<Answer> {
  if (typeof req.body === 'function') return sendRaw(port, req, req.body());
  return new Promise((resolve) => {
    let settled = false;
    const finish = (a: Answer) => {
      if (!settled) {
        settled = true;
        resolve(a);
      }
    };
    const raw = req.body as string | Buffer | undefined;
    const body = raw === undefined ? undefined : Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8');
    const headers: Record<string, string | number> = {};
    if (req.contentType !== undefined) headers['content-type'] = req.contentType;
    if (req.accept !== undefined) headers.accept = req.accept;
    if (body && !req.chunked) headers['content-length'] = body.length;
    let status: number | undefined;
    const chunks: Buffer[] = [];
    const r = http.request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }, (res) => {
      status = res.statusCode ?? 0;
      const done = () => finish({ status, body: Buffer.concat(chunks).toString('utf8') });
      if (status < 400) {
        // A success may be a watch stream that never ends: take a peek, then hang up.
        setTimeout(() => {
          done();
          res.destroy();
        }, 300).unref();
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    r.on('error', (err: Error & { code?: string }) => {
      if (status !== undefined) finish({ status, body: Buffer.concat(chunks).toString('utf8') });
      else if (err.name === 'AbortError' || err.name === 'TimeoutError') finish({ body: '', error: HANG, hung: true });
      else finish({ body: '', error: `${err.code ?? err.name}: ${err.message}` });
    });
    if (!body) {
      r.end();
      return;
    }
    r.end(body);
  });
}

/**
 * Big bodies go over a plain socket: the server may answer 413 and close before the body is
 * all sent, and an HTTP client that fails on the resulting EPIPE would lose that answer.
 */
function sendRaw(port: number, req: FuzzRequest, body: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const sock = net.connect(port, '127.0.0.1');
    const finish = (hung = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(hung ? { body: '', error: HANG, hung } : parseResponse(Buffer.concat(chunks)));
    };
    const timer = setTimeout(() => finish(true), REQUEST_TIMEOUT_MS);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('close', () => finish());
    sock.on('error', () => {
      // EPIPE or ECONNRESET while the body is still going out: the answer may be in already.
    });
    sock.on('connect', () => {
      const head = [`${req.method} ${req.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
      if (req.contentType !== undefined) head.push(`Content-Type: ${req.contentType}`);
      head.push(req.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`);
      sock.write(`${head.join('\r\n')}\r\n\r\n`);
      if (!req.chunked) {
        sock.end(body);
        return;
      }
      for (let off = 0; off < body.length; off += 64 * 1024) {
        const piece = body.subarray(off, off + 64 * 1024);
        sock.write(`${piece.length.toString(16)}\r\n`);
        sock.write(piece);
        sock.write('\r\n');
      }
      sock.end('0\r\n\r\n');
    });
  });
}

function parseResponse(raw: Buffer): Answer {
  const text = raw.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (split < 0 || !status) return { body: text.slice(0, 300), error: raw.length ? 'malformed HTTP response' : 'connection closed (or reset) without an answer' };
  let body = text.slice(split + 4);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(text.slice(0, split))) {
    let out = '';
    for (let rest = body; ; ) {
      const eol = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, eol), 16);
      if (eol < 0 || !(size > 0)) break;
      out += rest.slice(eol + 2, eol + 2 + size);
      rest = rest.slice(eol + 2 + size + 2);
    }
    body = out;
  }
  return { status: Number(status[1]), body };
}

function excerpt(v: unknown, max = 160): string {
  const s = typeof v === 'function' ? '<generated body>' : Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? '');
  const flat = JSON.stringify(s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s);
  return flat;
}

function describeRequest(i: number, req: FuzzRequest): string {
  const path = req.path.length > 200 ? `${req.path.slice(0, 200)}…` : req.path;
  const size = typeof req.body === 'function' ? ' (>3 MiB body)' : '';
  const body = req.body !== undefined && typeof req.body !== 'function' ? ` body=${excerpt(req.body, 120)}` : '';
  return `#${i} [${req.family}] ${req.method} ${path}${req.contentType !== undefined ? ` (${req.contentType})` : ''}${req.accept ? ` accept=${req.accept}` : ''}${req.chunked ? ' chunked' : ''}${size}${req.note ? ` {${req.note}}` : ''}${body}`;
}

/** Why an answer is wrong, or undefined when it is a proper 4xx Status. */
function problem(req: FuzzRequest, a: Answer): string | undefined {
  if (a.error) return a.error;
  const status = a.status!;
  if (status < 400 || status > 499) return `status ${status}`;
  if (req.codes && !req.codes.includes(status)) return `status ${status}, expected ${req.codes.join(' or ')}`;
  let s: Obj;
  try {
    s = JSON.parse(a.body) as Obj;
  } catch {
    return `status ${status} with a body that is not JSON`;
  }
  if (!isObj(s) || s.kind !== 'Status') return `status ${status} with a body that is not a Status`;
  if (s.status !== 'Failure') return `Status.status is ${JSON.stringify(s.status)}`;
  if (s.code !== status) return `Status.code ${JSON.stringify(s.code)} differs from HTTP ${status}`;
  if (typeof s.message !== 'string' || s.message === '') return 'Status without a message';
  if (typeof s.reason !== 'string' || s.reason === '') return 'Status without a reason';
  return undefined;
}

// ---------------------------------------------------------------------------

describe('apiserver fuzzing with malformed and invalid requests', () => {
  let api: ApiserverProcess;
  const live = new Map<Kind, Obj>();
  const victims: string[] = [];
  const crashes: string[] = [];
  let sent = 0;

  const request = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Obj };
  };

  beforeAll(async () => {
    api = await startApiserver();
    expect((await request('POST', '/api/v1/namespaces', { metadata: { name: NS } })).status).toBe(201);
    for (const k of KINDS) {
      const res = await request('POST', k.collection, k.template);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      live.set(k, res.body);
    }
    for (let i = 0; i < VICTIMS; i++) {
      const name = `victim-${i}`;
      expect((await request('POST', CONFIGMAP.collection, { metadata: { name }, data: { i: String(i) } })).status).toBe(201);
      victims.push(name);
    }
  });

  afterAll(async () => {
    if (api && api.proc.exitCode === null && api.proc.signalCode === null) {
      // A wedged server ignores SIGTERM; never let cleanup hang the suite.
      const t = setTimeout(() => void api.kill9(), 10_000);
      await api.cleanup();
      clearTimeout(t);
    } else await api?.cleanup();
  });

  it(`answers at least ${MIN_REQUESTS} malformed requests with 4xx Status bodies (seed ${SEED})`, async () => {
    const rng = new Rng(SEED);
    let seq = 0;
    const ctx: Ctx = { rng, live, fresh: () => `fz-${++seq}`, victim: () => rng.pick(victims) };
    const skip = new Set((process.env.FUZZ_SKIP ?? '').split(',').filter(Boolean));
    const first: FuzzRequest[] = [];
    const rest: FuzzRequest[] = [];
    for (const f of families) {
      if (skip.has(f.name)) continue;
      for (let i = 0; i < f.count; i++) (f.first ? first : rest).push({ ...f.gen(ctx), family: f.name });
    }
    const reqs = [...first, ...rng.shuffle(rest)];

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const failures: string[] = [];
    const byFamily = new Map<string, Map<string, number>>();
    const inFlight = new Set<number>();
    let restarting: Promise<void> | undefined;
    let stopped = '';
    const started = Date.now();

    const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;
    const waitExit = async (p: ChildProcess, ms: number) => {
      for (let t = 0; t < ms && !exited(p); t += 50) await new Promise((r) => setTimeout(r, 50));
      return exited(p);
    };
    const responsive = async () => {
      try {
        return (await fetch(`${api.url}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok;
      } catch {
        return false;
      }
    };
    /** One restart for everyone who saw `proc` die; the crash itself is a failure. */
    const recover = (proc: ChildProcess, i: number): Promise<void> => {
      if (api.proc !== proc) return restarting ?? Promise.resolve();
      restarting ??= (async () => {
        const fatal = api
          .output()
          .split('\n')
          .filter((l) => l.includes('FATAL') || l.includes('"level":60'))
          .pop();
        const why = `apiserver died (exit ${api.proc.exitCode ?? api.proc.signalCode}) while serving: ${[...inFlight, i]
          .filter((v, j, a) => a.indexOf(v) === j)
          .map((j) => describeRequest(j, reqs[j]!))
          .join(' | ')}; it said: ${(fatal ?? api.output().slice(-300)).replace(/\s+/g, ' ')}`;
        crashes.push(why);
        failures.push(why);
        if (crashes.length > MAX_RESTARTS) {
          stopped = `stopped after ${crashes.length} crashes`;
          return;
        }
        await api.restart();
      })().finally(() => {
        restarting = undefined;
      });
      return restarting;
    };

    const one = async (i: number) => {
      const req = reqs[i]!;
      const proc = api.proc;
      inFlight.add(i);
      let a = await send(api.port, agent, req);
      inFlight.delete(i);
      if (a.error && !a.hung && (await waitExit(proc, 2_000))) {
        await recover(proc, i);
        if (stopped) return;
        inFlight.add(i);
        a = await send(api.port, agent, req);
        inFlight.delete(i);
      }
      sent++;
      const why = problem(req, a);
      const counts = byFamily.get(req.family) ?? new Map<string, number>();
      byFamily.set(req.family, counts);
      const bucket = a.error ? 'error' : String(a.status);
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
      if (why) failures.push(`${describeRequest(i, req)} → ${why}; answer ${excerpt(a.body, 300)}`);
      if (a.hung && !(await responsive())) stopped = `stopped: the server stopped answering /readyz after ${describeRequest(i, req)}`;
    };

    let next = 0;
    while (next < first.length && !stopped) await one(next++);
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < reqs.length && !stopped) {
          if (restarting) await restarting;
          await one(next++);
        }
      }),
    );
    agent.destroy();

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const summary = [...byFamily.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([f, counts]) => `  ${f}: ${[...counts.entries()].map(([s, n]) => `${s}×${n}`).join(' ')}`)
      .join('\n');
    console.log(`fuzz seed ${SEED}: ${sent} requests in ${seconds} s, ${failures.length} failures\n${summary}`);
    // FUZZ_REPORT=<file> keeps every failure, not only the first 20.
    if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, `${failures.join('\n')}\n`);

    const report = [
      `fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED}): ${failures.length} of ${sent} requests answered wrongly${stopped ? `; ${stopped}` : ''}`,
      ...failures.slice(0, 20).map((f) => `  - ${f}`),
      failures.length > 20 ? `  … and ${failures.length - 20} more` : '',
    ].join('\n');
    expect(failures.length, report).toBe(0);
    expect(sent, report).toBeGreaterThanOrEqual(MIN_REQUESTS);
  });

  it('serves normally afterwards: alive, no internal errors logged, fixtures intact', async () => {
    // Soft assertions: one run reports every way the server was hurt, not just the first.
    expect.soft(crashes, `apiserver crashes during the fuzz run (seed ${SEED})`).toEqual([]);
    expect.soft(api.proc.exitCode, 'apiserver exit code').toBeNull();
    expect.soft(api.proc.signalCode, 'apiserver exit signal').toBeNull();

    const cm = `${CONFIGMAP.collection}/after-fuzz`;
    expect((await request('POST', CONFIGMAP.collection, { metadata: { name: 'after-fuzz' }, data: { ok: 'yes' } })).status).toBe(201);
    const got = await request('GET', cm);
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual({ ok: 'yes' });
    const list = await request('GET', CONFIGMAP.collection);
    expect(list.status).toBe(200);
    const names = (list.body.items as Obj[]).map((o) => o.metadata.name as string);
    expect(names).toContain('after-fuzz');
    expect(names).toContain(CONFIGMAP.fixture);
    expect((await request('DELETE', cm)).status).toBe(200);
    expect((await request('GET', cm)).status).toBe(404);

    // No malformed request may have changed a fixture or deleted a victim.
    for (const [k, before] of live) {
      const now = await request('GET', itemPath(k));
      expect.soft(now.status, `${k.kind} ${k.fixture}`).toBe(200);
      expect.soft(now.body.metadata?.uid, `${k.kind} ${k.fixture} uid`).toBe(before.metadata.uid);
      expect.soft(now.body.metadata?.resourceVersion, `${k.kind} ${k.fixture} was modified by a request that should have failed`).toBe(before.metadata.resourceVersion);
    }
    const missing: string[] = [];
    for (const v of victims) if ((await request('GET', victimPath(v))).status !== 200) missing.push(v);
    expect.soft(missing, 'configmaps deleted by DELETE requests that should have failed').toEqual([]);

    const bad = api
      .output()
      .split('\n')
      .filter((l) => /"level":(50|60)\b/.test(l) || l.includes('internal error') || l.includes('FATAL ERROR'));
    expect.soft(bad.map((l) => l.slice(0, 300)), 'error-level log lines (5xx or crashes)').toEqual([]);
  });
});
