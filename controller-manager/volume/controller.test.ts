// The binder's wiring with fake informers and a hand-driven resync timer: handlers
// enqueue the right keys (a deleted claim syncs its volume, a deleted volume its claim)
// and the 15 s resync retries what no event would.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Client } from '../../shared/client.js';
import type { InformerFactory } from '../../shared/informer-factory.js';
import { R } from '../../shared/resources.js';
import type { Controller, ControllerContext } from '../context.js';
import { persistentVolumeBinder, RESYNC_PERIOD_MS } from './controller.js';
import { claim, volume, World } from './fake.test-helper.js';

/** Lets the workers run until the queues are idle (no timers involved). */
async function settle(w: World): Promise<void> {
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 40; i++) await new Promise((r) => setImmediate(r));
    w.sync(); // the informers see the controller's writes, as a watch would
  }
}

let controller: Controller | undefined;
afterEach(() => controller?.stop());

function start(w: World) {
  const timers: { fn: () => void; ms: number; stopped: boolean }[] = [];
  const informers = { for: (r: { plural: string }) => (r.plural === 'persistentvolumes' ? w.pvLister : w.pvcLister) } as unknown as InformerFactory;
  const ctx: ControllerContext = {
    client: w.api as unknown as Client,
    informers,
    recorder: w.recorder,
    log: pino({ level: 'silent' }),
    now: () => new Date('2024-05-01T10:00:00Z'),
    config: { clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24, nodeMonitorGracePeriodSeconds: 50, defaultTolerationSeconds: 300, workers: 5 },
  };
  controller = persistentVolumeBinder(ctx, {
    every: (fn, ms) => {
      const t = { fn, ms, stopped: false };
      timers.push(t);
      return () => (t.stopped = true);
    },
  });
  controller.run(5);
  const resync = () => timers.filter((t) => !t.stopped).forEach((t) => t.fn());
  return { timers, resync };
}

describe('persistentVolumeBinder wiring', () => {
  it('binds on the claim add event, and releases the volume when the claim is deleted', async () => {
    const w = new World();
    start(w);
    w.api.seed(R.persistentvolumes, volume('pv1', '1Gi'));
    w.api.seed(R.persistentvolumeclaims, claim('ns', 'data', '1Gi'));
    await settle(w);
    expect(w.volume('pv1').status?.phase).toBe('Bound');
    expect(w.claim('ns', 'data')!.status?.phase).toBe('Bound');
    w.api.remove(R.persistentvolumeclaims, 'ns', 'data');
    await settle(w);
    expect(w.volume('pv1').status?.phase).toBe('Released');
  });

  it('marks the claim Lost when its volume is deleted', async () => {
    const w = new World();
    start(w);
    w.api.seed(R.persistentvolumes, volume('pv1', '1Gi'));
    w.api.seed(R.persistentvolumeclaims, claim('ns', 'data', '1Gi'));
    await settle(w);
    w.api.remove(R.persistentvolumes, undefined, 'pv1');
    await settle(w);
    expect(w.claim('ns', 'data')!.status?.phase).toBe('Lost');
  });

  it('resyncs every 15 s: a claim waiting for a named volume binds once it exists; FailedBinding is not repeated', async () => {
    const w = new World();
    const { timers, resync } = start(w);
    expect(timers.map((t) => t.ms)).toEqual([RESYNC_PERIOD_MS]);
    w.api.seed(R.persistentvolumeclaims, claim('ns', 'named', '1Gi', { volumeName: 'later' }));
    w.api.seed(R.persistentvolumeclaims, claim('ns', 'nomatch', '99Gi'));
    await settle(w);
    w.api.seed(R.persistentvolumes, volume('later', '1Gi'));
    await settle(w);
    // The volume's own events do not sync the claim that names it.
    expect(w.claim('ns', 'named')!.spec.volumeName).toBe('later');
    expect(w.claim('ns', 'named')!.status?.phase).toBe('Pending');
    for (let i = 0; i < 3; i++) {
      resync();
      await settle(w);
    }
    expect(w.claim('ns', 'named')!.status?.phase).toBe('Bound');
    expect(w.recorder.events.filter((e) => e.reason === 'FailedBinding')).toHaveLength(1);
  });

  it('stops the resync timer on stop()', () => {
    const w = new World();
    const { timers } = start(w);
    controller!.stop();
    expect(timers.every((t) => t.stopped)).toBe(true);
  });
});
