// StatefulPodControl (stateful_pod_control.go): creates a pod's claims before the pod,
// deletes and repairs pods, and keeps the claims' owner references in line with the
// persistentVolumeClaimRetentionPolicy (Retain: no owner; whenDeleted Delete: owned by the
// set; whenScaled Delete: owned by the pod once it is scaled away), so the garbage
// collector removes exactly the claims the policy says.
import { isApiError } from '../../shared/errors.js';
import type { EventRecorder } from '../../shared/events.js';
import { GVK, R } from '../../shared/resources.js';
import type { KubeObject, OwnerReference } from '../../shared/types.js';
import type { PodWriter } from '../daemonset/claim.js';
import type { Lister } from '../daemonset/lister.js';
import { newControllerRef } from '../daemonset/podutil.js';
import { claimsFor, identityMatches, ordinalOf, podInOrdinalRange, storageMatches, updateIdentity, updateStorage } from './identity.js';

export interface StatefulPodControlDeps {
  client: PodWriter;
  recorder: EventRecorder;
  /** PersistentVolumeClaims, keyed `namespace/name`. */
  claims: Lister;
}

type Policy = { whenDeleted: string; whenScaled: string };

/** A pod's claims could not all be made (or one is being deleted): the pod must wait. */
export class ClaimsNotReadyError extends Error {
  override readonly name = 'ClaimsNotReadyError';
}

function retentionPolicy(set: KubeObject): Policy {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  return { whenDeleted: p.whenDeleted ?? 'Retain', whenScaled: p.whenScaled ?? 'Retain' };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const sameKind = (ref: OwnerReference, gvk: { apiVersion: string; kind: string }) => ref.kind === gvk.kind && ref.apiVersion.split('/')[0] === gvk.apiVersion.split('/')[0];
const refsTo = (claim: KubeObject, owner: KubeObject) => (claim.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);
/** A reference to an object of this kind and name but another uid: left by a previous incarnation. */
const staleRef = (claim: KubeObject, owner: KubeObject, gvk: { apiVersion: string; kind: string }) =>
  (claim.metadata.ownerReferences ?? []).some((r) => sameKind(r, gvk) && r.name === owner.metadata.name && r.uid !== owner.metadata.uid);

/** isClaimOwnerUpToDate: do the claim's owner references match the retention policy? */
export function claimOwnerUpToDate(claim: KubeObject, set: KubeObject, pod: KubeObject): boolean {
  if (staleRef(claim, set, GVK.StatefulSet) || staleRef(claim, pod, GVK.Pod)) return true;
  const refs = claim.metadata.ownerReferences ?? [];
  const ours = (r: OwnerReference) => r.uid === set.metadata.uid || r.uid === pod.metadata.uid;
  if (refs.some((r) => r.controller && !ours(r))) return !refs.some(ours);
  if (refs.some((r) => ours(r) && !r.controller)) return false;
  const { whenDeleted, whenScaled } = retentionPolicy(set);
  const scaledDown = !podInOrdinalRange(pod, set);
  const wantSet = whenDeleted === 'Delete' && !(whenScaled === 'Delete' && scaledDown);
  const wantPod = whenScaled === 'Delete' && scaledDown;
  return refsTo(claim, set) === wantSet && refsTo(claim, pod) === wantPod;
}

/** updateClaimOwnerRefForSetAndPod: our references replaced by what the policy wants. */
export function withPolicyOwnerRefs(claim: KubeObject, set: KubeObject, pod: KubeObject): OwnerReference[] {
  const all = claim.metadata.ownerReferences ?? [];
  const matches = (r: OwnerReference) => (sameKind(r, GVK.StatefulSet) && r.name === set.metadata.name) || (sameKind(r, GVK.Pod) && r.name === pod.metadata.name);
  const unexpected = all.some((r) => r.controller && r.uid !== set.metadata.uid && r.uid !== pod.metadata.uid);
  const refs = all.filter((r) => !matches(r));
  if (unexpected) return refs;
  const { whenDeleted, whenScaled } = retentionPolicy(set);
  const scaledDown = !podInOrdinalRange(pod, set);
  if (whenScaled === 'Delete' && scaledDown) refs.push(newControllerRef(pod, GVK.Pod));
  else if (whenDeleted === 'Delete') refs.push(newControllerRef(set, GVK.StatefulSet));
  return refs;
}

export class StatefulPodControl {
  constructor(private readonly d: StatefulPodControlDeps) {}

  private claim(set: KubeObject, name: string): KubeObject | undefined {
    return this.d.claims.get(`${set.metadata.namespace}/${name}`);
  }

  /** Creates the claims a pod needs that do not exist yet; a claim being deleted is an error. */
  async createMissingClaims(set: KubeObject, pod: KubeObject): Promise<void> {
    const errors: string[] = [];
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const existing = this.claim(set, claim.metadata.name!);
      if (existing) {
        if (existing.metadata.deletionTimestamp) errors.push(`pvc ${claim.metadata.name} is being deleted`);
        continue;
      }
      try {
        await this.d.client.create(R.persistentvolumeclaims, set.metadata.namespace, claim);
        this.d.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
      } catch (err) {
        if (isApiError(err) && err.code === 409) continue;
        errors.push(`failed to create PVC ${claim.metadata.name}: ${messageOf(err)}`);
        this.d.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${messageOf(err)}`);
      }
    }
    if (errors.length) throw new ClaimsNotReadyError(errors.join('; '));
  }

  async createPod(set: KubeObject, pod: KubeObject): Promise<void> {
    await this.createMissingClaims(set, pod);
    try {
      await this.d.client.create(R.pods, set.metadata.namespace, pod);
    } catch (err) {
      // Already there: the cache has not caught up. Retried after a backoff, without an event.
      if (!(isApiError(err) && err.code === 409)) this.d.recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${messageOf(err)}`);
      throw err;
    }
    this.d.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  }

  async deletePod(set: KubeObject, pod: KubeObject): Promise<void> {
    try {
      await this.d.client.delete(R.pods, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (isApiError(err) && err.code === 404) return;
      this.d.recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${messageOf(err)}`);
      throw err;
    }
    this.d.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  }

  /** True when a claim of the pod still belongs to an earlier pod of the same name (whenScaled: Delete). */
  podClaimIsStale(set: KubeObject, pod: KubeObject): boolean {
    if (retentionPolicy(set).whenScaled === 'Retain') return false;
    for (const c of claimsFor(set, ordinalOf(pod)).values()) {
      const claim = this.claim(set, c.metadata.name!);
      if (claim && staleRef(claim, pod, GVK.Pod)) return true;
    }
    return false;
  }

  claimsMatchRetentionPolicy(set: KubeObject, pod: KubeObject): boolean {
    for (const c of claimsFor(set, ordinalOf(pod)).values()) {
      const claim = this.claim(set, c.metadata.name!);
      if (claim && !claimOwnerUpToDate(claim, set, pod)) return false;
    }
    return true;
  }

  async updateClaimsForRetentionPolicy(set: KubeObject, pod: KubeObject): Promise<void> {
    for (const c of claimsFor(set, ordinalOf(pod)).values()) {
      const claim = this.claim(set, c.metadata.name!);
      if (!claim || claimOwnerUpToDate(claim, set, pod)) continue;
      const refs = withPolicyOwnerRefs(claim, set, pod);
      await this.d.client.patch(R.persistentvolumeclaims, claim.metadata.namespace, claim.metadata.name!, {
        metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: claim.metadata.resourceVersion },
      });
    }
  }

  /** Restores a live pod's identity labels, storage and claim ownership. */
  async updatePod(set: KubeObject, cached: KubeObject): Promise<void> {
    const pod = structuredClone(cached);
    let consistent = true;
    if (!identityMatches(set, pod)) {
      updateIdentity(set, pod);
      consistent = false;
    }
    if (!storageMatches(set, pod)) {
      updateStorage(set, pod);
      await this.createMissingClaims(set, pod);
      consistent = false;
    }
    if (!this.claimsMatchRetentionPolicy(set, pod)) await this.updateClaimsForRetentionPolicy(set, pod);
    if (consistent) return;
    try {
      await this.d.client.update(R.pods, pod);
    } catch (err) {
      this.d.recorder.event(set, 'Warning', 'FailedUpdate', `update Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${messageOf(err)}`);
      throw err;
    }
    this.d.recorder.event(set, 'Normal', 'SuccessfulUpdate', `update Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  }
}
