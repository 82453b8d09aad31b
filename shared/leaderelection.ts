// Leader election on a coordination.k8s.io/v1 Lease (client-go's leaderelection): the
// holder renews every retry period; a candidate takes the lease once it has not been
// renewed for its duration. Writes are guarded by resourceVersion, so two candidates can
// never both believe they hold it.
import type { Logger } from 'pino';
import { ApiError } from './errors.js';
import type { Client } from './client.js';
import { R } from './resources.js';
import type { KubeObject } from './types.js';

export interface LeaderElectionConfig {
  client: Client;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  log: Logger;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

const microTime = (d: Date) => d.toISOString().replace('Z', '000Z');

/** Runs until `signal` aborts; calls onStartedLeading once the lease is ours. */
export async function runLeaderElection(cfg: LeaderElectionConfig, signal: AbortSignal): Promise<void> {
  const now = cfg.now ?? (() => new Date());
  const sleep = cfg.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const log = cfg.log.child({ lease: `${cfg.namespace}/${cfg.name}`, identity: cfg.identity });
  if (!(cfg.leaseDurationSeconds > cfg.renewDeadlineSeconds && cfg.renewDeadlineSeconds > cfg.retryPeriodSeconds)) {
    throw new Error('leader election needs lease duration > renew deadline > retry period');
  }
  let leading = false;
  let lastRenew = 0;
  while (!signal.aborted) {
    let ok = false;
    const t = now();
    try {
      // A leader must not keep acting past its renew deadline while a request hangs:
      // the attempt counts as failed when the deadline passes first.
      const budget = leading ? lastRenew + cfg.renewDeadlineSeconds * 1000 - t.getTime() : cfg.renewDeadlineSeconds * 1000;
      ok = await Promise.race([tryAcquireOrRenew(cfg, t), sleep(Math.max(0, budget)).then(() => false)]);
    } catch (err) {
      log.warn({ err }, 'leader election: lease update failed');
    }
    if (ok) {
      // The lease records t as its renew time; others measure expiry from it.
      lastRenew = t.getTime();
      if (!leading) {
        leading = true;
        log.info('became leader');
        cfg.onStartedLeading();
      }
    } else if (leading && now().getTime() - lastRenew > cfg.renewDeadlineSeconds * 1000) {
      leading = false;
      log.error('lost the lease: could not renew within the renew deadline');
      cfg.onStoppedLeading();
      return;
    }
    await sleep(cfg.retryPeriodSeconds * 1000);
  }
  if (leading) await release(cfg).catch(() => undefined);
}

async function tryAcquireOrRenew(cfg: LeaderElectionConfig, t: Date): Promise<boolean> {
  let lease: KubeObject;
  try {
    lease = await cfg.client.get(R.leases, cfg.namespace, cfg.name);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 404) throw err;
    await cfg.client.create(R.leases, cfg.namespace, {
      metadata: { name: cfg.name, namespace: cfg.namespace },
      spec: { holderIdentity: cfg.identity, leaseDurationSeconds: cfg.leaseDurationSeconds, acquireTime: microTime(t), renewTime: microTime(t), leaseTransitions: 0 },
    } as KubeObject);
    return true;
  }
  const spec = lease.spec ?? {};
  const holder: string | undefined = spec.holderIdentity;
  const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
  const duration = (spec.leaseDurationSeconds ?? cfg.leaseDurationSeconds) * 1000;
  const expired = !holder || t.getTime() > renewed + duration;
  if (holder !== cfg.identity && !expired) return false;
  const next: KubeObject = {
    ...lease,
    spec: {
      ...spec,
      holderIdentity: cfg.identity,
      leaseDurationSeconds: cfg.leaseDurationSeconds,
      renewTime: microTime(t),
      acquireTime: holder === cfg.identity ? spec.acquireTime : microTime(t),
      leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === cfg.identity ? 0 : 1),
    },
  };
  try {
    await cfg.client.update(R.leases, next);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === 409) return false;
    throw err;
  }
}

async function release(cfg: LeaderElectionConfig): Promise<void> {
  const lease = await cfg.client.get(R.leases, cfg.namespace, cfg.name);
  if (lease.spec?.holderIdentity !== cfg.identity) return;
  await cfg.client.update(R.leases, { ...lease, spec: { ...lease.spec, holderIdentity: '', renewTime: null } });
}
