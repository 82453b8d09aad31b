// Field schemas of the built-in kinds, generated from @kubernetes/client-node by
// test/support/gen-schema.mjs into schema.generated.json. Two jobs:
//   * decode-time checks of request bodies (wrong JSON types, unknown fields) that
//     kube-apiserver's decoder performs before validation, and
//   * the /openapi/v3 documents kubectl needs for `--validate=strict` and `explain`.
// Nothing here throws on any input: bodies come straight from clients.

import { createHash } from 'node:crypto';
import schemaFile from './schema.generated.json' with { type: 'json' };

export interface SchemaCause {
  reason: string;
  message: string;
  field: string;
}

export interface SchemaCheckResult {
  /** Paths of fields the schema does not know, e.g. `spec.template.spec.containers[0].imagee`. */
  unknownFields: string[];
  /** Decoding errors: wrong JSON types, malformed times, quantities and base64, nesting too deep. */
  causes: SchemaCause[];
}

export interface OpenAPIKind {
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** Objects nested deeper than this are rejected rather than walked. */
export const MAX_DEPTH = 64;
/** Enough causes to explain a bad body without echoing a huge one back. */
const MAX_CAUSES = 100;

// ---------------------------------------------------------------------------
// The generated file, compiled into type nodes on first use.

interface TypeDef {
  id: string;
  description?: string;
  fields: Record<string, string>;
  descriptions?: Record<string, string>;
  required?: string[];
}

interface SchemaFile {
  roots: Record<string, string>;
  types: Record<string, TypeDef>;
}

type Scalar = 'string' | 'int32' | 'integer' | 'number' | 'boolean' | 'object' | 'time' | 'bytes' | 'quantity' | 'intOrString';

type TypeNode =
  | { k: 'scalar'; t: Scalar }
  | { k: 'array'; of: TypeNode }
  | { k: 'map'; of: TypeNode }
  | { k: 'struct'; name: string };

const SCHEMA = schemaFile as SchemaFile;
const SCALARS = new Set<string>(['string', 'int32', 'integer', 'number', 'boolean', 'object', 'time', 'bytes', 'quantity', 'intOrString']);
const structFields = new Map<string, Map<string, TypeNode>>();

function parseRef(ref: string): TypeNode {
  if (ref.startsWith('[]')) return { k: 'array', of: parseRef(ref.slice(2)) };
  if (ref.startsWith('map[string]')) return { k: 'map', of: parseRef(ref.slice('map[string]'.length)) };
  if (SCALARS.has(ref)) return { k: 'scalar', t: ref as Scalar };
  if (Object.hasOwn(SCHEMA.types, ref)) return { k: 'struct', name: ref };
  return { k: 'scalar', t: 'object' };
}

function fieldsOf(name: string): Map<string, TypeNode> {
  let fields = structFields.get(name);
  if (!fields) {
    fields = new Map();
    for (const [field, ref] of Object.entries(SCHEMA.types[name]?.fields ?? {})) fields.set(field, parseRef(ref));
    structFields.set(name, fields);
  }
  return fields;
}

function rootType(group: string, version: string, kind: string): string | undefined {
  const key = `${group}/${version}/${kind}`;
  return Object.hasOwn(SCHEMA.roots, key) ? SCHEMA.roots[key] : undefined;
}

/** Whether a schema is known for this kind; kinds without one are not checked. */
export function hasSchema(group: string, version: string, kind: string): boolean {
  return rootType(group, version, kind) !== undefined;
}

// ---------------------------------------------------------------------------
// Walking a body against the schema.

interface WalkContext {
  causes: SchemaCause[];
  unknownFields: string[];
  /** Report unknown fields (fieldValidation=Strict). */
  reportUnknown: boolean;
  /** Delete unknown fields from the body (fieldValidation=Ignore/Warn). */
  prune: boolean;
  depthReported: boolean;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Renders a value for a message: scalars as JSON, containers by their type, long strings cut. */
function show(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 256 ? `${value.slice(0, 256)}...` : value);
    case 'number':
    case 'boolean':
      return String(value);
    default:
      return JSON.stringify(jsonType(value));
  }
}

function childPath(path: string, field: string): string {
  return path ? `${path}.${field}` : field;
}

function addCause(ctx: WalkContext, cause: SchemaCause): void {
  if (ctx.causes.length < MAX_CAUSES) ctx.causes.push(cause);
}

function typeMismatch(ctx: WalkContext, path: string, value: unknown, expected: string): void {
  const field = path || '<root>';
  addCause(ctx, {
    reason: 'FieldValueTypeInvalid',
    message: `Invalid value: ${show(value)}: ${field} in body must be of type ${expected}: ${JSON.stringify(jsonType(value))}`,
    field,
  });
}

function invalid(ctx: WalkContext, path: string, shown: string, detail: string): void {
  addCause(ctx, { reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: ${detail}`, field: path || '<root>' });
}

/** Calendar sanity beyond the RFC 3339 shape: 2024-13-45T99:00:00Z is not a time. */
function validDateTime(v: string): boolean {
  const [y, mo, d, h, mi, se] = v.slice(0, 19).split(/[-T:tT]/).map(Number) as number[];
  if (mo! < 1 || mo! > 12 || h! > 23 || mi! > 59 || se! > 60) return false;
  const days = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  return d! >= 1 && d! <= days;
}

function isBase64(s: string): boolean {
  const compact = s.replace(/[\r\n]/g, '');
  return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
}

function walk(value: unknown, node: TypeNode, path: string, depth: number, ctx: WalkContext): void {
  // JSON null decodes to the zero value of any Go type.
  if (value === null || value === undefined) return;
  if (typeof value === 'object' && depth >= MAX_DEPTH) {
    if (!ctx.depthReported) {
      ctx.depthReported = true;
      invalid(ctx, path, show(value), `object nesting exceeds the maximum depth of ${MAX_DEPTH}`);
    }
    return;
  }
  switch (node.k) {
    case 'scalar':
      return walkScalar(value, node.t, path, depth, ctx);
    case 'array':
      if (!Array.isArray(value)) return typeMismatch(ctx, path, value, 'array');
      for (let i = 0; i < value.length; i++) walk(value[i], node.of, `${path}[${i}]`, depth + 1, ctx);
      return;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) return typeMismatch(ctx, path, value, 'object');
      for (const key of Object.keys(value)) walk((value as Record<string, unknown>)[key], node.of, `${path}[${key}]`, depth + 1, ctx);
      return;
    case 'struct':
      return walkStruct(value, node.name, path, depth, ctx);
  }
}

function walkStruct(value: unknown, name: string, path: string, depth: number, ctx: WalkContext): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return typeMismatch(ctx, path, value, 'object');
  const fields = fieldsOf(name);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const field = childPath(path, key);
    const node = fields.get(key);
    if (node) {
      walk(obj[key], node, field, depth + 1, ctx);
      continue;
    }
    if (ctx.prune) {
      if (Reflect.deleteProperty(obj, key)) ctx.unknownFields.push(field);
    } else if (ctx.reportUnknown) {
      ctx.unknownFields.push(field);
    }
  }
}

function walkScalar(value: unknown, t: Scalar, path: string, depth: number, ctx: WalkContext): void {
  switch (t) {
    case 'object':
      return checkDepth(value, path, depth, ctx);
    case 'string':
      if (typeof value !== 'string') typeMismatch(ctx, path, value, 'string');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') typeMismatch(ctx, path, value, 'boolean');
      return;
    case 'int32':
      if (typeof value !== 'number' || !Number.isInteger(value)) typeMismatch(ctx, path, value, 'integer');
      else if (value < -2147483648 || value > 2147483647) invalid(ctx, path, show(value), 'must be a 32-bit integer (-2147483648 to 2147483647)');
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) typeMismatch(ctx, path, value, 'integer');
      else if (!Number.isSafeInteger(value)) invalid(ctx, path, show(value), 'must be an integer between -(2^53-1) and 2^53-1');
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) typeMismatch(ctx, path, value, 'number');
      return;
    case 'time':
      if (typeof value !== 'string') typeMismatch(ctx, path, value, 'string');
      else if (!RFC3339.test(value) || !validDateTime(value)) invalid(ctx, path, show(value), `${path} in body must be of type date-time`);
      return;
    case 'bytes':
      // Secret data: never echo the value back.
      if (typeof value !== 'string') typeMismatch(ctx, path, value, 'string');
      else if (!isBase64(value)) invalid(ctx, path, '"<redacted>"', `${path} in body must be base64-encoded: illegal base64 data`);
      return;
    case 'intOrString':
      if (typeof value === 'string') return;
      if (typeof value !== 'number' || !Number.isInteger(value)) typeMismatch(ctx, path, value, 'integer or string');
      return;
    case 'quantity':
      if (typeof value === 'number' && Number.isFinite(value)) return;
      if (typeof value !== 'string') typeMismatch(ctx, path, value, 'string or number');
      else if (!QUANTITY.test(value.trim())) invalid(ctx, path, show(value), QUANTITY_MESSAGE);
      return;
  }
}

/** Free-form values are not typed, but they are still bounded in depth. */
function checkDepth(value: unknown, path: string, depth: number, ctx: WalkContext): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && !ctx.depthReported; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) walk(item, { k: 'scalar', t: 'object' }, `${path}[${i}]`, depth + 1, ctx);
    }
    return;
  }
  for (const key of Object.keys(value)) {
    if (ctx.depthReported) return;
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null) walk(item, { k: 'scalar', t: 'object' }, childPath(path, key), depth + 1, ctx);
  }
}

function run(group: string, version: string, kind: string, obj: unknown, reportUnknown: boolean, prune: boolean): SchemaCheckResult {
  const ctx: WalkContext = { causes: [], unknownFields: [], reportUnknown, prune, depthReported: false };
  const name = rootType(group, version, kind);
  if (name === undefined) return { unknownFields: [], causes: [] };
  try {
    walk(obj, { k: 'struct', name }, '', 0, ctx);
    if (obj === null || obj === undefined) typeMismatch(ctx, '', obj, 'object');
  } catch (err) {
    // Exotic inputs (proxies, throwing getters) must not crash a request handler.
    invalid(ctx, '', '"object"', `body could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { unknownFields: ctx.unknownFields, causes: ctx.causes };
}

/**
 * Checks a decoded body of group/version/kind against its schema, as kube-apiserver's
 * decoder would. `strict` (fieldValidation=Strict) also lists unknown fields; otherwise
 * unknownFields stays empty and the caller may use pruneUnknown to drop and warn.
 * Kinds without a schema pass unchecked.
 */
export function checkSchema(group: string, version: string, kind: string, obj: unknown, strict: boolean): SchemaCheckResult {
  return run(group, version, kind, obj, strict, false);
}

/**
 * Deletes the fields of obj (in place) that the schema of group/version/kind does not
 * know, and returns their paths (for fieldValidation=Warn warnings).
 */
export function pruneUnknown(group: string, version: string, kind: string, obj: unknown): string[] {
  return run(group, version, kind, obj, false, true).unknownFields;
}

// ---------------------------------------------------------------------------
// OpenAPI v3: /openapi/v3 and /openapi/v3/{api/v1 | apis/<group>/<version>}.

type JsonObject = Record<string, unknown>;

const TIME_ID = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const QUANTITY_ID = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING_ID = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const PATCH_ID = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

const BUILTIN_SCHEMAS: Record<string, JsonObject> = {
  [TIME_ID]: {
    description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.',
    type: 'string',
    format: 'date-time',
  },
  [QUANTITY_ID]: {
    description: "Quantity is a fixed-point representation of a number, serialized as a string such as '100m', '1Gi' or '2'.",
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
  [INT_OR_STRING_ID]: {
    description: 'IntOrString is a type that can hold an int32 or a string.',
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
  },
  [PATCH_ID]: {
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  },
};

const ref = (id: string): JsonObject => ({ $ref: `#/components/schemas/${id}` });

/** Property schema for a typeRef; `refs` collects the component schemas it uses. */
function propertySchema(typeRef: string, refs: Set<string>): JsonObject {
  if (typeRef.startsWith('[]')) return { type: 'array', items: propertySchema(typeRef.slice(2), refs) };
  if (typeRef.startsWith('map[string]')) {
    return { type: 'object', additionalProperties: propertySchema(typeRef.slice('map[string]'.length), refs) };
  }
  switch (typeRef) {
    case 'string':
    case 'boolean':
    case 'integer':
      return { type: typeRef };
    case 'int32':
      return { type: 'integer', format: 'int32' };
    case 'number':
      return { type: 'number', format: 'double' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    case 'object':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'time':
      refs.add(TIME_ID);
      return ref(TIME_ID);
    case 'quantity':
      refs.add(QUANTITY_ID);
      return ref(QUANTITY_ID);
    case 'intOrString':
      refs.add(INT_OR_STRING_ID);
      return ref(INT_OR_STRING_ID);
  }
  const def = Object.hasOwn(SCHEMA.types, typeRef) ? SCHEMA.types[typeRef] : undefined;
  if (!def) return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  refs.add(typeRef);
  return ref(def.id);
}

/**
 * Strategic-merge metadata (Go struct tags patchStrategy / patchMergeKey) that kubectl
 * reads from openapi to compute client-side apply patches; without it every list would
 * look atomic and an unchanged `kubectl apply` would report "configured".
 */
const PATCH_META: Record<string, Record<string, { strategy: string; key?: string }>> = {
  V1ObjectMeta: { finalizers: { strategy: 'merge' }, ownerReferences: { strategy: 'merge', key: 'uid' } },
  V1PodSpec: {
    containers: { strategy: 'merge', key: 'name' },
    initContainers: { strategy: 'merge', key: 'name' },
    ephemeralContainers: { strategy: 'merge', key: 'name' },
    volumes: { strategy: 'merge,retainKeys', key: 'name' },
    imagePullSecrets: { strategy: 'merge', key: 'name' },
    hostAliases: { strategy: 'merge', key: 'ip' },
    topologySpreadConstraints: { strategy: 'merge', key: 'topologyKey' },
    resourceClaims: { strategy: 'merge,retainKeys', key: 'name' },
    schedulingGates: { strategy: 'merge', key: 'name' },
  },
  V1Container: {
    ports: { strategy: 'merge', key: 'containerPort' },
    env: { strategy: 'merge', key: 'name' },
    volumeMounts: { strategy: 'merge', key: 'mountPath' },
    volumeDevices: { strategy: 'merge', key: 'devicePath' },
  },
  V1EphemeralContainer: {
    ports: { strategy: 'merge', key: 'containerPort' },
    env: { strategy: 'merge', key: 'name' },
    volumeMounts: { strategy: 'merge', key: 'mountPath' },
    volumeDevices: { strategy: 'merge', key: 'devicePath' },
  },
  V1ServiceSpec: { ports: { strategy: 'merge', key: 'port' } },
  V1ServiceAccount: { secrets: { strategy: 'merge', key: 'name' } },
  V1NodeSpec: { podCIDRs: { strategy: 'merge' } },
  V1NodeStatus: { addresses: { strategy: 'merge', key: 'type' }, conditions: { strategy: 'merge', key: 'type' } },
  V1PodStatus: { conditions: { strategy: 'merge', key: 'type' }, podIPs: { strategy: 'merge', key: 'ip' }, hostIPs: { strategy: 'merge', key: 'ip' } },
  V1DeploymentStatus: { conditions: { strategy: 'merge', key: 'type' } },
  V1DaemonSetStatus: { conditions: { strategy: 'merge', key: 'type' } },
  V1ReplicaSetStatus: { conditions: { strategy: 'merge', key: 'type' } },
  V1StatefulSetStatus: { conditions: { strategy: 'merge', key: 'type' } },
  V1NamespaceStatus: { conditions: { strategy: 'merge', key: 'type' } },
  V1PersistentVolumeClaimStatus: { conditions: { strategy: 'merge', key: 'type' } },
  V1ServiceStatus: { conditions: { strategy: 'merge', key: 'type' } },
};

function objectSchema(def: TypeDef, refs: Set<string>, typeName = ''): JsonObject {
  const properties: JsonObject = {};
  for (const [field, typeRef] of Object.entries(def.fields)) {
    let prop = propertySchema(typeRef, refs);
    const meta = PATCH_META[typeName]?.[field];
    if (meta) prop = { ...prop, 'x-kubernetes-patch-strategy': meta.strategy, ...(meta.key ? { 'x-kubernetes-patch-merge-key': meta.key } : {}) };
    const description = def.descriptions?.[field];
    if (!description) properties[field] = prop;
    else if ('$ref' in prop) properties[field] = { description, allOf: [prop] };
    else properties[field] = { description, ...prop };
  }
  const schema: JsonObject = {};
  if (def.description) schema.description = def.description;
  schema.type = 'object';
  schema.properties = properties;
  if (def.required?.length) schema.required = def.required;
  return schema;
}

/** Adds typeName and everything it references to `schemas`, keyed by upstream id. */
function addComponents(typeName: string, schemas: JsonObject): void {
  const pending = [typeName];
  const done = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (done.has(name)) continue;
    done.add(name);
    if (Object.hasOwn(BUILTIN_SCHEMAS, name)) {
      schemas[name] = BUILTIN_SCHEMAS[name];
      continue;
    }
    const def = SCHEMA.types[name];
    if (!def) continue;
    const refs = new Set<string>();
    schemas[def.id] = objectSchema(def, refs, name);
    pending.push(...refs);
  }
}

function packageOf(group: string, version: string): string {
  return `io.k8s.api.${group === '' ? 'core' : group.split('.')[0]}.${version}`;
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function queryParam(name: string, description: string, type = 'string'): JsonObject {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const DRY_RUN = queryParam('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = queryParam(
  'fieldValidation',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn (the default) - Strict',
);
const FORCE = queryParam('force', 'Force is going to "force" Apply requests. It must be unset for non-apply patch requests.', 'boolean');
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

function response(schemaRef: JsonObject, codes: string[]): JsonObject {
  const out: JsonObject = {};
  for (const code of codes) out[code] = { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', content: { 'application/json': { schema: schemaRef } } };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

function pathParam(name: string, description: string): JsonObject {
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } };
}

function kindPaths(group: string, version: string, k: OpenAPIKind, kindId: string, listId: string): JsonObject {
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const base = k.namespaced ? `${prefix}/namespaces/{namespace}/${k.plural}` : `${prefix}/${k.plural}`;
  const gvk = { group, version, kind: k.kind };
  const opName = (verb: string) => `${verb}${pascal(group === '' ? 'core' : group.split('.')[0])}${pascal(version)}${k.namespaced ? 'Namespaced' : ''}${k.kind}`;
  const tags = [`${group === '' ? 'core' : group.split('.')[0]}_${version}`];
  const op = (verb: string, action: string, extra: JsonObject): JsonObject => ({
    tags,
    description: `${action} ${k.kind}`,
    operationId: opName(verb),
    ...extra,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const body = (types: string[]): JsonObject => ({ content: Object.fromEntries(types.map((t) => [t, { schema: ref(kindId) }])), required: true });
  const nsParam = k.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const pretty = queryParam('pretty', "If 'true', then the output is pretty printed.");
  return {
    [base]: {
      get: op('list', 'list', { responses: response(ref(listId), ['200']) }),
      post: op('create', 'post', { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], requestBody: body(['*/*']), responses: response(ref(kindId), ['200', '201', '202']) }),
      parameters: [...nsParam, pretty],
    },
    [`${base}/{name}`]: {
      get: op('read', 'get', { responses: response(ref(kindId), ['200']) }),
      put: op('replace', 'put', { parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], requestBody: body(['*/*']), responses: response(ref(kindId), ['200', '201']) }),
      patch: op('patch', 'patch', {
        parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
        requestBody: { content: Object.fromEntries(PATCH_TYPES.map((t) => [t, { schema: ref(PATCH_ID) }])), required: true },
        responses: response(ref(kindId), ['200', '201']),
      }),
      delete: op('delete', 'delete', { parameters: [DRY_RUN], responses: response({ type: 'object' }, ['200', '202']) }),
      parameters: [pathParam('name', `name of the ${k.kind}`), ...nsParam, pretty],
    },
  };
}

const documentCache = new Map<string, JsonObject>();

/** The OpenAPI 3.0 document of one group version: one path pair and one root schema per kind. */
export function openapiV3Document(group: string, version: string, kinds: OpenAPIKind[]): object {
  const cacheKey = JSON.stringify([group, version, kinds]);
  const cached = documentCache.get(cacheKey);
  if (cached) return cached;
  const paths: JsonObject = {};
  const schemas: JsonObject = {};
  addComponents(PATCH_ID, schemas);
  for (const k of kinds) {
    const typeName = rootType(group, version, k.kind);
    const gvk = [{ group, kind: k.kind, version }];
    const listGvk = [{ group, kind: `${k.kind}List`, version }];
    let kindId: string;
    if (typeName !== undefined) {
      addComponents(typeName, schemas);
      kindId = SCHEMA.types[typeName].id;
    } else {
      kindId = `${packageOf(group, version)}.${k.kind}`;
      schemas[kindId] = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
    schemas[kindId] = { ...(schemas[kindId] as JsonObject), 'x-kubernetes-group-version-kind': gvk };
    addComponents('V1ListMeta', schemas);
    const listId = `${kindId}List`;
    schemas[listId] = {
      description: `${k.kind}List is a list of ${k.kind} objects.`,
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        items: { type: 'array', items: ref(kindId) },
        kind: { type: 'string' },
        metadata: ref(SCHEMA.types.V1ListMeta?.id ?? 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta'),
      },
      required: ['items'],
      'x-kubernetes-group-version-kind': listGvk,
    };
    Object.assign(paths, kindPaths(group, version, k, kindId, listId));
  }
  const sortedSchemas: JsonObject = {};
  for (const id of Object.keys(schemas).sort()) sortedSchemas[id] = schemas[id];
  const doc: JsonObject = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: sortedSchemas },
  };
  documentCache.set(cacheKey, doc);
  return doc;
}

function gvPath(gv: string): string {
  return gv.includes('/') ? `apis/${gv}` : `api/${gv}`;
}

const SCHEMA_HASH = createHash('sha512').update(JSON.stringify(SCHEMA)).digest('hex');

/** The stable hash of a group version's document, as carried in `?hash=`. */
export function openapiV3Hash(gv: string, kinds?: OpenAPIKind[]): string {
  const h = createHash('sha512').update(SCHEMA_HASH).update(gv);
  if (kinds) {
    const [group, version] = gv.includes('/') ? gv.split('/', 2) : ['', gv];
    h.update(JSON.stringify(openapiV3Document(group, version, kinds)));
  }
  return h.digest('hex').toUpperCase();
}

/**
 * The /openapi/v3 index. `gvs` are group versions as in apiVersion ("v1", "apps/v1").
 * Passing each group version's kinds makes the hashes change when the kinds do, so that
 * kubectl's cache never serves a stale document.
 */
export function openapiV3Root(gvs: string[], kindsByGv?: Record<string, OpenAPIKind[]>): object {
  const paths: JsonObject = {};
  for (const gv of gvs) {
    const kinds = kindsByGv && Object.hasOwn(kindsByGv, gv) ? kindsByGv[gv] : undefined;
    const path = gvPath(gv);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${openapiV3Hash(gv, kinds)}` };
  }
  return { paths };
}
