// NodeRestriction (plugin/pkg/admission/noderestriction), the half of node isolation that
// needs the request body, which the authorizer never sees: a kubelet creates only its own
// Node and Lease, only mirror pods bound to itself that reference no other API object,
// and tokens only for pods bound to itself. Called at admission for writes by a node.

import { ApiError, qualified } from '../../shared/errors.js';
import type { Attributes, UserInfo } from './authorizer.js';
import { type NodeAuthorizerLookup, nodeIdentity } from './node-authorizer.js';
import { podReferences, type PodLike } from './pod-references.js';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

type Obj = Record<string, any>;

/** admission.NewForbidden: `pods "x" is forbidden: node "n" can only create mirror pods`. */
function forbidden(a: Attributes, obj: Obj | undefined, why: string): ApiError {
  const name = a.name || (typeof obj?.metadata?.name === 'string' ? obj.metadata.name : '');
  const gr = qualified(a.resource, a.apiGroup);
  const message = name ? `${gr} ${JSON.stringify(name)} is forbidden: ${why}` : `${gr} is forbidden: ${why}`;
  return new ApiError(403, 'Forbidden', message, { name: name || undefined, group: a.apiGroup || undefined, kind: a.resource });
}

function admitPodCreate(node: string, a: Attributes, pod: Obj): ApiError | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  if (typeof annotations[MIRROR_POD_ANNOTATION] !== 'string') {
    return forbidden(a, pod, `pod does not have ${JSON.stringify(MIRROR_POD_ANNOTATION)} annotation, node ${JSON.stringify(node)} can only create mirror pods`);
  }
  if (pod.spec?.nodeName !== node) return forbidden(a, pod, `node ${JSON.stringify(node)} can only create pods with spec.nodeName set to itself`);
  const owners: Obj[] = Array.isArray(pod.metadata?.ownerReferences) ? pod.metadata.ownerReferences : [];
  if (owners.length > 1) return forbidden(a, pod, `node ${JSON.stringify(node)} can only create pods with a single owner reference set to itself`);
  if (owners.length === 1) {
    const o = owners[0]!;
    if (o.apiVersion !== 'v1' || o.kind !== 'Node' || o.name !== node) {
      return forbidden(a, pod, `node ${JSON.stringify(node)} can only create pods with an owner reference set to itself`);
    }
  }
  if (typeof pod.spec?.serviceAccountName === 'string' && pod.spec.serviceAccountName !== '') {
    return forbidden(a, pod, `node ${JSON.stringify(node)} can not create pods that reference a service account`);
  }
  const refs = podReferences(pod as PodLike);
  if (refs.secrets.size > 0) return forbidden(a, pod, `node ${JSON.stringify(node)} can not create pods that reference secrets`);
  if (refs.configmaps.size > 0) return forbidden(a, pod, `node ${JSON.stringify(node)} can not create pods that reference configmaps`);
  if (refs.persistentvolumeclaims.size > 0) {
    return forbidden(a, pod, `node ${JSON.stringify(node)} can not create pods that reference persistentvolumeclaims`);
  }
  return undefined;
}

function admitTokenRequest(node: string, a: Attributes, req: Obj, lookup: Pick<NodeAuthorizerLookup, 'getPod'>): ApiError | undefined {
  const ref = req.spec?.boundObjectRef;
  if (!ref || ref.kind !== 'Pod') return forbidden(a, req, 'node requested token not bound to a pod');
  const pod = lookup.getPod(a.namespace, String(ref.name ?? ''));
  if (!pod) return forbidden(a, req, `node requested token bound to a pod that does not exist`);
  if (typeof ref.uid === 'string' && ref.uid !== '' && pod.metadata?.uid !== ref.uid) {
    return forbidden(a, req, 'the UID in the bound object reference does not match the pod');
  }
  if (pod.spec?.nodeName !== node) return forbidden(a, req, 'node requested token bound to a pod scheduled on a different node');
  return undefined;
}

/**
 * The admission decision for a write by a node; undefined admits (as it does every
 * request by a user who is not a node). `obj` is the decoded request body.
 */
export function admitNodeRequest(
  user: UserInfo,
  a: Attributes,
  obj: unknown,
  lookup: Pick<NodeAuthorizerLookup, 'getPod'>,
): ApiError | undefined {
  const node = nodeIdentity(user);
  if (node === undefined || !a.isResourceRequest) return undefined;
  const body = obj !== null && typeof obj === 'object' ? (obj as Obj) : {};
  const bodyName = typeof body.metadata?.name === 'string' ? body.metadata.name : '';
  switch (`${a.apiGroup}/${a.resource}/${a.subresource}`) {
    case '/pods/':
      return a.verb === 'create' ? admitPodCreate(node, a, body) : undefined;
    case '/nodes/':
    case '/nodes/status': {
      const target = a.name || bodyName;
      if (['create', 'update', 'patch'].includes(a.verb) && target !== node) {
        return forbidden(a, body, `node ${JSON.stringify(node)} is not allowed to modify node ${JSON.stringify(target)}`);
      }
      return undefined;
    }
    case 'coordination.k8s.io/leases/': {
      const target = a.name || bodyName;
      if (a.namespace === 'kube-node-lease' && target !== node) {
        return forbidden(a, body, 'can only access node lease with the same name as the requesting node');
      }
      return undefined;
    }
    case '/serviceaccounts/token':
      return a.verb === 'create' ? admitTokenRequest(node, a, body, lookup) : undefined;
    default:
      return undefined;
  }
}
