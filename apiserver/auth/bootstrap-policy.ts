// The bootstrap RBAC policy (bootstrappolicy.ClusterRoles/ClusterRoleBindings) and its
// reconciliation at apiserver start (the rbac/bootstrap-roles post-start hook): a missing
// object is created; an existing one still annotated autoupdate=true gets the rules,
// subjects, labels and annotations it lacks (never loses any: upstream's additive
// reconcile); a binding whose roleRef differs is deleted and created again, since
// roleRef is immutable.

import { isDeepStrictEqual } from 'node:util';
import { clusterRoleRules } from './rbac.js';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Subject } from './rbac-rules.js';
import {
  AUTOUPDATE_ANNOTATION,
  BOOTSTRAP_LABEL,
  BOOTSTRAP_LABEL_VALUE,
  bootstrapClusterRoles,
} from './bootstrap-roles.js';

export { AUTOUPDATE_ANNOTATION, BOOTSTRAP_LABEL, BOOTSTRAP_LABEL_VALUE, nodeRules } from './bootstrap-roles.js';

const RBAC_API_VERSION = 'rbac.authorization.k8s.io/v1';
const RBAC_GROUP = 'rbac.authorization.k8s.io';

const user = (name: string): Subject => ({ kind: 'User', apiGroup: RBAC_GROUP, name });
const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });
const serviceAccount = (namespace: string, name: string): Subject => ({ kind: 'ServiceAccount', namespace, name });

function binding(name: string, role: string, subjects: Subject[]): ClusterRoleBinding {
  return {
    metadata: { name, labels: { [BOOTSTRAP_LABEL]: BOOTSTRAP_LABEL_VALUE }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects,
  };
}

/** The ClusterRoles, as API objects; aggregated roles carry the rules they aggregate. */
export function bootstrapClusterRoleObjects(): Array<ClusterRole & { apiVersion: string; kind: string }> {
  const roles = bootstrapClusterRoles();
  return roles.map((r) => ({
    apiVersion: RBAC_API_VERSION,
    kind: 'ClusterRole',
    ...r,
    rules: r.aggregationRule ? clusterRoleRules(r, () => roles) : r.rules,
  }));
}

/** The ClusterRoleBindings, as API objects. */
export function bootstrapClusterRoleBindingObjects(): Array<ClusterRoleBinding & { apiVersion: string; kind: string }> {
  const bindings = [
    binding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    binding('system:monitoring', 'system:monitoring', [group('system:monitoring')]),
    binding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    binding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    binding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
    binding('system:node-proxier', 'system:node-proxier', [user('system:kube-proxy')]),
    binding('system:kube-controller-manager', 'system:kube-controller-manager', [user('system:kube-controller-manager')]),
    binding('system:kube-dns', 'system:kube-dns', [serviceAccount('kube-system', 'kube-dns')]),
    binding('system:skiff-dns', 'system:skiff-dns', [user('system:skiff-dns')]),
    binding('system:kube-scheduler', 'system:kube-scheduler', [user('system:kube-scheduler')]),
    binding('system:volume-scheduler', 'system:volume-scheduler', [user('system:kube-scheduler')]),
    // Kept without subjects, as upstream: kubelets are authorized by the Node authorizer.
    binding('system:node', 'system:node', []),
    binding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
  ];
  return bindings.map((b) => ({ apiVersion: RBAC_API_VERSION, kind: 'ClusterRoleBinding', ...b }));
}

/** The few calls reconciliation needs; the apiserver's registry or a client implements them. */
export interface PolicyStore {
  /** The stored object, or undefined when there is none. */
  get(resource: 'clusterroles' | 'clusterrolebindings', name: string): Promise<StoredPolicy | undefined>;
  create(resource: 'clusterroles' | 'clusterrolebindings', obj: object): Promise<unknown>;
  /** A full update guarded by obj.metadata.resourceVersion. */
  update(resource: 'clusterroles' | 'clusterrolebindings', obj: object): Promise<unknown>;
  delete(resource: 'clusterroles' | 'clusterrolebindings', name: string): Promise<unknown>;
}

export type StoredPolicy = (ClusterRole | ClusterRoleBinding) & { metadata: { resourceVersion?: string } };

export interface ReconcileResult {
  created: string[];
  updated: string[];
  /** Skipped because their autoupdate annotation is "false". */
  skipped: string[];
}

function mergeMap(into: Record<string, string> | undefined, from: Record<string, string> | undefined): Record<string, string> {
  return { ...(from ?? {}), ...(into ?? {}) };
}

function addMissing<T>(have: T[] | undefined, want: T[] | undefined): T[] {
  const out = [...(have ?? [])];
  for (const w of want ?? []) if (!out.some((h) => isDeepStrictEqual(h, w))) out.push(w);
  return out;
}

function autoupdate(obj: StoredPolicy): boolean {
  return obj.metadata.annotations?.[AUTOUPDATE_ANNOTATION] !== 'false';
}

/** Creates what is missing and adds what is lacking; returns what it did, by resource/name. */
export async function ensureBootstrapPolicy(store: PolicyStore): Promise<ReconcileResult> {
  const result: ReconcileResult = { created: [], updated: [], skipped: [] };
  for (const want of bootstrapClusterRoleObjects()) {
    const key = `clusterroles/${want.metadata.name}`;
    const have = (await store.get('clusterroles', want.metadata.name)) as (ClusterRole & StoredPolicy) | undefined;
    if (!have) {
      await store.create('clusterroles', want);
      result.created.push(key);
      continue;
    }
    if (!autoupdate(have)) {
      result.skipped.push(key);
      continue;
    }
    const next = structuredClone(have) as ClusterRole & StoredPolicy;
    next.metadata.labels = mergeMap(have.metadata.labels, want.metadata.labels);
    next.metadata.annotations = mergeMap(have.metadata.annotations, want.metadata.annotations);
    const rules = addMissing<PolicyRule>(have.rules, want.rules);
    if (rules.length !== (have.rules?.length ?? 0)) next.rules = rules;
    if (want.aggregationRule && !have.aggregationRule) next.aggregationRule = want.aggregationRule;
    if (!isDeepStrictEqual(next, have)) {
      await store.update('clusterroles', next);
      result.updated.push(key);
    }
  }
  for (const want of bootstrapClusterRoleBindingObjects()) {
    const key = `clusterrolebindings/${want.metadata.name}`;
    const have = (await store.get('clusterrolebindings', want.metadata.name)) as (ClusterRoleBinding & StoredPolicy) | undefined;
    if (!have) {
      await store.create('clusterrolebindings', want);
      result.created.push(key);
      continue;
    }
    if (!autoupdate(have)) {
      result.skipped.push(key);
      continue;
    }
    if (!isDeepStrictEqual(have.roleRef, want.roleRef)) {
      // roleRef is immutable: the binding is replaced, keeping the subjects it had.
      await store.delete('clusterrolebindings', want.metadata.name);
      await store.create('clusterrolebindings', { ...want, subjects: addMissing(have.subjects, want.subjects) });
      result.updated.push(key);
      continue;
    }
    const next = structuredClone(have) as ClusterRoleBinding & StoredPolicy;
    next.metadata.labels = mergeMap(have.metadata.labels, want.metadata.labels);
    next.metadata.annotations = mergeMap(have.metadata.annotations, want.metadata.annotations);
    const subjects = addMissing(have.subjects, want.subjects);
    if (subjects.length !== (have.subjects?.length ?? 0)) next.subjects = subjects;
    if (!isDeepStrictEqual(next, have)) {
      await store.update('clusterrolebindings', next);
      result.updated.push(key);
    }
  }
  return result;
}
