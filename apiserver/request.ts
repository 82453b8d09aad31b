// Parsing of resource paths, query parameters and request bodies into what the
// handlers need; every malformed input becomes a coded 4xx here.
import YAML from 'yaml';
import { errors } from '../shared/errors.js';
import { isDNS1123Label, isValidPathSegmentName } from '../shared/validation.js';
import { parseFieldSelector, parseLabelSelector } from '../shared/selectors.js';
import { checkNesting, checkYamlNesting, findDuplicateKey } from './body-limits.js';
import { decodeK8sProtobuf } from './protobuf/decode.js';
import { PATCH_CONTENT_TYPES, type PatchType } from './patch/apply-patch.js';
import { checkFieldSelector } from './registry/fields.js';
import { lookupResource, type ResourceInfo } from './registry/resources.js';
import type { DeleteOptions, FieldValidation, ListOptions, WriteOptions } from './registry/store.js';
import type { UserInfo } from './admission/interface.js';

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
  if (namespace !== undefined && isDNS1123Label(namespace).length) throw errors.badRequest(`invalid namespace ${JSON.stringify(namespace)} in the request path`);
  if (name !== undefined) {
    const bad = isValidPathSegmentName(name);
    if (bad.length || name === '') throw errors.badRequest(`invalid name ${JSON.stringify(name)} in the request path: ${bad[0] ?? 'may not be empty'}`);
  }
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
  if (!/^-?\d{1,15}$/.test(v)) throw errors.badRequest(`invalid value for ${key}: ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

export function listOptions(r: ResourceInfo, q: Query): ListOptions {
  const fieldSelector = parseFieldSelector(one(q, 'fieldSelector') ?? '');
  checkFieldSelector(r, fieldSelector);
  const limit = intParam(q, 'limit');
  const timeout = intParam(q, 'timeoutSeconds');
  if (timeout !== undefined && timeout < 0) throw errors.badRequest('timeoutSeconds must be non-negative');
  resourceVersionParam(q);
  if (limit !== undefined && limit < 0) throw errors.badRequest('limit must be a non-negative integer');
  return { labelSelector: parseLabelSelector(one(q, 'labelSelector') ?? ''), fieldSelector, limit: limit || undefined, continue: one(q, 'continue') || undefined };
}

/** The resourceVersion query parameter: unset, "", or a non-negative integer. */
export function resourceVersionParam(q: Query): number | undefined {
  const rv = one(q, 'resourceVersion');
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d{1,15}$/.test(rv)) throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

/**
 * Write options from the query. Without a fieldManager, Kubernetes names the manager
 * after the client's User-Agent up to the first '/', so managedFields say who wrote.
 */
export function writeOptions(q: Query, userAgent?: string, userInfo?: UserInfo): WriteOptions {
  const dryRun = q.dryRun;
  const dry = Array.isArray(dryRun) ? dryRun : dryRun === undefined ? [] : [dryRun];
  for (const d of dry) if (d !== 'All') throw errors.badRequest(`Invalid dryRun value ${JSON.stringify(d)}: supported values: "All"`);
  const fv = one(q, 'fieldValidation') ?? 'Warn';
  const allowed: FieldValidation[] = ['Strict', 'Warn', 'Ignore'];
  if (!allowed.includes(fv as FieldValidation)) {
    throw errors.badRequest(`fieldValidation: Unsupported value: ${JSON.stringify(fv)}: supported values: "Ignore", "Strict", "Warn"`);
  }
  const fieldManager = one(q, 'fieldManager') ?? (userAgent ? userAgent.split('/')[0]!.slice(0, 128).replace(/[^\x20-\x7e]/g, '') || undefined : undefined);
  if (fieldManager !== undefined && (fieldManager.length > 128 || /[^\x20-\x7e]/.test(fieldManager))) {
    throw errors.badRequest('fieldManager: Invalid value: must be at most 128 printable characters');
  }
  const force = one(q, 'force');
  return { dryRun: dry.length > 0, fieldManager, fieldValidation: fv as FieldValidation, force: force === 'true', warnings: [], ...(userInfo ? { userInfo } : {}) };
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Decodes a create/update body: JSON, YAML (one document) or Kubernetes protobuf. */
export function decodeBody(contentType: string | undefined, body: Buffer | undefined, strict = false): unknown {
  const type = mediaType(contentType);
  if (body === undefined || body.length === 0) throw errors.badRequest('the request body is empty: expected an object');
  if (type === PROTOBUF) return checked(decodeK8sProtobuf(body).object);
  const raw = text(body);
  if (type === 'application/json' || type === '') return parseJson(raw, strict);
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return parseYaml(raw, strict);
  throw errors.unsupportedMediaType(contentType ?? '');
}

function checked<T>(v: T): T {
  checkNesting(v);
  return v;
}

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** Bodies must be UTF-8 text (JSON and YAML both are). */
function text(body: Buffer): string {
  const s = body.toString('utf8');
  if (s.includes('\uFFFD') && !Buffer.from(s, 'utf8').equals(body)) throw errors.badRequest('the request body is not valid UTF-8');
  return s;
}

export function decodePatch(contentType: string | undefined, body: Buffer | undefined, strict = false): { type: PatchType; body: unknown } {
  const type = PATCH_CONTENT_TYPES[mediaType(contentType)];
  if (!type) throw errors.unsupportedMediaType(contentType ?? '');
  if (body === undefined || body.length === 0) throw errors.badRequest('the patch body is empty');
  const raw = text(body);
  return { type, body: type === 'apply' ? parseYaml(raw, strict) : parseJson(raw, strict) };
}

export function decodeDeleteOptions(contentType: string | undefined, buf: Buffer | undefined, q: Query): DeleteOptions & { dryRun: boolean } {
  let body: Record<string, unknown> = {};
  if (buf !== undefined && buf.length > 0) {
    const type = mediaType(contentType);
    let parsed: unknown;
    if (type === PROTOBUF) parsed = checked(decodeK8sProtobuf(buf).object);
    else if (type === 'application/yaml') parsed = parseYaml(text(buf));
    else if (type === 'application/json' || type === '') parsed = parseJson(text(buf));
    else throw errors.unsupportedMediaType(contentType ?? '');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw errors.badRequest('DeleteOptions must be a JSON object');
    body = parsed as Record<string, unknown>;
    if (body.kind !== undefined && body.kind !== 'DeleteOptions') throw errors.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (DeleteOptions)`);
  }
  const grace = intParam(q, 'gracePeriodSeconds') ?? body.gracePeriodSeconds;
  if (grace !== undefined && grace !== null && (typeof grace !== 'number' || !Number.isSafeInteger(grace))) throw errors.badRequest('gracePeriodSeconds must be an integer');
  const policy = one(q, 'propagationPolicy') ?? body.propagationPolicy;
  if (policy !== undefined && policy !== null && !['Orphan', 'Background', 'Foreground'].includes(policy as string)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`);
  }
  const pre = body.preconditions;
  if (pre !== undefined && pre !== null) {
    if (typeof pre !== 'object' || Array.isArray(pre)) throw errors.badRequest('preconditions must be an object');
    for (const k of ['uid', 'resourceVersion'] as const) {
      const v = (pre as Record<string, unknown>)[k];
      if (v !== undefined && v !== null && typeof v !== 'string') throw errors.badRequest(`preconditions.${k} must be a string`);
    }
  }
  const orphanRaw = one(q, 'orphanDependents') ?? body.orphanDependents;
  if (orphanRaw !== undefined && orphanRaw !== null && typeof orphanRaw !== 'boolean' && orphanRaw !== 'true' && orphanRaw !== 'false') {
    throw errors.badRequest('orphanDependents must be a boolean');
  }
  const orphan = orphanRaw === true || orphanRaw === 'true';
  if (orphanRaw !== undefined && orphanRaw !== null && policy !== undefined && policy !== null) {
    throw errors.invalid('DeleteOptions', '', '', [{ reason: 'FieldValueForbidden', message: 'Forbidden: orphanDependents and deletionPropagation cannot be both set', field: 'propagationPolicy' }]);
  }
  const bodyDry = body.dryRun;
  if (bodyDry !== undefined && bodyDry !== null && (!Array.isArray(bodyDry) || bodyDry.some((d) => d !== 'All'))) {
    throw errors.badRequest(`dryRun: Unsupported value: ${JSON.stringify(bodyDry)}: supported values: ["All"]`);
  }
  return {
    gracePeriodSeconds: (grace ?? undefined) as number | undefined,
    propagationPolicy: (policy ?? undefined) as DeleteOptions['propagationPolicy'],
    preconditions: (pre ?? undefined) as DeleteOptions['preconditions'],
    orphanDependents: orphan,
    dryRun: Array.isArray(bodyDry) && bodyDry.length > 0,
  };
}

function parseJson(raw: string, strict = false): unknown {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    // Node's message quotes the input; a Secret's body must never reach a log line.
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message.replace(/, ".*" is not valid JSON$/s, ' is not valid JSON')}`);
  }
  checkNesting(v);
  if (strict) {
    const dup = findDuplicateKey(raw);
    if (dup !== undefined) throw errors.badRequest(`strict decoding error: json: duplicate field "${dup}"`);
  }
  return v;
}

function parseYaml(raw: string, strict = false): unknown {
  checkYamlNesting(raw);
  let docs: YAML.Document.Parsed[];
  try {
    docs = YAML.parseAllDocuments(raw, { uniqueKeys: strict, prettyErrors: false }) as YAML.Document.Parsed[];
  } catch (err) {
    throw errors.badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(docs) || docs.length !== 1) throw errors.badRequest('error converting YAML to JSON: expected exactly one YAML document');
  const doc = docs[0]!;
  if (doc.errors.length) throw errors.badRequest(`error converting YAML to JSON: ${doc.errors[0]!.message}`);
  let v: unknown;
  try {
    v = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw errors.badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
  }
  checkNesting(v);
  return v;
}
