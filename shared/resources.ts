// Resource references every component uses with the typed client and informers.
import type { ResourceRef } from './client.js';

const core = (plural: string, namespaced = true): ResourceRef => ({ group: '', version: 'v1', plural, namespaced });

export const R = {
  namespaces: core('namespaces', false),
  pods: core('pods'),
  services: core('services'),
  endpoints: core('endpoints'),
  nodes: core('nodes', false),
  events: core('events'),
  configmaps: core('configmaps'),
  secrets: core('secrets'),
  serviceaccounts: core('serviceaccounts'),
  persistentvolumes: core('persistentvolumes', false),
  persistentvolumeclaims: core('persistentvolumeclaims'),
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  replicasets: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  statefulsets: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  daemonsets: { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  jobs: { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  horizontalpodautoscalers: { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
} satisfies Record<string, ResourceRef>;

/** apiVersion/kind of the owner references controllers write. */
export const GVK = {
  Deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  ReplicaSet: { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  StatefulSet: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  DaemonSet: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  Job: { apiVersion: 'batch/v1', kind: 'Job' },
  Pod: { apiVersion: 'v1', kind: 'Pod' },
  Node: { apiVersion: 'v1', kind: 'Node' },
  Service: { apiVersion: 'v1', kind: 'Service' },
};
