// Kubernetes' AtomicWriter (pkg/volume/util/atomic_writer.go): the files of a configMap,
// secret, downwardAPI or projected volume are written into a fresh timestamped directory,
// then the `..data` symlink is swapped to it with one rename, so a reader sees either the
// old set of files or the new one, never a mix. Each top-level name of the payload is a
// symlink `name → ..data/name`.
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

export interface FileProjection {
  data: Buffer;
  /** File mode (e.g. 0o644). */
  mode: number;
}

export type Payload = Map<string, FileProjection>;

const DATA_DIR = '..data';
const DATA_DIR_TMP = '..data_tmp';
const MAX_PATH = 4096;
const MAX_FILE_NAME = 255;

/** Upstream's validatePath: relative, no `..` element, no element starting with `..`. */
export function validatePayloadPath(p: string): string | undefined {
  if (p.length > MAX_PATH) return `${p}: must be less than or equal to ${MAX_PATH} characters`;
  if (posix.isAbsolute(p)) return `${p}: must be relative path`;
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') return `${p}: must not contain '..'`;
    if (item.length > MAX_FILE_NAME) return `${p}: filenames must be less than or equal to ${MAX_FILE_NAME} characters`;
  }
  if (items[0]!.startsWith('..')) return `${p}: must not start with '..'`;
  return undefined;
}

/** UTC time as Go's "..2006_01_02_15_04_05." layout, then a random suffix (os.MkdirTemp). */
function tsPrefix(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/**
 * Writes `payload` into `targetDir` atomically. Returns whether anything changed (an
 * unchanged payload is not rewritten, as upstream's shouldWritePayload decides).
 */
export async function writeAtomically(targetDir: string, payload: Payload, now: Date = new Date()): Promise<boolean> {
  for (const p of payload.keys()) {
    const bad = validatePayloadPath(p);
    if (bad) throw new Error(`invalid path ${bad}`);
  }
  await mkdir(targetDir, { recursive: true });
  const dataLink = join(targetDir, DATA_DIR);
  const oldTsName = existsSync(dataLink) ? await readlink(dataLink) : undefined;
  const oldTsDir = oldTsName ? join(targetDir, oldTsName) : undefined;
  const oldPaths = oldTsDir ? await listFiles(oldTsDir) : [];
  if (oldTsDir && !(await payloadDiffers(oldTsDir, oldPaths, payload))) return false;

  const tsDir = await mkdtemp(join(targetDir, tsPrefix(now)));
  await chmod(tsDir, 0o755);
  for (const [p, f] of payload) {
    const file = join(tsDir, p);
    await mkdir(dirname(file), { recursive: true, mode: 0o755 });
    await writeFile(file, f.data);
    await chmod(file, f.mode);
  }
  // The user-visible names, each a symlink into ..data.
  const wanted = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const top of wanted) {
    const link = join(targetDir, top);
    if (!(await exists(link))) await symlink(posix.join(DATA_DIR, top), link);
  }
  const tmpLink = join(targetDir, DATA_DIR_TMP);
  await rm(tmpLink, { force: true });
  await symlink(tsDir.slice(targetDir.length + 1), tmpLink);
  await rename(tmpLink, dataLink);
  // What the old payload had and the new one lacks, then the old directory.
  for (const old of new Set(oldPaths.map((p) => p.split('/')[0]!))) {
    if (!wanted.has(old)) await rm(join(targetDir, old), { force: true, recursive: true });
  }
  if (oldTsDir) await rm(oldTsDir, { recursive: true, force: true });
  return true;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Regular files under `dir`, as slash-separated relative paths. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

async function payloadDiffers(tsDir: string, oldPaths: string[], payload: Payload): Promise<boolean> {
  if (oldPaths.length !== payload.size) return true;
  for (const p of oldPaths) {
    const f = payload.get(p);
    if (!f) return true;
    const file = join(tsDir, p);
    if (((await stat(file)).mode & 0o7777) !== f.mode) return true;
    if (!(await readFile(file)).equals(f.data)) return true;
  }
  return false;
}
