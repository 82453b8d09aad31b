// The one table of resources the apiserver serves. Routes, discovery, openapi and
// storage keys are all generated from it: adding a resource is one entry.

export type Subresource = 'status' | 'scale' | 'binding' | 'finalize' | 'log' | 'exec' | 'attach' | 'portforward' | 'token';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural lower-case name used in paths: `pods`. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources: Subresource[];
  /** metadata.generation counts spec changes. */
  generation?: boolean;
  /** A create keeps the status the client sent (nodes register with theirs). */
  keepStatusOnCreate?: boolean;
  /**
   * Served from the storage of this other version of the same resource, converted on the
   * way in and out (conversion/scheme.ts), as kube-apiserver serves autoscaling/v1
   * HorizontalPodAutoscalers from their autoscaling/v2 storage. The entry of the stored
   * version comes first in the table: it is the group's preferred version.
   */
  storageVersion?: string;
}

const all = ['all'];

export const RESOURCES: ResourceInfo[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'] },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], categories: all, subresources: ['status', 'binding', 'log', 'exec', 'attach', 'portforward'] },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', singular: 'service', namespaced: true, shortNames: ['svc'], categories: all, subresources: ['status'] },
  { group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'], subresources: [] },
  { group: '', version: 'v1', kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'], subresources: ['status'], keepStatusOnCreate: true },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', singular: 'event', namespaced: true, shortNames: ['ev'], subresources: [], keepStatusOnCreate: true },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'], subresources: [] },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', singular: 'secret', namespaced: true, subresources: [] },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'], subresources: ['token'] },
  { group: '', version: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', singular: 'persistentvolume', namespaced: false, shortNames: ['pv'], subresources: ['status'] },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', namespaced: true, shortNames: ['pvc'], subresources: ['status'] },
  { group: '', version: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', singular: 'resourcequota', namespaced: true, shortNames: ['quota'], subresources: ['status'] },
  { group: '', version: 'v1', kind: 'LimitRange', plural: 'limitranges', singular: 'limitrange', namespaced: true, shortNames: ['limits'], subresources: [] },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: all, subresources: ['status', 'scale'], generation: true },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: all, subresources: ['status', 'scale'], generation: true },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', singular: 'statefulset', namespaced: true, shortNames: ['sts'], categories: all, subresources: ['status', 'scale'], generation: true },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', singular: 'daemonset', namespaced: true, shortNames: ['ds'], categories: all, subresources: ['status'], generation: true },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', singular: 'job', namespaced: true, categories: all, subresources: ['status'], generation: true },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', namespaced: true, shortNames: ['hpa'], categories: all, subresources: ['status'], generation: true },
  { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', namespaced: true, shortNames: ['hpa'], categories: all, subresources: ['status'], generation: true, storageVersion: 'v2' },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', singular: 'lease', namespaced: true, subresources: [] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', singular: 'clusterrolebinding', namespaced: false, subresources: [] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', singular: 'clusterrole', namespaced: false, subresources: [] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', singular: 'rolebinding', namespaced: true, subresources: [] },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', singular: 'role', namespaced: true, subresources: [] },
];

const byPath = new Map<string, ResourceInfo>();
for (const r of RESOURCES) byPath.set(`${r.group}/${r.version}/${r.plural}`, r);

export function lookupResource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return byPath.get(`${group}/${version}/${plural}`);
}

export function apiVersionOf(r: ResourceInfo): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Group versions served, core first, in discovery order. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Set<string>();
  const out: { group: string; version: string }[] = [];
  for (const r of RESOURCES) {
    const k = `${r.group}/${r.version}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ group: r.group, version: r.version });
    }
  }
  return out;
}

/** Storage key of DESIGN.md: `/registry/{group}/{resource}/{namespace}/{name}`. */
export function storageKey(r: ResourceInfo, namespace: string | undefined, name: string): string {
  const g = r.group || 'core';
  return r.namespaced ? `/registry/${g}/${r.plural}/${namespace}/${name}` : `/registry/${g}/${r.plural}/${name}`;
}

/** Prefix for a list: one namespace, or every namespace when namespace is undefined. */
export function storagePrefix(r: ResourceInfo, namespace: string | undefined): string {
  const g = r.group || 'core';
  return r.namespaced && namespace ? `/registry/${g}/${r.plural}/${namespace}/` : `/registry/${g}/${r.plural}/`;
}

export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
