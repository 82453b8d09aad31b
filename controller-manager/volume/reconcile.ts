// The PersistentVolume binder's two syncs (pkg/controller/volume/persistentvolume
// pv_controller.go): syncClaim binds a Pending claim to a matching volume, or marks a
// bound claim Lost when its volume vanished; syncVolume keeps a volume's phase true
// (Available, Bound, Released) and runs its reclaim policy once its claim is gone.
// The binding is a two-sided pointer, pv.spec.claimRef and pvc.spec.volumeName; every
// branch below is an observation of those two pointers and the step that repairs it.
// Static provisioning only: a claim with a storage class and no matching volume is
// reported as upstream does when the class cannot be found.
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import { bind, type BinderDeps, unbindVolume, updateClaimStatus, updateClaimStatusWithEvent, updateVolumePhase } from './binding.js';
import { checkVolumeSatisfyClaim, findBestMatchForClaim, isVolumeBoundToClaim, volumeModeMismatch } from './match.js';
import { reclaimVolume } from './reclaim.js';
import {
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_DYNAMICALLY_PROVISIONED,
  claimClass,
  claimKey,
  claimRefKey,
  hasAnnotation,
  type PersistentVolume,
  type PersistentVolumeClaim,
} from './types.js';

export type { BinderDeps } from './binding.js';

/** syncClaim for the claim "namespace/name". A claim that is gone needs nothing. */
export async function syncClaim(key: string, d: BinderDeps): Promise<void> {
  const claim = d.claims.get(key);
  if (!claim) return;
  if (!hasAnnotation(claim, ANN_BIND_COMPLETED)) return syncUnboundClaim(d, claim);
  return syncBoundClaim(d, claim);
}

async function syncUnboundClaim(d: BinderDeps, claim: PersistentVolumeClaim): Promise<void> {
  // OBSERVATION: the claim is Pending.
  const wanted = claim.spec.volumeName;
  if (!wanted) {
    // The user did not care which volume they get.
    const volume = findBestMatchForClaim(claim, d.volumes.list());
    if (volume) return bind(d, volume, claim);
    const cls = claimClass(claim);
    if (cls !== '') {
      // Upstream would provision a volume of the class. skiff serves no StorageClass
      // and provisions nothing, so it says what upstream says of a missing class.
      d.once.event(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${cls}" not found`);
      return;
    }
    const pending = await updateClaimStatus(d, claim, 'Pending', undefined);
    d.once.event(pending, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
    return;
  }
  // The user asked for a specific volume.
  const volume = d.volumes.get(wanted);
  if (!volume) {
    // Not created yet: stay Pending; the periodic resync tries again.
    await updateClaimStatus(d, claim, 'Pending', undefined);
    return;
  }
  if (!volume.spec.claimRef) {
    // The volume is not claimed: bind if it fits.
    const mismatch = checkVolumeSatisfyClaim(volume, claim);
    if (!mismatch) return bind(d, volume, claim);
    const pending = await updateClaimStatus(d, claim, 'Pending', undefined);
    d.once.event(pending, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${volume.metadata.name}": ${mismatch}`);
    return;
  }
  if (isVolumeBoundToClaim(volume, claim)) {
    // The volume is (pre-)bound to this claim: finish the binding, adding the uid.
    return bind(d, volume, claim);
  }
  // The volume is claimed by someone else.
  const message = `volume "${volume.metadata.name}" already bound to a different claim.`;
  if (!hasAnnotation(claim, ANN_BOUND_BY_CONTROLLER)) {
    // The user's pre-binding: keep waiting for the volume to come free.
    const pending = await updateClaimStatus(d, claim, 'Pending', undefined);
    d.once.event(pending, 'Warning', 'FailedBinding', message);
    return;
  }
  // Only possible if someone removed bind-completed from a claim this controller bound.
  d.once.event(claim, 'Warning', 'FailedBinding', message);
  d.log.error({ claim: claimKey(claim), volume: wanted, boundTo: claimRefKey(volume.spec.claimRef) }, 'invalid binding: volume already claimed by another claim');
}

async function syncBoundClaim(d: BinderDeps, claim: PersistentVolumeClaim): Promise<void> {
  // OBSERVATION: the claim was bound once.
  const name = claim.spec.volumeName;
  if (!name) {
    await updateClaimStatusWithEvent(d, claim, 'Lost', undefined, 'Warning', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
    return;
  }
  const volume = d.volumes.get(name);
  if (!volume) {
    await updateClaimStatusWithEvent(d, claim, 'Lost', undefined, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
    return;
  }
  if (!volume.spec.claimRef || volume.spec.claimRef.uid === claim.metadata.uid) {
    // Either the volume came unbound (or its binding is not seen yet), or all is well:
    // bind() writes only what is missing.
    return bind(d, volume, claim);
  }
  await updateClaimStatusWithEvent(d, claim, 'Lost', undefined, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
}

/** syncVolume for the volume `name`. A volume that is gone needs nothing. */
export async function syncVolume(name: string, d: BinderDeps): Promise<void> {
  let volume = d.volumes.get(name);
  if (!volume) return;
  const ref = volume.spec.claimRef;
  if (!ref || !ref.uid) {
    // Unused, or reserved by the user for a claim that syncClaim will bind.
    await updateVolumePhase(d, volume, 'Available');
    return;
  }
  const claim = await claimOf(d, volume);
  if (!claim) {
    // The claim was deleted. Keep a Failed phase visible while the reclaim retries.
    if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') {
      d.log.info({ volume: name, reclaimPolicy: volume.spec.persistentVolumeReclaimPolicy }, 'volume is released and its reclaim policy will be executed');
      volume = await updateVolumePhase(d, volume, 'Released');
    }
    return reclaimVolume(d, volume);
  }
  if (!claim.spec.volumeName) {
    if (volumeModeMismatch(claim, volume)) {
      d.once.event(volume, 'Warning', 'VolumeMismatch', `Cannot bind PersistentVolume to requested PersistentVolumeClaim "${claim.metadata.name}" due to incompatible volumeMode.`);
      d.once.event(claim, 'Warning', 'VolumeMismatch', `Cannot bind PersistentVolume "${name}" to requested PersistentVolumeClaim due to incompatible volumeMode.`);
      return;
    }
    // The volume points at the claim but the claim not yet at the volume (a binding
    // cut short, or a user's pre-binding): syncClaim finishes it.
    d.enqueueClaim(claimKey(claim));
    return;
  }
  if (claim.spec.volumeName === name) {
    await updateVolumePhase(d, volume, 'Bound');
    return;
  }
  // The claim is bound to another volume.
  if (hasAnnotation(volume, ANN_DYNAMICALLY_PROVISIONED) && volume.spec.persistentVolumeReclaimPolicy === 'Delete') {
    if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') volume = await updateVolumePhase(d, volume, 'Released');
    return reclaimVolume(d, volume);
  }
  // Bound by this controller: roll it back. Pre-bound by the user: drop only the uid.
  await unbindVolume(d, volume);
}

/**
 * The claim the volume's claimRef names, if it is still that claim (same uid). A
 * miss in the cache is double-checked with the apiserver before a volume is released,
 * since the claim informer can lag behind the volume informer; so is a uid mismatch.
 */
async function claimOf(d: BinderDeps, volume: PersistentVolume): Promise<PersistentVolumeClaim | undefined> {
  const ref = volume.spec.claimRef!;
  let claim = d.claims.get(claimRefKey(ref));
  const settled = volume.status?.phase === 'Released' || volume.status?.phase === 'Failed';
  if ((!claim && !settled) || (claim && claim.metadata.uid !== ref.uid)) claim = await fetchClaim(d, ref.namespace!, ref.name!);
  return claim && claim.metadata.uid === ref.uid ? claim : undefined;
}

async function fetchClaim(d: BinderDeps, namespace: string, name: string): Promise<PersistentVolumeClaim | undefined> {
  try {
    return await d.client.get<PersistentVolumeClaim>(R.persistentvolumeclaims, namespace, name);
  } catch (err) {
    if (isApiError(err) && err.code === 404) return undefined;
    throw err;
  }
}
