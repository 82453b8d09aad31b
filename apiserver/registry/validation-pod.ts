// Validation of pod specs and pod templates (ValidatePodSpec, ValidateVolumes,
// ValidateTolerations, ValidatePodTemplateSpec) and of pod updates (ValidatePodUpdate),
// with upstream's field paths and wording.

import { cause } from '../../shared/errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidLabelValue, isValidPortNum } from '../../shared/validation.js';
import { validateContainer, validateEnum, validateFieldRef, validateLocalDescendingPath } from './validation-container.js';
import {
  absent,
  arr,
  at,
  bool,
  diffPaths,
  type Errs,
  idx,
  int,
  invalidEach,
  isObj,
  items,
  obj,
  type Obj,
  quantity,
  required,
  semanticEqual,
  str,
  validateAnnotations,
  validateLabels,
} from './validation-shape.js';

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'flocker', 'persistentVolumeClaim', 'rbd', 'quobyte', 'cephfs', 'cinder', 'flexVolume', 'downwardAPI', 'fc', 'azureFile',
  'vsphereVolume', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'projected', 'scaleIO', 'configMap', 'storageos',
  'csi', 'ephemeral', 'image',
];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const FILE_MODE_MESSAGE = 'must be a number between 0 and 0777 (octal), both inclusive';
const DOWNWARD_VOLUME_FIELDS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];

function fileMode(errs: Errs, v: unknown, path: string): void {
  const mode = int(errs, v, path);
  if (mode !== undefined && (mode < 0 || mode > 0o777)) errs.push(cause.invalid(path, mode, FILE_MODE_MESSAGE));
}

function requiredString(errs: Errs, v: unknown, path: string): string | undefined {
  const s = str(errs, v, path);
  if (!s && (absent(v) || s === '')) errs.push(required(path));
  return s;
}

function validateKeyToPaths(errs: Errs, v: unknown, path: string): void {
  for (const [kp, p] of items(errs, v, path)) {
    requiredString(errs, kp.key, at(p, 'key'));
    const target = requiredString(errs, kp.path, at(p, 'path'));
    if (target) {
      validateLocalDescendingPath(errs, target, at(p, 'path'));
      if (target.startsWith('..')) errs.push(cause.invalid(at(p, 'path'), target, "must not start with '..'"));
    }
    fileMode(errs, kp.mode, at(p, 'mode'));
  }
}

function validateDownwardAPIItems(errs: Errs, v: unknown, path: string): void {
  for (const [item, p] of items(errs, v, path)) {
    const target = requiredString(errs, item.path, at(p, 'path'));
    if (target) validateLocalDescendingPath(errs, target, at(p, 'path'));
    const ref = obj(errs, item.fieldRef, at(p, 'fieldRef'));
    if (ref) validateFieldRef(errs, ref, at(p, 'fieldRef'), DOWNWARD_VOLUME_FIELDS);
    fileMode(errs, item.mode, at(p, 'mode'));
  }
}

function validateSourceFields(errs: Errs, kind: string, src: Obj, p: string): void {
  switch (kind) {
    case 'hostPath': {
      const target = requiredString(errs, src.path, at(p, 'path'));
      if (target && target.split('/').includes('..')) errs.push(cause.invalid(at(p, 'path'), target, "must not contain '..'"));
      const type = str(errs, src.type, at(p, 'type'));
      if (type !== undefined && !HOST_PATH_TYPES.includes(type)) errs.push(cause.notSupported(at(p, 'type'), type, HOST_PATH_TYPES));
      return;
    }
    case 'emptyDir': {
      const size = quantity(errs, src.sizeLimit, at(p, 'sizeLimit'));
      if (size !== undefined && size < 0) errs.push(cause.forbidden(at(p, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
      return;
    }
    case 'secret':
    case 'configMap':
      requiredString(errs, kind === 'secret' ? src.secretName : src.name, at(p, kind === 'secret' ? 'secretName' : 'name'));
      fileMode(errs, src.defaultMode, at(p, 'defaultMode'));
      validateKeyToPaths(errs, src.items, at(p, 'items'));
      return;
    case 'persistentVolumeClaim':
      requiredString(errs, src.claimName, at(p, 'claimName'));
      return;
    case 'nfs':
      requiredString(errs, src.server, at(p, 'server'));
      requiredString(errs, src.path, at(p, 'path'));
      return;
    case 'downwardAPI':
      fileMode(errs, src.defaultMode, at(p, 'defaultMode'));
      validateDownwardAPIItems(errs, src.items, at(p, 'items'));
      return;
    case 'projected':
      fileMode(errs, src.defaultMode, at(p, 'defaultMode'));
      for (const [s, sp] of items(errs, src.sources, at(p, 'sources'))) {
        for (const k of ['secret', 'configMap']) {
          const ref = obj(errs, s[k], at(sp, k));
          if (ref) validateKeyToPaths(errs, ref.items, at(at(sp, k), 'items'));
        }
        const dapi = obj(errs, s.downwardAPI, at(sp, 'downwardAPI'));
        if (dapi) validateDownwardAPIItems(errs, dapi.items, at(at(sp, 'downwardAPI'), 'items'));
      }
      return;
    case 'csi':
      requiredString(errs, src.driver, at(p, 'driver'));
      return;
    case 'image':
      requiredString(errs, src.reference, at(p, 'reference'));
      return;
  }
}

/** ValidateVolumes: the names of the volumes that are valid (mounts may refer to these). */
export function validateVolumes(errs: Errs, v: unknown, path: string): Set<string> {
  const names = new Set<string>();
  for (const [vol, p] of items(errs, v, path)) {
    const el: Errs = [];
    let count = 0;
    for (const kind of VOLUME_SOURCES) {
      if (absent(vol[kind])) continue;
      const sp = at(p, kind);
      if (count++ > 0) {
        el.push(cause.forbidden(sp, 'may not specify more than 1 volume type'));
        continue;
      }
      const src = obj(el, vol[kind], sp);
      if (src) validateSourceFields(el, kind, src, sp);
    }
    if (count === 0) el.push(required(p, 'must specify a volume type'));
    const name = str(el, vol.name, at(p, 'name'));
    if (!name) el.push(required(at(p, 'name')));
    else invalidEach(el, at(p, 'name'), name, isDNS1123Label(name));
    if (name && names.has(name)) el.push(cause.duplicate(at(p, 'name'), name));
    if (el.length === 0 && name) names.add(name);
    errs.push(...el);
  }
  return names;
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTolerations(errs: Errs, v: unknown, path: string): void {
  for (const [t, p] of items(errs, v, path)) {
    const key = str(errs, t.key, at(p, 'key')) ?? '';
    if (key) validateLabels(errs, { [key]: '' }, at(p, 'key'));
    const op = str(errs, t.operator, at(p, 'operator')) ?? '';
    const value = str(errs, t.value, at(p, 'value')) ?? '';
    const effect = str(errs, t.effect, at(p, 'effect')) ?? '';
    if (!key && op !== 'Exists') {
      errs.push(cause.invalid(at(p, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (!absent(int(errs, t.tolerationSeconds, at(p, 'tolerationSeconds'))) && effect !== 'NoExecute') {
      errs.push(cause.invalid(at(p, 'effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === '' || op === 'Equal') invalidEach(errs, at(p, 'operator'), value, isValidLabelValue(value));
    else if (op === 'Exists') {
      if (value) errs.push(cause.invalid(at(p, 'operator'), t, "value must be empty when `operator` is 'Exists'"));
    } else errs.push(cause.notSupported(at(p, 'operator'), op, ['Equal', 'Exists']));
    if (effect && !TAINT_EFFECTS.includes(effect)) errs.push(cause.notSupported(at(p, 'effect'), effect, TAINT_EFFECTS));
  }
}

export interface PodSpecOptions {
  /** Volume names provided outside spec.volumes (a stateful set's volumeClaimTemplates). */
  extraVolumes?: Iterable<string>;
}

/** ValidatePodSpec. Returns the spec when it is an object. */
export function validatePodSpec(errs: Errs, v: unknown, path: string, opts: PodSpecOptions = {}): Obj | undefined {
  const spec = obj(errs, v, path);
  if (!spec) {
    if (absent(v)) errs.push(required(path));
    return undefined;
  }
  const volumes = validateVolumes(errs, spec.volumes, at(path, 'volumes'));
  for (const name of opts.extraVolumes ?? []) volumes.add(name);
  const names = new Set<string>();
  const containers = items(errs, spec.containers, at(path, 'containers'));
  if (containers.length === 0 && (absent(spec.containers) || Array.isArray(spec.containers))) errs.push(required(at(path, 'containers')));
  for (const [c, p] of containers) validateContainer(errs, c, p, 'app', volumes, names);
  for (const [c, p] of items(errs, spec.initContainers, at(path, 'initContainers'))) validateContainer(errs, c, p, 'init', volumes, names);
  validateEnum(errs, spec.restartPolicy, at(path, 'restartPolicy'), ['Always', 'OnFailure', 'Never']);
  validateEnum(errs, spec.dnsPolicy, at(path, 'dnsPolicy'), ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']);
  validateLabels(errs, spec.nodeSelector, at(path, 'nodeSelector'));
  for (const f of ['serviceAccountName', 'nodeName', 'priorityClassName']) {
    const s = str(errs, spec[f], at(path, f));
    if (s) invalidEach(errs, at(path, f), s, isDNS1123Subdomain(s));
  }
  for (const f of ['hostname', 'subdomain']) {
    const s = str(errs, spec[f], at(path, f));
    if (s) invalidEach(errs, at(path, f), s, isDNS1123Label(s));
  }
  const deadline = int(errs, spec.activeDeadlineSeconds, at(path, 'activeDeadlineSeconds'));
  if (deadline !== undefined && (deadline < 1 || deadline > 2147483647)) {
    errs.push(cause.invalid(at(path, 'activeDeadlineSeconds'), deadline, 'must be between 1 and 2147483647, inclusive'));
  }
  int(errs, spec.terminationGracePeriodSeconds, at(path, 'terminationGracePeriodSeconds'));
  obj(errs, spec.securityContext, at(path, 'securityContext'));
  if (bool(errs, spec.hostNetwork, at(path, 'hostNetwork'))) validateHostNetworkPorts(errs, containers);
  validateTolerations(errs, spec.tolerations, at(path, 'tolerations'));
  for (const [s, p] of items(errs, spec.imagePullSecrets, at(path, 'imagePullSecrets'))) str(errs, s.name, at(p, 'name'));
  return spec;
}

function validateHostNetworkPorts(errs: Errs, containers: [Obj, string][]): void {
  for (const [c, p] of containers) {
    if (!Array.isArray(c.ports)) continue;
    c.ports.forEach((port, i) => {
      if (!isObj(port) || absent(port.hostPort) || port.hostPort === 0 || port.hostPort === port.containerPort) return;
      const cp = port.containerPort;
      if (typeof cp === 'number' && isValidPortNum(cp).length === 0) {
        errs.push(cause.invalid(at(idx(at(p, 'ports'), i), 'containerPort'), cp, 'must match `hostPort` when `hostNetwork` is true'));
      }
    });
  }
}

/** ValidatePodTemplateSpec: template labels and annotations, then its pod spec. */
export function validatePodTemplate(errs: Errs, v: unknown, path: string, opts: PodSpecOptions = {}): { labels?: Record<string, string>; spec?: Obj } {
  const t = obj(errs, v, path);
  if (!t) {
    if (absent(v)) errs.push(required(path));
    return {};
  }
  const meta = obj(errs, t.metadata, at(path, 'metadata')) ?? {};
  const labels = validateLabels(errs, meta.labels, at(path, 'metadata.labels'));
  validateAnnotations(errs, meta.annotations, at(path, 'metadata.annotations'));
  const spec = validatePodSpec(errs, t.spec, at(path, 'spec'), opts);
  return { labels, spec };
}

const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const withoutSeconds = (t: unknown): unknown => (isObj(t) ? { ...t, tolerationSeconds: undefined } : t);

/** ValidatePodUpdate: which parts of a pod's spec may change. */
export function validatePodUpdate(errs: Errs, next: Obj, old: Obj): void {
  const spec = isObj(next.spec) ? next.spec : {};
  const oldSpec = isObj(old.spec) ? old.spec : {};
  for (const key of ['containers', 'initContainers']) {
    if (list(spec[key]).length !== list(oldSpec[key]).length) {
      errs.push(cause.forbidden(`spec.${key}`, 'pod updates may not add or remove containers'));
      return;
    }
  }
  const deadline = spec.activeDeadlineSeconds;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (typeof deadline === 'number') {
    if (typeof oldDeadline === 'number' && oldDeadline < deadline) {
      errs.push(cause.invalid('spec.activeDeadlineSeconds', deadline, 'must be less than or equal to previous value'));
      return;
    }
  } else if (typeof oldDeadline === 'number') {
    errs.push(cause.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  const tolerations = list(spec.tolerations);
  for (const t of list(oldSpec.tolerations)) {
    if (!tolerations.some((n) => semanticEqual(withoutSeconds(n), withoutSeconds(t)))) {
      errs.push(cause.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  const oldGates = list(oldSpec.schedulingGates).map((g) => (isObj(g) ? g.name : g));
  for (const g of list(spec.schedulingGates)) {
    const name = isObj(g) ? g.name : g;
    if (!oldGates.includes(name)) errs.push(cause.forbidden('spec.schedulingGates', `only deletion is allowed, but found new scheduling gate '${String(name)}'`));
  }
  if (semanticEqual(spec, oldSpec)) return;
  const munged: Obj = structuredClone(spec);
  for (const key of ['containers', 'initContainers']) {
    const olds = list(oldSpec[key]);
    munged[key] = list(munged[key]).map((c, i) => (isObj(c) && isObj(olds[i]) ? { ...c, image: (olds[i] as Obj).image } : c));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.tolerations = oldSpec.tolerations;
  munged.schedulingGates = oldSpec.schedulingGates;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  if (!semanticEqual(munged, oldSpec)) {
    const diff = diffPaths(oldSpec, munged, 'spec').join('\n');
    errs.push(cause.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${diff}`));
  }
}

/** The names a stateful set's volumeClaimTemplates contribute as volumes. */
export function claimTemplateNames(v: unknown): string[] {
  return arr([], v, '')?.flatMap((t) => (isObj(t) && isObj(t.metadata) && typeof t.metadata.name === 'string' ? [t.metadata.name] : [])) ?? [];
}
