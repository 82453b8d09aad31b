// Field-number tables for the Kubernetes protobuf wire format, written for skiff from the
// generated.proto files of k8s.io/api and k8s.io/apimachinery (field numbers never change
// once released, so newer fields only add entries). Each message maps a field number to the
// JSON name of the field and its kind; decode.ts and the test encoder read nothing else.
//
// A field is written compactly as '<name> <kind>' and parsed once at load time:
//   'name'                          a string
//   'replicas int32'                a scalar: string | int32 | int64 | bool | bytes | double
//   'template PodTemplateSpec'      a nested message
//   'containers Container[]'        repeated
//   'labels map<string,string>'     a map (the key is always a string)
//   '...volumeSource VolumeSource'  a Go embedded struct: its fields are inlined into the parent
//
// POINTER and NO_OMITEMPTY below say which scalar fields keep a zero value when decoded (see
// FieldDescriptor.keepZero); every other singular scalar is dropped when it is "", 0 or false.

export type ScalarKind = 'string' | 'int32' | 'int64' | 'bool' | 'bytes' | 'double';

export interface FieldDescriptor {
  /** JSON field name; for an inlined field the proto name, which never reaches JSON. */
  name: string;
  /** A scalar kind or the name of a message in MESSAGES (for a map: the value kind). */
  kind: string;
  repeated?: boolean;
  map?: { key: 'string'; value: string };
  /** Go embeds this struct without a JSON name: its fields belong to the parent object. */
  inline?: boolean;
  /** A scalar the Go type declares as a pointer (*int32, *bool, *string, …): listed in POINTER. */
  pointer?: boolean;
  /** A scalar whose Go json tag lacks omitempty: listed in NO_OMITEMPTY. */
  noOmitEmpty?: boolean;
  /**
   * The decoder keeps this scalar when it holds its zero value ("", 0, false). Set for pointer and
   * noOmitEmpty fields and for the well-known and envelope messages, whose decoders read raw
   * fields. Any other singular scalar is a Go non-pointer with omitempty: gogo-protobuf writes it
   * even when zero, and Go's JSON encoder (what kube-apiserver stores and returns) leaves it out.
   */
  keepZero?: boolean;
}

export type MessageDescriptor = Readonly<Record<number, FieldDescriptor>>;

export const SCALAR_KINDS: ReadonlySet<string> = new Set<ScalarKind>(['string', 'int32', 'int64', 'bool', 'bytes', 'double']);

/**
 * Messages whose JSON form is not an object of their fields: Time and MicroTime are RFC 3339
 * strings, Duration a Go duration string, Quantity and IntOrString scalars, FieldsV1 and
 * RawExtension embedded JSON, ExtraValue a string array. Their wire tables are below too.
 */
export const WELL_KNOWN: ReadonlySet<string> = new Set([
  'Time', 'MicroTime', 'Duration', 'Quantity', 'IntOrString', 'FieldsV1', 'RawExtension', 'ExtraValue',
]);

const LOR = 'LocalObjectReference';
const Q = 'map<string,Quantity>';
const SS = 'map<string,string>';

/** Fields shared by Container and EphemeralContainerCommon (same numbers in both). */
const CONTAINER = {
  1: 'name', 2: 'image', 3: 'command string[]', 4: 'args string[]', 5: 'workingDir',
  6: 'ports ContainerPort[]', 19: 'envFrom EnvFromSource[]', 7: 'env EnvVar[]',
  8: 'resources ResourceRequirements', 23: 'resizePolicy ContainerResizePolicy[]', 24: 'restartPolicy',
  25: 'restartPolicyRules ContainerRestartRule[]', 9: 'volumeMounts VolumeMount[]',
  21: 'volumeDevices VolumeDevice[]', 10: 'livenessProbe Probe', 11: 'readinessProbe Probe',
  22: 'startupProbe Probe', 12: 'lifecycle Lifecycle', 13: 'terminationMessagePath',
  20: 'terminationMessagePolicy', 14: 'imagePullPolicy', 15: 'securityContext SecurityContext',
  16: 'stdin bool', 17: 'stdinOnce bool', 18: 'tty bool',
};

const CONDITION = { 1: 'type', 2: 'status', 3: 'lastTransitionTime Time', 4: 'reason', 5: 'message' };

const SOURCES: Record<string, Record<number, string>> = {
  // ---- k8s.io/apimachinery: runtime, resource, intstr --------------------------------------
  Unknown: { 1: 'typeMeta RuntimeTypeMeta', 2: 'raw bytes', 3: 'contentEncoding', 4: 'contentType' },
  RuntimeTypeMeta: { 1: 'apiVersion', 2: 'kind' },
  RawExtension: { 1: 'raw bytes' },
  Quantity: { 1: 'string' },
  IntOrString: { 1: 'type int64', 2: 'intVal int32', 3: 'strVal' },

  // ---- k8s.io/apimachinery/pkg/apis/meta/v1 -------------------------------------------------
  Time: { 1: 'seconds int64', 2: 'nanos int32' },
  MicroTime: { 1: 'seconds int64', 2: 'nanos int32' },
  Duration: { 1: 'duration int64' },
  FieldsV1: { 1: 'Raw bytes' },
  ObjectMeta: {
    1: 'name', 2: 'generateName', 3: 'namespace', 4: 'selfLink', 5: 'uid', 6: 'resourceVersion',
    7: 'generation int64', 8: 'creationTimestamp Time', 9: 'deletionTimestamp Time',
    10: 'deletionGracePeriodSeconds int64', 11: `labels ${SS}`, 12: `annotations ${SS}`,
    13: 'ownerReferences OwnerReference[]', 14: 'finalizers string[]', 17: 'managedFields ManagedFieldsEntry[]',
  },
  OwnerReference: { 5: 'apiVersion', 1: 'kind', 3: 'name', 4: 'uid', 6: 'controller bool', 7: 'blockOwnerDeletion bool' },
  ManagedFieldsEntry: {
    1: 'manager', 2: 'operation', 3: 'apiVersion', 4: 'time Time', 6: 'fieldsType', 7: 'fieldsV1 FieldsV1', 8: 'subresource',
  },
  ListMeta: { 1: 'selfLink', 2: 'resourceVersion', 3: 'continue', 4: 'remainingItemCount int64' },
  LabelSelector: { 1: `matchLabels ${SS}`, 2: 'matchExpressions LabelSelectorRequirement[]' },
  LabelSelectorRequirement: { 1: 'key', 2: 'operator', 3: 'values string[]' },
  Condition: { 1: 'type', 2: 'status', 3: 'observedGeneration int64', 4: 'lastTransitionTime Time', 5: 'reason', 6: 'message' },
  DeleteOptions: {
    1: 'gracePeriodSeconds int64', 2: 'preconditions Preconditions', 3: 'orphanDependents bool',
    4: 'propagationPolicy', 5: 'dryRun string[]', 6: 'ignoreStoreReadErrorWithClusterBreakingPotential bool',
  },
  Preconditions: { 1: 'uid', 2: 'resourceVersion' },
  Status: { 1: 'metadata ListMeta', 2: 'status', 3: 'message', 4: 'reason', 5: 'details StatusDetails', 6: 'code int32' },
  StatusDetails: { 1: 'name', 2: 'group', 3: 'kind', 6: 'uid', 4: 'causes StatusCause[]', 5: 'retryAfterSeconds int32' },
  StatusCause: { 1: 'reason', 2: 'message', 3: 'field' },

  // ---- core/v1: simple kinds ----------------------------------------------------------------
  Namespace: { 1: 'metadata ObjectMeta', 2: 'spec NamespaceSpec', 3: 'status NamespaceStatus' },
  NamespaceSpec: { 1: 'finalizers string[]' },
  NamespaceStatus: { 1: 'phase', 2: 'conditions NamespaceCondition[]' },
  NamespaceCondition: { 1: 'type', 2: 'status', 4: 'lastTransitionTime Time', 5: 'reason', 6: 'message' },
  ConfigMap: { 1: 'metadata ObjectMeta', 4: 'immutable bool', 2: `data ${SS}`, 3: 'binaryData map<string,bytes>' },
  Secret: { 1: 'metadata ObjectMeta', 5: 'immutable bool', 2: 'data map<string,bytes>', 4: `stringData ${SS}`, 3: 'type' },
  ServiceAccount: {
    1: 'metadata ObjectMeta', 2: 'secrets ObjectReference[]', 3: `imagePullSecrets ${LOR}[]`, 4: 'automountServiceAccountToken bool',
  },
  ObjectReference: { 1: 'kind', 2: 'namespace', 3: 'name', 4: 'uid', 5: 'apiVersion', 6: 'resourceVersion', 7: 'fieldPath' },
  LocalObjectReference: { 1: 'name' },
  TypedLocalObjectReference: { 1: 'apiGroup', 2: 'kind', 3: 'name' },
  TypedObjectReference: { 1: 'apiGroup', 2: 'kind', 3: 'name', 4: 'namespace' },
  SecretReference: { 1: 'name', 2: 'namespace' },
  Binding: { 1: 'metadata ObjectMeta', 2: 'target ObjectReference' },
  ResourceQuota: { 1: 'metadata ObjectMeta', 2: 'spec ResourceQuotaSpec', 3: 'status ResourceQuotaStatus' },
  ResourceQuotaSpec: { 1: `hard ${Q}`, 2: 'scopes string[]', 3: 'scopeSelector ScopeSelector' },
  ResourceQuotaStatus: { 1: `hard ${Q}`, 2: `used ${Q}` },
  ScopeSelector: { 1: 'matchExpressions ScopedResourceSelectorRequirement[]' },
  ScopedResourceSelectorRequirement: { 1: 'scopeName', 2: 'operator', 3: 'values string[]' },
  LimitRange: { 1: 'metadata ObjectMeta', 2: 'spec LimitRangeSpec' },
  LimitRangeSpec: { 1: 'limits LimitRangeItem[]' },
  LimitRangeItem: {
    1: 'type', 2: `max ${Q}`, 3: `min ${Q}`, 4: `default ${Q}`, 5: `defaultRequest ${Q}`, 6: `maxLimitRequestRatio ${Q}`,
  },

  // ---- core/v1: Service, Endpoints, Event -------------------------------------------------
  Service: { 1: 'metadata ObjectMeta', 2: 'spec ServiceSpec', 3: 'status ServiceStatus' },
  ServiceSpec: {
    1: 'ports ServicePort[]', 2: `selector ${SS}`, 3: 'clusterIP', 18: 'clusterIPs string[]', 4: 'type',
    5: 'externalIPs string[]', 7: 'sessionAffinity', 8: 'loadBalancerIP', 9: 'loadBalancerSourceRanges string[]',
    10: 'externalName', 11: 'externalTrafficPolicy', 12: 'healthCheckNodePort int32', 13: 'publishNotReadyAddresses bool',
    14: 'sessionAffinityConfig SessionAffinityConfig', 19: 'ipFamilies string[]', 17: 'ipFamilyPolicy',
    20: 'allocateLoadBalancerNodePorts bool', 21: 'loadBalancerClass', 22: 'internalTrafficPolicy', 23: 'trafficDistribution',
  },
  ServicePort: { 1: 'name', 2: 'protocol', 6: 'appProtocol', 3: 'port int32', 4: 'targetPort IntOrString', 5: 'nodePort int32' },
  SessionAffinityConfig: { 1: 'clientIP ClientIPConfig' },
  ClientIPConfig: { 1: 'timeoutSeconds int32' },
  ServiceStatus: { 1: 'loadBalancer LoadBalancerStatus', 2: 'conditions Condition[]' },
  LoadBalancerStatus: { 1: 'ingress LoadBalancerIngress[]' },
  LoadBalancerIngress: { 1: 'ip', 2: 'hostname', 3: 'ipMode', 4: 'ports PortStatus[]' },
  PortStatus: { 1: 'port int32', 2: 'protocol', 3: 'error' },
  Endpoints: { 1: 'metadata ObjectMeta', 2: 'subsets EndpointSubset[]' },
  EndpointSubset: { 1: 'addresses EndpointAddress[]', 2: 'notReadyAddresses EndpointAddress[]', 3: 'ports EndpointPort[]' },
  EndpointAddress: { 1: 'ip', 3: 'hostname', 4: 'nodeName', 2: 'targetRef ObjectReference' },
  EndpointPort: { 1: 'name', 2: 'port int32', 3: 'protocol', 4: 'appProtocol' },
  Event: {
    1: 'metadata ObjectMeta', 2: 'involvedObject ObjectReference', 3: 'reason', 4: 'message', 5: 'source EventSource',
    6: 'firstTimestamp Time', 7: 'lastTimestamp Time', 8: 'count int32', 9: 'type', 10: 'eventTime MicroTime',
    11: 'series EventSeries', 12: 'action', 13: 'related ObjectReference', 14: 'reportingComponent', 15: 'reportingInstance',
  },
  EventSource: { 1: 'component', 2: 'host' },
  EventSeries: { 1: 'count int32', 2: 'lastObservedTime MicroTime' },

  // ---- core/v1: Pod and PodSpec ------------------------------------------------------------
  Pod: { 1: 'metadata ObjectMeta', 2: 'spec PodSpec', 3: 'status PodStatus' },
  PodTemplate: { 1: 'metadata ObjectMeta', 2: 'template PodTemplateSpec' },
  PodTemplateSpec: { 1: 'metadata ObjectMeta', 2: 'spec PodSpec' },
  PodSpec: {
    1: 'volumes Volume[]', 20: 'initContainers Container[]', 2: 'containers Container[]',
    34: 'ephemeralContainers EphemeralContainer[]', 3: 'restartPolicy', 4: 'terminationGracePeriodSeconds int64',
    5: 'activeDeadlineSeconds int64', 6: 'dnsPolicy', 7: `nodeSelector ${SS}`, 8: 'serviceAccountName',
    9: 'serviceAccount', 21: 'automountServiceAccountToken bool', 10: 'nodeName', 11: 'hostNetwork bool',
    12: 'hostPID bool', 13: 'hostIPC bool', 27: 'shareProcessNamespace bool', 14: 'securityContext PodSecurityContext',
    15: `imagePullSecrets ${LOR}[]`, 16: 'hostname', 17: 'subdomain', 18: 'affinity Affinity', 19: 'schedulerName',
    22: 'tolerations Toleration[]', 23: 'hostAliases HostAlias[]', 24: 'priorityClassName', 25: 'priority int32',
    26: 'dnsConfig PodDNSConfig', 28: 'readinessGates PodReadinessGate[]', 29: 'runtimeClassName',
    30: 'enableServiceLinks bool', 31: 'preemptionPolicy', 32: `overhead ${Q}`,
    33: 'topologySpreadConstraints TopologySpreadConstraint[]', 35: 'setHostnameAsFQDN bool', 36: 'os PodOS',
    37: 'hostUsers bool', 38: 'schedulingGates PodSchedulingGate[]', 39: 'resourceClaims PodResourceClaim[]',
    40: 'resources ResourceRequirements', 41: 'hostnameOverride', 42: 'workloadRef WorkloadReference',
  },
  WorkloadReference: { 1: 'name', 2: 'podGroup', 3: 'podGroupReplicaKey' },
  PodOS: { 1: 'name' },
  PodSchedulingGate: { 1: 'name' },
  PodResourceClaim: { 1: 'name', 3: 'resourceClaimName', 4: 'resourceClaimTemplateName' },
  PodReadinessGate: { 1: 'conditionType' },
  PodDNSConfig: { 1: 'nameservers string[]', 2: 'searches string[]', 3: 'options PodDNSConfigOption[]' },
  PodDNSConfigOption: { 1: 'name', 2: 'value' },
  HostAlias: { 1: 'ip', 2: 'hostnames string[]' },
  Toleration: { 1: 'key', 2: 'operator', 3: 'value', 4: 'effect', 5: 'tolerationSeconds int64' },
  TopologySpreadConstraint: {
    1: 'maxSkew int32', 2: 'topologyKey', 3: 'whenUnsatisfiable', 4: 'labelSelector LabelSelector', 5: 'minDomains int32',
    6: 'nodeAffinityPolicy', 7: 'nodeTaintsPolicy', 8: 'matchLabelKeys string[]',
  },
  PodSecurityContext: {
    1: 'seLinuxOptions SELinuxOptions', 8: 'windowsOptions WindowsSecurityContextOptions', 2: 'runAsUser int64',
    6: 'runAsGroup int64', 3: 'runAsNonRoot bool', 4: 'supplementalGroups int64[]', 12: 'supplementalGroupsPolicy',
    5: 'fsGroup int64', 7: 'sysctls Sysctl[]', 9: 'fsGroupChangePolicy', 10: 'seccompProfile SeccompProfile',
    11: 'appArmorProfile AppArmorProfile', 13: 'seLinuxChangePolicy',
  },
  SecurityContext: {
    1: 'capabilities Capabilities', 2: 'privileged bool', 3: 'seLinuxOptions SELinuxOptions',
    10: 'windowsOptions WindowsSecurityContextOptions', 4: 'runAsUser int64', 8: 'runAsGroup int64', 5: 'runAsNonRoot bool',
    6: 'readOnlyRootFilesystem bool', 7: 'allowPrivilegeEscalation bool', 9: 'procMount', 11: 'seccompProfile SeccompProfile',
    12: 'appArmorProfile AppArmorProfile', 13: 'ulimits Ulimit[]',
  },
  SELinuxOptions: { 1: 'user', 2: 'role', 3: 'type', 4: 'level' },
  WindowsSecurityContextOptions: { 1: 'gmsaCredentialSpecName', 2: 'gmsaCredentialSpec', 3: 'runAsUserName', 4: 'hostProcess bool' },
  Sysctl: { 1: 'name', 2: 'value' },
  SeccompProfile: { 1: 'type', 2: 'localhostProfile' },
  AppArmorProfile: { 1: 'type', 2: 'localhostProfile' },
  Capabilities: { 1: 'add string[]', 2: 'drop string[]' },
  Ulimit: { 1: 'name', 2: 'hard int64', 3: 'soft int64' },
  Affinity: { 1: 'nodeAffinity NodeAffinity', 2: 'podAffinity PodAffinity', 3: 'podAntiAffinity PodAntiAffinity' },
  NodeAffinity: {
    1: 'requiredDuringSchedulingIgnoredDuringExecution NodeSelector',
    2: 'preferredDuringSchedulingIgnoredDuringExecution PreferredSchedulingTerm[]',
  },
  NodeSelector: { 1: 'nodeSelectorTerms NodeSelectorTerm[]' },
  NodeSelectorTerm: { 1: 'matchExpressions NodeSelectorRequirement[]', 2: 'matchFields NodeSelectorRequirement[]' },
  NodeSelectorRequirement: { 1: 'key', 2: 'operator', 3: 'values string[]' },
  PreferredSchedulingTerm: { 1: 'weight int32', 2: 'preference NodeSelectorTerm' },
  PodAffinity: {
    1: 'requiredDuringSchedulingIgnoredDuringExecution PodAffinityTerm[]',
    2: 'preferredDuringSchedulingIgnoredDuringExecution WeightedPodAffinityTerm[]',
  },
  PodAntiAffinity: {
    1: 'requiredDuringSchedulingIgnoredDuringExecution PodAffinityTerm[]',
    2: 'preferredDuringSchedulingIgnoredDuringExecution WeightedPodAffinityTerm[]',
  },
  PodAffinityTerm: {
    1: 'labelSelector LabelSelector', 2: 'namespaces string[]', 3: 'topologyKey', 4: 'namespaceSelector LabelSelector',
    5: 'matchLabelKeys string[]', 6: 'mismatchLabelKeys string[]',
  },
  WeightedPodAffinityTerm: { 1: 'weight int32', 2: 'podAffinityTerm PodAffinityTerm' },

  // ---- core/v1: containers ------------------------------------------------------------------
  Container: CONTAINER,
  EphemeralContainer: { 1: '...ephemeralContainerCommon EphemeralContainerCommon', 2: 'targetContainerName' },
  EphemeralContainerCommon: CONTAINER,
  ContainerPort: { 1: 'name', 2: 'hostPort int32', 3: 'containerPort int32', 4: 'protocol', 5: 'hostIP' },
  ContainerResizePolicy: { 1: 'resourceName', 2: 'restartPolicy' },
  ContainerRestartRule: { 1: 'action', 2: 'exitCodes ContainerRestartRuleOnExitCodes' },
  ContainerRestartRuleOnExitCodes: { 1: 'operator', 2: 'values int32[]' },
  EnvFromSource: { 1: 'prefix', 2: 'configMapRef ConfigMapEnvSource', 3: 'secretRef SecretEnvSource' },
  ConfigMapEnvSource: { 1: `...localObjectReference ${LOR}`, 2: 'optional bool' },
  SecretEnvSource: { 1: `...localObjectReference ${LOR}`, 2: 'optional bool' },
  EnvVar: { 1: 'name', 2: 'value', 3: 'valueFrom EnvVarSource' },
  EnvVarSource: {
    1: 'fieldRef ObjectFieldSelector', 2: 'resourceFieldRef ResourceFieldSelector', 3: 'configMapKeyRef ConfigMapKeySelector',
    4: 'secretKeyRef SecretKeySelector', 5: 'fileKeyRef FileKeySelector',
  },
  ObjectFieldSelector: { 1: 'apiVersion', 2: 'fieldPath' },
  ResourceFieldSelector: { 1: 'containerName', 2: 'resource', 3: 'divisor Quantity' },
  ConfigMapKeySelector: { 1: `...localObjectReference ${LOR}`, 2: 'key', 3: 'optional bool' },
  SecretKeySelector: { 1: `...localObjectReference ${LOR}`, 2: 'key', 3: 'optional bool' },
  FileKeySelector: { 1: 'volumeName', 2: 'path', 3: 'key', 4: 'optional bool' },
  ResourceRequirements: { 1: `limits ${Q}`, 2: `requests ${Q}`, 3: 'claims ResourceClaim[]' },
  ResourceClaim: { 1: 'name', 2: 'request' },
  VolumeMount: {
    1: 'name', 2: 'readOnly bool', 7: 'recursiveReadOnly', 3: 'mountPath', 4: 'subPath', 5: 'mountPropagation', 6: 'subPathExpr',
  },
  VolumeDevice: { 1: 'name', 2: 'devicePath' },
  Probe: {
    1: '...handler ProbeHandler', 2: 'initialDelaySeconds int32', 3: 'timeoutSeconds int32', 4: 'periodSeconds int32',
    5: 'successThreshold int32', 6: 'failureThreshold int32', 7: 'terminationGracePeriodSeconds int64',
  },
  ProbeHandler: { 1: 'exec ExecAction', 2: 'httpGet HTTPGetAction', 3: 'tcpSocket TCPSocketAction', 4: 'grpc GRPCAction' },
  ExecAction: { 1: 'command string[]' },
  HTTPGetAction: { 1: 'path', 2: 'port IntOrString', 3: 'host', 4: 'scheme', 5: 'httpHeaders HTTPHeader[]' },
  HTTPHeader: { 1: 'name', 2: 'value' },
  TCPSocketAction: { 1: 'port IntOrString', 2: 'host' },
  GRPCAction: { 1: 'port int32', 2: 'service' },
  Lifecycle: { 1: 'postStart LifecycleHandler', 2: 'preStop LifecycleHandler', 3: 'stopSignal' },
  LifecycleHandler: { 1: 'exec ExecAction', 2: 'httpGet HTTPGetAction', 3: 'tcpSocket TCPSocketAction', 4: 'sleep SleepAction' },
  SleepAction: { 1: 'seconds int64' },

  // ---- core/v1: volumes ---------------------------------------------------------------------
  Volume: { 1: 'name', 2: '...volumeSource VolumeSource' },
  VolumeSource: {
    1: 'hostPath HostPathVolumeSource', 2: 'emptyDir EmptyDirVolumeSource', 3: 'gcePersistentDisk GCEPersistentDiskVolumeSource',
    4: 'awsElasticBlockStore AWSElasticBlockStoreVolumeSource', 5: 'gitRepo GitRepoVolumeSource', 6: 'secret SecretVolumeSource',
    7: 'nfs NFSVolumeSource', 8: 'iscsi ISCSIVolumeSource', 9: 'glusterfs GlusterfsVolumeSource',
    10: 'persistentVolumeClaim PersistentVolumeClaimVolumeSource', 11: 'rbd RBDVolumeSource', 12: 'flexVolume FlexVolumeSource',
    13: 'cinder CinderVolumeSource', 14: 'cephfs CephFSVolumeSource', 15: 'flocker FlockerVolumeSource',
    16: 'downwardAPI DownwardAPIVolumeSource', 17: 'fc FCVolumeSource', 18: 'azureFile AzureFileVolumeSource',
    19: 'configMap ConfigMapVolumeSource', 20: 'vsphereVolume VsphereVirtualDiskVolumeSource', 21: 'quobyte QuobyteVolumeSource',
    22: 'azureDisk AzureDiskVolumeSource', 23: 'photonPersistentDisk PhotonPersistentDiskVolumeSource',
    26: 'projected ProjectedVolumeSource', 24: 'portworxVolume PortworxVolumeSource', 25: 'scaleIO ScaleIOVolumeSource',
    27: 'storageos StorageOSVolumeSource', 28: 'csi CSIVolumeSource', 29: 'ephemeral EphemeralVolumeSource',
    30: 'image ImageVolumeSource',
  },
  HostPathVolumeSource: { 1: 'path', 2: 'type' },
  EmptyDirVolumeSource: { 1: 'medium', 2: 'sizeLimit Quantity' },
  GCEPersistentDiskVolumeSource: { 1: 'pdName', 2: 'fsType', 3: 'partition int32', 4: 'readOnly bool' },
  AWSElasticBlockStoreVolumeSource: { 1: 'volumeID', 2: 'fsType', 3: 'partition int32', 4: 'readOnly bool' },
  GitRepoVolumeSource: { 1: 'repository', 2: 'revision', 3: 'directory' },
  SecretVolumeSource: { 1: 'secretName', 2: 'items KeyToPath[]', 3: 'defaultMode int32', 4: 'optional bool' },
  KeyToPath: { 1: 'key', 2: 'path', 3: 'mode int32' },
  NFSVolumeSource: { 1: 'server', 2: 'path', 3: 'readOnly bool' },
  ISCSIVolumeSource: {
    1: 'targetPortal', 2: 'iqn', 3: 'lun int32', 4: 'iscsiInterface', 5: 'fsType', 6: 'readOnly bool', 7: 'portals string[]',
    8: 'chapAuthDiscovery bool', 11: 'chapAuthSession bool', 10: `secretRef ${LOR}`, 12: 'initiatorName',
  },
  GlusterfsVolumeSource: { 1: 'endpoints', 2: 'path', 3: 'readOnly bool' },
  PersistentVolumeClaimVolumeSource: { 1: 'claimName', 2: 'readOnly bool' },
  RBDVolumeSource: {
    1: 'monitors string[]', 2: 'image', 3: 'fsType', 4: 'pool', 5: 'user', 6: 'keyring', 7: `secretRef ${LOR}`, 8: 'readOnly bool',
  },
  FlexVolumeSource: { 1: 'driver', 2: 'fsType', 3: `secretRef ${LOR}`, 4: 'readOnly bool', 5: `options ${SS}` },
  CinderVolumeSource: { 1: 'volumeID', 2: 'fsType', 3: 'readOnly bool', 4: `secretRef ${LOR}` },
  CephFSVolumeSource: {
    1: 'monitors string[]', 2: 'path', 3: 'user', 4: 'secretFile', 5: `secretRef ${LOR}`, 6: 'readOnly bool',
  },
  FlockerVolumeSource: { 1: 'datasetName', 2: 'datasetUUID' },
  DownwardAPIVolumeSource: { 1: 'items DownwardAPIVolumeFile[]', 2: 'defaultMode int32' },
  DownwardAPIVolumeFile: {
    1: 'path', 2: 'fieldRef ObjectFieldSelector', 3: 'resourceFieldRef ResourceFieldSelector', 4: 'mode int32',
  },
  FCVolumeSource: { 1: 'targetWWNs string[]', 2: 'lun int32', 3: 'fsType', 4: 'readOnly bool', 5: 'wwids string[]' },
  AzureFileVolumeSource: { 1: 'secretName', 2: 'shareName', 3: 'readOnly bool' },
  ConfigMapVolumeSource: {
    1: `...localObjectReference ${LOR}`, 2: 'items KeyToPath[]', 3: 'defaultMode int32', 4: 'optional bool',
  },
  VsphereVirtualDiskVolumeSource: { 1: 'volumePath', 2: 'fsType', 3: 'storagePolicyName', 4: 'storagePolicyID' },
  QuobyteVolumeSource: { 1: 'registry', 2: 'volume', 3: 'readOnly bool', 4: 'user', 5: 'group', 6: 'tenant' },
  AzureDiskVolumeSource: { 1: 'diskName', 2: 'diskURI', 3: 'cachingMode', 4: 'fsType', 5: 'readOnly bool', 6: 'kind' },
  PhotonPersistentDiskVolumeSource: { 1: 'pdID', 2: 'fsType' },
  ProjectedVolumeSource: { 1: 'sources VolumeProjection[]', 2: 'defaultMode int32' },
  VolumeProjection: {
    1: 'secret SecretProjection', 2: 'downwardAPI DownwardAPIProjection', 3: 'configMap ConfigMapProjection',
    4: 'serviceAccountToken ServiceAccountTokenProjection', 5: 'clusterTrustBundle ClusterTrustBundleProjection',
    6: 'podCertificate PodCertificateProjection',
  },
  SecretProjection: { 1: `...localObjectReference ${LOR}`, 2: 'items KeyToPath[]', 4: 'optional bool' },
  ConfigMapProjection: { 1: `...localObjectReference ${LOR}`, 2: 'items KeyToPath[]', 4: 'optional bool' },
  DownwardAPIProjection: { 1: 'items DownwardAPIVolumeFile[]' },
  ServiceAccountTokenProjection: { 1: 'audience', 2: 'expirationSeconds int64', 3: 'path' },
  ClusterTrustBundleProjection: { 1: 'name', 2: 'signerName', 3: 'labelSelector LabelSelector', 5: 'optional bool', 4: 'path' },
  PodCertificateProjection: {
    1: 'signerName', 2: 'keyType', 3: 'maxExpirationSeconds int32', 4: 'credentialBundlePath', 5: 'keyPath',
    6: 'certificateChainPath', 7: `userAnnotations ${SS}`,
  },
  PortworxVolumeSource: { 1: 'volumeID', 2: 'fsType', 3: 'readOnly bool' },
  ScaleIOVolumeSource: {
    1: 'gateway', 2: 'system', 3: `secretRef ${LOR}`, 4: 'sslEnabled bool', 5: 'protectionDomain', 6: 'storagePool',
    7: 'storageMode', 8: 'volumeName', 9: 'fsType', 10: 'readOnly bool',
  },
  StorageOSVolumeSource: { 1: 'volumeName', 2: 'volumeNamespace', 3: 'fsType', 4: 'readOnly bool', 5: `secretRef ${LOR}` },
  CSIVolumeSource: {
    1: 'driver', 2: 'readOnly bool', 3: 'fsType', 4: `volumeAttributes ${SS}`, 5: `nodePublishSecretRef ${LOR}`,
  },
  EphemeralVolumeSource: { 1: 'volumeClaimTemplate PersistentVolumeClaimTemplate' },
  PersistentVolumeClaimTemplate: { 1: 'metadata ObjectMeta', 2: 'spec PersistentVolumeClaimSpec' },
  ImageVolumeSource: { 1: 'reference', 2: 'pullPolicy' },

  // ---- core/v1: PodStatus -------------------------------------------------------------------
  PodStatus: {
    17: 'observedGeneration int64', 1: 'phase', 2: 'conditions PodCondition[]', 3: 'message', 4: 'reason',
    11: 'nominatedNodeName', 5: 'hostIP', 16: 'hostIPs HostIP[]', 6: 'podIP', 12: 'podIPs PodIP[]', 7: 'startTime Time',
    10: 'initContainerStatuses ContainerStatus[]', 8: 'containerStatuses ContainerStatus[]', 9: 'qosClass',
    13: 'ephemeralContainerStatuses ContainerStatus[]', 14: 'resize', 15: 'resourceClaimStatuses PodResourceClaimStatus[]',
    18: 'extendedResourceClaimStatus PodExtendedResourceClaimStatus', 19: `allocatedResources ${Q}`,
    20: 'resources ResourceRequirements',
  },
  PodCondition: {
    1: 'type', 7: 'observedGeneration int64', 2: 'status', 3: 'lastProbeTime Time', 4: 'lastTransitionTime Time',
    5: 'reason', 6: 'message',
  },
  HostIP: { 1: 'ip' },
  PodIP: { 1: 'ip' },
  PodResourceClaimStatus: { 1: 'name', 2: 'resourceClaimName' },
  PodExtendedResourceClaimStatus: { 1: 'requestMappings ContainerExtendedResourceRequest[]', 2: 'resourceClaimName' },
  ContainerExtendedResourceRequest: { 1: 'containerName', 2: 'resourceName', 3: 'requestName' },
  ContainerStatus: {
    1: 'name', 2: 'state ContainerState', 3: 'lastState ContainerState', 4: 'ready bool', 5: 'restartCount int32',
    6: 'image', 7: 'imageID', 8: 'containerID', 9: 'started bool', 10: `allocatedResources ${Q}`,
    11: 'resources ResourceRequirements', 12: 'volumeMounts VolumeMountStatus[]', 13: 'user ContainerUser',
    14: 'allocatedResourcesStatus ResourceStatus[]', 15: 'stopSignal',
  },
  ContainerState: {
    1: 'waiting ContainerStateWaiting', 2: 'running ContainerStateRunning', 3: 'terminated ContainerStateTerminated',
  },
  ContainerStateWaiting: { 1: 'reason', 2: 'message' },
  ContainerStateRunning: { 1: 'startedAt Time' },
  ContainerStateTerminated: {
    1: 'exitCode int32', 2: 'signal int32', 3: 'reason', 4: 'message', 5: 'startedAt Time', 6: 'finishedAt Time', 7: 'containerID',
  },
  VolumeMountStatus: { 1: 'name', 2: 'mountPath', 3: 'readOnly bool', 4: 'recursiveReadOnly', 5: 'volumeStatus VolumeStatus' },
  VolumeStatus: { 1: 'image ImageVolumeStatus' },
  ImageVolumeStatus: { 1: 'imageRef' },
  ContainerUser: { 1: 'linux LinuxContainerUser' },
  LinuxContainerUser: { 1: 'uid int64', 2: 'gid int64', 3: 'supplementalGroups int64[]' },
  ResourceStatus: { 1: 'name', 2: 'resources ResourceHealth[]' },
  ResourceHealth: { 1: 'resourceID', 2: 'health', 6: 'message' },

  // ---- core/v1: ReplicationController -------------------------------------------------------
  ReplicationController: {
    1: 'metadata ObjectMeta', 2: 'spec ReplicationControllerSpec', 3: 'status ReplicationControllerStatus',
  },
  ReplicationControllerSpec: { 1: 'replicas int32', 4: 'minReadySeconds int32', 2: `selector ${SS}`, 3: 'template PodTemplateSpec' },
  ReplicationControllerStatus: {
    1: 'replicas int32', 2: 'fullyLabeledReplicas int32', 4: 'readyReplicas int32', 5: 'availableReplicas int32',
    3: 'observedGeneration int64', 6: 'conditions ReplicationControllerCondition[]',
  },
  ReplicationControllerCondition: CONDITION,

  // ---- core/v1: Node ------------------------------------------------------------------------
  Node: { 1: 'metadata ObjectMeta', 2: 'spec NodeSpec', 3: 'status NodeStatus' },
  NodeSpec: {
    1: 'podCIDR', 7: 'podCIDRs string[]', 3: 'providerID', 4: 'unschedulable bool', 5: 'taints Taint[]',
    6: 'configSource NodeConfigSource', 2: 'externalID',
  },
  Taint: { 1: 'key', 2: 'value', 3: 'effect', 4: 'timeAdded Time' },
  NodeConfigSource: { 2: 'configMap ConfigMapNodeConfigSource' },
  ConfigMapNodeConfigSource: { 1: 'namespace', 2: 'name', 3: 'uid', 4: 'resourceVersion', 5: 'kubeletConfigKey' },
  NodeStatus: {
    1: `capacity ${Q}`, 2: `allocatable ${Q}`, 3: 'phase', 4: 'conditions NodeCondition[]', 5: 'addresses NodeAddress[]',
    6: 'daemonEndpoints NodeDaemonEndpoints', 7: 'nodeInfo NodeSystemInfo', 8: 'images ContainerImage[]',
    9: 'volumesInUse string[]', 10: 'volumesAttached AttachedVolume[]', 11: 'config NodeConfigStatus',
    12: 'runtimeHandlers NodeRuntimeHandler[]', 13: 'features NodeFeatures', 14: 'declaredFeatures string[]',
  },
  NodeCondition: {
    1: 'type', 2: 'status', 3: 'lastHeartbeatTime Time', 4: 'lastTransitionTime Time', 5: 'reason', 6: 'message',
  },
  NodeAddress: { 1: 'type', 2: 'address' },
  NodeDaemonEndpoints: { 1: 'kubeletEndpoint DaemonEndpoint' },
  DaemonEndpoint: { 1: 'Port int32' },
  NodeSystemInfo: {
    1: 'machineID', 2: 'systemUUID', 3: 'bootID', 4: 'kernelVersion', 5: 'osImage', 6: 'containerRuntimeVersion',
    7: 'kubeletVersion', 8: 'kubeProxyVersion', 9: 'operatingSystem', 10: 'architecture', 11: 'swap NodeSwapStatus',
  },
  NodeSwapStatus: { 1: 'capacity int64' },
  ContainerImage: { 1: 'names string[]', 2: 'sizeBytes int64' },
  AttachedVolume: { 1: 'name', 2: 'devicePath' },
  NodeConfigStatus: {
    1: 'assigned NodeConfigSource', 2: 'active NodeConfigSource', 3: 'lastKnownGood NodeConfigSource', 4: 'error',
  },
  NodeRuntimeHandler: { 1: 'name', 2: 'features NodeRuntimeHandlerFeatures' },
  NodeRuntimeHandlerFeatures: { 1: 'recursiveReadOnlyMounts bool', 2: 'userNamespaces bool' },
  NodeFeatures: { 1: 'supplementalGroupsPolicy bool', 2: 'containerUlimits bool' },

  // ---- core/v1: storage ---------------------------------------------------------------------
  PersistentVolume: { 1: 'metadata ObjectMeta', 2: 'spec PersistentVolumeSpec', 3: 'status PersistentVolumeStatus' },
  PersistentVolumeSpec: {
    1: `capacity ${Q}`, 2: '...persistentVolumeSource PersistentVolumeSource', 3: 'accessModes string[]',
    4: 'claimRef ObjectReference', 5: 'persistentVolumeReclaimPolicy', 6: 'storageClassName', 7: 'mountOptions string[]',
    8: 'volumeMode', 9: 'nodeAffinity VolumeNodeAffinity', 10: 'volumeAttributesClassName',
  },
  PersistentVolumeSource: {
    1: 'gcePersistentDisk GCEPersistentDiskVolumeSource', 2: 'awsElasticBlockStore AWSElasticBlockStoreVolumeSource',
    3: 'hostPath HostPathVolumeSource', 4: 'glusterfs GlusterfsPersistentVolumeSource', 5: 'nfs NFSVolumeSource',
    6: 'rbd RBDPersistentVolumeSource', 7: 'iscsi ISCSIPersistentVolumeSource', 8: 'cinder CinderPersistentVolumeSource',
    9: 'cephfs CephFSPersistentVolumeSource', 10: 'fc FCVolumeSource', 11: 'flocker FlockerVolumeSource',
    12: 'flexVolume FlexPersistentVolumeSource', 13: 'azureFile AzureFilePersistentVolumeSource',
    14: 'vsphereVolume VsphereVirtualDiskVolumeSource', 15: 'quobyte QuobyteVolumeSource', 16: 'azureDisk AzureDiskVolumeSource',
    17: 'photonPersistentDisk PhotonPersistentDiskVolumeSource', 18: 'portworxVolume PortworxVolumeSource',
    19: 'scaleIO ScaleIOPersistentVolumeSource', 20: 'local LocalVolumeSource', 21: 'storageos StorageOSPersistentVolumeSource',
    22: 'csi CSIPersistentVolumeSource',
  },
  GlusterfsPersistentVolumeSource: { 1: 'endpoints', 2: 'path', 3: 'readOnly bool', 4: 'endpointsNamespace' },
  RBDPersistentVolumeSource: {
    1: 'monitors string[]', 2: 'image', 3: 'fsType', 4: 'pool', 5: 'user', 6: 'keyring', 7: 'secretRef SecretReference',
    8: 'readOnly bool',
  },
  ISCSIPersistentVolumeSource: {
    1: 'targetPortal', 2: 'iqn', 3: 'lun int32', 4: 'iscsiInterface', 5: 'fsType', 6: 'readOnly bool', 7: 'portals string[]',
    8: 'chapAuthDiscovery bool', 11: 'chapAuthSession bool', 10: 'secretRef SecretReference', 12: 'initiatorName',
  },
  CinderPersistentVolumeSource: { 1: 'volumeID', 2: 'fsType', 3: 'readOnly bool', 4: 'secretRef SecretReference' },
  CephFSPersistentVolumeSource: {
    1: 'monitors string[]', 2: 'path', 3: 'user', 4: 'secretFile', 5: 'secretRef SecretReference', 6: 'readOnly bool',
  },
  FlexPersistentVolumeSource: { 1: 'driver', 2: 'fsType', 3: 'secretRef SecretReference', 4: 'readOnly bool', 5: `options ${SS}` },
  AzureFilePersistentVolumeSource: { 1: 'secretName', 2: 'shareName', 3: 'readOnly bool', 4: 'secretNamespace' },
  ScaleIOPersistentVolumeSource: {
    1: 'gateway', 2: 'system', 3: 'secretRef SecretReference', 4: 'sslEnabled bool', 5: 'protectionDomain', 6: 'storagePool',
    7: 'storageMode', 8: 'volumeName', 9: 'fsType', 10: 'readOnly bool',
  },
  LocalVolumeSource: { 1: 'path', 2: 'fsType' },
  StorageOSPersistentVolumeSource: {
    1: 'volumeName', 2: 'volumeNamespace', 3: 'fsType', 4: 'readOnly bool', 5: 'secretRef ObjectReference',
  },
  CSIPersistentVolumeSource: {
    1: 'driver', 2: 'volumeHandle', 3: 'readOnly bool', 4: 'fsType', 5: `volumeAttributes ${SS}`,
    6: 'controllerPublishSecretRef SecretReference', 7: 'nodeStageSecretRef SecretReference',
    8: 'nodePublishSecretRef SecretReference', 9: 'controllerExpandSecretRef SecretReference',
    10: 'nodeExpandSecretRef SecretReference',
  },
  VolumeNodeAffinity: { 1: 'required NodeSelector' },
  PersistentVolumeStatus: { 1: 'phase', 2: 'message', 3: 'reason', 4: 'lastPhaseTransitionTime Time' },
  PersistentVolumeClaim: {
    1: 'metadata ObjectMeta', 2: 'spec PersistentVolumeClaimSpec', 3: 'status PersistentVolumeClaimStatus',
  },
  PersistentVolumeClaimSpec: {
    1: 'accessModes string[]', 4: 'selector LabelSelector', 2: 'resources VolumeResourceRequirements', 3: 'volumeName',
    5: 'storageClassName', 6: 'volumeMode', 7: 'dataSource TypedLocalObjectReference', 8: 'dataSourceRef TypedObjectReference',
    9: 'volumeAttributesClassName',
  },
  VolumeResourceRequirements: { 1: `limits ${Q}`, 2: `requests ${Q}` },
  PersistentVolumeClaimStatus: {
    1: 'phase', 2: 'accessModes string[]', 3: `capacity ${Q}`, 4: 'conditions PersistentVolumeClaimCondition[]',
    5: `allocatedResources ${Q}`, 7: `allocatedResourceStatuses ${SS}`, 8: 'currentVolumeAttributesClassName',
    9: 'modifyVolumeStatus ModifyVolumeStatus',
  },
  PersistentVolumeClaimCondition: {
    1: 'type', 2: 'status', 3: 'lastProbeTime Time', 4: 'lastTransitionTime Time', 5: 'reason', 6: 'message',
  },
  ModifyVolumeStatus: { 1: 'targetVolumeAttributesClassName', 2: 'status' },

  // ---- apps/v1 ------------------------------------------------------------------------------
  Deployment: { 1: 'metadata ObjectMeta', 2: 'spec DeploymentSpec', 3: 'status DeploymentStatus' },
  DeploymentSpec: {
    1: 'replicas int32', 2: 'selector LabelSelector', 3: 'template PodTemplateSpec', 4: 'strategy DeploymentStrategy',
    5: 'minReadySeconds int32', 6: 'revisionHistoryLimit int32', 7: 'paused bool', 9: 'progressDeadlineSeconds int32',
    10: 'podReplacementPolicy',
  },
  DeploymentStrategy: { 1: 'type', 2: 'rollingUpdate RollingUpdateDeployment' },
  RollingUpdateDeployment: { 1: 'maxUnavailable IntOrString', 2: 'maxSurge IntOrString' },
  DeploymentStatus: {
    1: 'observedGeneration int64', 2: 'replicas int32', 3: 'updatedReplicas int32', 7: 'readyReplicas int32',
    4: 'availableReplicas int32', 5: 'unavailableReplicas int32', 9: 'terminatingReplicas int32',
    6: 'conditions DeploymentCondition[]', 8: 'collisionCount int32',
  },
  DeploymentCondition: {
    1: 'type', 2: 'status', 6: 'lastUpdateTime Time', 7: 'lastTransitionTime Time', 4: 'reason', 5: 'message',
  },
  ReplicaSet: { 1: 'metadata ObjectMeta', 2: 'spec ReplicaSetSpec', 3: 'status ReplicaSetStatus' },
  ReplicaSetSpec: { 1: 'replicas int32', 4: 'minReadySeconds int32', 2: 'selector LabelSelector', 3: 'template PodTemplateSpec' },
  ReplicaSetStatus: {
    1: 'replicas int32', 2: 'fullyLabeledReplicas int32', 4: 'readyReplicas int32', 5: 'availableReplicas int32',
    7: 'terminatingReplicas int32', 3: 'observedGeneration int64', 6: 'conditions ReplicaSetCondition[]',
  },
  ReplicaSetCondition: CONDITION,
  StatefulSet: { 1: 'metadata ObjectMeta', 2: 'spec StatefulSetSpec', 3: 'status StatefulSetStatus' },
  StatefulSetSpec: {
    1: 'replicas int32', 2: 'selector LabelSelector', 3: 'template PodTemplateSpec',
    4: 'volumeClaimTemplates PersistentVolumeClaim[]', 5: 'serviceName', 6: 'podManagementPolicy',
    7: 'updateStrategy StatefulSetUpdateStrategy', 8: 'revisionHistoryLimit int32', 9: 'minReadySeconds int32',
    10: 'persistentVolumeClaimRetentionPolicy StatefulSetPersistentVolumeClaimRetentionPolicy',
    11: 'ordinals StatefulSetOrdinals',
  },
  StatefulSetUpdateStrategy: { 1: 'type', 2: 'rollingUpdate RollingUpdateStatefulSetStrategy' },
  RollingUpdateStatefulSetStrategy: { 1: 'partition int32', 2: 'maxUnavailable IntOrString' },
  StatefulSetPersistentVolumeClaimRetentionPolicy: { 1: 'whenDeleted', 2: 'whenScaled' },
  StatefulSetOrdinals: { 1: 'start int32' },
  StatefulSetStatus: {
    1: 'observedGeneration int64', 2: 'replicas int32', 3: 'readyReplicas int32', 4: 'currentReplicas int32',
    5: 'updatedReplicas int32', 6: 'currentRevision', 7: 'updateRevision', 9: 'collisionCount int32',
    10: 'conditions StatefulSetCondition[]', 11: 'availableReplicas int32',
  },
  StatefulSetCondition: CONDITION,
  DaemonSet: { 1: 'metadata ObjectMeta', 2: 'spec DaemonSetSpec', 3: 'status DaemonSetStatus' },
  DaemonSetSpec: {
    1: 'selector LabelSelector', 2: 'template PodTemplateSpec', 3: 'updateStrategy DaemonSetUpdateStrategy',
    4: 'minReadySeconds int32', 6: 'revisionHistoryLimit int32',
  },
  DaemonSetUpdateStrategy: { 1: 'type', 2: 'rollingUpdate RollingUpdateDaemonSet' },
  RollingUpdateDaemonSet: { 1: 'maxUnavailable IntOrString', 2: 'maxSurge IntOrString' },
  DaemonSetStatus: {
    1: 'currentNumberScheduled int32', 2: 'numberMisscheduled int32', 3: 'desiredNumberScheduled int32',
    4: 'numberReady int32', 5: 'observedGeneration int64', 6: 'updatedNumberScheduled int32', 7: 'numberAvailable int32',
    8: 'numberUnavailable int32', 9: 'collisionCount int32', 10: 'conditions DaemonSetCondition[]',
  },
  DaemonSetCondition: CONDITION,
  ControllerRevision: { 1: 'metadata ObjectMeta', 2: 'data RawExtension', 3: 'revision int64' },

  // ---- batch/v1 -----------------------------------------------------------------------------
  Job: { 1: 'metadata ObjectMeta', 2: 'spec JobSpec', 3: 'status JobStatus' },
  JobSpec: {
    1: 'parallelism int32', 2: 'completions int32', 3: 'activeDeadlineSeconds int64', 11: 'podFailurePolicy PodFailurePolicy',
    16: 'successPolicy SuccessPolicy', 7: 'backoffLimit int32', 12: 'backoffLimitPerIndex int32',
    13: 'maxFailedIndexes int32', 4: 'selector LabelSelector', 5: 'manualSelector bool', 6: 'template PodTemplateSpec',
    8: 'ttlSecondsAfterFinished int32', 9: 'completionMode', 10: 'suspend bool', 14: 'podReplacementPolicy', 15: 'managedBy',
  },
  JobStatus: {
    1: 'conditions JobCondition[]', 2: 'startTime Time', 3: 'completionTime Time', 4: 'active int32', 5: 'succeeded int32',
    6: 'failed int32', 11: 'terminating int32', 7: 'completedIndexes', 10: 'failedIndexes',
    8: 'uncountedTerminatedPods UncountedTerminatedPods', 9: 'ready int32',
  },
  JobCondition: { 1: 'type', 2: 'status', 3: 'lastProbeTime Time', 4: 'lastTransitionTime Time', 5: 'reason', 6: 'message' },
  UncountedTerminatedPods: { 1: 'succeeded string[]', 2: 'failed string[]' },
  PodFailurePolicy: { 1: 'rules PodFailurePolicyRule[]' },
  PodFailurePolicyRule: {
    1: 'action', 2: 'onExitCodes PodFailurePolicyOnExitCodesRequirement',
    3: 'onPodConditions PodFailurePolicyOnPodConditionsPattern[]',
  },
  PodFailurePolicyOnExitCodesRequirement: { 1: 'containerName', 2: 'operator', 3: 'values int32[]' },
  PodFailurePolicyOnPodConditionsPattern: { 1: 'type', 2: 'status' },
  SuccessPolicy: { 1: 'rules SuccessPolicyRule[]' },
  SuccessPolicyRule: { 1: 'succeededIndexes', 2: 'succeededCount int32' },
  CronJob: { 1: 'metadata ObjectMeta', 2: 'spec CronJobSpec', 3: 'status CronJobStatus' },
  CronJobSpec: {
    1: 'schedule', 8: 'timeZone', 2: 'startingDeadlineSeconds int64', 3: 'concurrencyPolicy', 4: 'suspend bool',
    5: 'jobTemplate JobTemplateSpec', 6: 'successfulJobsHistoryLimit int32', 7: 'failedJobsHistoryLimit int32',
  },
  JobTemplateSpec: { 1: 'metadata ObjectMeta', 2: 'spec JobSpec' },
  CronJobStatus: { 1: 'active ObjectReference[]', 4: 'lastScheduleTime Time', 5: 'lastSuccessfulTime Time' },

  // ---- autoscaling/v2 (HorizontalPodAutoscaler) and autoscaling/v1 (Scale) -----------------
  HorizontalPodAutoscaler: {
    1: 'metadata ObjectMeta', 2: 'spec HorizontalPodAutoscalerSpec', 3: 'status HorizontalPodAutoscalerStatus',
  },
  HorizontalPodAutoscalerSpec: {
    1: 'scaleTargetRef CrossVersionObjectReference', 2: 'minReplicas int32', 3: 'maxReplicas int32',
    4: 'metrics MetricSpec[]', 5: 'behavior HorizontalPodAutoscalerBehavior',
  },
  CrossVersionObjectReference: { 1: 'kind', 2: 'name', 3: 'apiVersion' },
  MetricSpec: {
    1: 'type', 2: 'object ObjectMetricSource', 3: 'pods PodsMetricSource', 4: 'resource ResourceMetricSource',
    7: 'containerResource ContainerResourceMetricSource', 5: 'external ExternalMetricSource',
  },
  ObjectMetricSource: { 1: 'describedObject CrossVersionObjectReference', 2: 'target MetricTarget', 3: 'metric MetricIdentifier' },
  PodsMetricSource: { 1: 'metric MetricIdentifier', 2: 'target MetricTarget' },
  ResourceMetricSource: { 1: 'name', 2: 'target MetricTarget' },
  ContainerResourceMetricSource: { 1: 'name', 2: 'target MetricTarget', 3: 'container' },
  ExternalMetricSource: { 1: 'metric MetricIdentifier', 2: 'target MetricTarget' },
  MetricIdentifier: { 1: 'name', 2: 'selector LabelSelector' },
  MetricTarget: { 1: 'type', 2: 'value Quantity', 3: 'averageValue Quantity', 4: 'averageUtilization int32' },
  HorizontalPodAutoscalerBehavior: { 1: 'scaleUp HPAScalingRules', 2: 'scaleDown HPAScalingRules' },
  HPAScalingRules: {
    3: 'stabilizationWindowSeconds int32', 1: 'selectPolicy', 2: 'policies HPAScalingPolicy[]', 4: 'tolerance Quantity',
  },
  HPAScalingPolicy: { 1: 'type', 2: 'value int32', 3: 'periodSeconds int32' },
  HorizontalPodAutoscalerStatus: {
    1: 'observedGeneration int64', 2: 'lastScaleTime Time', 3: 'currentReplicas int32', 4: 'desiredReplicas int32',
    5: 'currentMetrics MetricStatus[]', 6: 'conditions HorizontalPodAutoscalerCondition[]',
  },
  HorizontalPodAutoscalerCondition: CONDITION,
  MetricStatus: {
    1: 'type', 2: 'object ObjectMetricStatus', 3: 'pods PodsMetricStatus', 4: 'resource ResourceMetricStatus',
    7: 'containerResource ContainerResourceMetricStatus', 5: 'external ExternalMetricStatus',
  },
  ObjectMetricStatus: {
    1: 'metric MetricIdentifier', 2: 'current MetricValueStatus', 3: 'describedObject CrossVersionObjectReference',
  },
  PodsMetricStatus: { 1: 'metric MetricIdentifier', 2: 'current MetricValueStatus' },
  ResourceMetricStatus: { 1: 'name', 2: 'current MetricValueStatus' },
  ContainerResourceMetricStatus: { 1: 'name', 2: 'current MetricValueStatus', 3: 'container' },
  ExternalMetricStatus: { 1: 'metric MetricIdentifier', 2: 'current MetricValueStatus' },
  MetricValueStatus: { 1: 'value Quantity', 2: 'averageValue Quantity', 3: 'averageUtilization int32' },
  // autoscaling/v1's HorizontalPodAutoscaler: the names clash with v2's, hence the suffix
  // (CrossVersionObjectReference has the same fields in both).
  HorizontalPodAutoscalerV1: {
    1: 'metadata ObjectMeta', 2: 'spec HorizontalPodAutoscalerSpecV1', 3: 'status HorizontalPodAutoscalerStatusV1',
  },
  HorizontalPodAutoscalerSpecV1: {
    1: 'scaleTargetRef CrossVersionObjectReference', 2: 'minReplicas int32', 3: 'maxReplicas int32', 4: 'targetCPUUtilizationPercentage int32',
  },
  HorizontalPodAutoscalerStatusV1: {
    1: 'observedGeneration int64', 2: 'lastScaleTime Time', 3: 'currentReplicas int32', 4: 'desiredReplicas int32',
    5: 'currentCPUUtilizationPercentage int32',
  },
  Scale: { 1: 'metadata ObjectMeta', 2: 'spec ScaleSpec', 3: 'status ScaleStatus' },
  ScaleSpec: { 1: 'replicas int32' },
  ScaleStatus: { 1: 'replicas int32', 2: 'selector' },

  // ---- coordination.k8s.io/v1 ---------------------------------------------------------------
  Lease: { 1: 'metadata ObjectMeta', 2: 'spec LeaseSpec' },
  LeaseSpec: {
    1: 'holderIdentity', 2: 'leaseDurationSeconds int32', 3: 'acquireTime MicroTime', 4: 'renewTime MicroTime',
    5: 'leaseTransitions int32', 6: 'strategy', 7: 'preferredHolder',
  },

  // ---- authentication.k8s.io/v1 -------------------------------------------------------------
  TokenRequest: { 1: 'metadata ObjectMeta', 2: 'spec TokenRequestSpec', 3: 'status TokenRequestStatus' },
  TokenRequestSpec: { 1: 'audiences string[]', 4: 'expirationSeconds int64', 3: 'boundObjectRef BoundObjectReference' },
  // The proto names of fields 2 and 4 are aPIVersion and uID; JSON says apiVersion and uid.
  BoundObjectReference: { 1: 'kind', 2: 'apiVersion', 3: 'name', 4: 'uid' },
  TokenRequestStatus: { 1: 'token', 2: 'expirationTimestamp Time' },
  TokenReview: { 1: 'metadata ObjectMeta', 2: 'spec TokenReviewSpec', 3: 'status TokenReviewStatus' },
  TokenReviewSpec: { 1: 'token' },
  TokenReviewStatus: { 1: 'authenticated bool', 2: 'user UserInfo', 3: 'error' },
  UserInfo: { 1: 'username', 2: 'uid', 3: 'groups string[]', 4: 'extra map<string,ExtraValue>' },
  ExtraValue: { 1: 'items string[]' },
  SelfSubjectReview: { 1: 'metadata ObjectMeta', 2: 'status SelfSubjectReviewStatus' },
  SelfSubjectReviewStatus: { 1: 'userInfo UserInfo' },

  // ---- authorization.k8s.io/v1 --------------------------------------------------------------
  SelfSubjectAccessReview: {
    1: 'metadata ObjectMeta', 2: 'spec SelfSubjectAccessReviewSpec', 3: 'status SubjectAccessReviewStatus',
  },
  SelfSubjectAccessReviewSpec: {
    1: 'resourceAttributes ResourceAttributes', 2: 'nonResourceAttributes NonResourceAttributes',
  },
  SubjectAccessReview: { 1: 'metadata ObjectMeta', 2: 'spec SubjectAccessReviewSpec', 3: 'status SubjectAccessReviewStatus' },
  LocalSubjectAccessReview: {
    1: 'metadata ObjectMeta', 2: 'spec SubjectAccessReviewSpec', 3: 'status SubjectAccessReviewStatus',
  },
  SubjectAccessReviewSpec: {
    1: 'resourceAttributes ResourceAttributes', 2: 'nonResourceAttributes NonResourceAttributes', 3: 'user',
    4: 'groups string[]', 5: 'extra map<string,ExtraValue>', 6: 'uid',
  },
  ResourceAttributes: {
    1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name',
    8: 'fieldSelector FieldSelectorAttributes', 9: 'labelSelector LabelSelectorAttributes',
  },
  FieldSelectorAttributes: { 1: 'rawSelector', 2: 'requirements FieldSelectorRequirement[]' },
  FieldSelectorRequirement: { 1: 'key', 2: 'operator', 3: 'values string[]' },
  LabelSelectorAttributes: { 1: 'rawSelector', 2: 'requirements LabelSelectorRequirement[]' },
  NonResourceAttributes: { 1: 'path', 2: 'verb' },
  SubjectAccessReviewStatus: { 1: 'allowed bool', 4: 'denied bool', 2: 'reason', 3: 'evaluationError' },
  SelfSubjectRulesReview: {
    1: 'metadata ObjectMeta', 2: 'spec SelfSubjectRulesReviewSpec', 3: 'status SubjectRulesReviewStatus',
  },
  SelfSubjectRulesReviewSpec: { 1: 'namespace' },
  SubjectRulesReviewStatus: {
    1: 'resourceRules ResourceRule[]', 2: 'nonResourceRules NonResourceRule[]', 3: 'incomplete bool', 4: 'evaluationError',
  },
  ResourceRule: { 1: 'verbs string[]', 2: 'apiGroups string[]', 3: 'resources string[]', 4: 'resourceNames string[]' },
  NonResourceRule: { 1: 'verbs string[]', 2: 'nonResourceURLs string[]' },

  // ---- rbac.authorization.k8s.io/v1 ---------------------------------------------------------
  ClusterRole: { 1: 'metadata ObjectMeta', 2: 'rules PolicyRule[]', 3: 'aggregationRule AggregationRule' },
  AggregationRule: { 1: 'clusterRoleSelectors LabelSelector[]' },
  Role: { 1: 'metadata ObjectMeta', 2: 'rules PolicyRule[]' },
  PolicyRule: {
    1: 'verbs string[]', 2: 'apiGroups string[]', 3: 'resources string[]', 4: 'resourceNames string[]', 5: 'nonResourceURLs string[]',
  },
  ClusterRoleBinding: { 1: 'metadata ObjectMeta', 2: 'subjects Subject[]', 3: 'roleRef RoleRef' },
  RoleBinding: { 1: 'metadata ObjectMeta', 2: 'subjects Subject[]', 3: 'roleRef RoleRef' },
  Subject: { 1: 'kind', 2: 'apiGroup', 3: 'name', 4: 'namespace' },
  RoleRef: { 1: 'apiGroup', 2: 'kind', 3: 'name' },

  // ---- policy/v1 ----------------------------------------------------------------------------
  Eviction: { 1: 'metadata ObjectMeta', 2: 'deleteOptions DeleteOptions' },
  PodDisruptionBudget: {
    1: 'metadata ObjectMeta', 2: 'spec PodDisruptionBudgetSpec', 3: 'status PodDisruptionBudgetStatus',
  },
  PodDisruptionBudgetSpec: {
    1: 'minAvailable IntOrString', 2: 'selector LabelSelector', 3: 'maxUnavailable IntOrString', 4: 'unhealthyPodEvictionPolicy',
  },
  PodDisruptionBudgetStatus: {
    1: 'observedGeneration int64', 2: 'disruptedPods map<string,Time>', 3: 'disruptionsAllowed int32',
    4: 'currentHealthy int32', 5: 'desiredHealthy int32', 6: 'expectedPods int32', 7: 'conditions Condition[]',
  },
};

// ---------------------------------------------------------------------------------------------
// Which scalar fields keep their zero value, read off the Go types (k8s.io/api core/v1, apps/v1,
// batch/v1, autoscaling/v1 and v2, coordination/v1, authentication/v1, authorization/v1,
// policy/v1; k8s.io/apimachinery meta/v1). Go's marshaller writes every non-pointer field, so a
// kubectl body carries "", 0 and false for everything it left unset; kube-apiserver decodes that
// into the Go struct and its JSON encoder drops exactly the zero non-pointer fields tagged
// omitempty. Messages are not listed: a non-pointer struct is always emitted (resources: {},
// status: {}), and a nil pointer is never on the wire. Each entry is message → JSON names.

/** Scalars declared as Go pointers: a zero on the wire was set on purpose (replicas: 0). */
const POINTER: Record<string, string> = {
  // meta/v1
  ObjectMeta: 'deletionGracePeriodSeconds',
  OwnerReference: 'controller blockOwnerDeletion',
  ListMeta: 'remainingItemCount',
  DeleteOptions: 'gracePeriodSeconds orphanDependents propagationPolicy ignoreStoreReadErrorWithClusterBreakingPotential',
  Preconditions: 'uid resourceVersion',
  // core/v1
  ConfigMap: 'immutable',
  Secret: 'immutable',
  ServiceAccount: 'automountServiceAccountToken',
  TypedLocalObjectReference: 'apiGroup',
  TypedObjectReference: 'apiGroup namespace',
  ServiceSpec: 'ipFamilyPolicy allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution',
  ServicePort: 'appProtocol',
  ClientIPConfig: 'timeoutSeconds',
  LoadBalancerIngress: 'ipMode',
  PortStatus: 'error',
  EndpointAddress: 'nodeName',
  EndpointPort: 'appProtocol',
  PodSpec:
    'terminationGracePeriodSeconds activeDeadlineSeconds automountServiceAccountToken shareProcessNamespace priority ' +
    'runtimeClassName enableServiceLinks preemptionPolicy setHostnameAsFQDN hostUsers hostnameOverride',
  PodResourceClaim: 'resourceClaimName resourceClaimTemplateName',
  PodDNSConfigOption: 'value',
  Toleration: 'tolerationSeconds',
  TopologySpreadConstraint: 'minDomains nodeAffinityPolicy nodeTaintsPolicy',
  PodSecurityContext: 'runAsUser runAsGroup runAsNonRoot supplementalGroupsPolicy fsGroup fsGroupChangePolicy seLinuxChangePolicy',
  SecurityContext: 'privileged runAsUser runAsGroup runAsNonRoot readOnlyRootFilesystem allowPrivilegeEscalation procMount',
  WindowsSecurityContextOptions: 'gmsaCredentialSpecName gmsaCredentialSpec runAsUserName hostProcess',
  SeccompProfile: 'localhostProfile',
  AppArmorProfile: 'localhostProfile',
  Container: 'restartPolicy',
  EphemeralContainerCommon: 'restartPolicy',
  ConfigMapEnvSource: 'optional',
  SecretEnvSource: 'optional',
  ConfigMapKeySelector: 'optional',
  SecretKeySelector: 'optional',
  FileKeySelector: 'optional',
  VolumeMount: 'recursiveReadOnly mountPropagation',
  Probe: 'terminationGracePeriodSeconds',
  GRPCAction: 'service',
  Lifecycle: 'stopSignal',
  HostPathVolumeSource: 'type',
  SecretVolumeSource: 'defaultMode optional',
  KeyToPath: 'mode',
  ISCSIVolumeSource: 'initiatorName',
  DownwardAPIVolumeSource: 'defaultMode',
  DownwardAPIVolumeFile: 'mode',
  FCVolumeSource: 'lun',
  ConfigMapVolumeSource: 'defaultMode optional',
  AzureDiskVolumeSource: 'cachingMode fsType readOnly kind',
  ProjectedVolumeSource: 'defaultMode',
  SecretProjection: 'optional',
  ConfigMapProjection: 'optional',
  ServiceAccountTokenProjection: 'expirationSeconds',
  ClusterTrustBundleProjection: 'name signerName optional',
  PodCertificateProjection: 'maxExpirationSeconds',
  CSIVolumeSource: 'readOnly fsType',
  PodResourceClaimStatus: 'resourceClaimName',
  ContainerStatus: 'started stopSignal',
  VolumeMountStatus: 'recursiveReadOnly',
  ReplicationControllerSpec: 'replicas',
  NodeSwapStatus: 'capacity',
  NodeRuntimeHandlerFeatures: 'recursiveReadOnlyMounts userNamespaces',
  NodeFeatures: 'supplementalGroupsPolicy containerUlimits',
  PersistentVolumeSpec: 'volumeMode volumeAttributesClassName',
  GlusterfsPersistentVolumeSource: 'endpointsNamespace',
  ISCSIPersistentVolumeSource: 'initiatorName',
  AzureFilePersistentVolumeSource: 'secretNamespace',
  LocalVolumeSource: 'fsType',
  PersistentVolumeClaimSpec: 'storageClassName volumeMode volumeAttributesClassName',
  PersistentVolumeClaimStatus: 'currentVolumeAttributesClassName',
  // apps/v1
  DeploymentSpec: 'replicas revisionHistoryLimit progressDeadlineSeconds podReplacementPolicy',
  DeploymentStatus: 'collisionCount terminatingReplicas',
  ReplicaSetSpec: 'replicas',
  ReplicaSetStatus: 'terminatingReplicas',
  StatefulSetSpec: 'replicas revisionHistoryLimit',
  RollingUpdateStatefulSetStrategy: 'partition',
  StatefulSetStatus: 'collisionCount',
  DaemonSetSpec: 'revisionHistoryLimit',
  DaemonSetStatus: 'collisionCount',
  // batch/v1
  JobSpec:
    'parallelism completions activeDeadlineSeconds manualSelector backoffLimit ttlSecondsAfterFinished completionMode ' +
    'suspend backoffLimitPerIndex maxFailedIndexes podReplacementPolicy managedBy',
  JobStatus: 'ready failedIndexes terminating',
  PodFailurePolicyOnExitCodesRequirement: 'containerName',
  SuccessPolicyRule: 'succeededIndexes succeededCount',
  CronJobSpec: 'startingDeadlineSeconds suspend successfulJobsHistoryLimit failedJobsHistoryLimit timeZone',
  // autoscaling/v2 (autoscaling/v1 ScaleSpec.replicas is a plain int32 with omitempty)
  HorizontalPodAutoscalerSpec: 'minReplicas',
  MetricTarget: 'averageUtilization',
  HPAScalingRules: 'selectPolicy stabilizationWindowSeconds',
  HorizontalPodAutoscalerStatus: 'observedGeneration',
  MetricValueStatus: 'averageUtilization',
  HorizontalPodAutoscalerSpecV1: 'minReplicas targetCPUUtilizationPercentage',
  HorizontalPodAutoscalerStatusV1: 'observedGeneration currentCPUUtilizationPercentage',
  // coordination.k8s.io/v1, authentication.k8s.io/v1, policy/v1
  LeaseSpec: 'holderIdentity leaseDurationSeconds leaseTransitions strategy preferredHolder',
  TokenRequestSpec: 'expirationSeconds',
  PodDisruptionBudgetSpec: 'unhealthyPodEvictionPolicy',
};

/** Non-pointer scalars whose json tag lacks omitempty: Go emits them even when zero. */
const NO_OMITEMPTY: Record<string, string> = {
  // meta/v1
  OwnerReference: 'apiVersion kind name uid',
  LabelSelectorRequirement: 'key operator',
  FieldSelectorRequirement: 'key operator',
  Condition: 'type status reason message',
  // core/v1
  NamespaceCondition: 'type status',
  TypedLocalObjectReference: 'kind name',
  TypedObjectReference: 'kind name',
  ScopedResourceSelectorRequirement: 'scopeName operator',
  LimitRangeItem: 'type',
  ServicePort: 'port',
  PortStatus: 'port protocol',
  EndpointAddress: 'ip',
  EndpointPort: 'port',
  Event: 'reportingComponent reportingInstance',
  WorkloadReference: 'name podGroup',
  PodOS: 'name',
  PodSchedulingGate: 'name',
  PodResourceClaim: 'name',
  PodReadinessGate: 'conditionType',
  HostAlias: 'ip',
  TopologySpreadConstraint: 'maxSkew topologyKey whenUnsatisfiable',
  SeccompProfile: 'type',
  AppArmorProfile: 'type',
  Sysctl: 'name value',
  Ulimit: 'name hard soft',
  NodeSelectorRequirement: 'key operator',
  PreferredSchedulingTerm: 'weight',
  PodAffinityTerm: 'topologyKey',
  WeightedPodAffinityTerm: 'weight',
  Container: 'name',
  EphemeralContainerCommon: 'name',
  ContainerPort: 'containerPort',
  ContainerResizePolicy: 'resourceName restartPolicy',
  EnvVar: 'name',
  ObjectFieldSelector: 'fieldPath',
  ResourceFieldSelector: 'resource',
  ConfigMapKeySelector: 'key',
  SecretKeySelector: 'key',
  FileKeySelector: 'volumeName path key',
  ResourceClaim: 'name',
  VolumeMount: 'name mountPath',
  VolumeDevice: 'name devicePath',
  HTTPHeader: 'name value',
  GRPCAction: 'port',
  SleepAction: 'seconds',
  Volume: 'name',
  HostPathVolumeSource: 'path',
  GCEPersistentDiskVolumeSource: 'pdName',
  AWSElasticBlockStoreVolumeSource: 'volumeID',
  GitRepoVolumeSource: 'repository',
  KeyToPath: 'key path',
  NFSVolumeSource: 'server path',
  ISCSIVolumeSource: 'targetPortal iqn lun',
  GlusterfsVolumeSource: 'endpoints path',
  PersistentVolumeClaimVolumeSource: 'claimName',
  RBDVolumeSource: 'image',
  FlexVolumeSource: 'driver',
  CinderVolumeSource: 'volumeID',
  DownwardAPIVolumeFile: 'path',
  AzureFileVolumeSource: 'secretName shareName',
  VsphereVirtualDiskVolumeSource: 'volumePath',
  QuobyteVolumeSource: 'registry volume',
  AzureDiskVolumeSource: 'diskName diskURI',
  PhotonPersistentDiskVolumeSource: 'pdID',
  ServiceAccountTokenProjection: 'path',
  ClusterTrustBundleProjection: 'path',
  PortworxVolumeSource: 'volumeID',
  ScaleIOVolumeSource: 'gateway system',
  CSIVolumeSource: 'driver',
  PodCondition: 'type status',
  HostIP: 'ip',
  PodIP: 'ip',
  PodResourceClaimStatus: 'name',
  PodExtendedResourceClaimStatus: 'resourceClaimName',
  ContainerExtendedResourceRequest: 'containerName resourceName requestName',
  ContainerStatus: 'name ready restartCount image imageID',
  ContainerStateTerminated: 'exitCode',
  VolumeMountStatus: 'name mountPath',
  LinuxContainerUser: 'uid gid',
  ResourceStatus: 'name',
  ResourceHealth: 'resourceID',
  ReplicationControllerStatus: 'replicas',
  ReplicationControllerCondition: 'type status',
  Taint: 'key effect',
  ConfigMapNodeConfigSource: 'namespace name kubeletConfigKey',
  NodeCondition: 'type status',
  NodeAddress: 'type address',
  DaemonEndpoint: 'Port',
  NodeSystemInfo:
    'machineID systemUUID bootID kernelVersion osImage containerRuntimeVersion kubeletVersion kubeProxyVersion ' +
    'operatingSystem architecture',
  AttachedVolume: 'name devicePath',
  NodeRuntimeHandler: 'name',
  GlusterfsPersistentVolumeSource: 'endpoints path',
  RBDPersistentVolumeSource: 'image',
  ISCSIPersistentVolumeSource: 'targetPortal iqn lun',
  CinderPersistentVolumeSource: 'volumeID',
  FlexPersistentVolumeSource: 'driver',
  AzureFilePersistentVolumeSource: 'secretName shareName',
  ScaleIOPersistentVolumeSource: 'gateway system',
  LocalVolumeSource: 'path',
  CSIPersistentVolumeSource: 'driver volumeHandle',
  PersistentVolumeClaimCondition: 'type status',
  ModifyVolumeStatus: 'status',
  // apps/v1
  DeploymentCondition: 'type status',
  ReplicaSetStatus: 'replicas',
  ReplicaSetCondition: 'type status',
  StatefulSetSpec: 'serviceName',
  StatefulSetOrdinals: 'start',
  StatefulSetStatus: 'replicas availableReplicas',
  StatefulSetCondition: 'type status',
  DaemonSetStatus: 'currentNumberScheduled numberMisscheduled desiredNumberScheduled numberReady',
  DaemonSetCondition: 'type status',
  ControllerRevision: 'revision',
  // batch/v1
  JobCondition: 'type status',
  PodFailurePolicyRule: 'action',
  PodFailurePolicyOnExitCodesRequirement: 'operator',
  PodFailurePolicyOnPodConditionsPattern: 'type status',
  CronJobSpec: 'schedule',
  // autoscaling/v2 and v1
  HorizontalPodAutoscalerSpec: 'maxReplicas',
  CrossVersionObjectReference: 'kind name',
  MetricSpec: 'type',
  MetricStatus: 'type',
  ResourceMetricSource: 'name',
  ContainerResourceMetricSource: 'name container',
  ResourceMetricStatus: 'name',
  ContainerResourceMetricStatus: 'name container',
  MetricIdentifier: 'name',
  MetricTarget: 'type',
  HPAScalingPolicy: 'type value periodSeconds',
  HorizontalPodAutoscalerStatus: 'desiredReplicas',
  HorizontalPodAutoscalerCondition: 'type status',
  HorizontalPodAutoscalerSpecV1: 'maxReplicas',
  HorizontalPodAutoscalerStatusV1: 'currentReplicas desiredReplicas',
  ScaleStatus: 'replicas',
  // authentication.k8s.io/v1, authorization.k8s.io/v1, policy/v1
  TokenRequestStatus: 'token',
  SubjectAccessReviewStatus: 'allowed',
  SubjectRulesReviewStatus: 'incomplete',
  PodDisruptionBudgetStatus: 'disruptionsAllowed currentHealthy desiredHealthy expectedPods',
  // rbac/v1
  RoleRef: 'apiGroup kind name',
  Subject: 'kind name',
};

/** Messages whose decoders read their raw fields (envelope, well-known types): nothing is dropped. */
const RAW_MESSAGES: ReadonlySet<string> = new Set([...WELL_KNOWN, 'Unknown', 'RuntimeTypeMeta']);

/** `apiVersion/kind` of every kind the decoder accepts → its root message. */
export const ROOTS: Readonly<Record<string, string>> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/Service': 'Service',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/ResourceQuota': 'ResourceQuota',
  'v1/LimitRange': 'LimitRange',
  'v1/Pod': 'Pod',
  'v1/PodTemplate': 'PodTemplate',
  'v1/ReplicationController': 'ReplicationController',
  'v1/Node': 'Node',
  'v1/Event': 'Event',
  'v1/Endpoints': 'Endpoints',
  'v1/PersistentVolume': 'PersistentVolume',
  'v1/PersistentVolumeClaim': 'PersistentVolumeClaim',
  'v1/Binding': 'Binding',
  'apps/v1/Deployment': 'Deployment',
  'apps/v1/ReplicaSet': 'ReplicaSet',
  'apps/v1/StatefulSet': 'StatefulSet',
  'apps/v1/DaemonSet': 'DaemonSet',
  'apps/v1/ControllerRevision': 'ControllerRevision',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'autoscaling/v2/HorizontalPodAutoscaler': 'HorizontalPodAutoscaler',
  'autoscaling/v1/HorizontalPodAutoscaler': 'HorizontalPodAutoscalerV1',
  'autoscaling/v1/Scale': 'Scale',
  'coordination.k8s.io/v1/Lease': 'Lease',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
  'authentication.k8s.io/v1/TokenReview': 'TokenReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/LocalSubjectAccessReview': 'LocalSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'ClusterRoleBinding',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'policy/v1/Eviction': 'Eviction',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
};

/** Kinds of meta/v1 that every group version registers (DELETE bodies carry the client's group). */
const ANY_GROUP_VERSION: Readonly<Record<string, string>> = { DeleteOptions: 'DeleteOptions', Status: 'Status' };

/** The root message of a kind, or undefined when no table covers it. */
export function rootMessage(apiVersion: string, kind: string): string | undefined {
  return ROOTS[`${apiVersion}/${kind}`] ?? ANY_GROUP_VERSION[kind];
}

// ---------------------------------------------------------------------------------------------
// Parsing the compact field specs.

function parseField(spec: string): FieldDescriptor {
  const [rawName, kindSpec = 'string'] = spec.trim().split(/\s+/);
  const inline = rawName.startsWith('...');
  const name = inline ? rawName.slice(3) : rawName;
  const map = /^map<string,(\w+)>$/.exec(kindSpec);
  if (map) return { name, kind: map[1], map: { key: 'string', value: map[1] } };
  const repeated = kindSpec.endsWith('[]');
  const kind = repeated ? kindSpec.slice(0, -2) : kindSpec;
  const field: FieldDescriptor = { name, kind };
  if (repeated) field.repeated = true;
  if (inline) field.inline = true;
  return field;
}

/** Sets one flag on the listed scalar fields; a name that is not a singular scalar is a bug here. */
function flag(out: Record<string, Record<number, FieldDescriptor>>, lists: Record<string, string>, key: 'pointer' | 'noOmitEmpty'): void {
  for (const [message, names] of Object.entries(lists)) {
    const table = out[message];
    if (!table) throw new Error(`schema: ${key} names unknown message ${message}`);
    for (const name of names.split(/\s+/)) {
      const f = Object.values(table).find((d) => d.name === name);
      if (!f || f.repeated || f.map || f.inline || !SCALAR_KINDS.has(f.kind)) {
        throw new Error(`schema: ${key} ${message}.${name} is not a singular scalar field`);
      }
      f[key] = true;
      f.keepZero = true;
    }
  }
}

function build(sources: Record<string, Record<number, string>>): Record<string, MessageDescriptor> {
  const tables: Record<string, Record<number, FieldDescriptor>> = {};
  for (const [message, fields] of Object.entries(sources)) {
    const table: Record<number, FieldDescriptor> = {};
    for (const [num, spec] of Object.entries(fields)) {
      const f = parseField(spec);
      if (RAW_MESSAGES.has(message)) f.keepZero = true;
      table[Number(num)] = f;
    }
    tables[message] = table;
  }
  flag(tables, POINTER, 'pointer');
  flag(tables, NO_OMITEMPTY, 'noOmitEmpty');
  const out: Record<string, MessageDescriptor> = {};
  for (const [message, table] of Object.entries(tables)) {
    for (const f of Object.values(table)) Object.freeze(f);
    out[message] = Object.freeze(table);
  }
  return out;
}

/** Every message table, by message name (names are unique across the packages covered). */
export const MESSAGES: Readonly<Record<string, MessageDescriptor>> = Object.freeze(build(SOURCES));

/** True when kind names a message (as opposed to a scalar). */
export function isMessageKind(kind: string): boolean {
  return !SCALAR_KINDS.has(kind);
}
