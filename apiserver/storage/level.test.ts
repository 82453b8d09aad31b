// LevelDB storage: revisions, watch replay and expiry, durability across reopen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StorageEvent } from './interface.js';
import { LevelStorage } from './level.js';

const log = pino({ level: 'silent' });
const put = (name: string, data = 'x') => ({ put: { metadata: { name }, data: { v: data } } });

describe('LevelStorage', () => {
  let dir: string;
  let s: LevelStorage;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-level-'));
    s = await LevelStorage.open({ dir, log, watchCacheSize: 5 });
  });
  afterEach(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('orders concurrent writes by one global revision and serializes decisions per key', async () => {
    const writes = Array.from({ length: 20 }, (_, i) => s.txn(`/registry/core/configmaps/ns/c${i % 3}`, () => put(`c${i % 3}`, String(i))));
    const results = await Promise.all(writes);
    expect(results.map((r) => r!.rev)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(s.revision).toBe(20);
    expect(s.list('/registry/core/configmaps/ns/').map((o) => o.key)).toEqual(['/registry/core/configmaps/ns/c0', '/registry/core/configmaps/ns/c1', '/registry/core/configmaps/ns/c2']);
  });

  it('lets a decision see writes accepted before it even if not yet committed', async () => {
    const first = s.txn('/k/a/b/x', (cur) => {
      expect(cur).toBeUndefined();
      return put('x', '1');
    });
    const second = s.txn('/k/a/b/x', (cur) => {
      expect(cur?.obj.data).toEqual({ v: '1' });
      return put('x', '2');
    });
    await Promise.all([first, second]);
    expect(s.get('/k/a/b/x')!.obj.data).toEqual({ v: '2' });
  });

  it('replays watch events after a revision and answers 410 once it is compacted', async () => {
    for (let i = 0; i < 8; i++) await s.txn(`/registry/core/configmaps/ns/c${i}`, () => put(`c${i}`));
    const seen: StorageEvent[] = [];
    s.watch('/registry/core/configmaps/', 5, (e) => seen.push(e)).stop();
    expect(seen.map((e) => e.rev)).toEqual([6, 7, 8]);
    expect(() => s.watch('/registry/core/configmaps/', 1, () => undefined)).toThrow(expect.objectContaining({ code: 410, reason: 'Expired' }));
  });

  it('delivers live events with the previous state and DELETED carrying the deletion revision', async () => {
    const seen: StorageEvent[] = [];
    const h = s.watch('/registry/core/configmaps/', s.revision, (e) => seen.push(e));
    await s.txn('/registry/core/configmaps/ns/a', () => put('a', '1'));
    await s.txn('/registry/core/configmaps/ns/a', () => put('a', '2'));
    await s.txn('/registry/core/configmaps/ns/a', () => ({ delete: true }));
    h.stop();
    expect(seen.map((e) => [e.type, e.rev, e.obj.metadata.resourceVersion])).toEqual([
      ['ADDED', 1, '1'],
      ['MODIFIED', 2, '2'],
      ['DELETED', 3, '3'],
    ]);
    expect(seen[1]!.prev?.data).toEqual({ v: '1' });
  });

  it('keeps objects, revision and the watch window across a reopen', async () => {
    for (let i = 0; i < 3; i++) await s.txn(`/registry/core/configmaps/ns/c${i}`, () => put(`c${i}`));
    await s.close();
    s = await LevelStorage.open({ dir, log, watchCacheSize: 5 });
    expect(s.revision).toBe(3);
    expect(s.list('/registry/core/configmaps/').length).toBe(3);
    const seen: number[] = [];
    s.watch('/registry/', 1, (e) => seen.push(e.rev)).stop();
    expect(seen).toEqual([2, 3]);
    const next = await s.txn('/registry/core/configmaps/ns/c9', () => put('c9'));
    expect(next!.rev).toBe(4);
  });
});
