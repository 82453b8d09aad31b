// The LimitRanger admission plugin (plugin/pkg/admission/limitranger): a new pod's
// containers get the default requests and limits of the namespace's LimitRanges (type
// Container), recorded in the `kubernetes.io/limit-ranger` annotation; then pods and
// claims are checked against min, max and maxLimitRequestRatio with upstream's messages.
import type { KubeObject } from '../../shared/types.js';
import { core, forbidden, isObj, objects, type AdmissionPlugin, type Attributes, type ObjectReader } from './interface.js';
import { podResources } from './quota/pods.js';
import { format, fromJSON, type Amount, type ResourceList } from './quota/resource-list.js';

type Obj = Record<string, any>;

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

/** SetDefaults_LimitRangeItem: a Container item's default falls back to max, defaultRequest to default, then min. */
export function defaultLimitRangeItem(item: Obj): Obj {
  const out = structuredClone(item);
  if (out.type !== 'Container') return out;
  const def: Obj = isObj(out.default) ? out.default : {};
  const defReq: Obj = isObj(out.defaultRequest) ? out.defaultRequest : {};
  for (const [k, v] of Object.entries(isObj(out.max) ? out.max : {})) if (!(k in def)) def[k] = v;
  for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
  for (const [k, v] of Object.entries(isObj(out.min) ? out.min : {})) if (!(k in defReq)) defReq[k] = v;
  out.default = def;
  out.defaultRequest = defReq;
  return out;
}

function items(lr: KubeObject): Obj[] {
  return objects(lr.spec?.limits).map(defaultLimitRangeItem);
}

/** defaultContainerResourceRequirements: the last Container item of a LimitRange wins per resource. */
function containerDefaults(lr: KubeObject): { requests: Obj; limits: Obj } {
  const requests: Obj = {};
  const limits: Obj = {};
  for (const item of items(lr)) {
    if (item.type !== 'Container') continue;
    Object.assign(requests, item.defaultRequest);
    Object.assign(limits, item.default);
  }
  return { requests, limits };
}

/** mergePodResourceRequirements: fills what each container leaves out and annotates what was set. */
export function applyContainerDefaults(pod: KubeObject, defaults: { requests: Obj; limits: Obj }): void {
  const notes: string[] = [];
  const merge = (c: Obj, prefix: string) => {
    if (!isObj(c.resources)) c.resources = {};
    const res = c.resources;
    if (!isObj(res.limits)) res.limits = {};
    if (!isObj(res.requests)) res.requests = {};
    const setLimits: string[] = [];
    const setRequests: string[] = [];
    for (const [k, v] of Object.entries(defaults.limits)) {
      if (!(k in res.limits)) {
        res.limits[k] = v;
        setLimits.push(k);
      }
    }
    for (const [k, v] of Object.entries(defaults.requests)) {
      if (!(k in res.requests)) {
        res.requests[k] = v;
        setRequests.push(k);
      }
    }
    if (Object.keys(res.limits).length === 0) delete res.limits;
    if (Object.keys(res.requests).length === 0) delete res.requests;
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${prefix} ${c.name}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${c.name}`);
  };
  const spec: Obj = isObj(pod.spec) ? pod.spec : {};
  for (const c of objects(spec.containers)) merge(c, 'container');
  for (const c of objects(spec.initContainers)) merge(c, 'init container');
  if (notes.length) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
}

const str = (a: Amount) => format(a);

function minConstraint(type: string, name: string, enforced: Amount, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!req) return `minimum ${name} usage per ${type} is ${str(enforced)}.  No request is specified`;
  if (req.milli < enforced.milli) return `minimum ${name} usage per ${type} is ${str(enforced)}, but request is ${str(req)}`;
  if (lim && lim.milli < enforced.milli) return `minimum ${name} usage per ${type} is ${str(enforced)}, but limit is ${str(lim)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: Amount, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!lim) return `maximum ${name} usage per ${type} is ${str(enforced)}.  No limit is specified`;
  if (lim.milli > enforced.milli) return `maximum ${name} usage per ${type} is ${str(enforced)}, but limit is ${str(lim)}`;
  if (req && req.milli > enforced.milli) return `maximum ${name} usage per ${type} is ${str(enforced)}, but request is ${str(req)}`;
  return undefined;
}

/** maxRequestConstraint: a claim's max applies to what it requests (claims have no limits). */
function maxRequestConstraint(type: string, name: string, enforced: Amount, requests: ResourceList): string | undefined {
  const req = requests.get(name);
  if (!req) return `maximum ${name} usage per ${type} is ${str(enforced)}.  No request is specified`;
  if (req.milli > enforced.milli) return `maximum ${name} usage per ${type} is ${str(enforced)}, but request is ${str(req)}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, enforced: Amount, requests: ResourceList, limits: ResourceList): string | undefined {
  const req = requests.get(name);
  const lim = limits.get(name);
  if (!req || req.milli === 0n) return `${name} max limit to request ratio per ${type} is ${str(enforced)}, but no request is specified or request is 0`;
  if (!lim || lim.milli === 0n) return `${name} max limit to request ratio per ${type} is ${str(enforced)}, but no limit is specified or limit is 0`;
  const ratio = Number(lim.milli) / Number(req.milli);
  if (ratio * 1000 > Number(enforced.milli)) return `${name} max limit to request ratio per ${type} is ${str(enforced)}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

/** min, max and ratio of one item against one set of requests and limits, in the item's key order. */
function checkItem(item: Obj, requests: ResourceList, limits: ResourceList, errs: string[]): void {
  const type = String(item.type);
  const push = (e: string | undefined) => e && errs.push(e);
  for (const [k, v] of fromJSON(item.min)) push(minConstraint(type, k, v, requests, limits));
  for (const [k, v] of fromJSON(item.max)) push(maxConstraint(type, k, v, requests, limits));
  for (const [k, v] of fromJSON(item.maxLimitRequestRatio)) push(ratioConstraint(type, k, v, requests, limits));
}

/** PodValidateLimitFunc and PersistentVolumeClaimValidateLimitFunc for one LimitRange. */
export function limitViolations(lr: KubeObject, plural: string, obj: KubeObject): string[] {
  const errs: string[] = [];
  const spec: Obj = isObj(obj.spec) ? obj.spec : {};
  for (const item of items(lr)) {
    if (plural === 'pods' && item.type === 'Container') {
      for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) {
        const res = isObj(c.resources) ? c.resources : {};
        checkItem(item, fromJSON(res.requests), fromJSON(res.limits), errs);
      }
    }
    if (plural === 'pods' && item.type === 'Pod') {
      const { overhead: _overhead, ...withoutOverhead } = spec;
      checkItem(item, podResources(withoutOverhead, 'requests'), podResources(withoutOverhead, 'limits'), errs);
    }
    if (plural === 'persistentvolumeclaims' && item.type === 'PersistentVolumeClaim') {
      const requests = fromJSON(spec.resources?.requests);
      for (const [k, v] of fromJSON(item.min)) {
        const e = minConstraint('PersistentVolumeClaim', k, v, requests, new Map());
        if (e) errs.push(e);
      }
      for (const [k, v] of fromJSON(item.max)) {
        const e = maxRequestConstraint('PersistentVolumeClaim', k, v, requests);
        if (e) errs.push(e);
      }
    }
  }
  return errs;
}

/** utilerrors.NewAggregate(errs).Error(). */
function aggregate(errs: string[]): string {
  return errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`;
}

export function limitRanger(reader: ObjectReader): AdmissionPlugin {
  const limitRanges = core('limitranges');
  const isPod = (a: Attributes) => !a.resource.group && a.resource.plural === 'pods';
  const isClaim = (a: Attributes) => !a.resource.group && a.resource.plural === 'persistentvolumeclaims';
  // Containers cannot change after create, so pods are only looked at on create.
  const supports = (a: Attributes) =>
    !a.subresource && !!a.object && (a.operation === 'CREATE' || a.operation === 'UPDATE') && ((isPod(a) && a.operation === 'CREATE') || isClaim(a)) && !a.oldObject?.metadata.deletionTimestamp;
  return {
    name: 'LimitRanger',
    admit(a) {
      if (!supports(a) || !isPod(a)) return;
      for (const lr of reader.list(limitRanges, a.namespace)) applyContainerDefaults(a.object!, containerDefaults(lr));
    },
    validate(a) {
      if (!supports(a)) return;
      for (const lr of reader.list(limitRanges, a.namespace)) {
        const errs = limitViolations(lr, a.resource.plural, a.object!);
        if (errs.length) throw forbidden(a, aggregate(errs));
      }
    },
  };
}
