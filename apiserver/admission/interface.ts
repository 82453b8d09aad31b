// The admission contract (k8s.io/apiserver/pkg/admission): what a plugin sees of a
// request, the read access it has to other objects, and the Forbidden error every
// plugin answers with. A plugin may wait before the write (prepare), mutate the object
// (admit: after defaulting, before validation) and reject it (validate: after
// validation, inside the write's transaction, so its reads are the latest state).
import { ApiError, qualified, type StatusCause } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import { lookupResource, type ResourceInfo } from '../registry/resources.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** user.Info as authentication establishes it; absent while skiff serves anonymous clients. */
export interface UserInfo {
  name: string;
  groups: string[];
}

export interface Attributes {
  operation: Operation;
  resource: ResourceInfo;
  /** `status`, `scale`, …; '' for the resource itself. */
  subresource: string;
  /** '' for cluster-scoped resources. */
  namespace: string;
  /** '' on a create whose name the server generates after the mutating plugins ran. */
  name: string;
  /** The new object: absent on DELETE. Mutating plugins change it in place. */
  object?: KubeObject;
  /** The stored object on UPDATE and DELETE. */
  oldObject?: KubeObject;
  userInfo?: UserInfo;
  dryRun: boolean;
  /** Warnings returned to the client as `Warning` headers. */
  warnings: string[];
}

/** A write a validating plugin needs once the object's own write is accepted (a quota charge). */
export type AdmissionEffect = () => Promise<unknown>;

/** Read access to other objects: the latest state, including writes accepted but not yet on disk. */
export interface ObjectReader {
  get(r: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Every object of a resource in one namespace, in name order. */
  list(r: ResourceInfo, namespace: string): KubeObject[];
}

export interface AdmissionContext extends ObjectReader {
  /**
   * Read-modify-write of an object's status subresource against its latest state; `change`
   * gets a private copy and may throw to refuse. The decision is taken synchronously, so
   * a caller that checked a limit in the same turn cannot be overtaken by another request.
   */
  updateStatus(r: ResourceInfo, namespace: string, name: string, change: (copy: KubeObject) => KubeObject): Promise<unknown>;
}

export interface AdmissionPlugin {
  readonly name: string;
  /** Read-only waiting before the write (a ServiceAccount its controller is about to create). CREATE only. */
  prepare?(a: Attributes): Promise<void>;
  /** Mutating admission: may change a.object; throws to reject. */
  admit?(a: Attributes): void;
  /** Validating admission: throws to reject; may return a write to make once the object's write is accepted. */
  validate?(a: Attributes): AdmissionEffect | void;
}

/** The name admission errors show: the generateName prefix while the name is not drawn yet. */
export function displayName(a: Attributes): string {
  const meta = (a.object ?? a.oldObject)?.metadata;
  if (meta?.name) return meta.name;
  if (meta?.generateName) return meta.generateName;
  return a.name || 'Unknown';
}

/** admission.NewForbidden: `pods "x" is forbidden: <why>`. */
export function forbidden(a: Attributes, why: string, causes?: StatusCause[]): ApiError {
  const r = a.resource;
  const name = displayName(a);
  return new ApiError(403, 'Forbidden', `${qualified(r.plural, r.group)} "${name}" is forbidden: ${why}`, {
    name,
    group: r.group || undefined,
    kind: r.plural,
    ...(causes ? { causes } : {}),
  });
}

export function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function objects(v: unknown): Record<string, any>[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** A core/v1 resource of the table, for plugins that read namespaces, limitranges, …. */
export function core(plural: string): ResourceInfo {
  const r = lookupResource('', 'v1', plural);
  if (!r) throw new Error(`resource ${plural} is not served`);
  return r;
}
