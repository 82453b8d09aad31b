// Builders shared by the ReplicaSet unit tests.
import pino from 'pino';
import { FakeRecorder } from '../../shared/events.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { ReplicaSetController } from './controller.js';
import { FakeClient, FakeClock, FakeInformer } from './fakes.js';

export const NS = 'test';

export function newReplicaSet(name: string, replicas: number, extra: { minReadySeconds?: number; labels?: Record<string, string> } = {}): KubeObject {
  const labels = extra.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS, generation: 1 },
    spec: {
      replicas,
      minReadySeconds: extra.minReadySeconds ?? 0,
      selector: { matchLabels: labels },
      template: { metadata: { labels: { ...labels, tier: 'web' }, annotations: { note: 'x' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } },
    },
    status: { replicas: 0 },
  };
}

export interface PodShape {
  node?: string;
  phase?: string;
  readySince?: Date;
  notReady?: boolean;
  restarts?: number;
  created?: Date;
  owner?: KubeObject;
  labels?: Record<string, string>;
  deleting?: boolean;
  cost?: number;
}

export function newPod(name: string, s: PodShape = {}): KubeObject {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: s.labels ?? { app: 'web', tier: 'web' } },
    spec: { containers: [{ name: 'c', image: 'pause' }], ...(s.node ? { nodeName: s.node } : {}) },
    status: { phase: s.phase ?? 'Pending' },
  };
  if (s.created) pod.metadata.creationTimestamp = s.created.toISOString();
  if (s.owner) {
    pod.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: s.owner.metadata.name!, uid: s.owner.metadata.uid!, controller: true, blockOwnerDeletion: true }];
  }
  if (s.deleting) {
    pod.metadata.deletionTimestamp = new Date().toISOString();
    pod.metadata.finalizers = ['test/hold'];
  }
  if (s.cost !== undefined) pod.metadata.annotations = { 'controller.kubernetes.io/pod-deletion-cost': String(s.cost) };
  const conditions = [];
  if (s.readySince) conditions.push({ type: 'Ready', status: 'True', lastTransitionTime: s.readySince.toISOString().replace(/\.\d{3}Z$/, 'Z') });
  else if (s.notReady || s.phase === 'Running') conditions.push({ type: 'Ready', status: 'False' });
  if (conditions.length) pod.status.conditions = conditions;
  if (s.restarts !== undefined) pod.status.containerStatuses = [{ name: 'c', restartCount: s.restarts }];
  return pod;
}

/** A ReplicaSet controller over fakes: the informers only know what the test delivers. */
export function harness() {
  const clock = new FakeClock();
  const client = new FakeClient(clock.now);
  const pods = new FakeInformer();
  const replicaSets = new FakeInformer();
  const recorder = new FakeRecorder();
  const controller = new ReplicaSetController({ client, pods, replicaSets, recorder, log: pino({ level: 'silent' }), now: clock.now, schedule: clock.schedule });
  /** Stores the ReplicaSet on the server and delivers it to the informer. */
  const addReplicaSet = (rs: KubeObject): KubeObject => {
    const stored = client.seed(R.replicasets, rs);
    replicaSets.set(stored);
    return stored;
  };
  const addPod = (pod: KubeObject): KubeObject => {
    const stored = client.seed(R.pods, pod);
    pods.set(stored);
    return stored;
  };
  /** The pod informer catches up with the server: adds, updates and deletes. */
  const observePods = (): void => {
    const live = new Map(client.all(R.pods).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    for (const p of pods.list()) if (!live.has(`${p.metadata.namespace}/${p.metadata.name}`)) pods.remove(p);
    for (const p of live.values()) {
      const cached = pods.get(`${p.metadata.namespace}/${p.metadata.name}`);
      if (cached?.metadata.resourceVersion !== p.metadata.resourceVersion) pods.set(p);
    }
  };
  const observeReplicaSets = (): void => {
    for (const rs of client.all(R.replicasets)) replicaSets.set(rs);
  };
  const creates = () => client.actions.filter((a) => a.verb === 'create' && a.resource === 'pods');
  const deletes = () => client.actions.filter((a) => a.verb === 'delete' && a.resource === 'pods');
  return { clock, client, pods, replicaSets, recorder, controller, addReplicaSet, addPod, observePods, observeReplicaSets, creates, deletes };
}
