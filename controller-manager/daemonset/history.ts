// Revision hashes (pkg/controller/history): what the DaemonSet and StatefulSet controllers
// put in the controller-revision-hash label. Kubernetes hashes the ControllerRevision's data
// — a patch that replaces spec.template — with FNV-32a, adds the collisionCount, and
// renders the decimal sum through rand.SafeEncodeString. skiff's apiserver serves no
// ControllerRevisions, so the hash is computed from the template alone and kept on pods and
// in status. Keys are sorted first, so the same template always gives the same hash.

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted, at every depth. */
export function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJSON(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function fnv32a(data: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(data, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each character mapped into an alphabet without vowels or look-alikes. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** history.HashControllerRevision over the patch that restores `template`. */
export function templateHash(template: unknown, collisionCount?: number): string {
  let data = canonicalJSON({ spec: { template: { ...(template as object), $patch: 'replace' } } });
  if (collisionCount !== undefined && collisionCount !== null) data += String(collisionCount);
  return safeEncodeString(String(fnv32a(data)));
}

/** history.ControllerRevisionName: `<prefix>-<hash>`, the prefix cut to fit 253 characters. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}
