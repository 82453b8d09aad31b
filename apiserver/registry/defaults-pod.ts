// Server-side defaults of pods and pod templates (pkg/apis/core/v1/defaults.go), plus
// what the pod strategy and the Priority and DefaultTolerationSeconds admission plugins
// add to a new pod: status phase and QoS class, priority and preemption policy, the
// not-ready/unreachable tolerations. Inputs are arbitrary JSON:
// anything of an unexpected shape is left for validation to report.

import { parseQuantity } from '../../shared/quantity.js';

type Obj = Record<string, any>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets obj[key] = value when the field is absent (undefined, null or ""). */
export function setDefault(obj: Obj, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
}

/** The object at obj[key], created empty when absent; undefined when something else is there. */
export function child(obj: Obj, key: string): Obj | undefined {
  if (obj[key] === undefined || obj[key] === null) obj[key] = {};
  return isObj(obj[key]) ? obj[key] : undefined;
}

function objects(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** The image's tag as the docker reference parser sees it; "" when unparsable or pinned by digest only. */
export function imageTag(image: unknown): string {
  if (typeof image !== 'string' || image === '' || /\s/.test(image)) return '';
  const at = image.indexOf('@');
  const named = at >= 0 ? image.slice(0, at) : image;
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? named.slice(0, colon) : named;
  const tag = hasTag ? named.slice(colon + 1) : '';
  const parts = name.split('/');
  const first = parts[0]!;
  const isDomain = parts.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  const path = isDomain ? parts.slice(1) : parts;
  const component = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
  if (path.length === 0 || !path.every((p) => component.test(p))) return '';
  if (hasTag && !/^[\w][\w.-]{0,127}$/.test(tag)) return '';
  if (!hasTag) return at >= 0 ? '' : 'latest';
  return tag;
}

function defaultHTTPGet(action: unknown): void {
  if (!isObj(action)) return;
  setDefault(action, 'path', '/');
  setDefault(action, 'scheme', 'HTTP');
}

function defaultProbe(probe: unknown): void {
  if (!isObj(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  defaultHTTPGet(probe.httpGet);
}

function defaultFieldRef(ref: unknown): void {
  if (isObj(ref)) setDefault(ref, 'apiVersion', 'v1');
}

function defaultResourceFieldRef(ref: unknown): void {
  if (isObj(ref)) setDefault(ref, 'divisor', '0');
}

function defaultContainer(c: Obj, hostNetwork: boolean): void {
  if (c.imagePullPolicy === undefined || c.imagePullPolicy === null || c.imagePullPolicy === '') {
    c.imagePullPolicy = imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent';
  }
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  child(c, 'resources');
  for (const p of objects(c.ports)) {
    setDefault(p, 'protocol', 'TCP');
    if (hostNetwork && (p.hostPort === undefined || p.hostPort === null || p.hostPort === 0)) p.hostPort = p.containerPort;
  }
  for (const e of objects(c.env)) {
    if (!isObj(e.valueFrom)) continue;
    defaultFieldRef(e.valueFrom.fieldRef);
    defaultResourceFieldRef(e.valueFrom.resourceFieldRef);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObj(c.lifecycle)) {
    for (const h of [c.lifecycle.postStart, c.lifecycle.preStop]) if (isObj(h)) defaultHTTPGet(h.httpGet);
  }
}

function defaultDownwardAPIItems(items: unknown): void {
  for (const item of objects(items)) {
    defaultFieldRef(item.fieldRef);
    defaultResourceFieldRef(item.resourceFieldRef);
  }
}

function defaultVolume(v: Obj): void {
  const sources = Object.keys(v).filter((k) => k !== 'name' && v[k] !== undefined && v[k] !== null);
  if (sources.length === 0) v.emptyDir = {};
  for (const key of ['configMap', 'secret', 'downwardAPI', 'projected']) {
    if (isObj(v[key])) setDefault(v[key], 'defaultMode', 420);
  }
  if (isObj(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = '';
  if (isObj(v.downwardAPI)) defaultDownwardAPIItems(v.downwardAPI.items);
  if (isObj(v.projected)) {
    for (const s of objects(v.projected.sources)) {
      if (isObj(s.downwardAPI)) defaultDownwardAPIItems(s.downwardAPI.items);
      if (isObj(s.serviceAccountToken)) setDefault(s.serviceAccountToken, 'expirationSeconds', 3600);
    }
  }
}

/** SetDefaults_PodSpec and everything nested in it; used for pods and pod templates alike. */
export function applyPodSpecDefaults(spec: Obj, opts: { hostNetworkPorts: boolean } = { hostNetworkPorts: false }): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  child(spec, 'securityContext');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  const hostNetwork = opts.hostNetworkPorts && spec.hostNetwork === true;
  for (const c of [...objects(spec.initContainers), ...objects(spec.containers)]) defaultContainer(c, hostNetwork);
  for (const c of objects(spec.ephemeralContainers)) defaultContainer(c, false);
  for (const v of objects(spec.volumes)) defaultVolume(v);
}

/** The template of a workload: the pod spec defaults, without any pod status. */
export function applyPodTemplateDefaults(template: unknown): void {
  if (!isObj(template)) return;
  const spec = child(template, 'spec');
  if (spec) applyPodSpecDefaults(spec);
}

/** Priorities of the built-in priority classes the Priority admission plugin resolves. */
const SYSTEM_PRIORITIES: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

/** SetDefaults_Pod, SetDefaults_PodSpec, and the status and priority a new pod starts with. */
export function applyPodDefaults(pod: Obj): void {
  const spec = child(pod, 'spec');
  if (!spec) return;
  // Requests default to limits for each resource that has a limit and no request.
  for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) {
    const res = child(c, 'resources');
    if (!res || !isObj(res.limits)) continue;
    const requests = child(res, 'requests');
    if (!requests) continue;
    for (const [k, v] of Object.entries(res.limits)) if (!(k in requests)) requests[k] = v;
  }
  setDefault(spec, 'enableServiceLinks', true);
  applyPodSpecDefaults(spec, { hostNetworkPorts: true });
  const className = spec.priorityClassName;
  if (className === undefined || className === null || className === '') setDefault(spec, 'priority', 0);
  else if (typeof className === 'string' && className in SYSTEM_PRIORITIES) setDefault(spec, 'priority', SYSTEM_PRIORITIES[className]);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  const status = child(pod, 'status');
  if (!status) return;
  if (status.phase === undefined || status.phase === null || status.phase === '') {
    status.phase = 'Pending';
    status.qosClass = computePodQOS(spec);
  } else setDefault(status, 'qosClass', computePodQOS(spec));
}

function positive(q: unknown): number {
  if (typeof q !== 'string' && typeof q !== 'number') return 0;
  try {
    return Math.max(0, parseQuantity(q));
  } catch {
    return 0;
  }
}

/** The pod's QoS class, as GetPodQOS computes it from cpu and memory of every container. */
export function computePodQOS(spec: Obj): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) {
    const res = isObj(c.resources) ? c.resources : {};
    const found = new Set<string>();
    for (const name of ['cpu', 'memory']) {
      const req = positive(isObj(res.requests) ? res.requests[name] : undefined);
      if (req > 0) requests.set(name, (requests.get(name) ?? 0) + req);
      const lim = positive(isObj(res.limits) ? res.limits[name] : undefined);
      if (lim > 0) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0) + lim);
      }
    }
    if (found.size < 2) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
