// Rollback (upstream rollback.go). kubectl of apps/v1 rolls back by itself: it patches
// the old template into the deployment, and the ordinary sync then finds that replica
// set as the new one and raises its revision. What remains here is the older API's
// request, `deprecated.deployment.rollback.to: <revision>` (0: the previous one): copy
// that revision's template and annotations into the deployment, and always clear the
// request, so that a rollback is not re-entered.
import { equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './hash.js';
import { eventTarget, getAllReplicaSetsAndSyncRevision, getRollbackTo } from './sync.js';
import type { Deployment, DeploymentDeps, ReplicaSet } from './types.js';
import * as u from './util.js';

export const RollbackReason = {
  RevisionNotFound: 'DeploymentRollbackRevisionNotFound',
  TemplateUnchanged: 'DeploymentRollbackTemplateUnchanged',
  Done: 'DeploymentRollback',
} as const;

export async function rollback(deps: DeploymentDeps, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(deps, d, rsList, true);
  const allRSs = newRS ? [...oldRSs, newRS] : oldRSs;
  let target = getRollbackTo(d)!;
  if (target === 0) {
    target = u.lastRevision(allRSs);
    if (target === 0) {
      deps.recorder.event(eventTarget(d), 'Warning', RollbackReason.RevisionNotFound, 'Unable to find last revision.');
      return updateDeploymentAndClearRollbackTo(deps, d);
    }
  }
  const rs = allRSs.find((r) => u.revision(r) === target);
  if (!rs) {
    deps.recorder.event(eventTarget(d), 'Warning', RollbackReason.RevisionNotFound, 'Unable to find the revision to rollback to.');
    return updateDeploymentAndClearRollbackTo(deps, d);
  }
  // The revision is raised on the next sync, which finds rs as the new replica set.
  if (await rollbackToTemplate(deps, d, rs)) {
    deps.recorder.event(eventTarget(d), 'Normal', RollbackReason.Done, `Rolled back deployment "${d.metadata.name}" to revision ${target}`);
  }
}

/** Copies the replica set's template and annotations unless they already match; true if it did. */
export async function rollbackToTemplate(deps: DeploymentDeps, d: Deployment, rs: ReplicaSet): Promise<boolean> {
  let performed = false;
  if (!equalIgnoreHash(d.spec.template, rs.spec.template)) {
    const template = structuredClone(rs.spec.template);
    if (template.metadata?.labels) {
      const labels = { ...template.metadata.labels };
      delete labels[POD_TEMPLATE_HASH_LABEL];
      template.metadata = { ...template.metadata, labels };
    }
    d.spec.template = template;
    // The deployment takes the replica set's annotations (change-cause, ...), or its
    // current ones would be copied onto the replica set it rolls back to.
    u.setDeploymentAnnotationsTo(d, rs);
    performed = true;
  } else {
    deps.recorder.event(eventTarget(d), 'Warning', RollbackReason.TemplateUnchanged, `The rollback revision contains the same template as current deployment "${d.metadata.name}"`);
  }
  await updateDeploymentAndClearRollbackTo(deps, d);
  return performed;
}

async function updateDeploymentAndClearRollbackTo(deps: DeploymentDeps, d: Deployment): Promise<void> {
  if (d.metadata.annotations) {
    const annotations = { ...d.metadata.annotations };
    delete annotations[u.DeprecatedRollbackToAnnotation];
    d.metadata.annotations = annotations;
  }
  const updated = await deps.api.updateDeployment(d);
  d.metadata.resourceVersion = updated.metadata.resourceVersion;
}
