import { describe, expect, it } from 'vitest';
import { errors } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import { claim, volume, World } from './fake.test-helper.js';
import { syncClaim, syncVolume } from './reconcile.js';

const NO_MATCH = 'Normal FailedBinding PersistentVolumeClaim/ns/data: no persistent volumes available for this claim and no storage class is set';

/** A claim bound to a volume through the controller, both synced into the listers. */
async function boundPair(w: World, policy = 'Retain') {
  w.addVolume(volume('pv1', '5Gi', { policy }));
  const c = w.addClaim(claim('ns', 'data', '1Gi'));
  await syncClaim('ns/data', w.deps);
  w.sync();
  return c;
}

describe('binding a Pending claim', () => {
  it('binds both objects in upstream order and copies capacity and modes into the claim', async () => {
    const w = new World();
    w.addVolume(volume('pv1', '5Gi', { modes: ['ReadWriteOnce', 'ReadOnlyMany'] }));
    const c = w.addClaim(claim('ns', 'data', '1Gi'));
    await syncClaim('ns/data', w.deps);

    expect(w.api.writes()).toEqual([
      'update persistentvolumes/pv1',
      'update persistentvolumes/pv1/status',
      'update persistentvolumeclaims/data',
      'update persistentvolumeclaims/data/status',
    ]);
    const pv = w.volume('pv1');
    expect(pv.spec.claimRef).toEqual({ kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'data', uid: c.metadata.uid, apiVersion: 'v1', resourceVersion: c.metadata.resourceVersion });
    expect(pv.metadata.annotations).toEqual({ 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(pv.status?.phase).toBe('Bound');
    const pvc = w.claim('ns', 'data')!;
    expect(pvc.spec.volumeName).toBe('pv1');
    expect(pvc.metadata.annotations).toEqual({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(pvc.status).toEqual({ phase: 'Bound', accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], capacity: { storage: '5Gi' } });
    expect(w.events()).toEqual([]);
  });

  it('writes nothing more once everything is bound, on a claim or volume resync', async () => {
    const w = new World();
    await boundPair(w);
    const before = w.api.writes().length;
    await syncClaim('ns/data', w.deps);
    await syncVolume('pv1', w.deps);
    expect(w.api.writes().length).toBe(before);
  });

  it('does not give the same volume to a second claim while the informer still shows it Available', async () => {
    const w = new World();
    w.addVolume(volume('pv1', '5Gi'));
    w.addClaim(claim('ns', 'a', '1Gi'));
    w.addClaim(claim('ns', 'b', '1Gi'));
    await syncClaim('ns/a', w.deps);
    // No w.sync(): the listers have not seen the four writes yet.
    await syncClaim('ns/b', w.deps);
    expect(w.claim('ns', 'b')!.spec.volumeName).toBeUndefined();
    expect(w.volume('pv1').spec.claimRef?.name).toBe('a');
  });

  for (const [step, failing] of [
    [1, 'update persistentvolumes/pv1/status'],
    [2, 'update persistentvolumeclaims/data'],
    [3, 'update persistentvolumeclaims/data/status'],
  ] as const) {
    it(`finishes a binding cut short before write ${step + 1} (${failing})`, async () => {
      const w = new World();
      w.addVolume(volume('pv1', '5Gi'));
      w.addClaim(claim('ns', 'data', '1Gi'));
      w.api.failWhen = (a) => (`${a.verb} ${a.resource}/${a.name}${a.sub ? `/${a.sub}` : ''}` === failing ? new Error('controller-manager killed') : undefined);
      await expect(syncClaim('ns/data', w.deps)).rejects.toThrow('killed');
      // A restarted controller: fresh caches from the apiserver; the volume syncs first.
      w.api.failWhen = undefined;
      const restarted = new World();
      for (const [k, o] of w.api.objects) restarted.api.objects.set(k, o);
      restarted.sync();
      await syncVolume('pv1', restarted.deps);
      restarted.sync();
      if (step < 3) expect(restarted.enqueued).toEqual(['ns/data']);
      await syncClaim('ns/data', restarted.deps);
      restarted.sync();
      await syncVolume('pv1', restarted.deps);
      expect(restarted.volume('pv1').status?.phase).toBe('Bound');
      expect(restarted.claim('ns', 'data')!.status?.phase).toBe('Bound');
      expect(restarted.claim('ns', 'data')!.spec.volumeName).toBe('pv1');
    });
  }

  it('retries after a version conflict with fresh objects', async () => {
    const w = new World();
    w.addVolume(volume('pv1', '5Gi'));
    w.addClaim(claim('ns', 'data', '1Gi'));
    let failed = false;
    w.api.failWhen = (a) => (a.verb === 'update' && !failed ? ((failed = true), errors.conflict('persistentvolumes', '', 'pv1', 'the object has been modified')) : undefined);
    await expect(syncClaim('ns/data', w.deps)).rejects.toMatchObject({ code: 409 });
    w.sync();
    await syncClaim('ns/data', w.deps);
    expect(w.claim('ns', 'data')!.status?.phase).toBe('Bound');
  });
});

describe('a Pending claim without a match', () => {
  it('stays Pending with one FailedBinding per change of the claim, not one per resync', async () => {
    const w = new World();
    w.addVolume(volume('small', '1Gi'));
    w.addClaim({ ...claim('ns', 'data', '10Gi'), status: undefined });
    await syncClaim('ns/data', w.deps);
    w.sync();
    for (let i = 0; i < 5; i++) await syncClaim('ns/data', w.deps);
    expect(w.claim('ns', 'data')!.status?.phase).toBe('Pending');
    expect(w.events()).toEqual([NO_MATCH]);
    // The user edits the claim: it is worth saying again.
    const edited = w.claim('ns', 'data')!;
    edited.metadata.labels = { edited: 'yes' };
    await w.api.update(R.persistentvolumeclaims, edited);
    w.sync();
    await syncClaim('ns/data', w.deps);
    expect(w.events()).toEqual([NO_MATCH, NO_MATCH]);
  });

  it('binds once a fitting volume appears', async () => {
    const w = new World();
    w.addClaim(claim('ns', 'data', '2Gi'));
    await syncClaim('ns/data', w.deps);
    w.addVolume(volume('pv1', '2Gi'));
    await syncClaim('ns/data', w.deps);
    expect(w.claim('ns', 'data')!.spec.volumeName).toBe('pv1');
  });

  it('with a storage class, reports the class as missing (skiff provisions nothing)', async () => {
    const w = new World();
    w.addClaim(claim('ns', 'data', '1Gi', { cls: 'fast' }));
    await syncClaim('ns/data', w.deps);
    await syncClaim('ns/data', w.deps);
    expect(w.events()).toEqual(['Warning ProvisioningFailed PersistentVolumeClaim/ns/data: storageclass.storage.k8s.io "fast" not found']);
    expect(w.api.writes()).toEqual([]);
  });
});

describe('a claim naming its volume (spec.volumeName)', () => {
  it('binds only to that volume, even when a better one exists', async () => {
    const w = new World();
    w.addVolume(volume('exact', '1Gi'));
    w.addVolume(volume('wanted', '9Gi'));
    w.addClaim(claim('ns', 'data', '1Gi', { volumeName: 'wanted' }));
    await syncClaim('ns/data', w.deps);
    expect(w.volume('wanted').spec.claimRef?.name).toBe('data');
    expect(w.volume('exact').spec.claimRef).toBeUndefined();
    // The user chose the volume: the claim is not marked bound-by-controller.
    expect(w.claim('ns', 'data')!.metadata.annotations).toEqual({ 'pv.kubernetes.io/bind-completed': 'yes' });
  });

  it('waits Pending for a volume that does not exist yet', async () => {
    const w = new World();
    w.addClaim(claim('ns', 'data', '1Gi', { volumeName: 'later' }));
    await syncClaim('ns/data', w.deps);
    expect(w.api.writes()).toEqual([]);
    w.addVolume(volume('later', '1Gi'));
    await syncClaim('ns/data', w.deps);
    expect(w.claim('ns', 'data')!.status?.phase).toBe('Bound');
  });

  it('reports a volume that does not fit, once', async () => {
    const w = new World();
    w.addVolume(volume('tiny', '1Gi'));
    w.addClaim(claim('ns', 'data', '5Gi', { volumeName: 'tiny' }));
    await syncClaim('ns/data', w.deps);
    await syncClaim('ns/data', w.deps);
    expect(w.events()).toEqual(['Warning VolumeMismatch PersistentVolumeClaim/ns/data: Cannot bind to requested volume "tiny": requested PV is too small']);
  });

  it('reports a volume claimed by another claim', async () => {
    const w = new World();
    w.addVolume(volume('taken', '1Gi', { phase: 'Bound', claimRef: { namespace: 'ns', name: 'other', uid: 'u-other' } }));
    w.addClaim(claim('ns', 'data', '1Gi', { volumeName: 'taken' }));
    await syncClaim('ns/data', w.deps);
    expect(w.events()).toEqual(['Warning FailedBinding PersistentVolumeClaim/ns/data: volume "taken" already bound to a different claim.']);
    expect(w.volume('taken').spec.claimRef?.name).toBe('other');
  });
});

describe('a volume pre-bound to a claim (claimRef without uid)', () => {
  it('is Available, reserved: only that claim binds it', async () => {
    const w = new World();
    w.addVolume(volume('reserved', '1Gi', { phase: 'Pending', claimRef: { namespace: 'ns', name: 'chosen' } }));
    await syncVolume('reserved', w.deps);
    expect(w.volume('reserved').status?.phase).toBe('Available');
    w.sync();
    w.addClaim(claim('ns', 'intruder', '1Gi'));
    await syncClaim('ns/intruder', w.deps);
    expect(w.claim('ns', 'intruder')!.spec.volumeName).toBeUndefined();
    const chosen = w.addClaim(claim('ns', 'chosen', '1Gi'));
    await syncClaim('ns/chosen', w.deps);
    expect(w.volume('reserved').spec.claimRef?.uid).toBe(chosen.metadata.uid);
    // The user made the binding: the volume is not marked bound-by-controller.
    expect(w.volume('reserved').metadata.annotations).toBeUndefined();
  });
});

describe('a volume pointing at a claim that does not point back', () => {
  it('asks for a claim sync, or reports a volumeMode mismatch once on both objects', async () => {
    const w = new World();
    const c = w.addClaim(claim('ns', 'data', '1Gi', { mode: 'Block' }));
    w.addVolume(volume('pv1', '1Gi', { phase: 'Bound', claimRef: { namespace: 'ns', name: 'data', uid: c.metadata.uid } }));
    await syncVolume('pv1', w.deps);
    await syncVolume('pv1', w.deps);
    expect(w.enqueued).toEqual([]);
    expect(w.events()).toEqual([
      'Warning VolumeMismatch PersistentVolume//pv1: Cannot bind PersistentVolume to requested PersistentVolumeClaim "data" due to incompatible volumeMode.',
      'Warning VolumeMismatch PersistentVolumeClaim/ns/data: Cannot bind PersistentVolume "pv1" to requested PersistentVolumeClaim due to incompatible volumeMode.',
    ]);
    const w2 = new World();
    const c2 = w2.addClaim(claim('ns', 'data', '1Gi'));
    w2.addVolume(volume('pv1', '1Gi', { phase: 'Bound', claimRef: { namespace: 'ns', name: 'data', uid: c2.metadata.uid } }));
    await syncVolume('pv1', w2.deps);
    expect(w2.enqueued).toEqual(['ns/data']);
  });
});

describe('releasing', () => {
  it('Retain: the volume goes Released when its claim is deleted and is not bound again', async () => {
    const w = new World();
    await boundPair(w);
    w.api.remove(R.persistentvolumeclaims, 'ns', 'data');
    w.sync();
    await syncVolume('pv1', w.deps);
    expect(w.volume('pv1').status?.phase).toBe('Released');
    w.sync();
    await syncVolume('pv1', w.deps);
    w.addClaim(claim('ns', 'newcomer', '1Gi'));
    await syncClaim('ns/newcomer', w.deps);
    expect(w.claim('ns', 'newcomer')!.spec.volumeName).toBeUndefined();
    expect(w.volume('pv1').status?.phase).toBe('Released');
    // An administrator clears the claimRef: Available, and bindable again.
    const pv = w.volume('pv1');
    delete pv.spec.claimRef;
    await w.api.update(R.persistentvolumes, pv);
    w.sync();
    await syncVolume('pv1', w.deps);
    expect(w.volume('pv1').status?.phase).toBe('Available');
    w.sync();
    await syncClaim('ns/newcomer', w.deps);
    expect(w.claim('ns', 'newcomer')!.spec.volumeName).toBe('pv1');
  });

  it('a claim recreated under the same name does not keep the old volume', async () => {
    const w = new World();
    await boundPair(w);
    w.api.remove(R.persistentvolumeclaims, 'ns', 'data');
    w.addClaim(claim('ns', 'data', '1Gi'));
    await syncVolume('pv1', w.deps);
    expect(w.volume('pv1').status?.phase).toBe('Released');
  });

  it('double-checks with the apiserver before releasing a volume whose claim the informer lacks', async () => {
    const w = new World();
    w.addVolume(volume('pv1', '5Gi'));
    w.addClaim(claim('ns', 'data', '1Gi'));
    await syncClaim('ns/data', w.deps);
    // A fresh controller whose claim informer has not caught up.
    const lagging = new World();
    for (const [k, o] of w.api.objects) lagging.api.objects.set(k, o);
    lagging.pvLister.sync();
    await syncVolume('pv1', lagging.deps);
    expect(lagging.volume('pv1').status?.phase).toBe('Bound');
  });

  it('Delete: the PersistentVolume object is deleted, guarded, and the event names the data left in place', async () => {
    const w = new World();
    await boundPair(w, 'Delete');
    w.api.remove(R.persistentvolumeclaims, 'ns', 'data');
    w.sync();
    await syncVolume('pv1', w.deps);
    expect(w.api.writes().slice(-2)).toEqual(['update persistentvolumes/pv1/status', 'delete persistentvolumes/pv1']);
    expect(w.api.peek(R.persistentvolumes, undefined, 'pv1')).toBeUndefined();
    expect(w.events()).toEqual([
      'Normal VolumeDelete PersistentVolume//pv1: Deleted the PersistentVolume object only: the data of hostPath "/mnt/pv1" was left in place, as skiff has no volume deleter; remove it by hand if it is no longer needed',
    ]);
  });

  it('Delete: a volume reclaimed by an administrator meanwhile is not deleted', async () => {
    const w = new World();
    await boundPair(w, 'Delete');
    w.api.remove(R.persistentvolumeclaims, 'ns', 'data');
    w.sync();
    w.api.failWhen = (a) => (a.verb === 'delete' ? errors.unavailable('apiserver restarting') : undefined);
    await expect(syncVolume('pv1', w.deps)).rejects.toMatchObject({ code: 503 });
    w.api.failWhen = undefined;
    // Before the retry, an administrator clears the claimRef; the informer has not seen it.
    const pv = w.volume('pv1');
    delete pv.spec.claimRef;
    await w.api.update(R.persistentvolumes, pv);
    await syncVolume('pv1', w.deps);
    expect(w.api.peek(R.persistentvolumes, undefined, 'pv1')).toBeDefined();
  });

  it('Recycle is unsupported: Failed with one VolumeFailedRecycle event', async () => {
    const w = new World();
    await boundPair(w, 'Recycle');
    w.api.remove(R.persistentvolumeclaims, 'ns', 'data');
    w.sync();
    await syncVolume('pv1', w.deps);
    w.sync();
    await syncVolume('pv1', w.deps);
    expect(w.volume('pv1').status?.phase).toBe('Failed');
    expect(w.events()).toEqual(['Warning VolumeFailedRecycle PersistentVolume//pv1: No recycler plugin found for the volume!']);
  });

  it('an unknown policy fails the volume', async () => {
    const w = new World();
    w.addVolume(volume('pv1', '1Gi', { policy: 'Shred', phase: 'Bound', claimRef: { namespace: 'ns', name: 'gone', uid: 'u' } }));
    await syncVolume('pv1', w.deps);
    expect(w.volume('pv1').status?.phase).toBe('Failed');
    expect(w.events()).toEqual(['Warning VolumeUnknownReclaimPolicy PersistentVolume//pv1: Volume has unrecognized PersistentVolumeReclaimPolicy']);
  });

  it('a volume the controller bound to a claim that went to another volume is unbound', async () => {
    const w = new World();
    w.addVolume(volume('stray', '1Gi', { phase: 'Bound', annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' } }));
    const c = w.addClaim(claim('ns', 'data', '1Gi', { volumeName: 'other', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } }));
    const pv = w.volume('stray');
    pv.spec.claimRef = { namespace: 'ns', name: 'data', uid: c.metadata.uid };
    await w.api.update(R.persistentvolumes, pv);
    w.sync();
    await syncVolume('stray', w.deps);
    expect(w.volume('stray').spec.claimRef).toBeUndefined();
    expect(w.volume('stray').metadata.annotations).toBeUndefined();
    expect(w.volume('stray').status?.phase).toBe('Available');
  });
});

describe('a bound claim losing its volume', () => {
  it('goes Lost with one ClaimLost event when the volume is deleted', async () => {
    const w = new World();
    await boundPair(w);
    w.api.remove(R.persistentvolumes, undefined, 'pv1');
    w.sync();
    await syncClaim('ns/data', w.deps);
    w.sync();
    await syncClaim('ns/data', w.deps);
    const pvc = w.claim('ns', 'data')!;
    expect(pvc.status).toEqual({ phase: 'Lost' });
    expect(w.events()).toEqual(['Warning ClaimLost PersistentVolumeClaim/ns/data: Bound claim has lost its PersistentVolume. Data on the volume is lost!']);
  });

  it('goes Lost as misbound when its volume points at another claim', async () => {
    const w = new World();
    await boundPair(w);
    const pv = w.volume('pv1');
    pv.spec.claimRef = { ...pv.spec.claimRef, uid: 'someone-else' };
    await w.api.update(R.persistentvolumes, pv);
    w.sync();
    await syncClaim('ns/data', w.deps);
    expect(w.claim('ns', 'data')!.status?.phase).toBe('Lost');
    expect(w.events()).toEqual(['Warning ClaimMisbound PersistentVolumeClaim/ns/data: Two claims are bound to the same volume, this one is bound incorrectly']);
  });

  it('re-binds a volume whose claimRef was cleared while the claim still points at it', async () => {
    const w = new World();
    await boundPair(w);
    const pv = w.volume('pv1');
    delete pv.spec.claimRef;
    await w.api.update(R.persistentvolumes, pv);
    w.sync();
    await syncClaim('ns/data', w.deps);
    expect(w.volume('pv1').spec.claimRef?.name).toBe('data');
  });
});
