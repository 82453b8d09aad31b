// Validation of persistent volumes and claims (ValidatePersistentVolumeSpec,
// ValidatePersistentVolumeClaimSpec and their update rules).

import { cause } from '../../shared/errors.js';
import { isDNS1123Subdomain } from '../../shared/validation.js';
import { validateEnum } from './validation-container.js';
import {
  absent,
  at,
  canonicalQuantity,
  diffPaths,
  type Errs,
  idx,
  invalidEach,
  isObj,
  obj,
  type Obj,
  quantity,
  required,
  semanticEqual,
  str,
  strList,
  validateLabelSelector,
} from './validation-shape.js';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const PV_SOURCES = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'quobyte', 'cephfs', 'iscsi', 'cinder',
  'fc', 'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'azureDisk', 'photonPersistentDisk', 'portworxVolume',
  'scaleIO', 'local', 'storageos', 'csi',
];
const REQUIRED_SOURCE_FIELDS: Record<string, string[]> = {
  hostPath: ['path'],
  nfs: ['server', 'path'],
  local: ['path'],
  csi: ['driver', 'volumeHandle'],
};

function validateAccessModes(errs: Errs, v: unknown, path: string, detail: string): void {
  const modes = strList(errs, v, path);
  if (modes.length === 0) errs.push(required(path, detail));
  for (const m of modes) if (!ACCESS_MODES.includes(m)) errs.push(cause.notSupported(path, m, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) errs.push(cause.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
}

function validateClassName(errs: Errs, v: unknown, path: string): void {
  const name = str(errs, v, path);
  if (name) invalidEach(errs, path, name, isDNS1123Subdomain(name));
}

function validatePersistentVolume(errs: Errs, pv: Obj): void {
  const spec = obj(errs, pv.spec, 'spec') ?? {};
  validateAccessModes(errs, spec.accessModes, 'spec.accessModes', '');
  const capacity = obj(errs, spec.capacity, 'spec.capacity');
  if (!capacity || Object.keys(capacity).length === 0) {
    if (!capacity && !absent(spec.capacity)) return;
    errs.push(required('spec.capacity'));
  } else {
    if (!('storage' in capacity) || Object.keys(capacity).length > 1) errs.push(cause.notSupported('spec.capacity', capacity, ['storage']));
    for (const [name, q] of Object.entries(capacity)) {
      const value = quantity(errs, q, idx('spec.capacity', name));
      if (value !== undefined && value < 0) errs.push(cause.invalid(idx('spec.capacity', name), Math.ceil(value), 'must be a valid resource quantity'));
    }
  }
  validateEnum(errs, spec.persistentVolumeReclaimPolicy, 'spec.persistentVolumeReclaimPolicy', ['Delete', 'Recycle', 'Retain']);
  validateEnum(errs, spec.volumeMode, 'spec.volumeMode', ['Block', 'Filesystem']);
  validateClassName(errs, spec.storageClassName, 'spec.storageClassName');
  let count = 0;
  for (const kind of PV_SOURCES) {
    if (absent(spec[kind])) continue;
    const p = at('spec', kind);
    if (count++ > 0) {
      errs.push(cause.forbidden(p, 'may not specify more than 1 volume type'));
      continue;
    }
    const src = obj(errs, spec[kind], p);
    for (const f of src ? (REQUIRED_SOURCE_FIELDS[kind] ?? []) : []) if (!str(errs, src![f], at(p, f))) errs.push(required(at(p, f)));
    if (kind === 'local' && absent(spec.nodeAffinity)) errs.push(required('spec.nodeAffinity', 'Local volumes require node affinity'));
  }
  if (count === 0) errs.push(required('spec', 'must specify a volume type'));
}

function validatePersistentVolumeUpdate(errs: Errs, next: Obj, old: Obj): void {
  const spec = isObj(next.spec) ? next.spec : {};
  const oldSpec = isObj(old.spec) ? old.spec : {};
  const source = (s: Obj): Obj => Object.fromEntries(PV_SOURCES.filter((k) => !absent(s[k])).map((k) => [k, s[k]]));
  if (!semanticEqual(source(spec), source(oldSpec))) {
    const diff = diffPaths(source(oldSpec), source(spec), 'spec').join('\n');
    errs.push(cause.forbidden('spec.persistentvolumesource', `spec.persistentvolumesource is immutable after creation\n${diff}`));
  }
  if (!semanticEqual(spec.volumeMode, oldSpec.volumeMode)) errs.push(cause.invalid('spec.volumeMode', spec.volumeMode ?? null, 'field is immutable'));
}

function validatePersistentVolumeClaim(errs: Errs, pvc: Obj): void {
  const spec = obj(errs, pvc.spec, 'spec') ?? {};
  validateAccessModes(errs, spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required');
  validateLabelSelector(errs, spec.selector, 'spec.selector');
  const resources = obj(errs, spec.resources, 'spec.resources') ?? {};
  const requests = obj(errs, resources.requests, 'spec.resources.requests') ?? {};
  const storagePath = idx('spec.resources', 'storage');
  if (absent(requests.storage)) errs.push(required(storagePath));
  else {
    const value = quantity(errs, requests.storage, storagePath);
    if (value !== undefined && value <= 0) errs.push(cause.invalid(storagePath, canonicalQuantity(requests.storage as string), 'must be greater than zero'));
  }
  validateClassName(errs, spec.storageClassName, 'spec.storageClassName');
  validateEnum(errs, spec.volumeMode, 'spec.volumeMode', ['Block', 'Filesystem']);
  str(errs, spec.volumeName, 'spec.volumeName');
}

function validatePersistentVolumeClaimUpdate(errs: Errs, next: Obj, old: Obj): void {
  const spec = isObj(next.spec) ? next.spec : {};
  const oldSpec = isObj(old.spec) ? old.spec : {};
  const munged: Obj = structuredClone(spec);
  const bound = isObj(next.status) && next.status.phase === 'Bound';
  // A bound claim may be resized; a claim may be bound to a volume once.
  if (bound && isObj(munged.resources) && isObj(munged.resources.requests) && isObj(oldSpec.resources) && isObj(oldSpec.resources.requests)) {
    munged.resources.requests.storage = oldSpec.resources.requests.storage;
  }
  if (!oldSpec.volumeName) munged.volumeName = oldSpec.volumeName;
  if (!semanticEqual(munged, oldSpec)) {
    const diff = diffPaths(oldSpec, munged, 'spec').join('\n');
    errs.push(cause.forbidden('spec', `spec is immutable after creation except resources.requests for bound claims\n${diff}`));
  }
}

type Validator = (errs: Errs, o: Obj) => void;
type UpdateValidator = (errs: Errs, next: Obj, old: Obj) => void;

export const STORAGE_VALIDATORS: Record<string, Validator> = {
  persistentvolumes: validatePersistentVolume,
  persistentvolumeclaims: validatePersistentVolumeClaim,
};

export const STORAGE_UPDATE_VALIDATORS: Record<string, UpdateValidator> = {
  persistentvolumes: validatePersistentVolumeUpdate,
  persistentvolumeclaims: validatePersistentVolumeClaimUpdate,
};
