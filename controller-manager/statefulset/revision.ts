// The StatefulSet's revisions without ControllerRevision objects (skiff's apiserver serves
// none): the update revision is `<set>-<hash of the template>`, the current revision is
// status.currentRevision. When they differ, the current revision's template is recovered
// from a live pod at that revision, so that pods below the partition are recreated as they
// were; with no such pod left, the update revision's template is used.
import type { KubeObject } from '../../shared/types.js';
import { controllerRevisionName, templateHash } from '../daemonset/history.js';
import { POD_INDEX_LABEL, POD_NAME_LABEL, podRevision, REVISION_LABEL, type Revisions } from './identity.js';

export function updateRevisionOf(set: KubeObject): string {
  return controllerRevisionName(set.metadata.name!, templateHash(set.spec?.template, set.status?.collisionCount ?? 0));
}

/** A pod template equivalent to the one `pod` was made from. */
export function templateFromPod(set: KubeObject, pod: KubeObject): KubeObject {
  const labels = { ...(pod.metadata.labels ?? {}) };
  for (const k of [POD_NAME_LABEL, POD_INDEX_LABEL, REVISION_LABEL]) delete labels[k];
  const spec = structuredClone(pod.spec ?? {});
  delete spec.nodeName;
  delete spec.hostname;
  delete spec.subdomain;
  const claimVolumes = new Set(((set.spec?.volumeClaimTemplates ?? []) as KubeObject[]).map((t) => t.metadata.name));
  if (Array.isArray(spec.volumes)) {
    spec.volumes = spec.volumes.filter((v: { name: string }) => !claimVolumes.has(v.name));
    if (!spec.volumes.length) delete spec.volumes;
  }
  const metadata: KubeObject['metadata'] = { labels };
  if (pod.metadata.annotations && Object.keys(pod.metadata.annotations).length) metadata.annotations = { ...pod.metadata.annotations };
  return { metadata, spec };
}

export function revisionsOf(set: KubeObject, pods: KubeObject[]): Revisions {
  const updateRevision = updateRevisionOf(set);
  const currentRevision = set.status?.currentRevision || updateRevision;
  let currentSet = set;
  if (currentRevision !== updateRevision) {
    const pod = pods.find((p) => podRevision(p) === currentRevision && !p.metadata.deletionTimestamp);
    if (pod) currentSet = { ...set, spec: { ...set.spec, template: templateFromPod(set, pod) } };
  }
  return { currentSet, updateSet: set, currentRevision, updateRevision };
}
