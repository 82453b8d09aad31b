#!/usr/bin/env node
// Generates apiserver/registry/schema.generated.json from the OpenAPI-derived
// models of @kubernetes/client-node (a dev dependency). The output is committed,
// so neither the server nor the tests import client-node at runtime.
//
// It expects client-node 2.x models (Kubernetes 1.36 types); the project pins 1.x for
// Node 20, so regenerate from a scratch install: `npm i --prefix /tmp/cn2
// @kubernetes/client-node@2` and set CLIENT_NODE_MODELS=/tmp/cn2/node_modules/@kubernetes/client-node/dist/gen/models/all.js. int32 fields are
// emitted as "int32" (range-checked), int64 as "integer".
//
//   node test/support/gen-schema.mjs
//
// Output shape (compact JSON):
//   {
//     "roots": { "/v1/Pod": "V1Pod", "apps/v1/Deployment": "V1Deployment", ... },
//     "types": {
//       "V1Pod": {
//         "id": "io.k8s.api.core.v1.Pod",          // upstream OpenAPI definition name
//         "description": "...",                    // when client-node has one
//         "fields": { "spec": "V1PodSpec", "metadata": "V1ObjectMeta", ... },
//         "descriptions": { "spec": "..." },        // per field, when known
//         "required": ["containers"]               // when any
//       }, ...
//     }
//   }
// typeRef grammar: "string" | "int32" | "integer" (int64) | "number" | "boolean" | "object" (free-form)
//   | "time" | "bytes" (base64) | "quantity" | "intOrString" | "[]<ref>" | "map[string]<ref>"
//   | <type name>.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const modelsUrl = process.env.CLIENT_NODE_MODELS
  ? new URL(`file://${process.env.CLIENT_NODE_MODELS}`).href
  : import.meta.resolve('@kubernetes/client-node/dist/gen/models/all.js');
const modelsDir = dirname(fileURLToPath(modelsUrl));
const models = await import(modelsUrl);

const here = dirname(fileURLToPath(import.meta.url));
const outFile = join(here, '..', '..', 'apiserver', 'registry', 'schema.generated.json');

/** Root kinds in the order their groups claim shared types: core first. */
const ROOTS = [
  ['', 'v1', 'Namespace', 'V1Namespace'],
  ['', 'v1', 'Pod', 'V1Pod'],
  ['', 'v1', 'PodTemplate', 'V1PodTemplate'],
  ['', 'v1', 'Service', 'V1Service'],
  ['', 'v1', 'Endpoints', 'V1Endpoints'],
  ['', 'v1', 'Node', 'V1Node'],
  ['', 'v1', 'Event', 'CoreV1Event'],
  ['', 'v1', 'ConfigMap', 'V1ConfigMap'],
  ['', 'v1', 'Secret', 'V1Secret'],
  ['', 'v1', 'ServiceAccount', 'V1ServiceAccount'],
  ['', 'v1', 'PersistentVolume', 'V1PersistentVolume'],
  ['', 'v1', 'PersistentVolumeClaim', 'V1PersistentVolumeClaim'],
  ['', 'v1', 'ResourceQuota', 'V1ResourceQuota'],
  ['', 'v1', 'LimitRange', 'V1LimitRange'],
  ['', 'v1', 'Binding', 'V1Binding'],
  ['apps', 'v1', 'Deployment', 'V1Deployment'],
  ['apps', 'v1', 'ReplicaSet', 'V1ReplicaSet'],
  ['apps', 'v1', 'StatefulSet', 'V1StatefulSet'],
  ['apps', 'v1', 'DaemonSet', 'V1DaemonSet'],
  ['batch', 'v1', 'Job', 'V1Job'],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'V2HorizontalPodAutoscaler'],
  ['coordination.k8s.io', 'v1', 'Lease', 'V1Lease'],
  ['autoscaling', 'v1', 'Scale', 'V1Scale'],
  ['autoscaling', 'v1', 'HorizontalPodAutoscaler', 'V1HorizontalPodAutoscaler'],
  ['policy', 'v1', 'Eviction', 'V1Eviction'],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'V1ClusterRole'],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'V1ClusterRoleBinding'],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'V1Role'],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'V1RoleBinding'],
  ['authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'V1SelfSubjectAccessReview'],
  ['authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'V1SelfSubjectRulesReview'],
  ['authorization.k8s.io', 'v1', 'SubjectAccessReview', 'V1SubjectAccessReview'],
  ['authorization.k8s.io', 'v1', 'LocalSubjectAccessReview', 'V1LocalSubjectAccessReview'],
  ['authentication.k8s.io', 'v1', 'TokenReview', 'V1TokenReview'],
  ['authentication.k8s.io', 'v1', 'SelfSubjectReview', 'V1SelfSubjectReview'],
];

/** Types carried along without a kind of their own (lists, errors). */
const EXTRA_TYPES = ['V1ListMeta', 'V1Status', 'V1DeleteOptions'];

/** apimachinery meta/v1 types: never claimed by an API group. */
const META_TYPES = new Set([
  'V1ObjectMeta', 'V1ListMeta', 'V1LabelSelector', 'V1LabelSelectorRequirement',
  'V1OwnerReference', 'V1ManagedFieldsEntry', 'V1DeleteOptions', 'V1Preconditions',
  'V1Status', 'V1StatusDetails', 'V1StatusCause', 'V1Condition', 'V1FieldSelectorRequirement',
]);

/**
 * resource.Quantity fields. client-node renders them as plain strings, so they
 * are listed here; the generator fails if one of them disappears.
 */
const QUANTITY_FIELDS = new Set([
  'V1ResourceRequirements.limits', 'V1ResourceRequirements.requests',
  'V1VolumeResourceRequirements.limits', 'V1VolumeResourceRequirements.requests',
  'V1PodSpec.overhead', 'V1PodStatus.allocatedResources', 'V1ContainerStatus.allocatedResources',
  'V1NodeStatus.capacity', 'V1NodeStatus.allocatable',
  'V1NodeAllocatableResourceClaimStatus.resources',
  'V1PersistentVolumeSpec.capacity',
  'V1PersistentVolumeClaimStatus.capacity', 'V1PersistentVolumeClaimStatus.allocatedResources',
  'V1ResourceQuotaSpec.hard', 'V1ResourceQuotaStatus.hard', 'V1ResourceQuotaStatus.used',
  'V1LimitRangeItem.max', 'V1LimitRangeItem.min', 'V1LimitRangeItem.default',
  'V1LimitRangeItem.defaultRequest', 'V1LimitRangeItem.maxLimitRequestRatio',
  'V1EmptyDirVolumeSource.sizeLimit', 'V1ResourceFieldSelector.divisor',
  'V2MetricTarget.value', 'V2MetricTarget.averageValue',
  'V2MetricValueStatus.value', 'V2MetricValueStatus.averageValue',
]);

const GROUP_PACKAGE = {
  '': 'io.k8s.api.core',
  apps: 'io.k8s.api.apps',
  batch: 'io.k8s.api.batch',
  autoscaling: 'io.k8s.api.autoscaling',
  'coordination.k8s.io': 'io.k8s.api.coordination',
  policy: 'io.k8s.api.policy',
  'rbac.authorization.k8s.io': 'io.k8s.api.rbac',
  'authorization.k8s.io': 'io.k8s.api.authorization',
  'authentication.k8s.io': 'io.k8s.api.authentication',
  meta: 'io.k8s.apimachinery.pkg.apis.meta',
};

function fail(message) {
  process.stderr.write(`gen-schema: ${message}\n`);
  process.exit(1);
}

function modelClass(name) {
  const cls = models[name];
  if (!cls || !Array.isArray(cls.attributeTypeMap)) fail(`no client-node model ${name}`);
  return cls;
}

/** Converts one client-node attribute type into a typeRef, collecting referenced type names. */
function typeRef(owner, attr, refs) {
  const key = `${owner}.${attr.baseName}`;
  const quantity = QUANTITY_FIELDS.has(key);
  const convert = (t) => {
    t = t.trim();
    const arr = /^Array<(.+)>$/.exec(t);
    if (arr) return `[]${convert(arr[1])}`;
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
    if (map) return `map[string]${convert(map[1])}`;
    switch (t) {
      case 'string':
        if (quantity) return 'quantity';
        return attr.format === 'byte' ? 'bytes' : 'string';
      case 'number':
        if (attr.format === 'int32') return 'int32';
        return attr.format === 'int64' ? 'integer' : 'number';
      case 'boolean':
        return 'boolean';
      case 'any':
        return 'object';
      case 'Date':
      case 'V1MicroTime':
        return 'time';
      case 'IntOrString':
        return 'intOrString';
      default:
        if (!/^[A-Z]\w+$/.test(t)) fail(`unsupported type ${t} at ${key}`);
        refs.push(t);
        return t;
    }
  };
  const ref = convert(attr.type);
  if (quantity && !/quantity$/.test(ref)) fail(`${key} is listed as a quantity but is ${attr.type}`);
  return ref;
}

/** Reads class and field descriptions plus required fields from the model's .d.ts. */
function readDeclarations(name) {
  let text;
  try {
    text = readFileSync(join(modelsDir, `${name}.d.ts`), 'utf8');
  } catch {
    return { description: undefined, fields: new Map(), required: new Set() };
  }
  const clean = (lines) =>
    lines
      .map((l) => l.replace(/^\s*\*\s?/, ''))
      .join('\n')
      .trim()
      .replace(/\\(['"\\])/g, '$1');
  const fields = new Map();
  const required = new Set();
  let description;
  let pending;
  let buffer = null;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (buffer) {
      if (trimmed === '*/') {
        pending = clean(buffer);
        buffer = null;
      } else buffer.push(trimmed);
      continue;
    }
    if (trimmed === '/**') {
      buffer = [];
      continue;
    }
    if (trimmed.startsWith(`export declare class ${name} `)) {
      description = pending;
    } else {
      const field = /^'([^']+)'(\??):/.exec(trimmed);
      if (field) {
        if (pending) fields.set(field[1], pending);
        if (field[2] !== '?') required.add(field[1]);
      }
    }
    if (trimmed !== '') pending = undefined;
  }
  return { description, fields, required };
}

function versionOf(name) {
  const m = /^(?:[A-Z][a-z]+)?(V\d+(?:(?:alpha|beta)\d+)?)[A-Z]/.exec(name);
  if (!m) fail(`cannot tell the version of ${name}`);
  return m[1].toLowerCase();
}

function shortName(name) {
  return name.replace(/^(?:[A-Z][a-z]+)?V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])/, '');
}

const types = {};
const groupOf = new Map();
const roots = {};

function visit(start, group) {
  const queue = [start];
  while (queue.length > 0) {
    const name = queue.shift();
    if (types[name]) continue;
    const cls = modelClass(name);
    const decl = readDeclarations(name);
    const fields = {};
    const descriptions = {};
    const required = [];
    const refs = [];
    for (const attr of cls.attributeTypeMap) {
      fields[attr.baseName] = typeRef(name, attr, refs);
      const d = decl.fields.get(attr.name);
      if (d) descriptions[attr.baseName] = d;
      if (decl.required.has(attr.name)) required.push(attr.baseName);
    }
    const typeGroup = META_TYPES.has(name) ? 'meta' : group;
    groupOf.set(name, typeGroup);
    const entry = { id: `${GROUP_PACKAGE[typeGroup]}.${versionOf(name)}.${shortName(name)}` };
    if (decl.description) entry.description = decl.description;
    entry.fields = fields;
    if (Object.keys(descriptions).length > 0) entry.descriptions = descriptions;
    if (required.length > 0) entry.required = required;
    types[name] = entry;
    queue.push(...refs);
  }
}

for (const [group, version, kind, name] of ROOTS) {
  if (!(group in GROUP_PACKAGE)) fail(`no package for group ${group}`);
  roots[`${group}/${version}/${kind}`] = name;
  visit(name, group);
}
for (const name of EXTRA_TYPES) visit(name, 'meta');

for (const key of QUANTITY_FIELDS) {
  const [owner, field] = key.split('.');
  if (!types[owner] || !(field in types[owner].fields)) fail(`quantity field ${key} not found`);
}
const ids = new Map();
for (const [name, t] of Object.entries(types)) {
  if (ids.has(t.id)) fail(`${name} and ${ids.get(t.id)} both map to ${t.id}`);
  ids.set(t.id, name);
}

const sorted = {};
for (const name of Object.keys(types).sort()) sorted[name] = types[name];
const json = JSON.stringify({ roots, types: sorted });
writeFileSync(outFile, json + '\n');
process.stdout.write(
  `wrote ${outFile}: ${Object.keys(sorted).length} types, ${Object.keys(roots).length} roots, ${json.length} bytes\n`,
);
