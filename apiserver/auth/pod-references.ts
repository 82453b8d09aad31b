// The API objects a pod references, as the Node authorizer's graph records them
// (podutil.VisitPodSecretNames / VisitPodConfigmapNames, claims of volumes and of
// generic ephemeral volumes, and the pod's service account). Stored pods are JSON that
// may be partial; every reader tolerates missing or mistyped fields.

export interface PodLike {
  metadata?: { name?: string; namespace?: string; uid?: string; annotations?: Record<string, string>; ownerReferences?: unknown[] };
  spec?: { nodeName?: string; serviceAccountName?: string; [k: string]: unknown };
}

export interface PodReferences {
  secrets: Set<string>;
  configmaps: Set<string>;
  persistentvolumeclaims: Set<string>;
  serviceaccounts: Set<string>;
}

type Obj = Record<string, any>;

const rec = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const name = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Volume sources whose secret is named by `secretRef.name` (cephfs, rbd, iscsi, flexVolume, scaleIO, storageos, csi's nodePublishSecretRef). */
const SECRET_REF_SOURCES = ['cephfs', 'rbd', 'iscsi', 'flexVolume', 'scaleIO', 'storageos'];

function add(set: Set<string>, v: unknown): void {
  const n = name(v);
  if (n !== '') set.add(n);
}

function visitContainers(spec: Obj, refs: PodReferences): void {
  for (const list of [spec.initContainers, spec.containers, spec.ephemeralContainers]) {
    for (const c of arr(list)) {
      for (const from of arr(rec(c).envFrom)) {
        add(refs.secrets, rec(rec(from).secretRef).name);
        add(refs.configmaps, rec(rec(from).configMapRef).name);
      }
      for (const env of arr(rec(c).env)) {
        const valueFrom = rec(rec(env).valueFrom);
        add(refs.secrets, rec(valueFrom.secretKeyRef).name);
        add(refs.configmaps, rec(valueFrom.configMapKeyRef).name);
      }
    }
  }
}

function visitVolumes(pod: PodLike, spec: Obj, refs: PodReferences): void {
  const podName = name(pod.metadata?.name);
  for (const v of arr(spec.volumes)) {
    const vol = rec(v);
    add(refs.secrets, rec(vol.secret).secretName);
    add(refs.configmaps, rec(vol.configMap).name);
    add(refs.persistentvolumeclaims, rec(vol.persistentVolumeClaim).claimName);
    // A generic ephemeral volume's claim is named <pod>-<volume>.
    if (vol.ephemeral !== undefined && podName !== '' && name(vol.name) !== '') refs.persistentvolumeclaims.add(`${podName}-${name(vol.name)}`);
    for (const source of arr(rec(vol.projected).sources)) {
      add(refs.secrets, rec(rec(source).secret).name);
      add(refs.configmaps, rec(rec(source).configMap).name);
    }
    for (const s of SECRET_REF_SOURCES) add(refs.secrets, rec(rec(vol[s]).secretRef).name);
    add(refs.secrets, rec(rec(vol.csi).nodePublishSecretRef).name);
    add(refs.secrets, rec(vol.azureFile).secretName);
  }
}

/** Every secret, config map, claim and service account a pod references, by name in its namespace. */
export function podReferences(pod: PodLike): PodReferences {
  const refs: PodReferences = { secrets: new Set(), configmaps: new Set(), persistentvolumeclaims: new Set(), serviceaccounts: new Set() };
  const spec = rec(pod.spec);
  for (const s of arr(spec.imagePullSecrets)) add(refs.secrets, rec(s).name);
  visitContainers(spec, refs);
  visitVolumes(pod, spec, refs);
  refs.serviceaccounts.add(name(spec.serviceAccountName) || 'default');
  return refs;
}
