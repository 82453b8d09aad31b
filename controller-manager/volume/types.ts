// The parts of PersistentVolume and PersistentVolumeClaim the binder reads, the
// annotations it writes (k8s.io/component-helpers/storage/volume), and the small
// helpers upstream keeps next to them (GetPersistentVolumeClass, claimToClaimKey, …).
import type { MetaLabelSelector } from '../../shared/selectors.js';
import { parseQuantity } from '../../shared/quantity.js';
import type { KubeObject } from '../../shared/types.js';

/** PVC: the binding has been set up once; from then on the claim is synced as bound. */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** PV and PVC: the controller (not the user) wrote the binding. */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** PV: the plugin that dynamically provisioned the volume. */
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
/** PV: the volume is handled by a CSI driver the in-tree plugin migrated to. */
export const ANN_MIGRATED_TO = 'pv.kubernetes.io/migrated-to';
/** The beta storage class annotation, which still wins over spec.storageClassName. */
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

export type VolumePhase = 'Pending' | 'Available' | 'Bound' | 'Released' | 'Failed';
export type ClaimPhase = 'Pending' | 'Bound' | 'Lost';

export interface PersistentVolume extends KubeObject {
  spec: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    claimRef?: ObjectReference;
    persistentVolumeReclaimPolicy?: string;
    storageClassName?: string;
    volumeMode?: string;
    volumeAttributesClassName?: string;
    hostPath?: { path?: string };
    local?: { path?: string };
    nfs?: { server?: string; path?: string };
    csi?: { driver?: string; volumeHandle?: string };
    [source: string]: unknown;
  };
  status?: { phase?: VolumePhase; message?: string; reason?: string; [k: string]: unknown };
}

export interface PersistentVolumeClaim extends KubeObject {
  spec: {
    accessModes?: string[];
    selector?: MetaLabelSelector | null;
    resources?: { requests?: Record<string, string> };
    volumeName?: string;
    storageClassName?: string | null;
    volumeMode?: string;
    volumeAttributesClassName?: string;
  };
  status?: { phase?: ClaimPhase; accessModes?: string[]; capacity?: Record<string, string>; [k: string]: unknown };
}

export const claimKey = (c: PersistentVolumeClaim): string => `${c.metadata.namespace}/${c.metadata.name}`;
export const claimRefKey = (r: ObjectReference): string => `${r.namespace}/${r.name}`;

export function hasAnnotation(o: KubeObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o.metadata.annotations ?? {}, key);
}

/** GetPersistentVolumeClass: the beta annotation if present, else spec.storageClassName. */
export function volumeClass(pv: PersistentVolume): string {
  const ann = pv.metadata.annotations?.[ANN_BETA_STORAGE_CLASS];
  return ann ?? pv.spec.storageClassName ?? '';
}

/** GetPersistentVolumeClaimClass: as for volumes; an unset class is "", which matches only "". */
export function claimClass(pvc: PersistentVolumeClaim): string {
  const ann = pvc.metadata.annotations?.[ANN_BETA_STORAGE_CLASS];
  return ann ?? pvc.spec.storageClassName ?? '';
}

/** The storage quantity in bytes; a missing or malformed one counts as zero. */
export function storageBytes(q: string | undefined): number {
  if (q === undefined) return 0;
  try {
    return parseQuantity(q);
  } catch {
    return 0;
  }
}

export const volumeStorage = (pv: PersistentVolume): number => storageBytes(pv.spec.capacity?.storage);
export const requestedStorage = (pvc: PersistentVolumeClaim): number => storageBytes(pvc.spec.resources?.requests?.storage);

/** The volume's source for messages: `hostPath "/mnt/data"`, `NFS export "srv:/x"`, … */
export function describeSource(pv: PersistentVolume): string {
  const s = pv.spec;
  if (s.hostPath) return `hostPath "${s.hostPath.path ?? ''}"`;
  if (s.local) return `local path "${s.local.path ?? ''}"`;
  if (s.nfs) return `NFS export "${s.nfs.server ?? ''}:${s.nfs.path ?? ''}"`;
  if (s.csi) return `CSI volume "${s.csi.volumeHandle ?? ''}" of driver ${s.csi.driver ?? ''}`;
  const kind = Object.keys(s).find((k) => k !== 'nodeAffinity' && typeof s[k] === 'object' && s[k] !== null && !['capacity', 'claimRef', 'accessModes', 'mountOptions'].includes(k));
  return kind ? `${kind} volume` : 'volume';
}
