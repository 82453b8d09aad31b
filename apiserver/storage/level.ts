// LevelDB storage with an in-memory cache and watch cache, group-committed with sync.
//
// A write is decided synchronously against the committed state plus the overlay of
// accepted-but-uncommitted writes, so writers never race. Accepted writes queue up and
// are flushed as one synced WriteBatch (object, revision counter and watch-log entry
// together); only after the batch is on disk do readers see the write, watchers get the
// event and the client get its 2xx. A kill -9 therefore never loses an acknowledged
// write, and the revision never goes backwards across restarts.
//
// With --encryption-provider-config the bytes of encrypted resources are sealed on their
// way to disk (the object entry, and the object states inside its watch-log entry) and
// opened on load; in memory everything stays decoded (encryption.ts).
import { Level } from 'level';
import type { Logger } from 'pino';
import { errors } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { StorageTransformers } from './encryption.js';
import type { Storage, StorageEvent, StoredObject, TxnResult, WatchHandle } from './interface.js';

const OBJ = 'o:';
const EVT = 'e:';
const META_REV = 'm:rev';
const META_COMPACTED = 'm:compacted';

interface Pending {
  event: StorageEvent;
  resolve: (v: StoredObject | undefined) => void;
  reject: (err: unknown) => void;
}

interface Watcher {
  prefix: string;
  /** Events at or below this were already delivered (or predate the watch). */
  fromRev: number;
  onEvent: (e: StorageEvent) => void;
}

type BatchOp = { type: 'put'; key: string; value: string | Buffer; valueEncoding?: 'buffer' } | { type: 'del'; key: string };

export interface LevelStorageOptions {
  dir: string;
  /** Events kept in memory (and on disk) for watch resumption. */
  watchCacheSize?: number;
  /** ... and at most this many bytes of them (objects can be megabytes each). */
  watchCacheBytes?: number;
  /** Encryption at rest (--encryption-provider-config); absent: everything plaintext. */
  encryption?: StorageTransformers;
  log: Logger;
}

function eventKey(rev: number): string {
  return EVT + rev.toString().padStart(16, '0');
}

export class LevelStorage implements Storage {
  private readonly db: Level<string, string>;
  private readonly committed = new Map<string, StoredObject>();
  /** Accepted, uncommitted writes; `committed` resolves when that write is on disk. */
  private readonly overlay = new Map<string, { rev: number; state: StoredObject | undefined; committed: Promise<StoredObject | undefined> }>();
  /** Sorted keys per resource prefix (`/registry/group/resource/`), rebuilt lazily. */
  private readonly sortedKeys = new Map<string, string[] | null>();
  private readonly events: StorageEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private queue: Pending[] = [];
  private pendingDeletes: string[] = [];
  private flushing = false;
  private nextRev = 0;
  private committedRev = 0;
  private compacted = 0;
  private readonly cacheSize: number;
  private readonly cacheMaxBytes: number;
  private cacheBytes = 0;
  private readonly log: Logger;
  private readonly encryption: StorageTransformers;
  /** Keys loaded from disk in a form other than the one a write would store (old key, plaintext). */
  private readonly stale = new Set<string>();

  private constructor(opts: LevelStorageOptions) {
    this.db = new Level<string, string>(opts.dir, { valueEncoding: 'utf8' });
    this.cacheSize = opts.watchCacheSize ?? 20_000;
    this.cacheMaxBytes = opts.watchCacheBytes ?? 256 * 1024 * 1024;
    this.log = opts.log.child({ subsystem: 'storage' });
    this.encryption = opts.encryption ?? StorageTransformers.none();
  }

  static async open(opts: LevelStorageOptions): Promise<LevelStorage> {
    const s = new LevelStorage(opts);
    try {
      await s.load();
    } catch (err) {
      await s.db.close();
      throw err;
    }
    return s;
  }

  get revision(): number {
    return this.committedRev;
  }

  get compactedRevision(): number {
    return this.compacted;
  }

  private async load(): Promise<void> {
    await this.db.open();
    const rev = await this.db.get(META_REV);
    this.committedRev = rev ? Number(rev) : 0;
    const compacted = await this.db.get(META_COMPACTED);
    this.compacted = compacted ? Number(compacted) : 0;
    for await (const [k, value] of this.db.iterator<string, Buffer>({ gt: OBJ, lt: OBJ + '\xff', valueEncoding: 'buffer' })) {
      const key = k.slice(OBJ.length);
      const { raw, stale } = this.encryption.open(key, value);
      if (stale) this.stale.add(key);
      const obj = JSON.parse(raw) as KubeObject;
      this.committed.set(key, { key, rev: Number(obj.metadata.resourceVersion), obj, raw });
    }
    for await (const [k, v] of this.db.iterator({ gt: EVT, lt: EVT + '\xff' })) {
      const { type, key, raw, prevRaw } = this.openEvent(k, v);
      const obj = JSON.parse(raw) as KubeObject;
      const prev = prevRaw ? (JSON.parse(prevRaw) as KubeObject) : undefined;
      this.events.push({ rev: Number(obj.metadata.resourceVersion), type, key, obj, raw, prev, bytes: raw.length + (prevRaw?.length ?? 0) });
      this.cacheBytes += raw.length + (prevRaw?.length ?? 0);
    }
    this.nextRev = this.committedRev;
    this.trimEvents();
    this.log.info({ objects: this.committed.size, revision: this.committedRev, events: this.events.length, stale: this.stale.size }, 'storage loaded');
  }

  /** A watch-log entry: `{type, key, raw, prevRaw}`, or with both states in `sealed` when its resource is encrypted. */
  private sealEvent(event: StorageEvent, prevRaw: string | undefined): string {
    const states = this.encryption.seal(event.key, JSON.stringify({ raw: event.raw, prevRaw }), eventKey(event.rev));
    if (typeof states === 'string') return JSON.stringify({ type: event.type, key: event.key, raw: event.raw, prevRaw });
    return JSON.stringify({ type: event.type, key: event.key, sealed: states.toString('base64') });
  }

  private openEvent(k: string, v: string): { type: StorageEvent['type']; key: string; raw: string; prevRaw?: string } {
    const e = JSON.parse(v) as { type: StorageEvent['type']; key: string; raw: string; prevRaw?: string; sealed?: string };
    if (e.sealed === undefined) return e;
    const states = JSON.parse(this.encryption.open(e.key, Buffer.from(e.sealed, 'base64'), k).raw) as { raw: string; prevRaw?: string };
    return { type: e.type, key: e.key, raw: states.raw, prevRaw: states.prevRaw };
  }

  get(key: string): StoredObject | undefined {
    return this.committed.get(key);
  }

  peek(key: string): StoredObject | undefined {
    const o = this.overlay.get(key);
    return o ? o.state : this.committed.get(key);
  }

  list(prefix: string): StoredObject[] {
    const resourcePrefix = resourcePrefixOf(prefix);
    let keys = this.sortedKeys.get(resourcePrefix);
    if (!keys) {
      keys = [];
      for (const k of this.committed.keys()) if (k.startsWith(resourcePrefix)) keys.push(k);
      keys.sort();
      this.sortedKeys.set(resourcePrefix, keys);
    }
    const out: StoredObject[] = [];
    let i = lowerBound(keys, prefix);
    for (; i < keys.length && keys[i]!.startsWith(prefix); i++) out.push(this.committed.get(keys[i]!)!);
    return out;
  }

  txn(key: string, decide: (current: StoredObject | undefined) => TxnResult): Promise<StoredObject | undefined> {
    const current = this.peek(key);
    const result = decide(current);
    if ('none' in result) {
      // As upstream's GuaranteedUpdate: a state stored with an old key (or in plaintext
      // while encryption is on) is written again even if nothing changed, so that
      // `kubectl get secrets -A -o json | kubectl replace -f -` re-encrypts everything.
      if (current && this.stale.has(key) && !this.overlay.has(key)) return this.txn(key, () => ({ put: JSON.parse(current.raw) as KubeObject }));
      // Nothing to write, but the state this answer shows may not be on disk yet:
      // answer only once it is, so an acknowledgement never gets ahead of durability.
      const pending = this.overlay.get(key);
      return pending ? pending.committed.then(() => current) : Promise.resolve(current);
    }
    const rev = ++this.nextRev;
    let event: StorageEvent;
    let state: StoredObject | undefined;
    if ('delete' in result) {
      if (!current) {
        this.nextRev--;
        throw errors.internal(`delete of missing key ${key}`);
      }
      const obj = { ...current.obj, metadata: { ...current.obj.metadata, resourceVersion: String(rev) } };
      event = { rev, type: 'DELETED', key, obj, raw: JSON.stringify(obj), prev: current.obj };
    } else {
      const obj = result.put;
      obj.metadata.resourceVersion = String(rev);
      const raw = JSON.stringify(obj);
      event = { rev, type: current ? 'MODIFIED' : 'ADDED', key, obj, raw, prev: current?.obj };
      state = { key, rev, obj, raw };
    }
    const committed = new Promise<StoredObject | undefined>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
    });
    this.overlay.set(key, { rev, state, committed });
    if (!this.flushing) void this.flush();
    return committed;
  }

  /** Group commit: everything queued goes to disk in one synced batch, in revision order. */
  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      const ops: BatchOp[] = [];
      for (const { event } of batch) {
        if (event.type === 'DELETED') ops.push({ type: 'del', key: OBJ + event.key });
        else {
          const value = this.encryption.seal(event.key, event.raw);
          ops.push(typeof value === 'string' ? { type: 'put', key: OBJ + event.key, value } : { type: 'put', key: OBJ + event.key, value, valueEncoding: 'buffer' });
        }
        // The previous state goes with the event so that selector watches resumed after a
        // restart still see objects leave their selector.
        const prevRaw = event.prev ? JSON.stringify(event.prev) : undefined;
        ops.push({ type: 'put', key: eventKey(event.rev), value: this.sealEvent(event, prevRaw) });
      }
      const last = batch[batch.length - 1]!.event.rev;
      ops.push({ type: 'put', key: META_REV, value: String(last) });
      for (const k of this.pendingDeletes) ops.push({ type: 'del', key: k });
      if (this.pendingDeletes.length) ops.push({ type: 'put', key: META_COMPACTED, value: String(this.compacted) });
      this.pendingDeletes = [];
      try {
        await this.db.batch<string, string | Buffer>(ops, { sync: true });
      } catch (err) {
        // The disk refused a write we already ordered; later writes may build on it.
        // Stop rather than serve a history that is not on disk: a restart recovers.
        this.log.fatal({ err }, 'storage write failed; exiting so a restart recovers from disk');
        for (const p of batch) p.reject(errors.internal('storage write failed'));
        process.exit(70);
      }
      for (const p of batch) this.apply(p.event);
      this.trimEvents();
      // Each writer gets the state its own write produced, even if a later write in the
      // same batch changed the key again.
      for (const p of batch) p.resolve({ key: p.event.key, rev: p.event.rev, obj: p.event.obj, raw: p.event.raw });
    }
    this.flushing = false;
  }

  private apply(e: StorageEvent): void {
    const resourcePrefix = resourcePrefixOf(e.key);
    this.stale.delete(e.key);
    if (e.type === 'DELETED') {
      this.committed.delete(e.key);
      this.sortedKeys.set(resourcePrefix, null);
    } else {
      if (!this.committed.has(e.key)) this.sortedKeys.set(resourcePrefix, null);
      this.committed.set(e.key, { key: e.key, rev: e.rev, obj: e.obj, raw: e.raw });
    }
    const o = this.overlay.get(e.key);
    if (o && o.rev === e.rev) this.overlay.delete(e.key);
    this.committedRev = e.rev;
    e.bytes = e.raw.length + (e.prev ? e.raw.length : 0);
    this.cacheBytes += e.bytes;
    this.events.push(e);
    for (const w of this.watchers) {
      if (!e.key.startsWith(w.prefix) || e.rev <= w.fromRev) continue;
      try {
        w.onEvent(e);
      } catch (err) {
        this.log.warn({ err }, 'watcher failed; dropping it');
        this.watchers.delete(w);
      }
    }
  }

  /** Keeps the watch cache bounded in count and bytes; compacted events leave the disk in the next batch. */
  private trimEvents(): void {
    let drop = Math.max(0, this.events.length - this.cacheSize);
    let bytes = this.cacheBytes;
    for (let i = 0; i < drop; i++) bytes -= this.events[i]!.bytes ?? 0;
    while (drop < this.events.length - 1 && bytes > this.cacheMaxBytes) bytes -= this.events[drop++]!.bytes ?? 0;
    if (drop <= 0) return;
    const dropped = this.events.splice(0, drop);
    this.cacheBytes = bytes;
    this.compacted = dropped[dropped.length - 1]!.rev;
    for (const e of dropped) this.pendingDeletes.push(eventKey(e.rev));
  }

  watch(prefix: string, fromRev: number, onEvent: (e: StorageEvent) => void): WatchHandle {
    if (fromRev < this.compacted) {
      throw errors.expired(`too old resource version: ${fromRev} (${this.compacted + 1})`);
    }
    if (fromRev > this.nextRev) {
      // A revision this store never issued (e.g. from before its data was wiped): the
      // client's cache cannot be trusted, so make it re-list, as a too-old one does.
      throw errors.expired(`too large resource version: ${fromRev}, current: ${this.committedRev}`);
    }
    let i = lowerBoundRev(this.events, fromRev + 1);
    for (; i < this.events.length; i++) {
      const e = this.events[i]!;
      if (e.key.startsWith(prefix)) onEvent(e);
    }
    const w: Watcher = { prefix, fromRev, onEvent };
    this.watchers.add(w);
    return { stop: () => this.watchers.delete(w) };
  }

  /** Number of stored objects. */
  get size(): number {
    return this.committed.size;
  }

  async close(): Promise<void> {
    while (this.flushing || this.queue.length) await new Promise((r) => setTimeout(r, 5));
    this.watchers.clear();
    await this.db.close();
  }
}

/** `/registry/apps/deployments/ns/name` → `/registry/apps/deployments/`. */
function resourcePrefixOf(key: string): string {
  const parts = key.split('/');
  return parts.slice(0, 4).join('/') + '/';
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBoundRev(events: StorageEvent[], rev: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.rev < rev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
