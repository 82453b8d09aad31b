// The NamespaceLifecycle admission plugin (plugin/pkg/admission/namespace/lifecycle):
// nothing is written into a namespace that does not exist, nothing new into one being
// terminated, and the namespaces the cluster cannot do without are never deleted.
import { errors } from '../../shared/errors.js';
import { core, forbidden, type AdmissionPlugin, type ObjectReader } from './interface.js';

/** Namespaces kube-apiserver refuses to delete. */
export const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** Requests that answer about access and must not leak whether a namespace exists. */
const ACCESS_REVIEWS = new Set(['authorization.k8s.io/localsubjectaccessreviews']);

export function namespaceLifecycle(reader: ObjectReader): AdmissionPlugin {
  const namespaces = core('namespaces');
  return {
    name: 'NamespaceLifecycle',
    validate(a) {
      const r = a.resource;
      if (!r.group && r.plural === 'namespaces') {
        if (a.operation === 'DELETE' && IMMORTAL_NAMESPACES.has(a.name)) throw forbidden(a, 'this namespace may not be deleted');
        return;
      }
      // Deletes of content always go through: the namespace controller empties namespaces that way.
      if (a.operation === 'DELETE' || !a.namespace) return;
      if (ACCESS_REVIEWS.has(`${r.group}/${r.plural}`)) return;
      const ns = reader.get(namespaces, undefined, a.namespace);
      if (!ns) throw errors.notFound('namespaces', '', a.namespace);
      if (a.operation === 'CREATE' && ns.status?.phase === 'Terminating') {
        throw forbidden(a, `unable to create new content in namespace ${a.namespace} because it is being terminated`, [
          { reason: 'NamespaceTerminating', message: `namespace ${a.namespace} is being terminated`, field: 'metadata.namespace' },
        ]);
      }
    },
  };
}
