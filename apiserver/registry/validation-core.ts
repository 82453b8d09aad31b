// Validation of the core kinds other than pods (pkg/apis/core/validation and friends):
// services, config maps, secrets, namespaces, nodes, endpoints, events, leases and
// horizontal pod autoscalers, with the update rules each has.

import { cause } from '../../shared/errors.js';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPathSegmentName,
  isValidPortNum,
} from '../../shared/validation.js';
import { validateEnum, validatePortNumOrName, validateProtocol } from './validation-container.js';
import {
  absent,
  at,
  bool,
  type Errs,
  idx,
  int,
  invalidEach,
  isObj,
  items,
  nonNegative,
  obj,
  type Obj,
  quantity,
  required,
  semanticEqual,
  str,
  strList,
  strMap,
  validateLabels,
} from './validation-shape.js';

export const MAX_SECRET_SIZE = 1024 * 1024;

function validateService(errs: Errs, svc: Obj, old?: Obj): void {
  const spec = obj(errs, svc.spec, 'spec') ?? {};
  const type = validateEnum(errs, spec.type, 'spec.type', ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']);
  const clusterIP = str(errs, spec.clusterIP, 'spec.clusterIP') ?? '';
  const clusterIPs = strList(errs, spec.clusterIPs, 'spec.clusterIPs');
  const ips = clusterIPs.length > 0 ? clusterIPs : clusterIP ? [clusterIP] : [];
  if (clusterIP && clusterIPs.length > 0 && clusterIPs[0] !== clusterIP) {
    errs.push(cause.invalid('spec.clusterIPs', clusterIPs, 'first value must match `clusterIP`'));
  }
  const headless = ips[0] === 'None';
  const ports = items(errs, spec.ports, 'spec.ports');
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  if (type === 'ExternalName') {
    // On update the strategy drops what a type change leaves behind; only a create must be clean.
    if (!old && ips.length > 0) errs.push(cause.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    const cname = (str(errs, spec.externalName, 'spec.externalName') ?? '').replace(/\.$/, '');
    if (cname) invalidEach(errs, 'spec.externalName', cname, isDNS1123Subdomain(cname));
    else errs.push(required('spec.externalName'));
  } else {
    ips.forEach((ip, i) => {
      if (ip === 'None' && i === 0) return;
      invalidEach(errs, idx('spec.clusterIPs', i), ip, isValidIP(ip));
    });
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  for (const [port, p] of ports) {
    const name = str(errs, port.name, at(p, 'name'));
    if (ports.length > 1 && !name) errs.push(required(at(p, 'name')));
    else if (name) {
      invalidEach(errs, at(p, 'name'), name, isDNS1123Label(name));
      if (names.has(name)) errs.push(cause.duplicate(at(p, 'name'), name));
      names.add(name);
    }
    const num = int(errs, port.port, at(p, 'port'));
    if (num !== undefined || absent(port.port)) invalidEach(errs, at(p, 'port'), num ?? 0, isValidPortNum(num ?? 0));
    validateProtocol(errs, port.protocol, at(p, 'protocol'));
    if (!absent(port.targetPort)) validatePortNumOrName(errs, port.targetPort, at(p, 'targetPort'));
    const key = `${String(port.protocol ?? 'TCP')}/${String(num)}`;
    if (seen.has(key)) errs.push(cause.duplicate(p, { protocol: port.protocol ?? 'TCP', port: num }));
    seen.add(key);
    int(errs, port.nodePort, at(p, 'nodePort'));
  }
  validateLabels(errs, spec.selector, 'spec.selector');
  validateEnum(errs, spec.sessionAffinity, 'spec.sessionAffinity', ['ClientIP', 'None']);
  validateEnum(errs, spec.externalTrafficPolicy, 'spec.externalTrafficPolicy', ['Cluster', 'Local']);
  validateEnum(errs, spec.internalTrafficPolicy, 'spec.internalTrafficPolicy', ['Cluster', 'Local']);
  if (type === 'ExternalName' && !old) {
    if (!absent(spec.ipFamilyPolicy)) errs.push(cause.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    if (Array.isArray(spec.ipFamilies) && spec.ipFamilies.length > 0) errs.push(cause.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
  }
  validateEnum(errs, spec.ipFamilyPolicy, 'spec.ipFamilyPolicy', ['PreferDualStack', 'RequireDualStack', 'SingleStack']);
  strList(errs, spec.ipFamilies, 'spec.ipFamilies').forEach((f, i) => validateEnum(errs, f, idx('spec.ipFamilies', i), ['IPv4', 'IPv6']));
  strList(errs, spec.externalIPs, 'spec.externalIPs').forEach((ip, i) => invalidEach(errs, idx('spec.externalIPs', i), ip, isValidIP(ip)));
}

const primaryIP = (spec: Obj): string | undefined =>
  Array.isArray(spec.clusterIPs) && typeof spec.clusterIPs[0] === 'string' ? spec.clusterIPs[0] : typeof spec.clusterIP === 'string' && spec.clusterIP ? spec.clusterIP : undefined;

function validateServiceUpdate(errs: Errs, next: Obj, old: Obj): void {
  const spec = isObj(next.spec) ? next.spec : {};
  const oldSpec = isObj(old.spec) ? old.spec : {};
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return;
  const ip = primaryIP(spec);
  const oldIP = primaryIP(oldSpec);
  if (ip && oldIP && ip !== oldIP) errs.push(cause.invalid('spec.clusterIPs[0]', Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [ip], 'may not change once set'));
}

/** Go's StdEncoding.DecodeString check: the byte offset of the first bad input, or -1. */
export function base64Error(s: string): number {
  const chars: [string, number][] = [];
  for (let i = 0; i < s.length; i++) if (s[i] !== '\r' && s[i] !== '\n') chars.push([s[i]!, i]);
  for (let j = 0; j < chars.length; j++) {
    const [ch, i] = chars[j]!;
    if (/[A-Za-z0-9+/]/.test(ch)) continue;
    if (ch !== '=' || j % 4 < 2) return i;
    const rest = chars.slice(j);
    const padOk = (j % 4 === 2 && rest.length === 2 && rest[1]![0] === '=') || (j % 4 === 3 && rest.length === 1);
    return padOk ? -1 : i;
  }
  return chars.length % 4 === 0 ? -1 : chars[chars.length - (chars.length % 4)]![1];
}

/** Keys of data/binaryData/stringData; returns the decoded size of the values. */
function validateDataMap(errs: Errs, v: unknown, path: string, base64: boolean, redact: boolean): number {
  let size = 0;
  for (const [key, value] of Object.entries(strMap(errs, v, path) ?? {})) {
    invalidEach(errs, idx(path, key), key, isConfigMapKey(key));
    if (!base64) {
      size += Buffer.byteLength(value);
      continue;
    }
    const bad = base64Error(value);
    if (bad >= 0) errs.push(cause.invalid(idx(path, key), redact ? '<secret contents redacted>' : value, `illegal base64 data at input byte ${bad}`));
    else size += Buffer.from(value, 'base64').length;
  }
  return size;
}

function validateConfigMap(errs: Errs, cm: Obj): void {
  let size = validateDataMap(errs, cm.data, 'data', false, false);
  size += validateDataMap(errs, cm.binaryData, 'binaryData', true, false);
  if (isObj(cm.data) && isObj(cm.binaryData)) {
    for (const key of Object.keys(cm.data)) {
      if (key in cm.binaryData) errs.push(cause.invalid(idx('data', key), key, 'duplicate of key present in binaryData'));
    }
  }
  bool(errs, cm.immutable, 'immutable');
  if (size > MAX_SECRET_SIZE) errs.push(cause.tooLong('', MAX_SECRET_SIZE));
}

function validateSecret(errs: Errs, secret: Obj): void {
  let size = validateDataMap(errs, secret.data, 'data', true, true);
  size += validateDataMap(errs, secret.stringData, 'stringData', false, true);
  if (size > MAX_SECRET_SIZE) errs.push(cause.tooLong('data', MAX_SECRET_SIZE));
  bool(errs, secret.immutable, 'immutable');
  const type = str(errs, secret.type, 'type') ?? '';
  const data: Obj = { ...(isObj(secret.data) ? secret.data : {}), ...(isObj(secret.stringData) ? secret.stringData : {}) };
  const need = (...keys: string[]) => keys.forEach((k) => absent(data[k]) && errs.push(required(idx('data', k))));
  switch (type) {
    case 'kubernetes.io/service-account-token': {
      const annotations = isObj(secret.metadata) && isObj(secret.metadata.annotations) ? secret.metadata.annotations : {};
      if (!annotations['kubernetes.io/service-account.name']) errs.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
      return;
    }
    case 'kubernetes.io/dockercfg':
      return need('.dockercfg');
    case 'kubernetes.io/dockerconfigjson':
      return need('.dockerconfigjson');
    case 'kubernetes.io/basic-auth':
      if (absent(data.username) && absent(data.password)) need('username', 'password');
      return;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']) errs.push(required(idx('data', 'ssh-privatekey')));
      return;
    case 'kubernetes.io/tls':
      return need('tls.crt', 'tls.key');
  }
}

/** Config maps and secrets marked immutable keep their data (and, for secrets, their type). */
function validateImmutableData(errs: Errs, resource: string, next: Obj, old: Obj): void {
  if (resource === 'secrets' && !semanticEqual(next.type, old.type)) errs.push(cause.invalid('type', next.type ?? '', 'field is immutable'));
  if (old.immutable !== true) return;
  const detail = 'field is immutable when `immutable` is set';
  if (next.immutable !== true) errs.push(cause.forbidden('immutable', detail));
  for (const key of resource === 'secrets' ? ['data'] : ['data', 'binaryData']) {
    if (!semanticEqual(next[key], old[key])) errs.push(cause.forbidden(key, detail));
  }
}

function validateNamespace(errs: Errs, ns: Obj): void {
  const spec = obj(errs, ns.spec, 'spec') ?? {};
  for (const f of strList(errs, spec.finalizers, 'spec.finalizers')) {
    const msgs = isQualifiedName(f);
    invalidEach(errs, 'spec.finalizers', f, msgs);
    if (!msgs.length && !f.includes('/') && f !== 'kubernetes') {
      errs.push(cause.invalid('spec.finalizers', f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateNode(errs: Errs, node: Obj): void {
  const spec = obj(errs, node.spec, 'spec') ?? {};
  const podCIDR = str(errs, spec.podCIDR, 'spec.podCIDR');
  if (podCIDR) invalidEach(errs, 'spec.podCIDR', podCIDR, isValidCIDR(podCIDR));
  strList(errs, spec.podCIDRs, 'spec.podCIDRs').forEach((c, i) => invalidEach(errs, idx('spec.podCIDRs', i), c, isValidCIDR(c)));
  bool(errs, spec.unschedulable, 'spec.unschedulable');
  const unique = new Set<string>();
  for (const [t, p] of items(errs, spec.taints, 'spec.taints')) {
    const key = str(errs, t.key, at(p, 'key')) ?? '';
    invalidEach(errs, at(p, 'key'), key, isQualifiedName(key));
    const value = str(errs, t.value, at(p, 'value')) ?? '';
    const msgs = isValidLabelValue(value);
    if (msgs.length) errs.push(cause.invalid(at(p, 'value'), value, msgs.join(';')));
    const effect = str(errs, t.effect, at(p, 'effect')) ?? '';
    if (!effect) errs.push(required(at(p, 'effect')));
    else if (!TAINT_EFFECTS.includes(effect)) errs.push(cause.notSupported(at(p, 'effect'), effect, TAINT_EFFECTS));
    if (unique.has(`${effect}\0${key}`)) errs.push({ ...cause.duplicate(p, t), message: `Duplicate value: ${JSON.stringify(t)}: taints must be unique by key and effect pair` });
    unique.add(`${effect}\0${key}`);
  }
}

function validateNodeUpdate(errs: Errs, next: Obj, old: Obj): void {
  const spec = isObj(next.spec) ? next.spec : {};
  const oldSpec = isObj(old.spec) ? old.spec : {};
  const oldCIDRs = Array.isArray(oldSpec.podCIDRs) ? oldSpec.podCIDRs : oldSpec.podCIDR ? [oldSpec.podCIDR] : [];
  const cidrs = Array.isArray(spec.podCIDRs) ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : [];
  if (oldCIDRs.length > 0 && !semanticEqual(cidrs, oldCIDRs)) {
    errs.push(cause.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (oldSpec.providerID && spec.providerID !== oldSpec.providerID) {
    errs.push(cause.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
}

function validateEndpoints(errs: Errs, ep: Obj): void {
  for (const [subset, sp] of items(errs, ep.subsets, 'subsets')) {
    for (const kind of ['addresses', 'notReadyAddresses']) {
      for (const [a, p] of items(errs, subset[kind], at(sp, kind))) {
        const ip = str(errs, a.ip, at(p, 'ip')) ?? '';
        invalidEach(errs, at(p, 'ip'), ip, isValidIP(ip));
      }
    }
    for (const [port, p] of items(errs, subset.ports, at(sp, 'ports'))) {
      const num = int(errs, port.port, at(p, 'port')) ?? 0;
      invalidEach(errs, at(p, 'port'), num, isValidPortNum(num));
      validateProtocol(errs, port.protocol, at(p, 'protocol'));
    }
  }
}

function validateEvent(errs: Errs, ev: Obj): void {
  const involved = obj(errs, ev.involvedObject, 'involvedObject');
  if (!involved) return void (absent(ev.involvedObject) && errs.push(required('involvedObject')));
  const namespace = isObj(ev.metadata) && typeof ev.metadata.namespace === 'string' ? ev.metadata.namespace : '';
  const involvedNs = str(errs, involved.namespace, 'involvedObject.namespace') ?? '';
  if (absent(ev.eventTime)) {
    const ok = involvedNs ? namespace === involvedNs : namespace === '' || namespace === 'default';
    if (!ok) errs.push(cause.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
  }
  nonNegative(errs, ev.count, 'count');
}

function validateLease(errs: Errs, lease: Obj): void {
  const spec = obj(errs, lease.spec, 'spec') ?? {};
  const duration = int(errs, spec.leaseDurationSeconds, 'spec.leaseDurationSeconds');
  if (duration !== undefined && duration <= 0) errs.push(cause.invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  nonNegative(errs, spec.leaseTransitions, 'spec.leaseTransitions');
  str(errs, spec.holderIdentity, 'spec.holderIdentity');
}

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const METRIC_SOURCE: Record<string, string> = { ContainerResource: 'containerResource', External: 'external', Object: 'object', Pods: 'pods', Resource: 'resource' };

function validateMetricTarget(errs: Errs, t: Obj, path: string): void {
  const type = str(errs, t.type, at(path, 'type'));
  if (!type) errs.push(required(at(path, 'type'), 'must specify a metric target type'));
  else if (!['Utilization', 'Value', 'AverageValue'].includes(type)) errs.push(cause.invalid(at(path, 'type'), type, 'must be either Utilization, Value, or AverageValue'));
  for (const f of ['value', 'averageValue']) {
    const q = quantity(errs, t[f], at(path, f));
    if (q !== undefined && q <= 0) errs.push(cause.invalid(at(path, f), t[f], 'must be positive'));
  }
  const util = int(errs, t.averageUtilization, at(path, 'averageUtilization'));
  if (util !== undefined && util < 1) errs.push(cause.invalid(at(path, 'averageUtilization'), util, 'must be greater than 0'));
}

function validateHPA(errs: Errs, hpa: Obj): void {
  const spec = obj(errs, hpa.spec, 'spec') ?? {};
  const min = int(errs, spec.minReplicas, 'spec.minReplicas');
  if (min !== undefined && min < 1) errs.push(cause.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  const max = int(errs, spec.maxReplicas, 'spec.maxReplicas') ?? 0;
  if (max < 1) errs.push(cause.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min) errs.push(cause.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  const ref = obj(errs, spec.scaleTargetRef, 'spec.scaleTargetRef') ?? {};
  for (const f of ['kind', 'name']) {
    const s = str(errs, ref[f], `spec.scaleTargetRef.${f}`);
    if (!s) errs.push(required(`spec.scaleTargetRef.${f}`));
    else invalidEach(errs, `spec.scaleTargetRef.${f}`, s, isValidPathSegmentName(s));
  }
  const cpu = int(errs, spec.targetCPUUtilizationPercentage, 'spec.targetCPUUtilizationPercentage');
  if (cpu !== undefined && cpu < 1) errs.push(cause.invalid('spec.targetCPUUtilizationPercentage', cpu, 'must be greater than 0'));
  for (const [m, p] of items(errs, spec.metrics, 'spec.metrics')) {
    const type = str(errs, m.type, at(p, 'type'));
    if (!type) {
      errs.push(required(at(p, 'type'), 'must specify a metric source type'));
      continue;
    }
    if (!METRIC_TYPES.includes(type)) {
      errs.push(cause.notSupported(at(p, 'type'), type, METRIC_TYPES));
      continue;
    }
    const srcPath = at(p, METRIC_SOURCE[type]!);
    const src = obj(errs, m[METRIC_SOURCE[type]!], srcPath);
    if (!src) {
      errs.push(required(srcPath, 'must populate information for the given metric source'));
      continue;
    }
    if (type === 'Resource' || type === 'ContainerResource') {
      if (!str(errs, src.name, at(srcPath, 'name'))) errs.push(required(at(srcPath, 'name'), 'must specify a resource name'));
    }
    const target = obj(errs, src.target, at(srcPath, 'target'));
    if (target) validateMetricTarget(errs, target, at(srcPath, 'target'));
    else errs.push(required(at(srcPath, 'target'), 'must specify a metric target'));
  }
}

type Validator = (errs: Errs, o: Obj, old?: Obj) => void;
type UpdateValidator = (errs: Errs, next: Obj, old: Obj) => void;

export const CORE_VALIDATORS: Record<string, Validator> = {
  services: validateService,
  configmaps: validateConfigMap,
  secrets: validateSecret,
  namespaces: validateNamespace,
  nodes: validateNode,
  endpoints: validateEndpoints,
  events: validateEvent,
  leases: validateLease,
  horizontalpodautoscalers: validateHPA,
};

export const CORE_UPDATE_VALIDATORS: Record<string, UpdateValidator> = {
  services: validateServiceUpdate,
  configmaps: (errs, next, old) => validateImmutableData(errs, 'configmaps', next, old),
  secrets: (errs, next, old) => validateImmutableData(errs, 'secrets', next, old),
  nodes: validateNodeUpdate,
};
