// hostPath volumes' type checks, as pkg/volume/hostpath's checkType: DirectoryOrCreate and
// FileOrCreate create what is missing; the other types only check.
import { closeSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { setUpFailed } from './errors.js';

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Checks (and for the *OrCreate types makes) `path`; throws a VolumeError naming `volume`. */
export function checkHostPathType(volume: string, path: string, type: HostPathType | undefined): void {
  const fail = (what: string) => setUpFailed('HostPathTypeCheck', volume, `hostPath type check failed: ${path} is not ${what}`);
  try {
    const st = statOrUndefined(path);
    switch (type ?? '') {
      case '':
        return;
      case 'DirectoryOrCreate':
        if (!st) mkdirSync(path, { recursive: true, mode: 0o755 });
        else if (!st.isDirectory()) throw fail('a directory');
        return;
      case 'Directory':
        if (!st?.isDirectory()) throw fail('a directory');
        return;
      case 'FileOrCreate':
        // Upstream creates the file only (mode 0644), never its parent directories.
        if (!st) closeSync(openSync(path, 'a', 0o644));
        else if (!st.isFile()) throw fail('a file');
        return;
      case 'File':
        if (!st?.isFile()) throw fail('a file');
        return;
      case 'Socket':
        if (!st?.isSocket()) throw fail('a socket file');
        return;
      case 'CharDevice':
        if (!st?.isCharacterDevice()) throw fail('a character device');
        return;
      case 'BlockDevice':
        if (!st?.isBlockDevice()) throw fail('a block device');
        return;
      default:
        throw setUpFailed('HostPathTypeCheck', volume, `${type} is an invalid volume type`);
    }
  } catch (err) {
    if ((err as Error).name === 'VolumeError') throw err;
    throw setUpFailed('IOError', volume, (err as Error).message);
  }
}
