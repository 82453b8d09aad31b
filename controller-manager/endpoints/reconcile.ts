// The endpoints controller's sync (pkg/controller/endpoint syncService): the Endpoints
// of a Service with a selector list the matching pods' IPs, ready ones in addresses and
// the rest in notReadyAddresses, for every service port resolved on each pod. Written
// only when it changes; deleted with the Service. Services without a selector (and
// ExternalName services) are left to whoever writes their Endpoints.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import type { EventRecorder } from '../../shared/events.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import {
  endpointPortFromServicePort,
  type EndpointSubset,
  findPort,
  isPodReady,
  podToEndpointAddress,
  repackSubsets,
  type ServicePort,
  shouldPodBeInEndpoints,
  truncateSubsets,
} from './subsets.js';

export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

export interface EndpointsDeps {
  client: Client;
  recorder: EventRecorder;
  log: Logger;
  getService(key: string): KubeObject | undefined;
  getEndpoints(key: string): KubeObject | undefined;
  podsInNamespace(namespace: string): KubeObject[];
}

/** A selector the controller acts on: a non-empty map (nil or {} mean "managed elsewhere"). */
export function serviceSelector(svc: KubeObject): Record<string, string> | undefined {
  if (svc.spec?.type === 'ExternalName') return undefined;
  const sel = svc.spec?.selector as Record<string, string> | undefined;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

/** The subsets the service's pods make, repacked and sorted. */
export function desiredSubsets(svc: KubeObject, pods: KubeObject[]): EndpointSubset[] {
  const selector = serviceSelector(svc);
  if (!selector) return [];
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const ports: ServicePort[] = svc.spec?.ports ?? [];
  const headless = svc.spec?.clusterIP === 'None';
  const subsets: EndpointSubset[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== svc.metadata.namespace || !selects(selector, pod.metadata.labels)) continue;
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr = podToEndpointAddress(pod, svc);
    const ready = publishNotReady || isPodReady(pod);
    const add = (subsetPorts: EndpointSubset['ports']) =>
      subsets.push({ ...(ready ? { addresses: [addr] } : { notReadyAddresses: [addr] }), ...(subsetPorts ? { ports: subsetPorts } : {}) });
    if (ports.length === 0) {
      // A headless service may have no ports: its endpoints are bare addresses.
      if (headless) add(undefined);
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      add([endpointPortFromServicePort(sp, port)]);
    }
  }
  return repackSubsets(subsets);
}

function desiredLabels(svc: KubeObject): Record<string, string> {
  const labels = { ...(svc.metadata.labels ?? {}) };
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') labels[HEADLESS_LABEL] = '';
  return labels;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

export async function reconcileEndpoints(key: string, deps: EndpointsDeps): Promise<void> {
  const [namespace, name] = splitKey(key);
  const svc = deps.getService(key);
  if (!svc) return deleteOrphanedEndpoints(namespace, name, deps);
  if (!serviceSelector(svc)) return;

  const subsets = desiredSubsets(svc, deps.podsInNamespace(namespace));
  const truncated = truncateSubsets(subsets);
  const labels = desiredLabels(svc);
  const current = deps.getEndpoints(key);
  const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
  delete annotations[TRIGGER_TIME_ANNOTATION];
  if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
  else delete annotations[OVER_CAPACITY_ANNOTATION];

  if (
    current &&
    isDeepStrictEqual(current.subsets ?? [], subsets) &&
    isDeepStrictEqual(current.metadata.labels ?? {}, labels) &&
    isDeepStrictEqual(current.metadata.annotations ?? {}, annotations)
  ) {
    return;
  }
  const meta = { ...(Object.keys(labels).length ? { labels } : {}), ...(Object.keys(annotations).length ? { annotations } : {}) };
  try {
    if (!current) {
      await deps.client.create(R.endpoints, namespace, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, ...meta }, subsets });
      deps.log.debug({ key }, 'created endpoints');
    } else {
      const { annotations: _annotations, labels: _labels, ...rest } = current.metadata;
      await deps.client.update(R.endpoints, { ...current, metadata: { ...rest, ...meta }, subsets });
      deps.log.debug({ key }, 'updated endpoints');
    }
  } catch (err) {
    // A namespace being deleted refuses new content; the namespace controller cleans up.
    if (isApiError(err) && err.code === 403 && /being terminated/.test(err.message)) return;
    const verb = current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint';
    if (!(isApiError(err) && err.code === 409)) {
      deps.recorder.event(svc, 'Warning', verb, `Failed to ${current ? 'update' : 'create'} endpoint ${key}: ${(err as Error).message}`);
    }
    throw err;
  }
}

/**
 * The Service is gone from the cache: delete its Endpoints. The live read first guards
 * against a service informer that lags the endpoints informer (a freshly created
 * selector-less Service whose hand-written Endpoints arrived first).
 */
async function deleteOrphanedEndpoints(namespace: string, name: string, deps: EndpointsDeps): Promise<void> {
  try {
    await deps.client.get(R.services, namespace, name);
    return;
  } catch (err) {
    if (!(isApiError(err) && err.code === 404)) throw err;
  }
  try {
    await deps.client.delete(R.endpoints, namespace, name);
    deps.log.debug({ key: `${namespace}/${name}` }, 'deleted endpoints of a deleted service');
  } catch (err) {
    if (isApiError(err) && err.code === 404) return;
    throw err;
  }
}
