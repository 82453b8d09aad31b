// Coded volume errors. `message` is what the kubelet puts into its FailedMount event, worded
// as Kubernetes' operation executor words it: `MountVolume.SetUp failed for volume "x" : …`.

export type VolumeErrorCode =
  | 'ObjectNotFound' // a configMap, secret or PVC the volume names does not exist
  | 'KeyNotFound' // items[].key is not in the configMap or secret
  | 'HostPathTypeCheck' // hostPath type check failed
  | 'ClaimNotBound' // the PVC is not Bound, or its PV is not usable here
  | 'Unsupported' // a volume type or source skiff does not mount
  | 'InvalidSubPath' // subPath / subPathExpr rejected
  | 'VolumeNotFound' // a volumeMount names no volume of the pod
  | 'ApiError' // the apiserver failed (transient: retry)
  | 'IOError'; // the node's filesystem failed

export class VolumeError extends Error {
  /** The event reason the kubelet records. */
  readonly reason = 'FailedMount';

  constructor(
    readonly code: VolumeErrorCode,
    /** The pod volume's name, when the error belongs to one. */
    readonly volume: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'VolumeError';
  }

  /** Worth retrying without a change to the pod or the objects it names? */
  get transient(): boolean {
    return this.code === 'ApiError' || this.code === 'IOError' || this.code === 'ObjectNotFound' || this.code === 'ClaimNotBound' || this.code === 'KeyNotFound';
  }
}

/** An error of one volume's SetUp, in upstream's event wording. */
export function setUpFailed(code: VolumeErrorCode, volume: string, detail: string): VolumeError {
  return new VolumeError(code, volume, `MountVolume.SetUp failed for volume "${volume}" : ${detail}`);
}

export function isVolumeError(err: unknown, code?: VolumeErrorCode): err is VolumeError {
  return err instanceof VolumeError && (code === undefined || err.code === code);
}
