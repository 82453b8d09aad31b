// The root CA certificate publisher's sync (pkg/controller/certificates/rootcacertpublisher
// syncNamespace): every active namespace holds the ConfigMap `kube-root-ca.crt` whose `ca.crt`
// is the CA bundle that verifies the apiserver, with a description annotation. A missing one
// is created, one with other data (or without the annotation) is put back as it should be.
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const ROOT_CA_KEY = 'ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface RootCAPublisherDeps {
  client: Client;
  /** The PEM bundle to publish; empty while the apiserver serves plain HTTP (no --root-ca-file). */
  rootCA: string;
  getNamespace(name: string): KubeObject | undefined;
  /** The cached ConfigMap by `namespace/name`. */
  getConfigMap(key: string): KubeObject | undefined;
}

const sameData = (data: unknown, want: Record<string, string>) => {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as Record<string, unknown>;
  return Object.keys(d).length === 1 && d[ROOT_CA_KEY] === want[ROOT_CA_KEY];
};

/** Converges namespace `name`'s kube-root-ca.crt; a namespace that is gone or terminating gets nothing. */
export async function reconcileRootCA(name: string, deps: RootCAPublisherDeps): Promise<void> {
  const ns = deps.getNamespace(name);
  if (!ns || ns.status?.phase === 'Terminating' || ns.metadata.deletionTimestamp) return;
  const data = { [ROOT_CA_KEY]: deps.rootCA };
  const cm = deps.getConfigMap(`${name}/${ROOT_CA_CONFIGMAP}`);
  if (!cm) {
    try {
      await deps.client.create(R.configmaps, name, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIGMAP, namespace: name, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
        data,
      });
    } catch (err) {
      // Not retried when the namespace is gone or terminating; an AlreadyExists means the
      // cache is behind: its add event requeues the namespace.
      if (isApiError(err) && (err.code === 404 || (err.code === 409 && err.reason === 'AlreadyExists'))) return;
      if (isApiError(err) && err.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return;
      throw err;
    }
    return;
  }
  if (sameData(cm.data, data) && cm.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return;
  // A copy: the cached object is never mutated. The update carries its resourceVersion, so a
  // concurrent change is a 409 and the sync runs again from the newer cache.
  const copy: KubeObject = structuredClone(cm);
  copy.data = data;
  copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION };
  await deps.client.update(R.configmaps, copy);
}
