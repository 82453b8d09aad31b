// The shapes of apps/v1 Deployment and ReplicaSet that the deployment controller reads,
// and what one sync of a Deployment needs from the world (the deps every step receives).
import type { Logger } from 'pino';
import type { EventRecorder } from '../../shared/events.js';
import type { MetaLabelSelector } from '../../shared/selectors.js';
import type { KubeObject, ObjectMeta } from '../../shared/types.js';

export type IntOrString = number | string;

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: any;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface DeploymentCondition {
  type: string;
  status: ConditionStatus;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStrategy {
  type?: 'Recreate' | 'RollingUpdate';
  rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString };
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: MetaLabelSelector;
  template: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

export interface Deployment extends KubeObject {
  spec: DeploymentSpec;
  status?: DeploymentStatus;
}

export interface ReplicaSetStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: { type: string; status: ConditionStatus; lastTransitionTime?: string; reason?: string; message?: string }[];
}

export interface ReplicaSet extends KubeObject {
  spec: { replicas?: number; minReadySeconds?: number; selector?: MetaLabelSelector; template: PodTemplateSpec };
  status?: ReplicaSetStatus;
}

/** The writes the controller makes; the production one wraps the typed client. */
export interface DeploymentApi {
  /** An uncached read, to recheck a Deployment before adopting for it. */
  getDeployment(namespace: string, name: string): Promise<Deployment>;
  updateDeployment(d: Deployment): Promise<Deployment>;
  updateDeploymentStatus(d: Deployment): Promise<Deployment>;
  /**
   * Writes metadata.annotations entries (the revision) on the Deployment itself. Upstream
   * sends them with UpdateStatus, whose Deployment strategy keeps annotation changes;
   * skiff's status subresource keeps the stored metadata, so they go to the main resource.
   */
  patchDeploymentAnnotations(d: Deployment, annotations: Record<string, string>): Promise<Deployment>;
  createReplicaSet(rs: ReplicaSet): Promise<ReplicaSet>;
  updateReplicaSet(rs: ReplicaSet): Promise<ReplicaSet>;
  deleteReplicaSet(namespace: string, name: string): Promise<void>;
}

/** Everything one sync needs: the listers (informer caches), the API, the clock, the queue. */
export interface DeploymentDeps {
  api: DeploymentApi;
  getDeployment(key: string): Deployment | undefined;
  getReplicaSet(namespace: string, name: string): ReplicaSet | undefined;
  listReplicaSets(namespace: string): ReplicaSet[];
  /** Pods whose controller reference carries this uid. */
  listPodsControlledBy(uid: string): KubeObject[];
  recorder: EventRecorder;
  now(): Date;
  /** Syncs the key again after `ms` (the progress-deadline check). */
  enqueueAfter(key: string, ms: number): void;
  enqueueRateLimited(key: string): void;
  /**
   * Whether this cached copy is older than the controller's own last write of it: the
   * write's watch event is on its way and brings the key back; acting now would conflict.
   */
  cacheBehindOwnWrite?(d: Deployment): boolean;
  log: Logger;
}
