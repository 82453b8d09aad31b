// Validation of the workload controllers' objects (pkg/apis/apps/validation and
// pkg/apis/batch/validation): selectors that must match their pod templates, the
// templates themselves, replicas and update strategies, and what may change on update.

import { cause } from '../../shared/errors.js';
import type { MetaLabelSelector } from '../../shared/selectors.js';
import { claimTemplateNames, validatePodTemplate, type PodSpecOptions } from './validation-pod.js';
import {
  absent,
  diffPaths,
  type Errs,
  goLabelSelector,
  goStringMap,
  immutable,
  int,
  intOrPercent,
  invalidGo,
  isObj,
  nonNegative,
  obj,
  type Obj,
  required,
  selectorIsEmpty,
  selectorMatches,
  semanticEqual,
  str,
  validateLabelSelector,
} from './validation-shape.js';

type WorkloadKind = 'deployment' | 'replicaset' | 'statefulset' | 'daemonset';
const KIND_NAMES: Record<WorkloadKind, string> = { deployment: 'ReplicaSet', replicaset: 'ReplicaSet', statefulset: 'StatefulSet', daemonset: 'DaemonSet' };

/**
 * spec.selector and spec.template of a workload. `requireSelector` reports a missing
 * selector; a missing (nil) selector still fails to match the template, as upstream's
 * labels.Nothing() does, unless the selector is still to be generated (`selectorPending`).
 */
function validateSelectorAndTemplate(
  errs: Errs,
  spec: Obj,
  emptyFor: string,
  requireSelector: boolean,
  opts: PodSpecOptions & { selectorPending?: boolean } = {},
): void {
  const selPath = 'spec.selector';
  let selector: MetaLabelSelector | undefined;
  let broken = false;
  if (absent(spec.selector)) {
    if (requireSelector) errs.push(required(selPath));
  } else {
    const before = errs.length;
    selector = validateLabelSelector(errs, spec.selector, selPath);
    broken = errs.length > before;
    if (selector && selectorIsEmpty(selector)) errs.push(invalidGo(selPath, goLabelSelector(spec.selector), `empty selector is invalid for ${emptyFor}`));
  }
  if (broken && emptyFor !== 'daemonset') errs.push(invalidGo(selPath, goLabelSelector(spec.selector), 'invalid label selector'));
  if (broken) return;
  const template = isObj(spec.template) ? spec.template : undefined;
  const labels = template && isObj(template.metadata) ? template.metadata.labels : undefined;
  const nothing = selector === undefined;
  if (template && !(nothing && opts.selectorPending) && (nothing || !selectorIsEmpty(selector!)) && (nothing || !selectorMatches(selector!, labels))) {
    errs.push(invalidGo('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'));
  }
  validatePodTemplate(errs, spec.template, 'spec.template', opts);
}

/** The pod template of a long-running workload: restartPolicy Always, no activeDeadlineSeconds. */
function validateAlwaysRestart(errs: Errs, spec: Obj, kind: WorkloadKind): void {
  const tspec = isObj(spec.template) && isObj(spec.template.spec) ? spec.template.spec : {};
  const rp = tspec.restartPolicy;
  if (typeof rp === 'string' && rp !== 'Always') errs.push(cause.notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (!absent(tspec.activeDeadlineSeconds)) {
    errs.push(cause.forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${KIND_NAMES[kind]} is not Supported`));
  }
}

function validateDeploymentStrategy(errs: Errs, v: unknown): void {
  const strategy = obj(errs, v, 'spec.strategy');
  if (!strategy) return;
  const type = str(errs, strategy.type, 'spec.strategy.type');
  const ruPath = 'spec.strategy.rollingUpdate';
  if (type === 'Recreate') {
    if (!absent(strategy.rollingUpdate)) errs.push(cause.forbidden(ruPath, "may not be specified when strategy `type` is 'Recreate'"));
  } else if (type === 'RollingUpdate') {
    const ru = obj(errs, strategy.rollingUpdate, ruPath);
    if (!ru) return void (absent(strategy.rollingUpdate) && errs.push(required(ruPath, 'this should be defaulted and never be nil')));
    const maxUnavailable = intOrPercent(errs, ru.maxUnavailable, `${ruPath}.maxUnavailable`);
    const maxSurge = intOrPercent(errs, ru.maxSurge, `${ruPath}.maxSurge`);
    if (maxUnavailable === 0 && maxSurge === 0) errs.push(cause.invalid(`${ruPath}.maxUnavailable`, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  } else if (type !== undefined) {
    errs.push(cause.notSupported('spec.strategy', type, ['Recreate', 'RollingUpdate']));
  }
}

function validateDeployment(errs: Errs, spec: Obj, kind: 'deployment' | 'replicaset'): void {
  nonNegative(errs, spec.replicas, 'spec.replicas');
  validateSelectorAndTemplate(errs, spec, 'deployment', true);
  validateAlwaysRestart(errs, spec, kind);
  const minReady = nonNegative(errs, spec.minReadySeconds, 'spec.minReadySeconds') ?? 0;
  if (kind === 'replicaset') return;
  validateDeploymentStrategy(errs, spec.strategy);
  nonNegative(errs, spec.revisionHistoryLimit, 'spec.revisionHistoryLimit');
  const deadline = nonNegative(errs, spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds');
  if (deadline !== undefined && deadline <= minReady) errs.push(cause.invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
}

function validateStatefulSet(errs: Errs, spec: Obj): void {
  const policy = str(errs, spec.podManagementPolicy, 'spec.podManagementPolicy');
  if (policy === '') errs.push(required('spec.podManagementPolicy'));
  else if (policy !== undefined && policy !== 'OrderedReady' && policy !== 'Parallel') {
    errs.push(cause.invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const strategy = obj(errs, spec.updateStrategy, 'spec.updateStrategy');
  const type = strategy && str(errs, strategy.type, 'spec.updateStrategy.type');
  if (strategy && type === 'OnDelete' && !absent(strategy.rollingUpdate)) {
    errs.push(cause.invalid('spec.updateStrategy.rollingUpdate', strategy.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (strategy && type === 'RollingUpdate') {
    const ru = obj(errs, strategy.rollingUpdate, 'spec.updateStrategy.rollingUpdate');
    if (ru) nonNegative(errs, ru.partition, 'spec.updateStrategy.rollingUpdate.partition');
  } else if (strategy && type !== undefined) {
    errs.push(cause.invalid('spec.updateStrategy', strategy, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = obj(errs, spec.persistentVolumeClaimRetentionPolicy, 'spec.persistentVolumeClaimRetentionPolicy');
  for (const f of ['whenDeleted', 'whenScaled']) {
    const p = `spec.persistentVolumeClaimRetentionPolicy.${f}`;
    const value = retention && str(errs, retention[f], p);
    if (typeof value === 'string' && value !== 'Retain' && value !== 'Delete') errs.push(cause.notSupported(p, value, ['Retain', 'Delete']));
  }
  nonNegative(errs, spec.replicas, 'spec.replicas');
  nonNegative(errs, spec.minReadySeconds, 'spec.minReadySeconds');
  nonNegative(errs, spec.revisionHistoryLimit, 'spec.revisionHistoryLimit');
  const ordinals = obj(errs, spec.ordinals, 'spec.ordinals');
  if (ordinals) nonNegative(errs, ordinals.start, 'spec.ordinals.start');
  validateSelectorAndTemplate(errs, spec, 'statefulset', true, { extraVolumes: claimTemplateNames(spec.volumeClaimTemplates) });
  validateAlwaysRestart(errs, spec, 'statefulset');
}

function validateDaemonSet(errs: Errs, spec: Obj): void {
  validateSelectorAndTemplate(errs, spec, 'daemonset', false);
  validateAlwaysRestart(errs, spec, 'daemonset');
  nonNegative(errs, spec.minReadySeconds, 'spec.minReadySeconds');
  nonNegative(errs, spec.templateGeneration, 'spec.templateGeneration');
  nonNegative(errs, spec.revisionHistoryLimit, 'spec.revisionHistoryLimit');
  const strategy = obj(errs, spec.updateStrategy, 'spec.updateStrategy');
  const type = strategy && str(errs, strategy.type, 'spec.updateStrategy.type');
  if (!strategy || type === undefined || type === 'OnDelete') return;
  if (type !== 'RollingUpdate') return void errs.push(cause.notSupported('spec.updateStrategy', type, ['RollingUpdate', 'OnDelete']));
  const ruPath = 'spec.updateStrategy.rollingUpdate';
  const ru = obj(errs, strategy.rollingUpdate, ruPath);
  if (!ru) return void (absent(strategy.rollingUpdate) && errs.push(required(ruPath)));
  const maxUnavailable = intOrPercent(errs, ru.maxUnavailable, `${ruPath}.maxUnavailable`) ?? 0;
  const maxSurge = intOrPercent(errs, ru.maxSurge, `${ruPath}.maxSurge`) ?? 0;
  if (maxUnavailable !== 0 && maxSurge !== 0) errs.push(cause.invalid(`${ruPath}.maxSurge`, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
  if (maxUnavailable === 0 && maxSurge === 0) errs.push(required(`${ruPath}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
}

const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';

function validateJob(errs: Errs, job: Obj, spec: Obj): void {
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) nonNegative(errs, spec[f], `spec.${f}`);
  const mode = str(errs, spec.completionMode, 'spec.completionMode');
  if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(cause.notSupported('spec.completionMode', mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed' && absent(spec.completions)) errs.push(required('spec.completions', 'when completion mode is Indexed'));
  const policy = str(errs, spec.podReplacementPolicy, 'spec.podReplacementPolicy');
  if (policy !== undefined && policy !== 'TerminatingOrFailed' && policy !== 'Failed') {
    errs.push(cause.notSupported('spec.podReplacementPolicy', policy, ['TerminatingOrFailed', 'Failed']));
  }
  const manual = spec.manualSelector === true;
  const meta = isObj(job.metadata) ? job.metadata : {};
  const uid = typeof meta.uid === 'string' ? meta.uid : '';
  // Without manualSelector the selector is generated from the uid (see defaults.ts);
  // before a uid exists there is nothing to require yet.
  validateSelectorAndTemplate(errs, spec, 'job', manual || uid !== '', { selectorPending: !manual && uid === '' });
  if (!manual && uid && isObj(spec.selector)) {
    const sel = validateLabelSelector([], spec.selector, 'spec.selector');
    if (sel && !selectorMatches(sel, { [CONTROLLER_UID]: uid })) errs.push(invalidGo('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  }
  const tspec = isObj(spec.template) && isObj(spec.template.spec) ? spec.template.spec : {};
  const rp = typeof tspec.restartPolicy === 'string' ? tspec.restartPolicy : 'Always';
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(cause.notSupported('spec.template.spec.restartPolicy', rp, ['OnFailure', 'Never']));
}

/** Validation of a workload object's spec, by resource. */
export function validateWorkload(errs: Errs, resource: string, o: Obj): void {
  const spec = obj(errs, o.spec, 'spec');
  if (!spec) return void (absent(o.spec) && errs.push(required('spec')));
  switch (resource) {
    case 'deployments':
      return validateDeployment(errs, spec, 'deployment');
    case 'replicasets':
      return validateDeployment(errs, spec, 'replicaset');
    case 'statefulsets':
      return validateStatefulSet(errs, spec);
    case 'daemonsets':
      return validateDaemonSet(errs, spec);
    case 'jobs':
      return validateJob(errs, o, spec);
  }
}

const STS_MUTABLE = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy'];

/** What a workload's update may not change. */
export function validateWorkloadUpdate(errs: Errs, resource: string, next: Obj, old: Obj): void {
  const spec = isObj(next.spec) ? next.spec : {};
  const oldSpec = isObj(old.spec) ? old.spec : {};
  switch (resource) {
    case 'deployments':
    case 'replicasets':
    case 'daemonsets':
      return immutable(errs, spec.selector, oldSpec.selector, 'spec.selector', goLabelSelector(spec.selector));
    case 'statefulsets': {
      const a: Obj = { ...spec };
      const b: Obj = { ...oldSpec };
      for (const k of STS_MUTABLE) {
        delete a[k];
        delete b[k];
      }
      if (!semanticEqual(a, b)) {
        errs.push(
          cause.forbidden(
            'spec',
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
          ),
        );
      }
      return;
    }
    case 'jobs': {
      immutable(errs, spec.selector, oldSpec.selector, 'spec.selector', goLabelSelector(spec.selector));
      if (!semanticEqual(spec.template, oldSpec.template)) {
        const diff = diffPaths(oldSpec.template, spec.template, 'spec.template').join('\n');
        errs.push({ ...cause.invalid('spec.template', null, 'field is immutable'), message: `Invalid value: core.PodTemplateSpec{...}: field is immutable\n${diff}` });
      }
      immutable(errs, spec.completionMode, oldSpec.completionMode, 'spec.completionMode');
      immutable(errs, spec.podFailurePolicy, oldSpec.podFailurePolicy, 'spec.podFailurePolicy');
      if (spec.completionMode !== 'Indexed') immutable(errs, int([], spec.completions, ''), int([], oldSpec.completions, ''), 'spec.completions');
      return;
    }
  }
}
