// The registry's validation of objects on create and update (each kind's Validate and
// ValidateUpdate in kube-apiserver): object metadata here, the kinds in their own
// files. Input is arbitrary JSON that defaults.ts has already filled; every problem
// becomes a StatusCause with upstream's field path and wording, nothing throws.

import type { StatusCause } from '../../shared/errors.js';
import { cause } from '../../shared/errors.js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPathSegmentName } from '../../shared/validation.js';
import { CORE_UPDATE_VALIDATORS, CORE_VALIDATORS } from './validation-core.js';
import { validatePodSpec, validatePodUpdate } from './validation-pod.js';
import {
  absent,
  at,
  type Errs,
  isObj,
  items,
  nonNegative,
  obj,
  type Obj,
  required,
  str,
  strList,
  typeError,
  validateAnnotations,
  validateLabels,
} from './validation-shape.js';
import { RBAC_UPDATE_VALIDATORS, RBAC_VALIDATORS } from './validation-rbac.js';
import { STORAGE_UPDATE_VALIDATORS, STORAGE_VALIDATORS } from './validation-storage.js';
import { validateWorkload, validateWorkloadUpdate } from './validation-workloads.js';

type NameRule = (name: string) => string[];

/** Each kind's ValidateXName; everything else is a DNS-1123 subdomain. */
const NAME_RULES: Record<string, NameRule> = {
  namespaces: isDNS1123Label,
  services: isDNS1035Label,
  statefulsets: isDNS1123Label,
  roles: isValidPathSegmentName,
  rolebindings: isValidPathSegmentName,
  clusterroles: isValidPathSegmentName,
  clusterrolebindings: isValidPathSegmentName,
};

export const CLUSTER_SCOPED = new Set([
  'namespaces', 'nodes', 'persistentvolumes', 'clusterroles', 'clusterrolebindings', 'storageclasses', 'priorityclasses',
  'customresourcedefinitions', 'apiservices', 'ingressclasses', 'runtimeclasses', 'csidrivers', 'csinodes', 'volumeattachments',
  'mutatingwebhookconfigurations', 'validatingwebhookconfigurations', 'certificatesigningrequests',
]);

/** The name rule of a resource; `prefix` checks a generateName (a trailing dash is fine there). */
export function nameErrors(resource: string, name: string, prefix = false): string[] {
  const rule = NAME_RULES[resource] ?? isDNS1123Subdomain;
  // apimachinery's maskTrailingDash.
  const masked = prefix && name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
  return rule(masked);
}

function validateOwnerReferences(errs: Errs, v: unknown, path: string): void {
  const controllers: string[] = [];
  for (const [ref] of items(errs, v, path)) {
    const apiVersion = str(errs, ref.apiVersion, path) ?? '';
    const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
    if (!version) errs.push(cause.invalid(at(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    for (const f of ['kind', 'name', 'uid']) {
      const s = str(errs, ref[f], at(path, f)) ?? '';
      if (!s) errs.push(cause.invalid(at(path, f), s, 'must not be empty'));
    }
    if (ref.controller === true) controllers.push(`${String(ref.kind)}/${String(ref.name)}`);
  }
  if (controllers.length > 1) {
    errs.push(
      cause.invalid(path, controllers, `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`),
    );
  }
}

/** ValidateObjectMeta, with the name rule and scope of the resource. */
export function validateObjectMeta(errs: Errs, resource: string, o: Obj): void {
  const meta = obj(errs, o.metadata, 'metadata') ?? {};
  const generateName = str(errs, meta.generateName, 'metadata.generateName');
  if (generateName) {
    for (const m of nameErrors(resource, generateName, true)) errs.push(cause.invalid('metadata.generateName', generateName, m));
  }
  const name = str(errs, meta.name, 'metadata.name');
  if (!name) {
    if (absent(meta.name) || name === '') errs.push(required('metadata.name', 'name or generateName is required'));
  } else {
    for (const m of nameErrors(resource, name)) errs.push(cause.invalid('metadata.name', name, m));
  }
  const namespace = str(errs, meta.namespace, 'metadata.namespace');
  if (!CLUSTER_SCOPED.has(resource)) {
    if (!namespace) {
      if (absent(meta.namespace) || namespace === '') errs.push(required('metadata.namespace'));
    } else {
      for (const m of isDNS1123Label(namespace)) errs.push(cause.invalid('metadata.namespace', namespace, m));
    }
  } else if (namespace) {
    errs.push(cause.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  nonNegative(errs, meta.generation, 'metadata.generation');
  validateLabels(errs, meta.labels, 'metadata.labels');
  validateAnnotations(errs, meta.annotations, 'metadata.annotations');
  validateOwnerReferences(errs, meta.ownerReferences, 'metadata.ownerReferences');
  const finalizers = strList(errs, meta.finalizers, 'metadata.finalizers');
  for (const f of finalizers) for (const m of isQualifiedName(f)) errs.push(cause.invalid('metadata.finalizers', f, m));
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(cause.invalid('metadata.finalizers', finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
}

/** ValidateObjectMetaUpdate: identity fields stay, no finalizers join an object being deleted. */
function validateObjectMetaUpdate(errs: Errs, o: Obj, old: Obj): void {
  const meta = isObj(o.metadata) ? o.metadata : {};
  const oldMeta = isObj(old.metadata) ? old.metadata : {};
  for (const f of ['name', 'namespace', 'uid']) {
    const next = meta[f];
    const prev = oldMeta[f];
    if (f === 'uid' && (absent(next) || next === '')) continue;
    if ((next ?? '') !== (prev ?? '')) errs.push(cause.invalid(`metadata.${f}`, next ?? '', 'field is immutable'));
  }
  if (!absent(oldMeta.deletionTimestamp)) {
    const before = new Set(Array.isArray(oldMeta.finalizers) ? oldMeta.finalizers : []);
    const added = (Array.isArray(meta.finalizers) ? meta.finalizers : []).filter((f) => !before.has(f));
    if (added.length > 0) {
      const shown = `[]string{${added.map((f) => JSON.stringify(f)).join(', ')}}`;
      errs.push(cause.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${shown}`));
    }
  }
}

type Validator = (errs: Errs, o: Obj, old?: Obj) => void;
type UpdateValidator = (errs: Errs, next: Obj, old: Obj) => void;

const workload = (resource: string): Validator => (errs, o) => validateWorkload(errs, resource, o);
const workloadUpdate = (resource: string): UpdateValidator => (errs, next, old) => validateWorkloadUpdate(errs, resource, next, old);

const VALIDATORS: Record<string, Validator> = {
  pods: (errs, o) => void validatePodSpec(errs, o.spec, 'spec'),
  deployments: workload('deployments'),
  replicasets: workload('replicasets'),
  statefulsets: workload('statefulsets'),
  daemonsets: workload('daemonsets'),
  jobs: workload('jobs'),
  ...CORE_VALIDATORS,
  ...STORAGE_VALIDATORS,
  ...RBAC_VALIDATORS,
};

const UPDATE_VALIDATORS: Record<string, UpdateValidator> = {
  pods: validatePodUpdate,
  deployments: workloadUpdate('deployments'),
  replicasets: workloadUpdate('replicasets'),
  statefulsets: workloadUpdate('statefulsets'),
  daemonsets: workloadUpdate('daemonsets'),
  jobs: workloadUpdate('jobs'),
  ...CORE_UPDATE_VALIDATORS,
  ...STORAGE_UPDATE_VALIDATORS,
  ...RBAC_UPDATE_VALIDATORS,
};

/**
 * Validates an object of `resource` (the plural: `pods`, `deployments`) about to be
 * created, or, with `old`, to replace `old`. An empty list means valid.
 */
export function validateObject(resource: string, obj: any, old?: any): StatusCause[] {
  const errs: Errs = [];
  if (!isObj(obj)) {
    typeError(errs, '<root>', obj, 'object');
    return errs;
  }
  try {
    validateObjectMeta(errs, resource, obj);
    VALIDATORS[resource]?.(errs, obj, isObj(old) ? old : undefined);
    if (isObj(old)) {
      validateObjectMetaUpdate(errs, obj, old);
      UPDATE_VALIDATORS[resource]?.(errs, obj, old);
    }
  } catch (err) {
    // Validators read JSON defensively; reaching here is a bug, reported rather than thrown.
    errs.push({ reason: 'FieldValueInvalid', message: `Internal error: validation failed: ${err instanceof Error ? err.message : String(err)}`, field: '<root>' });
  }
  return errs;
}
