// Parsing of resource paths, query parameters and request bodies into what the
// handlers need; every malformed input becomes a coded 4xx here.
import YAML from 'yaml';
import { errors } from '../shared/errors.js';
import { parseFieldSelector, parseLabelSelector } from '../shared/selectors.js';
import { decodeK8sProtobuf } from './protobuf/decode.js';
import { PATCH_CONTENT_TYPES, type PatchType } from './patch/apply-patch.js';
import { checkFieldSelector } from './registry/fields.js';
import { lookupResource, type ResourceInfo } from './registry/resources.js';
import type { DeleteOptions, FieldValidation, ListOptions, WriteOptions } from './registry/store.js';

export interface RequestInfo {
  resource: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The legacy `/watch/` path prefix was used. */
  watchPath: boolean;
}

export type Query = Record<string, string | string[] | undefined>;

/** `/api/v1/namespaces/ns/pods/x/status` → pods, ns, x, status. */
export function parseResourcePath(group: string, version: string, rest: string[]): RequestInfo {
  let segs = rest.filter((s) => s !== '').map(decodeSegment);
  let watchPath = false;
  if (segs[0] === 'watch') {
    watchPath = true;
    segs = segs.slice(1);
  }
  let namespace: string | undefined;
  if (segs[0] === 'namespaces' && segs.length >= 3 && !(segs.length === 3 && (segs[2] === 'status' || segs[2] === 'finalize'))) {
    namespace = segs[1];
    segs = segs.slice(2);
  }
  if (segs.length === 0 || segs.length > 3) throw errors.pathNotFound();
  const resource = lookupResource(group, version, segs[0]!);
  if (!resource) throw errors.pathNotFound();
  if (namespace !== undefined && !resource.namespaced) throw errors.pathNotFound();
  const [, name, subresource] = segs;
  if (subresource !== undefined && !resource.subresources.includes(subresource as never)) throw errors.pathNotFound();
  if (name !== undefined && resource.namespaced && namespace === undefined) throw errors.pathNotFound();
  return { resource, namespace, name, subresource, watchPath };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw errors.badRequest(`malformed path segment ${JSON.stringify(s)}`);
  }
}

export function one(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function boolParam(q: Query, key: string): boolean {
  const v = one(q, key);
  return v === 'true' || v === '1';
}

export function intParam(q: Query, key: string): number | undefined {
  const v = one(q, key);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${key}: ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

export function listOptions(r: ResourceInfo, q: Query): ListOptions {
  const fieldSelector = parseFieldSelector(one(q, 'fieldSelector') ?? '');
  checkFieldSelector(r, fieldSelector);
  const limit = intParam(q, 'limit');
  if (limit !== undefined && limit < 0) throw errors.badRequest('limit must be a non-negative integer');
  return { labelSelector: parseLabelSelector(one(q, 'labelSelector') ?? ''), fieldSelector, limit: limit || undefined, continue: one(q, 'continue') || undefined };
}

export function writeOptions(q: Query): WriteOptions {
  const dryRun = q.dryRun;
  const dry = Array.isArray(dryRun) ? dryRun : dryRun === undefined ? [] : [dryRun];
  for (const d of dry) if (d !== 'All') throw errors.badRequest(`Invalid dryRun value ${JSON.stringify(d)}: supported values: "All"`);
  const fv = one(q, 'fieldValidation') ?? 'Warn';
  const allowed: FieldValidation[] = ['Strict', 'Warn', 'Ignore'];
  if (!allowed.includes(fv as FieldValidation)) {
    throw errors.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(fv)}: supported values: "Ignore", "Strict", "Warn"`);
  }
  const fieldManager = one(q, 'fieldManager');
  if (fieldManager !== undefined && (fieldManager.length > 128 || /[^\x20-\x7e]/.test(fieldManager))) {
    throw errors.badRequest('fieldManager: Invalid value: must be at most 128 printable characters');
  }
  const force = one(q, 'force');
  return { dryRun: dry.length > 0, fieldManager, fieldValidation: fv as FieldValidation, force: force === 'true', warnings: [] };
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Decodes a create/update body: JSON or YAML, one document. */
export function decodeBody(contentType: string | undefined, body: Buffer | undefined): unknown {
  const type = mediaType(contentType);
  if (body === undefined || body.length === 0) throw errors.badRequest('the request body is empty: expected an object');
  if (type === PROTOBUF) return decodeK8sProtobuf(body).object;
  const raw = text(body);
  if (type === 'application/json' || type === '') return parseJson(raw);
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return parseYaml(raw);
  throw errors.unsupportedMediaType(contentType ?? '');
}

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** Bodies must be UTF-8 text (JSON and YAML both are). */
function text(body: Buffer): string {
  const s = body.toString('utf8');
  if (s.includes('\uFFFD') && !Buffer.from(s, 'utf8').equals(body)) throw errors.badRequest('the request body is not valid UTF-8');
  return s;
}

export function decodePatch(contentType: string | undefined, body: Buffer | undefined): { type: PatchType; body: unknown } {
  const type = PATCH_CONTENT_TYPES[mediaType(contentType)];
  if (!type) throw errors.unsupportedMediaType(contentType ?? '');
  if (body === undefined || body.length === 0) throw errors.badRequest('the patch body is empty');
  const raw = text(body);
  return { type, body: type === 'apply' ? parseYaml(raw) : parseJson(raw) };
}

export function decodeDeleteOptions(contentType: string | undefined, buf: Buffer | undefined, q: Query): DeleteOptions {
  let body: Record<string, unknown> = {};
  if (buf !== undefined && buf.length > 0) {
    const type = mediaType(contentType);
    const parsed = type === PROTOBUF ? decodeK8sProtobuf(buf).object : type === 'application/yaml' ? parseYaml(text(buf)) : parseJson(text(buf));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw errors.badRequest('DeleteOptions must be a JSON object');
    body = parsed as Record<string, unknown>;
  }
  const grace = intParam(q, 'gracePeriodSeconds') ?? body.gracePeriodSeconds;
  if (grace !== undefined && (typeof grace !== 'number' || !Number.isInteger(grace))) throw errors.badRequest('gracePeriodSeconds must be an integer');
  const policy = one(q, 'propagationPolicy') ?? body.propagationPolicy;
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy as string)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`);
  }
  const pre = body.preconditions;
  if (pre !== undefined && (typeof pre !== 'object' || pre === null || Array.isArray(pre))) throw errors.badRequest('preconditions must be an object');
  const orphan = one(q, 'orphanDependents') ?? body.orphanDependents;
  return {
    gracePeriodSeconds: grace as number | undefined,
    propagationPolicy: policy as DeleteOptions['propagationPolicy'],
    preconditions: pre as DeleteOptions['preconditions'],
    orphanDependents: orphan === true || orphan === 'true',
  };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

function parseYaml(raw: string): unknown {
  let docs: YAML.Document.Parsed[];
  try {
    docs = YAML.parseAllDocuments(raw, { uniqueKeys: false }) as YAML.Document.Parsed[];
  } catch (err) {
    throw errors.badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(docs) || docs.length !== 1) throw errors.badRequest('error converting YAML to JSON: expected exactly one YAML document');
  const doc = docs[0]!;
  if (doc.errors.length) throw errors.badRequest(`error converting YAML to JSON: ${doc.errors[0]!.message}`);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw errors.badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
  }
}
