// Test doubles for the deployment controller's unit tests: an in-memory cluster that is
// both the API (resourceVersion preconditions, AlreadyExists, generation on spec
// changes) and the listers (handing out frozen copies, so a test fails if the
// controller mutates its cache), a manual clock, and a stand-in for the ReplicaSet
// controller that makes a replica set's status catch up with its spec.
import pino from 'pino';
import { ApiError, errors } from '../../shared/errors.js';
import { FakeRecorder } from '../../shared/events.js';
import type { KubeObject } from '../../shared/types.js';
import { timestamp } from './conditions.js';
import { canonicalJSON } from './hash.js';
import type { Deployment, DeploymentApi, DeploymentDeps, IntOrString, PodTemplateSpec, ReplicaSet } from './types.js';

export interface Action {
  verb: 'get' | 'create' | 'update' | 'patch' | 'delete';
  resource: 'deployments' | 'replicasets';
  name: string;
  sub?: 'status';
}

function freeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) freeze(v);
    Object.freeze(o);
  }
  return o;
}

const key = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;

export class FakeCluster implements DeploymentApi {
  readonly deployments = new Map<string, Deployment>();
  readonly replicaSets = new Map<string, ReplicaSet>();
  readonly pods = new Map<string, KubeObject>();
  readonly actions: Action[] = [];
  readonly recorder = new FakeRecorder();
  readonly requeues: { key: string; afterMs: number }[] = [];
  /** Set to make the next write of a resource fail with this error. */
  failNext: { verb: Action['verb']; resource: Action['resource']; err: ApiError } | undefined;
  now = new Date('2024-05-01T10:00:00Z');
  private rv = 100;
  private uid = 0;

  tick(seconds: number): void {
    this.now = new Date(this.now.getTime() + seconds * 1000);
  }

  private record(a: Action): void {
    this.actions.push(a);
    if (this.failNext && this.failNext.verb === a.verb && this.failNext.resource === a.resource) {
      const err = this.failNext.err;
      this.failNext = undefined;
      throw err;
    }
  }

  writes(): Action[] {
    return this.actions.filter((a) => a.verb !== 'get');
  }

  private precondition<T extends KubeObject>(store: Map<string, T>, o: KubeObject, resource: string): T {
    const cur = store.get(key(o));
    if (!cur) throw errors.notFound(resource, 'apps', o.metadata.name!);
    const rv = o.metadata.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw errors.conflict(resource, 'apps', o.metadata.name!, 'the object has been modified; please apply your changes to the latest version and try again');
    return cur;
  }

  private stamp<T extends KubeObject>(o: T, old: T | undefined): T {
    const next = structuredClone(o);
    next.metadata.resourceVersion = String(++this.rv);
    if (old) {
      next.metadata.uid = old.metadata.uid;
      next.metadata.creationTimestamp = old.metadata.creationTimestamp;
      const g = old.metadata.generation ?? 1;
      next.metadata.generation = canonicalJSON(old.spec) === canonicalJSON(next.spec) ? g : g + 1;
    }
    return next;
  }

  async getDeployment(namespace: string, name: string): Promise<Deployment> {
    this.record({ verb: 'get', resource: 'deployments', name });
    const d = this.deployments.get(`${namespace}/${name}`);
    if (!d) throw errors.notFound('deployments', 'apps', name);
    return structuredClone(d);
  }

  async updateDeployment(d: Deployment): Promise<Deployment> {
    this.record({ verb: 'update', resource: 'deployments', name: d.metadata.name! });
    const cur = this.precondition(this.deployments, d, 'deployments');
    const next = this.stamp({ ...d, status: cur.status }, cur);
    this.deployments.set(key(d), next);
    return structuredClone(next);
  }

  async updateDeploymentStatus(d: Deployment): Promise<Deployment> {
    this.record({ verb: 'update', resource: 'deployments', name: d.metadata.name!, sub: 'status' });
    const cur = this.precondition(this.deployments, d, 'deployments');
    const next = this.stamp({ ...structuredClone(cur), status: structuredClone(d.status) }, cur);
    this.deployments.set(key(d), next);
    return structuredClone(next);
  }

  async patchDeploymentAnnotations(d: Deployment, annotations: Record<string, string>): Promise<Deployment> {
    this.record({ verb: 'patch', resource: 'deployments', name: d.metadata.name! });
    const cur = this.precondition(this.deployments, d, 'deployments');
    const next = this.stamp(structuredClone(cur), cur);
    next.metadata.annotations = { ...(cur.metadata.annotations ?? {}), ...annotations };
    this.deployments.set(key(d), next);
    return structuredClone(next);
  }

  async createReplicaSet(rs: ReplicaSet): Promise<ReplicaSet> {
    this.record({ verb: 'create', resource: 'replicasets', name: rs.metadata.name! });
    if (this.replicaSets.has(key(rs))) throw errors.alreadyExists('replicasets', 'apps', rs.metadata.name!);
    const next = this.stamp(rs, undefined);
    next.metadata.uid = `rs-uid-${++this.uid}`;
    next.metadata.creationTimestamp = timestamp(this.now);
    next.metadata.generation = 1;
    this.replicaSets.set(key(rs), next);
    return structuredClone(next);
  }

  async updateReplicaSet(rs: ReplicaSet): Promise<ReplicaSet> {
    this.record({ verb: 'update', resource: 'replicasets', name: rs.metadata.name! });
    const cur = this.precondition(this.replicaSets, rs, 'replicasets');
    const next = this.stamp({ ...rs, status: cur.status }, cur);
    this.replicaSets.set(key(rs), next);
    return structuredClone(next);
  }

  async deleteReplicaSet(namespace: string, name: string): Promise<void> {
    this.record({ verb: 'delete', resource: 'replicasets', name });
    if (!this.replicaSets.delete(`${namespace}/${name}`)) throw errors.notFound('replicasets', 'apps', name);
  }

  // -------------------------------------------------------------------------
  // Seeding and inspecting.

  addDeployment(d: Deployment): Deployment {
    const next = structuredClone(d);
    next.metadata.uid ??= `d-uid-${++this.uid}`;
    next.metadata.resourceVersion = String(++this.rv);
    next.metadata.generation ??= 1;
    next.metadata.creationTimestamp ??= timestamp(this.now);
    this.deployments.set(key(next), next);
    return next;
  }

  addReplicaSet(rs: ReplicaSet): ReplicaSet {
    const next = structuredClone(rs);
    next.metadata.uid ??= `rs-uid-${++this.uid}`;
    next.metadata.resourceVersion = String(++this.rv);
    next.metadata.generation ??= 1;
    next.metadata.creationTimestamp ??= timestamp(this.now);
    this.replicaSets.set(key(next), next);
    return next;
  }

  /** Replaces a stored deployment's spec as a user's edit would (generation + 1). */
  editDeployment(name: string, edit: (d: Deployment) => void, namespace = 'default'): Deployment {
    const cur = this.deployments.get(`${namespace}/${name}`)!;
    const next = structuredClone(cur);
    edit(next);
    const stamped = this.stamp(next, cur);
    this.deployments.set(key(stamped), stamped);
    return stamped;
  }

  deployment(name: string, namespace = 'default'): Deployment {
    return this.deployments.get(`${namespace}/${name}`)!;
  }

  /** Replica sets of a namespace, oldest first. */
  rsList(namespace = 'default'): ReplicaSet[] {
    return [...this.replicaSets.values()].filter((rs) => rs.metadata.namespace === namespace).sort((a, b) => (a.metadata.creationTimestamp! < b.metadata.creationTimestamp! ? -1 : a.metadata.creationTimestamp! > b.metadata.creationTimestamp! ? 1 : 0));
  }

  /**
   * The ReplicaSet controller and kubelets, instantly: status.replicas follows the spec;
   * `available(rs)` says how many of them are available (all, by default).
   */
  settle(available: (rs: ReplicaSet) => number = (rs) => rs.spec.replicas ?? 0): void {
    for (const [k, rs] of this.replicaSets) {
      const n = rs.spec.replicas ?? 0;
      const a = Math.min(n, available(rs));
      const next = { ...rs, status: { ...(rs.status ?? {}), replicas: n, fullyLabeledReplicas: n, readyReplicas: a, availableReplicas: a, observedGeneration: rs.metadata.generation } };
      next.metadata = { ...rs.metadata, resourceVersion: String(++this.rv) };
      this.replicaSets.set(k, next);
    }
  }

  deps(): DeploymentDeps {
    return {
      api: this,
      getDeployment: (k) => {
        const d = this.deployments.get(k);
        return d && freeze(structuredClone(d));
      },
      getReplicaSet: (ns, name) => {
        const rs = this.replicaSets.get(`${ns}/${name}`);
        return rs && freeze(structuredClone(rs));
      },
      listReplicaSets: (ns) => freeze(this.rsList(ns).map((rs) => structuredClone(rs))),
      listPodsControlledBy: (uid) => freeze([...this.pods.values()].filter((p) => p.metadata.ownerReferences?.some((r) => r.controller && r.uid === uid)).map((p) => structuredClone(p))),
      recorder: this.recorder,
      now: () => this.now,
      enqueueAfter: (k, afterMs) => this.requeues.push({ key: k, afterMs }),
      enqueueRateLimited: (k) => this.requeues.push({ key: k, afterMs: 0 }),
      log: pino({ level: 'silent' }),
    };
  }
}

export function template(image: string, labels: Record<string, string> = { app: 'web' }): PodTemplateSpec {
  return { metadata: { labels: { ...labels } }, spec: { containers: [{ name: 'web', image }], restartPolicy: 'Always' } };
}

export interface DeploymentOptions {
  image?: string;
  maxSurge?: IntOrString;
  maxUnavailable?: IntOrString;
  strategy?: 'RollingUpdate' | 'Recreate';
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
  namespace?: string;
}

/** A Deployment as the apiserver stores it after defaulting. */
export function newDeployment(name: string, replicas: number, o: DeploymentOptions = {}): Deployment {
  const strategy = o.strategy ?? 'RollingUpdate';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: o.namespace ?? 'default', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: template(o.image ?? 'nginx:1.25'),
      strategy: strategy === 'RollingUpdate' ? { type: strategy, rollingUpdate: { maxSurge: o.maxSurge ?? '25%', maxUnavailable: o.maxUnavailable ?? '25%' } } : { type: strategy },
      revisionHistoryLimit: o.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
      ...(o.paused ? { paused: true } : {}),
    },
  };
}

/** A replica set of the deployment with the given template image, size and revision. */
export function newReplicaSet(d: Deployment, name: string, replicas: number, o: { image?: string; revision?: number; available?: number; created?: string } = {}): ReplicaSet {
  const hash = name.slice(name.lastIndexOf('-') + 1);
  const t = template(o.image ?? 'nginx:1.25', { app: 'web', 'pod-template-hash': hash });
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: d.metadata.namespace,
      labels: { ...t.metadata!.labels },
      annotations: o.revision !== undefined ? { 'deployment.kubernetes.io/revision': String(o.revision) } : {},
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name!, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      ...(o.created ? { creationTimestamp: o.created } : {}),
    },
    spec: { replicas, selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } }, template: t },
    status: { replicas, readyReplicas: o.available ?? replicas, availableReplicas: o.available ?? replicas, observedGeneration: 1 },
  };
}
