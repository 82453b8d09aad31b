// Which PersistentVolume a claim gets (upstream's persistentVolumeOrderedIndex and
// FindMatchingVolume): volumes are grouped by their set of access modes; the groups
// that hold every mode the claim asks for are searched fewest modes first, and within
// a group the smallest Available volume that fits wins. A volume pre-bound to the claim
// (claimRef naming it) is returned before any other.
import { fromMetaSelector, matchesLabels } from '../../shared/selectors.js';
import { claimClass, type PersistentVolume, type PersistentVolumeClaim, requestedStorage, volumeClass, volumeStorage } from './types.js';

/** GetAccessModesAsString's order and short names. */
const MODES: [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** The access-mode index key of a volume: `RWO,ROX`. */
export function accessModesKey(modes: string[] | undefined): string {
  const set = new Set(modes ?? []);
  return MODES.filter(([m]) => set.has(m)).map(([, short]) => short).join(',');
}

/**
 * IsVolumeBoundToClaim: claimRef names the claim (namespace and name), and if the
 * claimRef carries a uid, it is the claim's.
 */
export function isVolumeBoundToClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec.claimRef;
  if (!ref) return false;
  if (ref.name !== pvc.metadata.name || ref.namespace !== pvc.metadata.namespace) return false;
  return !ref.uid || ref.uid === pvc.metadata.uid;
}

/** CheckVolumeModeMismatches: an unset mode is Filesystem on both sides. */
export function volumeModeMismatch(pvc: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  return (pvc.spec.volumeMode ?? 'Filesystem') !== (pv.spec.volumeMode ?? 'Filesystem');
}

/** CheckAccessModes: the volume offers every mode the claim asks for. */
export function checkAccessModes(pvc: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  const offered = new Set(pv.spec.accessModes ?? []);
  return (pvc.spec.accessModes ?? []).every((m) => offered.has(m));
}

/**
 * checkVolumeSatisfyClaim, used when the claim names its volume: the reason the
 * volume cannot serve the claim, in upstream's words, or undefined when it can.
 */
export function checkVolumeSatisfyClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): string | undefined {
  if (pv.metadata.deletionTimestamp) return `the volume is marked for deletion "${pv.metadata.name}"`;
  if (volumeStorage(pv) < requestedStorage(pvc)) return 'requested PV is too small';
  if (volumeClass(pv) !== claimClass(pvc)) return 'storageClassName does not match';
  if (volumeModeMismatch(pvc, pv)) return 'incompatible volumeMode';
  if (!checkAccessModes(pvc, pv)) return 'incompatible accessMode';
  return undefined;
}

/** FindMatchingVolume over one access-mode group: the pre-bound volume, else the smallest fit. */
export function findMatchingVolume(pvc: PersistentVolumeClaim, volumes: PersistentVolume[]): PersistentVolume | undefined {
  const requested = requestedStorage(pvc);
  const requestedClass = claimClass(pvc);
  const selector = pvc.spec.selector ? fromMetaSelector(pvc.spec.selector) : undefined;
  let smallest: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (pv.spec.claimRef && !isVolumeBoundToClaim(pv, pvc)) continue; // claimed by another claim
    const size = volumeStorage(pv);
    if (size < requested) continue;
    if (volumeModeMismatch(pvc, pv)) continue;
    if ((pvc.spec.volumeAttributesClassName ?? '') !== (pv.spec.volumeAttributesClassName ?? '')) continue;
    if (pv.metadata.deletionTimestamp) continue;
    if (isVolumeBoundToClaim(pv, pvc)) return pv; // pre-bound to this claim
    // Volumes not yet Available (or Released) are skipped: binding them now would
    // only race their own sync.
    if (pv.status?.phase !== 'Available') continue;
    if (selector && !matchesLabels(selector, pv.metadata.labels)) continue;
    if (volumeClass(pv) !== requestedClass) continue;
    if (!smallest || volumeStorage(smallest) > size) smallest = pv;
  }
  return smallest;
}

/**
 * findBestMatchForClaim: searches the access-mode groups that contain all requested
 * modes, fewest modes first, so a claim for RWO prefers an RWO volume to an RWO+RWX one.
 */
export function findBestMatchForClaim(pvc: PersistentVolumeClaim, volumes: PersistentVolume[]): PersistentVolume | undefined {
  const groups = new Map<string, PersistentVolume[]>();
  for (const pv of [...volumes].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))) {
    const key = accessModesKey(pv.spec.accessModes);
    groups.set(key, [...(groups.get(key) ?? []), pv]);
  }
  const candidates = [...groups.entries()]
    .filter(([, group]) => checkAccessModes(pvc, group[0]!))
    .sort(([a], [b]) => count(a) - count(b) || a.localeCompare(b));
  for (const [, group] of candidates) {
    const best = findMatchingVolume(pvc, group);
    if (best) return best;
  }
  return undefined;
}

const count = (key: string): number => (key ? key.split(',').length : 0);
