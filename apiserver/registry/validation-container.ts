// Validation of one container of a pod spec (validateContainerCommon and friends in
// pkg/apis/core/validation): name, image, ports, env, resources, volume mounts,
// probes and lifecycle handlers, with upstream's field paths and wording.

import { cause } from '../../shared/errors.js';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidPortName,
  isValidPortNum,
} from '../../shared/validation.js';
import {
  absent,
  at,
  canonicalQuantity,
  type Errs,
  idx,
  int,
  invalidEach,
  items,
  nonNegative,
  notFound,
  obj,
  type Obj,
  quantity,
  required,
  str,
  strList,
  typeError,
} from './validation-shape.js';

export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** A protocol field: absent is left to defaulting, anything else must be supported. */
export function validateProtocol(errs: Errs, v: unknown, path: string): void {
  const p = str(errs, v, path);
  if (p === '') errs.push(required(path));
  else if (p !== undefined && !PROTOCOLS.includes(p)) errs.push(cause.notSupported(path, p, PROTOCOLS));
}

/** An enum field that defaulting fills: absent passes, "" is required, others must be listed. */
export function validateEnum(errs: Errs, v: unknown, path: string, values: string[]): string | undefined {
  const s = str(errs, v, path);
  if (s === '') errs.push(required(path));
  else if (s !== undefined && !values.includes(s)) errs.push(cause.notSupported(path, s, values));
  return s;
}

/** ValidatePortNumOrName: an int 1-65535 or an IANA service name. */
export function validatePortNumOrName(errs: Errs, v: unknown, path: string): void {
  if (typeof v === 'number' && Number.isInteger(v)) invalidEach(errs, path, v, isValidPortNum(v));
  else if (typeof v === 'string') invalidEach(errs, path, v, isValidPortName(v));
  else if (absent(v)) errs.push(required(path));
  else typeError(errs, path, v, 'integer or string');
}

function validatePorts(errs: Errs, v: unknown, path: string): void {
  const names = new Set<string>();
  for (const [port, p] of items(errs, v, path)) {
    const name = str(errs, port.name, at(p, 'name'));
    if (name) {
      const msgs = isValidPortName(name);
      invalidEach(errs, at(p, 'name'), name, msgs);
      if (!msgs.length && names.has(name)) errs.push(cause.duplicate(at(p, 'name'), name));
      names.add(name);
    }
    const containerPort = int(errs, port.containerPort, at(p, 'containerPort'));
    if (!containerPort) {
      if (containerPort === 0 || absent(port.containerPort)) errs.push(required(at(p, 'containerPort')));
    } else invalidEach(errs, at(p, 'containerPort'), containerPort, isValidPortNum(containerPort));
    const hostPort = int(errs, port.hostPort, at(p, 'hostPort'));
    if (hostPort) invalidEach(errs, at(p, 'hostPort'), hostPort, isValidPortNum(hostPort));
    validateProtocol(errs, port.protocol, at(p, 'protocol'));
  }
}

const ENV_FIELD_PATHS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

function validateKeySelector(errs: Errs, ref: Obj, path: string): void {
  const name = str(errs, ref.name, at(path, 'name')) ?? '';
  invalidEach(errs, at(path, 'name'), name, isDNS1123Subdomain(name));
  const key = str(errs, ref.key, at(path, 'key'));
  if (!key) errs.push(required(at(path, 'key')));
  else invalidEach(errs, at(path, 'key'), key, isConfigMapKey(key));
}

/** An object field selector (downward API), as env and downwardAPI volumes use it. */
export function validateFieldRef(errs: Errs, ref: Obj, path: string, allowed: string[]): void {
  if (!str(errs, ref.apiVersion, at(path, 'apiVersion'))) errs.push(required(at(path, 'apiVersion')));
  const fieldPath = str(errs, ref.fieldPath, at(path, 'fieldPath'));
  if (!fieldPath) return void errs.push(required(at(path, 'fieldPath')));
  const m = /^(metadata\.(?:labels|annotations))\['(.+)'\]$/.exec(fieldPath);
  if (m) return void invalidEach(errs, at(path, 'fieldPath'), m[2], isQualifiedName(m[2]!.toLowerCase()));
  const list = allowed.filter((p) => p !== 'metadata.labels' && p !== 'metadata.annotations');
  if (!list.includes(fieldPath)) errs.push(cause.notSupported(at(path, 'fieldPath'), fieldPath, list));
}

function validateEnv(errs: Errs, v: unknown, path: string): void {
  for (const [ev, p] of items(errs, v, path)) {
    const name = str(errs, ev.name, at(p, 'name'));
    if (!name) errs.push(required(at(p, 'name')));
    else invalidEach(errs, at(p, 'name'), name, isRelaxedEnvVarName(name));
    const value = str(errs, ev.value, at(p, 'value'));
    const from = obj(errs, ev.valueFrom, at(p, 'valueFrom'));
    if (!from) continue;
    const fp = at(p, 'valueFrom');
    let sources = 0;
    const fieldRef = obj(errs, from.fieldRef, at(fp, 'fieldRef'));
    if (fieldRef) {
      sources++;
      validateFieldRef(errs, fieldRef, at(fp, 'fieldRef'), ENV_FIELD_PATHS);
    }
    const resRef = obj(errs, from.resourceFieldRef, at(fp, 'resourceFieldRef'));
    if (resRef) {
      sources++;
      const res = str(errs, resRef.resource, at(fp, 'resourceFieldRef.resource'));
      if (!res) errs.push(required(at(fp, 'resourceFieldRef.resource')));
      else if (!RESOURCE_FIELD_PATHS.includes(res)) errs.push(cause.notSupported(at(fp, 'resourceFieldRef.resource'), res, RESOURCE_FIELD_PATHS));
    }
    for (const kind of ['configMapKeyRef', 'secretKeyRef']) {
      const ref = obj(errs, from[kind], at(fp, kind));
      if (ref) {
        sources++;
        validateKeySelector(errs, ref, at(fp, kind));
      }
    }
    if (sources === 0) errs.push(cause.invalid(fp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (value) errs.push(cause.invalid(fp, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(cause.invalid(fp, '', 'may not have more than one field specified at a time'));
  }
}

function validateEnvFrom(errs: Errs, v: unknown, path: string): void {
  for (const [ev, p] of items(errs, v, path)) {
    const prefix = str(errs, ev.prefix, at(p, 'prefix'));
    if (prefix) invalidEach(errs, at(p, 'prefix'), prefix, isRelaxedEnvVarName(prefix));
    const refs = ['configMapRef', 'secretRef'].filter((k) => obj(errs, ev[k], at(p, k)));
    if (refs.length === 0) errs.push(cause.invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (refs.length > 1) errs.push(cause.invalid(p, '', 'may not have more than one field specified at a time'));
    for (const k of refs) {
      const name = str(errs, (ev[k] as Obj).name, at(p, `${k}.name`)) ?? '';
      invalidEach(errs, at(p, `${k}.name`), name, isDNS1123Subdomain(name));
    }
  }
}

const STANDARD_CONTAINER_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];
const isHugePages = (n: string): boolean => n.startsWith('hugepages-');
const isNative = (n: string): boolean => !n.includes('/') || n.includes('kubernetes.io/');
/** Resources whose request may be below its limit (everything but hugepages and extended resources). */
const overcommitAllowed = (n: string): boolean => isNative(n) && !isHugePages(n);

function validateResourceName(errs: Errs, name: string, path: string): void {
  invalidEach(errs, path, name, isQualifiedName(name));
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.includes(name) && !isHugePages(name)) errs.push(cause.invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNative(name) && (name.startsWith('requests.') || isQualifiedName(`requests.${name}`).length > 0)) {
    errs.push(cause.invalid(path, name, "doesn't follow extended resource name standard"));
  }
}

function resourceList(errs: Errs, v: unknown, path: string): Map<string, { raw: string | number; value: number }> {
  const out = new Map<string, { raw: string | number; value: number }>();
  for (const [name, raw] of Object.entries(obj(errs, v, path) ?? {})) {
    const p = idx(path, name);
    validateResourceName(errs, name, p);
    const value = quantity(errs, raw, p);
    if (value === undefined) continue;
    if (value < 0) errs.push(cause.invalid(p, canonicalQuantity(raw as string), 'must be greater than or equal to 0'));
    if (!isNative(name) && !Number.isInteger(value)) errs.push(cause.invalid(p, raw, 'must be an integer'));
    out.set(name, { raw: raw as string | number, value });
  }
  return out;
}

/** ValidateResourceRequirements: names, quantities, and requests ≤ limits. */
export function validateResources(errs: Errs, v: unknown, path: string): void {
  const res = obj(errs, v, path);
  if (!res) return;
  const limPath = at(path, 'limits');
  const reqPath = at(path, 'requests');
  const limits = resourceList(errs, res.limits, limPath);
  const requests = resourceList(errs, res.requests, reqPath);
  for (const [name, req] of requests) {
    const lim = limits.get(name);
    if (lim) {
      const shown = canonicalQuantity(req.raw);
      if (req.value !== lim.value && !overcommitAllowed(name)) {
        errs.push(cause.invalid(reqPath, shown, `must be equal to ${name} limit of ${canonicalQuantity(lim.raw)}`));
      } else if (req.value > lim.value) {
        errs.push(cause.invalid(reqPath, shown, `must be less than or equal to ${name} limit of ${canonicalQuantity(lim.raw)}`));
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
}

function validateVolumeMounts(errs: Errs, v: unknown, path: string, volumes: Set<string>): void {
  const mountPoints = new Set<string>();
  for (const [m, p] of items(errs, v, path)) {
    const name = str(errs, m.name, at(p, 'name')) ?? '';
    if (!name) errs.push(required(at(p, 'name')));
    if (!volumes.has(name)) errs.push(notFound(at(p, 'name'), name));
    const mountPath = str(errs, m.mountPath, at(p, 'mountPath')) ?? '';
    if (!mountPath) errs.push(required(at(p, 'mountPath')));
    if (mountPoints.has(mountPath)) errs.push(cause.invalid(at(p, 'mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    const subPath = str(errs, m.subPath, at(p, 'subPath'));
    if (subPath) validateLocalDescendingPath(errs, subPath, at(p, 'subPath'));
  }
}

/** A relative path that stays below its root: no leading '/', no '..' element. */
export function validateLocalDescendingPath(errs: Errs, value: string, path: string): void {
  if (value.startsWith('/')) errs.push(cause.invalid(path, value, 'must be a relative path'));
  if (value.split('/').includes('..')) errs.push(cause.invalid(path, value, "must not contain '..'"));
}

const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'];

/** validateHandler: exactly one of exec, httpGet, tcpSocket, grpc (probes) or sleep (lifecycle). */
function validateHandler(errs: Errs, h: Obj, path: string, allowed: string[]): void {
  let count = 0;
  for (const kind of HANDLERS) {
    if (!allowed.includes(kind) || absent(h[kind])) continue;
    const p = at(path, kind);
    if (count > 0) {
      errs.push(cause.forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const a = obj(errs, h[kind], p);
    if (!a) continue;
    if (kind === 'exec' && strList(errs, a.command, at(p, 'command')).length === 0) errs.push(required(at(p, 'command')));
    if (kind === 'httpGet') {
      if (!str(errs, a.path, at(p, 'path'))) errs.push(required(at(p, 'path')));
      validatePortNumOrName(errs, a.port, at(p, 'port'));
      validateEnum(errs, a.scheme, at(p, 'scheme'), ['HTTP', 'HTTPS']);
    }
    if (kind === 'tcpSocket') validatePortNumOrName(errs, a.port, at(p, 'port'));
    if (kind === 'grpc') {
      const port = int(errs, a.port, at(p, 'port'));
      invalidEach(errs, at(p, 'port'), port ?? 0, isValidPortNum(port ?? 0));
    }
    if (kind === 'sleep') nonNegative(errs, a.seconds, at(p, 'seconds'));
  }
  if (count === 0) errs.push(required(path, 'must specify a handler type'));
}

function validateProbe(errs: Errs, v: unknown, path: string, kind: 'liveness' | 'readiness' | 'startup'): void {
  const probe = obj(errs, v, path);
  if (!probe) return;
  validateHandler(errs, probe, path, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) nonNegative(errs, probe[f], at(path, f));
  const success = int(errs, probe.successThreshold, at(path, 'successThreshold'));
  if (kind !== 'readiness' && success !== undefined && success !== 1) errs.push(cause.invalid(at(path, 'successThreshold'), success, 'must be 1'));
  const grace = int(errs, probe.terminationGracePeriodSeconds, at(path, 'terminationGracePeriodSeconds'));
  if (grace !== undefined) {
    if (kind === 'readiness') errs.push(cause.invalid(at(path, 'terminationGracePeriodSeconds'), grace, 'must not be set for readinessProbes'));
    else if (grace <= 0) errs.push(cause.invalid(at(path, 'terminationGracePeriodSeconds'), grace, 'must be greater than 0'));
  }
}

function validateLifecycle(errs: Errs, v: unknown, path: string): void {
  const lc = obj(errs, v, path);
  if (!lc) return;
  for (const hook of ['postStart', 'preStop']) {
    const h = obj(errs, lc[hook], at(path, hook));
    if (h) validateHandler(errs, h, at(path, hook), ['exec', 'httpGet', 'tcpSocket', 'sleep']);
  }
}

export type ContainerKind = 'app' | 'init';

/** One container of spec.containers or spec.initContainers; `names` gathers names across both. */
export function validateContainer(errs: Errs, c: Obj, path: string, kind: ContainerKind, volumes: Set<string>, names: Set<string>): void {
  const name = str(errs, c.name, at(path, 'name'));
  if (!name) errs.push(required(at(path, 'name')));
  else {
    invalidEach(errs, at(path, 'name'), name, isDNS1123Label(name));
    if (names.has(name)) errs.push(cause.duplicate(at(path, 'name'), name));
    names.add(name);
  }
  const image = str(errs, c.image, at(path, 'image'));
  if (!image) errs.push(required(at(path, 'image')));
  else if (image.trim() !== image) errs.push(cause.invalid(at(path, 'image'), image, 'must not have leading or trailing whitespace'));
  validateEnum(errs, c.terminationMessagePolicy, at(path, 'terminationMessagePolicy'), ['File', 'FallbackToLogsOnError']);
  validatePorts(errs, c.ports, at(path, 'ports'));
  validateEnv(errs, c.env, at(path, 'env'));
  validateEnvFrom(errs, c.envFrom, at(path, 'envFrom'));
  validateVolumeMounts(errs, c.volumeMounts, at(path, 'volumeMounts'), volumes);
  validateEnum(errs, c.imagePullPolicy, at(path, 'imagePullPolicy'), ['Always', 'IfNotPresent', 'Never']);
  validateResources(errs, c.resources, at(path, 'resources'));
  strList(errs, c.command, at(path, 'command'));
  strList(errs, c.args, at(path, 'args'));
  obj(errs, c.securityContext, at(path, 'securityContext'));
  const restartPolicy = str(errs, c.restartPolicy, at(path, 'restartPolicy'));
  const sidecar = kind === 'init' && restartPolicy === 'Always';
  if (kind === 'app' && restartPolicy !== undefined) errs.push(cause.forbidden(at(path, 'restartPolicy'), 'may not be set for non-init containers'));
  if (kind === 'init' && restartPolicy !== undefined && restartPolicy !== 'Always') errs.push(cause.notSupported(at(path, 'restartPolicy'), restartPolicy, ['Always']));
  if (kind === 'init' && !sidecar) {
    for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
      if (!absent(c[f])) errs.push(cause.forbidden(at(path, f), 'may not be set for init containers without restartPolicy=Always'));
    }
    return;
  }
  validateLifecycle(errs, c.lifecycle, at(path, 'lifecycle'));
  validateProbe(errs, c.livenessProbe, at(path, 'livenessProbe'), 'liveness');
  validateProbe(errs, c.readinessProbe, at(path, 'readinessProbe'), 'readiness');
  validateProbe(errs, c.startupProbe, at(path, 'startupProbe'), 'startup');
}
