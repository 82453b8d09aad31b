// The storage contract of DESIGN.md: get, list by prefix, guarded writes, watch from a
// revision, compaction. One global revision orders every write, as etcd's mod revision.
import type { KubeObject } from '../../shared/types.js';

export interface StoredObject {
  key: string;
  /** Revision of the write that produced this state (metadata.resourceVersion). */
  rev: number;
  obj: KubeObject;
  /** The object serialized once, at commit, for cheap responses. */
  raw: string;
}

export interface StorageEvent {
  rev: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  /** New state; for DELETED the last state, stamped with the deletion's revision. */
  obj: KubeObject;
  raw: string;
  /** State before this event, for watchers whose selector the object left or entered. */
  prev?: KubeObject;
  /** Approximate size in the watch cache. */
  bytes?: number;
}

/** What a transaction decides, given the current state of one key. */
export type TxnResult = { put: KubeObject } | { delete: true } | { none: true };

export interface WatchHandle {
  stop(): void;
}

export interface Storage {
  /** Latest committed revision. */
  readonly revision: number;
  /** Oldest revision a watch may resume from (older gets 410 Expired). */
  readonly compactedRevision: number;
  get(key: string): StoredObject | undefined;
  /** Committed objects whose key starts with prefix, in key order. */
  list(prefix: string): StoredObject[];
  /**
   * Runs `decide` synchronously against the latest state of `key`, including writes
   * accepted but not yet committed, so concurrent writers are serialized. Resolves once
   * the write is durable and visible to readers and watchers; `decide` may throw to abort.
   */
  txn(key: string, decide: (current: StoredObject | undefined) => TxnResult): Promise<StoredObject | undefined>;
  /** Latest state of `key`, including accepted but uncommitted writes. */
  peek(key: string): StoredObject | undefined;
  /**
   * Delivers every event with revision > fromRev whose key starts with prefix, first
   * from the watch cache, then live. Throws Expired if fromRev was compacted.
   */
  watch(prefix: string, fromRev: number, onEvent: (e: StorageEvent) => void): WatchHandle;
  close(): Promise<void>;
}
