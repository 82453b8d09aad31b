// The scale and binding subresources: small views over a parent object.
import { cause, errors } from '../../shared/errors.js';
import { fromMetaSelector, labelSelectorString } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { applyPatch, type PatchType } from '../patch/apply-patch.js';
import type { ResourceInfo } from '../registry/resources.js';
import { timestamp, type Registry, type WriteOptions, type WriteResult } from '../registry/store.js';

/** autoscaling/v1 Scale of a Deployment, ReplicaSet or StatefulSet. */
export function toScale(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: labelSelectorString(fromMetaSelector(obj.spec?.selector)) },
  };
}

/** Writes a new Scale (from a PUT body, or a patch of the current Scale) into spec.replicas. */
export async function writeScale(
  registry: Registry,
  r: ResourceInfo,
  ns: string | undefined,
  name: string,
  input: { put: unknown } | { patchType: PatchType; patch: unknown },
  opts: WriteOptions,
): Promise<WriteResult> {
  return registry.mutate(
    r,
    ns,
    name,
    (copy, cur) => {
      const current = toScale(cur.obj);
      const scale = 'put' in input ? input.put : applyPatch(input.patchType, current as unknown as Record<string, unknown>, input.patch);
      if (typeof scale !== 'object' || scale === null || Array.isArray(scale)) throw errors.badRequest('the body must be an autoscaling/v1 Scale object');
      const s = scale as KubeObject;
      if (s.kind !== undefined && s.kind !== 'Scale') throw errors.badRequest(`the kind in the data (${String(s.kind)}) does not match the expected kind (Scale)`);
      if (s.apiVersion !== undefined && s.apiVersion !== 'autoscaling/v1') {
        throw errors.badRequest(`the API version in the data (${String(s.apiVersion)}) does not match the expected API version (autoscaling/v1)`);
      }
      if (s.metadata?.name !== undefined && s.metadata.name !== name) {
        throw errors.badRequest(`the name of the object (${String(s.metadata.name)}) does not match the name on the URL (${name})`);
      }
      const uid = s.metadata?.uid;
      if (uid && uid !== cur.obj.metadata.uid) {
        throw errors.conflict(r.plural, r.group, name, `Precondition failed: UID in precondition: ${String(uid)}, UID in object meta: ${cur.obj.metadata.uid}`);
      }
      const rv = s.metadata?.resourceVersion;
      if (rv && rv !== String(cur.rev)) {
        throw errors.conflict(r.plural, r.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const replicas = s.spec?.replicas;
      if (replicas === undefined) throw errors.invalid('Scale', 'autoscaling', name, [cause.required('spec.replicas')]);
      if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw errors.invalid('Scale', 'autoscaling', name, [cause.typeInvalid('spec.replicas', replicas, 'must be an integer')]);
      if (replicas < 0) throw errors.invalid('Scale', 'autoscaling', name, [cause.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
      if (replicas > 2147483647) throw errors.invalid('Scale', 'autoscaling', name, [cause.invalid('spec.replicas', replicas, 'must be a 32-bit integer')]);
      copy.spec = { ...(copy.spec ?? {}), replicas };
      return copy;
    },
    opts,
  );
}

/** pods/binding: assigns a pod to a node once, as the scheduler's bind does. */
export async function bindPod(registry: Registry, r: ResourceInfo, ns: string, name: string, body: unknown, opts: WriteOptions): Promise<void> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.badRequest('the body must be a v1 Binding object');
  const b = body as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: string }; target?: { name?: unknown; kind?: unknown } };
  if (b.kind !== undefined && b.kind !== 'Binding') throw errors.badRequest(`the kind in the data (${String(b.kind)}) does not match the expected kind (Binding)`);
  if (b.apiVersion !== undefined && b.apiVersion !== 'v1') throw errors.badRequest(`the API version in the data (${String(b.apiVersion)}) does not match the expected API version (v1)`);
  if (b.metadata?.name && b.metadata.name !== name) throw errors.badRequest(`the name of the object (${b.metadata.name}) does not match the name on the URL (${name})`);
  const node = b.target?.name;
  if (typeof node !== 'string' || node === '') throw errors.invalid('Binding', '', name, [cause.required('target.name')]);
  if (b.target?.kind !== undefined && b.target.kind !== 'Node' && b.target.kind !== '') {
    throw errors.invalid('Binding', '', name, [cause.notSupported('target.kind', b.target.kind, ['Node'])]);
  }
  await registry.mutate(
    r,
    ns,
    name,
    (pod) => {
      if (pod.metadata.deletionTimestamp) throw errors.conflict('pods', '', name, 'pod is being deleted, cannot be assigned to a host');
      if (pod.spec?.nodeName) throw errors.conflict('pods', '', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      pod.spec = { ...(pod.spec ?? {}), nodeName: node };
      const conditions = (pod.status?.conditions ?? []).filter((c: { type?: string }) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(new Date()) });
      pod.status = { ...(pod.status ?? {}), conditions };
      return pod;
    },
    opts,
    { validate: false },
  );
}
