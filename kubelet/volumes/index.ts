// A pod's volumes on this node, as the kubelet's volume manager sets them up: each under
// ${rootDir}/pods/<uid>/volumes/<plugin>/<name> (plugin names as upstream's, e.g.
// kubernetes.io~configmap), or a host path (hostPath, a PVC bound to a hostPath/local PV).
// API-backed volumes are written atomically and rewritten by refresh() (or another
// prepareVolumes of the pod, as a sync's remount) when their objects change, and a projected
// ServiceAccount token when it is due for a refresh (token-manager.ts); unchanged payloads are
// not rewritten. mountsFor() turns a container's volumeMounts into the runtime's MountSpecs.
import { chmod, mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { parseQuantityValue } from '../../shared/quantity.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import type { MountSpec } from '../runtime/runtime.js';
import { writeAtomically, type Payload } from './atomic-writer.js';
import { VolumeError, isVolumeError, setUpFailed } from './errors.js';
import { checkHostPathType } from './host-path.js';
import { containerMounts, type PreparedVolume } from './mounts.js';
import { DEFAULT_MODE, downwardPayload, keysPayload, projectedPayload, type PayloadContext } from './payload.js';
import { tokenManagerFor, type TokenManager } from './token-manager.js';

export { VolumeError, isVolumeError } from './errors.js';
export type { PreparedVolume } from './mounts.js';

export interface VolumeDeps {
  client: Client;
  rootDir: string;
  log: Logger;
  /** ServiceAccount tokens of projected volumes; by default one cache per client, shared by every sync. */
  tokens?: TokenManager;
}

export interface PodVolumes {
  /** The mounts of one container (init or app) of the pod; `env` resolves subPathExpr. Throws VolumeError. */
  mountsFor(container: any, env?: { name: string; value: string }[]): MountSpec[];
  /**
   * Rewrites the configMap, secret, downwardAPI and projected volumes from the current API
   * objects (and `pod`, when given, for downward API fields such as labels). Unchanged
   * payloads are not rewritten. Throws the first VolumeError after trying every volume.
   */
  refresh(pod?: KubeObject): Promise<void>;
  /** The prepared volumes by name. */
  readonly volumes: ReadonlyMap<string, PreparedVolume>;
}

/** Upstream's volume plugin directory names. */
const PLUGIN_DIR = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;

function podDir(rootDir: string, uid: string): string {
  if (!uid || uid.includes('/') || uid === '.' || uid === '..') throw new VolumeError('IOError', undefined, `invalid pod UID ${JSON.stringify(uid)}`);
  return join(rootDir, 'pods', uid);
}

export async function prepareVolumes(pod: KubeObject, deps: VolumeDeps): Promise<PodVolumes> {
  let current = pod;
  const dir = join(podDir(deps.rootDir, pod.metadata.uid!), 'volumes');
  const log = deps.log.child({ pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
  let allocatable: Promise<Record<string, string> | undefined> | undefined;
  const tokens = deps.tokens ?? tokenManagerFor(deps.client, deps.log);
  const ctx = (volume: string): PayloadContext => ({
    client: deps.client,
    pod: current,
    volume,
    allocatable: () => (allocatable ??= nodeAllocatable(deps.client, current.spec?.nodeName)),
    tokens,
  });

  const volumes = new Map<string, PreparedVolume>();
  const writers = new Map<string, () => Promise<Payload>>();
  for (const v of (pod.spec?.volumes ?? []) as any[]) {
    const name: string = v.name;
    try {
      if (v.emptyDir) {
        if (v.emptyDir.medium === 'Memory') {
          const limit = v.emptyDir.sizeLimit;
          volumes.set(name, { name, tmpfs: { sizeBytes: limit !== undefined ? parseQuantityValue(limit) : undefined } });
        } else {
          const path = join(dir, PLUGIN_DIR.emptyDir, name);
          await mkdir(path, { recursive: true });
          await chmod(path, 0o777); // as upstream's emptyDir, whatever the umask
          volumes.set(name, { name, hostPath: path });
        }
      } else if (v.hostPath) {
        checkHostPathType(name, v.hostPath.path, v.hostPath.type);
        volumes.set(name, { name, hostPath: v.hostPath.path });
      } else if (v.persistentVolumeClaim) {
        volumes.set(name, await claimVolume(deps.client, pod, name, v.persistentVolumeClaim));
      } else {
        const kind = (['configMap', 'secret', 'downwardAPI', 'projected'] as const).find((k) => v[k]);
        if (!kind) throw setUpFailed('Unsupported', name, `volume type ${Object.keys(v).filter((k) => k !== 'name').join(', ') || '(none)'} is not supported by skiff's kubelet`);
        const src = v[kind];
        const mode = src.defaultMode ?? DEFAULT_MODE;
        const payload =
          kind === 'configMap' || kind === 'secret'
            ? () => keysPayload(ctx(name), kind, { ...src, name: src.name ?? src.secretName }, mode)
            : kind === 'downwardAPI'
              ? () => downwardPayload(ctx(name), src.items ?? [], mode)
              : () => projectedPayload(ctx(name), src);
        const path = join(dir, PLUGIN_DIR[kind], name);
        await write(name, path, await payload());
        writers.set(name, payload);
        // API data volumes are always mounted read-only (ReadOnlyAPIDataVolumes).
        volumes.set(name, { name, hostPath: path, readOnly: true });
      }
    } catch (err) {
      if (isVolumeError(err)) throw err;
      throw setUpFailed('IOError', name, (err as Error).message);
    }
  }
  log.debug({ volumes: [...volumes.keys()] }, 'volumes set up');

  async function write(name: string, path: string, payload: Payload): Promise<void> {
    try {
      if (await writeAtomically(path, payload)) log.debug({ volume: name }, 'volume contents written');
    } catch (err) {
      throw setUpFailed('IOError', name, (err as Error).message);
    }
  }

  return {
    volumes,
    mountsFor: (container, env) => containerMounts(volumes, container, env),
    async refresh(pod?: KubeObject) {
      if (pod) current = pod;
      let first: unknown;
      for (const [name, payload] of writers) {
        try {
          await write(name, volumes.get(name)!.hostPath!, await payload());
        } catch (err) {
          first ??= err;
        }
      }
      if (first) throw first;
    },
  };
}

/** A PVC's volume: the claim must be Bound to a PV of this pod's claim, backed by hostPath or local. */
async function claimVolume(client: Client, pod: KubeObject, name: string, src: { claimName: string; readOnly?: boolean }): Promise<PreparedVolume> {
  const ns = pod.metadata.namespace;
  const get = async (r: typeof R.persistentvolumes, namespace: string | undefined, what: string, objName: string) => {
    try {
      return await client.get(r, namespace, objName);
    } catch (err) {
      if (isApiError(err) && err.code === 404) throw setUpFailed('ObjectNotFound', name, `${what} "${objName}" not found`);
      throw setUpFailed('ApiError', name, (err as Error).message);
    }
  };
  const pvc = await get(R.persistentvolumeclaims, ns, 'persistentvolumeclaim', src.claimName);
  const phase = pvc.status?.phase ?? '';
  const volumeName = pvc.spec?.volumeName ?? '';
  if (phase !== 'Bound' || !volumeName) {
    throw setUpFailed('ClaimNotBound', name, `PVC ${ns}/${src.claimName} has non-bound phase ("${phase}") or empty pvc.Spec.VolumeName ("${volumeName}")`);
  }
  const pv = await get(R.persistentvolumes, undefined, 'persistentvolume', volumeName);
  const claimRef = pv.spec?.claimRef;
  if (!claimRef) throw setUpFailed('ClaimNotBound', name, `found PV object ${volumeName} but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim`);
  if (claimRef.uid !== pvc.metadata.uid) {
    throw setUpFailed('ClaimNotBound', name, `found PV object ${volumeName} but its pv.Spec.ClaimRef.UID ${claimRef.uid} does not point to claim.UID ${pvc.metadata.uid}`);
  }
  const readOnly = src.readOnly === true || undefined;
  if (pv.spec.hostPath) {
    checkHostPathType(name, pv.spec.hostPath.path, pv.spec.hostPath.type);
    return { name, hostPath: pv.spec.hostPath.path, readOnly };
  }
  if (pv.spec.local) {
    checkHostPathType(name, pv.spec.local.path, '');
    return { name, hostPath: pv.spec.local.path, readOnly };
  }
  throw setUpFailed('Unsupported', name, `persistentvolume ${volumeName} is neither hostPath nor local: skiff's kubelet mounts no other volume source`);
}

async function nodeAllocatable(client: Client, nodeName: string | undefined): Promise<Record<string, string> | undefined> {
  if (!nodeName) return undefined;
  try {
    return (await client.get(R.nodes, undefined, nodeName)).status?.allocatable;
  } catch (err) {
    if (isApiError(err) && err.code === 404) return undefined;
    throw err;
  }
}

/**
 * Removes everything the pod's volumes put under the root dir (emptyDirs, projected files),
 * and forgets the pod's ServiceAccount tokens when given the token manager.
 * hostPath and PV paths live outside it and are never touched; symlinks are removed, not followed.
 */
export async function removePodVolumes(podUid: string, rootDir: string, tokens?: TokenManager): Promise<void> {
  tokens?.deleteServiceAccountToken(podUid);
  const pd = podDir(rootDir, podUid);
  await rm(join(pd, 'volumes'), { recursive: true, force: true });
  await rmdir(pd).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT' && err.code !== 'ENOTEMPTY') throw err;
  });
}
