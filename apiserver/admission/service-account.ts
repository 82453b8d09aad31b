// The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount): a new pod
// runs as a ServiceAccount (`default` unless it names one), which must exist, and unless
// the pod or the account opts out it gets the account's API credentials as the projected
// volume `kube-api-access-<random>` (a bound token, the cluster CA and the namespace)
// mounted read-only in every container at /var/run/secrets/kubernetes.io/serviceaccount.
// Mirror pods are left as they are and may not use any of it.
import { errors } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { core, forbidden, isObj, objects, type AdmissionPlugin, type Attributes, type ObjectReader } from './interface.js';

type Obj = Record<string, any>;

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** serviceaccount.WarnOnlyBoundTokenExpirationSeconds: an hour and 7 s, so that stale tokens can be told apart. */
export const TOKEN_EXPIRATION_SECONDS = 3607;
/** Lookups of `default` before giving up: its controller may be creating it right now. */
const DEFAULT_ATTEMPTS = 10;
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export interface ServiceAccountConfig {
  /** Injected so tests never sleep; the wait between lookups of a missing `default`. */
  delay?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** TokenVolumeSource: what the projected volume holds. */
export function tokenVolumeSource(): Obj {
  return {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

function isMirrorPod(pod: KubeObject): boolean {
  return pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
}

/** shouldAutomount: the pod's choice, else the account's, else yes. */
function shouldAutomount(sa: KubeObject, spec: Obj): boolean {
  if (typeof spec.automountServiceAccountToken === 'boolean') return spec.automountServiceAccountToken;
  if (typeof sa.automountServiceAccountToken === 'boolean') return sa.automountServiceAccountToken;
  return true;
}

/** mountServiceAccountToken: one volume, mounted in every container that has nothing at the path yet. */
function mountToken(spec: Obj, randomName: () => string): void {
  const volumes = objects(spec.volumes);
  const existing = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith(TOKEN_VOLUME_PREFIX));
  const volumeName: string = existing ? existing.name : randomName();
  let needed = false;
  for (const c of [...objects(spec.initContainers), ...objects(spec.containers)]) {
    const mounts = objects(c.volumeMounts);
    if (mounts.some((m) => m.mountPath === TOKEN_MOUNT_PATH)) continue;
    c.volumeMounts = [...(Array.isArray(c.volumeMounts) ? c.volumeMounts : []), { name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH }];
    needed = true;
  }
  if (!existing && needed) spec.volumes = [...(Array.isArray(spec.volumes) ? spec.volumes : []), { name: volumeName, projected: tokenVolumeSource() }];
}

/** Whether a pod refers to any Secret (podutil.VisitPodSecretNames). */
function referencesSecrets(spec: Obj): boolean {
  if (objects(spec.imagePullSecrets).length) return true;
  for (const v of objects(spec.volumes)) {
    if (isObj(v.secret)) return true;
    if (isObj(v.projected) && objects(v.projected.sources).some((s) => isObj(s.secret))) return true;
    for (const k of Object.keys(v)) if (isObj(v[k]) && isObj(v[k].secretRef)) return true;
  }
  for (const c of [...objects(spec.initContainers), ...objects(spec.containers), ...objects(spec.ephemeralContainers)]) {
    if (objects(c.envFrom).some((e) => isObj(e.secretRef))) return true;
    if (objects(c.env).some((e) => isObj(e.valueFrom) && isObj(e.valueFrom.secretKeyRef))) return true;
  }
  return false;
}

export function serviceAccount(reader: ObjectReader, config: ServiceAccountConfig = {}): AdmissionPlugin {
  const accounts = core('serviceaccounts');
  const delay = config.delay ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = config.random ?? Math.random;
  const handles = (a: Attributes) => a.operation === 'CREATE' && !a.subresource && !a.resource.group && a.resource.plural === 'pods' && !!a.object;
  const accountName = (spec: Obj): string => {
    if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName) return spec.serviceAccountName;
    // The deprecated field, as the v1 conversion reads it.
    if (typeof spec.serviceAccount === 'string' && spec.serviceAccount) return spec.serviceAccount;
    return DEFAULT_SERVICE_ACCOUNT;
  };
  const lookup = (a: Attributes, name: string): KubeObject => {
    const sa = reader.get(accounts, a.namespace, name);
    if (!sa) {
      const notFound = errors.notFound('serviceaccount', '', name);
      throw forbidden(a, `error looking up service account ${a.namespace}/${name}: ${notFound.message}`);
    }
    return sa;
  };
  const randomName = () => {
    let s = TOKEN_VOLUME_PREFIX;
    for (let i = 0; i < 5; i++) s += NAME_ALPHABET[Math.floor(random() * NAME_ALPHABET.length)];
    return s;
  };
  return {
    name: 'ServiceAccount',
    async prepare(a) {
      if (!handles(a) || isMirrorPod(a.object!)) return;
      const spec: Obj = isObj(a.object!.spec) ? a.object!.spec : {};
      const name = accountName(spec);
      // The default account is made by a controller: give it time, as upstream retries 10 times.
      const attempts = name === DEFAULT_SERVICE_ACCOUNT ? DEFAULT_ATTEMPTS : 1;
      const interval = 100 + Math.floor(random() * 100);
      for (let i = 1; i < attempts && !reader.get(accounts, a.namespace, name); i++) await delay(interval);
    },
    admit(a) {
      if (!handles(a) || isMirrorPod(a.object!)) return;
      const pod = a.object!;
      if (!isObj(pod.spec)) return;
      const spec = pod.spec;
      spec.serviceAccountName = accountName(spec);
      spec.serviceAccount = spec.serviceAccountName;
      const sa = lookup(a, spec.serviceAccountName);
      if (shouldAutomount(sa, spec)) mountToken(spec, randomName);
      if (objects(spec.imagePullSecrets).length === 0 && objects(sa.imagePullSecrets).length > 0) {
        spec.imagePullSecrets = objects(sa.imagePullSecrets).map((s) => ({ name: s.name }));
      }
    },
    validate(a) {
      if (!handles(a)) return;
      const pod = a.object!;
      const spec: Obj = isObj(pod.spec) ? pod.spec : {};
      if (isMirrorPod(pod)) {
        if (spec.serviceAccountName) throw forbidden(a, 'a mirror pod may not reference service accounts');
        if (referencesSecrets(spec)) throw forbidden(a, 'a mirror pod may not reference secrets');
        if (objects(spec.volumes).some((v) => isObj(v.projected) && objects(v.projected.sources).some((s) => isObj(s.serviceAccountToken)))) {
          throw forbidden(a, 'a mirror pod may not use ServiceAccountToken volume projections');
        }
        return;
      }
      if (!spec.serviceAccountName) throw forbidden(a, `no service account specified for pod ${a.namespace}/${pod.metadata.name ?? ''}`);
      lookup(a, spec.serviceAccountName);
    },
  };
}
