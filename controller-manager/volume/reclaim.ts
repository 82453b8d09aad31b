// What happens to a volume whose claim is gone (reclaimVolume): Retain keeps it
// Released until an administrator clears its claimRef; Delete removes the
// PersistentVolume object; Recycle, deprecated upstream, is not supported. skiff has
// no volume plugins, so nothing on disk or on a storage server is ever touched: a
// Delete volume's data stays where it is, and the event says where.
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import { type BinderDeps, updateVolumePhaseWithEvent } from './binding.js';
import { ANN_MIGRATED_TO, claimRefKey, describeSource, type PersistentVolume } from './types.js';

export async function reclaimVolume(d: BinderDeps, volume: PersistentVolume): Promise<void> {
  // A migrated volume belongs to the CSI driver's external provisioner.
  if (volume.metadata.annotations?.[ANN_MIGRATED_TO]) return;
  switch (volume.spec.persistentVolumeReclaimPolicy) {
    case 'Retain':
      d.log.debug({ volume: volume.metadata.name }, 'reclaim policy is Retain, nothing to do');
      return;
    case 'Recycle':
      return recycleVolumeOperation(d, volume);
    case 'Delete':
      return deleteVolumeOperation(d, volume);
    default:
      await updateVolumePhaseWithEvent(d, volume, 'Failed', 'Warning', 'VolumeUnknownReclaimPolicy', 'Volume has unrecognized PersistentVolumeReclaimPolicy');
  }
}

/**
 * isVolumeReleased: the volume is bound (claimRef with a uid) and its claim is gone,
 * was replaced by another of the same name, or is bound to a different volume.
 */
export function isVolumeReleased(d: BinderDeps, volume: PersistentVolume): boolean {
  const ref = volume.spec.claimRef;
  if (!ref || !ref.uid) return false;
  const claim = d.claims.get(claimRefKey(ref));
  if (claim && claim.metadata.uid === ref.uid) {
    return !!claim.spec.volumeName && claim.spec.volumeName !== volume.metadata.name;
  }
  return true;
}

/** The current volume from the apiserver, or undefined once it is gone. */
async function fetchVolume(d: BinderDeps, name: string): Promise<PersistentVolume | undefined> {
  try {
    return await d.client.get<PersistentVolume>(R.persistentvolumes, undefined, name);
  } catch (err) {
    if (isApiError(err) && err.code === 404) return undefined;
    throw err;
  }
}

/**
 * Upstream looks for a recycler plugin (a scrubber pod for hostPath and NFS). skiff
 * has none, so the volume goes Failed with upstream's no-recycler event, once.
 */
async function recycleVolumeOperation(d: BinderDeps, volume: PersistentVolume): Promise<void> {
  const current = await fetchVolume(d, volume.metadata.name!);
  if (!current || !isVolumeReleased(d, current)) return;
  await updateVolumePhaseWithEvent(d, current, 'Failed', 'Warning', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
}

/**
 * deleteVolumeOperation: re-reads the volume, checks it still needs reclaiming, then
 * deletes the PersistentVolume object, guarded by the uid and resourceVersion just read
 * so a volume an administrator reclaimed in the meantime survives. Upstream's deleter
 * plugin would first destroy the storage; here the storage is left untouched.
 */
async function deleteVolumeOperation(d: BinderDeps, volume: PersistentVolume): Promise<void> {
  const name = volume.metadata.name!;
  const current = await fetchVolume(d, name);
  if (!current) return;
  if (current.metadata.deletionTimestamp) {
    d.log.debug({ volume: name }, 'volume is already being deleted');
    return;
  }
  if (!isVolumeReleased(d, current)) {
    d.log.debug({ volume: name }, 'volume no longer needs deletion, skipping');
    return;
  }
  try {
    await d.client.delete(R.persistentvolumes, undefined, name, {
      preconditions: { uid: current.metadata.uid, resourceVersion: current.metadata.resourceVersion },
    });
  } catch (err) {
    if (isApiError(err) && err.code === 404) return;
    throw err; // a 409 means the volume changed since it was read: sync it again
  }
  d.log.info({ volume: name }, 'released volume deleted');
  d.recorder.event(
    current,
    'Normal',
    'VolumeDelete',
    `Deleted the PersistentVolume object only: the data of ${describeSource(current)} was left in place, as skiff has no volume deleter; remove it by hand if it is no longer needed`,
  );
}
