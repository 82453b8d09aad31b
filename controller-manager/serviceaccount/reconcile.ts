// The ServiceAccount controller's sync (pkg/controller/serviceaccount syncNamespace):
// every active namespace has a `default` ServiceAccount, which new pods run as.
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export interface ServiceAccountsDeps {
  client: Client;
  getNamespace(name: string): KubeObject | undefined;
  getServiceAccount(key: string): KubeObject | undefined;
}

/** Ensures namespace `name` has its default ServiceAccount; a namespace that is gone or terminating gets nothing. */
export async function reconcileServiceAccounts(name: string, deps: ServiceAccountsDeps): Promise<void> {
  const ns = deps.getNamespace(name);
  if (!ns || ns.status?.phase !== 'Active') return;
  if (deps.getServiceAccount(`${name}/${DEFAULT_SERVICE_ACCOUNT}`)) return;
  try {
    await deps.client.create(R.serviceaccounts, name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: name } });
  } catch (err) {
    if (isApiError(err) && err.code === 409 && err.reason === 'AlreadyExists') return;
    // A namespace that started terminating meanwhile needs nothing more.
    if (isApiError(err) && err.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return;
    throw err;
  }
}
