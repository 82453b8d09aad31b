// Kubernetes' server-side defaults, applied to every object the apiserver writes
// (pkg/apis/{core,apps,batch,autoscaling}/v1/defaults.go, plus the few defaults the
// strategies add on create: a job's generated selector, a namespace's finalizer,
// a service's IP families). The object is the caller's private copy and is mutated.
// Bodies are arbitrary JSON: a field of the wrong shape is left for validation.

import { applyPodDefaults, applyPodTemplateDefaults, child, isObj, setDefault } from './defaults-pod.js';
import { applyRbacDefaults } from './validation-rbac.js';

type Obj = Record<string, any>;
type Defaulter = (obj: Obj) => void;

export { computePodQOS, imageTag } from './defaults-pod.js';

const DEFAULTERS: Record<string, Defaulter> = {
  pods: applyPodDefaults,
  services: defaultService,
  endpoints: defaultEndpoints,
  namespaces: defaultNamespace,
  nodes: defaultNode,
  secrets: (o) => setDefault(o, 'type', 'Opaque'),
  persistentvolumes: defaultPersistentVolume,
  persistentvolumeclaims: defaultPersistentVolumeClaim,
  deployments: defaultDeployment,
  replicasets: defaultReplicaSet,
  statefulsets: defaultStatefulSet,
  daemonsets: defaultDaemonSet,
  jobs: defaultJob,
  cronjobs: defaultCronJob,
  horizontalpodautoscalers: defaultHPA,
  rolebindings: (o) => applyRbacDefaults('rolebindings', o),
  clusterrolebindings: (o) => applyRbacDefaults('clusterrolebindings', o),
};

export function applyDefaults(resource: string, obj: any): void {
  if (!isObj(obj)) return;
  DEFAULTERS[resource]?.(obj);
}

function protocolTCP(ports: unknown): void {
  if (!Array.isArray(ports)) return;
  for (const p of ports) if (isObj(p)) setDefault(p, 'protocol', 'TCP');
}

function defaultService(svc: Obj): void {
  const spec = child(svc, 'spec');
  if (!spec) return;
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    if (!isObj(cfg) || !isObj(cfg.clientIP) || cfg.clientIP.timeoutSeconds == null) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    }
  }
  setDefault(spec, 'type', 'ClusterIP');
  if (Array.isArray(spec.ports)) {
    for (const p of spec.ports) {
      if (!isObj(p)) continue;
      setDefault(p, 'protocol', 'TCP');
      if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    }
  }
  const type = spec.type;
  const externallyAccessible =
    type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (externallyAccessible) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'ClusterIP' || type === 'NodePort' || type === 'LoadBalancer') {
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
    // Dual-stack fields, as the REST layer fills them on a single-stack IPv4 cluster.
    const headlessWithoutSelector = spec.clusterIP === 'None' && (!isObj(spec.selector) || Object.keys(spec.selector).length === 0);
    setDefault(spec, 'ipFamilyPolicy', headlessWithoutSelector ? 'RequireDualStack' : 'SingleStack');
    if (spec.ipFamilies === undefined || spec.ipFamilies === null || (Array.isArray(spec.ipFamilies) && spec.ipFamilies.length === 0)) {
      spec.ipFamilies = ['IPv4'];
    }
  }
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
}

function defaultEndpoints(ep: Obj): void {
  if (!Array.isArray(ep.subsets)) return;
  for (const s of ep.subsets) if (isObj(s)) protocolTCP(s.ports);
}

function defaultNamespace(ns: Obj): void {
  const meta = ns.metadata;
  if (isObj(meta) && typeof meta.name === 'string' && meta.name !== '') {
    const labels = child(meta, 'labels');
    if (labels) labels['kubernetes.io/metadata.name'] = meta.name;
  }
  const spec = child(ns, 'spec');
  // The strategy adds the finalizer on create; a namespace being deleted keeps what it has.
  if (spec && spec.finalizers === undefined && !(isObj(meta) && meta.deletionTimestamp)) spec.finalizers = ['kubernetes'];
  const status = child(ns, 'status');
  if (status) setDefault(status, 'phase', 'Active');
}

function defaultNode(node: Obj): void {
  const status = node.status;
  if (isObj(status) && isObj(status.capacity) && status.allocatable == null) status.allocatable = { ...status.capacity };
}

function defaultPersistentVolume(pv: Obj): void {
  const spec = child(pv, 'spec');
  if (spec) {
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
  }
  if (pv.status === undefined) pv.status = {};
  const status = child(pv, 'status');
  if (status) setDefault(status, 'phase', 'Pending');
}

function defaultPersistentVolumeClaim(pvc: Obj): void {
  const spec = child(pvc, 'spec');
  if (spec) setDefault(spec, 'volumeMode', 'Filesystem');
  if (pvc.status === undefined) pvc.status = {};
  const status = child(pvc, 'status');
  if (status) setDefault(status, 'phase', 'Pending');
}

function defaultDeployment(d: Obj): void {
  const spec = child(d, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = child(strategy, 'rollingUpdate');
      if (ru) {
        setDefault(ru, 'maxUnavailable', '25%');
        setDefault(ru, 'maxSurge', '25%');
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  applyPodTemplateDefaults(spec.template);
}

function defaultReplicaSet(rs: Obj): void {
  const spec = child(rs, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  applyPodTemplateDefaults(spec.template);
}

function defaultStatefulSet(sts: Obj): void {
  const spec = child(sts, 'spec');
  if (!spec) return;
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy');
  if (strategy) {
    if (strategy.type === undefined || strategy.type === null || strategy.type === '') {
      strategy.type = 'RollingUpdate';
      child(strategy, 'rollingUpdate');
    }
    if (strategy.type === 'RollingUpdate' && isObj(strategy.rollingUpdate)) setDefault(strategy.rollingUpdate, 'partition', 0);
  }
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  if (retention) {
    setDefault(retention, 'whenDeleted', 'Retain');
    setDefault(retention, 'whenScaled', 'Retain');
  }
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  applyPodTemplateDefaults(spec.template);
  if (Array.isArray(spec.volumeClaimTemplates)) {
    for (const pvc of spec.volumeClaimTemplates) if (isObj(pvc)) defaultPersistentVolumeClaim(pvc);
  }
}

function defaultDaemonSet(ds: Obj): void {
  const spec = child(ds, 'spec');
  if (!spec) return;
  const strategy = child(spec, 'updateStrategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = child(strategy, 'rollingUpdate');
      if (ru) {
        setDefault(ru, 'maxUnavailable', 1);
        setDefault(ru, 'maxSurge', 0);
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  applyPodTemplateDefaults(spec.template);
}

function defaultJob(job: Obj): void {
  const spec = child(job, 'spec');
  if (!spec) return;
  const absent = (v: unknown) => v === undefined || v === null;
  if (absent(spec.completions) && absent(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', absent(spec.backoffLimitPerIndex) ? 6 : 2147483647);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  setDefault(spec, 'manualSelector', false);
  const meta = child(job, 'metadata');
  const template = spec.template;
  // A job without labels of its own takes its template's.
  if (meta && isObj(template) && isObj(template.metadata) && isObj(template.metadata.labels)) {
    if (!isObj(meta.labels) || Object.keys(meta.labels).length === 0) meta.labels = { ...template.metadata.labels };
  }
  applyPodTemplateDefaults(template);
  if (meta && typeof meta.uid === 'string' && meta.uid !== '' && spec.manualSelector !== true) generateJobSelector(spec, meta);
}

/** The job strategy's generateSelector: label the pods with the job's uid and name, select on the uid. */
function generateJobSelector(spec: Obj, meta: Obj): void {
  if (!isObj(spec.template)) return;
  const tmeta = child(spec.template, 'metadata');
  const labels = tmeta && child(tmeta, 'labels');
  if (!labels) return;
  const name = typeof meta.name === 'string' ? meta.name : '';
  for (const key of ['job-name', 'batch.kubernetes.io/job-name']) if (!(key in labels)) labels[key] = name;
  for (const key of ['controller-uid', 'batch.kubernetes.io/controller-uid']) if (!(key in labels)) labels[key] = meta.uid;
  const selector = child(spec, 'selector');
  const matchLabels = selector && child(selector, 'matchLabels');
  if (matchLabels && !('batch.kubernetes.io/controller-uid' in matchLabels)) matchLabels['batch.kubernetes.io/controller-uid'] = meta.uid;
}

function defaultCronJob(cj: Obj): void {
  const spec = child(cj, 'spec');
  if (!spec) return;
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  if (isObj(spec.jobTemplate) && isObj(spec.jobTemplate.spec)) applyPodTemplateDefaults(spec.jobTemplate.spec.template);
}

function defaultHPA(hpa: Obj): void {
  const spec = child(hpa, 'spec');
  if (!spec) return;
  setDefault(spec, 'minReplicas', 1);
  const v1 = hpa.apiVersion === 'autoscaling/v1';
  if (!v1 && (spec.metrics === undefined || spec.metrics === null || (Array.isArray(spec.metrics) && spec.metrics.length === 0))) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  if (isObj(spec.behavior)) {
    const b = spec.behavior;
    b.scaleUp = scalingRules(b.scaleUp, 0, [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ]);
    b.scaleDown = scalingRules(b.scaleDown, 300, [{ type: 'Percent', value: 100, periodSeconds: 15 }]);
  }
}

/** GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: fill what the user left out. */
function scalingRules(rules: unknown, window: number, policies: Obj[]): unknown {
  if (rules !== undefined && rules !== null && !isObj(rules)) return rules;
  const r: Obj = isObj(rules) ? rules : {};
  setDefault(r, 'stabilizationWindowSeconds', window);
  setDefault(r, 'selectPolicy', 'Max');
  if (r.policies === undefined || r.policies === null) r.policies = policies;
  return r;
}
