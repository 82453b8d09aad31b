// Server-side printing for kubectl's human output (meta.k8s.io/v1 Table): the column
// definitions and row cells of kube-apiserver 1.32's pkg/printers/internalversion/printers.go,
// computed from the stored v1 JSON. Like the real apiserver, rows always carry the wide
// (priority 1) cells; kubectl shows those columns only with -o wide. Resources without a
// printer get the default table convertor's Name / Created At. Objects may be partial:
// a missing field prints as the apiserver's default or zero value, never throws.

import { podCells } from './tables-pod.js';
import {
  accessModes, formatEndpoints, formatHPAMetrics, formatLabels, formatLabelSelector, int, jobCompletions,
  jobDuration, jobStatus, layoutContainerCells, list, quantity, record, resourceQuotaColumns, selectorString,
  serviceExternalIP, servicePorts, str, translateTimestampSince,
} from './tables-format.js';

export { humanDuration, translateTimestampSince } from './tables-format.js';
export { podRowConditions } from './tables-pod.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

// ---------------------------------------------------------------- columns

const DOC_NAME = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const DOC_CREATED = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function col(name: string, type: string, description: string, priority = 0, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority };
}

const NAME = col('Name', 'string', DOC_NAME, 0, 'name');
const AGE = col('Age', 'string', DOC_CREATED);
const CONTAINERS = col('Containers', 'string', 'Names of each container in the template.', 1);
const IMAGES = col('Images', 'string', 'Images referenced by each container in the template.', 1);
const SELECTOR = col('Selector', 'string', 'A label query over pods that should match the replica count.', 1);

const DEFAULT_COLUMNS: TableColumnDefinition[] = [NAME, col('Created At', 'date', DOC_CREATED)];

const COLUMNS: Record<string, TableColumnDefinition[]> = {
  pods: [
    NAME,
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE,
    col('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
    col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1),
    col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  replicasets: [
    NAME,
    col('Desired', 'integer', 'Replicas is the number of desired pods.'),
    col('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    AGE, CONTAINERS, IMAGES, SELECTOR,
  ],
  daemonsets: [
    NAME,
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    col('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
    col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod.'),
    col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
    col('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    AGE, CONTAINERS, IMAGES, SELECTOR,
  ],
  jobs: [
    NAME,
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'string', 'Time required to complete the job.'),
    AGE, CONTAINERS, IMAGES, SELECTOR,
  ],
  cronjobs: [
    NAME,
    col('Schedule', 'string', 'The schedule in Cron format.'),
    col('Timezone', 'string', 'The time zone name for the given schedule.'),
    col('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions.'),
    col('Active', 'integer', 'A list of pointers to currently running jobs.'),
    col('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    AGE, CONTAINERS, IMAGES, SELECTOR,
  ],
  services: [
    NAME,
    col('Type', 'string', 'type determines how the Service is exposed.'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE,
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  statefulsets: [
    NAME,
    col('Ready', 'string', 'Number of the pod with ready state'),
    AGE, CONTAINERS, IMAGES,
  ],
  endpoints: [
    NAME,
    col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'),
    AGE,
  ],
  nodes: [
    NAME,
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    AGE,
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    col('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  events: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col('Object', 'string', 'The object that this event is about.'),
    col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', 1),
    col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
    col('Count', 'string', 'The number of times this event has occurred.', 1),
    col('Name', 'string', DOC_NAME, 1, 'name'),
  ],
  namespaces: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
  secrets: [
    NAME,
    col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    col('Data', 'string', 'Data contains the secret data.'),
    AGE,
  ],
  serviceaccounts: [
    NAME,
    col('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'),
    AGE,
  ],
  persistentvolumes: [
    NAME,
    col('Capacity', 'string', "capacity is the description of the persistent volume's resources and capacity."),
    col('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    col('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    AGE,
    col('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
  ],
  persistentvolumeclaims: [
    NAME,
    col('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE,
    col('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
  ],
  deployments: [
    NAME,
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE, CONTAINERS, IMAGES,
    col('Selector', 'string', 'Label selector for pods.', 1),
  ],
  horizontalpodautoscalers: [
    NAME,
    col('Reference', 'string', 'reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.'),
    col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count.'),
    col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    col('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    col('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler.'),
    AGE,
  ],
  configmaps: [NAME, col('Data', 'string', 'Data contains the configuration data.'), AGE],
  leases: [
    NAME,
    col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
    AGE,
  ],
  rolebindings: bindingColumns('roleBinding', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.'),
  clusterrolebindings: bindingColumns('clusterRoleBinding', 'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.'),
  resourcequotas: [
    NAME,
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    AGE,
  ],
};

/** Role bindings and cluster role bindings: the role, then who is bound at priority 1. */
function bindingColumns(what: string, roleDoc: string): TableColumnDefinition[] {
  return [
    NAME,
    col('Role', 'string', roleDoc),
    AGE,
    col('Users', 'string', `Users in the ${what}`, 1),
    col('Groups', 'string', `Groups in the ${what}`, 1),
    col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1),
  ];
}

/** The Table columns the apiserver returns for a resource (plural, lower-case). */
export function columnsFor(resource: string): TableColumnDefinition[] {
  return (COLUMNS[resource] ?? DEFAULT_COLUMNS).map((c) => ({ ...c }));
}

// ---------------------------------------------------------------- rows

type Printer = (obj: any, since: (ts: unknown) => string, now: Date) => unknown[];

/** The cells of one row, matching columnsFor(resource) one to one. */
export function rowCells(resource: string, obj: any, now: Date): unknown[] {
  const since = (ts: unknown): string => translateTimestampSince(str(ts) || undefined, now);
  const printer = PRINTERS[resource] ?? printDefault;
  return printer(record(obj), since, now);
}

const PRINTERS: Record<string, Printer> = {
  pods: (o, since) => podCells(o, since),
  replicasets: (o, since) => {
    const { spec, status } = parts(o);
    return [name(o), replicas(spec), int(status.replicas), int(status.readyReplicas), age(o, since),
      ...layoutContainerCells(template(spec)), formatLabelSelector(spec.selector)];
  },
  daemonsets: (o, since) => {
    const { spec, status } = parts(o);
    return [name(o), int(status.desiredNumberScheduled), int(status.currentNumberScheduled),
      int(status.numberReady), int(status.updatedNumberScheduled), int(status.numberAvailable),
      formatLabels(record(spec.template?.spec).nodeSelector), age(o, since),
      ...layoutContainerCells(template(spec)), formatLabelSelector(spec.selector)];
  },
  jobs: (o, since, now) => {
    const { spec, status } = parts(o);
    return [name(o), jobStatus(o), jobCompletions(spec, status), jobDuration(status, now), age(o, since),
      ...layoutContainerCells(template(spec)), formatLabelSelector(spec.selector)];
  },
  cronjobs: (o, since) => {
    const { spec, status } = parts(o);
    const jobSpec = record(spec.jobTemplate?.spec);
    return [name(o), str(spec.schedule), str(spec.timeZone) || '<none>', spec.suspend === true ? 'True' : 'False',
      list(status.active).length, status.lastScheduleTime ? since(status.lastScheduleTime) : '<none>', age(o, since),
      ...layoutContainerCells(template(jobSpec)), formatLabelSelector(jobSpec.selector)];
  },
  services: (o, since) => {
    const { spec } = parts(o);
    const type = str(spec.type) || 'ClusterIP';
    const clusterIP = str(spec.clusterIP) || str(list(spec.clusterIPs)[0]) || '<none>';
    return [name(o), type, clusterIP, serviceExternalIP(o, type), servicePorts(list(spec.ports)) || '<none>',
      age(o, since), formatLabels(spec.selector)];
  },
  statefulsets: (o, since) => {
    const { spec, status } = parts(o);
    return [name(o), `${int(status.readyReplicas)}/${replicas(spec)}`, age(o, since), ...layoutContainerCells(template(spec))];
  },
  endpoints: (o, since) => [name(o), formatEndpoints(list(o.subsets)), age(o, since)],
  nodes: (o, since) => nodeCells(o, since),
  events: (o, since) => eventCells(o, since),
  namespaces: (o, since) => [name(o), str(record(o.status).phase) || 'Active', age(o, since)],
  secrets: (o, since) => {
    const keys = new Set([...Object.keys(record(o.data)), ...Object.keys(record(o.stringData))]);
    return [name(o), str(o.type) || 'Opaque', keys.size, age(o, since)];
  },
  serviceaccounts: (o, since) => [name(o), list(o.secrets).length, age(o, since)],
  configmaps: (o, since) => [name(o), Object.keys(record(o.data)).length + Object.keys(record(o.binaryData)).length, age(o, since)],
  persistentvolumes: (o, since) => {
    const { spec, status } = parts(o);
    const claimRef = spec.claimRef ? `${str(spec.claimRef.namespace)}/${str(spec.claimRef.name)}` : '';
    const phase = o.metadata?.deletionTimestamp ? 'Terminating' : str(status.phase) || 'Pending';
    const storageClass = str(record(o.metadata?.annotations)['volume.beta.kubernetes.io/storage-class']) || str(spec.storageClassName);
    return [name(o), quantity(record(spec.capacity).storage), accessModes(list(spec.accessModes)),
      str(spec.persistentVolumeReclaimPolicy) || 'Retain', phase, claimRef, storageClass,
      str(spec.volumeAttributesClassName) || '<unset>', str(status.reason), age(o, since), str(spec.volumeMode) || 'Filesystem'];
  },
  persistentvolumeclaims: (o, since) => {
    const { spec, status } = parts(o);
    const phase = o.metadata?.deletionTimestamp ? 'Terminating' : str(status.phase) || 'Pending';
    const bound = str(spec.volumeName) !== '';
    const annotations = record(o.metadata?.annotations);
    const storageClass = 'volume.beta.kubernetes.io/storage-class' in annotations
      ? str(annotations['volume.beta.kubernetes.io/storage-class'])
      : str(spec.storageClassName);
    return [name(o), phase, str(spec.volumeName), bound ? quantity(record(status.capacity).storage) : '',
      bound ? accessModes(list(status.accessModes)) : '', storageClass,
      str(spec.volumeAttributesClassName) || '<unset>', age(o, since), str(spec.volumeMode) || 'Filesystem'];
  },
  deployments: (o, since) => {
    const { spec, status } = parts(o);
    return [name(o), `${int(status.readyReplicas)}/${replicas(spec)}`, int(status.updatedReplicas),
      int(status.availableReplicas), age(o, since), ...layoutContainerCells(template(spec)), selectorString(spec.selector)];
  },
  horizontalpodautoscalers: (o, since) => {
    const { spec, status } = parts(o);
    const target = record(spec.scaleTargetRef);
    const minPods = typeof spec.minReplicas === 'number' ? String(spec.minReplicas) : '<unset>';
    return [name(o), `${str(target.kind)}/${str(target.name)}`, formatHPAMetrics(spec, status), minPods,
      int(spec.maxReplicas), int(status.currentReplicas), age(o, since)];
  },
  leases: (o, since) => [name(o), str(record(o.spec).holderIdentity), age(o, since)],
  rolebindings: (o, since) => bindingCells(o, since),
  clusterrolebindings: (o, since) => bindingCells(o, since),
  resourcequotas: (o, since) => [name(o), ...resourceQuotaColumns(record(o.status)), age(o, since)],
};

/** The default table convertor (k8s.io/apiserver registry/rest): Name, Created At in RFC 3339. */
function printDefault(o: any): unknown[] {
  const ms = Date.parse(str(o.metadata?.creationTimestamp));
  const created = Number.isNaN(ms) ? '0001-01-01T00:00:00Z' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return [name(o), created];
}

/** printRoleBinding: Kind/name of the role, then rbac.SubjectsStrings joined by ", ". */
function bindingCells(o: any, since: (ts: unknown) => string): unknown[] {
  const ref = record(o.roleRef);
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of list(o.subjects)) {
    const subject = record(s);
    if (subject.kind === 'ServiceAccount') sas.push(`${str(subject.namespace)}/${str(subject.name)}`);
    else if (subject.kind === 'User') users.push(str(subject.name));
    else if (subject.kind === 'Group') groups.push(str(subject.name));
  }
  return [name(o), `${str(ref.kind)}/${str(ref.name)}`, age(o, since), users.join(', '), groups.join(', '), sas.join(', ')];
}

function nodeCells(o: any, since: (ts: unknown) => string): unknown[] {
  const { spec, status } = parts(o);
  let ready: any;
  for (const c of list(status.conditions)) if (c?.type === 'Ready') ready = c;
  const conditions = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
  if (spec.unschedulable === true) conditions.push('SchedulingDisabled');

  const roles = new Set<string>();
  for (const [k, v] of Object.entries(record(o.metadata?.labels))) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role !== '') roles.add(role);
    } else if (k === 'kubernetes.io/role' && str(v) !== '') {
      roles.add(str(v));
    }
  }
  const info = record(status.nodeInfo);
  const address = (type: string): string =>
    str(list(status.addresses).find((a) => a?.type === type)?.address) || '<none>';
  return [name(o), conditions.join(','), [...roles].sort().join(',') || '<none>', age(o, since),
    str(info.kubeletVersion), address('InternalIP'), address('ExternalIP'), str(info.osImage) || '<unknown>',
    str(info.kernelVersion) || '<unknown>', str(info.containerRuntimeVersion) || '<unknown>'];
}

function eventCells(o: any, since: (ts: unknown) => string): unknown[] {
  const firstSeen = o.firstTimestamp ? since(o.firstTimestamp) : since(o.eventTime);
  let lastSeen = o.lastTimestamp ? since(o.lastTimestamp) : firstSeen;
  let count = int(o.count);
  if (o.series) {
    lastSeen = since(o.series.lastObservedTime);
    count = int(o.series.count);
  } else if (count === 0) {
    count = 1; // singleton events don't have a count set in the new API
  }
  const involved = record(o.involvedObject);
  const kind = str(involved.kind).toLowerCase();
  const target = str(involved.name) !== '' ? `${kind}/${str(involved.name)}` : kind;
  const source = record(o.source);
  const component = str(source.component) || str(o.reportingController);
  const instance = str(source.host) || str(o.reportingInstance);
  return [lastSeen, str(o.type), str(o.reason), target, str(involved.fieldPath),
    instance === '' ? component : `${component}, ${instance}`, str(o.message).trim(), firstSeen, count, name(o)];
}

function parts(o: any): { spec: Record<string, any>; status: Record<string, any> } {
  return { spec: record(o.spec), status: record(o.status) };
}

function name(o: any): string {
  return str(o.metadata?.name);
}

function age(o: any, since: (ts: unknown) => string): string {
  return since(o.metadata?.creationTimestamp);
}

/** spec.replicas, which the apiserver defaults to 1 for deployments, replica sets and stateful sets. */
function replicas(spec: any): number {
  return typeof spec.replicas === 'number' ? spec.replicas : 1;
}

function template(spec: any): any[] {
  return list(spec.template?.spec?.containers);
}
