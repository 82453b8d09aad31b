// The binder's writes, in upstream's order (pv_controller.go bind): the volume's
// claimRef first, then the volume's phase, then the claim's volumeName, then the claim's
// phase. Each write is guarded by the resourceVersion it was computed from, and each
// step is skipped when already done, so a crash between two writes is finished by the
// next sync of either object. Cached objects are copied before any change.
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import type { EventRecorder } from '../../shared/events.js';
import { R } from '../../shared/resources.js';
import type { ControllerCache, OncePerChange } from './cache.js';
import { isVolumeBoundToClaim } from './match.js';
import {
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  type ClaimPhase,
  claimKey,
  hasAnnotation,
  type PersistentVolume,
  type PersistentVolumeClaim,
  storageBytes,
  type VolumePhase,
} from './types.js';

export type BinderClient = Pick<Client, 'get' | 'update' | 'delete'>;

export interface BinderDeps {
  client: BinderClient;
  recorder: EventRecorder;
  /** Events about states that persist (an unbound claim) go out once per change. */
  once: OncePerChange;
  log: Logger;
  volumes: ControllerCache<PersistentVolume>;
  claims: ControllerCache<PersistentVolumeClaim>;
  /** Asks for a sync of a claim (by "namespace/name") soon. */
  enqueueClaim(key: string): void;
}

/** A volume without a storage capacity (which validation forbids): retried like upstream's resync. */
export class VolumeCapacityError extends Error {
  constructor(volume: string) {
    super(`PersistentVolume "${volume}" is without a storage capacity`);
    this.name = 'VolumeCapacityError';
  }
}

const sameList = (a: string[] | undefined, b: string[] | undefined): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Writes the claim's phase, and its capacity and access modes from the volume (or clears them). */
export async function updateClaimStatus(d: BinderDeps, claim: PersistentVolumeClaim, phase: ClaimPhase, volume: PersistentVolume | undefined): Promise<PersistentVolumeClaim> {
  const clone = structuredClone(claim);
  const status = (clone.status ??= {});
  const old = claim.status ?? {};
  let dirty = false;
  if (old.phase !== phase) {
    status.phase = phase;
    dirty = true;
  }
  if (!volume) {
    if (old.accessModes !== undefined) {
      delete status.accessModes;
      dirty = true;
    }
    if (old.capacity !== undefined) {
      delete status.capacity;
      dirty = true;
    }
  } else {
    if (!sameList(old.accessModes, volume.spec.accessModes)) {
      status.accessModes = [...(volume.spec.accessModes ?? [])];
      dirty = true;
    }
    // Capacity is copied when the claim becomes Bound, not afterwards: a difference
    // later can be deliberate (a filesystem smaller than its block device).
    if (old.phase !== phase) {
      const volumeCap = volume.spec.capacity?.storage;
      if (volumeCap === undefined) throw new VolumeCapacityError(volume.metadata.name!);
      const claimCap = old.capacity?.storage;
      if (claimCap === undefined || storageBytes(claimCap) !== storageBytes(volumeCap)) {
        status.capacity = { ...volume.spec.capacity };
        dirty = true;
      }
    }
  }
  if (!dirty) return claim;
  const updated = await d.client.update<PersistentVolumeClaim>(R.persistentvolumeclaims, clone, 'status');
  d.claims.store(updated);
  d.log.info({ claim: claimKey(claim), phase }, 'claim entered phase');
  return updated;
}

/** As updateClaimStatus, emitting the event only when the phase actually changes. */
export async function updateClaimStatusWithEvent(
  d: BinderDeps,
  claim: PersistentVolumeClaim,
  phase: ClaimPhase,
  volume: PersistentVolume | undefined,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<PersistentVolumeClaim> {
  if (claim.status?.phase === phase) return claim;
  const updated = await updateClaimStatus(d, claim, phase, volume);
  d.recorder.event(updated, type, reason, message);
  return updated;
}

export async function updateVolumePhase(d: BinderDeps, volume: PersistentVolume, phase: VolumePhase, message = ''): Promise<PersistentVolume> {
  if (volume.status?.phase === phase) return volume;
  const clone = structuredClone(volume);
  clone.status = { ...(clone.status ?? {}), phase };
  if (message) clone.status.message = message;
  else delete clone.status.message;
  const updated = await d.client.update<PersistentVolume>(R.persistentvolumes, clone, 'status');
  d.volumes.store(updated);
  d.log.info({ volume: volume.metadata.name, phase }, 'volume entered phase');
  return updated;
}

export async function updateVolumePhaseWithEvent(
  d: BinderDeps,
  volume: PersistentVolume,
  phase: VolumePhase,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): Promise<PersistentVolume> {
  if (volume.status?.phase === phase) return volume;
  const updated = await updateVolumePhase(d, volume, phase, message);
  d.recorder.event(updated, type, reason, message);
  return updated;
}

/** GetBindVolumeToClaim + save: claimRef to the claim (with its uid), bound-by-controller. */
export async function bindVolumeToClaim(d: BinderDeps, volume: PersistentVolume, claim: PersistentVolumeClaim): Promise<PersistentVolume> {
  const shouldSetBoundByController = !isVolumeBoundToClaim(volume, claim);
  const clone = structuredClone(volume);
  let dirty = false;
  const ref = volume.spec.claimRef;
  if (!ref || ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace || ref.uid !== claim.metadata.uid) {
    clone.spec.claimRef = {
      kind: 'PersistentVolumeClaim',
      namespace: claim.metadata.namespace,
      name: claim.metadata.name,
      uid: claim.metadata.uid,
      apiVersion: 'v1',
      resourceVersion: claim.metadata.resourceVersion,
    };
    dirty = true;
  }
  if (shouldSetBoundByController && !hasAnnotation(clone, ANN_BOUND_BY_CONTROLLER)) {
    clone.metadata.annotations = { ...(clone.metadata.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' };
    dirty = true;
  }
  if (!dirty) return volume;
  const updated = await d.client.update<PersistentVolume>(R.persistentvolumes, clone);
  d.volumes.store(updated);
  d.log.info({ claim: claimKey(claim), volume: volume.metadata.name }, 'claim bound to volume');
  return updated;
}

/** The claim's half: spec.volumeName, bound-by-controller when the controller chose, bind-completed. */
export async function bindClaimToVolume(d: BinderDeps, claim: PersistentVolumeClaim, volume: PersistentVolume): Promise<PersistentVolumeClaim> {
  const clone = structuredClone(claim);
  const annotations = { ...(clone.metadata.annotations ?? {}) };
  let dirty = false;
  if (claim.spec.volumeName !== volume.metadata.name) {
    clone.spec.volumeName = volume.metadata.name;
    annotations[ANN_BOUND_BY_CONTROLLER] ??= 'yes';
    dirty = true;
  }
  if (!hasAnnotation(claim, ANN_BIND_COMPLETED)) {
    annotations[ANN_BIND_COMPLETED] = 'yes';
    dirty = true;
  }
  if (!dirty) return claim;
  clone.metadata.annotations = annotations;
  const updated = await d.client.update<PersistentVolumeClaim>(R.persistentvolumeclaims, clone);
  d.claims.store(updated);
  d.log.info({ claim: claimKey(claim), volume: volume.metadata.name }, 'volume bound to claim');
  return updated;
}

/** bind: volume spec, volume status, claim spec, claim status; stops at the first error. */
export async function bind(d: BinderDeps, volume: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
  let v = await bindVolumeToClaim(d, volume, claim);
  v = await updateVolumePhase(d, v, 'Bound');
  const c = await bindClaimToVolume(d, claim, v);
  await updateClaimStatus(d, c, 'Bound', v);
}

/**
 * unbindVolume rolls back a binding: a controller-made one is removed entirely, a
 * user's pre-binding keeps its claimRef without the uid; the volume is Available again.
 */
export async function unbindVolume(d: BinderDeps, volume: PersistentVolume): Promise<void> {
  const clone = structuredClone(volume);
  if (hasAnnotation(volume, ANN_BOUND_BY_CONTROLLER)) {
    delete clone.spec.claimRef;
    const { [ANN_BOUND_BY_CONTROLLER]: _, ...rest } = clone.metadata.annotations ?? {};
    if (Object.keys(rest).length) clone.metadata.annotations = rest;
    else delete clone.metadata.annotations;
  } else if (clone.spec.claimRef) {
    delete clone.spec.claimRef.uid;
  }
  const updated = await d.client.update<PersistentVolume>(R.persistentvolumes, clone);
  d.volumes.store(updated);
  d.log.info({ volume: volume.metadata.name }, 'volume binding rolled back');
  await updateVolumePhase(d, updated, 'Available');
}
