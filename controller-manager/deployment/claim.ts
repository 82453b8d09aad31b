// Which replica sets and pods belong to a Deployment (getReplicaSetsForDeployment,
// getPodMapForDeployment): the ControllerRefManager's claim table over the namespace's
// replica sets — owned by another: ignore; ours and matching: keep; ours and no longer
// matching: release; an orphan that matches: adopt, after an uncached recheck that the
// Deployment still exists and is not being deleted.
import { ApiError } from '../../shared/errors.js';
import { GVK } from '../../shared/resources.js';
import { fromMetaSelector, matchesLabels, type LabelSelector } from '../../shared/selectors.js';
import type { KubeObject, OwnerReference } from '../../shared/types.js';
import type { Deployment, DeploymentDeps, ReplicaSet } from './types.js';
import { DeploymentError } from './util.js';

export function controllerRefOf(o: KubeObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

export function deploymentControllerRef(d: Deployment): OwnerReference {
  return { ...GVK.Deployment, name: d.metadata.name!, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

const isNotFound = (err: unknown) => err instanceof ApiError && err.code === 404;

export async function claimReplicaSets(deps: DeploymentDeps, d: Deployment, selector: LabelSelector): Promise<ReplicaSet[]> {
  const uid = d.metadata.uid;
  let canAdopt: Promise<void> | undefined;
  const recheck = () =>
    (canAdopt ??= deps.api.getDeployment(d.metadata.namespace!, d.metadata.name!).then((fresh) => {
      if (fresh.metadata.uid !== uid) throw new DeploymentError('OwnerGone', `original Deployment ${d.metadata.namespace}/${d.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${uid}`);
      if (fresh.metadata.deletionTimestamp) throw new DeploymentError('OwnerGone', `${d.metadata.namespace}/${d.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    }));
  const claimed: ReplicaSet[] = [];
  for (const rs of deps.listReplicaSets(d.metadata.namespace!)) {
    const ref = controllerRefOf(rs);
    const matches = matchesLabels(selector, rs.metadata.labels);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) {
        claimed.push(rs);
        continue;
      }
      if (d.metadata.deletionTimestamp) continue;
      await release(deps, rs, uid!);
      continue;
    }
    if (d.metadata.deletionTimestamp || !matches || rs.metadata.deletionTimestamp) continue;
    await recheck();
    const adopted = await adopt(deps, d, rs);
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

async function adopt(deps: DeploymentDeps, d: Deployment, rs: ReplicaSet): Promise<ReplicaSet | undefined> {
  const copy = structuredClone(rs);
  copy.metadata.ownerReferences = [...(copy.metadata.ownerReferences ?? []), deploymentControllerRef(d)];
  try {
    return await deps.api.updateReplicaSet(copy);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function release(deps: DeploymentDeps, rs: ReplicaSet, uid: string): Promise<void> {
  const copy = structuredClone(rs);
  copy.metadata.ownerReferences = (copy.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
  try {
    await deps.api.updateReplicaSet(copy);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** The deployment's pods grouped by the uid of the replica set controlling them. */
export function podMapFor(deps: DeploymentDeps, selector: LabelSelector, rsList: ReplicaSet[]): Map<string, KubeObject[]> {
  const map = new Map<string, KubeObject[]>();
  for (const rs of rsList) {
    const uid = rs.metadata.uid!;
    map.set(
      uid,
      deps.listPodsControlledBy(uid).filter((p) => p.metadata.namespace === rs.metadata.namespace && matchesLabels(selector, p.metadata.labels)),
    );
  }
  return map;
}

export function selectorOf(d: Deployment): LabelSelector {
  return fromMetaSelector(d.spec.selector);
}
