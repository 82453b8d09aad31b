// Kubernetes' built-in ClusterRoles (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go),
// as data: the user-facing cluster-admin/admin/edit/view with the aggregate-to-* roles
// behind them, the discovery roles every authenticated user gets, and the roles of the
// control-plane components. skiff's controller-manager runs every controller under one
// identity, so its role is the union of the controller roles of the controllers it runs.

import type { ClusterRole, PolicyRule } from './rbac-rules.js';

export const BOOTSTRAP_LABEL = 'kubernetes.io/bootstrapping';
export const BOOTSTRAP_LABEL_VALUE = 'rbac-defaults';
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
export const AGGREGATE_TO = 'rbac.authorization.k8s.io/aggregate-to-';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = [...READ, ...WRITE];

const LEGACY = '';
const APPS = 'apps';
const BATCH = 'batch';
const AUTOSCALING = 'autoscaling';
const EXTENSIONS = 'extensions';
const POLICY = 'policy';
const NETWORKING = 'networking.k8s.io';
const DISCOVERY = 'discovery.k8s.io';
const STORAGE = 'storage.k8s.io';
const COORDINATION = 'coordination.k8s.io';
const AUTHENTICATION = 'authentication.k8s.io';
const AUTHORIZATION = 'authorization.k8s.io';
const RBAC = 'rbac.authorization.k8s.io';
const EVENTS = 'events.k8s.io';

/** rbacv1helpers.NewRule(verbs...).Groups(groups...).Resources(resources...).Names(names...). */
export function rule(verbs: string[], groups: string[], resources: string[], names?: string[]): PolicyRule {
  const r: PolicyRule = { verbs: [...verbs], apiGroups: [...groups], resources: [...resources] };
  if (names) r.resourceNames = [...names];
  return r;
}

/** A rule over non-resource URLs. */
export function urls(verbs: string[], paths: string[]): PolicyRule {
  return { verbs: [...verbs], nonResourceURLs: [...paths] };
}

const eventsRule = (): PolicyRule => rule(['create', 'update', 'patch'], [LEGACY, EVENTS], ['events']);

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}, aggregateFrom?: string): ClusterRole {
  const role: ClusterRole = {
    metadata: {
      name,
      labels: { [BOOTSTRAP_LABEL]: BOOTSTRAP_LABEL_VALUE, ...labels },
      annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
    },
    rules,
  };
  if (aggregateFrom) role.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [`${AGGREGATE_TO}${aggregateFrom}`]: 'true' } }] };
  return role;
}

/** The rules of system:node: what the Node authorizer allows a kubelet beyond its per-object checks. */
export function nodeRules(): PolicyRule[] {
  return [
    rule(['create'], [AUTHENTICATION], ['tokenreviews']),
    rule(['create'], [AUTHORIZATION], ['subjectaccessreviews', 'localsubjectaccessreviews']),
    rule(READ, [LEGACY], ['services']),
    rule(['create', 'get', 'list', 'watch'], [LEGACY], ['nodes']),
    rule(['update', 'patch'], [LEGACY], ['nodes/status']),
    rule(['update', 'patch'], [LEGACY], ['nodes']),
    rule(['create', 'update', 'patch'], [LEGACY], ['events']),
    rule(READ, [LEGACY], ['pods']),
    rule(['create', 'delete'], [LEGACY], ['pods']),
    rule(['update', 'patch'], [LEGACY], ['pods/status']),
    rule(['create'], [LEGACY], ['pods/eviction']),
    rule(READ, [LEGACY], ['secrets', 'configmaps']),
    rule(['get'], [LEGACY], ['persistentvolumeclaims', 'persistentvolumes']),
    rule(READ, [LEGACY], ['endpoints']),
    rule(['get', 'create', 'update', 'patch', 'delete'], [COORDINATION], ['leases']),
    rule(['create'], [LEGACY], ['serviceaccounts/token']),
    rule(['get', 'update', 'patch'], [LEGACY], ['persistentvolumeclaims/status']),
    rule(READ, ['node.k8s.io'], ['runtimeclasses']),
  ];
}

const aggregateToView = (): PolicyRule[] => [
  rule(READ, [LEGACY], ['pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status',
    'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps']),
  rule(READ, [LEGACY], ['limitranges', 'resourcequotas', 'bindings', 'events', 'pods/status', 'resourcequotas/status', 'namespaces/status',
    'replicationcontrollers/status', 'pods/log']),
  rule(READ, [LEGACY], ['namespaces']),
  rule(READ, [DISCOVERY], ['endpointslices']),
  rule(READ, [APPS], ['controllerrevisions', 'statefulsets', 'statefulsets/scale', 'statefulsets/status', 'daemonsets', 'daemonsets/status',
    'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status']),
  rule(READ, [AUTOSCALING], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, [BATCH], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
  rule(READ, [EXTENSIONS], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses',
    'ingresses/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale', 'networkpolicies']),
  rule(READ, [POLICY], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, [NETWORKING], ['networkpolicies', 'ingresses', 'ingresses/status']),
];

const aggregateToEdit = (): PolicyRule[] => [
  rule(READ, [LEGACY], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
  rule(['impersonate'], [LEGACY], ['serviceaccounts']),
  rule(WRITE, [LEGACY], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
  rule(['create'], [LEGACY], ['pods/eviction']),
  rule(WRITE, [LEGACY], ['replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/proxy',
    'persistentvolumeclaims', 'configmaps', 'secrets', 'events']),
  rule(['create'], [LEGACY], ['serviceaccounts/token']),
  rule(WRITE, [APPS], ['statefulsets', 'statefulsets/scale', 'daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback',
    'replicasets', 'replicasets/scale']),
  rule(WRITE, [AUTOSCALING], ['horizontalpodautoscalers']),
  rule(WRITE, [BATCH], ['jobs', 'cronjobs']),
  rule(WRITE, [EXTENSIONS], ['daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'ingresses', 'replicasets',
    'replicasets/scale', 'replicationcontrollers/scale', 'networkpolicies']),
  rule(WRITE, [POLICY], ['poddisruptionbudgets']),
  rule(WRITE, [NETWORKING], ['networkpolicies', 'ingresses']),
];

const aggregateToAdmin = (): PolicyRule[] => [
  rule(['create'], [AUTHORIZATION], ['localsubjectaccessreviews']),
  rule(READ_WRITE, [RBAC], ['roles', 'rolebindings']),
];

/** One identity for every controller skiff's controller-manager runs (see controller-manager/*). */
const controllerManagerRules = (): PolicyRule[] => [
  // kube-controller-manager's own role.
  eventsRule(),
  rule(['create'], [COORDINATION], ['leases']),
  rule(['get', 'update'], [COORDINATION], ['leases'], ['kube-controller-manager']),
  rule(['create'], [LEGACY], ['secrets', 'serviceaccounts']),
  // root-ca-cert-publisher: kube-root-ca.crt in every namespace.
  rule(['create', 'update'], [LEGACY], ['configmaps']),
  rule(['delete'], [LEGACY], ['secrets']),
  rule(['get'], [LEGACY], ['namespaces', 'secrets', 'serviceaccounts', 'configmaps']),
  rule(['update'], [LEGACY], ['secrets', 'serviceaccounts']),
  rule(['create'], [AUTHENTICATION], ['tokenreviews']),
  rule(['create'], [AUTHORIZATION], ['subjectaccessreviews']),
  rule(['list', 'watch'], ['*'], ['*']),
  rule(['create'], [LEGACY], ['serviceaccounts/token']),
  // garbage collector (every owner and dependent) and namespace controller (emptying a namespace).
  rule(['get', 'list', 'watch', 'patch', 'update', 'delete'], ['*'], ['*']),
  rule(['get', 'list', 'delete', 'deletecollection'], ['*'], ['*']),
  rule(['update'], [LEGACY], ['namespaces/finalize', 'namespaces/status']),
  // replicaset, deployment, daemonset, statefulset, job: children, status, scale, finalizers.
  rule(['create', 'delete', 'patch', 'update'], [LEGACY], ['pods']),
  rule(['create'], [LEGACY], ['pods/binding']),
  rule(['patch', 'update'], [LEGACY], ['pods/status']),
  rule(['create', 'update', 'patch', 'delete'], [APPS], ['replicasets', 'controllerrevisions']),
  rule(['update'], [APPS, BATCH], ['deployments/status', 'replicasets/status', 'daemonsets/status', 'statefulsets/status', 'jobs/status']),
  rule(['update'], [APPS, BATCH], ['deployments/finalizers', 'replicasets/finalizers', 'daemonsets/finalizers', 'statefulsets/finalizers', 'jobs/finalizers']),
  // statefulset claims, persistent volume binder.
  rule(['create', 'delete', 'patch', 'update'], [LEGACY], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['update', 'patch'], [LEGACY], ['persistentvolumeclaims/status', 'persistentvolumes/status']),
  rule(READ, [STORAGE], ['storageclasses']),
  // endpoints.
  rule(['create', 'update', 'delete'], [LEGACY], ['endpoints']),
  rule(['create'], [LEGACY], ['endpoints/restricted']),
  // node lifecycle and node IPAM.
  rule(['update', 'patch', 'delete'], [LEGACY], ['nodes']),
  rule(['update', 'patch'], [LEGACY], ['nodes/status']),
  // horizontal pod autoscaler: the kubelets' Summary API (as metrics-server reads it).
  rule(['get'], [LEGACY], ['nodes/stats']),
  rule(['update'], [AUTOSCALING], ['horizontalpodautoscalers/status']),
  rule(['get', 'update', 'patch'], ['*'], ['*/scale']),
];

/** The ClusterRoles as stored, admin/edit/view with their aggregated rules written out. */
export function bootstrapClusterRoles(): ClusterRole[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    clusterRole('system:discovery', [
      urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/']),
    ]),
    clusterRole('system:monitoring', [
      urls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*']),
    ]),
    clusterRole('system:basic-user', [
      rule(['create'], [AUTHORIZATION], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], [AUTHENTICATION], ['selfsubjectreviews']),
    ]),
    clusterRole('system:public-info-viewer', [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])]),
    clusterRole('admin', [], {}, 'admin'),
    clusterRole('edit', [], { [`${AGGREGATE_TO}admin`]: 'true' }, 'edit'),
    clusterRole('view', [], { [`${AGGREGATE_TO}edit`]: 'true' }, 'view'),
    clusterRole('system:aggregate-to-admin', aggregateToAdmin(), { [`${AGGREGATE_TO}admin`]: 'true' }),
    clusterRole('system:aggregate-to-edit', aggregateToEdit(), { [`${AGGREGATE_TO}edit`]: 'true' }),
    clusterRole('system:aggregate-to-view', aggregateToView(), { [`${AGGREGATE_TO}view`]: 'true' }),
    clusterRole('system:auth-delegator', [
      rule(['create'], [AUTHENTICATION], ['tokenreviews']),
      rule(['create'], [AUTHORIZATION], ['subjectaccessreviews']),
    ]),
    clusterRole('system:node', nodeRules()),
    // Upstream's role for the apiserver's identity at the kubelets (logs, exec, port-forward, stats).
    clusterRole('system:kubelet-api-admin', [
      rule(['get', 'list', 'watch', 'proxy'], [LEGACY], ['nodes']),
      rule(['*'], [LEGACY], ['nodes/proxy', 'nodes/metrics', 'nodes/stats', 'nodes/log', 'nodes/healthz', 'nodes/pods', 'nodes/configz']),
    ]),
    clusterRole('system:node-proxier', [
      rule(['list', 'watch'], [LEGACY], ['services', 'endpoints']),
      rule(READ, [LEGACY], ['nodes']),
      eventsRule(),
      rule(['list', 'watch'], [DISCOVERY], ['endpointslices']),
    ]),
    clusterRole('system:kube-dns', [rule(['list', 'watch'], [LEGACY], ['endpoints', 'services'])]),
    // skiff's cluster DNS (`skiff dns`): CoreDNS's reads, and it keeps kube-system/kube-dns itself.
    clusterRole('system:skiff-dns', [
      rule(['list', 'watch'], [LEGACY], ['endpoints', 'services', 'namespaces']),
      rule(['get', 'create', 'update'], [LEGACY], ['endpoints', 'services']),
      eventsRule(),
    ]),
    clusterRole('system:kube-scheduler', [
      eventsRule(),
      rule(['create'], [COORDINATION], ['leases']),
      rule(['get', 'update'], [COORDINATION], ['leases'], ['kube-scheduler']),
      rule(READ, [LEGACY], ['nodes']),
      rule(['get', 'list', 'watch', 'delete'], [LEGACY], ['pods']),
      rule(['create'], [LEGACY], ['pods/binding', 'bindings']),
      rule(['patch', 'update'], [LEGACY], ['pods/status']),
      rule(READ, [LEGACY], ['services', 'replicationcontrollers']),
      rule(READ, [APPS, EXTENSIONS], ['replicasets']),
      rule(READ, [APPS], ['statefulsets']),
      rule(READ, [POLICY], ['poddisruptionbudgets']),
      rule(READ, [LEGACY], ['persistentvolumeclaims', 'persistentvolumes']),
      rule(['create'], [AUTHENTICATION], ['tokenreviews']),
      rule(['create'], [AUTHORIZATION], ['subjectaccessreviews']),
      rule(READ, [STORAGE], ['csinodes']),
      rule(READ, [LEGACY], ['namespaces']),
      rule(READ, [STORAGE], ['csidrivers', 'csistoragecapacities']),
    ]),
    clusterRole('system:volume-scheduler', [
      rule(['get', 'list', 'patch', 'update', 'watch'], [LEGACY], ['persistentvolumes']),
      rule(READ, [STORAGE], ['storageclasses']),
      rule(['get', 'list', 'patch', 'update', 'watch'], [LEGACY], ['persistentvolumeclaims']),
    ]),
    clusterRole('system:kube-controller-manager', controllerManagerRules()),
    clusterRole('system:service-account-issuer-discovery', [
      urls(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/']),
    ]),
  ];
}
