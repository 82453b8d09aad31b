import { describe, expect, it } from 'vitest';
import { claim, volume } from './fake.test-helper.js';
import { accessModesKey, checkVolumeSatisfyClaim, findBestMatchForClaim } from './match.js';
import type { PersistentVolume, PersistentVolumeClaim } from './types.js';

const uid = (c: PersistentVolumeClaim, u = 'claim-uid'): PersistentVolumeClaim => ({ ...c, metadata: { ...c.metadata, uid: u } });
const deleting = (pv: PersistentVolume): PersistentVolume => ({ ...pv, metadata: { ...pv.metadata, deletionTimestamp: '2024-05-01T10:00:00Z' } });

describe('findBestMatchForClaim', () => {
  const cases: { name: string; claim: PersistentVolumeClaim; volumes: PersistentVolume[]; want: string | undefined }[] = [
    { name: 'exact size', claim: claim('ns', 'c', '1Gi'), volumes: [volume('a', '1Gi')], want: 'a' },
    { name: 'too small', claim: claim('ns', 'c', '2Gi'), volumes: [volume('a', '1Gi')], want: undefined },
    { name: 'smallest that fits', claim: claim('ns', 'c', '3Gi'), volumes: [volume('big', '10Gi'), volume('small', '1Gi'), volume('fit', '5Gi'), volume('mid', '8Gi')], want: 'fit' },
    { name: 'units compared as quantities', claim: claim('ns', 'c', '1G'), volumes: [volume('mi', '900Mi'), volume('gi', '1Gi')], want: 'gi' },
    { name: 'access modes must contain the request', claim: claim('ns', 'c', '1Gi', { modes: ['ReadWriteMany'] }), volumes: [volume('rwo', '1Gi'), volume('rwx', '5Gi', { modes: ['ReadWriteOnce', 'ReadWriteMany'] })], want: 'rwx' },
    { name: 'fewest extra modes first, even if larger', claim: claim('ns', 'c', '1Gi'), volumes: [volume('many', '1Gi', { modes: ['ReadWriteOnce', 'ReadOnlyMany'] }), volume('one', '2Gi')], want: 'one' },
    { name: 'no volume has the modes', claim: claim('ns', 'c', '1Gi', { modes: ['ReadWriteOnce', 'ReadOnlyMany'] }), volumes: [volume('rwo', '1Gi')], want: undefined },
    { name: 'only Available volumes', claim: claim('ns', 'c', '1Gi'), volumes: [volume('pending', '1Gi', { phase: 'Pending' }), volume('released', '1Gi', { phase: 'Released' }), volume('ok', '9Gi')], want: 'ok' },
    { name: 'claimed by another claim', claim: uid(claim('ns', 'c', '1Gi')), volumes: [volume('other', '1Gi', { claimRef: { namespace: 'ns', name: 'x', uid: 'u2' } })], want: undefined },
    { name: 'pre-bound by name only', claim: uid(claim('ns', 'c', '1Gi')), volumes: [volume('small', '1Gi'), volume('mine', '9Gi', { phase: 'Pending', claimRef: { namespace: 'ns', name: 'c' } })], want: 'mine' },
    { name: 'pre-bound with this uid', claim: uid(claim('ns', 'c', '1Gi')), volumes: [volume('mine', '9Gi', { claimRef: { namespace: 'ns', name: 'c', uid: 'claim-uid' } })], want: 'mine' },
    { name: 'pre-bound to an older claim of the same name', claim: uid(claim('ns', 'c', '1Gi')), volumes: [volume('old', '1Gi', { claimRef: { namespace: 'ns', name: 'c', uid: 'gone' } })], want: undefined },
    { name: 'pre-bound to the same name in another namespace', claim: uid(claim('ns', 'c', '1Gi')), volumes: [volume('elsewhere', '1Gi', { claimRef: { namespace: 'other', name: 'c' } })], want: undefined },
    { name: 'pre-bound but too small', claim: uid(claim('ns', 'c', '5Gi')), volumes: [volume('mine', '1Gi', { claimRef: { namespace: 'ns', name: 'c' } }), volume('free', '5Gi')], want: 'free' },
    { name: 'unset class matches only ""', claim: claim('ns', 'c', '1Gi'), volumes: [volume('fast', '1Gi', { cls: 'fast' }), volume('none', '2Gi', { cls: '' })], want: 'none' },
    { name: 'unset class does not match a classed volume', claim: claim('ns', 'c', '1Gi'), volumes: [volume('fast', '1Gi', { cls: 'fast' })], want: undefined },
    { name: 'class must be equal', claim: claim('ns', 'c', '1Gi', { cls: 'fast' }), volumes: [volume('none', '1Gi'), volume('slow', '1Gi', { cls: 'slow' }), volume('fast', '5Gi', { cls: 'fast' })], want: 'fast' },
    {
      name: 'beta class annotation wins',
      claim: claim('ns', 'c', '1Gi', { annotations: { 'volume.beta.kubernetes.io/storage-class': 'gold' } }),
      volumes: [volume('plain', '1Gi'), volume('gold', '1Gi', { annotations: { 'volume.beta.kubernetes.io/storage-class': 'gold' } })],
      want: 'gold',
    },
    { name: 'volumeMode must be equal', claim: claim('ns', 'c', '1Gi', { mode: 'Block' }), volumes: [volume('fs', '1Gi'), volume('block', '2Gi', { mode: 'Block' })], want: 'block' },
    {
      name: 'selector matchLabels',
      claim: claim('ns', 'c', '1Gi', { selector: { matchLabels: { tier: 'gold' } } }),
      volumes: [volume('silver', '1Gi', { labels: { tier: 'silver' } }), volume('nolabel', '1Gi'), volume('gold', '5Gi', { labels: { tier: 'gold' } })],
      want: 'gold',
    },
    {
      name: 'selector matchExpressions',
      claim: claim('ns', 'c', '1Gi', { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold', 'silver'] }, { key: 'broken', operator: 'DoesNotExist' }] } }),
      volumes: [volume('bad', '1Gi', { labels: { tier: 'gold', broken: 'yes' } }), volume('bronze', '1Gi', { labels: { tier: 'bronze' } }), volume('silver', '3Gi', { labels: { tier: 'silver' } })],
      want: 'silver',
    },
    { name: 'empty selector matches all', claim: claim('ns', 'c', '1Gi', { selector: {} }), volumes: [volume('any', '1Gi', { labels: { a: 'b' } })], want: 'any' },
    { name: 'volume being deleted', claim: claim('ns', 'c', '1Gi'), volumes: [deleting(volume('doomed', '1Gi'))], want: undefined },
    { name: 'no volumes', claim: claim('ns', 'c', '1Gi'), volumes: [], want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(findBestMatchForClaim(c.claim, c.volumes)?.metadata.name).toBe(c.want);
    });
  }
});

describe('checkVolumeSatisfyClaim (claim names its volume)', () => {
  const cases: { name: string; pv: PersistentVolume; pvc: PersistentVolumeClaim; want: string | undefined }[] = [
    { name: 'fits', pv: volume('v', '2Gi'), pvc: claim('ns', 'c', '1Gi'), want: undefined },
    { name: 'too small', pv: volume('v', '1Gi'), pvc: claim('ns', 'c', '2Gi'), want: 'requested PV is too small' },
    { name: 'class', pv: volume('v', '1Gi', { cls: 'fast' }), pvc: claim('ns', 'c', '1Gi'), want: 'storageClassName does not match' },
    { name: 'volumeMode', pv: volume('v', '1Gi', { mode: 'Block' }), pvc: claim('ns', 'c', '1Gi'), want: 'incompatible volumeMode' },
    { name: 'access modes', pv: volume('v', '1Gi'), pvc: claim('ns', 'c', '1Gi', { modes: ['ReadWriteMany'] }), want: 'incompatible accessMode' },
    { name: 'being deleted', pv: deleting(volume('v', '1Gi')), pvc: claim('ns', 'c', '1Gi'), want: 'the volume is marked for deletion "v"' },
    // A named volume is bound regardless of its labels and phase, as upstream.
    { name: 'selector and phase are not checked', pv: volume('v', '1Gi', { phase: 'Pending' }), pvc: claim('ns', 'c', '1Gi', { selector: { matchLabels: { a: 'b' } } }), want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(checkVolumeSatisfyClaim(c.pv, c.pvc)).toBe(c.want);
    });
  }
});

describe('accessModesKey', () => {
  it('orders modes as upstream and ignores duplicates', () => {
    expect(accessModesKey(['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'])).toBe('RWO,RWX');
    expect(accessModesKey(['ReadWriteOncePod'])).toBe('RWOP');
    expect(accessModesKey(undefined)).toBe('');
  });
});
