// The Node authorizer (plugin/pkg/auth/authorizer/node): a kubelet, user `system:node:NAME`
// in group `system:nodes`, may read what every node needs (nodes, services, endpoints,
// pods), write its own Node, its own Lease and the status of pods bound to it, and read
// a secret, config map, claim or volume only when a pod bound to it references that
// object. Object relations come from an injected lookup (the apiserver's storage or a
// pods informer indexed by node), where upstream keeps a graph. Everyone else gets no
// opinion, and so does a request outside these rules: RBAC still has its say.

import type { Attributes, AuthorizationResult, Authorizer, UserInfo } from './authorizer.js';
import { nodeRules } from './bootstrap-roles.js';
import { ruleAllows } from './rbac-rules.js';
import { podReferences, type PodLike } from './pod-references.js';

export type { PodLike } from './pod-references.js';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** What the authorizer reads about the world. */
export interface NodeAuthorizerLookup {
  /** The pods whose spec.nodeName is this node. */
  podsOnNode(nodeName: string): PodLike[];
  /** A pod by key, or undefined when there is none. */
  getPod(namespace: string, name: string): PodLike | undefined;
  /** A claim by key, to follow it to its bound volume. */
  getPersistentVolumeClaim(namespace: string, name: string): { spec?: { volumeName?: string } } | undefined;
}

/** NodeIdentity: the node name of a kubelet's user, or undefined for anyone else. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length);
}

const allow = (): AuthorizationResult => ({ decision: 'allow', reason: '' });
const noOpinion = (reason = ''): AuthorizationResult => ({ decision: 'no-opinion', reason });

export class NodeAuthorizer implements Authorizer {
  private readonly rules = nodeRules();

  constructor(private readonly lookup: NodeAuthorizerLookup) {}

  authorize(user: UserInfo, a: Attributes): AuthorizationResult {
    const node = nodeIdentity(user);
    if (node === undefined) return noOpinion();
    if (node === '') return noOpinion(`unknown node for user ${JSON.stringify(user.name)}`);
    if (a.isResourceRequest) {
      switch (`${a.apiGroup}/${a.resource}`) {
        case '/secrets':
          return this.readNamespaced(node, a, 'secrets');
        case '/configmaps':
          return this.readNamespaced(node, a, 'configmaps');
        case '/persistentvolumeclaims':
          if (a.subresource === 'status') return this.claimStatus(node, a);
          return this.getOnly(node, a, 'persistentvolumeclaims');
        case '/persistentvolumes':
          return this.getOnly(node, a, 'persistentvolumes');
        case '/serviceaccounts':
          return this.createToken(node, a);
        case 'coordination.k8s.io/leases':
          return this.lease(node, a);
        case '/nodes':
          return this.nodeObject(node, a);
        case '/pods':
          return this.pod(node, a);
      }
    }
    // Everything else is not subdivided: the static rules of system:node decide.
    return this.rules.some((r) => ruleAllows(a, r)) ? allow() : noOpinion();
  }

  /** authorizeReadNamespacedObject: get/list/watch of one named object a bound pod uses. */
  private readNamespaced(node: string, a: Attributes, kind: 'secrets' | 'configmaps'): AuthorizationResult {
    if (!['get', 'list', 'watch'].includes(a.verb)) return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.related(node, a, kind);
  }

  /** authorizeGet: a single get of a claim or volume a bound pod uses. */
  private getOnly(node: string, a: Attributes, kind: 'persistentvolumeclaims' | 'persistentvolumes'): AuthorizationResult {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource) return noOpinion('cannot get subresource');
    return this.related(node, a, kind);
  }

  /** authorizeStatusUpdate: the status of a claim a bound pod uses. */
  private claimStatus(node: string, a: Attributes): AuthorizationResult {
    if (!['get', 'update', 'patch'].includes(a.verb)) return noOpinion('can only get/update/patch this type');
    return this.related(node, a, 'persistentvolumeclaims');
  }

  /** authorizeCreateToken: a token for the service account of a bound pod. */
  private createToken(node: string, a: Attributes): AuthorizationResult {
    if (a.verb !== 'create' || !a.name) return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.related(node, a, 'serviceaccounts');
  }

  /** authorizeLease: the node's own Lease in kube-node-lease (a create is checked at admission). */
  private lease(node: string, a: Attributes): AuthorizationResult {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) {
      return noOpinion('can only get, create, update, patch, or delete a node lease');
    }
    if (a.namespace !== NODE_LEASE_NAMESPACE) return noOpinion(`can only access leases in the ${JSON.stringify(NODE_LEASE_NAMESPACE)} system namespace`);
    if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access node lease with the same name as the requesting node');
    return allow();
  }

  /** Nodes: read any; create (checked at admission), update and patch only its own, status included. */
  private nodeObject(node: string, a: Attributes): AuthorizationResult {
    if (a.subresource === '' && ['get', 'list', 'watch'].includes(a.verb)) return allow();
    if (a.subresource === '' && a.verb === 'create') return allow();
    if ((a.subresource === '' || a.subresource === 'status') && ['update', 'patch'].includes(a.verb)) {
      return a.name === node ? allow() : noOpinion(`node ${JSON.stringify(node)} can only modify its own Node object`);
    }
    return noOpinion(`node ${JSON.stringify(node)} cannot ${a.verb} nodes${a.subresource ? `/${a.subresource}` : ''}`);
  }

  /**
   * Pods: read any; create mirror pods (their spec is checked at admission); delete, write
   * status of and evict only pods bound to this node.
   */
  private pod(node: string, a: Attributes): AuthorizationResult {
    const sub = a.subresource;
    if (sub === '' && ['get', 'list', 'watch'].includes(a.verb)) return allow();
    if (sub === '' && a.verb === 'create') return allow();
    const boundWrite = (sub === '' && a.verb === 'delete') || (sub === 'status' && ['update', 'patch'].includes(a.verb)) ||
      (sub === 'eviction' && a.verb === 'create');
    if (!boundWrite) return noOpinion(`node ${JSON.stringify(node)} cannot ${a.verb} pods${sub ? `/${sub}` : ''}`);
    const pod = a.name ? this.lookup.getPod(a.namespace, a.name) : undefined;
    if (!pod) return noOpinion(`no relationship found between node ${JSON.stringify(node)} and this object`);
    if (pod.spec?.nodeName !== node) return noOpinion(`node ${JSON.stringify(node)} can only modify pods bound to itself`);
    return allow();
  }

  /** hasPathFrom: a pod bound to the node references the object (a volume through its claim). */
  private related(node: string, a: Attributes, kind: 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'persistentvolumes' | 'serviceaccounts'): AuthorizationResult {
    if (!a.name) return noOpinion('No Object name found');
    const why = `no relationship found between node ${JSON.stringify(node)} and this object`;
    for (const pod of this.lookup.podsOnNode(node)) {
      if (pod.spec?.nodeName !== node) continue;
      const ns = pod.metadata?.namespace ?? '';
      const refs = podReferences(pod);
      if (kind === 'persistentvolumes') {
        for (const claim of refs.persistentvolumeclaims) {
          if (this.lookup.getPersistentVolumeClaim(ns, claim)?.spec?.volumeName === a.name) return allow();
        }
        continue;
      }
      if (ns === a.namespace && refs[kind].has(a.name)) return allow();
    }
    return noOpinion(why);
  }
}
