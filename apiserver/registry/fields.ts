// The field labels each resource supports in fieldSelector, as Kubernetes' GetAttrs do.
import { errors } from '../../shared/errors.js';
import type { FieldRequirement } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import type { ResourceInfo } from './resources.js';

type FieldFn = (o: any) => unknown;

const common: Record<string, FieldFn> = {
  'metadata.name': (o) => o.metadata?.name,
  'metadata.namespace': (o) => o.metadata?.namespace,
};

const perResource: Record<string, Record<string, FieldFn>> = {
  pods: {
    'spec.nodeName': (o) => o.spec?.nodeName,
    'spec.restartPolicy': (o) => o.spec?.restartPolicy,
    'spec.schedulerName': (o) => o.spec?.schedulerName,
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName,
    'spec.hostNetwork': (o) => String(o.spec?.hostNetwork ?? false),
    'status.phase': (o) => o.status?.phase,
    'status.podIP': (o) => o.status?.podIP,
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName,
  },
  events: {
    'involvedObject.kind': (o) => o.involvedObject?.kind,
    'involvedObject.namespace': (o) => o.involvedObject?.namespace,
    'involvedObject.name': (o) => o.involvedObject?.name,
    'involvedObject.uid': (o) => o.involvedObject?.uid,
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion,
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion,
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath,
    reason: (o) => o.reason,
    reportingComponent: (o) => o.reportingComponent,
    source: (o) => o.source?.component ?? o.reportingComponent,
    type: (o) => o.type,
  },
  nodes: { 'spec.unschedulable': (o) => String(o.spec?.unschedulable ?? false) },
  namespaces: { 'status.phase': (o) => o.status?.phase },
  secrets: { type: (o) => o.type },
  replicasets: { 'status.replicas': (o) => String(o.status?.replicas ?? 0) },
  jobs: { 'status.successful': (o) => String(o.status?.succeeded ?? 0) },
  persistentvolumeclaims: {},
};

/** Rejects field labels the resource does not support, with Kubernetes' message. */
export function checkFieldSelector(r: ResourceInfo, reqs: FieldRequirement[]): void {
  const known = perResource[r.plural] ?? {};
  for (const req of reqs) {
    if (!(req.field in common) && !(req.field in known)) {
      throw errors.badRequest(`field label not supported: ${req.field}`);
    }
  }
}

export function fieldsOf(r: ResourceInfo, obj: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const fns = { ...common, ...(perResource[r.plural] ?? {}) };
  for (const [k, fn] of Object.entries(fns)) {
    const v = fn(obj);
    out[k] = v === undefined || v === null ? '' : String(v);
  }
  return out;
}
