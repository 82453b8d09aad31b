// A container's volumeMounts → the runtime's mounts, as the kubelet's makeMounts: the volume
// by name, readOnly, and subPath / subPathExpr inside the volume (created when missing,
// never escaping the volume through `..` or a symlink).
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import { expand } from '../env.js';
import type { MountSpec } from '../runtime/runtime.js';
import { VolumeError } from './errors.js';

/** A set-up volume: a directory or file on the host, or a tmpfs made per container. */
export interface PreparedVolume {
  name: string;
  hostPath?: string;
  tmpfs?: { sizeBytes?: number };
  /** The volume itself is read-only (API data volumes, read-only claims). */
  readOnly?: boolean;
}

/** ValidatePathNoBacksteps. */
function hasBacksteps(p: string): boolean {
  return p.split('/').includes('..');
}

export function containerMounts(volumes: ReadonlyMap<string, PreparedVolume>, container: any, env: { name: string; value: string }[] = []): MountSpec[] {
  const mounts: MountSpec[] = [];
  for (const vm of (container.volumeMounts ?? []) as any[]) {
    const vol = volumes.get(vm.name);
    const bad = (detail: string) => new VolumeError('InvalidSubPath', vm.name, detail);
    if (!vol) throw new VolumeError('VolumeNotFound', vm.name, `cannot find volume "${vm.name}" to mount into container "${container.name}"`);
    let subPath: string = vm.subPath ?? '';
    if (vm.subPathExpr) subPath = expandSubPathExpr(vm.subPathExpr, env, bad);
    const readOnly = vm.readOnly === true || vol.readOnly === true;
    if (vol.tmpfs) {
      if (subPath) throw bad(`subPath "${subPath}" of volume "${vm.name}": skiff mounts a medium Memory emptyDir as a tmpfs per container, which has no sub paths`);
      mounts.push({ containerPath: vm.mountPath, readOnly, tmpfs: vol.tmpfs });
      continue;
    }
    let hostPath = vol.hostPath!;
    if (subPath) {
      if (isAbsolute(subPath)) throw bad(`error SubPath \`${subPath}\` must not be an absolute path`);
      if (hasBacksteps(subPath)) throw bad(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
      hostPath = safeSubPath(hostPath, subPath, vm.name, container.name);
    }
    mounts.push({ hostPath, containerPath: vm.mountPath, readOnly });
  }
  return mounts;
}

/** ExpandContainerVolumeMounts: every $(VAR) must have a non-empty value. */
function expandSubPathExpr(expr: string, env: { name: string; value: string }[], bad: (d: string) => VolumeError): string {
  const vars = new Map(env.map((e) => [e.name, e.value]));
  const missing = new Set<string>();
  const out = expand(expr, (k) => {
    const v = vars.get(k);
    if (!v) missing.add(k);
    return v ?? '';
  });
  if (missing.size) throw bad(`missing value for ${[...missing].sort().join(', ')}`);
  if (isAbsolute(out)) throw bad(`error SubPath \`${out}\` must not be an absolute path`);
  return out;
}

/**
 * The sub path, walked one element at a time from the volume's real path (as SafeMakeDir and
 * PrepareSafeSubpath do): each element's symlinks are resolved and must stay inside the
 * volume; a missing element is created as a directory (upstream does so to get its mode right).
 */
function safeSubPath(volumePath: string, subPath: string, volume: string, container: string): string {
  const outside = (p: string) => new VolumeError('InvalidSubPath', volume, `subPath "${subPath}" of volume "${volume}" resolves to ${p}, outside the volume`);
  try {
    const base = realpathSync(volumePath);
    let cur = base;
    for (const part of subPath.split('/').filter((p) => p && p !== '.')) {
      const next = join(cur, part);
      let real: string;
      try {
        real = realpathSync(next);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        if (isLink(next)) throw outside(`the dangling symlink ${next}`);
        mkdirSync(next, { mode: 0o777 });
        real = realpathSync(next);
      }
      if (real !== base && !real.startsWith(base + sep)) throw outside(real);
      cur = real;
    }
    return cur;
  } catch (err) {
    if (err instanceof VolumeError) throw err;
    throw new VolumeError('InvalidSubPath', volume, `failed to create subPath directory for volumeMount "${volume}" of container "${container}"`);
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
